"""Tickets of every kind: which message is about which ticket, the staff's queue, search,
assignment, internal notes, closing and reopening.

The claim-specific rules stay in ``bot.services.claims``; this module is what staff
triage needs whatever the kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from storage.models import MessageRef
from storage.sql import insert_ignoring_duplicates
from storage.uow import Database


async def remember_messages(
    db: Database, ticket_id: int, refs: Sequence[tuple[int, int]], now: datetime
) -> None:
    """Note that these (chat id, message id) are about the ticket, so a reply finds it."""
    if not refs:
        return
    async with db.uow() as uow:
        for chat_id, message_id in refs:
            await uow.session.execute(
                insert_ignoring_duplicates(
                    uow.session,
                    MessageRef.__table__,
                    {
                        "chat_id": chat_id,
                        "message_id": message_id,
                        "ticket_id": ticket_id,
                        "created_at": now,
                    },
                    conflict=["chat_id", "message_id"],
                )
            )
        await uow.commit()


async def ticket_for_message(db: Database, chat_id: int, message_id: int) -> int | None:
    """The ticket a message of the bot was about, if it was about one."""
    async with db.uow() as uow:
        return await uow.session.scalar(
            select(MessageRef.ticket_id).where(
                MessageRef.chat_id == chat_id, MessageRef.message_id == message_id
            )
        )
