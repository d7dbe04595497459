"""Offline Telegram Bot API: an in-process stand-in that refuses what Telegram refuses.

See :class:`handlers.telegram.offline.api.OfflineBotAPI`.
"""

from handlers.telegram.offline.api import (
    BotMessage,
    FaultServed,
    OfflineBotAPI,
    Refused,
    Sent,
    SimUser,
    sample_png,
)
from handlers.telegram.offline.html import (
    HTMLParseError,
    ParsedHTML,
    parse_html,
    parse_html_entities,
    utf16_len,
)
from handlers.telegram.offline.schema import (
    OfflineAPIWarning,
    RequestRefused,
    UploadedFile,
    load_schema,
)

__all__ = [
    "BotMessage",
    "FaultServed",
    "HTMLParseError",
    "OfflineAPIWarning",
    "OfflineBotAPI",
    "ParsedHTML",
    "Refused",
    "RequestRefused",
    "Sent",
    "SimUser",
    "UploadedFile",
    "load_schema",
    "parse_html",
    "parse_html_entities",
    "sample_png",
    "utf16_len",
]
