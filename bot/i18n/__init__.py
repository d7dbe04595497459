"""Messages and formats in the user's language (French by default, English on request).

Catalogs are gettext ``.po`` files under ``locales/<lang>/LC_MESSAGES/``; every file of
a language is read and merged, so that each feature keeps its messages in its own file.
Message ids are stable keys (``registration.welcome``); the texts are Telegram HTML.

Values passed to :meth:`I18n.t` are HTML-escaped unless wrapped in :class:`Safe`: user
text can never inject markup, and a forgotten escape is impossible by construction.
"""

from __future__ import annotations

import html
import logging
import re
import string
from collections.abc import Mapping
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


@cache
def _catalog(lang: str) -> Mapping[str, str]:
    messages: dict[str, str] = {}
    folder = resources.files("bot.i18n") / "locales" / lang / "LC_MESSAGES"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".po"):
            continue
        with entry.open("rb") as handle:
            catalog = read_po(handle, locale=_LOCALES[lang])
        for message in catalog:
            if message.id and isinstance(message.id, str) and message.string:
                if message.id in messages:
                    raise ValueError(f"message {message.id!r} defined twice in the {lang} catalogs")
                messages[message.id] = str(message.string)
    return messages


def catalog(lang: str) -> Mapping[str, str]:
    """Every message of a language (for tests and tools)."""
    return _catalog(normalize_language(lang))


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


_KEY = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")


def _escape(value: Any) -> str:
    if isinstance(value, Safe):
        return value.html
    return html.escape(str(value), quote=False)


class I18n:
    """Translation and formatting, bound to a time zone (Europe/Paris by default)."""

    def __init__(self, tz: ZoneInfo | str = "Europe/Paris") -> None:
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz

    def t(self, lang: str | None, key: str, /, **params: Any) -> str:
        lang = normalize_language(lang)
        text = _catalog(lang).get(key) or _catalog(DEFAULT_LANGUAGE).get(key)
        if text is None:
            log.error("missing message %s", key)
            return html.escape(key)
        if not params:
            return text
        return text.format(**{name: _escape(value) for name, value in params.items()})

    def has(self, key: str) -> bool:
        return key in _catalog(DEFAULT_LANGUAGE)

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
