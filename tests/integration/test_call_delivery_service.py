"""A call's equipment delivered to the selected school, and the body's insurance
certificate it asks, through the services alone (art. 1, 2, 6; decision 0043).

The demo directory: École du Soleil (Saint-Étienne, its agent Claude and its head
Dominique) applies to a call of 3 laptops and is given 2. Staff deliver them: refused
rows are named line by line and nothing is written; then the items are SEM's, installed,
on the body's yearly list, a training need of the school, and the body is asked for its
certificate: reminded a week later, sent, refused with a reason, sent again, accepted
(reminders stop), asked again 30 days before it ends; staff alerted a month after it was
asked when none is accepted.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.domain.calls import Reach
from bot.services import call_delivery, calls, certificates, reminders, reports
from bot.services.claims import FileRef
from bot.services.delivery import Outgoing
from bot.services.directory import ImportFailed
from storage.models import Equipment, InsuranceCertificate, Reminder, School, TrainingNeed
from storage.uow import Database
from tests.helpers import refuses
from tests.integration import test_claim_without_a_messenger as base
from tests.integration.test_claim_without_a_messenger import NOW, Demo, actions_of

demo = base.demo

DECIDED_AT = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)
DELIVERED_AT = datetime(2026, 4, 10, 8, 0, tzinfo=UTC)  # Friday 10:00 in Paris
PDF = FileRef("document", "file-cert-1", "uniq-cert-1", "attestation.pdf", "application/pdf")


async def selected_application(
    db: Database,
    staff_id: int,
    applicant_id: int,
    now: datetime,
    *,
    nature: str = "laptop",
    quantity: int = 3,
    given: int = 2,
) -> calls.ApplicationView:
    """A campaign opened ``now``, applied to by ``applicant_id``'s school, closed two days
    later, that school selected with ``given`` units and the results sent: decided."""
    start = now.date()
    draft = calls.CampaignDraft(
        title="Ordinateurs portables pour la classe",
        nature=nature,
        description="Des portables pour la classe mobile.",
        quantity=quantity,
        kit_size=None,
        reach=Reach.ALL,
        opens_on=start,
        opens_time=time(0, 0),
        closes_on=start + timedelta(days=2),
        closes_time=time(12, 0),
    )
    campaign = await calls.create_campaign(db, staff_id, draft, now)
    await calls.publish(db, staff_id, campaign.id, now)
    applied = await calls.apply(db, applicant_id, campaign.id, {}, now + timedelta(hours=1))
    after = now + timedelta(days=3)
    await calls.select_application(db, staff_id, applied.view.id, given, after)
    await calls.send_results(db, staff_id, campaign.id, after)
    return await calls.application(db, staff_id, applied.view.id)


async def _sweep(d: Demo, at: datetime) -> list[tuple[str, Outgoing]]:
    await reminders.sweep(d.services.db, d.services.renderers, d.front.send, now=at, worker="t")
    return d.front.take()


def _problems(failed: pytest.ExceptionInfo[ImportFailed]) -> list[tuple[int, str]]:
    return [(p.line, p.code) for p in failed.value.problems]


async def test_a_delivery_fills_the_inventory_and_asks_the_bodys_certificate(demo: Demo) -> None:
    d = demo
    db, i18n = d.services.db, d.services.i18n
    sacha, dominique, claude = d.people["Sacha"], d.people["Dominique"], d.people["Claude"]
    application = await selected_application(db, sacha, dominique, NOW)

    # Only staff see what is to be delivered.
    with refuses("common.error.forbidden"):
        await call_delivery.deliverable(db, dominique)
    (line,) = await call_delivery.deliverable(db, sacha)
    assert (line.application.id, line.units, line.delivered) == (application.id, 2, 0)

    # Typed rows: every bad row named with its line, nothing kept.
    today = date(2026, 4, 10)
    with pytest.raises(ImportFailed) as failed:
        call_delivery.read_typed(
            "PC-0001;SN1;459,90;08/04/2026\n"
            "\n"
            "PC 0002!;SN2;abc;31/02/2026\n"
            "PC-0003;SN3;459,90\n"
            "PC-0001;SN4;10;08/04/2026;Salle 3\n"
            "PC-0005;;12;12/04/2026\n",
            today,
        )
    assert _problems(failed) == [
        (3, "directory.error.asset_tag"),
        (3, "directory.error.amount"),
        (3, "amid.error.date"),
        (4, "amid.error.fields"),
        (5, "directory.error.duplicate"),
        (6, "amid.error.date_future"),
    ]
    items = call_delivery.read_typed(
        "pc-0001;SN1;459,90;08/04/2026;Salle 3\nPC-0002;;459.90 €;2026-04-08", today
    )
    assert [(i.asset_tag, i.serial, i.value, i.installed_on, i.room) for i in items] == [
        ("PC-0001", "SN1", Decimal("459.90"), date(2026, 4, 8), "Salle 3"),
        ("PC-0002", None, Decimal("459.90"), date(2026, 4, 8), None),
    ]
    # The supplier's delivery note, as CSV: the directory's reader (header = line 1).
    csv_items = call_delivery.read_csv(
        "\ufeffasset_tag;serial;value_eur;installed_on;model\n"
        "PC-0001;SN1;459,90;08/04/2026;Dell Latitude 3440\n"
        "PC-0002;SN2;459,90;08/04/2026;\n",
        today,
    )
    assert [(i.line, i.model) for i in csv_items] == [(2, "Dell Latitude 3440"), (3, None)]
    with pytest.raises(ImportFailed) as failed:
        call_delivery.read_csv("asset_tag;serial;value_eur\nPC-1;S;1\n", today)
    assert _problems(failed) == [(1, "directory.error.header")]

    # Against the inventory and the application: a tag already there, one item too many.
    taken = call_delivery.read_typed("SEM-DEMO-0003;X;100;08/04/2026", today)
    with pytest.raises(ImportFailed) as failed:
        await call_delivery.check(db, sacha, application.id, taken, DELIVERED_AT)
    assert _problems(failed) == [(1, "amid.error.tag_taken")]
    three = call_delivery.read_typed(
        "PC-0001;;1;08/04/2026\nPC-0002;;1;08/04/2026\nPC-0003;;1;08/04/2026", today
    )
    with refuses("amid.error.too_many"):
        await call_delivery.check(db, sacha, application.id, three, DELIVERED_AT)
    plan = await call_delivery.check(db, sacha, application.id, csv_items, DELIVERED_AT)
    assert plan.covered_until is None and plan.body_name.startswith("Saint-Étienne")
    async with db.uow() as uow:
        assert (
            await uow.session.scalar(select(Equipment).where(Equipment.asset_tag == "PC-0001"))
            is None
        )

    # Recorded: SEM's items at Soleil, installed, a training need, the body asked.
    done = await call_delivery.record(db, i18n, sacha, application.id, csv_items, DELIVERED_AT)
    assert done.count == 2 and done.asked.created and done.asked.certificate is not None
    told = {d.front.names[m.chat_id]: m for m in done.messages}
    assert set(told) == {"Claude", "Dominique"}
    assert "/attestation" in told["Claude"].text and "/attestation" not in told["Dominique"].text
    assert all(m.ticket_id == application.id for m in done.messages)
    async with db.uow() as uow:
        new = (
            await uow.session.scalars(
                select(Equipment).where(Equipment.asset_tag.in_(["PC-0001", "PC-0002"]))
            )
        ).all()
        assert {(e.owner, e.type, e.state, e.installed_on, e.value_cents) for e in new} == {
            ("sem", "laptop", "in_service", date(2026, 4, 8), 45990)
        }
        assert {e.model for e in new} == {
            "Dell Latitude 3440",
            "Ordinateurs portables pour la classe",
        }
        need = await uow.session.scalar(
            select(TrainingNeed).where(TrainingNeed.ticket_id == application.id)
        )
        assert need is not None and need.reason == "new_equipment"
        assert need.school_id == application.school_id
        school = await uow.session.get(School, application.school_id)
        assert school is not None
        body_id = school.body_id
    yearly = await reports.new_equipment_for_body(db, body_id=body_id, year=2026)
    assert {"PC-0001", "PC-0002"} <= {line.asset_tag for line in yearly}
    assert await call_delivery.deliverable(db, sacha) == []
    with refuses("amid.error.too_many"):
        await call_delivery.check(db, sacha, application.id, three[2:], DELIVERED_AT)
    certificate_id = done.asked.certificate.id

    # A week later, 09:00 in Paris: the body's agent is reminded; nobody else.
    assert await _sweep(d, datetime(2026, 4, 17, 6, 59, tzinfo=UTC)) == []
    got = await _sweep(d, datetime(2026, 4, 17, 7, 0, tzinfo=UTC))
    assert [who for who, _ in got] == ["Claude"]
    assert "attestation d'assurance" in got[0][1].text

    # The agent sends it; its dates are checked; staff get « Accepter » and « Refuser ».
    at = datetime(2026, 4, 18, 8, 0, tzinfo=UTC)
    with refuses("call.error.certificate_dates"):
        await certificates.send(
            db, i18n, d.services.settings, claude, PDF, date(2026, 12, 31), date(2026, 1, 1), at
        )
    with refuses("cert.error.expired"):
        await certificates.send(
            db, i18n, d.services.settings, claude, PDF, date(2025, 1, 1), date(2025, 12, 31), at
        )
    with refuses("common.error.forbidden"):
        await certificates.send(
            db, i18n, d.services.settings, dominique, PDF, date(2026, 1, 1), date(2026, 12, 31), at
        )
    sent = await certificates.send(
        db, i18n, d.services.settings, claude, PDF, date(2026, 1, 1), date(2026, 12, 31), at
    )
    assert sent.view.id == certificate_id and sent.view.state == "sent"
    ((who, message),) = [(d.front.names[m.chat_id], m) for m in sent.messages]
    assert who == "Sacha" and actions_of(message) == [
        f"cert:file:{certificate_id}",
        f"cert:acc:{certificate_id}",
        f"cert:no:{certificate_id}",
    ]
    # With staff: the next week's reminder asks nothing of the body.
    assert await _sweep(d, datetime(2026, 4, 24, 7, 0, tzinfo=UTC)) == []

    # Refused with a reason: the body hears it, and next week's reminder repeats it.
    with refuses("cert.error.reason_required"):
        await certificates.refuse(db, i18n, sacha, certificate_id, " . ", at)
    with refuses("common.error.forbidden"):
        await certificates.refuse(db, i18n, claude, certificate_id, "Illisible", at)
    refused = await certificates.refuse(db, i18n, sacha, certificate_id, "Page 2 manquante", at)
    assert [d.front.names[m.chat_id] for m in refused.messages] == ["Claude"]
    assert "Page 2 manquante" in refused.messages[0].text
    with refuses("cert.error.not_sent.refused"):
        await certificates.accept(db, i18n, sacha, certificate_id, at)
    got = await _sweep(d, datetime(2026, 5, 1, 7, 0, tzinfo=UTC))
    assert [who for who, _ in got] == ["Claude"] and "Page 2 manquante" in got[0][1].text

    assert [who for who, _ in await _sweep(d, datetime(2026, 5, 8, 7, 0, tzinfo=UTC))] == ["Claude"]
    # A month after it was asked and still not accepted: staff are alerted.
    got = await _sweep(d, datetime(2026, 5, 10, 7, 0, tzinfo=UTC))
    assert [who for who, _ in got] == ["Sacha"]
    assert "attestation" in got[0][1].text

    # Sent again, accepted: the reminders stop, the renewal is planned.
    again = datetime(2026, 5, 11, 8, 0, tzinfo=UTC)
    await certificates.send(
        db, i18n, d.services.settings, claude, PDF, date(2026, 5, 1), date(2026, 12, 31), again
    )
    accepted = await certificates.accept(db, i18n, sacha, certificate_id, again)
    assert accepted.view.state == "accepted"
    assert "31 décembre 2026" in accepted.messages[0].text
    async with db.uow() as uow:
        pending = (
            await uow.session.scalars(
                select(Reminder).where(
                    Reminder.key.startswith(f"cert:{certificate_id}:"), Reminder.state == "pending"
                )
            )
        ).all()
    assert [(r.kind, r.due_at) for r in pending] == [
        ("call.certificate.renewal", datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    ]
    assert await _sweep(d, datetime(2026, 5, 15, 7, 0, tzinfo=UTC)) == []

    # A second delivery while it covers the day asks nothing.
    (listed,) = await certificates.listing(db, sacha)
    assert [(c.state, c.valid_until) for c in listed.certificates] == [
        ("accepted", date(2026, 12, 31))
    ]
    with refuses("common.error.forbidden"):
        await certificates.listing(db, claude)
    mine = await certificates.my_certificates(db, claude)
    assert mine.body_id == listed.body_id

    # 30 days before it ends: the body is asked again, a new request on file.
    got = await _sweep(d, datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    assert [who for who, _ in got] == ["Claude"] and "31 décembre 2026" in got[0][1].text
    async with db.uow() as uow:
        rows = (
            await uow.session.scalars(
                select(InsuranceCertificate).order_by(InsuranceCertificate.id)
            )
        ).all()
    assert [(r.state, r.renews_id) for r in rows] == [("accepted", None), ("asked", certificate_id)]


async def test_a_delivery_under_a_certificate_on_file_asks_nothing(demo: Demo) -> None:
    d = demo
    db, i18n = d.services.db, d.services.i18n
    sacha, dominique, claude = d.people["Sacha"], d.people["Dominique"], d.people["Claude"]
    sent = await certificates.send(
        db, i18n, d.services.settings, claude, PDF, date(2026, 1, 1), date(2026, 12, 31), NOW
    )
    await certificates.accept(db, i18n, sacha, sent.view.id, NOW)
    application = await selected_application(db, sacha, dominique, NOW)
    items = call_delivery.read_typed("PC-0009;;459,90;08/04/2026", date(2026, 4, 10))
    plan = await call_delivery.check(db, sacha, application.id, items, DELIVERED_AT)
    assert plan.covered_until == date(2026, 12, 31)
    done = await call_delivery.record(db, i18n, sacha, application.id, items, DELIVERED_AT)
    assert done.asked.certificate is None and not done.asked.created
    assert all("/attestation" not in m.text for m in done.messages)
    async with db.uow() as uow:
        count = len((await uow.session.scalars(select(InsuranceCertificate))).all())
    assert count == 1
