"""What a service says is owed to others, sent from the Discord front end: each message
through the process's router to its person's own platform (Telegram or Discord), never a
Telegram address written to from here; one recipient's failure does not stop the others."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.services.delivery import Outgoing
from bot.services.tickets import remember_messages
from handlers.discord.context import Ctx

log = logging.getLogger(__name__)


async def tell(ctx: Ctx, messages: Sequence[Outgoing]) -> int:
    """Send each notice where its person is; a message about a ticket is remembered, so
    that a reply to it reaches the ticket's thread. Returns how many were delivered."""
    services = ctx.services
    delivered = 0
    for message in messages:
        try:
            sent = await services.router(message)
        except Exception as exc:
            log.warning("%s chat %s not told (%s)", message.platform, message.chat_id, exc)
            continue
        delivered += 1
        if message.ticket_id is not None and sent is not None:
            await remember_messages(
                services.db,
                message.ticket_id,
                [(message.chat_id, sent)],
                services.clock.now(),
                platform=message.platform,
            )
    return delivered
