"""One Settings object, read from the environment (prefix PNE_) and an optional .env file."""

from __future__ import annotations

import hashlib
import html
import ipaddress
import re
from collections.abc import Mapping
from datetime import time, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.domain.quiet_hours import QuietHours

DEFAULT_DATA_DIR = Path("data")
TELEGRAM_API_URL = "https://api.telegram.org/bot"
# What Telegram accepts as setWebhook's ``secret_token`` (and the ports of a webhook URL).
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
WEBHOOK_PORTS = frozenset({443, 80, 88, 8443})


class Settings(BaseSettings):
    """Everything that can be configured. Built once in ``__main__`` and passed down."""

    model_config = SettingsConfigDict(
        env_prefix="PNE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    telegram_token: SecretStr | None = None
    telegram_api_url: str = TELEGRAM_API_URL
    # Webhook mode (decision 0072): with a public HTTPS URL, Telegram posts the updates to
    # it instead of being polled; the secret is then required (it comes back in the
    # X-Telegram-Bot-Api-Secret-Token header and names the path). The bot's own web
    # server listens on ``webhook_listen:webhook_port``, behind the HTTPS proxy.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = Field(default=None, validate_default=True)
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    # The Discord front end (issue 12): the bot's token, the SEM's server (guild) where the
    # slash commands are synced (``pne-bot discord sync``), and the staff's forum channel
    # (one thread per ticket).
    discord_token: SecretStr | None = None
    discord_guild_id: int | None = None
    discord_staff_forum_id: int | None = None
    database_url: str = f"sqlite+aiosqlite:///{DEFAULT_DATA_DIR / 'pne-bot.sqlite3'}"
    # The offline sandbox plays demo people on a database of its own, never the real one.
    sandbox_database_url: str = f"sqlite+aiosqlite:///{DEFAULT_DATA_DIR / 'sandbox.sqlite3'}"
    timezone: str = "Europe/Paris"
    language: Literal["fr", "en"] = "fr"
    staff_chat_id: int | None = None
    # No reminder reaches a person between these two hours (in ``timezone``); the same
    # hour twice turns the quiet hours off. Decision 0023.
    quiet_hours_start: time = time(20, 0)
    quiet_hours_end: time = time(8, 0)
    bot_username: str = "pne_demo_bot"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # ``json``: one JSON object per line (time, level, logger, message, and the update,
    # person and ticket when known; never a name or a text). Decision 0070.
    log_format: Literal["text", "json"] = "text"
    # ``pne-bot run`` serves GET /healthz and GET /metrics here (port 0: no server). Local
    # by default: nothing in them is for the outside world.
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=9464, ge=0, le=65535)
    # /healthz answers 503 when a deadline's reminder is due for longer than this.
    health_max_lag_minutes: int = Field(default=10, ge=1, le=1440)
    # How long an invitation stays valid when the inviter does not say.
    invitation_days: int = Field(default=14, ge=1, le=90)  # MAX_VALIDITY of an invitation
    # How long a sweeper holds the reminders it took: another process takes them back
    # after that if it died. A batch must leave within it (2.5 min at a group's pace).
    reminder_lease_seconds: int = Field(default=300, ge=5, le=3600)
    # RGPD (decision 0071): a person whose every ticket was closed more than this many
    # years ago, and who left no trace since, is anonymised by the daily pass.
    retention_years: int = Field(default=5, ge=1, le=30)
    # Who answers questions about personal data (SEM's data-protection officer), shown by
    # /confidentialite; unset, the notice names the officer through the plan's team.
    dpo_contact: str | None = Field(default=None, max_length=300)

    # Several `run` on one PostgreSQL (decision 0076): a waiting instance tries the leader
    # lock this often; the leader checks the lock's connection this often, and stops
    # receiving the moment a check fails.
    leader_retry_seconds: float = Field(default=5.0, ge=0.2, le=60)
    leader_check_seconds: float = Field(default=5.0, ge=0.2, le=60)

    @property
    def health_max_lag(self) -> timedelta:
        return timedelta(minutes=self.health_max_lag_minutes)

    @property
    def reminder_lease(self) -> timedelta:
        return timedelta(seconds=self.reminder_lease_seconds)

    @field_validator(
        "telegram_token", "discord_token", "webhook_url", "webhook_secret", mode="before"
    )
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("webhook_url")
    @classmethod
    def _public_https_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        try:
            port = parts.port or 443
        except ValueError as exc:
            raise ValueError("bad port") from exc
        if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("expected https://host/path")
        if port not in WEBHOOK_PORTS:
            raise ValueError("Telegram posts to ports 443, 80, 88 or 8443 only")
        return value.rstrip("/")

    @field_validator("webhook_secret")
    @classmethod
    def _secret_for_the_webhook(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        if value is None:
            if info.data.get("webhook_url"):
                raise PydanticCustomError("missing", "required with PNE_WEBHOOK_URL")
            return None
        if not WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("1-256 characters among A-Z a-z 0-9 _ -")
        return value

    @field_validator("webhook_listen")
    @classmethod
    def _ip_address(cls, value: str) -> str:
        if value != "localhost":
            try:
                ipaddress.ip_address(value)
            except ValueError as exc:
                raise ValueError("expected an IP address") from exc
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("database_url", "sandbox_database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value.split(":///", 1)[1]
        if not (
            value.startswith("postgresql+asyncpg://") or value.startswith("sqlite+aiosqlite://")
        ):
            raise ValueError("expected a sqlite:/// or postgresql:// URL")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def quiet_hours(self) -> QuietHours:
        return QuietHours(self.quiet_hours_start, self.quiet_hours_end, self.tz)

    @property
    def webhook(self) -> bool:
        """True when Telegram posts the updates to ``webhook_url`` (no long polling)."""
        return self.webhook_url is not None

    @property
    def webhook_path(self) -> str:
        """The path Telegram posts to: the URL's own path and a segment derived from the
        secret (never the token), which nobody can guess without the secret."""
        assert self.webhook_url is not None and self.webhook_secret is not None
        digest = hashlib.sha256(
            b"pne-bot webhook path\0" + self.webhook_secret.get_secret_value().encode()
        ).hexdigest()[:32]
        return f"{urlsplit(self.webhook_url).path.rstrip('/')}/telegram-{digest}"

    @property
    def webhook_full_url(self) -> str:
        """The URL given to setWebhook: the public URL with the path above."""
        assert self.webhook_url is not None
        parts = urlsplit(self.webhook_url)
        return f"{parts.scheme}://{parts.netloc}{self.webhook_path}"

    @property
    def offline(self) -> bool:
        """True when no messenger's token is configured: ``run`` offers the sandbox."""
        return self.telegram_token is None and self.discord_token is None


class SettingsError(Exception):
    """A configuration value is wrong; the message names the variable and what it
    expects, in French, one line per wrong variable."""


# Settings whose value is never repeated in a message (a token is a password).
_SECRET = frozenset({"telegram_token", "discord_token", "webhook_secret"})


def _explain(error: Mapping[str, Any]) -> str:
    """« PNE_TIMEZONE : « Mars/Olympus » ne convient pas. Il faut un fuseau horaire… »"""
    # Imported here: the catalogs are not needed unless something is wrong.
    from bot.i18n import I18n

    i18n, lang = I18n(), "fr"  # the language setting itself may be the wrong one
    field = str(error["loc"][0]) if error.get("loc") else ""
    # A line of its own for one kind of error of one setting (a secret that is missing).
    special = f"config.error.{field}.{error.get('type')}"
    if i18n.has(special):
        return html.unescape(i18n.t(lang, special, name=f"PNE_{field.upper()}"))
    key = f"config.error.{field}"
    expected = i18n.t(lang, key if i18n.has(key) else "config.error.other")
    value = error.get("input")
    if field in _SECRET or value is None or isinstance(value, dict):
        text = i18n.t(lang, "config.error.line", name=f"PNE_{field.upper()}", expected=expected)
    else:
        text = i18n.t(
            lang,
            "config.error.line_value",
            name=f"PNE_{field.upper()}",
            value=str(value)[:80],
            expected=expected,
        )
    return html.unescape(text)


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning validation errors into clear French lines (pydantic's
    own messages are English and name no variable)."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = dict.fromkeys(_explain(error) for error in exc.errors())
        raise SettingsError("\n".join(lines)) from exc
