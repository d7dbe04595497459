"""The catalogs' markup as Discord sees it: markdown, messages within 2,000 characters, buttons.

The services speak the catalogs' small HTML subset (``<b> <i> <u> <s> <code> <pre>
<a href>``, user text already HTML-escaped, see :mod:`bot.services.delivery`). Discord
speaks markdown, where user text must be escaped the other way round: every character
Discord would read as markup (``\\ * _ ~ ` |``, ``[ ]`` of a masked link, ``<`` of a
``<@id>`` mention or a ``<t:…>`` timestamp, ``# - + >`` and ``1.`` at a line's start) is
escaped with a backslash, and ``@everyone``/``@here``/``<@…`` get a zero-width space
after the ``@`` so that they can never ping (the sender also passes no allowed mentions).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import discord

from bot.services.delivery import Actions, Button

MAX_CONTENT = 2000  # a bot's message content (the OpenAPI file says 4,000; the docs win)
MAX_CUSTOM_ID = 100
MAX_LABEL = 80
MAX_ROWS = 5
MAX_PER_ROW = 5

ZWSP = "\u200b"

# Inline markup of the subset, as Discord markdown.
_DELIMITERS = {"b": "**", "strong": "**", "i": "*", "em": "*", "u": "__", "s": "~~"}
_DELIMITERS |= {"strike": "~~", "del": "~~"}
_VOID = {"br"}

# Characters Discord markdown reads anywhere in a line.
_INLINE = re.compile(r"([\\*_~`|\[\]<])")
# In a masked link's text, its parentheses too.
_LINK_TEXT = re.compile(r"([\\*_~`|\[\]<()])")
# What makes a line a heading, a subtext, a list item or a quote.
_LINE_MARKER = re.compile(r"^([ \t]*)(?:([#>+-])|(\d+)\.)")
_PINGS = re.compile(r"@(?=everyone|here)|(?<=<)@")
# A run of three backticks would close a code block.
_FENCE = re.compile(r"``(?=`)")


# ------------------------------------------------------------------------------ markdown


@dataclass
class _Node:
    tag: str  # "" for the root
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[_Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


class _TreeBuilder(HTMLParser):
    """The subset as a tree; entities are unescaped (``convert_charrefs``), unknown tags
    kept as nodes whose text is rendered, stray closing tags ignored."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("")
        self._stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(tag, {k: v or "" for k, v in attrs})
        self._stack[-1].children.append(node)
        if tag not in _VOID:
            self._stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._stack[-1].children.append(_Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._stack) - 1, 0, -1):
            if self._stack[depth].tag == tag:
                del self._stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        children = self._stack[-1].children
        if children and isinstance(children[-1], str):
            children[-1] += data  # one text node, so that « <@1 » is seen whole
        else:
            children.append(data)


def _line_start(text: str) -> str:
    """``# x``, ``- x``, ``> x``, ``1. x`` at a line's start, escaped (``1\\.`` keeps the
    number: a backslash before a digit would show)."""

    def escape(match: re.Match[str]) -> str:
        if match[2]:
            return f"{match[1]}\\{match[2]}"
        return f"{match[1]}{match[3]}\\."

    return _LINE_MARKER.sub(escape, text, count=1)


def _unping(text: str) -> str:
    return _PINGS.sub("@" + ZWSP, text)


class _Renderer:
    def __init__(self) -> None:
        self.out: list[str] = []
        self._line = ""  # what this line holds so far
        self._closed = False  # the last piece emitted closed a span
        self.in_link = False

    def emit(self, piece: str) -> None:
        if not piece:
            return
        self._closed = False  # set by span() right after a closing delimiter
        self.out.append(piece)
        cut = piece.rfind("\n")
        self._line = piece[cut + 1 :] if cut >= 0 else self._line + piece

    def _apart(self, delimiter: str) -> None:
        """A zero-width space between a span just closed and one opening with the same
        character: ``*a*`` then ``**b**`` is not ``*a***b**``, two codes not ``` ``` ```."""
        if self.out and self.out[-1].endswith(delimiter[0]):
            self.emit(ZWSP)

    def at_line_start(self) -> bool:
        """Only blanks and inline delimiters before: a marker here would start the line."""
        return not self._line.strip(" \t*_~")

    def text(self, data: str, pattern: re.Pattern[str]) -> None:
        for index, line in enumerate(data.split("\n")):
            if index:
                self.emit("\n")
            escaped = _unping(pattern.sub(r"\\\1", line))
            if self.at_line_start():
                escaped = _line_start(escaped)
            self.emit(escaped)

    def node(self, node: _Node, pattern: re.Pattern[str] = _INLINE) -> None:
        for child in node.children:
            if isinstance(child, str):
                self.text(child, pattern)
            else:
                self.element(child, pattern)

    def element(self, node: _Node, pattern: re.Pattern[str]) -> None:
        tag = node.tag
        if tag == "br":
            self.emit("\n")
        elif tag in _DELIMITERS:
            self.span(node, _DELIMITERS[tag], pattern)
        elif tag == "code":
            self.code(node.text())
        elif tag == "pre" and not self.in_link:
            self.block(node)
        elif tag == "a":
            self.link(node)
        else:  # a tag outside the subset: its text only
            self.node(node, pattern)

    def span(self, node: _Node, delimiter: str, pattern: re.Pattern[str]) -> None:
        inner = _Renderer()
        inner._line = self._line + delimiter
        inner.in_link = self.in_link
        inner.node(node, pattern)
        content = "".join(inner.out)
        body = content.strip(" \t\n")
        if not body:
            self.emit(content)  # an empty pair would show as ** in the text
            return
        lead = content[: len(content) - len(content.lstrip(" \t\n"))]
        trail = content[len(content.rstrip(" \t\n")) :]
        self.emit(lead)
        if self.out and self.out[-1] == delimiter and self._closed and not lead:
            # </b><b>: one span, not **a****b** (which Discord misreads).
            self.out.pop()
        else:
            self._apart(delimiter)
            self.emit(delimiter)
        self.emit(body)
        self.emit(delimiter)
        self._closed = True
        self.emit(trail)

    def code(self, content: str) -> None:
        if not content:
            return
        if "\n" in content:
            # Inline code is one line: one span per line.
            for index, line in enumerate(content.split("\n")):
                if index:
                    self.emit("\n")
                self.code(line)
            return
        if self.in_link:
            # A masked link's text ends at the first « ] »: no raw text in it.
            self.text(content, _LINK_TEXT)
            return
        content = _unping(content)
        self._apart("`")
        if "`" not in content:
            self.emit(f"`{content}`")
        elif "``" not in content and not content.startswith("`") and not content.endswith("`"):
            self.emit(f"``{content}``")
        else:
            # No inline fence can hold it: the text, escaped, without monospace.
            self.text(content, _INLINE)

    def block(self, node: _Node) -> None:
        language = ""
        for child in node.children:
            if isinstance(child, _Node) and child.tag == "code":
                found = re.search(r"language-([\w+-]+)", child.attrs.get("class", ""))
                language = found[1] if found else ""
        content = _FENCE.sub("``" + ZWSP, _unping(node.text())).strip("\n")
        if not self.at_line_start():
            self.emit("\n")
        self.emit(f"```{language}\n{content}\n```")

    def link(self, node: _Node) -> None:
        href = node.attrs.get("href", "").strip()
        label = node.text()
        if not href:
            self.node(node)
            return
        url = quote(href, safe="/:?#[]@!$&'+,;=%-._~")  # spaces, <>, (), * and " encoded
        if label.strip() == href or not label.strip():
            self.emit(url)  # a bare URL: Discord makes it a link itself
            return
        if not href.lower().startswith(("http://", "https://")):
            # Masked links take http(s) only.
            self.node(node)
            self.emit(f" ({url})")
            return
        inner = _Renderer()
        inner._line = "["  # never a line start inside a link
        inner.in_link = True
        inner.node(node, _LINK_TEXT)
        self.emit(f"[{''.join(inner.out)}]({url})")


def markdown(html: str) -> str:
    """The catalogs' HTML subset as Discord markdown, user text shown as typed."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    renderer = _Renderer()
    renderer.node(builder.root)
    return "".join(renderer.out)


# ------------------------------------------------------------------------------ split


# One piece of markdown: an escape, a code block, inline code, a masked link, a run of
# inline delimiters, a line break, blanks, or other text.
_PIECE = re.compile(
    r"""
      (?P<escape>\\[^\sA-Za-z0-9])
    | (?P<block>```(?P<lang>[\w+-]*)\n(?P<body>[\s\S]*?)```)
    | (?P<code>``[^`\n][^\n]*?``(?!`)|`[^`\n]+`)
    | (?P<link>\[(?:\\.|[^\]\\\n])*\]\([^\s)]+\))
    | (?P<delims>(?:\*|__|~~|\|\|)+)
    | (?P<newline>\n)
    | (?P<space>[ \t]+)
    | (?P<word>[^\\`\[*_~|\n \t]+|[\\`\[_~|])
    """,
    re.VERBOSE,
)
_OPENERS = ("**", "__", "~~", "||", "*")


@dataclass(frozen=True)
class _Piece:
    kind: str
    text: str


def _pieces(text: str) -> list[_Piece]:
    pieces: list[_Piece] = []
    for match in _PIECE.finditer(text):
        kind = match.lastgroup or "word"
        if kind == "lang" or kind == "body":  # pragma: no cover - inner groups
            kind = "block"
        if kind == "block":
            # Long blocks are cut at their lines: one piece per line, fenced by the stack.
            lang, body = match["lang"], match["body"]
            pieces.append(_Piece("open_block", f"```{lang}\n"))
            lines = body.split("\n")
            if lines and lines[-1] == "":
                lines.pop()
                closing = "\n```"
            else:
                closing = "```"
            for index, line in enumerate(lines):
                if index:
                    pieces.append(_Piece("newline", "\n"))
                if line:
                    pieces.append(_Piece("word", line))
            pieces.append(_Piece("close_block", closing))
            continue
        if kind == "delims":
            kind = "delim"  # a run (« *** ») is one piece: read against the open ones
        pieces.append(_Piece(kind, match[0]))
    return pieces


@dataclass
class _State:
    """The markup open at a point: inline delimiters (in order) and a code block's fence."""

    inline: tuple[str, ...] = ()
    block: str | None = None

    def after(self, piece: _Piece) -> _State:
        if piece.kind == "open_block":
            return _State(self.inline, piece.text)
        if piece.kind == "close_block":
            return _State(self.inline, None)
        if piece.kind == "delim" and self.block is None:
            # A run closes what it can of the innermost spans, then opens the rest:
            # « *** » after « ** » and « * » closes both.
            stack, run = list(self.inline), piece.text
            while run:
                if stack and run.startswith(stack[-1]):
                    run = run[len(stack.pop()) :]
                    continue
                opener = next(d for d in _OPENERS if run.startswith(d))
                stack.append(opener)
                run = run[len(opener) :]
            return _State(tuple(stack), None)
        return self

    def closing(self) -> str:
        fence = "\n```" if self.block is not None else ""
        return fence + "".join(reversed(self.inline))

    def opening(self) -> str:
        return "".join(self.inline) + (self.block or "")


def _visible(text: str) -> bool:
    return bool(re.sub(r"\*|__|~~|\|\||```[\w+-]*\n?|\s", "", text))


def split(text: str, limit: int = MAX_CONTENT) -> list[str]:
    """Cut a long markdown text into messages of at most ``limit`` characters.

    Cuts at a line break when there is one, else between words, else inside a word; never
    inside an escape, inline code or a masked link (unless one alone is longer than a
    part); a ``**`` (or ``*``, ``__``, ``~~``, ``||``, a code block) open at a cut is closed
    at the end of the part and opened again at the start of the next, so that each part
    reads as the whole would have. Lengths are counted in characters, as Discord does.
    """
    if len(text) <= limit:
        return [text] if _visible(text) else []
    chunks: list[str] = []
    pieces = _pieces(text)
    start = _State()
    held: list[tuple[_Piece, _State]] = []  # this part's pieces, each with the state after
    mid_line = False  # the next part starts inside a line (a cut at a space or in a word)
    size = 0  # len(content()), kept as pieces come

    def content(upto: int | None = None) -> str:
        return start.opening() + "".join(p.text for p, _ in held[:upto])

    def state_at(upto: int) -> _State:
        return held[upto - 1][1] if upto else start

    def flush(upto: int, skip: int) -> None:
        """End the part before ``held[upto]``; drop ``skip`` separators after it."""
        nonlocal start, held, mid_line, size
        state = state_at(upto)
        at_space = skip > 0 and held[upto][0].kind == "space"
        end = upto
        while end > 0 and held[end - 1][0].kind == "space":
            end -= 1  # « mot ** » would not read as bold, « mot * » not as italics
        chunks.append(content(end) + state.closing())
        held = held[upto + skip :]
        while held and held[0][0].kind == "space":
            held.pop(0)
        start = state
        if at_space and held:
            # The next part's first word starts a line now.
            first, after = held[0]
            if first.kind == "word" and _bare(start):
                held[0] = (_Piece("word", _line_start(first.text)), after)
        else:
            mid_line = at_space
        size = len(content())

    index = 0
    while index < len(pieces):
        piece = pieces[index]
        previous = state_at(len(held))
        if mid_line and not held and piece.kind == "word" and _bare(previous):
            piece = _Piece("word", _line_start(piece.text))
        state = previous.after(piece)
        if size + len(piece.text) + len(state.closing()) <= limit:
            held.append((piece, state))
            size += len(piece.text)
            mid_line = False
            index += 1
            continue
        current = content()
        cut = _last(held, "newline", content)
        if cut is not None:
            flush(cut, 1)
            continue
        cut = _last(held, "space", content)
        if cut is not None:
            flush(cut, 1)
            continue
        if _visible(current):
            flush(len(held), 0)
            if piece.kind in ("newline", "space"):
                index += 1  # the separator is the cut
            mid_line = piece.kind != "newline"
            continue
        # Alone in its part and still too long: cut the piece itself, as text.
        room = limit - len(current) - len(previous.closing())
        if room <= 0 or piece.kind in ("delim", "open_block", "close_block"):
            # A limit smaller than the markup itself: keep it rather than loop.
            held.append((piece, state))
            size += len(piece.text)
            index += 1
            continue
        pieces[index : index + 1] = [
            _Piece("word", piece.text[:room]),
            _Piece("word", piece.text[room:]),
        ]
        held.append((pieces[index], previous))
        flush(len(held), 0)
        mid_line = True
        index += 1
    if held:
        chunks.append(content() + held[-1][1].closing())
    return [chunk for chunk in chunks if _visible(chunk)]


def _bare(state: _State) -> bool:
    return not state.inline and state.block is None


def _last(held: Sequence[tuple[_Piece, _State]], kind: str, content: Any) -> int | None:
    """The last separator of ``kind`` with something visible before it."""
    for index in range(len(held) - 1, -1, -1):
        if held[index][0].kind == kind and _visible(content(index)):
            return index
    return None


# ------------------------------------------------------------------------------ buttons


def _label(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def components(actions: Actions, *, limit_label: int = MAX_LABEL) -> discord.ui.View | None:
    """The neutral buttons as a view of inert buttons, one action row per row (more than 5
    rows: neighbours joined, ``_packed``).

    Each button's ``custom_id`` is its action id: the front end dispatches a tap by it
    (the view is never stored, so discord.py calls no callback of its own). Labels are
    cut to ``limit_label`` characters with « … ». An action id over 100 characters, more
    than 5 rows, more than 5 buttons in a row or the same id twice is a programming
    error: :class:`ValueError`. Rows beyond 5 are first joined where they fit.
    """
    rows = _packed([tuple(row) for row in actions if row])
    if not rows:
        return None
    if len(rows) > MAX_ROWS:
        raise ValueError(f"{len(rows)} rows of buttons: Discord takes {MAX_ROWS}")
    view = discord.ui.View(timeout=None)
    seen: set[str] = set()
    for number, row in enumerate(rows):
        if len(row) > MAX_PER_ROW:
            raise ValueError(f"{len(row)} buttons in a row: Discord takes {MAX_PER_ROW}")
        for button in row:
            _check(button, seen)
            view.add_item(
                discord.ui.Button(
                    label=_label(button.label, limit_label),
                    custom_id=button.action,
                    style=discord.ButtonStyle.secondary,
                    row=number,
                )
            )
    return view


def _packed(rows: list[tuple[Button, ...]]) -> list[tuple[Button, ...]]:
    """Telegram's keyboards may have more than 5 rows (a claim's duties, one per row):
    neighbouring rows are joined, the shortest pair first, until 5 rows remain (each of
    at most 5 buttons), so the buttons keep their order."""
    rows = list(rows)
    while len(rows) > MAX_ROWS:
        pairs = [
            (len(rows[i]) + len(rows[i + 1]), i)
            for i in range(len(rows) - 1)
            if len(rows[i]) + len(rows[i + 1]) <= MAX_PER_ROW
        ]
        if not pairs:
            break  # more than 25 buttons: refused below
        _, i = min(pairs)
        rows[i : i + 2] = [rows[i] + rows[i + 1]]
    return rows


def _check(button: Button, seen: set[str]) -> None:
    if not 1 <= len(button.action) <= MAX_CUSTOM_ID:
        raise ValueError(
            f"action id of {len(button.action)} characters (Discord takes 1 to"
            f" {MAX_CUSTOM_ID}): {button.action[:40]!r}…"
        )
    if button.action in seen:
        raise ValueError(f"action id {button.action!r} twice in one message")
    seen.add(button.action)


def custom_ids(view: discord.ui.View | None) -> list[str]:
    """The custom ids of a view's buttons, in order (for logs and tests)."""
    if view is None:
        return []
    return [
        item.custom_id
        for item in view.children
        if isinstance(item, discord.ui.Button) and item.custom_id is not None
    ]


__all__: Sequence[str] = ["MAX_CONTENT", "components", "custom_ids", "markdown", "split"]
