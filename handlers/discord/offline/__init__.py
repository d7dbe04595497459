"""Offline Discord: discord.py's real client against an in-process Discord that refuses what
Discord refuses.

See :class:`handlers.discord.offline.api.OfflineDiscord`; the request checks are in
:mod:`handlers.discord.offline.schema`.
"""

from handlers.discord.offline.api import (
    Fault,
    InteractionRecord,
    OfflineDiscord,
    OfflineHTTPClient,
    OfflineSession,
    PostedMessage,
    RecordedRequest,
    SentFile,
    SimChannel,
    SimGuild,
    SimUser,
)
from handlers.discord.offline.schema import (
    DiscordSpec,
    FieldError,
    discord_limits,
    invalid_form_body,
    load_spec,
)

__all__ = [
    "DiscordSpec",
    "Fault",
    "FieldError",
    "InteractionRecord",
    "OfflineDiscord",
    "OfflineHTTPClient",
    "OfflineSession",
    "PostedMessage",
    "RecordedRequest",
    "SentFile",
    "SimChannel",
    "SimGuild",
    "SimUser",
    "discord_limits",
    "invalid_form_body",
    "load_spec",
]
