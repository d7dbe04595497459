"""An announcement goes out through the outbox, like every message the bot sends on its own.

Confirming an announcement writes, in one transaction, its audit entry and one fan-out row
(``announcement``, decision 0042) naming the people it was confirmed for. The paced lane
expands it into one row per person (``announcement.person``), each re-read and sent on the
person's own platform, never ahead of a deadline's reminder; the last row
(``announcement.report``) tells the author how many got it, once none of the others is
still on its way, and audits the outcome. Nothing is held in memory: a stop leaves the
unsent rows in the table, and the next start sends them, to nobody twice (decision 0075).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.config import Settings
from bot.i18n import I18n
from bot.services.audiences import recipient
from bot.services.delivery import Outgoing
from bot.services.reminders import Child, Expander, NotYet, Renderer, Renderers
from storage.models import AuditEntry, Person, Reminder
from storage.uow import UnitOfWork

KIND_ANNOUNCEMENT = "announcement"
KIND_ANNOUNCEMENT_PERSON = "announcement.person"
KIND_ANNOUNCEMENT_REPORT = "announcement.report"
ANNOUNCEMENT_KINDS = (KIND_ANNOUNCEMENT, KIND_ANNOUNCEMENT_PERSON, KIND_ANNOUNCEMENT_REPORT)
KEY_PREFIX = "announcement"
REPORT_AGAIN = timedelta(seconds=5)  # the report waits for the last messages this long
SENT, DEAD, PENDING = "sent", "dead", "pending"


def message_text(i18n: I18n, lang: str, text: str, sender: str) -> str:
    """The announcement exactly as its recipients read it (and its author previews it)."""
    return i18n.t(lang, "admin.announce.message", text=text, sender=sender)


def _announcement_id(row: Reminder) -> str | None:
    found = (row.payload or {}).get("announcement_id")
    return found if isinstance(found, str) else None


async def _sent_entry(uow: UnitOfWork, announcement_id: str) -> AuditEntry | None:
    return await uow.session.scalar(
        select(AuditEntry).where(
            AuditEntry.object_type == "announcement",
            AuditEntry.object_id == announcement_id,
            AuditEntry.action == "announcement.send",
        )
    )


async def _crowd(uow: UnitOfWork, row: Reminder, now: datetime) -> list[Child]:
    """One row per person the announcement was confirmed for, then the author's report."""
    announcement_id = _announcement_id(row)
    if announcement_id is None:
        return []
    payload: dict[str, Any] = {"announcement_id": announcement_id}
    people = [int(p) for p in (row.payload or {}).get("people", [])]
    children = [Child(f"p{p}", KIND_ANNOUNCEMENT_PERSON, p, payload) for p in people]
    author = (row.payload or {}).get("author_id")
    if isinstance(author, int):
        children.append(Child("report", KIND_ANNOUNCEMENT_REPORT, author, payload))
    return children


def _one(i18n: I18n) -> Renderer:
    async def render(uow: UnitOfWork, row: Reminder, now: datetime) -> list[Outgoing]:
        announcement_id = _announcement_id(row)
        if announcement_id is None or row.person_id is None:
            return []
        person = await uow.session.get(Person, row.person_id)
        target = recipient(person) if person is not None and person.active else None
        entry = await _sent_entry(uow, announcement_id)
        if target is None or entry is None:
            return []  # the person left, or has no chat any more: nobody to write to
        author = await uow.session.get(Person, entry.actor_id) if entry.actor_id else None
        text = message_text(
            i18n,
            target.language,
            str(entry.details.get("text", "")),
            author.full_name if author is not None else "",
        )
        return [Outgoing(target.chat_id, text, (), None, target.platform)]

    return render


def _report(i18n: I18n) -> Renderer:
    async def render(uow: UnitOfWork, row: Reminder, now: datetime) -> list[Outgoing]:
        announcement_id = _announcement_id(row)
        if announcement_id is None or row.person_id is None:
            return []
        parent = row.key.removesuffix(":report")
        counts = dict(
            (
                await uow.session.execute(
                    select(Reminder.state, func.count())
                    .where(
                        Reminder.key.like(f"{parent}:p%"),
                        Reminder.kind == KIND_ANNOUNCEMENT_PERSON,
                    )
                    .group_by(Reminder.state)
                )
            ).all()
        )
        if counts.get(PENDING):
            raise NotYet(REPORT_AGAIN)
        delivered, failed = int(counts.get(SENT, 0)), int(counts.get(DEAD, 0))
        await _audit_once(uow, row.person_id, announcement_id, parent, delivered, failed, now)
        author = await uow.session.get(Person, row.person_id)
        target = recipient(author) if author is not None else None
        if target is None:
            return []
        lang = target.language
        text = i18n.t(
            lang,
            "admin.announce.done",
            people=i18n.t(lang, "admin.count.people", count=delivered),
            failures=i18n.t(lang, "admin.count.failures", count=failed),
        )
        return [Outgoing(target.chat_id, text, (), None, target.platform)]

    return render


async def _audit_once(
    uow: UnitOfWork,
    author_id: int,
    announcement_id: str,
    parent: str,
    delivered: int,
    failed: int,
    now: datetime,
) -> None:
    """The end of the delivery, audited once (the report may be sent again after a
    failure): counts, and the people it did not reach."""
    done = await uow.session.scalar(
        select(func.count()).where(
            AuditEntry.object_type == "announcement",
            AuditEntry.object_id == announcement_id,
            AuditEntry.action == "announcement.delivered",
        )
    )
    if done:
        return
    missed = (
        await uow.session.scalars(
            select(Reminder.person_id)
            .where(
                Reminder.key.like(f"{parent}:p%"),
                Reminder.kind == KIND_ANNOUNCEMENT_PERSON,
                Reminder.state == DEAD,
            )
            .order_by(Reminder.person_id)
        )
    ).all()
    uow.audit(
        at=now,
        actor_id=author_id,
        action="announcement.delivered",
        object_type="announcement",
        object_id=announcement_id,
        delivered=delivered,
        failed=failed,
        failed_people=[p for p in missed if p is not None],
    )
    await uow.commit()


def announcement_renderers(i18n: I18n, settings: Settings) -> Renderers:
    renderers = Renderers()
    crowd: Expander = _crowd
    renderers.register_fanout(KIND_ANNOUNCEMENT, crowd)
    renderers.register_paced(KIND_ANNOUNCEMENT_PERSON, _one(i18n))
    renderers.register_paced(KIND_ANNOUNCEMENT_REPORT, _report(i18n))
    return renderers
