"""A standing check: every button the services and cards compose (``bot/``: a neutral
``Outgoing`` reaches a person on either platform) has a handler on Discord as it has on
Telegram. A namespace added to a card without its Discord handler fails here, instead of
a button that does nothing for Discord users."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from telegram.ext import CallbackQueryHandler, ConversationHandler

from handlers.discord import buttons
from tests.conversations.conftest import DiscordSide, World

ROOT = Path(__file__).resolve().parents[2]
# An action id composed in the code: ``"clm:pledge:…"``, ``f"ntc:view:{…}"``.
_COMPOSED = re.compile(r"""f?["']([a-z]{2,8}):[a-z0-9{]""")
# A callback pattern's namespaces: ``^clm:ok…``, ``^(ami|amis):…``.
_PATTERN = re.compile(r"^\^\(?([a-z|]+)\)?:")


def _handlers(handler: Any) -> list[Any]:
    if isinstance(handler, ConversationHandler):
        inner = [*handler.entry_points, *handler.fallbacks]
        for state in handler.states.values():
            inner.extend(state)
        return [h for i in inner for h in _handlers(i)]
    return [handler]


def telegram_namespaces(world: World) -> set[str]:
    found: set[str] = set()
    for group in world.app.handlers.values():
        for handler in (h for top in group for h in _handlers(top)):
            if not isinstance(handler, CallbackQueryHandler) or handler.pattern is None:
                continue
            pattern = getattr(handler.pattern, "pattern", handler.pattern)
            match = _PATTERN.match(str(pattern))
            if match:
                found.update(match[1].split("|"))
    return found


def composed_namespaces() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        found.update(m[1] for m in _COMPOSED.finditer(path.read_text(encoding="utf-8")))
    return found


async def test_every_button_the_services_compose_is_answered_on_discord(
    both: tuple[World, DiscordSide],
) -> None:
    world, _ = both
    telegram = telegram_namespaces(world)
    shared = composed_namespaces() & telegram
    # The check itself must see the namespaces it is about.
    assert {"clm", "tk", "col", "ntc", "ami", "stk", "rnd"} <= shared
    missing = shared - set(buttons.HANDLERS)
    assert missing == set(), f"buttons composed in bot/ with no Discord handler: {missing}"
