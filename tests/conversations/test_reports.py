"""The committee's reports through the offline Bot API: /bilan and /export for staff, the
bimonthly review pushed to staff, and each commune's yearly list of new equipment."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from telegram.ext import CommandHandler

from bot.domain.claims import ClaimKind
from bot.domain.collections import Condition
from bot.domain.roles import Role
from bot.services import claims, collections, registration
from handlers.telegram import reports
from handlers.telegram.offline import BotMessage, SimUser
from storage.models import Commune, Equipment, Reminder
from tests.conversations.conftest import World


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
async def office(world: World) -> World:
    """The world; the report commands are wired by the composition root."""
    assert any(
        isinstance(handler, CommandHandler) and "bilan" in handler.commands
        for group in world.app.handlers.values()
        for handler in group
    )
    return world


async def person_id(world: World, user: SimUser) -> int:
    person = await registration.find_person(world.db, "telegram", user.id)
    assert person is not None
    return person.id


async def report(world: World, reporter: SimUser, tag: str, kind: ClaimKind, when: str) -> str:
    reported = await claims.report_claim(
        world.db,
        claims.ReportClaim(
            reporter_id=await person_id(world, reporter),
            school_id=world.ids["soleil"],
            kind=kind,
            discovered_at=at(when),
            description="Constaté le matin",
            items=(claims.ItemRequest(asset_tag=tag),),
        ),
        at(when),
    )
    return reported.claim.number


def uploaded(world: World, chat_id: int, method: str = "sendDocument") -> list[Any]:
    """The files the bot uploaded to a chat, in order."""
    kind = "document" if method == "sendDocument" else "photo"
    return [s.params[kind] for s in world.api.sent if s.method == method and s.chat_id == chat_id]


def fresh(world: World, user: SimUser) -> list[BotMessage]:
    """The bot's messages to a person since the transcript was last cleared."""
    ids = {s.result["message_id"] for s in world.api.sent_to(user.id)}
    return [m for m in world.api.messages(user.id) if m.message_id in ids]


def texts(world: World, user: SimUser) -> list[str]:
    return [m.text or m.caption or "" for m in fresh(world, user)]


def documents(world: World, user: SimUser) -> list[str]:
    return [m.data["document"]["file_name"] for m in fresh(world, user) if m.document]


async def test_staff_get_the_review_as_a_summary_a_chart_and_a_workbook(office: World) -> None:
    api = office.api
    staff = await office.registered("Sacha", Role.STAFF)
    teacher = await office.registered("Zoé", Role.TEACHER)
    await report(office, teacher, "SEM-0001", ClaimKind.THEFT, "2026-01-15T08:00")
    await report(office, teacher, "SEM-0002", ClaimKind.DAMAGE, "2026-02-10T08:00")
    # March; a theft, since losses do not count toward the flag (decision 0021).
    await report(office, teacher, "SEM-0003", ClaimKind.THEFT, "2026-03-02T08:00")
    api.clear()

    await api.send_text(staff, "/bilan 01/01/2026-28/02/2026")

    api.assert_no_refusals()
    summary, chart, workbook = fresh(office, staff)
    assert summary.text is not None
    assert summary.text.startswith(
        "📊 Bilan des vols, pertes et dégradations du 01/01/2026 au 28/02/2026"
    )
    assert "Sinistres déclarés : 2 (1 par mois)\nVol : 1 · Perte : 0 · Dégradation : 1" in (
        summary.text
    )
    assert "• Saint-Étienne : 2 (remboursements estimés 640,00\xa0€)" in summary.text
    # Three thefts and damage within a year at the École du Soleil (one in March): flagged.
    assert "• École du Soleil (Saint-Étienne) : 3 vols et dommages" in summary.text
    # The three claims of the last 48 hours' duties are all overdue on 10 March.
    assert "⏰ Démarches de 48 h en retard : 3 sinistres, 9 démarches : S-2026-0001" in (
        summary.text
    )
    assert chart.photo is not None
    assert chart.caption == (
        "Sinistres déclarés du 01/01/2026 au 28/02/2026, par commune et par nature"
    )
    assert uploaded(office, staff.id, "sendPhoto")[0].data.startswith(b"\x89PNG\r\n\x1a\n")
    assert workbook.document is not None
    assert workbook.data["document"]["file_name"] == "bilan-sinistres-2026-01-01_2026-02-28.xlsx"
    book = load_workbook(io.BytesIO(uploaded(office, staff.id)[0].data))
    assert book["Synthèse"]["B5"].value == 2
    assert [c.value for c in book["Par commune"][2]][:3] == ["Saint-Étienne", "42218", 2]
    # Nobody else hears of it.
    assert api.sent_to(teacher.id) == []


async def test_staff_may_ask_for_a_month_a_year_or_a_range(office: World) -> None:
    staff = await office.registered("Sacha", Role.STAFF)
    for typed, period in [
        ("/bilan 2026-03", "du 01/03/2026 au 31/03/2026"),
        ("/bilan 2025", "du 01/01/2025 au 31/12/2025"),
        ("/bilan 15/01/2026-15/02/2026", "du 15/01/2026 au 15/02/2026"),
    ]:
        office.api.clear()
        await office.api.send_text(staff, typed)
        shown = texts(office, staff)
        assert shown[0].startswith(f"📊 Bilan des vols, pertes et dégradations {period}")
        assert "Aucun sinistre déclaré sur la période." in shown[0]
        assert len(fresh(office, staff)) == 3


async def test_a_bad_period_is_explained_with_examples(office: World) -> None:
    staff = await office.registered("Sacha", Role.STAFF)
    await office.api.send_text(staff, "/bilan la semaine dernière")
    assert texts(office, staff) == [
        "Période non comprise. Exemples :\n"
        "/bilan — les deux derniers mois\n"
        "/bilan 2026 — une année\n"
        "/bilan 2026-03 — un mois (ou 03/2026)\n"
        "/bilan 01/01/2026-31/03/2026 — du 1er janvier au 31 mars inclus"
    ]
    office.api.clear()
    await office.api.send_text(staff, "/bilan 31/03/2026-01/01/2026")
    assert texts(office, staff)[0].startswith("La fin de la période précède son début.")


async def test_teachers_and_communes_may_not_read_the_review(office: World) -> None:
    teacher = await office.registered("Zoé", Role.TEACHER)
    agent = await office.registered("Claude", Role.COMMUNE)
    forbidden = office.app.bot_data["services"].i18n.t("fr", "common.error.forbidden")
    for user in (teacher, agent):
        await office.api.send_text(user, "/bilan")
        await office.api.send_text(user, "/export")
        assert texts(office, user) == [forbidden, forbidden]
        assert not [m for m in fresh(office, user) if m.photo or m.document]


async def test_staff_export_tickets_as_a_workbook_and_a_csv(office: World) -> None:
    api = office.api
    staff = await office.registered("Sacha", Role.STAFF)
    teacher = await office.registered("Zoé", Role.TEACHER)
    await report(office, teacher, "SEM-0001", ClaimKind.THEFT, "2026-01-15T08:00")
    await report(office, teacher, "SEM-0002", ClaimKind.DAMAGE, "2026-02-10T08:00")
    api.clear()

    await api.send_text(staff, "/export sinistres commune 42218 ouverts")
    assert texts(office, staff)[0] == (
        "📤 2 dossiers exportés : tableur Excel et fichier CSV (séparateur « ; »)."
    )
    assert documents(office, staff) == [
        "export-claim-2026-03-10.xlsx",
        "export-claim-2026-03-10.csv",
    ]
    xlsx, csv_file = (f.data for f in uploaded(office, staff.id))
    sheet = load_workbook(io.BytesIO(xlsx))["Tickets"]
    assert [sheet.cell(row, 1).value for row in (1, 2, 3)] == [
        "Numéro",
        "S-2026-0001",
        "S-2026-0002",
    ]
    assert csv_file.startswith(b"\xef\xbb\xbfNum\xc3\xa9ro;Type;")

    api.clear()
    await api.send_text(staff, "/export sinistres commune 42095")
    assert texts(office, staff) == ["Aucun dossier ne correspond à ces critères."]
    api.clear()
    await api.send_text(staff, "/export commune 99999")
    assert texts(office, staff) == ["Aucune commune n'a le code INSEE 99999."]
    api.clear()
    await api.send_text(staff, "/export <b>bananes</b>")
    assert texts(office, staff)[0].startswith("Je ne comprends pas « <b>bananes</b> ».")


async def test_the_review_is_pushed_to_staff_every_two_months_once(office: World) -> None:
    api = office.api
    first = await office.registered("Sacha", Role.STAFF)
    second = await office.registered("Camille", Role.STAFF)
    teacher = await office.registered("Zoé", Role.TEACHER)
    agent = await office.registered("Claude", Role.COMMUNE)
    await report(office, teacher, "SEM-0001", ClaimKind.THEFT, "2026-01-15T08:00")
    api.clear()

    # The evening before: the review is planned, nothing is sent.
    office.clock.set(at("2026-02-28T18:00"))
    run = await reports.run_reports(office.app, worker="test")
    assert run.outcomes == {}
    assert api.sent == []

    # 1 March, 08:00 Paris: summary, chart and workbook to each staff member.
    office.clock.set(at("2026-03-01T07:00"))
    run = await reports.run_reports(office.app, worker="test")
    assert run.outcomes == {"report:review:2026-03": "sent"}
    for staff in (first, second):
        summary, chart, _ = fresh(office, staff)
        assert summary.text is not None and summary.text.startswith(
            "📅 Bilan bimestriel pour le comité technique : "
            "vols, pertes et dégradations du 01/01/2026 au 28/02/2026"
        )
        assert "Sinistres déclarés : 1 (0,5 par mois)" in summary.text
        assert chart.photo is not None
        assert documents(office, staff) == ["bilan-sinistres-2026-01-01_2026-02-28.xlsx"]
    assert api.sent_to(teacher.id) == [] and api.sent_to(agent.id) == []

    # Sent once: a later run sends nothing; the next review (1 May) is planned.
    sent = len(api.sent)
    office.clock.set(at("2026-03-01T09:00"))
    assert (await reports.run_reports(office.app, worker="other")).outcomes == {}
    assert len(api.sent) == sent
    async with office.db.uow() as uow:
        rows = {
            r.key: r
            for r in (
                await uow.session.scalars(
                    select(Reminder).where(Reminder.key.like("report:review:%"))
                )
            ).all()
        }
    assert rows["report:review:2026-03"].state == "sent"
    assert rows["report:review:2026-03"].sent_at == at("2026-03-01T07:00")
    assert rows["report:review:2026-05"].state == "pending"
    assert rows["report:review:2026-05"].due_at == at("2026-05-01T06:00")  # 08:00 Paris

    office.clock.set(at("2026-05-01T06:00"))
    run = await reports.run_reports(office.app, worker="test")
    assert run.outcomes == {"report:review:2026-05": "sent"}
    assert texts(office, first)[-3].startswith(
        "📅 Bilan bimestriel pour le comité technique : "
        "vols, pertes et dégradations du 01/03/2026 au 30/04/2026"
    )


async def test_a_staff_member_who_blocked_the_bot_does_not_stop_the_others(
    office: World,
) -> None:
    api = office.api
    blocked = await office.registered("Sacha", Role.STAFF)
    other = await office.registered("Camille", Role.STAFF)
    api.clear()
    office.clock.set(at("2026-03-01T07:00"))
    api.fail("sendMessage", status=403, description="Forbidden: bot was blocked by the user")

    run = await reports.run_reports(office.app, worker="test")

    assert run.outcomes == {"report:review:2026-03": "sent"}
    assert fresh(office, blocked) == []
    assert len(fresh(office, other)) == 3
    async with office.db.uow() as uow:
        row = await uow.session.scalar(
            select(Reminder).where(Reminder.key == "report:review:2026-03")
        )
    assert row is not None
    assert row.payload["failed"] == {str(blocked.id): "Forbidden: bot was blocked by the user"}


async def test_each_commune_gets_its_yearly_list_of_new_equipment_in_january(
    office: World,
) -> None:
    api = office.api
    staff = await office.registered("Sacha", Role.STAFF)
    teacher = await office.registered("Zoé", Role.TEACHER)
    agent = await office.registered("Claude", Role.COMMUNE)  # Saint-Étienne
    colleague = await office.registered("Dominique", Role.COMMUNE)  # Saint-Étienne too
    firminy = await office.registered("Dana", Role.COMMUNE, commune="42095")
    api.clear()

    # The inventory imported on 10 March 2026 (SEM-0001…0005, SEM-0101) has no
    # installation date and was acquired before 2026, or on an unknown date (SEM-0005: listed
    # apart, to be dated). SEM installed three items during 2026, recorded later; the
    # installation date decides the year (decision 0022), not the acquisition nor the import.
    async with office.db.uow() as uow:
        for tag, school, cents, acquired, installed in [
            ("SEM-0201", "soleil", 45000, date(2026, 9, 1), date(2026, 9, 2)),
            ("SEM-0202", "lune", 120000, date(2025, 11, 15), date(2026, 1, 6)),
            ("SEM-0301", "forges", 40000, date(2026, 2, 1), date(2026, 2, 3)),
        ]:
            uow.session.add(
                Equipment(
                    asset_tag=tag,
                    school_id=office.ids[school],
                    type="tablet",
                    model="iPad 10",
                    owner="sem",
                    acquired_on=acquired,
                    installed_on=installed,
                    value_cents=cents,
                    state="in_service",
                    created_at=at("2027-01-05T10:00"),
                    updated_at=at("2027-01-05T10:00"),
                )
            )
        await uow.commit()
    office.clock.set(at("2027-01-15T07:00"))  # 15 January, 08:00 Paris
    run = await reports.run_reports(office.app, worker="test")

    st_etienne, firminy_id = office.ids["st_etienne"], office.ids["firminy"]
    assert run.outcomes[f"report:equipment:2026:{st_etienne}"] == "sent"
    assert run.outcomes[f"report:equipment:2026:{firminy_id}"] == "sent"
    for user in (agent, colleague):
        assert texts(office, user)[0] == (
            "📋 Nouveaux équipements installés en 2026 dans les écoles de Saint-Étienne : "
            "2 équipements, valeur totale 1\u202f650,00\xa0€.\n"
            "La liste jointe sert à mettre à jour vos contrats d'assurance "
            "(article 6 de la convention).\n"
            "⚠️ Matériel de SEM sans date d'installation, listé à part dans le fichier pour être "
            "complété : 1."
        )
        assert documents(office, user) == ["nouveaux-equipements-2026-42218.xlsx"]
    assert documents(office, firminy) == ["nouveaux-equipements-2026-42095.xlsx"]
    assert "Firminy : 1 équipement, valeur totale 400,00\xa0€" in texts(office, firminy)[0]

    sheet = load_workbook(io.BytesIO(uploaded(office, agent.id)[0].data))["Nouveaux équipements"]
    assert [sheet.cell(row, 3).value for row in range(2, 4)] == ["SEM-0202", "SEM-0201"]
    assert (sheet["A4"].value, sheet["I4"].value) == ("Total", 1650)
    assert sheet["A8"].value == "Sans date d'installation (à compléter dans l'inventaire) : 1"
    assert sheet["C10"].value == "SEM-0005"

    # Staff get the review of November-December (due on 1 January, within the grace),
    # not the communes' lists; teachers get nothing.
    assert documents(office, staff) == ["bilan-sinistres-2026-11-01_2026-12-31.xlsx"]
    assert api.sent_to(teacher.id) == []

    # Sent once.
    sent = len(api.sent)
    office.clock.set(at("2027-01-15T12:00"))
    await reports.run_reports(office.app, worker="test")
    assert len(api.sent) == sent


async def test_the_reports_job_is_scheduled_once(office: World) -> None:
    if office.app.job_queue is None:
        pytest.skip("no job queue")
    job = reports.schedule_reports(office.app)
    assert reports.schedule_reports(office.app) is job
    assert job.name == "reports"


async def test_every_commune_gets_its_list_in_the_same_run(office: World) -> None:
    async with office.db.uow() as uow:
        uow.session.add_all(
            Commune(insee=f"{42300 + n}", name=f"Commune {n}", created_at=at("2026-01-01T00:00"))
            for n in range(30)
        )
        await uow.commit()
    agent = await office.registered("Claude", Role.COMMUNE)
    office.clock.set(at("2027-01-15T07:00"))

    run = await reports.run_reports(office.app, worker="test")

    lists = {k: v for k, v in run.outcomes.items() if k.startswith("report:equipment:")}
    assert len(lists) == 32  # more than one batch
    # Communes without an agent on the bot: nobody to send to.
    assert sorted(set(lists.values())) == ["sent", "skipped"]
    assert list(lists.values()).count("sent") == 1
    # The inventory has no installation date: nothing dated in 2026, but SEM-0005 (no date
    # at all) is listed apart in the file, and the message says so (decision 0022).
    assert documents(office, agent) == ["nouveaux-equipements-2026-42218.xlsx"]
    assert texts(office, agent)[0] == (
        "📋 Aucun équipement installé en 2026 n'est daté dans les écoles de Saint-Étienne, "
        "mais 1 matériel de SEM n'a pas de date d'installation : il est listé dans le fichier "
        "joint. S'il a été installé en 2026, vos contrats d'assurance sont à mettre à jour."
    )
    async with office.db.uow() as uow:
        pending = (
            await uow.session.scalars(
                select(Reminder.key).where(
                    Reminder.key.like("report:equipment:2026:%"), Reminder.state == "pending"
                )
            )
        ).all()
    assert pending == []


async def test_the_review_without_a_period_includes_the_claim_filed_today(office: World) -> None:
    api = office.api
    staff = await office.registered("Sacha", Role.STAFF)
    teacher = await office.registered("Zoé", Role.TEACHER)
    await report(office, teacher, "SEM-0003", ClaimKind.LOSS, "2026-03-10T08:00")  # today
    api.clear()

    await api.send_text(staff, "/bilan")

    api.assert_no_refusals()
    summary = fresh(office, staff)[0]
    assert summary.text is not None
    assert summary.text.startswith(
        "📊 Bilan des vols, pertes et dégradations du 11/01/2026 au 10/03/2026"
    )
    assert "Sinistres déclarés : 1" in summary.text


async def test_the_review_has_an_equipment_section_and_sheet(office: World) -> None:
    """/bilan 2026: the year's unused and broken items, by body (decision 0033)."""
    api = office.api
    staff = await office.registered("Sacha", Role.STAFF)
    teacher = await office.registered("Zoé", Role.TEACHER)
    await collections.flag_equipment(
        office.db,
        collections.FlagEquipment(
            reporter_id=await person_id(office, teacher),
            school_id=office.ids["soleil"],
            items=(
                collections.FlagItem("SEM-0004", Condition.BROKEN, "Lampe grillée"),
                collections.FlagItem("SEM-0005", Condition.UNUSED),
            ),
            place="Salle 3, armoire : en panne à gauche, inutilisé à droite",
        ),
        at("2026-03-02T08:00"),
    )
    api.clear()

    await api.send_text(staff, "/bilan 2026")

    api.assert_no_refusals()
    summary = fresh(office, staff)[0]
    assert summary.text is not None
    assert summary.text.endswith(
        "♻️ Matériel (équipements inutilisés ou en panne) : 1 signalé hors d'usage"
        " · 1 signalé non utilisé\n"
        "• Saint-Étienne : 1 signalé hors d'usage · 1 signalé non utilisé"
    )
    book = load_workbook(io.BytesIO(uploaded(office, staff.id)[0].data))
    sheet = book["Matériel"]
    assert [c.value for c in sheet[2]][:6] == ["Saint-Étienne", "Commune", "commune:42218", 1, 1, 0]
    assert [c.value for c in sheet[3]][:5] == ["Total", None, None, 1, 1]

    # A period without any: said in one line.
    api.clear()
    await api.send_text(staff, "/bilan 2025")
    assert texts(office, staff)[0].endswith(
        "♻️ Matériel : aucun équipement signalé, collecté, recyclé, mis en stock ni réattribué"
        " sur la période."
    )
