"""A dialogue's draft kept in the database between two interactions of a front end.

Discord has no conversation of its own: a report checked in a modal waits for its
« Confirmer » tap, and what it carries (a description of up to 3,000 characters) does not
fit in a button's 100-character id. The draft is written under the person's account and
a nonce that the button carries, so that a restart loses nothing and an older summary's
button cannot send a newer draft (decision 0047). Rows live in the same table as
Telegram's persistence, under their own namespace, prefixed ``draft:`` so that a person's
drafts can all be dropped at once (``/annuler``) and never mixed with Telegram's rows.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import delete

from storage.models import PersistedData
from storage.uow import Database

NONCE = "nonce"
PREFIX = "draft:"


def _ns(namespace: str) -> str:
    return PREFIX + namespace


async def save(db: Database, namespace: str, key: str, data: dict[str, Any], now: datetime) -> str:
    """Keep ``data`` as ``key``'s draft (replacing any); returns the nonce it is saved under."""
    nonce = secrets.token_hex(4)
    stored = {**data, NONCE: nonce}
    async with db.uow() as uow:
        row = await uow.session.get(PersistedData, (_ns(namespace), key))
        if row is None:
            uow.session.add(
                PersistedData(namespace=_ns(namespace), key=key, data=stored, updated_at=now)
            )
        else:
            row.data, row.updated_at = stored, now
        await uow.commit()
    return nonce


async def load(db: Database, namespace: str, key: str, nonce: str) -> dict[str, Any] | None:
    """``key``'s draft if it is the one saved under ``nonce`` (else None: gone or newer)."""
    async with db.uow() as uow:
        row = await uow.session.get(PersistedData, (_ns(namespace), key))
        if row is None or not isinstance(row.data, dict) or row.data.get(NONCE) != nonce:
            return None
        return {k: v for k, v in row.data.items() if k != NONCE}


async def drop(db: Database, namespace: str, key: str) -> bool:
    """Forget ``key``'s draft; True if there was one."""
    async with db.uow() as uow:
        row = await uow.session.get(PersistedData, (_ns(namespace), key))
        if row is None:
            return False
        await uow.session.delete(row)
        await uow.commit()
        return True


async def drop_all(db: Database, key: str) -> int:
    """Forget every draft of ``key`` (a person's dialogues, whatever they were); how many."""
    async with db.uow() as uow:
        result = await uow.session.execute(
            delete(PersistedData).where(
                PersistedData.namespace.startswith(PREFIX, autoescape=True),
                PersistedData.key == key,
            )
        )
        await uow.commit()
        return int(getattr(result, "rowcount", 0) or 0)
