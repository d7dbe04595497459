"""What a service says is owed to others, sent from the Discord front end: through the
outbox (decision 0084), each message by the process's router to its person's own platform
(Telegram or Discord), never a Telegram address written to from here; one recipient's
failure does not stop the others, and what cannot go now is sent by the sweep."""

from __future__ import annotations

from collections.abc import Sequence

from bot.services.delivery import Outgoing
from handlers.discord.context import Ctx


async def tell(ctx: Ctx, messages: Sequence[Outgoing]) -> int:
    """Send each notice where its person is; a message about a ticket is remembered, so
    that a reply to it reaches the ticket's thread. Returns how many were delivered now."""
    return await ctx.services.tell(messages)
