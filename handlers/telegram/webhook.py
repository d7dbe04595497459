"""Webhook mode: Telegram posts each update to the bot's own web server (decision 0072).

python-telegram-bot's server (``Updater.start_webhook``, on tornado) answers 403 to a
request without the right ``X-Telegram-Bot-Api-Secret-Token`` header, but compares it
with ``!=``, which stops at the first differing character: the time it takes tells an
attacker how much of a guess is right. The secret is therefore handed to it as a
:class:`ConstantTimeSecret`, a ``str`` whose equality is :func:`hmac.compare_digest`:
Python gives a subclass's reflected comparison priority, so ``header != secret`` runs
ours whichever side the library writes it on, and the secret still travels as a plain
string in setWebhook.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.config import Settings

log = logging.getLogger(__name__)

# The updates polling receives: Telegram's default (all but these three, which must be
# asked for), written out because a setWebhook without a list keeps an earlier one's.
ALLOWED_UPDATES = [
    kind
    for kind in Update.ALL_TYPES
    if kind not in (Update.CHAT_MEMBER, Update.MESSAGE_REACTION, Update.MESSAGE_REACTION_COUNT)
]


class ConstantTimeSecret(str):
    """A string that compares with another in a time that does not depend on where they
    differ (nor reveals its length beyond what :func:`hmac.compare_digest` does)."""

    __slots__ = ()

    def _same(self, other: object) -> bool:
        if not isinstance(other, str):
            return False
        return hmac.compare_digest(str(self).encode(), other.encode())

    def __eq__(self, other: object) -> bool:
        return self._same(other)

    def __ne__(self, other: object) -> bool:
        return not self._same(other)

    __hash__ = str.__hash__

    def __repr__(self) -> str:  # never in a log
        return "ConstantTimeSecret('**********')"


async def start_webhook(
    application: Application[Any, Any, Any, Any, Any, Any], settings: Settings
) -> None:
    """Listen on ``webhook_listen:webhook_port`` at the secret path and tell Telegram
    (setWebhook) to post there, with the secret; the updates waiting are kept."""
    assert application.updater is not None
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    await application.updater.start_webhook(
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        url_path=settings.webhook_path,
        webhook_url=settings.webhook_full_url,
        secret_token=ConstantTimeSecret(settings.webhook_secret.get_secret_value()),
        allowed_updates=ALLOWED_UPDATES,
        drop_pending_updates=False,
    )
    log.info(
        "Webhook Telegram : écoute sur %s:%d, adresse publique %s/…",
        settings.webhook_listen,
        settings.webhook_port,
        settings.webhook_url,
    )
