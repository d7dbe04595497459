"""The school side of a call, as the dialogue walks it, through the services alone: may
a person start an application (before the opening, after the closing, an ineligible
school, a teacher when the call is for heads), each answer checked alone, a comment told
to the heads and the sender but not its writer, and a teacher choosing to follow calls."""

from __future__ import annotations

from datetime import date, time, timedelta

from bot.services import call_applying, calls
from tests.helpers import refuses
from tests.integration.test_calls_service import ANSWERS, CLOSES_AT, _draft, _more_heads
from tests.integration.test_claim_without_a_messenger import NOW, Demo, demo

__all__ = ["demo"]
AT = NOW + timedelta(days=1)  # the calls open on 2 March at 10:00 in Paris


async def test_starting_an_application_checks_the_window_the_school_and_the_person(
    demo: Demo,
) -> None:
    d = demo
    db = d.services.db
    await _more_heads(d)
    sacha, dominique, camille, eden = (
        d.people[n] for n in ("Sacha", "Dominique", "Camille", "Eden")
    )
    later = await calls.create_campaign(
        db, sacha, _draft(opens_on=date(2026, 3, 20), opens_time=time(9, 0)), NOW
    )
    await calls.publish(db, sacha, later.id, NOW)
    with refuses("call.error.not_open_yet"):
        await call_applying.start(db, dominique, later.id, NOW)

    heads_only = await calls.create_campaign(db, sacha, _draft(allow_teachers=False), NOW)
    with refuses("call.error.not_open"):  # a draft: nobody applies yet
        await call_applying.start(db, dominique, heads_only.id, AT)
    await calls.publish(db, sacha, heads_only.id, NOW)
    with refuses("call.error.heads_only"):
        await call_applying.start(db, camille, heads_only.id, AT)
    with refuses("call.error.not_eligible"):  # Sainte-Marie is private
        await call_applying.start(db, eden, heads_only.id, AT)
    with refuses("call.error.campaign_not_found"):
        await call_applying.start(db, dominique, 9999, AT)
    started = await call_applying.start(db, dominique, heads_only.id, AT)
    assert started.campaign.id == heads_only.id and started.application is None

    # Each answer alone, as the domain reads it.
    view = started.campaign
    assert call_applying.check(view, 1, "1 2") == 12
    with refuses("call.error.number_range"):
        call_applying.check(view, 1, "21")
    with refuses("call.error.commitment_required"):
        call_applying.check(view, 2, "no")
    with refuses("call.error.campaign_not_found"):
        call_applying.check(view, 3, "x")

    applied = await calls.apply(db, dominique, heads_only.id, ANSWERS, AT)
    again = await call_applying.start(db, dominique, heads_only.id, AT)
    assert again.application is not None and again.application.id == applied.view.id
    with refuses("call.error.closed"):
        await call_applying.start(db, d.people["Dana"], heads_only.id, CLOSES_AT)


async def test_a_comment_is_told_to_the_heads_and_the_sender_and_a_teacher_follows_calls(
    demo: Demo,
) -> None:
    d = demo
    db = d.services.db
    await _more_heads(d)
    sacha, dominique, camille = (d.people[n] for n in ("Sacha", "Dominique", "Camille"))
    view = await calls.create_campaign(db, sacha, _draft(), NOW)
    await calls.publish(db, sacha, view.id, NOW)
    applied = await calls.apply(db, camille, view.id, ANSWERS, NOW + timedelta(hours=1))

    done = await call_applying.comment(db, dominique, applied.view.id, " Bien vu ", NOW)
    assert done.view.comments == ("Bien vu",)
    assert [d.front.names[r.chat_id] for r in done.told] == ["Camille"]  # not Dominique
    (message,) = call_applying.commented(d.services.i18n, done, "Dominique Bernard", " Bien vu ")
    assert "Dominique Bernard" in message.text and "Bien vu" in message.text
    assert message.ticket_id == applied.view.id
    with refuses("call.error.application_not_found"):  # Pilat's head: another school
        await call_applying.comment(db, d.people["Fran"], applied.view.id, "x", NOW)

    assert await call_applying.follows(db, dominique) is True  # heads always
    assert await call_applying.follows(db, camille) is True  # chose to (_more_heads)
    assert await call_applying.follow(db, camille, False, NOW) is False
    assert await call_applying.follows(db, camille) is False
    with refuses("call.error.follow_teachers"):
        await call_applying.follow(db, dominique, True, NOW)
    with refuses("call.error.follow_teachers"):
        await call_applying.follow(db, sacha, True, NOW)
