"""python-telegram-bot persistence kept in the database.

Conversation states and each user's data (drafts of a report in progress) survive a
restart of the bot. What changed is written as soon as the Application hands it over (the
bot flushes after each update, see ``handlers.telegram.app``), rather than every minute
like a pickle file: the changes of one flush (a draft and its dialogue's step, handed over
concurrently) go in one transaction of upserts, one commit (decision 0086). Unchanged data
is not written again. Values must be JSON: drafts are plain dicts of strings, numbers and
lists.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from storage.models import PersistedData
from storage.sql import upsert_many
from storage.uow import Database

USER_DATA = "user_data"
CONVERSATION = "conversation:"


class DatabasePersistence(BasePersistence[dict[str, Any], dict[str, Any], dict[str, Any]]):
    def __init__(
        self,
        db: Database,
        now: Callable[[], datetime],
        *,
        update_interval: float = 5,
        conversation_ttl: Callable[[str], timedelta] | None = None,
    ) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self._db = db
        self._now = now
        # How long a dialogue's step stays valid without an answer (None: forever).
        self._ttl = conversation_ttl
        # Steps restored at start-up, with when they were last written: python-telegram-bot
        # schedules no timeout for them, so the bot ends them when they are too old.
        self.restored: dict[tuple[str, tuple[Any, ...]], datetime] = {}
        self._written: dict[tuple[str, str], str] = {}
        # Changes handed over and not yet written, by (namespace, key): the data and its
        # JSON, or None for a removal. One batch at a time, in the order they came.
        self._pending: dict[tuple[str, str], tuple[Any, str] | None] = {}
        self._batch: asyncio.Future[None] | None = None
        self._writing = asyncio.Lock()

    async def _load(self, namespace: str, *, older_than: datetime | None = None) -> dict[str, Any]:
        rows = await self._load_rows(namespace, older_than=older_than)
        return {key: data for key, (data, _) in rows.items()}

    async def _load_rows(
        self, namespace: str, *, older_than: datetime | None = None
    ) -> dict[str, tuple[Any, datetime]]:
        async with self._db.uow() as uow:
            if older_than is not None:
                # Stale steps are forgotten rather than restored (see handlers/…/dialogues).
                await uow.session.execute(
                    delete(PersistedData).where(
                        PersistedData.namespace == namespace,
                        PersistedData.updated_at < older_than,
                    )
                )
                await uow.commit()
            rows = await uow.session.scalars(
                select(PersistedData).where(PersistedData.namespace == namespace)
            )
            loaded = {row.key: (row.data, row.updated_at) for row in rows}
        for key, (data, _) in loaded.items():
            self._written[(namespace, key)] = json.dumps(data, sort_keys=True)
        return loaded

    async def _write(self, namespace: str, key: str, data: Any) -> None:
        encoded = json.dumps(data, sort_keys=True)
        where = (namespace, key)
        if self._written.get(where) == encoded and where not in self._pending:
            return
        await self._queue(where, (data, encoded))

    async def _drop(self, namespace: str, key: str) -> None:
        where = (namespace, key)
        if where not in self._written and self._pending.get(where) is None:
            return
        await self._queue(where, None)

    async def _queue(self, where: tuple[str, str], change: tuple[Any, str] | None) -> None:
        """Join the next batch and return once it is committed (its error, if it fails)."""
        self._pending[where] = change
        if self._batch is None:
            self._batch = asyncio.ensure_future(self._write_batch())
        # Shielded: an update cancelled while it waits does not cancel the others' write.
        await asyncio.shield(self._batch)

    async def _write_batch(self) -> None:
        async with self._writing:  # batches commit in the order their changes came
            await asyncio.sleep(0)  # the rest of the same flush joins this batch
            changes, self._pending, self._batch = self._pending, {}, None
            if not changes:
                return
            now = self._now()
            rows = [
                {"namespace": ns, "key": key, "data": change[0], "updated_at": now}
                for (ns, key), change in changes.items()
                if change is not None
            ]
            async with self._db.uow() as uow:
                if rows:
                    await uow.session.execute(
                        upsert_many(
                            uow.session,
                            PersistedData.__table__,
                            rows,
                            conflict=["namespace", "key"],
                            replace=["data", "updated_at"],
                        )
                    )
                for (ns, key), change in changes.items():
                    if change is None:
                        await uow.session.execute(
                            delete(PersistedData).where(
                                PersistedData.namespace == ns, PersistedData.key == key
                            )
                        )
                await uow.commit()
            for where, change in changes.items():
                if change is None:
                    self._written.pop(where, None)
                else:
                    self._written[where] = change[1]

    # --- user data --------------------------------------------------------------------

    async def get_user_data(self) -> dict[int, dict[str, Any]]:
        return {int(key): data for key, data in (await self._load(USER_DATA)).items()}

    async def update_user_data(self, user_id: int, data: dict[str, Any]) -> None:
        if data:
            await self._write(USER_DATA, str(user_id), data)
        else:
            await self._drop(USER_DATA, str(user_id))

    async def drop_user_data(self, user_id: int) -> None:
        await self._drop(USER_DATA, str(user_id))

    async def refresh_user_data(self, user_id: int, user_data: dict[str, Any]) -> None:
        """Nothing to do: this process is the only writer of its users' data."""

    # --- conversations ----------------------------------------------------------------

    async def get_conversations(self, name: str) -> ConversationDict:
        cutoff = self._now() - self._ttl(name) if self._ttl is not None else None
        loaded = await self._load_rows(CONVERSATION + name, older_than=cutoff)
        conversations = {}
        for key, (state, updated_at) in loaded.items():
            decoded = tuple(json.loads(key))
            conversations[decoded] = state
            self.restored[(name, decoded)] = updated_at
        return conversations

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        encoded_key = json.dumps(list(key))
        self.restored.pop((name, tuple(key)), None)  # live again: PTB times it out now
        if new_state is None:
            await self._drop(CONVERSATION + name, encoded_key)
        else:
            await self._write(CONVERSATION + name, encoded_key, new_state)

    # --- not kept -----------------------------------------------------------------------

    async def get_chat_data(self) -> dict[int, dict[str, Any]]:
        return {}

    async def get_bot_data(self) -> dict[str, Any]:
        return {}

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def update_chat_data(self, chat_id: int, data: dict[str, Any]) -> None:
        return None

    async def update_bot_data(self, data: dict[str, Any]) -> None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[str, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        return None

    async def flush(self) -> None:
        return None
