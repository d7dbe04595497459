"""The messengers a person may be reachable on (decision 0016)."""

from __future__ import annotations

from enum import StrEnum


class Platform(StrEnum):
    """Where an account lives. Ids (users, chats, messages, files) mean something only
    on their own platform, so every stored id is tagged with one of these."""

    TELEGRAM = "telegram"
    DISCORD = "discord"


TELEGRAM = Platform.TELEGRAM
DISCORD = Platform.DISCORD
