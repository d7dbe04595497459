"""A whole call for expression of interest (DOMAIN.md §3, decisions 0038 to 0043) played
end to end on Telegram by real people tapping and typing, through the offline Bot API.

Staff build a call with /ami_nouveau (two tablets, public schools only, open from
Wednesday 11 March 08:00 to Friday 20 March 18:00 in Paris, a number question and a
commitment), read the preview and publish it: the three public schools' heads get it
with « Candidater », the private school's head nothing (her /ami shows no call, a forged
« Candidater » is refused). Before the opening « Candidater » is refused. École du
Soleil applies (a number out of bounds and a refused commitment on the way), École de la
Lune applies then edits its answer; École des Forges, reminded at 09:00 Paris a week and
a day before the closing, tries after the closing and is refused. Staff select Soleil
for both tablets, are refused a tablet for La Lune beyond what is left, decline it with
a reason and send the results (each head its own). The delivery asks Saint-Étienne's
agent for the insurance certificate; a week later (summer time by then) the agent is
reminded, sends it, staff accept it, and nothing more comes a week or a month later.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.domain.roles import Role
from bot.services import calls
from handlers.telegram import calls_staff
from handlers.telegram.offline import SimUser
from storage.models import CallApplication, CallCampaign, InsuranceCertificate, Reminder
from tests.conversations.conftest import World
from tests.conversations.test_bodies import _private_school_under_an_ogec
from tests.conversations.test_calls_staff import _delivered
from tests.conversations.test_claim_follow_steps import _step
from tests.conversations.test_claims import sweep

pytestmark = pytest.mark.filterwarnings(
    # Offline, the application is not started: the deliveries' tasks are awaited here.
    "ignore:Tasks created via `Application.create_task`:telegram.warnings.PTBUserWarning"
)

CREATE, DECIDE = calls_staff.CREATE, calls_staff.DECIDE
APPLYING, DELIVERY, CERT_SEND = "call_apply", "call_delivery", "certificate_send"
PDF = b"%PDF-1.4\n%%EOF\n"
TITLE = "Tablettes pour l'école"
WINDOW = "Candidatures du mercredi 11 mars 2026 à 08:00 au vendredi 20 mars 2026 à 18:00"
SUMMARY = (
    f"📣 {TITLE}\nMatériel : tablette, 2 unités\n{WINDOW}\n\n"
    "Des tablettes pour les classes de cycle 3."
)
QUESTIONS = (
    "Questions :\n1. Combien d'élèves ? (nombre, de 1 à 300)\n"
    "2. L'équipe suivra la formation (engagement oui/non)"
)
UNTIL = "jusqu'au vendredi 20 mars 2026 à 18:00"
# Paris is UTC+1 until Sunday 29 March 2026, UTC+2 after.
OPENS_AT = datetime(2026, 3, 11, 7, 0, tzinfo=UTC)
CLOSES_AT = datetime(2026, 3, 20, 17, 0, tzinfo=UTC)
DELIVERED_AT = datetime(2026, 3, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Paris
REMINDED_AT = datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # a week later, 09:00 in Paris


def _t(world: World, key: str, **params: object) -> str:
    return str(world.app.bot_data["services"].i18n.t("fr", key, **params))


def _sent_to(world: World) -> list[int]:
    return [int(s.params["chat_id"]) for s in world.api.sent if s.method == "sendMessage"]


async def _alert(world: World, user: SimUser, data: str) -> str:
    """The pop-up a forged button ``data`` gets (on the last message of the chat)."""
    forged = await world.api.forge_callback(user, world.api.last(user.id).message_id, data)
    answer = world.api.callback_answer(forged)
    assert answer is not None
    return str(answer.get("text", ""))


async def _swept(world: World) -> list[tuple[int, str]]:
    """The reminder sweep run now: who received what."""
    world.api.clear()
    report = await sweep(world)
    told = [(int(s.params["chat_id"]), str(s.params["text"])) for s in world.api.sent]
    assert report.sent == len(told)
    return told


async def _pending_certificate_reminders(world: World) -> list[tuple[str, datetime]]:
    async with world.db.uow() as uow:
        rows = (
            await uow.session.scalars(
                select(Reminder)
                .where(Reminder.key.startswith("cert:"), Reminder.state == "pending")
                .order_by(Reminder.due_at)
            )
        ).all()
    return [(r.kind, r.due_at) for r in rows]


async def test_a_whole_call_from_its_creation_to_the_certificate_accepted(world: World) -> None:
    api = world.api
    await _private_school_under_an_ogec(world)  # École Sainte-Marie, private: not reached
    dora = await world.registered("Dora", Role.DIRECTOR)  # École du Soleil (A)
    luc = await world.registered("Luc", Role.DIRECTOR, school="0420002Z")  # la Lune (B)
    fabien = await world.registered("Fabien", Role.DIRECTOR, school="0420003A")  # Forges (C)
    marie = await world.registered("Marie", Role.DIRECTOR, school="0420009G")  # Sainte-Marie
    claude = await world.registered("Claude", Role.COMMUNE)  # Saint-Étienne, Soleil's body
    staff = await world.registered("Sacha", Role.STAFF)
    heads = (dora, luc, fabien, marie)

    # --- 1. Staff build the call step by step, on Tuesday 10 March at 10:00 in Paris.
    async def answer(typed: str, said: str, step: str | None = None) -> None:
        await api.send_text(staff, typed)
        assert world.last_text(staff) == said, typed
        if step is not None:
            assert _step(world, CREATE, staff) == step

    await answer(
        "/ami_nouveau",
        "📣 Nouvel appel à manifestation d'intérêt.\nSon titre ? (200 caractères au plus, "
        "/annuler pour abandonner)",
        "amc_title",
    )
    await answer(TITLE, f"« {TITLE} » : quel matériel l'appel propose-t-il ?", "amc_nature")
    await api.tap(staff, api.last(staff.id), "tablette")
    assert world.last_text(staff).startswith("Matériel : tablette.\nDécrivez l'appel aux écoles")
    await answer(
        "Des tablettes pour les classes de cycle 3.",
        "L'appel propose-t-il des unités, ou des lots pour une classe ?",
        "amc_unit",
    )
    await api.tap(staff, api.last(staff.id), "Des unités")
    assert world.last_text(staff) == _t(world, "ami.staff.ask_count.units")
    await answer("2", "2 unités. Quelles écoles peuvent candidater ?", "amc_reach")
    await api.tap(staff, api.last(staff.id), "Les écoles publiques")
    assert _step(world, CREATE, staff) == "amc_opens"
    await answer(
        "11/03/2026 08:00",
        "Ouverture : mercredi 11 mars 2026 à 08:00.\nEt la clôture ? Même forme : "
        "« 30/04/2026 18:00 ».",
        "amc_closes",
    )
    await answer(
        "20/03/2026 18:00",
        "Les enseignants peuvent-ils candidater pour leur école, ou seulement les directeurs ?",
        "amc_teachers",
    )
    await api.tap(staff, api.last(staff.id), "Les directeurs seulement")
    assert _step(world, CREATE, staff) == "amc_questions"
    await api.tap(staff, api.last(staff.id), "➕ Nombre")
    assert world.last_text(staff) == (
        "La question ? (ex. « Combien d'élèves concernés ? », 200 caractères au plus)"
    )
    await answer(
        "Combien d'élèves ?",
        "Le plus petit et le plus grand nombre acceptés, ainsi : « 1 30 » (jusqu'à 100000).",
        "amc_bounds",
    )
    await answer("300 1", _t(world, "ami.staff.error.bounds_order", max=100_000), "amc_bounds")
    await api.send_text(staff, "1 300")
    await api.tap(staff, api.last(staff.id), "➕ Engagement (oui/non)")
    await api.send_text(staff, "L'équipe suivra la formation")
    questions = api.last(staff.id)
    assert questions.text == (
        "Les questions posées aux écoles (12 au plus) :\n1. Combien d'élèves ? (nombre, de 1 à "
        "300)\n2. L'équipe suivra la formation (engagement oui/non)\n\nAjoutez-en une, ou "
        "touchez « Terminé »."
    )
    await api.tap(staff, questions, "Terminé ▶️")

    # The preview says whom its publication reaches: the three public schools' heads.
    assert _step(world, CREATE, staff) is None
    preview = api.last(staff.id)
    assert preview.text == (
        "📝 L'appel est enregistré comme brouillon : aucune école n'en sait rien encore.\n\n"
        f"{SUMMARY}\n\nSa publication toucherait 3 directions d'école et 0 enseignant ou "
        f"enseignante qui suit les appels, dans 3 écoles.\n\n{QUESTIONS}"
    )
    assert preview.button_texts == ["📣 Publier", "Enregistrer comme brouillon"]
    async with world.db.uow() as uow:
        row = await uow.session.scalar(select(CallCampaign))
        assert row is not None
        window = calls.campaign_view(row).window
    assert (window.opens_at, window.closes_at) == (OPENS_AT, CLOSES_AT)  # typed in Paris time
    assert (row.state, row.reach, row.quantity_count, row.kit_size, row.allow_teachers) == (
        "draft",
        "public",
        2,
        None,
        False,
    )
    campaign_id = row.id

    await api.tap(staff, preview, "📣 Publier")
    assert world.last_text(staff) == (
        f"Publier l'appel « {TITLE} » ? Il sera envoyé à 3 personnes (3 écoles). La "
        "publication ne se retire pas, elle s'annule."
    )
    api.clear()
    await api.tap(staff, api.last(staff.id), "✅ Publier et prévenir les écoles")
    await _delivered(world)
    assert sorted(_sent_to(world)) == sorted([staff.id, staff.id, dora.id, luc.id, fabien.id])
    for head in (dora, luc, fabien):
        publication = api.last(head.id)
        assert publication.text == (
            f"Nouvel appel à manifestation d'intérêt de la SEM.\n\n{SUMMARY}\n\nVotre école "
            f"peut candidater {UNTIL}."
        )
        assert publication.button_texts == ["Candidater"]
        assert [d for r in publication.buttons for _, d in r] == [f"ami:apply:{campaign_id}"]
    assert api.sent_to(marie.id) == []
    assert world.last_text(staff) == (
        f"« {TITLE} » : la publication reçue par 3 personnes, 0 échec."
    )

    # The private school's head: no open call, and a forged « Candidater » is refused.
    await api.send_text(marie, "/ami")
    assert world.last_text(marie) == _t(world, "ami.school.none")
    assert world.last_text(marie) == (
        "Aucun appel à manifestation d'intérêt n'est ouvert pour votre école en ce moment."
    )
    assert await _alert(world, marie, f"ami:apply:{campaign_id}") == _t(
        world, "call.error.not_eligible"
    )
    assert _step(world, APPLYING, marie) is None
    # Before Wednesday 08:00 in Paris, « Candidater » is refused too.
    update = await api.tap(dora, api.last(dora.id), "Candidater")
    assert api.callback_answer(update) == {
        "text": _t(world, "call.error.not_open_yet"),
        "show_alert": True,
    }
    assert _step(world, APPLYING, dora) is None

    # --- 2. École du Soleil applies at the opening instant, two bad answers on the way.
    world.clock.set(OPENS_AT)
    before = len(api.messages(dora.id))
    await api.tap(dora, api.messages(dora.id)[-1], "Candidater")
    assert world.texts(dora)[before:] == [
        f"📣 Candidature à « {TITLE} »\nRépondez aux questions ; vous relirez tout avant "
        f"l'envoi. Candidatures {UNTIL}.",
        "Question 1/2 — Combien d'élèves ?\nTapez un nombre entre 1 et 300.",
    ]
    await api.send_text(dora, "500")
    assert world.last_text(dora) == "Tapez un nombre entre 1 et 300."
    assert _step(world, APPLYING, dora) == "ami_answer"
    await api.send_text(dora, "24")
    commitment = api.last(dora.id)
    assert commitment.text == (
        "Question 2/2 — L'équipe suivra la formation\nVotre école s'y engage-t-elle ?"
    )
    assert commitment.button_texts == ["Oui", "Non"]
    await api.tap(dora, commitment, "Non")
    assert world.texts(dora)[-2:] == [
        _t(world, "call.error.commitment_required"),
        "Votre réponse :",
    ]
    assert _step(world, APPLYING, dora) == "ami_answer"
    await api.tap(dora, api.last(dora.id), "Oui")
    summary = api.last(dora.id)
    assert summary.text == (
        f"📣 Votre candidature à « {TITLE} »\nCombien d'élèves ? : 24\nL'équipe suivra la "
        f"formation : oui\n\nVous pourrez la modifier ou la retirer {UNTIL}."
    )
    assert summary.button_texts == ["✅ Envoyer", "Corriger", "✖️ Annuler"]
    await api.tap(dora, summary, "✅ Envoyer")
    assert _step(world, APPLYING, dora) is None
    assert world.last_text(dora) == (
        f"✅ Candidature A-2026-0001 envoyée.\n\n📣 A-2026-0001 — candidature à « {TITLE} »\n"
        "École : École du Soleil\nEnvoyée le mercredi 11 mars 2026 à 08:00\nÉtat : envoyée\n\n"
        "Combien d'élèves ? : 24\nL'équipe suivra la formation : oui\n\nModifiable jusqu'au "
        "vendredi 20 mars 2026 à 18:00."
    )
    assert api.last(dora.id).button_texts == ["✏️ Modifier", "Retirer"]

    # École de la Lune applies the next day.
    world.clock.set(datetime(2026, 3, 12, 13, 0, tzinfo=UTC))
    await api.tap(luc, api.messages(luc.id)[-1], "Candidater")
    await api.send_text(luc, "12")
    await api.tap(luc, api.last(luc.id), "Oui")
    await api.tap(luc, api.last(luc.id), "✅ Envoyer")
    assert world.last_text(luc).startswith("✅ Candidature A-2026-0002 envoyée.")

    # A week before the closing, 09:00 in Paris: only Forges, eligible and silent, reminded.
    reminder = (
        f"⏰ Rappel : l'appel à manifestation d'intérêt « {TITLE} » se clôt le vendredi 20 "
        "mars 2026 à 18:00, et votre école n'a pas encore candidaté."
    )
    assert reminder == _t(
        world, "ami.reminder", title=TITLE, closes="vendredi 20 mars 2026 à 18:00"
    )
    world.clock.set(datetime(2026, 3, 13, 8, 0, tzinfo=UTC))
    assert await _swept(world) == [(fabien.id, reminder)]
    assert api.last(fabien.id).button_texts == ["Candidater"]

    # La Lune edits its application before the closing: « Modifier », pre-filled.
    world.clock.set(datetime(2026, 3, 16, 9, 0, tzinfo=UTC))
    await api.send_text(luc, "/ami")
    assert world.last_text(luc).endswith("Votre école a candidaté : A-2026-0002.")
    await api.tap(luc, api.last(luc.id), "Voir la candidature")
    await api.tap(luc, api.last(luc.id), "✏️ Modifier")
    first = api.last(luc.id)
    assert first.text == (
        "Question 1/2 — Combien d'élèves ?\nTapez un nombre entre 1 et 300.\nRéponse actuelle : 12"
    )
    assert first.button_texts == ["Garder"]
    await api.send_text(luc, "18")
    await api.tap(luc, api.last(luc.id), "Garder")
    assert "Combien d'élèves ? : 18\n" in world.last_text(luc)
    await api.tap(luc, api.last(luc.id), "✅ Envoyer")
    assert world.last_text(luc) == (
        f"✅ Candidature A-2026-0002 modifiée.\n\n📣 A-2026-0002 — candidature à « {TITLE} »\n"
        "École : École de la Lune\nEnvoyée le jeudi 12 mars 2026 à 14:00\nÉtat : envoyée\n\n"
        "Combien d'élèves ? : 18\nL'équipe suivra la formation : oui\n\nModifiable jusqu'au "
        "vendredi 20 mars 2026 à 18:00."
    )

    # The day before the closing: Forges reminded again, nobody else.
    world.clock.set(datetime(2026, 3, 19, 8, 0, tzinfo=UTC))
    assert await _swept(world) == [(fabien.id, reminder)]

    # --- 3. The closing instant passes: Forges, late, is refused; no reminder any more.
    world.clock.set(CLOSES_AT)
    assert await _swept(world) == []
    publication = next(m for m in api.messages(fabien.id) if m.text and "Nouvel appel" in m.text)
    update = await api.tap(fabien, publication, "Candidater")
    assert api.callback_answer(update) == {
        "text": _t(world, "call.error.closed"),
        "show_alert": True,
    }
    assert _t(world, "call.error.closed") == (
        "Cet appel est clos : les candidatures ne sont plus modifiables."
    )
    assert _step(world, APPLYING, fabien) is None
    await api.send_text(fabien, "/ami")
    assert world.last_text(fabien) == _t(world, "ami.school.none")
    async with world.db.uow() as uow:
        applications = (await uow.session.scalars(select(CallApplication))).all()
    assert len(applications) == 2

    # --- 4. The selection: the edited answer is what staff see.
    await api.send_text(staff, "/ami")
    # Past its closing, the campaign reads as closed and awaiting the selection.
    assert "Tablettes pour l'école (n° 1) — clos le" in world.last_text(staff)
    assert "sélection à faire" in world.last_text(staff)
    await api.tap(staff, api.last(staff.id), "1 · Tablettes pour l'école")
    card = api.last(staff.id)
    assert "3 écoles concernées, 2 candidatures, 0 retenue" in (card.text or "")
    assert card.button_texts == [
        "⏰ Prolonger",
        "📋 Sélection",
        "⏳ Servir la liste d'attente",
        "📨 Envoyer les résultats",
        "🗑 Annuler l'appel",
    ]
    api.clear()
    before = len(api.messages(staff.id))
    await api.tap(staff, card, "📋 Sélection")
    assert world.texts(staff)[before] == (
        f"📋 Sélection de « {TITLE} » : 2 candidatures. Attribué : 0 unité ; reste : 2 unités."
        " (page 1/1)"
    )
    rows = [m for m in api.messages(staff.id) if (m.text or "").startswith("A-2026-")]
    assert [m.text for m in rows] == [
        "A-2026-0001 — École du Soleil (Saint-Étienne), envoyée le mercredi 11 mars 2026 à "
        "08:00\n2 matériels de ce type en service (moins d'un an) ; 0 sinistre sur 12 mois\n"
        "Combien d'élèves ? : 24\nL'équipe suivra la formation : oui",
        "A-2026-0002 — École de la Lune (Saint-Étienne), envoyée le jeudi 12 mars 2026 à "
        "14:00\n0 matériel de ce type en service ; 0 sinistre sur 12 mois\n"
        "Combien d'élèves ? : 18\nL'équipe suivra la formation : oui",
    ]
    assert [m.button_texts for m in rows] == [["Retenir", "Liste d'attente", "Refuser"]] * 2
    (workbook,) = [s for s in api.sent if s.method == "sendDocument"]
    sheet = load_workbook(io.BytesIO(workbook.params["document"].data)).active
    assert sheet is not None
    table = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(table) == {"École du Soleil", "École de la Lune"}
    assert 18 in table["École de la Lune"] and 12 not in table["École de la Lune"]

    # Soleil gets both tablets.
    await api.tap(staff, rows[0], "Retenir")
    assert world.last_text(staff) == (
        "A-2026-0001 (École du Soleil) : combien d'unités lui attribuer ?"
    )
    await api.send_text(staff, "2")
    assert world.last_text(staff) == "✅ A-2026-0001 (École du Soleil) : retenue, 2 unités."
    assert _step(world, DECIDE, staff) is None
    # La Lune, beyond what is left: the domain's words, the step kept.
    await api.tap(staff, rows[1], "Retenir")
    await api.send_text(staff, "1")
    assert world.last_text(staff) == _t(world, "call.error.over_quantity", left=0, asked=1)
    assert world.last_text(staff) == "L'appel n'en a plus assez : il reste 0, vous en attribuez 1."
    assert _step(world, DECIDE, staff) == "amd_quantity"
    await api.send_text(staff, "/annuler")
    assert _step(world, DECIDE, staff) is None
    # Declined, with its reason.
    await api.tap(staff, rows[1], "Refuser")
    assert _step(world, DECIDE, staff) == "amd_reason"
    await api.send_text(staff, "Les deux tablettes sont attribuées")
    assert world.last_text(staff) == (
        "❌ A-2026-0002 (École de la Lune) : non retenue. Motif : Les deux tablettes sont "
        "attribuées"
    )

    # The results: confirmed, then each applicant's head gets its own.
    await api.send_text(staff, "/ami")
    await api.tap(staff, api.last(staff.id), 0)
    await api.tap(staff, api.last(staff.id), "📨 Envoyer les résultats")
    assert world.last_text(staff) == (
        f"Envoyer les résultats de « {TITLE} » ? 1 retenue, 0 en attente, 1 non retenue : "
        "chaque école recevra sa réponse, avec le motif si elle n'est pas retenue."
    )
    api.clear()
    await api.tap(staff, api.last(staff.id), "📨 Envoyer les résultats aux écoles")
    await _delivered(world)
    assert sorted(_sent_to(world)) == sorted([staff.id, staff.id, dora.id, luc.id])
    assert world.last_text(dora) == (
        f"🎉 Votre candidature A-2026-0001 à l'appel « {TITLE} » est retenue : 2 unités."
    )
    assert world.last_text(luc) == (
        f"Votre candidature A-2026-0002 à l'appel « {TITLE} » n'est pas retenue. Motif : Les "
        "deux tablettes sont attribuées"
    )
    assert world.last_text(staff) == f"« {TITLE} » : la réponse reçue par 2 personnes, 0 échec."

    # --- 5. The delivery to Soleil asks its body (Saint-Étienne) for the certificate.
    world.clock.set(DELIVERED_AT)
    await api.send_text(staff, "/livraison")
    asked = api.last(staff.id)
    assert asked.button_texts == ["A-2026-0001 — École du Soleil (0/2)"]  # not La Lune
    await api.tap(staff, asked, 0)
    await api.send_text(staff, "TAB-0001;SN-1;329,00;23/03/2026\nTAB-0002;SN-2;329,00;23/03/2026")
    summary = api.last(staff.id)
    assert summary.text == (
        "📦 Livraison A-2026-0001 — École du Soleil\n2 articles :\n"
        "• TAB-0001 — n° de série SN-1 — 329,00\u00a0€ — installé le lundi 23 mars 2026\n"
        "• TAB-0002 — n° de série SN-2 — 329,00\u00a0€ — installé le lundi 23 mars 2026\n\n"
        "L'attestation d'assurance sera demandée à Saint-Étienne (rappel chaque semaine "
        "jusqu'à son acceptation)."
    )
    api.clear()
    await api.tap(staff, summary, "✅ Enregistrer 2 articles — École du Soleil")
    assert _step(world, DELIVERY, staff) is None
    assert world.last_text(staff) == (
        "✅ Livraison A-2026-0001 enregistrée : 2 articles à École du Soleil, à l'inventaire de"
        " la SEM. Besoin de formation noté. L'attestation d'assurance est demandée à "
        "Saint-Étienne."
    )
    assert world.last_text(claude) == (
        "📦 Nouveau matériel de la SEM installé à École du Soleil : 2 × tablette. Il figurera "
        "sur la liste annuelle des nouveaux équipements pour votre assurance.\n\nLa convention"
        " (art. 6) demande à Saint-Étienne l'attestation d'assurance de ce matériel : "
        "envoyez-la avec /attestation."
    )
    assert world.last_text(dora) == (
        "📦 Le matériel de votre candidature est installé à École du Soleil : 2 × tablette. La"
        " formation de l'équipe par l'Éducation nationale est demandée."
    )
    assert sorted(_sent_to(world)) == sorted([staff.id, claude.id, dora.id])
    async with world.db.uow() as uow:
        item = await uow.directory.equipment_by_tag("TAB-0001")
        assert item is not None and (item.type, item.owner, item.school_id) == (
            "tablet",
            "sem",
            world.ids["soleil"],
        )

    # A week later, 09:00 in Paris (summer time now): the agent is reminded, once.
    world.clock.set(datetime(2026, 3, 30, 6, 59, tzinfo=UTC))
    assert await _swept(world) == []
    world.clock.set(REMINDED_AT)
    assert await _swept(world) == [
        (
            claude.id,
            "⏰ Rappel : la SEM attend l'attestation d'assurance de Saint-Étienne pour le "
            "matériel mis à disposition (demandée le lundi 23 mars 2026, convention art. 6). "
            "Envoyez-la avec /attestation.",
        )
    ]
    assert await _swept(world) == []

    # The agent sends the certificate: a document, then the days it covers.
    await api.send_text(claude, "/attestation")
    assert world.last_text(claude) == (
        "📄 Attestation d'assurance — Saint-Étienne\n• Demandée, demandée le lundi 23 mars "
        "2026 — livraison A-2026-0001\n\nEnvoyez l'attestation d'assurance en document (PDF ou"
        " image)."
    )
    await api.send_document(claude, PDF, "attestation.pdf", "application/pdf")
    assert _step(world, CERT_SEND, claude) == "cert_from"
    await api.send_text(claude, "01/01/2026")
    await api.send_text(claude, "31/12/2026")
    confirm = api.last(claude.id)
    assert confirm.text == (
        "📄 Votre attestation d'assurance\nDocument : attestation.pdf\n"
        "Valable du jeudi 1 janvier 2026 au jeudi 31 décembre 2026\n\n"
        "La SEM la vérifiera et vous dira si elle est acceptée."
    )
    await api.tap(claude, confirm, "✅ Envoyer l'attestation à la SEM")
    assert world.last_text(claude) == (
        "✅ Attestation de Saint-Étienne envoyée à la SEM. Vous serez prévenu de sa décision."
    )
    assert _step(world, CERT_SEND, claude) is None

    # Staff accept it on a second tap naming the body and the days; the agent is told.
    received = api.last(staff.id)
    assert received.text == (
        "📄 Attestation d'assurance reçue — Saint-Étienne\nEnvoyée par Claude, valable du "
        "jeudi 1 janvier 2026 au jeudi 31 décembre 2026.\nVérifiez-la, puis acceptez-la ou "
        "refusez-la."
    )
    assert received.button_texts == ["📎 Voir le document", "✅ Accepter", "❌ Refuser"]
    await api.tap(staff, received, "✅ Accepter")
    assert world.last_text(staff) == (
        "Accepter l'attestation d'assurance de Saint-Étienne, valable du jeudi 1 janvier 2026 "
        "au jeudi 31 décembre 2026 ?"
    )
    api.clear()
    await api.tap(staff, api.last(staff.id), "✅ Accepter l'attestation")
    assert world.last_text(staff) == (
        "✅ Attestation de Saint-Étienne acceptée, valable du jeudi 1 janvier 2026 au jeudi 31 "
        "décembre 2026. Les rappels s'arrêtent ; elle sera redemandée 30 jours avant sa fin."
    )
    assert world.last_text(claude) == (
        "✅ L'attestation d'assurance de Saint-Étienne est acceptée par la SEM. Elle prend fin"
        " le jeudi 31 décembre 2026 : elle vous sera redemandée 30 jours avant."
    )
    async with world.db.uow() as uow:
        (certificate,) = (await uow.session.scalars(select(InsuranceCertificate))).all()
    assert certificate.state == "accepted"

    # No reminder a week later, nor staff's alert a month after the ask: only the renewal.
    assert await _pending_certificate_reminders(world) == [
        ("call.certificate.renewal", datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    ]
    for moment in (datetime(2026, 4, 6, 7, 0, tzinfo=UTC), datetime(2026, 4, 24, 7, 0, tzinfo=UTC)):
        world.clock.set(moment)
        assert await _swept(world) == []
    for head in heads:
        assert _step(world, APPLYING, head) is None
    api.assert_no_refusals()
