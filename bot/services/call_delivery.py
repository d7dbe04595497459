"""The delivery of a call's equipment to a selected school (art. 1, 2 and 6; decision 0043).

Staff record what was installed where: for each item its asset tag, serial, value, the
day it was installed and, when known, its room; typed one per line or read from the
supplier's delivery note as CSV (the directory's reader and field rules, all or nothing:
every bad row is named with its line). Recording it

* creates SEM's equipment at the school, in service, with its installation day (so it is
  on the body's yearly list of new equipment, art. 6, which is by ``installed_on``), each
  item's history naming the application;
* records a training need of the school (art. 1: new equipment, ``NEW_EQUIPMENT``);
* asks the body for its insurance certificate unless an accepted one covers the day
  (bot.services.certificates);
* tells the body's agents and the school's heads.

Messenger-neutral: views and :class:`Outgoing` messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from bot.cards.certificates import CertificateCard
from bot.domain.dates import PARIS, local_date, parse_calendar_day
from bot.domain.directory import (
    ERR_MISSING,
    eur_to_cents,
    field_term,
    normalize_asset_tag,
    optional_text,
    parse_amount_eur,
)
from bot.domain.errors import DomainError
from bot.domain.notices import TrainingReason
from bot.domain.roles import Action, require
from bot.i18n import I18n
from bot.services import access, audiences, certificates
from bot.services.calls import ApplicationView, CampaignState, application_view, load_application
from bot.services.delivery import Outgoing
from bot.services.directory import ERR_DUPLICATE, ImportFailed, ImportProblem, read_rows
from storage.models import (
    CallApplication,
    CallCampaign,
    Equipment,
    EquipmentMove,
    Person,
    ResponsibleBody,
    TrainingNeed,
)
from storage.uow import Database, UnitOfWork

DELIVERY_REFERENCE = "ami-delivery"  # the items' history: installed by a call's delivery
CSV_COLUMNS = ("asset_tag", "serial", "value_eur", "installed_on")
CSV_OPTIONAL = ("room", "model")
MAX_ITEMS = 200
ERR_FIELDS = "amid.error.fields"
ERR_DAY = "amid.error.date"
ERR_FUTURE = "amid.error.date_future"
ERR_TAKEN = "amid.error.tag_taken"


@dataclass(frozen=True)
class DeliveredItem:
    line: int
    asset_tag: str
    serial: str | None
    value: Decimal
    installed_on: date
    room: str | None = None
    model: str | None = None


@dataclass(frozen=True)
class Deliverable:
    """A selected application of a decided campaign, with what it was given (units) and
    what was delivered of it so far."""

    application: ApplicationView
    units: int
    delivered: int


@dataclass(frozen=True)
class DeliveryPlan:
    """The items checked against the inventory, before anything is written."""

    application: ApplicationView
    body_name: str
    items: tuple[DeliveredItem, ...]
    covered_until: date | None  # an accepted certificate covers today, to that day


@dataclass(frozen=True)
class Delivered:
    application: ApplicationView
    school_name: str
    body_name: str
    nature: str
    count: int
    asked: certificates.Asked
    messages: tuple[Outgoing, ...] = ()


# --------------------------------------------------------------------------- reading


def _field(
    problems: list[ImportProblem], line: int, values: dict[str, str], today: date
) -> DeliveredItem | None:
    """One row's fields checked with the directory's rules; its problems added."""
    before = len(problems)

    def check(parse: object, *args: object) -> object:
        try:
            return parse(*args)  # type: ignore[operator]
        except DomainError as error:
            problems.append(ImportProblem(line, error.code, dict(error.params)))
            return None

    tag = check(normalize_asset_tag, values.get("asset_tag", ""))
    serial = check(optional_text, values.get("serial", ""), "serial")
    raw_value = (values.get("value_eur") or "").strip()
    value = check(parse_amount_eur, raw_value) if raw_value else None
    if not raw_value:
        problems.append(ImportProblem(line, ERR_MISSING, {"field": field_term("value_eur")}))
    raw_day = (values.get("installed_on") or "").strip()
    day: date | None = None
    if not raw_day:
        problems.append(ImportProblem(line, ERR_MISSING, {"field": field_term("installed_on")}))
    else:
        try:
            day = parse_calendar_day(raw_day, today)
        except DomainError:
            problems.append(ImportProblem(line, ERR_DAY, {"value": raw_day}))
        if day is not None and day > today:
            problems.append(ImportProblem(line, ERR_FUTURE, {"value": raw_day}))
    room = check(optional_text, values.get("room", ""), "room")
    model = check(optional_text, values.get("model", ""), "model")
    if len(problems) > before:
        return None
    assert isinstance(tag, str) and isinstance(value, Decimal) and day is not None
    return DeliveredItem(
        line,
        tag,
        serial if isinstance(serial, str) else None,
        value,
        day,
        room if isinstance(room, str) else None,
        model if isinstance(model, str) else None,
    )


def _checked(
    rows: Sequence[tuple[int, dict[str, str]]], problems: list[ImportProblem], today: date
) -> list[DeliveredItem]:
    items: list[DeliveredItem] = []
    first: dict[str, int] = {}
    for line, values in rows:
        item = _field(problems, line, values, today)
        if item is None:
            continue
        if item.asset_tag in first:
            problems.append(
                ImportProblem(
                    line,
                    ERR_DUPLICATE,
                    {"value": item.asset_tag, "first_line": first[item.asset_tag]},
                )
            )
            continue
        first[item.asset_tag] = line
        items.append(item)
    if len(rows) > MAX_ITEMS:
        problems.append(
            ImportProblem(rows[MAX_ITEMS][0], "amid.error.too_many_rows", {"max": MAX_ITEMS})
        )
    if problems:
        raise ImportFailed(sorted(problems, key=lambda p: p.line))
    if not items:
        raise ImportFailed([ImportProblem(1, "directory.error.empty")])
    return items


def read_typed(text: str, today: date) -> list[DeliveredItem]:
    """Items typed one per line, ``TAG;serial;value;dd/mm/yyyy[;room]`` (the serial may be
    empty). Raises ``ImportFailed`` naming each bad line (numbered from 1)."""
    names = ("asset_tag", "serial", "value_eur", "installed_on", "room")
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[ImportProblem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        cells = [cell.strip() for cell in raw.split(";")]
        if len(cells) not in (4, 5):
            problems.append(ImportProblem(number, ERR_FIELDS, {"found": len(cells)}))
            continue
        rows.append((number, dict(zip(names, cells, strict=False))))
    return _checked(rows, problems, today)


def read_csv(data: str | bytes, today: date) -> list[DeliveredItem]:
    """The supplier's delivery note as CSV (header ``asset_tag;serial;value_eur;
    installed_on``, optional ``room`` and ``model``; ``;`` or ``,``; the imports' encodings),
    read by the directory's reader. Raises ``ImportFailed`` naming each bad line (header = 1)."""
    rows, unreadable = read_rows(data, CSV_COLUMNS, CSV_OPTIONAL)
    return _checked([(row.line, row.values) for row in rows], list(unreadable), today)


# --------------------------------------------------------------------------- applications


async def _staff(uow: UnitOfWork, person_id: int) -> Person:
    person = await access.person(uow, person_id)
    require(person.role, Action.MANAGE_CALLS)
    return person


def _units(row: CallApplication) -> int:
    return (row.quantity_given or 0) * (row.campaign.kit_size or 1)


async def _delivered(uow: UnitOfWork, ticket_id: int) -> int:
    found = await uow.session.scalar(
        select(func.count())
        .select_from(EquipmentMove)
        .where(EquipmentMove.ticket_id == ticket_id, EquipmentMove.reference == DELIVERY_REFERENCE)
    )
    return int(found or 0)


async def deliverable(db: Database, person_id: int) -> list[Deliverable]:
    """Staff: the selected applications of decided campaigns not delivered in full."""
    async with db.uow() as uow:
        await _staff(uow, person_id)
        ids = (
            await uow.session.scalars(
                select(CallApplication.ticket_id)
                .join(CallCampaign, CallCampaign.id == CallApplication.campaign_id)
                .where(
                    CallCampaign.state == CampaignState.DECIDED.value,
                    CallApplication.outcome == "selected",
                    CallApplication.withdrawn_at.is_(None),
                )
                .order_by(CallCampaign.decided_at.desc(), CallApplication.ticket_id)
            )
        ).all()
        found = []
        for ticket_id in ids:
            row = await load_application(uow, ticket_id)
            units, done = _units(row), await _delivered(uow, ticket_id)
            if done < units:
                found.append(Deliverable(application_view(row), units, done))
        return found


async def _selected(uow: UnitOfWork, ticket_id: int) -> CallApplication:
    row = await load_application(uow, ticket_id)
    if (
        row.campaign.state != CampaignState.DECIDED.value
        or row.outcome != "selected"
        or row.withdrawn_at is not None
    ):
        raise DomainError("amid.error.not_selected")
    return row


async def _plan(
    uow: UnitOfWork, row: CallApplication, items: Sequence[DeliveredItem], now: datetime
) -> DeliveryPlan:
    units, done = _units(row), await _delivered(uow, row.ticket_id)
    if done + len(items) > units:
        raise DomainError("amid.error.too_many", left=max(units - done, 0), count=len(items))
    taken = set(
        (
            await uow.session.scalars(
                select(Equipment.asset_tag).where(
                    Equipment.asset_tag.in_([i.asset_tag for i in items])
                )
            )
        ).all()
    )
    if taken:
        raise ImportFailed(
            [
                ImportProblem(i.line, ERR_TAKEN, {"tag": i.asset_tag})
                for i in items
                if i.asset_tag in taken
            ]
        )
    body = await uow.session.get(ResponsibleBody, row.ticket.body_id)
    assert body is not None
    on_file = await certificates.covering(uow, body.id, local_date(now, PARIS))
    return DeliveryPlan(
        application_view(row),
        body.name,
        tuple(items),
        on_file.valid_until if on_file is not None else None,
    )


async def check(
    db: Database, person_id: int, ticket_id: int, items: Sequence[DeliveredItem], now: datetime
) -> DeliveryPlan:
    """The items checked against the application and the inventory (nothing written):
    no more than the school was given, no asset tag already in the inventory."""
    async with db.uow() as uow:
        await _staff(uow, person_id)
        return await _plan(uow, await _selected(uow, ticket_id), items, now)


async def record(
    db: Database,
    i18n: I18n,
    person_id: int,
    ticket_id: int,
    items: Sequence[DeliveredItem],
    now: datetime,
) -> Delivered:
    """The delivery written, all or nothing (see the module's description)."""
    async with db.uow() as uow:
        author = await _staff(uow, person_id)
        row = await _selected(uow, ticket_id)
        plan = await _plan(uow, row, items, now)
        campaign = row.campaign
        school_id, body_id = row.school_id, row.ticket.body_id
        assert body_id is not None
        for item in items:
            equipment = Equipment(
                asset_tag=item.asset_tag,
                school_id=school_id,
                type=campaign.nature,
                model=(item.model or campaign.title)[:120],
                serial=item.serial,
                owner="sem",
                # Bought for the call: its age (a refund's share) counts from its install.
                acquired_on=item.installed_on,
                installed_on=item.installed_on,
                value_cents=eur_to_cents(item.value),
                room=item.room,
                state="in_service",
                created_at=now,
                updated_at=now,
            )
            uow.session.add(equipment)
            await uow.session.flush()
            uow.session.add(
                EquipmentMove(
                    equipment_id=equipment.id,
                    at=now,
                    actor_id=author.id,
                    ticket_id=ticket_id,
                    from_state="in_service",
                    to_state="in_service",
                    from_school_id=None,
                    to_school_id=school_id,
                    body_id=body_id,
                    reference=DELIVERY_REFERENCE,
                    note=None,
                )
            )
        uow.session.add(
            TrainingNeed(
                school_id=school_id,
                reason=TrainingReason.NEW_EQUIPMENT.value,
                ticket_id=ticket_id,
                note=f"{len(items)} × {i18n.equipment_type(None, campaign.nature)}",
                created_by_id=author.id,
                created_at=now,
            )
        )
        asked = await certificates.ask(
            uow, body_id, now=now, actor_id=author.id, ticket_id=ticket_id
        )
        row.ticket.updated_at = now
        uow.audit(
            at=now,
            actor_id=author.id,
            action="call.delivery",
            object_type="ticket",
            object_id=str(ticket_id),
            items=[i.asset_tag for i in items],
            certificate=None if asked.certificate is None else asked.certificate.id,
        )
        agents = await audiences.body_agents(uow, body_id)
        heads = await audiences.school_people(uow, school_id)
        await uow.commit()
    done = Delivered(
        plan.application,
        plan.application.school_name,
        plan.body_name,
        campaign.nature,
        len(items),
        asked,
    )
    messages = [
        Outgoing(
            t.chat_id,
            CertificateCard(i18n, t.language).delivered_to_body(done),
            (),
            ticket_id,
            t.platform,
        )
        for t in agents
    ] + [
        Outgoing(
            t.chat_id,
            CertificateCard(i18n, t.language).delivered_to_school(done),
            (),
            ticket_id,
            t.platform,
        )
        for t in heads
    ]
    return Delivered(
        done.application,
        done.school_name,
        done.body_name,
        done.nature,
        done.count,
        asked,
        tuple(messages),
    )
