"""The school side of a call for interest on Telegram, played through the offline Bot API:
a head taps « Candidater » on the publication, answers each question (bad answers said,
the step kept), reads the summary, corrects one answer and sends, the other head told; a
teacher of the school finds the application sent and comments for the heads; the head
edits before the closing and finds it locked at the closing instant in Paris; a late
application, an ineligible school, a teacher on a heads' call and a call not yet open
refused; withdrawal after a confirmation naming the call and the school; forged buttons
refused; /annuler at each step; a teacher following the calls."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from bot.domain.calls import Question, QuestionKind, Reach
from bot.domain.roles import Role
from bot.services import call_notices, calls
from handlers.telegram.delivery import telegram_sender
from handlers.telegram.offline import BotMessage, SimUser
from storage.models import CallApplication, Person, School
from tests.conversations.conftest import World
from tests.conversations.test_claim_follow_steps import _step

APPLYING, COMMENTING = "call_apply", "call_comment"
# The call closes on Tuesday 31 March 2026 at noon in Paris: summer time by then (UTC+2).
CLOSES_AT = datetime(2026, 3, 31, 10, 0, tzinfo=UTC)
QUESTIONS = (
    Question(QuestionKind.TEXT, "Projet pédagogique"),
    Question(QuestionKind.NUMBER, "Nombre de classes", minimum=1, maximum=20),
    Question(QuestionKind.CHOICE, "Cycle", ("Cycle 2", "Cycle 3")),
    Question(QuestionKind.COMMITMENT, "L'équipe suivra la formation"),
    Question(QuestionKind.TEXT, "Remarques", required=False),
)


def _t(world: World, key: str, **params: object) -> str:
    return str(world.app.bot_data["services"].i18n.t("fr", key, **params))


async def _person_id(world: World, name: str) -> int:
    async with world.db.uow() as uow:
        found = await uow.session.scalar(select(Person.id).where(Person.full_name == name))
    assert found is not None
    return found


async def _call(world: World, **changes: object) -> calls.CampaignView:
    """A published call (staff's side is another dialogue: the services do it here)."""
    if "Sacha" not in world.ids:
        await world.registered("Sacha", Role.STAFF)
        world.ids["Sacha"] = await _person_id(world, "Sacha")
    values: dict[str, object] = {
        "title": "Tablettes <pour> les classes",
        "nature": "tablet",
        "description": "Des lots de tablettes & leur formation.",
        "quantity": 2,
        "kit_size": 15,
        "reach": Reach.PUBLIC,
        "opens_on": date(2026, 3, 9),
        "opens_time": time(10, 0),
        "closes_on": date(2026, 3, 31),
        "closes_time": time(12, 0),
        "questions": QUESTIONS,
        "allow_teachers": True,
    }
    values.update(changes)
    db, now = world.db, world.clock.now()
    draft = await calls.create_campaign(
        db,
        world.ids["Sacha"],
        calls.CampaignDraft(**values),
        now,  # type: ignore[arg-type]
    )
    published = await calls.publish(db, world.ids["Sacha"], draft.id, now)
    messages = call_notices.publication(world.app.bot_data["services"].i18n, published)
    send = telegram_sender(world.app.bot)  # as the outbox's paced lane does
    for message in messages:
        await send(message)
    return published.campaign


async def _application(world: World) -> CallApplication:
    async with world.db.uow() as uow:
        found = await uow.session.scalar(select(CallApplication))
    assert found is not None
    return found


def _as_now(world: World, user: SimUser, message_id: int) -> BotMessage:
    """A message of the chat as it is now (its buttons edited since)."""
    return next(m for m in world.api.messages(user.id) if m.message_id == message_id)


async def _alert(world: World, user: SimUser, data: str) -> str:
    """The pop-up a forged button ``data`` gets (on the last message of the chat)."""
    forged = await world.api.forge_callback(user, world.api.last(user.id).message_id, data)
    answer = world.api.callback_answer(forged)
    assert answer is not None
    return str(answer.get("text", ""))


async def _apply(world: World, dora: SimUser, campaign: calls.CampaignView) -> None:
    """Dora applies with good answers from the publication (the shortest walk)."""
    api = world.api
    publication = next(m for m in api.messages(dora.id) if m.button_texts == ["Candidater"])
    await api.tap(dora, publication, "Candidater")
    await api.send_text(dora, "Une classe numérique")
    await api.send_text(dora, "4")
    await api.tap(dora, api.last(dora.id), "Cycle 3")
    await api.tap(dora, api.last(dora.id), "Oui")
    await api.tap(dora, api.last(dora.id), "Passer ▶️")
    await api.tap(dora, api.last(dora.id), "✅ Envoyer")
    assert world.last_text(dora).startswith("✅ Candidature A-2026-0001 envoyée.")


async def test_a_head_applies_with_each_answer_checked_corrects_one_and_sends(
    world: World,
) -> None:
    api = world.api
    dora = await world.registered("Dora", Role.DIRECTOR)
    denis = await world.registered("Denis", Role.DIRECTOR)  # Soleil's other head
    campaign = await _call(world)
    publication = api.last(dora.id)
    assert publication.button_texts == ["Candidater"]
    assert "Tablettes <pour> les classes" in (publication.text or "")
    before, heard = len(world.texts(dora)), len(world.texts(denis))
    await api.tap(dora, publication, "Candidater")
    said = world.texts(dora)[before:]
    assert said[0] == (
        "📣 Candidature à « Tablettes <pour> les classes »\nRépondez aux questions ; vous"
        " relirez tout avant l'envoi. Candidatures jusqu'au mardi 31 mars 2026 à 12:00."
    )
    assert said[1] == (
        "Question 1/5 — Projet pédagogique\nRépondez en quelques phrases (1500 caractères au plus)."
    )
    # A text: said, and not too long; anything but a text keeps the step.
    await api.send_text(dora, "   ")
    assert world.last_text(dora) == _t(world, "call.error.answer_required")
    await api.send_text(dora, "x" * 1501)
    assert world.last_text(dora) == _t(world, "call.error.answer_too_long", max=1500)
    await api.send_photo(dora)
    assert world.last_text(dora) == _t(world, "ami.unexpected.answer")
    assert _step(world, APPLYING, dora) == "ami_answer"
    await api.send_text(dora, "Une classe <numérique> & mobile")

    # A number within its bounds (spaces between thousands read).
    assert world.last_text(dora) == (
        "Question 2/5 — Nombre de classes\nTapez un nombre entre 1 et 20."
    )
    await api.send_text(dora, "beaucoup")
    assert world.last_text(dora) == _t(world, "call.error.number_expected")
    await api.send_text(dora, "25")
    assert world.last_text(dora) == "Tapez un nombre entre 1 et 20."
    await api.send_text(dora, "4")

    # A choice, as buttons; typed otherwise, refused with the buttons again.
    choice = api.last(dora.id)
    assert choice.text == "Question 3/5 — Cycle\nChoisissez une réponse."
    assert choice.button_texts == ["Cycle 2", "Cycle 3"]
    await api.send_text(dora, "Cycle 4")
    assert world.texts(dora)[-2:] == [_t(world, "call.error.choice_expected"), "Votre réponse :"]
    assert api.last(dora.id).button_texts == ["Cycle 2", "Cycle 3"]
    forged = await api.forge_callback(dora, choice.message_id, "ami:ans:c7")
    assert api.callback_answer(forged) == {
        "text": _t(world, "common.stale_button"),
        "show_alert": True,
    }
    await api.send_text(dora, "cycle 3")  # typed, whatever its case

    # A required commitment: « Non » says why, and the question stays.
    commitment = api.last(dora.id)
    assert commitment.text == (
        "Question 4/5 — L'équipe suivra la formation\nVotre école s'y engage-t-elle ?"
    )
    assert commitment.button_texts == ["Oui", "Non"]
    await api.tap(dora, commitment, "Non")
    assert world.texts(dora)[-2] == (
        "L'appel demande cet engagement : sans lui, la candidature ne peut pas être envoyée."
    )
    assert _step(world, APPLYING, dora) == "ami_answer"
    await api.send_text(dora, "peut-être")
    assert world.texts(dora)[-2] == _t(world, "call.error.yes_no")
    await api.send_text(dora, "NON")  # typed, in either language, it reads the same
    assert world.texts(dora)[-2] == _t(world, "call.error.commitment_required")
    await api.send_text(dora, "Oui")

    # An optional question may be passed.
    optional = api.last(dora.id)
    assert optional.button_texts == ["Passer ▶️"]
    assert "(Facultatif : « Passer » pour ne pas répondre.)" in (optional.text or "")
    await api.tap(dora, optional, "Passer ▶️")

    # The summary names every answer.
    summary = api.last(dora.id)
    assert summary.text == (
        "📣 Votre candidature à « Tablettes <pour> les classes »\n"
        "Projet pédagogique : Une classe <numérique> & mobile\n"
        "Nombre de classes : 4\n"
        "Cycle : Cycle 3\n"
        "L'équipe suivra la formation : oui\n"
        "Remarques : pas de réponse\n"
        "\nVous pourrez la modifier ou la retirer jusqu'au mardi 31 mars 2026 à 12:00."
    )
    assert summary.button_texts == ["✅ Envoyer", "Corriger", "✖️ Annuler"]
    await api.send_text(dora, "Envoyer")
    assert world.last_text(dora) == _t(world, "ami.unexpected.summary")

    # « Corriger »: one question again, then back to the summary.
    await api.tap(dora, summary, "Corriger")
    summary = _as_now(world, dora, summary.message_id)
    assert summary.button_texts == [
        "1. Projet pédagogique",
        "2. Nombre de classes",
        "3. Cycle",
        "4. L'équipe suivra la formation",
        "5. Remarques",
        "◀️ Retour",
    ]
    await api.tap(dora, summary, "2. Nombre de classes")
    assert world.last_text(dora).startswith("Question 2/5 — Nombre de classes")
    await api.send_text(dora, "0")
    assert world.last_text(dora) == "Tapez un nombre entre 1 et 20."
    await api.send_text(dora, "6")
    summary = api.last(dora.id)
    assert "Nombre de classes : 6\n" in (summary.text or "")
    assert _step(world, APPLYING, dora) == "ami_summary"

    api.clear()
    await api.tap(dora, summary, "✅ Envoyer")
    assert _step(world, APPLYING, dora) is None
    card = world.last_text(dora)
    assert card.startswith(
        "✅ Candidature A-2026-0001 envoyée.\n\n📣 A-2026-0001 — candidature à « Tablettes"
        " <pour> les classes »\nÉcole : École du Soleil\n"
    )
    assert "Nombre de classes : 6" in card
    assert card.endswith("Modifiable jusqu'au mardi 31 mars 2026 à 12:00.")
    assert api.last(dora.id).button_texts == ["✏️ Modifier", "Retirer"]
    # Soleil's other head is told who sent it.
    assert world.texts(denis)[heard:] == [
        "📣 Dora a envoyé la candidature A-2026-0001 de votre école à l'appel « Tablettes"
        " <pour> les classes »."
    ]
    application = await _application(world)
    assert application.campaign_id == campaign.id
    assert application.answers == {
        "0": "Une classe <numérique> & mobile",
        "1": 6,
        "2": "Cycle 3",
        "3": "yes",
    }

    # /ami now offers the school's application, not « Candidater ».
    api.clear()
    await api.send_text(dora, "/ami")
    assert api.last(dora.id).button_texts == ["Voir la candidature"]
    assert "Votre école a candidaté : A-2026-0001." in world.last_text(dora)


async def test_annuler_ends_the_application_at_every_step(world: World) -> None:
    api = world.api
    dora = await world.registered("Dora", Role.DIRECTOR)
    await _call(world)
    publication = api.last(dora.id)
    for answers in ([], ["Projet", "3"], ["Projet", "3", "c1", "yes", "skip"]):
        await api.tap(dora, publication, "Candidater")
        for answer in answers:
            if answer in ("c1", "yes", "skip"):
                await api.forge_callback(dora, api.last(dora.id).message_id, f"ami:ans:{answer}")
            else:
                await api.send_text(dora, answer)
        assert _step(world, APPLYING, dora) in ("ami_answer", "ami_summary")
        await api.send_text(dora, "/annuler")
        assert world.last_text(dora) == _t(world, "common.cancelled")
        assert _step(world, APPLYING, dora) is None
    # The summary's « Annuler » too; nothing was sent.
    await api.tap(dora, publication, "Candidater")
    for answer in ("Projet", "3"):
        await api.send_text(dora, answer)
    for answer in ("c1", "yes", "skip"):
        await api.forge_callback(dora, api.last(dora.id).message_id, f"ami:ans:{answer}")
    await api.tap(dora, api.last(dora.id), "✖️ Annuler")
    assert world.last_text(dora) == _t(world, "common.cancelled")
    async with world.db.uow() as uow:
        assert (await uow.session.scalars(select(CallApplication))).all() == []


async def test_a_teacher_finds_the_application_sent_and_comments_for_the_heads(
    world: World,
) -> None:
    api = world.api
    dora = await world.registered("Dora", Role.DIRECTOR)
    zoe = await world.registered("Zoé", Role.TEACHER)
    async with world.db.uow() as uow:  # Zoé follows the calls: she hears of this one
        person = await uow.session.scalar(select(Person).where(Person.full_name == "Zoé"))
        assert person is not None
        person.follows_calls = True
        await uow.commit()
    campaign = await _call(world)
    await _apply(world, dora, campaign)
    heard = len(world.texts(dora))

    # Zoé taps « Candidater » on her publication: the school's application, not another.
    publication = next(m for m in api.messages(zoe.id) if m.button_texts == ["Candidater"])
    await api.tap(zoe, publication, "Candidater")
    assert _step(world, APPLYING, zoe) is None
    found = api.last(zoe.id)
    assert (found.text or "").startswith(
        "Votre école a déjà candidaté (A-2026-0001) : voici sa candidature. Vous pouvez la"
        " commenter pour la direction.\n\n📣 A-2026-0001"
    )
    assert found.button_texts == ["✏️ Modifier", "Retirer", "💬 Ajouter un commentaire"]
    await api.tap(zoe, found, "💬 Ajouter un commentaire")
    assert world.last_text(zoe) == (
        "Votre commentaire sur la candidature A-2026-0001, pour la direction (1500 caractères"
        " au plus) :"
    )
    await api.send_text(zoe, " … ")
    assert world.last_text(zoe) == "Écrivez un commentaire de 1 à 1500 caractères."
    assert _step(world, COMMENTING, zoe) == "ami_comment_text"
    await api.send_text(zoe, "Je peux animer <la> formation & le suivi")
    confirm = api.last(zoe.id)
    assert confirm.text == (
        "Envoyer ce commentaire sur la candidature A-2026-0001 ?\n\nJe peux animer <la>"
        " formation & le suivi"
    )
    assert confirm.button_texts == ["✅ Envoyer le commentaire", "✖️ Annuler"]
    await api.tap(zoe, confirm, "✅ Envoyer le commentaire")
    assert world.last_text(zoe) == "✅ Commentaire ajouté à la candidature A-2026-0001."
    assert _step(world, COMMENTING, zoe) is None
    assert world.texts(dora)[heard:] == [
        "💬 Zoé a commenté la candidature A-2026-0001 (« Tablettes <pour> les classes ») :\n"
        "Je peux animer <la> formation & le suivi"
    ]
    # The head's card shows it in the thread.
    await api.send_text(dora, "/ami")
    await api.tap(dora, api.last(dora.id), "Voir la candidature")
    assert "💬 Je peux animer <la> formation & le suivi" in world.last_text(dora)


async def test_the_head_edits_before_the_closing_and_it_locks_at_noon_in_paris(
    world: World,
) -> None:
    api = world.api
    dora = await world.registered("Dora", Role.DIRECTOR)
    campaign = await _call(world)
    await _apply(world, dora, campaign)
    ticket = (await _application(world)).ticket_id

    # One second before noon in Paris (summer time): « Modifier » walks pre-filled.
    world.clock.set(CLOSES_AT - timedelta(minutes=5))
    api.clear()
    await api.send_text(dora, "/ami")
    await api.tap(dora, api.last(dora.id), "Voir la candidature")
    card = api.last(dora.id)
    assert card.button_texts == ["✏️ Modifier", "Retirer"]
    await api.tap(dora, card, "✏️ Modifier")
    assert world.texts(dora)[-2].startswith("✏️ Modifier la candidature à « Tablettes")
    first = api.last(dora.id)
    assert first.text == (
        "Question 1/5 — Projet pédagogique\nRépondez en quelques phrases (1500 caractères au"
        " plus).\nRéponse actuelle : Une classe numérique"
    )
    assert first.button_texts == ["Garder"]
    await api.tap(dora, first, "Garder")
    await api.send_text(dora, "8")
    assert api.last(dora.id).button_texts == ["Cycle 2", "Cycle 3", "Garder"]
    await api.tap(dora, api.last(dora.id), "Cycle 2")
    await api.tap(dora, api.last(dora.id), "Garder")
    await api.send_text(dora, "Salle <mobile> & chariot")
    summary = api.last(dora.id)
    assert "Nombre de classes : 8\nCycle : Cycle 2\n" in (summary.text or "")
    assert "Remarques : Salle <mobile> & chariot" in (summary.text or "")
    world.clock.set(CLOSES_AT - timedelta(seconds=1))
    await api.tap(dora, summary, "✅ Envoyer")
    assert world.last_text(dora).startswith("✅ Candidature A-2026-0001 modifiée.")
    application = await _application(world)
    assert application.answers["1"] == 8 and application.answers["4"] == "Salle <mobile> & chariot"
    old_card = api.last(dora.id)

    # From noon on: the card is locked, its buttons gone; a tap on an old one is refused.
    world.clock.set(CLOSES_AT)
    api.clear()
    await api.forge_callback(dora, old_card.message_id, f"ami:view:{ticket}")
    locked = api.last(dora.id)
    assert (locked.text or "").endswith(
        "🔒 Appel clos le mardi 31 mars 2026 à 12:00 : candidature verrouillée."
    )
    assert locked.button_texts == []
    for data in (f"ami:edit:{ticket}", f"ami:wd:{ticket}", f"ami:wdok:{ticket}"):
        assert await _alert(world, dora, data) == _t(world, "ami.error.locked")
    assert (await _application(world)).withdrawn_at is None
    # A summary left open across the closing sends nothing either.
    world.clock.set(CLOSES_AT - timedelta(minutes=1))
    await api.forge_callback(dora, old_card.message_id, f"ami:edit:{ticket}")
    for _ in QUESTIONS[:-1]:
        await api.tap(dora, api.last(dora.id), "Garder")
    assert api.last(dora.id).button_texts == ["Garder", "Passer ▶️"]  # optional: may be emptied
    await api.tap(dora, api.last(dora.id), "Passer ▶️")
    world.clock.set(CLOSES_AT)
    await api.tap(dora, api.last(dora.id), "✅ Envoyer")
    assert world.last_text(dora) == _t(world, "call.error.closed")
    assert (await _application(world)).answers["1"] == 8
    # /ami no longer lists the call.
    await api.send_text(dora, "/ami")
    assert world.last_text(dora) == _t(world, "ami.school.none")


async def test_late_ineligible_not_yet_open_and_heads_only_calls_are_refused(
    world: World,
) -> None:
    api = world.api
    luc = await world.registered("Luc", Role.DIRECTOR, school="0420002Z")  # Lune
    fabien = await world.registered("Fabien", Role.DIRECTOR, school="0420003A")  # Forges
    zoe = await world.registered("Zoé", Role.TEACHER)
    async with world.db.uow() as uow:
        soleil = await uow.session.get(School, world.ids["soleil"])
        assert soleil is not None
        soleil_body = soleil.body_id
    # For Soleil's body only (Saint-Étienne's schools), heads only.
    campaign = await _call(world, reach=Reach.BODIES, body_ids=frozenset({soleil_body}))
    heads_only = await _call(world, title="Vidéoprojecteurs", allow_teachers=False)
    later = await _call(world, title="Plus tard", opens_on=date(2026, 3, 20))
    heard = "\n".join(world.texts(fabien))
    assert "Vidéoprojecteurs" in heard and "Tablettes <pour> les classes" not in heard
    before = len(world.texts(fabien))

    await api.send_text(fabien, "/ami")  # the open calls Forges may apply to
    assert [t.split("\n")[0] for t in world.texts(fabien)[before:]] == ["📣 Vidéoprojecteurs"]
    assert await _alert(world, fabien, f"ami:apply:{campaign.id}") == _t(
        world, "call.error.not_eligible"
    )
    assert _step(world, APPLYING, fabien) is None
    assert await _alert(world, fabien, f"ami:apply:{later.id}") == _t(
        world, "call.error.not_open_yet"
    )
    await api.send_text(zoe, "/ami")
    # The teacher sees the heads' call without « Candidater », and is refused if forged.
    shown = [m for m in api.messages(zoe.id) if (m.text or "").startswith("📣 Vidéoprojecteurs")]
    assert shown and shown[0].button_texts == []
    assert _t(world, "ami.school.heads_apply") in (shown[0].text or "")
    assert await _alert(world, zoe, f"ami:apply:{heads_only.id}") == _t(
        world, "call.error.heads_only"
    )
    assert world.last_text(zoe) == _t(world, "ami.follow.off")  # /ami ends on following

    # At the closing instant, Lune applying late is refused.
    world.clock.set(CLOSES_AT)
    assert await _alert(world, luc, f"ami:apply:{campaign.id}") == _t(world, "call.error.closed")
    world.clock.set(CLOSES_AT - timedelta(seconds=1))
    await api.forge_callback(luc, api.last(luc.id).message_id, f"ami:apply:{campaign.id}")
    assert _step(world, APPLYING, luc) == "ami_answer"
    world.clock.set(CLOSES_AT)
    await api.send_text(luc, "Projet")  # the step notices the closing
    assert world.last_text(luc) == _t(world, "call.error.closed")
    assert _step(world, APPLYING, luc) is None


async def test_withdrawal_asks_a_confirmation_naming_the_call_and_the_school(
    world: World,
) -> None:
    api = world.api
    dora = await world.registered("Dora", Role.DIRECTOR)
    campaign = await _call(world)
    await _apply(world, dora, campaign)
    card = api.last(dora.id)
    await api.tap(dora, card, "Retirer")
    confirm = api.last(dora.id)
    assert confirm.text == (
        "Retirer la candidature A-2026-0001 de École du Soleil à l'appel « Tablettes <pour>"
        " les classes » ? Elle ne sera plus examinée."
    )
    assert confirm.button_texts == ["Oui, retirer la candidature", "Non, la garder"]
    await api.tap(dora, confirm, "Non, la garder")
    assert world.last_text(dora) == "La candidature est maintenue."
    assert (await _application(world)).withdrawn_at is None
    await api.tap(dora, card, "Retirer")
    await api.tap(dora, api.last(dora.id), "Oui, retirer la candidature")
    assert world.last_text(dora) == (
        "Candidature A-2026-0001 de École du Soleil à « Tablettes <pour> les classes » retirée."
    )
    assert (await _application(world)).withdrawn_at is not None
    # Withdrawn: its card has no button, and a second confirmation is refused.
    assert await _alert(world, dora, f"ami:wdok:{(await _application(world)).ticket_id}") == (
        _t(world, "call.error.withdrawn")
    )


async def test_forged_application_buttons_are_refused(world: World) -> None:
    api = world.api
    dora = await world.registered("Dora", Role.DIRECTOR)
    luc = await world.registered("Luc", Role.DIRECTOR, school="0420002Z")
    claude = await world.registered("Claude", Role.COMMUNE)
    campaign = await _call(world)
    await _apply(world, dora, campaign)
    ticket = (await _application(world)).ticket_id
    not_found = _t(world, "call.error.application_not_found")
    await api.send_text(luc, "/aide")
    for data in ("view", "edit", "wd", "wdok", "comment"):
        assert await _alert(world, luc, f"ami:{data}:{ticket}") == not_found, data
        assert await _alert(world, luc, f"ami:{data}:424242") == not_found, data
        # No record can have this number: refused at the door as a stale button.
        assert await _alert(world, luc, f"ami:{data}:99999999999") == (
            _t(world, "common.stale_button")
        ), data
        assert await _alert(world, luc, f"ami:{data}:abc") == _t(world, "common.stale_button")
    assert await _alert(world, luc, "ami:apply:x1") == _t(world, "common.stale_button")
    assert await _alert(world, luc, "ami:apply:424242") == _t(
        world, "call.error.campaign_not_found"
    )
    await api.send_text(claude, "/aide")
    assert await _alert(world, claude, f"ami:apply:{campaign.id}") == _t(
        world, "common.error.forbidden"
    )
    assert _step(world, APPLYING, luc) is None and _step(world, COMMENTING, luc) is None
    assert (await _application(world)).withdrawn_at is None


async def test_a_teacher_chooses_to_follow_the_calls(world: World) -> None:
    api = world.api
    zoe = await world.registered("Zoé", Role.TEACHER)
    dora = await world.registered("Dora", Role.DIRECTOR)
    await api.send_text(zoe, "/suivre_ami")
    assert world.last_text(zoe) == _t(world, "ami.follow.off")
    await api.tap(zoe, api.last(zoe.id), "🔔 Suivre les AMI")
    assert world.last_text(zoe) == _t(world, "ami.follow.on")
    assert api.last(zoe.id).button_texts == ["🔕 Ne plus suivre les AMI"]
    async with world.db.uow() as uow:
        person = await uow.session.scalar(select(Person).where(Person.full_name == "Zoé"))
        assert person is not None and person.follows_calls
    # She now hears of a call published.
    await _call(world)
    assert api.last(zoe.id).button_texts == ["Candidater"]
    await api.send_text(dora, "/suivre_ami")
    assert world.last_text(dora) == _t(world, "ami.follow.heads")
    assert await _alert(world, dora, "ami:follow:on") == _t(world, "call.error.follow_teachers")
