"""A call's delivery and the body's insurance certificate on Telegram (/livraison,
/attestation; art. 1, 2, 6), played through the offline Bot API.

École du Soleil was selected (two laptops) in a decided call set up through the services.
Staff record the delivery: bad rows named line by line, a CSV delivery note with a tag
already in the inventory refused, then two typed items confirmed; the body's agent is
asked for the certificate and reminded a week later; the agent sends it, staff refuse
it with a reason, the agent sends it again, staff accept it from /attestation and the
reminders stop; it is asked again 30 days before it ends. Another test: a month without
an accepted certificate alerts staff. A teacher and a head are refused staff's commands,
an agent of another body finds no certificate of the first, /annuler ends every step.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.domain.roles import Role
from handlers.telegram.offline import SimUser
from storage.models import InsuranceCertificate, Person, Reminder, TrainingNeed
from tests.conversations.conftest import T0, World
from tests.conversations.test_claim_follow_steps import _step
from tests.conversations.test_claims import sweep
from tests.integration.test_call_delivery_service import selected_application

DELIVERY, CERT_SEND, CERT_REFUSE = "call_delivery", "certificate_send", "certificate_refuse"
PDF = b"%PDF-1.4\n%%EOF\n"
DELIVERED_AT = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)  # Monday 10:00 in Paris


def _t(world: World, key: str, **params: object) -> str:
    return str(world.app.bot_data["services"].i18n.t("fr", key, **params))


async def _id(world: World, name: str) -> int:
    async with world.db.uow() as uow:
        found = await uow.session.scalar(select(Person.id).where(Person.full_name == name))
    assert found is not None
    return found


async def _people(world: World) -> tuple[SimUser, SimUser, SimUser]:
    staff = await world.registered("Sacha", Role.STAFF)
    head = await world.registered("Dora", Role.DIRECTOR)  # École du Soleil
    agent = await world.registered("Claude", Role.COMMUNE)  # Saint-Étienne's body
    return staff, head, agent


async def _decided(world: World) -> int:
    """École du Soleil selected with two laptops in a call whose results are sent."""
    application = await selected_application(
        world.db, await _id(world, "Sacha"), await _id(world, "Dora"), T0
    )
    world.clock.set(DELIVERED_AT)
    return application.id


async def _deliver_two(world: World, staff: SimUser) -> None:
    api = world.api
    await api.send_text(staff, "/livraison")
    await api.tap(staff, api.last(staff.id), 0)
    await api.send_text(staff, "PC-0001;SN-1;459,90;13/03/2026;Salle 3\nPC-0002;;459,90;13/03/2026")
    await api.tap(staff, api.last(staff.id), 0)


async def _pending(world: World) -> list[tuple[str, datetime]]:
    async with world.db.uow() as uow:
        rows = (
            await uow.session.scalars(
                select(Reminder)
                .where(Reminder.key.startswith("cert:"), Reminder.state == "pending")
                .order_by(Reminder.due_at)
            )
        ).all()
    return [(r.kind, r.due_at) for r in rows]


async def test_a_delivery_asks_the_certificate_reminded_refused_sent_again_and_accepted(
    world: World,
) -> None:
    api = world.api
    staff, head, agent = await _people(world)
    teacher = await world.registered("Zoé", Role.TEACHER)
    ticket_id = await _decided(world)

    # Staff's command: a teacher, a head and a body's agent are refused.
    for user in (teacher, head, agent):
        await api.send_text(user, "/livraison")
        assert world.last_text(user) == _t(world, "common.error.forbidden")
        assert _step(world, DELIVERY, user) is None

    # The selected application, as a button; a text is not an answer.
    await api.send_text(staff, "/livraison")
    asked = api.last(staff.id)
    assert asked.button_texts == ["A-2026-0001 — École du Soleil (0/2)"]
    await api.send_text(staff, "Soleil")
    assert world.last_text(staff) == _t(world, "amid.unexpected.application")
    forged = await api.forge_callback(staff, asked.message_id, "amid:app:999")
    assert api.callback_answer(forged) == {
        "text": _t(world, "amid.error.not_selected"),
        "show_alert": True,
    }
    await api.tap(staff, asked, 0)
    assert world.last_text(staff).startswith(
        "📦 A-2026-0001 — École du Soleil : 2 articles restent"
    )

    # Bad rows: each named with its line, nothing kept, the step stays.
    await api.send_text(staff, "PC 1!;;abc;31/02/2026\nPC-0002;x\nPC-0003;;12;20/03/2026")
    assert world.last_text(staff) == (
        "Rien n'est enregistré : 3 lignes sont à corriger, puis renvoyez toute la liste.\n"
        "Ligne 1 : " + _t(world, "directory.error.asset_tag", value="PC 1!") + " ; "
        + _t(world, "directory.error.amount", value="abc") + " ; "
        + _t(world, "amid.error.date", value="31/02/2026") + "\n"
        "Ligne 2 : " + _t(world, "amid.error.fields", found=2) + "\n"
        "Ligne 3 : " + _t(world, "amid.error.date_future", value="20/03/2026")
    )  # fmt: skip
    assert _step(world, DELIVERY, staff) == "amid_items"
    # The delivery note as CSV: a tag already in the inventory refuses it all.
    note = (
        "asset_tag;serial;value_eur;installed_on\n"
        "PC-0001;S1;459,90;13/03/2026\nSEM-0001;S2;1;13/03/2026\n"
    )
    await api.send_document(staff, note.encode(), "bon.csv", "text/csv")
    assert world.last_text(staff).endswith(
        "Ligne 3 : " + _t(world, "amid.error.tag_taken", tag="SEM-0001")
    )
    assert _step(world, DELIVERY, staff) == "amid_items"
    # Three items for two given: refused, the step stays.
    await api.send_text(
        staff, "PC-0001;;1;13/03/2026\nPC-0002;;1;13/03/2026\nPC-0003;;1;13/03/2026"
    )
    assert world.last_text(staff) == _t(world, "amid.error.too_many", left=2, count=3)

    # Two typed items: a summary naming the school and the count, then recorded.
    await api.send_text(staff, "PC-0001;SN-1;459,90;13/03/2026;Salle 3\nPC-0002;;459,90;13/03/2026")
    summary = api.last(staff.id)
    assert (summary.text or "").startswith(
        "📦 Livraison A-2026-0001 — École du Soleil\n2 articles :\n"
        "• PC-0001 — n° de série SN-1 — 459,90\u00a0€ — installé le vendredi 13 mars 2026"
        " — Salle 3\n"
        "• PC-0002 — n° de série — — 459,90\u00a0€ — installé le vendredi 13 mars 2026"
    )
    assert "L'attestation d'assurance sera demandée à" in (summary.text or "")
    assert summary.button_texts == [
        "✅ Enregistrer 2 articles — École du Soleil",
        "✏️ Corriger la liste",
        "✖️ Annuler",
    ]
    async with world.db.uow() as uow:
        assert await uow.directory.equipment_by_tag("PC-0001") is None
    api.clear()
    await api.tap(staff, summary, 0)
    api.assert_no_refusals()
    assert world.last_text(staff).startswith("✅ Livraison A-2026-0001 enregistrée : 2 articles")
    assert "/attestation" in world.last_text(agent)
    assert world.last_text(head).startswith("📦 Le matériel de votre candidature est installé")
    assert _step(world, DELIVERY, staff) is None
    async with world.db.uow() as uow:
        item = await uow.directory.equipment_by_tag("PC-0001")
        assert item is not None and (item.owner, item.installed_on, item.room) == (
            "sem",
            date(2026, 3, 13),
            "Salle 3",
        )
        need = await uow.session.scalar(
            select(TrainingNeed).where(TrainingNeed.ticket_id == ticket_id)
        )
        assert need is not None and need.reason == "new_equipment"
        (certificate,) = (await uow.session.scalars(select(InsuranceCertificate))).all()
    assert certificate.state == "asked"
    # Delivered in full: nothing more to deliver.
    await api.send_text(staff, "/livraison")
    assert world.last_text(staff) == _t(world, "amid.none")

    # A week later at 09:00 in Paris: the agent is reminded.
    world.clock.set(datetime(2026, 3, 23, 8, 0, tzinfo=UTC))
    api.clear()
    assert (await sweep(world)).sent == 1
    assert world.last_text(agent).startswith("⏰ Rappel : la SEM attend l'attestation d'assurance")

    # The agent sends it: a document, then the days it covers, each checked.
    await api.send_text(agent, "/attestation")
    assert "Demandée, demandée le lundi 16 mars 2026" in world.last_text(agent)
    await api.send_text(agent, "la voici")
    assert world.last_text(agent) == _t(world, "cert.unexpected.file")
    await api.send_photo(agent)
    assert world.last_text(agent) == _t(world, "cert.unexpected.file")
    await api.send_document(agent, PDF, "attestation.pdf", "application/pdf")
    await api.send_text(agent, "bientôt")
    assert world.last_text(agent) == _t(world, "cert.error.date_unreadable")
    await api.send_text(agent, "01/01/2026")
    await api.send_text(agent, "31/12/2025")
    assert world.last_text(agent) == _t(world, "call.error.certificate_dates")
    assert _step(world, CERT_SEND, agent) == "cert_until"
    await api.send_text(agent, "31/12/2026")
    confirm = api.last(agent.id)
    assert confirm.text == (
        "📄 Votre attestation d'assurance\nDocument : attestation.pdf\n"
        "Valable du jeudi 1 janvier 2026 au jeudi 31 décembre 2026\n\n"
        "La SEM la vérifiera et vous dira si elle est acceptée."
    )
    api.clear()
    await api.tap(agent, confirm, "✅ Envoyer l'attestation à la SEM")
    assert world.last_text(agent).startswith("✅ Attestation de")
    received = api.last(staff.id)
    assert (received.text or "").startswith("📄 Attestation d'assurance reçue")
    assert received.button_texts == ["📎 Voir le document", "✅ Accepter", "❌ Refuser"]
    await api.tap(staff, received, "📎 Voir le document")
    assert any(s.method == "sendDocument" for s in api.sent)

    # Refused with a reason: the agent hears it.
    await api.tap(staff, received, "❌ Refuser")
    assert world.last_text(staff).startswith("Pourquoi refuser l'attestation de")
    await api.send_text(staff, " . ")
    assert world.last_text(staff) == _t(world, "cert.error.reason_required")
    await api.send_text(staff, "Page 2 <manquante>")
    api.clear()
    await api.tap(staff, api.last(staff.id), "❌ Refuser l'attestation")
    api.assert_no_refusals()
    assert "Motif : « Page 2 <manquante> »" in world.last_text(agent)
    assert world.last_text(staff) == _t(world, "cert.refused.done", body="Saint-Étienne")
    # A second tap of « Accepter » on the old message: refused, it is no longer sent.
    stale = await api.forge_callback(staff, received.message_id, f"cert:acc:{certificate.id}")
    assert api.callback_answer(stale) == {
        "text": _t(world, "cert.error.not_sent.refused"),
        "show_alert": True,
    }
    # The next week's reminder repeats the reason.
    world.clock.set(datetime(2026, 3, 30, 7, 0, tzinfo=UTC))
    await sweep(world)
    assert "Page 2 <manquante>" in world.last_text(agent)

    # Sent again; staff accept it from /attestation (the list per body), confirmed.
    await api.send_text(agent, "/attestation")
    await api.send_document(agent, PDF, "attestation-complete.pdf", "application/pdf")
    await api.send_text(agent, "01/01/2026")
    await api.send_text(agent, "31/12/2026")
    await api.tap(agent, api.last(agent.id), 0)
    api.clear()
    await api.send_text(staff, "/attestation")
    listing, to_decide = world.texts(staff)[-2:]
    assert listing.startswith("📄 Attestations d'assurance, par organisme\n\n")
    assert (
        "• Reçue, à vérifier, demandée le lundi 16 mars 2026 — valable du jeudi 1 janvier 2026"
        in listing
    )
    assert to_decide.startswith("📄 À vérifier —")
    await api.tap(staff, api.last(staff.id), "✅ Accepter")
    assert world.last_text(staff).startswith("Accepter l'attestation d'assurance de")
    await api.tap(staff, api.last(staff.id), "✅ Accepter l'attestation")
    assert world.last_text(staff).startswith("✅ Attestation de")
    assert world.last_text(agent).startswith("✅ L'attestation d'assurance de")
    # The reminders stop; only the renewal, 30 days before the end at 09:00 Paris, is left.
    assert await _pending(world) == [
        ("call.certificate.renewal", datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    ]
    world.clock.set(datetime(2026, 4, 20, 7, 0, tzinfo=UTC))
    api.clear()
    assert (await sweep(world)).sent == 0

    # 30 days before it ends: asked again.
    world.clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    await sweep(world)
    assert world.last_text(agent).startswith("📅 L'attestation d'assurance de")
    assert "jeudi 31 décembre 2026" in world.last_text(agent)
    async with world.db.uow() as uow:
        states = (
            await uow.session.scalars(
                select(InsuranceCertificate.state).order_by(InsuranceCertificate.id)
            )
        ).all()
    assert list(states) == ["accepted", "asked"]


async def test_a_month_without_an_accepted_certificate_alerts_staff(world: World) -> None:
    api = world.api
    staff, _head, agent = await _people(world)
    await _decided(world)
    await _deliver_two(world, staff)
    certificate_id = await _only_certificate(world)
    # Each week the agent; a month after the ask, staff.
    for week in range(1, 5):
        world.clock.set(DELIVERED_AT + timedelta(days=7 * week))
        api.clear()
        assert (await sweep(world)).sent == 1
        assert world.last_text(agent).startswith("⏰ Rappel")
    world.clock.set(datetime(2026, 4, 15, 7, 0, tzinfo=UTC))
    api.clear()
    assert (await sweep(world)).sent == 1
    assert world.last_text(staff).startswith("⚠️ ")
    assert "il y a 30 jours" in world.last_text(staff)
    assert certificate_id > 0


async def _only_certificate(world: World) -> int:
    async with world.db.uow() as uow:
        (row,) = (await uow.session.scalars(select(InsuranceCertificate))).all()
    return row.id


async def test_an_agent_of_another_body_and_a_teacher_are_refused(world: World) -> None:
    api = world.api
    staff, head, _agent = await _people(world)
    teacher = await world.registered("Zoé", Role.TEACHER)
    other = await world.registered("Dana", Role.COMMUNE, commune="42095")  # Firminy
    await _decided(world)
    await _deliver_two(world, staff)
    certificate_id = await _only_certificate(world)
    for user in (teacher, head):
        await api.send_text(user, "/attestation")
        assert world.last_text(user) == _t(world, "common.error.forbidden")
    # Firminy's agent: their own body's page, nothing of Saint-Étienne's.
    await api.send_text(other, "/attestation")
    assert _t(world, "cert.mine.none") in world.last_text(other)
    await api.send_text(other, "/annuler")
    for data in (
        f"cert:file:{certificate_id}",
        f"cert:acc:{certificate_id}",
        f"cert:no:{certificate_id}",
    ):
        await api.send_text(other, "/aide")
        answer = await api.forge_callback(other, api.last(other.id).message_id, data)
        said = (api.callback_answer(answer) or {}).get("text")
        assert said in (_t(world, "cert.error.not_found"), _t(world, "common.error.forbidden")), (
            data
        )
    # The agent's own send never lands on another body's request.
    async with world.db.uow() as uow:
        row = await uow.session.get(InsuranceCertificate, certificate_id)
        assert row is not None and row.state == "asked"


async def test_annuler_ends_every_step(world: World) -> None:
    api = world.api
    staff, _head, agent = await _people(world)
    await _decided(world)
    for step, moves in (
        ("amid_app", []),
        ("amid_items", ["tap"]),
        ("amid_confirm", ["tap", "PC-0001;;1;13/03/2026"]),
    ):
        await api.send_text(staff, "/livraison")
        for move in moves:
            if move == "tap":
                await api.tap(staff, api.last(staff.id), 0)
            else:
                await api.send_text(staff, move)
        assert _step(world, DELIVERY, staff) == step
        await api.send_text(staff, "/annuler")
        assert world.last_text(staff) == _t(world, "common.cancelled")
        assert _step(world, DELIVERY, staff) is None
    for step, count in (("cert_file", 0), ("cert_from", 1), ("cert_until", 2), ("cert_confirm", 3)):
        await api.send_text(agent, "/attestation")
        if count >= 1:
            await api.send_document(agent, PDF, "a.pdf", "application/pdf")
        if count >= 2:
            await api.send_text(agent, "01/01/2026")
        if count >= 3:
            await api.send_text(agent, "31/12/2026")
        assert _step(world, CERT_SEND, agent) == step
        await api.send_text(agent, "/annuler")
        assert _step(world, CERT_SEND, agent) is None
    async with world.db.uow() as uow:
        assert (await uow.session.scalars(select(InsuranceCertificate))).all() == []
        assert await uow.directory.equipment_by_tag("PC-0001") is None
    # Staff's refusal: the reason, then its confirmation.
    await _deliver_two(world, staff)
    await api.send_text(agent, "/attestation")
    await api.send_document(agent, PDF, "a.pdf", "application/pdf")
    await api.send_text(agent, "01/01/2026")
    await api.send_text(agent, "31/12/2026")
    await api.tap(agent, api.last(agent.id), 0)
    received = api.last(staff.id)
    certificate_id = await _only_certificate(world)
    for step, typed in (("cert_reason", None), ("cert_rconfirm", "Illisible")):
        await api.forge_callback(staff, received.message_id, f"cert:no:{certificate_id}")
        if typed:
            await api.send_text(staff, typed)
        assert _step(world, CERT_REFUSE, staff) == step
        await api.send_text(staff, "/annuler")
        assert world.last_text(staff) == _t(world, "common.cancelled")
        assert _step(world, CERT_REFUSE, staff) is None
    async with world.db.uow() as uow:
        (row,) = (await uow.session.scalars(select(InsuranceCertificate))).all()
    assert row.state == "sent" and row.refusal_reason is None
