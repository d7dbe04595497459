"""What the bot holds about a person, forgetting them, and the retention rule (RGPD).

- :func:`export` gathers what the bot keeps about one person (their row, accounts,
  preferences, the tickets they reported or acted on with the texts they wrote there, their
  drafts, what they did) and returns a readable summary and the same in full as a JSON file:
  a neutral :class:`Export` each front end sends as it sends a report.
- :func:`offer_to_forget` keeps a confirmation under a nonce (a draft, decision 0047);
  :func:`forget` honours only that nonce, then :func:`anonymise` replaces the name,
  unbinds the accounts, clears the contact fields, drops drafts and pending reminders. The
  tickets stay whole: they are SEM's records of public property; their author now reads
  « Personne anonymisée n°ID ».
- :func:`retention_pass` anonymises, once a day, the people whose every ticket was closed
  more than ``PNE_RETENTION_YEARS`` ago and who left no trace since (decision 0071).

The last active staff member is never forgotten: someone must stay to triage and invite.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import selectinload

from bot.domain.bodies import body_variant
from bot.domain.errors import DomainError
from bot.domain.roles import Role
from bot.i18n import I18n, Safe
from bot.services import drafts
from bot.services.delivery import Attachment
from storage.models import (
    Attachment as AttachmentRow,
)
from storage.models import (
    AuditEntry,
    Claim,
    CodeAttempts,
    MessageRef,
    Notice,
    PersistedData,
    Person,
    PlatformAccount,
    Reminder,
    Ticket,
    TicketMessage,
)
from storage.sql import insert_ignoring_duplicates
from storage.uow import Database, UnitOfWork

if TYPE_CHECKING:
    from bot.bootstrap import Services

log = logging.getLogger(__name__)

# ----------------------------------------------------------------------- settings (one place)
FORGETTING = "privacy:forget"  # the drafts' namespace of a pending « forget me »
ANONYMISED = "person.anonymised"  # the audit action: a person forgotten, and by what
RETENTION_KIND = "retention"  # the reminders row that records one day's pass
RETENTION_PREFIX = "retention"
SHOWN_NUMBERS = 20  # tickets named in the summary; the file has them all
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    """What to send the person: a text (catalog markup) and the file with everything."""

    text: str
    file: Attachment


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


async def _person(uow: UnitOfWork, person_id: int) -> Person:
    person = await uow.people.get(person_id)
    if person is None:
        raise DomainError("registration.error.not_registered")
    return person


async def _involved_tickets(uow: UnitOfWork, person_id: int) -> dict[int, set[str]]:
    """Ticket id → how the person took part (reporter, assignee, author, uploader)."""
    found: dict[int, set[str]] = {}

    def add(rows: Iterable[int], role: str) -> None:
        for ticket_id in rows:
            found.setdefault(ticket_id, set()).add(role)

    session = uow.session
    add(await session.scalars(select(Ticket.id).where(Ticket.reporter_id == person_id)), "reporter")
    add(await session.scalars(select(Ticket.id).where(Ticket.assignee_id == person_id)), "assignee")
    add(
        await session.scalars(
            select(TicketMessage.ticket_id).where(TicketMessage.author_id == person_id).distinct()
        ),
        "author",
    )
    add(
        await session.scalars(
            select(AttachmentRow.ticket_id)
            .where(AttachmentRow.uploaded_by_id == person_id)
            .distinct()
        ),
        "uploader",
    )
    return found


async def _drafts_of(uow: UnitOfWork, person_id: int) -> list[PersistedData]:
    return list(
        (
            await uow.session.scalars(
                select(PersistedData)
                .where(
                    PersistedData.namespace.startswith(drafts.PREFIX, autoescape=True),
                    PersistedData.key == str(person_id),
                )
                .order_by(PersistedData.namespace)
            )
        ).all()
    )


def _plain(value: Any) -> Any:
    """JSON-ready: dates as ISO text, the rest as stored."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


async def _export_data(uow: UnitOfWork, person: Person, now: datetime) -> dict[str, Any]:
    session = uow.session
    involved = await _involved_tickets(uow, person.id)
    tickets = (
        (
            await session.scalars(
                select(Ticket)
                .where(Ticket.id.in_(list(involved)))
                .options(selectinload(Ticket.school))
                .order_by(Ticket.created_at, Ticket.id)
            )
        ).all()
        if involved
        else []
    )
    messages = (
        await session.scalars(
            select(TicketMessage)
            .where(TicketMessage.author_id == person.id)
            .order_by(TicketMessage.created_at, TicketMessage.id)
        )
    ).all()
    files = (
        await session.scalars(
            select(AttachmentRow)
            .where(AttachmentRow.uploaded_by_id == person.id)
            .order_by(AttachmentRow.created_at, AttachmentRow.id)
        )
    ).all()
    claims = {
        c.ticket_id: c
        for c in (
            await session.scalars(select(Claim).where(Claim.ticket_id.in_(list(involved))))
        ).all()
    }
    notices = {
        n.ticket_id: n
        for n in (
            await session.scalars(select(Notice).where(Notice.ticket_id.in_(list(involved))))
        ).all()
    }
    actions = (
        await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.actor_id == person.id)
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    ).all()
    shown_tickets = []
    for ticket in tickets:
        entry: dict[str, Any] = {
            "number": ticket.number,
            "kind": ticket.kind,
            "state": ticket.state,
            "school": ticket.school.name if ticket.school else None,
            "created_at": _iso(ticket.created_at),
            "closed_at": _iso(ticket.closed_at),
            "your_part": sorted(involved[ticket.id]),
            "your_messages": [
                {"at": _iso(m.created_at), "visibility": m.visibility, "text": m.body}
                for m in messages
                if m.ticket_id == ticket.id
            ],
            "your_files": [
                {
                    "at": _iso(f.created_at),
                    "kind": f.kind,
                    "file_name": f.file_name,
                    "caption": f.caption,
                }
                for f in files
                if f.ticket_id == ticket.id
            ],
        }
        if "reporter" in involved[ticket.id]:
            described = claims.get(ticket.id) or notices.get(ticket.id)
            if described is not None:
                entry["your_description"] = described.description
        shown_tickets.append(entry)
    return {
        "generated_at": _iso(now),
        "person": {
            "id": person.id,
            "full_name": person.full_name,
            "username": person.username,
            "role": person.role,
            "school": person.school.name if person.school else None,
            "school_uai": person.school.uai if person.school else None,
            "commune": person.commune.name if person.commune else None,
            "body": person.body.name if person.body else None,
            "active": person.active,
            "registered_at": _iso(person.created_at),
        },
        "accounts": [
            {
                "platform": a.platform,
                "user_id": a.external_user_id,
                "chat_id": a.chat_id,
                "since": _iso(a.created_at),
            }
            for a in person.accounts
        ],
        "preferences": {
            "language": person.language,
            "preferred_platform": person.preferred_platform,
            "follows_calls": person.follows_calls,
            "assistant": person.assistant,
        },
        "tickets": shown_tickets,
        "drafts": [
            {
                "what": row.namespace.removeprefix(drafts.PREFIX),
                "updated_at": _iso(row.updated_at),
                "data": _plain({k: v for k, v in (row.data or {}).items() if k != drafts.NONCE}),
            }
            for row in await _drafts_of(uow, person.id)
        ],
        "actions": [
            {
                "at": _iso(a.at),
                "action": a.action,
                "object_type": a.object_type,
                "object_id": a.object_id,
            }
            for a in actions
        ],
    }


def _role(i18n: I18n, lang: str, person: Person) -> str:
    key = f"role.{person.role}"
    if person.role == Role.COMMUNE.value:
        key = body_variant(key, person.body.kind if person.body else None)
    return i18n.t(lang, key)


async def export(db: Database, i18n: I18n, person_id: int, lang: str, now: datetime) -> Export:
    """Everything the bot keeps about ``person_id``: a summary, and the file in full."""
    async with db.uow() as uow:
        person = await _person(uow, person_id)
        data = await _export_data(uow, person, now)
    numbers = [t["number"] for t in data["tickets"]]
    shown = ", ".join(numbers[:SHOWN_NUMBERS])
    if len(numbers) > SHOWN_NUMBERS:
        shown += " " + i18n.t(lang, "privacy.export.more", count=len(numbers) - SHOWN_NUMBERS)
    accounts = ", ".join(
        i18n.t(
            lang,
            "privacy.export.account",
            platform=a.platform.capitalize(),
            since=i18n.date(lang, a.created_at.astimezone(i18n.tz).date()),
        )
        for a in person.accounts
    )
    text = i18n.t(
        lang,
        "privacy.export.summary",
        name=person.full_name,
        role=_role(i18n, lang, person),
        language=i18n.t(lang, f"language.{person.language}"),
        since=i18n.date(lang, person.created_at.astimezone(i18n.tz).date()),
        accounts=Safe(accounts or i18n.t(lang, "privacy.export.none")),
        tickets=Safe(shown or i18n.t(lang, "privacy.export.none")),
        ticket_count=len(numbers),
        messages=sum(len(t["your_messages"]) for t in data["tickets"]),
        files=sum(len(t["your_files"]) for t in data["tickets"]),
        drafts=len(data["drafts"]),
        actions=len(data["actions"]),
    )
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")
    day = now.astimezone(i18n.tz).date().isoformat()
    filename = i18n.t(lang, "privacy.export.file_name", day=day)
    caption = i18n.t(lang, "privacy.export.caption")
    return Export(text, Attachment(body, filename, caption))


# ------------------------------------------------------------------------------ forgetting


async def _last_staff(uow: UnitOfWork, person: Person, leaving: Iterable[int] = ()) -> bool:
    """True when ``person`` is staff and no other active staff would remain."""
    if person.role != Role.STAFF.value or not person.active:
        return False
    gone = {person.id, *leaving}
    others = await uow.session.scalar(
        select(func.count())
        .select_from(Person)
        .where(Person.role == Role.STAFF.value, Person.active.is_(True), Person.id.not_in(gone))
    )
    return not others


async def offer_to_forget(db: Database, person_id: int, now: datetime) -> str:
    """Keep the person's « forget me » waiting for its confirmation; the nonce its button
    carries. The last active staff member is refused (``privacy.error.last_staff``)."""
    async with db.uow() as uow:
        person = await _person(uow, person_id)
        if await _last_staff(uow, person):
            raise DomainError("privacy.error.last_staff")
    return await drafts.save(db, FORGETTING, str(person_id), {"person_id": person_id}, now)


async def forget(db: Database, i18n: I18n, person_id: int, nonce: str, now: datetime) -> None:
    """Anonymise ``person_id`` if ``nonce`` is the confirmation last offered to them
    (else ``common.stale_button``: another offer since, /annuler, or done already)."""
    pending = await drafts.load(db, FORGETTING, str(person_id), nonce)
    if pending is None or pending.get("person_id") != person_id:
        raise DomainError("common.stale_button")
    async with db.uow() as uow:
        person = await _person(uow, person_id)
        if await _last_staff(uow, person):
            raise DomainError("privacy.error.last_staff")
        await anonymise(uow, i18n, person, now, reason="request")
        await uow.commit()


def anonymised_name(i18n: I18n, person_id: int) -> str:
    """« Personne anonymisée n°12 »: stored in the bot's default language, French."""
    return i18n.t("fr", "privacy.anonymised_name", id=person_id)


async def anonymise(
    uow: UnitOfWork, i18n: I18n, person: Person, now: datetime, *, reason: str
) -> None:
    """Forget who ``person`` is, in the caller's transaction (no commit).

    Name replaced, accounts unbound (their external ids deleted: the account is a stranger
    from then on), contact fields (username, chats) cleared, preferences reset, drafts and
    pending reminders to them dropped, the platform's traces of their chats (message
    references, wrong-code counters, the messenger's stored conversation data) deleted. The
    tickets, their messages and their files stay as they are.
    """
    session = uow.session
    accounts = list(person.accounts)
    for account in accounts:
        await session.execute(
            delete(MessageRef).where(
                MessageRef.platform == account.platform,
                MessageRef.chat_id.in_(
                    [c for c in (account.chat_id, account.external_user_id) if c is not None]
                ),
            )
        )
        await session.execute(
            delete(CodeAttempts).where(
                CodeAttempts.platform == account.platform,
                CodeAttempts.external_user_id == account.external_user_id,
            )
        )
        # The messenger's stored data of that user and chat (Telegram's persistence).
        # User and chat data are keyed by the id; a conversation by its JSON key.
        ids = [account.external_user_id]
        if account.chat_id is not None and account.chat_id != account.external_user_id:
            ids.append(account.chat_id)
        keys = {str(i) for i in ids} | {json.dumps([i]) for i in ids}
        keys |= {json.dumps([c, account.external_user_id]) for c in ids}
        await session.execute(
            delete(PersistedData).where(
                PersistedData.namespace.not_like(drafts.PREFIX + "%"),
                PersistedData.key.in_(sorted(keys)),
            )
        )
    person.accounts.clear()
    await session.flush()
    await session.execute(delete(PlatformAccount).where(PlatformAccount.person_id == person.id))
    former, person.full_name = person.full_name, anonymised_name(i18n, person.id)
    # The one audit that copies a name (an assignment names its staff member): rewritten.
    assigned = await session.scalars(
        select(AuditEntry).where(AuditEntry.action == "ticket.assigned")
    )
    for entry in assigned.all():
        if isinstance(entry.details, dict) and entry.details.get("assignee") == former:
            entry.details = {**entry.details, "assignee": person.full_name}
    person.username = None
    person.preferred_platform = None
    person.follows_calls = False
    person.assistant = False
    person.active = False
    await session.execute(
        delete(PersistedData).where(
            PersistedData.namespace.startswith(drafts.PREFIX, autoescape=True),
            PersistedData.key == str(person.id),
        )
    )
    await session.execute(
        update(Reminder)
        .where(Reminder.person_id == person.id, Reminder.state == "pending")
        .values(state="cancelled", last_error="person anonymised")
        .execution_options(synchronize_session=False)
    )
    uow.audit(
        at=now,
        actor_id=person.id if reason == "request" else None,
        action=ANONYMISED,
        object_type="person",
        object_id=person.id,
        reason=reason,
    )


async def anonymised_ids(uow: UnitOfWork) -> set[int]:
    rows = await uow.session.scalars(
        select(AuditEntry.object_id).where(
            AuditEntry.action == ANONYMISED, AuditEntry.object_type == "person"
        )
    )
    return {int(value) for value in rows.all()}


# ------------------------------------------------------------------------------- retention


def retention_cutoff(now: datetime, years: int) -> datetime:
    """The same instant ``years`` calendar years before (29 February → 28)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def _latest(into: dict[int, datetime], rows: Iterable[Any]) -> None:
    for person_id, at in rows:
        if person_id is None or at is None:
            continue
        if person_id not in into or at > into[person_id]:
            into[person_id] = at


async def due_for_retention(uow: UnitOfWork, now: datetime, years: int) -> list[int]:
    """The people to anonymise at ``now`` (decision 0071): not anonymised yet; every ticket
    they reported, were assigned or wrote on closed before the cut-off (none open); no trace
    of them since (registration, an action in the audit, a message, a file, a draft); and
    never the last active staff member."""
    session = uow.session
    cutoff = retention_cutoff(now, years)
    done = await anonymised_ids(uow)
    people = [
        p
        for p in (await session.scalars(select(Person).order_by(Person.id))).all()
        if p.id not in done
    ]
    last: dict[int, datetime] = {p.id: p.created_at for p in people}
    _latest(
        last,
        (
            await session.execute(
                select(AuditEntry.actor_id, func.max(AuditEntry.at)).group_by(AuditEntry.actor_id)
            )
        ).all(),
    )
    _latest(
        last,
        (
            await session.execute(
                select(TicketMessage.author_id, func.max(TicketMessage.created_at)).group_by(
                    TicketMessage.author_id
                )
            )
        ).all(),
    )
    _latest(
        last,
        (
            await session.execute(
                select(AttachmentRow.uploaded_by_id, func.max(AttachmentRow.created_at)).group_by(
                    AttachmentRow.uploaded_by_id
                )
            )
        ).all(),
    )
    draft_rows = (
        await session.execute(
            select(PersistedData.key, PersistedData.updated_at).where(
                PersistedData.namespace.startswith(drafts.PREFIX, autoescape=True)
            )
        )
    ).all()
    _latest(last, ((int(k), at) for k, at in draft_rows if k.isdigit()))
    # Each person's tickets: still open, or closed after the cut-off, keeps them.
    involvement = (
        select(Ticket.reporter_id.label("pid"), Ticket.id.label("tid"))
        .union(
            select(Ticket.assignee_id, Ticket.id).where(Ticket.assignee_id.is_not(None)),
            select(TicketMessage.author_id, TicketMessage.ticket_id).where(
                TicketMessage.author_id.is_not(None)
            ),
        )
        .subquery()
    )
    kept = set(
        (
            await session.scalars(
                select(involvement.c.pid)
                .join(Ticket, Ticket.id == involvement.c.tid)
                .where(or_(Ticket.closed_at.is_(None), Ticket.closed_at >= cutoff))
                .distinct()
            )
        ).all()
    )
    due = [p for p in people if p.id not in kept and last[p.id] < cutoff]
    chosen: list[int] = []
    for person in due:
        if await _last_staff(uow, person, leaving=chosen):
            continue
        chosen.append(person.id)
    return chosen


def retention_key(now: datetime, i18n: I18n) -> str:
    return f"{RETENTION_PREFIX}:{now.astimezone(i18n.tz).date().isoformat()}"


async def retention_pass(
    db: Database, i18n: I18n, *, now: datetime, years: int
) -> list[int] | None:
    """Once a day (Paris): anonymise the people the retention rule names; the ids done.

    The day's pass is a row of the reminders table (kind ``retention``, already ``sent``,
    the count in its payload) written in the same transaction as the anonymisations, so a
    day is passed once whatever the number of processes or restarts: ``None`` when today's
    pass was already made (or is being made by another process).
    """
    key = retention_key(now, i18n)
    async with db.uow() as uow:
        inserted = await uow.session.execute(
            insert_ignoring_duplicates(
                uow.session,
                Reminder.__table__,
                {
                    "key": key,
                    "kind": RETENTION_KIND,
                    "audience": "staff",
                    "payload": {"years": years},
                    "due_at": now,
                    "next_attempt_at": now,
                    "state": "sent",
                    "attempts": 1,
                    "sent_at": now,
                    "created_at": now,
                },
                conflict=["key"],
            )
        )
        if not getattr(inserted, "rowcount", 0):
            return None
        ids = await due_for_retention(uow, now, years)
        for person_id in ids:
            person = await _person(uow, person_id)
            await anonymise(uow, i18n, person, now, reason="retention")
        await uow.session.execute(
            update(Reminder)
            .where(Reminder.key == key)
            .values(payload={"years": years, "anonymised": len(ids)})
        )
        await uow.commit()
    if ids:
        log.info("retention: %d people anonymised", len(ids))
    return ids


# ------------------------------------------------------------------------------- the notice


def notice(i18n: I18n, lang: str, *, years: int, contact: str | None) -> str:
    """/confidentialite: what is kept, why, for how long, who to ask."""
    return i18n.t(
        lang,
        "privacy.notice",
        years=years,
        contact=contact or Safe(i18n.t(lang, "privacy.notice.default_contact")),
    )


async def run_retention(services: Services) -> list[int] | None:
    """The retention job's run in this process (every front end's job calls it)."""
    settings = services.settings
    return await retention_pass(
        services.db, services.i18n, now=services.clock.now(), years=settings.retention_years
    )
