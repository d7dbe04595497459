"""/ami on Discord: a call of more than 5 questions, answered in successive forms.

A head on Discord answers a call of 8 questions in two forms (5, then 3): each good page
is kept as a draft row and « Suite (questions 6 à 8) » opens the next; a bad answer of
either page is refused in the domain's words and the page offered again, filled as it
was sent; the last page sends the application. « Modifier » pre-fills both pages with
the answers sent. A « Suite » older than its draft, or after the sending, is refused as
stale; « Annuler » between two pages forgets what was typed (decision 0057).
"""

from __future__ import annotations

from sqlalchemy import select

from bot.domain.calls import Question, QuestionKind
from bot.domain.roles import Role
from handlers.discord.offline.api import InteractionRecord
from storage.models import CallApplication
from tests.conversations.conftest import DiscordSide, World
from tests.conversations.test_discord_flows import (
    QUESTIONS,
    _applications,
    _field_values,
    _posted,
    _publish,
    _t,
    _text,
    sent_id,
)

EIGHT = (
    *QUESTIONS,
    Question(QuestionKind.NUMBER, "Nombre d'élèves", minimum=1, maximum=200),
    Question(QuestionKind.CHOICE, "Salle", ("Salle A", "Salle B")),
    Question(QuestionKind.TEXT, "Contact"),
)
PAGE_ONE = {"q0": "Une classe numérique", "q1": "4", "q2": "cycle 3", "q3": "Oui"}
STALE = "Ce bouton n'est plus valable."


def _button(side: DiscordSide, record: InteractionRecord, label: str) -> str:
    found = [i for shown, i in _posted(side, record).buttons if shown == label]
    assert len(found) == 1, _posted(side, record).buttons
    return str(found[0])


async def test_a_call_of_eight_questions_is_answered_in_two_forms_on_discord(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    d = side.discord
    denis = await world.registered("Denis", Role.DIRECTOR)  # Soleil's other head, Telegram
    dora = await side.registered(world, "dora", Role.DIRECTOR)
    campaign = await _publish(world, questions=EIGHT)
    publication = d.last_message(d.dm_channel(dora))
    heard = len(world.texts(denis))

    # The intro names every question, and that they come in two forms.
    intro = await d.tap(dora, publication, f"ami:apply:{campaign.id}")
    assert _t(world, "dform.ami.several_forms", forms=2) in _text(intro)
    assert "Question 8/8 — **Contact**" in _text(intro)

    # Page 1: questions 1 to 5, a bad one refused and offered again, filled as sent.
    first = await d.tap(dora, intro.original_id, f"ami:form:{campaign.id}")
    assert first.modal is not None and first.modal["title"].endswith(" (1/2)")
    assert len(first.modal["title"]) <= 45
    assert list(_field_values(first)) == ["q0", "q1", "q2", "q3", "q4"]
    bad = await d.submit_modal(dora, {**PAGE_ONE, "q1": "quarante"}, origin=first)
    assert _text(bad) == "Question 2 — **Nombre de classes** : " + _t(
        world, "call.error.number_expected"
    )
    again = await d.tap(dora, bad.original_id, _button(side, bad, "✏️ Reprendre le formulaire"))
    assert _field_values(again) == {**PAGE_ONE, "q1": "quarante", "q4": ""}
    kept = await d.submit_modal(dora, {"q1": "4"}, origin=again)
    assert _text(kept) == (
        "✔️ Réponses gardées (questions 1 à 5) ; rien n'est encore envoyé.\n"
        "La suite : questions 6 à 8."
    )
    assert [label for label, _ in _posted(side, kept).buttons] == [
        "📝 Suite (questions 6 à 8)",
        "✖️ Annuler",
    ]
    assert await _applications(world) == 0  # nothing sent before the last page
    suite = _button(side, kept, "📝 Suite (questions 6 à 8)")
    assert suite.startswith("ami:pg:")

    # Page 2: questions 6 to 8; a number out of range refused, then fixed.
    second = await d.tap(dora, kept.original_id, suite)
    assert second.modal is not None and second.modal["title"].endswith(" (2/2)")
    assert list(_field_values(second)) == ["q5", "q6", "q7"]
    page_two = {"q5": "300", "q6": "salle b", "q7": "Dora, 04 77 00 00 00"}
    refused = await d.submit_modal(dora, page_two, origin=second)
    assert _text(refused) == "Question 6 — **Nombre d'élèves** : " + _t(
        world, "call.error.number_range", minimum=1, maximum=200
    )
    assert await _applications(world) == 0
    # The « Suite » before the refusal is stale now: the draft moved on.
    assert _text(await d.tap(dora, kept.original_id, suite)) == STALE
    fix = _button(side, refused, "✏️ Reprendre le formulaire")
    fixing = await d.tap(dora, refused.original_id, fix)
    assert _field_values(fixing) == page_two  # filled as it was sent
    sent = await d.submit_modal(dora, {"q5": "120"}, origin=fixing)
    card = _text(sent)
    assert card.startswith("✅ Candidature A-2026-0001 envoyée.\n\n"), card
    assert "Une classe numérique" in card and "Salle B" in card and "120" in card
    assert await _applications(world) == 1
    async with world.db.uow() as uow:
        application = await uow.session.scalar(select(CallApplication))
        assert application is not None
        assert application.answers["1"] == 4 and application.answers["5"] == 120
        assert application.answers["6"] == "Salle B"
    told = world.texts(denis)[heard:]
    assert len(told) == 1 and "A-2026-0001" in told[0]
    # Sent: the draft is gone, its buttons with it.
    assert _text(await d.tap(dora, refused.original_id, fix)) == STALE
    assert _text(await d.tap(dora, kept.original_id, suite)) == STALE

    # « Modifier »: both pages pre-filled with the answers sent.
    ticket = sent_id(sent)
    edit = await d.tap(dora, sent.original_id, f"ami:edit:{ticket}")
    assert _field_values(edit) == {**PAGE_ONE, "q2": "Cycle 3", "q3": "oui", "q4": ""}
    edited = await d.submit_modal(dora, {"q1": "6"}, origin=edit)
    assert _text(edited).startswith("✔️ Réponses gardées (questions 1 à 5)")
    page = await d.tap(
        dora, edited.original_id, _button(side, edited, "📝 Suite (questions 6 à 8)")
    )
    assert _field_values(page) == {"q5": "120", "q6": "Salle B", "q7": "Dora, 04 77 00 00 00"}
    done = await d.submit_modal(dora, {"q7": "Denis, 04 77 11 11 11"}, origin=page)
    assert _text(done).startswith("✅ Candidature A-2026-0001 modifiée.")
    async with world.db.uow() as uow:
        application = await uow.session.scalar(select(CallApplication))
        assert application is not None
        assert application.answers["1"] == 6 and application.answers["5"] == 120
        assert application.answers["7"] == "Denis, 04 77 11 11 11"
    assert await _applications(world) == 1

    # « Annuler » between the pages: what was typed is forgotten, the answers sent kept.
    edit = await d.tap(dora, done.original_id, f"ami:edit:{ticket}")
    assert _field_values(edit)["q1"] == "6"
    paused = await d.submit_modal(dora, {"q1": "9"}, origin=edit)
    cancel = _button(side, paused, "✖️ Annuler")
    assert _text(await d.tap(dora, paused.original_id, cancel)) == _t(world, "common.cancelled")
    next_page = _button(side, paused, "📝 Suite (questions 6 à 8)")
    assert _text(await d.tap(dora, paused.original_id, next_page)) == STALE
    assert _text(await d.tap(dora, paused.original_id, cancel)) == STALE
    async with world.db.uow() as uow:
        application = await uow.session.scalar(select(CallApplication))
        assert application is not None and application.answers["1"] == 6


async def test_a_later_page_is_not_sent_for_another_person_or_an_older_draft(
    both: tuple[World, DiscordSide],
) -> None:
    """A page's form names its draft: the person's own, at that page, or refused."""
    world, side = both
    d = side.discord
    dora = await side.registered(world, "dora", Role.DIRECTOR)
    luc = await side.registered(world, "luc", Role.DIRECTOR, school="0420002Z")
    campaign = await _publish(world, questions=EIGHT)
    first = await d.tap(dora, d.last_message(d.dm_channel(dora)), f"ami:apply:{campaign.id}")
    opened = await d.tap(dora, first.original_id, f"ami:form:{campaign.id}")
    kept = await d.submit_modal(dora, PAGE_ONE, origin=opened)
    suite = _button(side, kept, "📝 Suite (questions 6 à 8)")
    # Another head taps her « Suite » (its id is hers): not his draft.
    assert _text(await d.tap(luc, kept.original_id, suite)) == STALE
    # Two forms of page 2 opened; the first sent moves the draft on, the second is stale.
    one = await d.tap(dora, kept.original_id, suite)
    two = await d.tap(dora, kept.original_id, suite)
    page_two = {"q5": "30", "q6": "Salle A", "q7": "Dora"}
    refused = await d.submit_modal(dora, {**page_two, "q5": "0"}, origin=one)
    assert _text(refused).startswith("Question 6 — **Nombre d'élèves**")
    late = await d.submit_modal(dora, page_two, origin=two)
    assert _text(late) == STALE
    assert await _applications(world) == 0
    fixing = await d.tap(
        dora, refused.original_id, _button(side, refused, "✏️ Reprendre le formulaire")
    )
    sent = await d.submit_modal(dora, {"q5": "30"}, origin=fixing)
    assert _text(sent).startswith("✅ Candidature A-2026-0001 envoyée.")
    assert await _applications(world) == 1


async def test_a_call_of_eleven_questions_takes_three_forms_the_last_of_one_question(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    d = side.discord
    dora = await side.registered(world, "dora", Role.DIRECTOR)
    eleven = (
        *EIGHT,
        Question(QuestionKind.TEXT, "Matériel déjà présent", required=False),
        Question(QuestionKind.TEXT, "Besoins de formation", required=False),
        Question(QuestionKind.COMMITMENT, "L'école accueillera la livraison"),
    )
    campaign = await _publish(world, questions=eleven)
    intro = await d.tap(dora, d.last_message(d.dm_channel(dora)), f"ami:apply:{campaign.id}")
    assert _t(world, "dform.ami.several_forms", forms=3) in _text(intro)
    first = await d.tap(dora, intro.original_id, f"ami:form:{campaign.id}")
    kept = await d.submit_modal(dora, PAGE_ONE, origin=first)
    second = await d.tap(dora, kept.original_id, _button(side, kept, "📝 Suite (questions 6 à 10)"))
    assert second.modal is not None and second.modal["title"].endswith(" (2/3)")
    assert list(_field_values(second)) == ["q5", "q6", "q7", "q8", "q9"]
    more = await d.submit_modal(dora, {"q5": "25", "q6": "Salle A", "q7": "Dora"}, origin=second)
    assert _text(more) == (
        "✔️ Réponses gardées (questions 1 à 10) ; rien n'est encore envoyé.\nLa suite : question 11."
    )
    third = await d.tap(dora, more.original_id, _button(side, more, "📝 Suite (question 11)"))
    assert third.modal is not None and third.modal["title"].endswith(" (3/3)")
    assert list(_field_values(third)) == ["q10"]
    refused = await d.submit_modal(dora, {"q10": "non"}, origin=third)
    assert _text(refused) == "Question 11 — **L'école accueillera la livraison** : " + _t(
        world, "call.error.commitment_required"
    )
    again = await d.tap(
        dora, refused.original_id, _button(side, refused, "✏️ Reprendre le formulaire")
    )
    sent = await d.submit_modal(dora, {"q10": "oui"}, origin=again)
    assert _text(sent).startswith("✅ Candidature A-2026-0001 envoyée.")
    async with world.db.uow() as uow:
        application = await uow.session.scalar(select(CallApplication))
        assert application is not None
        assert application.answers["10"] == "yes" and application.answers.get("8") is None
