"""The catalogs' HTML as Discord markdown, cut within 2,000 characters, with its buttons."""

from __future__ import annotations

import ast
import html
import random
import re
from pathlib import Path

import discord
import pytest

from bot.services.delivery import Button, actions
from handlers.discord.render import ZWSP, components, custom_ids, markdown, split

ROOT = Path(__file__).resolve().parents[2]

# A backslash before punctuation is Discord's escape: the character shows as is.
_ESCAPE = re.compile(r"\\([^\sA-Za-z0-9])")
# Markup Discord would read, left unescaped.
_LIVE = re.compile(r"(?<!\\)(?:\\\\)*[*_~`|\[<]")


def shown(markdown_text: str) -> str:
    """What Discord shows of a text without markup: escapes resolved, no zero-width space."""
    return _ESCAPE.sub(r"\1", markdown_text).replace(ZWSP, "")


def user(text: str) -> str:
    """User text as it reaches a renderer: HTML-escaped by the catalogs (bot.i18n)."""
    return html.escape(text, quote=False)


# -- markdown --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("<b>Sinistre</b> ouvert", "**Sinistre** ouvert"),
        ("<i>en attente</i>", "*en attente*"),
        ("<u>avant le 12</u>", "__avant le 12__"),
        ("<s>annulé</s>", "~~annulé~~"),
        ("n° <code>SEM-0001</code>", "n° `SEM-0001`"),
        ("<pre>ligne 1\nligne 2</pre>", "```\nligne 1\nligne 2\n```"),
        ("voir :<pre>x</pre>", "voir :\n```\nx\n```"),
        ('<pre><code class="language-python">x = 1</code></pre>', "```python\nx = 1\n```"),
        (
            '<a href="https://pne.example/c/42">le dossier</a>',
            "[le dossier](https://pne.example/c/42)",
        ),
        ('<a href="https://pne.example">https://pne.example</a>', "https://pne.example"),
        ('<a href="mailto:a@b.fr">écrire</a>', "écrire (mailto:a@b.fr)"),
        ("<b><i>les deux</i></b>", "***les deux***"),
        ("<b>a</b><b>b</b>", "**ab**"),
        ("<b> espacé </b>!", " **espacé** !"),
        ("<b></b>vide", "vide"),
        ("a<br>b", "a\nb"),
        ("&lt;b&gt; &amp; &quot;", '\\<b> & "'),
        ("<blockquote>hors du sous-ensemble</blockquote>", "hors du sous-ensemble"),
    ],
)
def test_each_tag_of_the_subset_becomes_its_markdown(given: str, expected: str) -> None:
    assert markdown(given) == expected


HOSTILE = [
    "**x**",
    "__souligné__ et _penché_ ~~barré~~ ||spoiler||",
    "@everyone regardez",
    "@here",
    "<@123> et <@&456> et <#789> et <t:1700000000:R>",
    "`code` et ```bloc```",
    "[cliquez](https://evil.example) (pas un lien)",
    "\\*pas échappé\\*",
    "# titre\n## sous-titre\n-# petit\n- puce\n* puce\n> citation\n>>> bloc\n1. un\n+ plus",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_user_text_shows_literally_and_never_pings(text: str) -> None:
    rendered = markdown(f"<b>Message</b> :\n{user(text)}")

    assert rendered.startswith("**Message** :\n")
    body = rendered.removeprefix("**Message** :\n")
    assert shown(body) == text
    assert _LIVE.search(body) is None, body
    assert re.search(r"@(everyone|here)|<@[!&]?\d", body) is None
    for line in body.split("\n"):
        # Nothing starts a heading, a list or a quote.
        assert not re.match(r"\s*(#|-|\+|>|\*|\d+\.)", line), line


def test_user_text_in_a_link_and_in_code_stays_in_its_place() -> None:
    link = markdown(f'<a href="https://pne.example/q?a=1&amp;b=(2)">{user("[x](y)")}</a>')
    assert link == r"[\[x\]\(y\)](https://pne.example/q?a=1&b=%282%29)"

    assert markdown(f"<code>{user('@everyone <@1>')}</code>") == f"`@{ZWSP}everyone <@{ZWSP}1>`"
    assert markdown(f"<code>{user('a`b')}</code>") == "``a`b``"
    assert markdown(f"<code>{user('``x')}</code>") == r"\`\`x"  # no fence holds it
    block = markdown(f"<pre>{user('fin ``` @here')}</pre>")
    assert block == f"```\nfin ``{ZWSP}` @{ZWSP}here\n```"
    assert block.count("```") == 2


def test_a_catalog_message_reads_the_same() -> None:
    text = (
        "<b>Rappel</b> — sinistre <code>S-2026-0042</code> de <i>Camille L_</i> :\n"
        "2 déclarations attendues, depuis 48 h."
    )
    assert markdown(text) == (
        "**Rappel** — sinistre `S-2026-0042` de *Camille L\\_* :\n"
        "2 déclarations attendues, depuis 48 h."
    )


# -- split -----------------------------------------------------------------------------------


def balanced(part: str) -> bool:
    unescaped = _ESCAPE.sub("", part)
    return unescaped.count("**") % 2 == 0 and unescaped.count("```") % 2 == 0


def test_a_short_text_is_one_part() -> None:
    assert split("**court**") == ["**court**"]
    assert split("") == []


def test_a_long_bold_text_is_cut_at_line_breaks_and_bold_is_reopened() -> None:
    lines = [f"ligne {n:03} " + " ".join(["mot"] * 20) for n in range(60)]
    text = markdown("<b>" + "\n".join(lines) + "</b>")

    parts = split(text)

    assert len(parts) == 3
    assert all(len(part) <= 2000 for part in parts)
    assert all(part.startswith("**") and part.endswith("**") and balanced(part) for part in parts)
    # Nothing lost, nothing added but the delimiters: each part ends a line.
    rejoined = "\n".join(part.removeprefix("**").removesuffix("**") for part in parts)
    assert rejoined == "\n".join(lines)


def test_a_line_without_breaks_is_cut_between_words_and_a_word_inside() -> None:
    words = split("a " * 1500 + "# titre")
    assert all(len(part) <= 2000 for part in words)
    assert "".join(words).replace(" ", "").replace("\\", "") == "a" * 1500 + "#titre"
    assert not any(part.startswith(("#", " ")) for part in words)

    hard = split("x" * 4500)
    assert [len(part) for part in hard] == [2000, 2000, 500]


def test_a_cut_never_splits_an_escape_a_code_span_or_a_link() -> None:
    link = "[le dossier](https://pne.example/c/42)"
    text = " ".join([r"\*\*", "`SEM-0001`", link] * 300)

    parts = split(text, limit=500)

    assert all(len(part) <= 500 for part in parts)
    for part in parts:
        assert part.count("`") % 2 == 0
        assert part.count("[") == part.count("](") == part.count(")")
        assert not part.endswith("\\")
    assert " ".join(parts) == text


def test_a_code_block_cut_in_two_is_fenced_in_each_part() -> None:
    code = "\n".join(f"ligne {n}" for n in range(400))
    parts = split(markdown(f"avant\n<pre>{code}</pre>"))

    assert len(parts) >= 2 and all(len(part) <= 2000 for part in parts)
    assert all(balanced(part) for part in parts)
    assert parts[1].startswith("```\n")


def test_lengths_are_counted_in_characters() -> None:
    parts = split("é" * 1999 + " 🎉🎉")
    assert [len(part) for part in parts] == [1999, 2]


# -- buttons ---------------------------------------------------------------------------------


def test_buttons_carry_their_action_ids_row_by_row() -> None:
    rows = actions(
        [
            [("Déclaré", "clm:duty:42:police"), ("Assureur", "clm:duty:42:insurer")],
            [("Pièces", "clm:attach:42")],
        ]
    )

    view = components(rows)

    assert view is not None and view.timeout is None
    assert custom_ids(view) == ["clm:duty:42:police", "clm:duty:42:insurer", "clm:attach:42"]
    buttons = [item for item in view.children if isinstance(item, discord.ui.Button)]
    assert [b.row for b in buttons] == [0, 0, 1]
    assert [b.label for b in buttons] == ["Déclaré", "Assureur", "Pièces"]
    assert view.is_persistent()  # every id fixed: nothing random to lose at a restart
    assert [c["type"] for c in view.to_components()] == [1, 1]
    assert components(()) is None


def test_a_long_label_is_cut_with_an_ellipsis() -> None:
    view = components(actions([[("é" * 100, "a:b:1")]]))
    assert view is not None
    (button,) = view.children
    assert isinstance(button, discord.ui.Button)
    assert button.label == "é" * 79 + "…"


def test_more_than_discord_takes_is_a_programming_error() -> None:
    assert components(actions([[("ok", "i" * 100)]])) is not None
    with pytest.raises(ValueError, match="101 characters"):
        components(actions([[("trop", "i" * 101)]]))
    with pytest.raises(ValueError, match="6 rows"):
        components(actions([[(str(m * 5 + n), f"a:{m}:{n}") for n in range(5)] for m in range(6)]))
    with pytest.raises(ValueError, match="6 buttons"):
        components(actions([[(str(n), f"a:{n}") for n in range(6)]]))
    with pytest.raises(ValueError, match="twice"):
        components(((Button("a", "x:1"), Button("b", "x:1")),))


def test_more_than_five_rows_are_joined_in_order_where_they_fit() -> None:
    # A claim's agent notice: four duties, one per row, then the pledge and the files.
    rows = [[(f"duty {n}", f"clm:duty:1:{n}")] for n in range(4)]
    rows += [[("pledge", "clm:pledge:1")], [("files", "clm:attach:1")]]
    view = components(actions(rows))
    assert view is not None
    assert custom_ids(view) == [action for row in rows for _, action in row]
    buttons = [b for b in view.children if isinstance(b, discord.ui.Button)]
    assert [b.row for b in buttons] == [0, 0, 1, 2, 3, 4]


def _action_templates() -> list[str]:
    """Every action id the services build, from their source: f-strings and ``.format``
    templates of the ``ns:verb:…`` shape, each field at its widest (a 64-bit id: 20)."""
    found: list[str] = []
    shape = re.compile(r"^[a-z]{2,5}:[a-z_]+(:|$)")
    for path in sorted((ROOT / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                parts = [v.value if isinstance(v, ast.Constant) else "9" * 20 for v in node.values]
                text = "".join(str(p) for p in parts)
                if shape.match(text) and ":" in text:
                    found.append(text)
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and shape.match(node.value)
                and "{" in node.value
            ):
                found.append(re.sub(r"\{[^{}]*\}", "9" * 20, node.value))  # "ami:apply:{id}"
    return found


def test_every_kind_s_action_ids_fit_a_custom_id() -> None:
    # Two templates may give the same widest id (« stk:page:{page - 1} » and « + 1 »).
    templates = sorted(set(_action_templates()))
    namespaces = {t.split(":")[0] for t in templates}
    assert {"clm", "col", "ntc", "ami", "cert", "stk", "rnd", "hold", "tk"} <= namespaces

    for index in range(0, len(templates), 5):
        row = [(f"b{n}", t) for n, t in enumerate(templates[index : index + 5])]
        view = components(actions([row]))
        assert custom_ids(view) == [t for _, t in row]
    assert max(len(t) for t in templates) <= 100


def _markup_left(part: str) -> str:
    """The markup Discord would read in a part: escapes and code spans taken out."""
    text = re.sub(r"```[\w+-]*\n[\s\S]*?```", "", part)
    text = _ESCAPE.sub("", text)
    return re.sub(r"``[^\n]*?``(?!`)|`[^`\n]+`", "", text)


@pytest.mark.parametrize("seed", range(4))
def test_random_catalog_texts_with_hostile_user_text_split_balanced(seed: int) -> None:
    """Any mix of the subset's tags around hostile text: parts within the limit, each with
    its markup closed, nothing that pings."""
    rnd = random.Random(seed)
    alphabet = [*"abc de\n\n*_~`|[]()<>#-+1.", "@everyone", "<@12>", "é", "🎉", "mot "]
    for _ in range(100):
        pieces = []
        for _ in range(rnd.randint(1, 40)):
            text = user("".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 60))))
            tag = rnd.choice(["", "b", "i", "u", "s", "code", "pre", "a", "bi"])
            if tag == "":
                pieces.append(text)
            elif tag == "bi":
                pieces.append(f"<b>x<i>{text}</i></b>")
            elif tag == "a":
                pieces.append(f'<a href="https://pne.example/{rnd.randint(0, 9)}">{text}</a>')
            else:
                pieces.append(f"<{tag}>{text}</{tag}>")
        rendered = markdown("".join(pieces))
        limit = rnd.choice([300, 500, 2000])

        parts = split(rendered, limit)

        assert parts
        for part in parts:
            assert len(part) <= limit
            left = _markup_left(part)
            assert "```" not in left, part
            for mark in ("*", "~", "_", "|"):
                assert left.count(mark) % 2 == 0, (mark, part)
            assert re.search(r"@(everyone|here)|<@[!&]?\d", part) is None
