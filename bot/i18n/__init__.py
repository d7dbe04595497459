"""Messages and formats in the user's language (French by default, English on request).

Catalogs are gettext ``.po`` files under ``locales/<lang>/LC_MESSAGES/``; every file of
a language is read and merged, so that each feature keeps its messages in its own file.
Message ids are stable keys (``registration.welcome``); the texts are Telegram HTML.

A message that depends on a number is a gettext plural entry (``msgid_plural`` and
``msgstr[n]``): :meth:`I18n.t` picks the form for its ``count`` parameter (or
:meth:`I18n.tn` for another number) by the language's plural rule, Babel's: in French
0 and 1 take the singular (« 0 dossier », « 1 dossier », « 2 dossiers »).

Values passed to :meth:`I18n.t` are HTML-escaped unless wrapped in :class:`Safe`: user
text can never inject markup, and a forgotten escape is impossible by construction. A
:class:`~bot.domain.errors.Term` (a field's name in a refusal) is shown as its own message
in the reader's language, so that no internal name (``asset_tag``) reaches a person.
"""

from __future__ import annotations

import gettext
import html
import logging
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_format_date
from babel.dates import format_datetime as _babel_format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_currency

from bot.domain.errors import Term, Terms

log = logging.getLogger(__name__)

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
_LOCALES = {"fr": "fr_FR", "en": "en_GB"}
_DATETIME_PATTERN = {"fr": "EEEE d MMMM y 'à' HH:mm", "en": "EEEE d MMMM y 'at' HH:mm"}
_SHORT_DATETIME_PATTERN = {"fr": "dd/MM/y HH:mm", "en": "dd/MM/y HH:mm"}
_DATE_PATTERN = {"fr": "EEEE d MMMM y", "en": "EEEE d MMMM y"}


@dataclass(frozen=True)
class Safe:
    """A value that is already valid Telegram HTML and must not be escaped again."""

    html: str

    def __str__(self) -> str:
        return self.html


def normalize_language(code: str | None) -> str:
    if code and code.lower()[:2] in LANGUAGES:
        return code.lower()[:2]
    return DEFAULT_LANGUAGE


@dataclass(frozen=True)
class _Messages:
    """A language's messages: each key's forms (one, or one per plural form) and the
    rule that picks a plural form for a number."""

    forms: Mapping[str, tuple[str, ...]]
    plural: Callable[[int], int]


@cache
def _messages(lang: str) -> _Messages:
    forms: dict[str, tuple[str, ...]] = {}
    plural: Callable[[int], int] | None = None
    folder = resources.files("bot.i18n") / "locales" / lang / "LC_MESSAGES"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".po"):
            continue
        with entry.open("rb") as handle:
            catalog = read_po(handle, locale=_LOCALES[lang])
        plural = plural or gettext.c2py(catalog.plural_expr)
        for message in catalog:
            key = message.id[0] if isinstance(message.id, tuple | list) else message.id
            if not key or not message.string:
                continue
            strings = message.string
            texts = (
                tuple(str(s) for s in strings)
                if isinstance(strings, tuple | list)
                else (str(strings),)
            )
            if not all(texts):
                continue
            if key in forms:
                raise ValueError(f"message {key!r} defined twice in the {lang} catalogs")
            forms[key] = texts
    return _Messages(forms, plural or (lambda n: int(n != 1)))


@cache
def _catalog(lang: str) -> Mapping[str, str]:
    """Each key's text; a plural message by its last (most general) form."""
    return {key: texts[-1] for key, texts in _messages(lang).forms.items()}


def catalog(lang: str) -> Mapping[str, str]:
    """Every message of a language (for tests and tools); plural ones by their general form."""
    return _catalog(normalize_language(lang))


def catalog_forms(lang: str) -> Mapping[str, tuple[str, ...]]:
    """Every message of a language with all its forms (plural messages have several)."""
    return _messages(normalize_language(lang)).forms


def _form(lang: str, key: str, count: int | None) -> str | None:
    messages = _messages(lang)
    texts = messages.forms.get(key)
    if texts is None:
        return None
    if len(texts) == 1 or count is None:
        return texts[-1]
    return texts[min(messages.plural(abs(int(count))), len(texts) - 1)]


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


_KEY = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
_TYPE_CODE = re.compile(r"[a-z][a-z0-9_]*")


def _escape(value: Any) -> str:
    if isinstance(value, Safe):
        return value.html
    return html.escape(str(value), quote=False)


class I18n:
    """Translation and formatting, bound to a time zone (Europe/Paris by default)."""

    def __init__(self, tz: ZoneInfo | str = "Europe/Paris") -> None:
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz

    def t(self, lang: str | None, key: str, /, **params: Any) -> str:
        """The message ``key``; a plural message takes the form of its ``count``."""
        count = params.get("count")
        return self.tn(lang, key, count if isinstance(count, int) else None, **params)

    def tn(self, lang: str | None, key: str, number: int | None, /, **params: Any) -> str:
        """The message ``key`` in the plural form ``number`` calls for (ngettext)."""
        lang = normalize_language(lang)
        text = _form(lang, key, number)
        if text is None:
            text = _form(DEFAULT_LANGUAGE, key, number)
        if text is None:
            log.error("missing message %s", key)
            return html.escape(key)
        if not params:
            return text
        return text.format(**{name: self._shown(lang, value) for name, value in params.items()})

    def _shown(self, lang: str, value: Any) -> str:
        """One value of a message, escaped; a :class:`Term` in words of ``lang``."""
        if isinstance(value, Term):
            return self.t(lang, value.key, **value.params)
        if isinstance(value, Terms):
            return ", ".join(self._shown(lang, item) for item in value.items)
        return _escape(value)

    def has(self, key: str) -> bool:
        return key in _catalog(DEFAULT_LANGUAGE)

    def equipment_type(self, lang: str | None, value: str | None) -> str:
        """An equipment type in words (« tablette »); a type outside the list, kept as it
        was imported (« imprimante »), as it is. Plain text: escape it in HTML."""
        if not value:
            return ""
        key = f"equipment.type.{value}"
        if _TYPE_CODE.fullmatch(value) and self.has(key):
            return html.unescape(self.t(lang, key))
        return value

    # --- formats ------------------------------------------------------------------------

    def datetime(self, lang: str | None, value: datetime, *, short: bool = False) -> str:
        lang = normalize_language(lang)
        pattern = (_SHORT_DATETIME_PATTERN if short else _DATETIME_PATTERN)[lang]
        return _babel_format_datetime(value, pattern, tzinfo=self.tz, locale=_LOCALES[lang])

    def date(self, lang: str | None, value: date, *, short: bool = False) -> str:
        lang = normalize_language(lang)
        pattern = "dd/MM/y" if short else _DATE_PATTERN[lang]
        return _babel_format_date(value, pattern, locale=_LOCALES[lang])

    def money(self, lang: str | None, amount: Decimal) -> str:
        lang = normalize_language(lang)
        return format_currency(amount, "EUR", locale=_LOCALES[lang])
