"""Telegram's HTML ``parse_mode``, checked the way the Bot API server does it.

The parser follows the algorithm of TDLib's ``parse_html`` (the code behind the Bot API
server): the same tags, the same entity decoding and the same error messages, with byte
offsets counted in UTF-8 like Telegram. One deliberate difference: Telegram keeps a raw ``&``
that does not start a supported entity as a literal character, while its documentation says
that every ``&`` must be escaped; by default (``strict_ampersand=True``) this module enforces the
documented rule and refuses it, so that a bot that forgets to escape user input is caught.

Supported tags: ``b``/``strong``, ``i``/``em``, ``u``/``ins``, ``s``/``strike``/``del``,
``span class="tg-spoiler"``, ``tg-spoiler``, ``a href``, ``tg-emoji emoji-id``, ``code``
(``class="language-x"`` inside ``pre``), ``pre`` and ``blockquote`` (optionally
``expandable``).  Supported entities: ``&lt;``, ``&gt;``, ``&amp;``, ``&quot;`` and numeric
ones (``&#NNN;``, ``&#xHH;``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

__all__ = [
    "HTMLParseError",
    "ParsedHTML",
    "parse_html",
    "parse_html_entities",
    "utf16_len",
]

_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = " \t\n\r\f\v"
_MAX_CODE_POINT = 0x10FFFF
_SPECIAL = re.compile("[&<]")  # where plain text ends: an entity or a tag


class HTMLParseError(ValueError):
    """Text refused by Telegram's HTML parser.

    ``str(error)`` is the reason as Telegram words it, e.g.
    ``Unsupported start tag "script" at byte offset 0``; the Bot API prefixes it with
    ``Bad Request: can't parse entities: ``.
    """


@dataclass(frozen=True)
class ParsedHTML:
    """The visible text of an HTML message and its entities (offsets in UTF-16 units)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _OpenTag:
    name: str
    argument: str
    expandable: bool
    utf16_offset: int
    text_index: int
    byte_offset: int
    code_language: str | None = None


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts (characters beyond U+FFFF count 2)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def parse_html(text: str, *, strict_ampersand: bool = True) -> str:
    """The plain text a user sees for ``text`` sent with ``parse_mode="HTML"``.

    Raises:
        HTMLParseError: if Telegram would refuse the text.
    """
    return parse_html_entities(text, strict_ampersand=strict_ampersand).text


def parse_html_entities(text: str, *, strict_ampersand: bool = True) -> ParsedHTML:
    """Parse ``text`` like Telegram: visible text plus ``MessageEntity`` dicts.

    Raises:
        HTMLParseError: if Telegram would refuse the text.
    """
    visible, entities = _parsed(text, strict_ampersand)
    return ParsedHTML(visible, [dict(entity) for entity in entities])


@lru_cache(maxsize=256)
def _parsed(text: str, strict_ampersand: bool) -> tuple[str, tuple[dict[str, Any], ...]]:
    """One parse per text: the validator checks a message and the API then stores it, from
    the same parse (a refusal raises each time, it is not kept)."""
    parsed = _Parser(text, strict_ampersand=strict_ampersand).run()
    return parsed.text, tuple(parsed.entities)


class _Parser:
    def __init__(self, text: str, *, strict_ampersand: bool) -> None:
        self.src = text
        self.strict_ampersand = strict_ampersand
        self.pos = 0
        self.out: list[str] = []
        self.utf16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    # -- helpers -----------------------------------------------------------------------------

    def char(self, index: int) -> str:
        """The character at ``index``, or ``""`` past the end (TDLib's NUL terminator)."""
        return self.src[index] if index < len(self.src) else ""

    def byte_offset(self, index: int) -> int:
        return len(self.src[:index].encode("utf-8", "surrogatepass"))

    def emit(self, chars: str) -> None:
        self.out.append(chars)
        self.utf16 += utf16_len(chars)

    def decode_entity(self, index: int) -> tuple[str, int] | None:
        """Decode the HTML entity starting at ``index`` (an ``&``) like TDLib.

        Returns the decoded character and the index after the entity, or ``None`` when the
        ``&`` does not start a supported entity.  The closing ``;`` is optional, as in TDLib.
        """
        end = index + 1
        if self.char(end) == "#":
            end += 1
            value = 0
            digits = 0
            if self.char(end) in ("x", "X"):
                end += 1
                while (c := self.char(end)) and c in "0123456789abcdefABCDEF":
                    value = value * 16 + int(c, 16)
                    digits += 1
                    end += 1
                    if value >= _MAX_CODE_POINT:
                        return None
            else:
                while (c := self.char(end)) and c in "0123456789":
                    value = value * 10 + int(c)
                    digits += 1
                    end += 1
                    if value >= _MAX_CODE_POINT:
                        return None
            if digits == 0 or value == 0 or 0xD800 <= value <= 0xDFFF:
                return None
            decoded = chr(value)
        else:
            while (c := self.char(end)) and c.isascii() and c.isalpha():
                end += 1
            name = self.src[index + 1 : end]
            if name not in _NAMED_ENTITIES:
                return None
            decoded = _NAMED_ENTITIES[name]
        if self.char(end) == ";":
            end += 1
        return decoded, end

    def skip_spaces(self) -> None:
        while (c := self.char(self.pos)) and c in _SPACES:
            self.pos += 1

    # -- main loop ---------------------------------------------------------------------------

    def run(self) -> ParsedHTML:
        while self.pos < len(self.src):
            c = self.src[self.pos]
            if c == "&":
                decoded = self.decode_entity(self.pos)
                if decoded is not None:
                    self.emit(decoded[0])
                    self.pos = decoded[1]
                    continue
                if self.strict_ampersand:
                    snippet = self.src[self.pos : self.pos + 12].split()[0]
                    raise HTMLParseError(
                        f'Unsupported HTML entity "{snippet}" at byte offset '
                        f'{self.byte_offset(self.pos)}: a raw "&" must be escaped as "&amp;"'
                    )
            if c != "<":
                # Plain text up to the next entity or tag, emitted at once.
                found = _SPECIAL.search(self.src, self.pos + 1)
                end = found.start() if found else len(self.src)
                self.emit(self.src[self.pos : end])
                self.pos = end
                continue
            if self.char(self.pos + 1) == "/":
                self.close_tag()
            else:
                self.open_tag()
        if self.stack:
            raise HTMLParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        self.entities.sort(key=lambda entity: (entity["offset"], -entity["length"], entity["type"]))
        return ParsedHTML("".join(self.out), self.entities)

    def open_tag(self) -> None:
        begin = self.pos
        begin_bytes = self.byte_offset(begin)
        self.pos += 1
        while (c := self.char(self.pos)) and c not in _SPACES and c != ">":
            self.pos += 1
        if not self.char(self.pos):
            raise HTMLParseError(f"Unclosed start tag at byte offset {begin_bytes}")
        name = self.src[begin + 1 : self.pos].lower()
        if name not in _TAGS:
            raise HTMLParseError(f'Unsupported start tag "{name}" at byte offset {begin_bytes}')

        argument = ""
        expandable = False
        while self.char(self.pos) != ">":
            self.skip_spaces()
            if self.char(self.pos) == ">":
                break
            if not self.char(self.pos):
                raise HTMLParseError(f"Unclosed start tag at byte offset {begin_bytes}")
            attr_begin = self.pos
            while (c := self.char(self.pos)) and c not in _SPACES and c not in "=>":
                self.pos += 1
            attribute = self.src[attr_begin : self.pos].lower()
            if not attribute:
                raise HTMLParseError(
                    f'Empty attribute name in the tag "{name}" at byte offset {begin_bytes}'
                )
            self.skip_spaces()
            if self.char(self.pos) != "=":
                if not self.char(self.pos):
                    raise HTMLParseError(
                        f'Unclosed start tag "{name}" at byte offset {begin_bytes}'
                    )
                if name == "blockquote" and attribute == "expandable":
                    expandable = True
                continue
            self.pos += 1
            self.skip_spaces()
            if not self.char(self.pos):
                raise HTMLParseError(f'Unclosed start tag "{name}" at byte offset {begin_bytes}')
            value = self.attribute_value()
            if not self.char(self.pos):
                raise HTMLParseError(f"Unclosed start tag at byte offset {begin_bytes}")
            if name == "a" and attribute == "href":
                argument = value
            elif name == "code" and attribute == "class" and value.startswith("language-"):
                argument = value.removeprefix("language-")
            elif name == "span" and attribute == "class" and value.startswith("tg-"):
                argument = value.removeprefix("tg-")
            elif name == "tg-emoji" and attribute == "emoji-id":
                argument = value
            elif name == "blockquote" and attribute == "expandable":
                expandable = True

        if name == "span" and argument != "spoiler":
            raise HTMLParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {begin_bytes}'
            )
        self.pos += 1  # the ">"
        self.stack.append(
            _OpenTag(
                name=name,
                argument=argument,
                expandable=expandable,
                utf16_offset=self.utf16,
                text_index=len(self.out),
                byte_offset=begin_bytes,
            )
        )

    def attribute_value(self) -> str:
        """Read an attribute value: a quoted string (entities decoded) or a name token."""
        quote = self.char(self.pos)
        if quote not in ("'", '"'):
            token_begin = self.pos
            while (c := self.char(self.pos)) and ((c.isascii() and c.isalnum()) or c in ".-"):
                self.pos += 1
            c = self.char(self.pos)
            if c and c not in _SPACES and c != ">":
                raise HTMLParseError(
                    f"Unexpected end of name token at byte offset {self.byte_offset(token_begin)}"
                )
            return self.src[token_begin : self.pos].lower()
        self.pos += 1
        value: list[str] = []
        while (c := self.char(self.pos)) and c != quote:
            if c == "&" and (decoded := self.decode_entity(self.pos)) is not None:
                value.append(decoded[0])
                self.pos = decoded[1]
                continue
            value.append(c)
            self.pos += 1
        if self.char(self.pos) == quote:
            self.pos += 1
        return "".join(value)

    def close_tag(self) -> None:
        begin = self.pos
        begin_bytes = self.byte_offset(begin)
        if not self.stack:
            raise HTMLParseError(f"Unexpected end tag at byte offset {begin_bytes}")
        self.pos += 2
        name_begin = self.pos
        while (c := self.char(self.pos)) and c not in _SPACES and c != ">":
            self.pos += 1
        end_name = self.src[name_begin : self.pos].lower()
        self.skip_spaces()
        if self.char(self.pos) != ">":
            raise HTMLParseError(f"Unclosed end tag at byte offset {begin_bytes}")
        self.pos += 1
        opened = self.stack[-1]
        if end_name and end_name != opened.name:
            raise HTMLParseError(
                f'Unmatched end tag at byte offset {begin_bytes}, expected "</{opened.name}>", '
                f'found "</{end_name}>"'
            )
        self.stack.pop()
        self.add_entity(opened)

    def add_entity(self, opened: _OpenTag) -> None:
        offset = opened.utf16_offset
        length = self.utf16 - offset
        if opened.name == "tg-emoji" and (
            not opened.argument.isdigit() or int(opened.argument) == 0
        ):
            raise HTMLParseError("Invalid custom emoji identifier specified")
        if length <= 0:
            return
        entity: dict[str, Any] = {"offset": offset, "length": length}
        if opened.name == "a":
            url = opened.argument or "".join(self.out[opened.text_index :])
            entity.update(type="text_link", url=url)
        elif opened.name == "tg-emoji":
            entity.update(type="custom_emoji", custom_emoji_id=opened.argument)
        elif opened.name == "blockquote":
            entity["type"] = "expandable_blockquote" if opened.expandable else "blockquote"
        elif opened.name == "code" and self.stack and self.stack[-1].name == "pre":
            # <pre><code class="language-x">: the language goes to the pre entity.
            if opened.argument:
                self.stack[-1].code_language = opened.argument
            if self.stack[-1].utf16_offset == offset:
                return
            entity["type"] = "code"
        elif opened.name == "pre":
            entity["type"] = "pre"
            if opened.code_language:
                entity["language"] = opened.code_language
        else:
            entity["type"] = _ENTITY_TYPES[opened.name]
        self.entities.append(entity)
