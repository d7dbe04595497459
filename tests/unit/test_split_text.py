"""Long messages are cut into parts Telegram accepts: valid HTML, each within the limit."""

from __future__ import annotations

import html

import pytest

from handlers.telegram.common import split_text
from handlers.telegram.offline import parse_html


def test_a_short_text_is_one_part() -> None:
    assert split_text("<b>Bonjour</b>") == ["<b>Bonjour</b>"]


def test_a_long_text_is_cut_at_line_breaks() -> None:
    text = "\n".join(f"ligne {n:04d} " + "x" * 80 for n in range(200))
    parts = split_text(text, limit=1000)
    assert all(len(p) <= 1000 for p in parts)
    assert "\n".join(parts) == text
    assert all(p.startswith("ligne ") for p in parts)


def test_a_tag_open_across_a_cut_is_closed_and_reopened() -> None:
    line = html.escape("Une ligne de la description & des <détails>", quote=False)
    description = "\n".join(line for _ in range(120))
    text = f"<b>Récapitulatif</b>\n\nCe qui s'est passé :\n<i>{description}</i>\nFin"
    parts = split_text(text, limit=1000)
    assert len(parts) > 3
    for part in parts:
        assert len(part) <= 1000
        parse_html(part)  # raises on unbalanced tags or a broken entity
    assert parts[1].startswith("<i>") and parts[0].endswith("</i>")
    assert "".join(parse_html(p) + "\n" for p in parts).count("Une ligne") == 120


@pytest.mark.parametrize("limit", [50, 97, 400])
def test_a_single_long_line_is_cut_between_pieces_never_inside_an_entity(limit: int) -> None:
    text = "<code>" + "R&amp;D " * 200 + "</code>"
    parts = split_text(text, limit=limit)
    for part in parts:
        assert len(part) <= limit
        parse_html(part)
    assert "".join(parse_html(p) for p in parts) == "R&D " * 200


def test_parts_with_nothing_visible_are_dropped() -> None:
    parts = split_text("a" * 30 + "\n<i></i>\n" + "b" * 30, limit=32)
    assert all(parse_html(p).strip() for p in parts)


def test_random_markup_at_small_limits_always_ends_and_stays_valid() -> None:
    import random

    rng = random.Random(1)
    for _ in range(400):
        parts = []
        for _ in range(rng.randint(1, 40)):
            words = " ".join("mot" + "x" * rng.randint(0, 12) for _ in range(rng.randint(1, 40)))
            kind = rng.random()
            if kind < 0.2:
                parts.append(f"<b>{words}</b>")
            elif kind < 0.3:
                parts.append(f"<i>{words} <b>{words}</b> &amp; {words}</i>")
            elif kind < 0.4:
                parts.append(f'<a href="https://exemple.fr/x">{words}</a>')
            elif kind < 0.5:
                parts.append("\n")
            else:
                parts.append(words)
        text = "".join(parts)
        limit = rng.choice([50, 120, 1000, 4096])
        chunks = split_text(text, limit=limit)
        for chunk in chunks:
            assert len(chunk) <= limit
            parse_html(chunk)
        assert "".join(parse_html(c) for c in chunks).replace("\n", "").replace(" ", "") == (
            parse_html(text).replace("\n", "").replace(" ", "")
        )


def test_words_are_not_cut_when_a_part_can_hold_them() -> None:
    words = [f"mot{n:04d}" + "x" * (n % 9) for n in range(3000)]
    text = "<b>" + " ".join(words) + "</b>"
    parts = split_text(text, limit=500)
    seen = [w for p in parts for w in parse_html(p).split()]
    assert seen == words


@pytest.mark.parametrize("limit", [7, 100, 4096])
def test_emoji_are_counted_as_telegram_counts_them(limit: int) -> None:
    """« 😀 » is two UTF-16 units for Telegram: 2,100 of them are two messages, not one."""
    from handlers.telegram.offline.html import utf16_len

    text = "<b>Note</b> : " + "😀" * 2_100 + " fin"
    parts = split_text(text, limit=limit)
    assert len(parts) > 1
    for part in parts:
        assert utf16_len(parse_html(part)) <= limit
        assert "\ud83d" not in part  # never half an emoji
    assert "".join(parse_html(p) for p in parts).count("😀") == 2_100
