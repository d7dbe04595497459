"""The security condition (art. 6) through the services: a flagged school's replacements
held, the body asked and reminded every 30 days, the replacement refused, the hold lifted.
Also the pledge sent to the plan's assistant. No messenger: a recording front end."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.domain.claims import ClaimKind, PaymentMode
from bot.domain.errors import DomainError
from bot.domain.holds import KIND_HOLD_REMINDER
from bot.services import claim_notices, claims, hold_notices, holds, registration, reminders
from storage.models import AuditEntry, Reminder, SecurityHold
from tests.integration import test_claim_without_a_messenger as base
from tests.integration.test_claim_without_a_messenger import NOW, Demo

demo = base.demo  # the seeded demo directory, its people and a recording front end


async def _claim(d: Demo, kind: ClaimKind, tag: str, days_ago: int) -> claims.ClaimView:
    reported = await claims.report_claim(
        d.services.db,
        claims.ReportClaim(
            reporter_id=d.people["Camille"],
            school_id=d.school_id,
            kind=kind,
            discovered_at=NOW - timedelta(days=days_ago, hours=1),
            description="Fenêtre forcée",
            items=(claims.ItemRequest(asset_tag=tag),),
        ),
        NOW - timedelta(days=days_ago),
    )
    return reported.claim


async def test_a_flagged_schools_replacements_are_held_then_released(demo: Demo) -> None:
    d = demo
    db, i18n = d.services.db, d.services.i18n
    sacha, camille = d.people["Sacha"], d.people["Camille"]
    # Two thefts and a loss: a loss says nothing of the premises, the school is not flagged.
    await _claim(d, ClaimKind.THEFT, "SEM-DEMO-0005", 200)
    await _claim(d, ClaimKind.LOSS, "SEM-DEMO-0006", 100)
    theft = await _claim(d, ClaimKind.THEFT, "SEM-DEMO-0003", 2)
    assert not theft.high_frequency
    with pytest.raises(DomainError) as refused:
        await holds.hold_target(db, sacha, d.school_id, NOW)
    assert refused.value.code == "hold.error.not_flagged"
    damage = await _claim(d, ClaimKind.DAMAGE, "SEM-DEMO-0004", 1)
    assert damage.high_frequency and damage.hold is None

    # Only staff hold replacements; a reason is needed.
    with pytest.raises(DomainError) as refused:
        await holds.place_hold(db, camille, d.school_id, reason="Vols", now=NOW)
    assert refused.value.code == "common.error.forbidden"
    with pytest.raises(DomainError) as refused:
        await holds.place_hold(db, sacha, d.school_id, reason="  ", now=NOW)
    assert refused.value.code == "hold.error.reason_required"
    target = await holds.hold_target(db, sacha, d.school_id, NOW)
    assert target.recent == 3
    hold = await holds.place_hold(
        db, sacha, d.school_id, reason="Trois effractions par la cour", now=NOW
    )
    assert (hold.reason, hold.is_open) == ("Trois effractions par la cour", True)
    assert hold.placed_by is not None and hold.placed_by.startswith("Sacha")
    assert hold.about_ticket_id == damage.id  # the latest claim: replies reach its thread
    with pytest.raises(DomainError) as refused:
        await holds.place_hold(db, sacha, d.school_id, reason="Encore", now=NOW)
    assert refused.value.code == "hold.error.already_open"

    # The body is asked, with the reason; a reminder waits 30 days.
    placed = await hold_notices.placed(db, i18n, hold)
    await d.front.tell(placed)
    ((who, asked),) = d.front.take()
    assert who == "Claude" and asked.ticket_id == damage.id
    assert "Trois effractions par la cour" in asked.text
    assert "sécurisation des locaux" in asked.text
    async with db.uow() as uow:
        planned = (
            await uow.session.scalars(select(Reminder).where(Reminder.kind == KIND_HOLD_REMINDER))
        ).all()
    assert [(r.key, r.due_at, r.payload) for r in planned] == [
        (f"hold:{hold.id}:1", NOW + timedelta(days=30), {"hold_id": hold.id, "number": 1})
    ]

    # While it is open: the card says so, and no replacement is recorded (ordered or not).
    view = await claims.claim_view(db, sacha, theft.id, NOW)
    assert view.hold is not None and view.hold_id == hold.id
    for kwargs in ({"ordered_on": date(2026, 3, 2)}, {"installed_on": date(2026, 3, 2)}):
        with pytest.raises(DomainError) as refused:
            await claims.record_replacement(
                db,
                sacha,
                theft.id,
                item_tag="SEM-DEMO-0003",
                new_value=Decimal("400"),
                new_item=claims.NewEquipment("SEM-NEW-1"),
                now=NOW,
                **kwargs,  # type: ignore[arg-type]
            )
        assert refused.value.code == "hold.error.replacement_held"
        assert refused.value.params["school"] == view.school_name
        assert refused.value.params["reason"] == "Trois effractions par la cour"
    overview = await holds.overview(db, sacha, NOW)
    assert [h.id for h in overview.open] == [hold.id]
    assert overview.flagged == ()  # held already

    # 30 days on, the body is reminded, and the next reminder is 30 days after that one.
    later = NOW + timedelta(days=30, minutes=1)
    report = await reminders.sweep(db, d.services.renderers, d.front.send, now=later, worker="test")
    assert [chat for key, chat in report.deliveries if key.startswith("hold:")] == [
        next(c for c, name in d.front.names.items() if name == "Claude")
    ]
    ((who, reminder),) = [(w, m) for w, m in d.front.take() if m.text.startswith("🔒")]
    assert who == "Claude" and reminder.text.startswith("🔒 Rappel")
    async with db.uow() as uow:
        second = await uow.session.scalar(
            select(Reminder).where(Reminder.key == f"hold:{hold.id}:2")
        )
    assert second is not None and second.due_at == later + timedelta(days=30)

    # Lifted with a note: recorded, the reminders stop, the body is told, replacement again.
    with pytest.raises(DomainError) as refused:
        await holds.lift_hold(db, sacha, hold.id, note="", now=later)
    assert refused.value.code == "hold.error.note_required"
    lifted = await holds.lift_hold(
        db, sacha, hold.id, note="Alarme et volets posés", now=later + timedelta(hours=1)
    )
    assert (lifted.is_open, lifted.lift_note) == (False, "Alarme et volets posés")
    await d.front.tell(await hold_notices.lifted(db, i18n, lifted))
    ((who, told),) = d.front.take()
    assert who == "Claude" and "Alarme et volets posés" in told.text
    async with db.uow() as uow:
        row = await uow.session.get(SecurityHold, hold.id)
        assert row is not None and row.lifted_by_id == sacha
        assert second.id is not None
        again = await uow.session.get(Reminder, second.id)
        assert again is not None and again.state == reminders.CANCELLED
        actions = (
            await uow.session.scalars(
                select(AuditEntry.action).where(AuditEntry.action.startswith("hold."))
            )
        ).all()
    assert list(actions) == ["hold.placed", "hold.lifted"]
    with pytest.raises(DomainError) as refused:
        await holds.hold_to_lift(db, sacha, hold.id)
    assert refused.value.code == "hold.error.not_open"
    view = await claims.record_replacement(
        db, sacha, theft.id, item_tag="SEM-DEMO-0003", ordered_on=date(2026, 4, 2), now=later
    )
    assert view.hold is None
    # The school is still flagged: it is listed again among those without a hold.
    overview = await holds.overview(db, sacha, later)
    assert overview.open == () and [s.school_id for s in overview.flagged] == [d.school_id]


async def test_a_pledge_reaches_the_plans_assistant_else_the_staff(demo: Demo) -> None:
    d = demo
    db, i18n, settings = d.services.db, d.services.i18n, d.services.settings
    claim = await _claim(d, ClaimKind.THEFT, "SEM-DEMO-0001", 1)
    pledged = await claims.record_pledge(
        db,
        d.people["Claude"],
        claim.id,
        amount=Decimal("789"),
        mode=PaymentMode.INSURER_DIRECT,
        planned_on=date(2026, 6, 1),
        now=NOW,
    )
    # Nobody marked: the staff get it.
    messages = await claim_notices.pledged(db, i18n, settings, pledged)
    await d.front.tell(messages)
    ((who, told),) = d.front.take()
    assert who == "Sacha"
    assert "789,00\xa0€" in told.text and "lundi 1 juin 2026" in told.text
    assert "versement direct par l'assureur" in told.text

    # A teacher cannot be the assistant; a staff member can.
    with pytest.raises(DomainError) as refused:
        await registration.set_assistant(db, person_id=d.people["Camille"], assistant=True, now=NOW)
    assert refused.value.code == "registration.error.assistant_not_staff"
    await registration.set_assistant(db, person_id=d.people["Sacha"], assistant=True, now=NOW)
    await d.front.tell(await claim_notices.pledged(db, i18n, settings, pledged))
    assert [who for who, _ in d.front.take()] == ["Sacha"]
    lines = await registration.list_people(db)
    assert [line.full_name for line in lines if line.assistant] == [
        next(line.full_name for line in lines if line.id == d.people["Sacha"])
    ]

    # A planned date already past is refused, naming today.
    with pytest.raises(DomainError) as refused:
        await claims.record_pledge(
            db,
            d.people["Claude"],
            claim.id,
            amount=Decimal("789"),
            mode=PaymentMode.INSURER_DIRECT,
            planned_on=date(2026, 3, 1),
            now=NOW,
        )
    assert refused.value.code == "claim.error.pledge_date_past"
    assert refused.value.params == {"planned_on": date(2026, 3, 1), "today": date(2026, 3, 2)}
