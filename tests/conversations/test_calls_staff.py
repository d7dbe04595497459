"""Staff's side of the calls for interest on Telegram (/ami_nouveau, /ami and its cards),
played through the offline Bot API: a call typed with a refusal at each step, previewed,
published to the eligible heads only (a private school's head is not told), extended and
cancelled with the applicants told; after the closing the selection (one message per
application, the workbook), a selection beyond the quantity refused in the domain's
words, the waiting list, the results each applicant receives (the declined one with its
reason) and the waiting list served once a selected school gives its kits up."""

from __future__ import annotations

import io
from datetime import date, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.domain.calls import Question, QuestionKind, Reach
from bot.domain.roles import Role
from bot.services import calls
from handlers.telegram import calls_staff
from handlers.telegram.common import split_text
from handlers.telegram.offline import SimUser
from storage.models import AuditEntry, CallCampaign, Person, School
from tests.conversations.conftest import World, outbox_sent
from tests.conversations.test_bodies import _private_school_under_an_ogec
from tests.conversations.test_claim_follow_steps import _step

pytestmark = pytest.mark.filterwarnings(
    # Offline, the application is not started: the deliveries' tasks are awaited here.
    "ignore:Tasks created via `Application.create_task`:telegram.warnings.PTBUserWarning"
)

CREATE, EXTEND, DECIDE = calls_staff.CREATE, calls_staff.EXTEND, calls_staff.DECIDE


def _t(world: World, key: str, **params: object) -> str:
    return str(world.app.bot_data["services"].i18n.t("fr", key, **params))


def _plain(text: str) -> str:
    """A catalog text as the person reads it (tags off, entities read)."""
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", text))


async def _delivered(world: World) -> None:
    """The outbox's paced lane, run until the deliveries and their reports are sent."""
    await outbox_sent(world)


async def _id_of(world: World, name: str) -> int:
    async with world.db.uow() as uow:
        found = await uow.session.scalar(select(Person.id).where(Person.full_name == name))
    assert found is not None
    return found


def _sent_to(world: World) -> list[int]:
    return [int(s.params["chat_id"]) for s in world.api.sent if s.method == "sendMessage"]


async def _heads(world: World) -> dict[str, SimUser]:
    await _private_school_under_an_ogec(world)
    return {
        "dora": await world.registered("Dora", Role.DIRECTOR),  # École du Soleil
        "luc": await world.registered("Luc", Role.DIRECTOR, school="0420002Z"),  # la Lune
        "fabien": await world.registered("Fabien", Role.DIRECTOR, school="0420003A"),  # Forges
        "marie": await world.registered("Marie", Role.DIRECTOR, school="0420009G"),  # private
    }


# The answers that take /ami_nouveau to its end, one per step, with the step they answer.
SCRIPT: list[tuple[str, str, str | int]] = [
    ("amc_title", "text", "Tablettes pour les CM"),
    ("amc_nature", "tap", "tablette"),
    ("amc_description", "text", "Des classes mobiles de tablettes <iPad> & leur chariot."),
    ("amc_unit", "tap", "Des lots de classe"),
    ("amc_kit", "text", "15"),
    ("amc_count", "text", "3"),
    ("amc_reach", "tap", "Les écoles publiques"),
    ("amc_opens", "text", "12/03/2026 08:00"),
    ("amc_closes", "text", "10/04/2026 18:00"),
    ("amc_teachers", "tap", "Les directeurs seulement"),
    ("amc_questions", "tap", "➕ Nombre"),
    ("amc_label", "text", "Combien d'élèves ?"),
    ("amc_bounds", "text", "1 30"),
]


async def _play(world: World, user: SimUser, script: list[tuple[str, str, str | int]]) -> None:
    for state, how, what in script:
        assert _step(world, CREATE, user) == state, (state, world.last_text(user))
        if how == "tap":
            await world.api.tap(user, world.api.last(user.id), what)
        else:
            await world.api.send_text(user, str(what))


async def test_a_call_typed_with_refusals_at_each_step_previewed_and_published(
    world: World,
) -> None:
    api = world.api
    heads = await _heads(world)
    await world.registered("Zoé", Role.TEACHER)  # follows no calls: not told
    staff = await world.registered("Sacha", Role.STAFF)

    async def refused(typed: str, said: str, state: str) -> None:
        await api.send_text(staff, typed)
        assert world.last_text(staff) == said, typed
        assert _step(world, CREATE, staff) == state

    await api.send_text(staff, "/ami_nouveau")
    assert world.last_text(staff).startswith("📣 Nouvel appel à manifestation d'intérêt.")
    await refused(" … ", _t(world, "call.error.title", max=200), "amc_title")
    await refused("x" * 201, _t(world, "call.error.title", max=200), "amc_title")
    await api.send_text(staff, "Tablettes pour les CM")
    natures = api.last(staff.id)
    assert natures.button_texts[:2] == ["ordinateur portable", "tablette"]
    await refused("tablette", _t(world, "ami.staff.unexpected.button"), "amc_nature")
    await api.tap(staff, natures, "tablette")
    await refused(" . ", _t(world, "call.error.description", max=3000), "amc_description")
    await api.send_text(staff, "Des classes mobiles de tablettes <iPad> & leur chariot.")
    await api.tap(staff, api.last(staff.id), "Des lots de classe")
    await refused("1", _t(world, "call.error.kit_size", max=100), "amc_kit")
    await refused("quinze", _t(world, "ami.staff.error.whole_number"), "amc_kit")
    await api.send_text(staff, "15")
    assert world.last_text(staff) == _t(world, "ami.staff.ask_count.kits", size=15)
    await refused("0", _t(world, "call.error.quantity", max=100_000), "amc_count")
    await api.send_text(staff, "3")
    reach = api.last(staff.id)
    assert reach.text == "3 lots de 15 unités. Quelles écoles peuvent candidater ?"
    assert len(reach.button_texts) == 5
    await api.tap(staff, reach, "Les écoles publiques")

    # The opening and the closing, checked as typed, in Paris time (10:00 there now).
    await refused("demain", _t(world, "ami.staff.error.moment"), "amc_opens")
    await refused(
        "31/02/2026 08:00",
        _t(world, "ami.staff.error.no_such_moment", typed="31/02/2026 08:00"),
        "amc_opens",
    )
    await refused(
        "10/03/2026 09:59",
        "Ce moment est passé (il est mardi 10 mars 2026 à 10:00) : donnez une ouverture à "
        "venir, ou touchez « Dès maintenant ».",
        "amc_opens",
    )
    await api.send_text(staff, "12/03/2026 08:00")
    assert world.last_text(staff).startswith("Ouverture : jeudi 12 mars 2026 à 08:00.")
    await refused("11/03/2026 18:00", _t(world, "ami.staff.error.closes_before"), "amc_closes")
    await refused("09/03/2026 18:00", _t(world, "ami.staff.error.closes_past"), "amc_closes")
    await refused("12/03/2026 20:00", _t(world, "call.error.window_short"), "amc_closes")
    await refused("12/04/2027 20:00", _t(world, "call.error.window_long"), "amc_closes")
    await api.send_text(staff, "10/04/2026 18:00")
    await api.tap(staff, api.last(staff.id), "Les directeurs seulement")

    # The questions: a number within bounds, a choice, a commitment.
    assert _t(world, "ami.staff.q.none") in world.last_text(staff)
    await api.tap(staff, api.last(staff.id), "➕ Nombre")
    await refused("  ", _t(world, "ami.staff.error.label", max=200), "amc_label")
    await api.send_text(staff, "Combien d'élèves ?")
    await refused("beaucoup", _t(world, "ami.staff.error.bounds", max=100_000), "amc_bounds")
    await refused("30 1", _t(world, "ami.staff.error.bounds_order", max=100_000), "amc_bounds")
    await api.send_text(staff, "1 30")
    assert "1. Combien d'élèves ? (nombre, de 1 à 30)" in world.last_text(staff)
    await api.tap(staff, api.last(staff.id), "➕ Choix parmi des options")
    await api.send_text(staff, "Quel cycle ?")
    await refused("Cycle 3", _t(world, "call.error.choices", max=8), "amc_choices")
    await refused("A; A", _t(world, "ami.staff.error.choice_twice"), "amc_choices")
    await api.send_text(staff, "Cycle 2\nCycle 3")
    await api.tap(staff, api.last(staff.id), "➕ Engagement (oui/non)")
    await api.send_text(staff, "L'équipe suivra la formation")
    questions = api.last(staff.id)
    await api.send_photo(staff)
    assert world.last_text(staff) == _t(world, "ami.staff.unexpected.button")
    assert _step(world, CREATE, staff) == "amc_questions"
    await api.tap(staff, questions, "Terminé ▶️")

    # The draft written and previewed: three public schools' heads, not the private one's.
    assert _step(world, CREATE, staff) is None
    preview = api.last(staff.id)
    text = preview.text or ""
    assert text.startswith(_t(world, "ami.staff.created"))
    assert (
        "Sa publication toucherait 3 directions d'école et 0 enseignant ou enseignante qui "
        "suit les appels, dans 3 écoles." in text
    )
    assert "Des classes mobiles de tablettes <iPad> & leur chariot." in text
    assert "2. Quel cycle ? (choix : Cycle 2 / Cycle 3)" in text
    assert preview.button_texts == ["📣 Publier", "Enregistrer comme brouillon"]
    async with world.db.uow() as uow:
        row = await uow.session.scalar(select(CallCampaign))
    assert row is not None and row.state == "draft" and row.kit_size == 15
    assert [q["kind"] for q in row.questions] == ["number", "choice", "commitment"]
    assert row.reach == "public" and row.allow_teachers is False

    # « Publier »: a confirmation naming the call and how many will be told.
    await api.tap(staff, preview, "📣 Publier")
    assert world.last_text(staff) == (
        "Publier l'appel « Tablettes pour les CM » ? Il sera envoyé à 3 personnes "
        "(3 écoles). La publication ne se retire pas, elle s'annule."
    )
    api.clear()
    await api.tap(staff, api.last(staff.id), "✅ Publier et prévenir les écoles")
    assert world.last_text(staff) == (
        "📣 L'appel « Tablettes pour les CM » est publié. Envoi en cours à 3 personnes : "
        "je vous dirai quand c'est fait."
    )
    await _delivered(world)
    told = {heads[n].id for n in ("dora", "luc", "fabien")}
    assert set(_sent_to(world)) == told | {staff.id}
    assert heads["marie"].id not in _sent_to(world)
    for name in ("dora", "luc", "fabien"):
        message = api.last(heads[name].id)
        assert "\n📣 Tablettes pour les CM\n" in (message.text or "")
        assert [d for row in message.buttons for _, d in row] == [f"ami:apply:{row.id}"]
    assert world.last_text(staff) == (
        "« Tablettes pour les CM » : la publication reçue par 3 personnes, 0 échec."
    )
    async with world.db.uow() as uow:
        audit = await uow.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "call.delivered")
        )
    assert audit is not None and audit.details["delivered"] == 3
    # Tapped again: the call is not a draft any more, nothing is sent twice.
    api.clear()
    await api.forge_callback(staff, preview.message_id, f"amis:pubok:{row.id}")
    assert _t(world, "call.error.not_draft") in world.texts(staff)[-1]
    await _delivered(world)
    assert set(_sent_to(world)) == {staff.id}


@pytest.mark.parametrize("steps", range(len(SCRIPT) + 1))
async def test_annuler_leaves_the_new_call_at_every_step(world: World, steps: int) -> None:
    staff = await world.registered("Sacha", Role.STAFF)
    await world.api.send_text(staff, "/ami_nouveau")
    await _play(world, staff, SCRIPT[:steps])
    await world.api.send_text(staff, "/annuler")
    assert world.last_text(staff) == _t(world, "common.cancelled")
    assert _step(world, CREATE, staff) is None
    async with world.db.uow() as uow:
        assert await uow.session.scalar(select(CallCampaign)) is None


async def test_a_call_for_chosen_bodies_or_levels_and_a_draft_kept(world: World) -> None:
    api = world.api
    await _heads(world)
    staff = await world.registered("Sacha", Role.STAFF)
    await api.send_text(staff, "/ami_nouveau")
    await _play(world, staff, SCRIPT[:6])
    await api.tap(staff, api.last(staff.id), "Les écoles de gestionnaires choisis")
    await api.send_text(staff, "zzz")
    assert world.last_text(staff) == _t(world, "ami.staff.no_body", text="zzz")
    await api.send_text(staff, "sainte")
    assert api.last(staff.id).button_texts == ["OGEC Sainte-Marie (OGEC-SAINTE-MARIE)"]
    await api.tap(staff, api.last(staff.id), 0)
    assert world.last_text(staff).startswith("Gestionnaires retenus : OGEC Sainte-Marie.")
    await api.tap(staff, api.last(staff.id), "Valider ▶️")
    assert _step(world, CREATE, staff) == "amc_opens"
    await api.tap(staff, api.last(staff.id), "Dès maintenant")
    assert world.last_text(staff).startswith("Ouverture : mardi 10 mars 2026 à 10:00.")
    await api.send_text(staff, "10/04/2026 18:00")
    await api.tap(staff, api.last(staff.id), "Les enseignants aussi")
    await api.tap(staff, api.last(staff.id), "Terminé ▶️")  # no question at all
    preview = api.last(staff.id)
    assert (
        "Sa publication toucherait 1 direction d'école et 0 enseignant ou enseignante qui "
        "suit les appels, dans 1 école." in (preview.text or "")
    )
    await api.tap(staff, preview, "Enregistrer comme brouillon")
    assert world.last_text(staff) == _t(world, "ami.staff.kept", title="Tablettes pour les CM")

    # A level: none ticked is refused, then the maternelles.
    await api.send_text(staff, "/ami_nouveau")
    await _play(world, staff, SCRIPT[:6])
    await api.tap(staff, api.last(staff.id), "Les écoles d'un niveau")
    levels = api.last(staff.id)
    update = await api.tap(staff, levels, "Valider ▶️")
    assert api.callback_answer(update) == {
        "text": _t(world, "call.error.no_levels"),
        "show_alert": True,
    }
    await api.tap(staff, levels, "Maternelles")
    assert api.last(staff.id).button_texts[0] == "✅ Maternelles"
    await api.tap(staff, levels, "Valider ▶️")
    assert _step(world, CREATE, staff) == "amc_opens"

    # The draft published later, from /ami.
    await api.send_text(staff, "/annuler")
    await api.send_text(staff, "/ami")
    listed = api.last(staff.id)
    assert (listed.text or "").startswith("📣 1 appel à manifestation d'intérêt :")
    await api.tap(staff, listed, 0)
    card = api.last(staff.id)
    assert card.button_texts == ["📣 Publier", "🗑 Annuler l'appel"]
    await api.tap(staff, card, "📣 Publier")
    assert world.last_text(staff).startswith(
        "Publier l'appel « Tablettes pour les CM » ? Il sera envoyé à 1 personne (1 école)."
    )


# --- a campaign played through its services, for the cards ------------------------------------


async def _campaign(world: World, *, kits: int = 3, questions: bool = True) -> int:
    staff_id = await _id_of(world, "Sacha")
    now = world.clock.now()
    draft = calls.CampaignDraft(
        title="Robots en classe",
        nature="robot_kit",
        description="Des robots pour apprendre à coder.",
        quantity=kits,
        kit_size=6,
        reach=Reach.PUBLIC,
        opens_on=date(2026, 3, 10),
        opens_time=time(9, 0),
        closes_on=date(2026, 3, 20),
        closes_time=time(18, 0),
        questions=(Question(QuestionKind.TEXT, "Votre projet ?"),) if questions else (),
    )
    view = await calls.create_campaign(world.db, staff_id, draft, now)
    await calls.publish(world.db, staff_id, view.id, now)
    return view.id


async def _applied(world: World, name: str, campaign_id: int, project: str) -> int:
    done = await calls.apply(
        world.db, await _id_of(world, name), campaign_id, {0: project}, world.clock.now()
    )
    return done.view.id


async def test_extend_and_cancel_tell_the_applicants(world: World) -> None:
    api = world.api
    heads = await _heads(world)
    staff = await world.registered("Sacha", Role.STAFF)
    campaign_id = await _campaign(world)
    await _applied(world, "Dora", campaign_id, "Un club de code")

    await api.send_text(staff, "/ami")
    assert "Robots en classe (n° 1) — publié" in world.last_text(staff)
    await api.tap(staff, api.last(staff.id), 0)
    card = api.last(staff.id)
    assert card.button_texts == ["⏰ Prolonger", "🗑 Annuler l'appel"]

    # Extended: an earlier closing is refused in the domain's words, the step kept.
    await api.tap(staff, card, "⏰ Prolonger")
    assert _step(world, EXTEND, staff) == "ame_closes"
    await api.send_text(staff, "19/03/2026 18:00")
    assert world.last_text(staff) == _t(world, "call.error.extend_earlier")
    await api.send_text(staff, "le 27")
    assert world.last_text(staff) == _t(world, "ami.staff.error.moment")
    assert _step(world, EXTEND, staff) == "ame_closes"
    await api.send_text(staff, "27/03/2026 18:00")
    assert world.last_text(staff) == (
        "Prolonger « Robots en classe » jusqu'au vendredi 27 mars 2026 à 18:00 ? Les écoles "
        "qui ont candidaté (1 candidature) en seront prévenues."
    )
    api.clear()
    await api.tap(staff, api.last(staff.id), "✅ Prolonger")
    await _delivered(world)
    assert set(_sent_to(world)) == {staff.id, heads["dora"].id}
    assert world.last_text(heads["dora"]).startswith(
        _plain(
            _t(
                world,
                "ami.extended",
                title="Robots en classe",
                number="A-2026-0001",
                closes="vendredi 27 mars 2026 à 18:00",
            )
        )
    )
    async with world.db.uow() as uow:
        row = await uow.session.get(CallCampaign, campaign_id)
        assert row is not None
        assert calls.campaign_view(row).window.closes_at.isoformat().startswith("2026-03-27T17")

    # Cancelled: the confirmation names the call; the applicant is told.
    await api.send_text(staff, "/ami")
    await api.tap(staff, api.last(staff.id), 0)
    await api.tap(staff, api.last(staff.id), "🗑 Annuler l'appel")
    assert world.last_text(staff) == (
        "Annuler l'appel « Robots en classe » ? Ses candidatures (1 candidature) seront "
        "closes et les écoles prévenues. C'est définitif."
    )
    await api.tap(staff, api.last(staff.id), "Ne rien faire")
    assert world.last_text(staff) == _t(world, "ami.staff.nothing_done")
    await api.send_text(staff, "/ami")
    await api.tap(staff, api.last(staff.id), 0)
    await api.tap(staff, api.last(staff.id), "🗑 Annuler l'appel")
    api.clear()
    await api.tap(staff, api.last(staff.id), "🗑 Oui, annuler l'appel")
    await _delivered(world)
    assert set(_sent_to(world)) == {staff.id, heads["dora"].id}
    assert world.last_text(heads["dora"]) == _plain(
        _t(world, "ami.cancelled", title="Robots en classe", number="A-2026-0001")
    )
    async with world.db.uow() as uow:
        row = await uow.session.get(CallCampaign, campaign_id)
        assert row is not None and row.state == "cancelled"


async def test_selection_quantity_waiting_list_results_and_the_list_served(
    world: World,
) -> None:
    api = world.api
    heads = await _heads(world)
    staff = await world.registered("Sacha", Role.STAFF)
    campaign_id = await _campaign(world)
    soleil = await _applied(world, "Dora", campaign_id, "Un club de code")
    lune = await _applied(world, "Luc", campaign_id, "Des robots en CP")
    forges = await _applied(world, "Fabien", campaign_id, "?")

    # Before the closing there is no selection to see, nor decision to take.
    await api.send_text(staff, "/ami")
    await api.tap(staff, api.last(staff.id), 0)
    assert "📋 Sélection" not in api.last(staff.id).button_texts
    api.clear()
    await api.forge_callback(staff, api.last(staff.id).message_id, f"ami:select:{soleil}")
    assert _t(world, "call.error.still_open") in world.texts(staff)[-1]
    assert _step(world, DECIDE, staff) is None

    world.clock.advance(timedelta(days=11))  # 21 March: closed
    await api.send_text(staff, "/ami")
    await api.tap(staff, api.last(staff.id), 0)
    card = api.last(staff.id)
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
    texts = world.texts(staff)[before:]
    assert texts[0].startswith(
        "📋 Sélection de « Robots en classe » : 3 candidatures. Attribué : 0 lot de 6 unités ;"
        " reste : 3 lots de 6 unités. (page 1/1)"
    )
    rows = [m for m in api.messages(staff.id) if (m.text or "").startswith("A-2026-")]
    assert [(m.text or "").split(" — ")[0] for m in rows] == [
        "A-2026-0001",
        "A-2026-0002",
        "A-2026-0003",
    ]
    assert (rows[0].text or "").startswith(
        "A-2026-0001 — École du Soleil (Saint-Étienne), envoyée le mardi 10 mars 2026 à 10:00\n"
        "0 matériel de ce type en service ; 0 sinistre sur 12 mois\nVotre projet ? : "
        "Un club de code"
    )
    assert [[d for _, d in r] for r in rows[0].buttons] == [
        [f"ami:select:{soleil}", f"ami:wait:{soleil}", f"ami:decline:{soleil}"]
    ]
    documents = [s for s in api.sent if s.method == "sendDocument"]
    assert [d.params["document"].filename for d in documents] == [f"ami-{campaign_id}.xlsx"]
    sheet = load_workbook(io.BytesIO(documents[0].params["document"].data)).active
    assert sheet is not None
    table = [[c.value for c in row] for row in sheet.iter_rows()]
    assert [r[0] for r in table[1:]] == ["École du Soleil", "École de la Lune", "École des Forges"]
    assert table[1][4] == "Un club de code"
    assert api.last(staff.id).button_texts == [
        "⏳ Servir la liste d'attente",
        "📨 Envoyer les résultats",
    ]

    # Selected beyond what the call holds: the domain's words, the step kept.
    await api.tap(staff, rows[0], 0)
    assert (
        world.last_text(staff) == "A-2026-0001 (École du Soleil) : combien de lots lui attribuer ?"
    )
    await api.send_text(staff, "5")
    assert world.last_text(staff) == _t(world, "call.error.over_quantity", left=3, asked=5)
    assert _step(world, DECIDE, staff) == "amd_quantity"
    await api.send_text(staff, "deux")
    assert world.last_text(staff) == _t(world, "ami.staff.error.whole_number")
    await api.send_text(staff, "2")
    assert (
        world.last_text(staff) == "✅ A-2026-0001 (École du Soleil) : retenue, 2 lots de 6 unités."
    )
    assert _step(world, DECIDE, staff) is None
    # The waiting list: asks two kits; only one is left.
    await api.tap(staff, rows[1], 1)
    await api.send_text(staff, "2")
    assert world.last_text(staff) == (
        "⏳ A-2026-0002 (École de la Lune) : sur liste d'attente, rang 1 (2 lots de 6 unités)."
    )
    # Declined, with a reason.
    await api.tap(staff, rows[2], 2)
    assert _step(world, DECIDE, staff) == "amd_reason"
    await api.send_text(staff, " . ")
    assert world.last_text(staff) == _t(world, "call.error.reason", max=500)
    await api.send_text(staff, "Le projet n'est pas décrit")
    assert world.last_text(staff) == (
        "❌ A-2026-0003 (École des Forges) : non retenue. Motif : Le projet n'est pas décrit"
    )

    # The results: confirmed, then each applicant receives its own.
    await api.send_text(staff, "/ami")
    await api.tap(staff, api.last(staff.id), 0)
    await api.tap(staff, api.last(staff.id), "📨 Envoyer les résultats")
    assert world.last_text(staff) == (
        "Envoyer les résultats de « Robots en classe » ? 1 retenue, 1 en attente, 1 non "
        "retenue : chaque école recevra sa réponse, avec le motif si elle n'est pas retenue."
    )
    api.clear()
    await api.tap(staff, api.last(staff.id), "📨 Envoyer les résultats aux écoles")
    await _delivered(world)
    assert sorted(_sent_to(world)) == sorted(
        [staff.id, staff.id, heads["dora"].id, heads["luc"].id, heads["fabien"].id]
    )
    assert world.last_text(heads["dora"]) == (
        "🎉 Votre candidature A-2026-0001 à l'appel « Robots en classe » est retenue : "
        "2 lots de 6 unités."
    )
    assert world.last_text(heads["luc"]).startswith(
        "Votre candidature A-2026-0002 à l'appel « Robots en classe » est sur liste d'attente"
        " (rang 1)"
    )
    assert world.last_text(heads["fabien"]) == (
        "Votre candidature A-2026-0003 à l'appel « Robots en classe » n'est pas retenue. "
        "Motif : Le projet n'est pas décrit"
    )
    assert heads["marie"].id not in _sent_to(world)
    assert world.last_text(staff) == (
        "« Robots en classe » : la réponse reçue par 3 personnes, 0 échec."
    )

    # École du Soleil gives its kits up: the waiting list is served, La Lune told.
    await calls.withdraw(world.db, await _id_of(world, "Dora"), soleil, world.clock.now())
    await api.send_text(staff, "/ami")
    await api.tap(staff, api.last(staff.id), 0)
    card = api.last(staff.id)
    assert card.button_texts == ["📋 Sélection", "⏳ Servir la liste d'attente"]
    await api.tap(staff, card, "⏳ Servir la liste d'attente")
    assert world.last_text(staff) == (
        "Servir la liste d'attente de « Robots en classe » ? Il reste 3 lots de 6 unités pour 1"
        " en attente, servies dans leur ordre."
    )
    api.clear()
    before = len(api.messages(staff.id))
    await api.tap(staff, api.last(staff.id), "⏳ Servir la liste d'attente")
    await _delivered(world)
    assert (
        "servies depuis la liste d'attente : École de la Lune. 1 personne à prévenir."
        in (world.texts(staff)[before])
    )
    assert set(_sent_to(world)) == {staff.id, heads["luc"].id}
    assert world.last_text(heads["luc"]) == (
        "🎉 Votre candidature A-2026-0002 à l'appel « Robots en classe » est retenue : "
        "2 lots de 6 unités."
    )
    async with world.db.uow() as uow:
        outcomes = {
            ticket: (await calls.load_application(uow, ticket)).outcome
            for ticket in (soleil, lune, forges)
        }
    assert outcomes == {soleil: "selected", lune: "selected", forges: "declined"}


async def test_a_long_selection_is_paged_within_telegrams_limit(world: World) -> None:
    """Telegram counts 4096 in UTF-16 units: a text of emoji is cut shorter."""
    text = "\n".join(["🤖" * 300] * 30)
    pieces = split_text(text)
    assert len(pieces) > 1
    assert all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in pieces)
    assert "".join(p.replace("\n", "") for p in pieces) == text.replace("\n", "")

    api = world.api
    staff = await world.registered("Sacha", Role.STAFF)
    campaign_id = await _campaign(world)
    applicants = []
    for index in range(10):
        uai = f"04201{index:02d}K"
        async with world.db.uow() as uow:
            uow.session.add(
                School(
                    uai=uai,
                    name=f"École n° {index} 🤖",
                    commune_id=world.ids["st_etienne"],
                    sector="public",
                    created_at=world.clock.now(),
                )
            )
            await uow.commit()
        await world.registered(f"Tête {index}", Role.DIRECTOR, school=uai)
        applicants.append(await _applied(world, f"Tête {index}", campaign_id, "🤖" * 750))
    world.clock.advance(timedelta(days=11))
    await api.send_text(staff, "/ami")
    await api.tap(staff, api.last(staff.id), 0)
    before = len(api.messages(staff.id))
    await api.tap(staff, api.last(staff.id), "📋 Sélection")
    api.assert_no_refusals()
    assert world.texts(staff)[before].endswith("(page 1/2)")
    assert api.last(staff.id).button_texts[0] == "Suivantes ▶️"
    before = len(api.messages(staff.id))
    await api.tap(staff, api.last(staff.id), "Suivantes ▶️")
    api.assert_no_refusals()
    assert world.texts(staff)[before].endswith("(page 2/2)")
    numbers = [t.split(" — ")[0] for t in world.texts(staff)[before:] if t.startswith("A-2026-")]
    assert numbers == ["A-2026-0009", "A-2026-0010"]
