"""python-telegram-bot persistence kept in the database.

Conversation states and each user's data (drafts of a report in progress) survive a
restart of the bot. Every change is written in its own small transaction as soon as the
Application hands it over (the bot flushes after each update, see ``handlers.telegram.app``), rather
than every minute like a pickle file. Unchanged data is not written again.
Values must be JSON: drafts are plain dicts of strings, numbers and lists.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from storage.models import PersistedData
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
        if self._written.get((namespace, key)) == encoded:
            return
        async with self._db.uow() as uow:
            row = await uow.session.get(PersistedData, (namespace, key))
            if row is None:
                uow.session.add(
                    PersistedData(namespace=namespace, key=key, data=data, updated_at=self._now())
                )
            else:
                row.data = data
                row.updated_at = self._now()
            await uow.commit()
        self._written[(namespace, key)] = encoded

    async def _drop(self, namespace: str, key: str) -> None:
        if self._written.pop((namespace, key), None) is None:
            return
        async with self._db.uow() as uow:
            await uow.session.execute(
                delete(PersistedData).where(
                    PersistedData.namespace == namespace, PersistedData.key == key
                )
            )
            await uow.commit()

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
