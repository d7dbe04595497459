"""Lengths as the messengers count them: UTF-16 units, an emoji beyond the BMP is two."""

from __future__ import annotations

from bot.domain.text import cut, units, within


def test_plain_and_accented_letters_count_one_each() -> None:
    assert units("Écoles") == 6


def test_an_emoji_counts_two() -> None:
    assert units("😀") == 2
    assert units("😀" * 2_040) == 4_080


def test_what_fits_never_splits_an_emoji() -> None:
    assert within("ab😀cd", 3) == 2  # « ab » then the emoji would need 4
    assert within("ab😀cd", 4) == 3
    assert within("abc", 10) == 3


def test_cut_keeps_within_the_limit_with_an_ellipsis() -> None:
    assert cut("bonjour", 10) == "bonjour"
    shortened = cut("😀" * 10, 7)
    assert units(shortened) <= 7 and shortened.endswith("…")
    assert shortened == "😀😀😀…"
