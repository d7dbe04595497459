"""Telegram HTML parse_mode checker of the offline Bot API."""

from __future__ import annotations

import pytest

from handlers.telegram.offline import HTMLParseError, parse_html, parse_html_entities, utf16_len


@pytest.mark.parametrize(
    ("source", "visible"),
    [
        ("plain text", "plain text"),
        ("<b>bold</b> and <i>italic</i>", "bold and italic"),
        ("<strong>a</strong><em>b</em><u>c</u><ins>d</ins>", "abcd"),
        ("<s>a</s><strike>b</strike><del>c</del>", "abc"),
        ('<span class="tg-spoiler">secret</span> <tg-spoiler>too</tg-spoiler>', "secret too"),
        ('<a href="https://example.org/?a=1&amp;b=2">link</a>', "link"),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
        ('<pre><code class="language-python">print(1 &lt; 2)</code></pre>', "print(1 < 2)"),
        ("<code>x</code>", "x"),
        ("<blockquote>quote</blockquote><blockquote expandable>more</blockquote>", "quotemore"),
        ("&lt;b&gt; &amp; &quot;", '<b> & "'),
        ("&#65;&#x42;&#X43;", "ABC"),
        ("1 > 0", "1 > 0"),
        ("<B>upper</B>", "upper"),
        ("<b><i>nested</i></b>", "nested"),
        ("<b>closed by empty end tag</>", "closed by empty end tag"),
        ("<a href=example.org>token</a>", "token"),
        ("<b >spaces</b >", "spaces"),
    ],
)
def test_accepted_html_gives_the_visible_text(source: str, visible: str) -> None:
    assert parse_html(source) == visible


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<script>alert(1)</script>", 'Unsupported start tag "script" at byte offset 0'),
        ("<p>paragraph</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("<br/>", 'Unsupported start tag "br/" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("é < 2", 'Unsupported start tag "" at byte offset 3'),  # offsets are in UTF-8 bytes
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<span class="other">x</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("<tg-emoji>x</tg-emoji>", "Invalid custom emoji identifier specified"),
        ('<tg-emoji emoji-id="abc">x</tg-emoji>', "Invalid custom emoji identifier specified"),
        ("R&D", 'Unsupported HTML entity "&D" at byte offset 1'),
        ("a & b", 'Unsupported HTML entity "&" at byte offset 2'),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;"'),
        ("&#0;", "Unsupported HTML entity"),
        ("&#xD800;", "Unsupported HTML entity"),
        ("<a href=https://x.org/a?b>x</a>", "Unexpected end of name token at byte offset 8"),
    ],
)
def test_refused_html_gives_telegram_reason(source: str, reason: str) -> None:
    with pytest.raises(HTMLParseError) as excinfo:
        parse_html(source)
    assert reason in str(excinfo.value)


def test_raw_ampersand_is_tolerated_when_not_strict() -> None:
    # What the server really does; the default enforces the documented rule instead.
    assert parse_html("R&D &amp co", strict_ampersand=False) == "R&D & co"


def test_entities_have_utf16_offsets() -> None:
    parsed = parse_html_entities("😀 <b>gras</b> <i><u>x</u></i>")
    assert parsed.text == "😀 gras x"
    assert parsed.entities == [
        {"offset": 3, "length": 4, "type": "bold"},
        {"offset": 8, "length": 1, "type": "italic"},
        {"offset": 8, "length": 1, "type": "underline"},
    ]


def test_entity_kinds() -> None:
    parsed = parse_html_entities(
        '<a href="https://example.org">l</a><tg-spoiler>s</tg-spoiler>'
        '<pre><code class="language-py">c</code></pre><blockquote expandable>q</blockquote>'
        '<tg-emoji emoji-id="42">e</tg-emoji>'
    )
    assert parsed.entities == [
        {"offset": 0, "length": 1, "type": "text_link", "url": "https://example.org"},
        {"offset": 1, "length": 1, "type": "spoiler"},
        {"offset": 2, "length": 1, "type": "pre", "language": "py"},
        {"offset": 3, "length": 1, "type": "expandable_blockquote"},
        {"offset": 4, "length": 1, "type": "custom_emoji", "custom_emoji_id": "42"},
    ]


def test_empty_tags_make_no_entity() -> None:
    assert parse_html_entities("a<b></b>b").entities == []


def test_utf16_len_counts_astral_characters_twice() -> None:
    assert utf16_len("abc") == 3
    assert utf16_len("é") == 1
    assert utf16_len("😀") == 2
