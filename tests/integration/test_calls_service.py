"""A call for interest from its draft to its results through the services alone.

The demo directory (tests/integration/test_claim_without_a_messenger.py) with three more
heads: Tilleuls (public, applies late), Pilat and Gier (public, apply in time), and
Sainte-Marie (private: not for a call open to public schools). The call closes on
Friday 3 April 2026 at noon in Paris, after the change to summer time (10:00 UTC), and
was opened in winter time.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.domain.calls import Question, QuestionKind, Reach
from bot.services import call_files, call_notices, call_publication, calls, reminders
from bot.services.delivery import Outgoing
from storage.models import Person, PlatformAccount, Reminder, School
from tests.helpers import refuses
from tests.integration import test_claim_without_a_messenger as base
from tests.integration.test_claim_without_a_messenger import NOW, Demo, actions_of

demo = base.demo

CLOSES_AT = datetime(2026, 4, 3, 10, 0, tzinfo=UTC)  # noon in Paris, summer time
QUESTIONS = (
    Question(QuestionKind.TEXT, "Projet pédagogique"),
    Question(QuestionKind.NUMBER, "Nombre de classes", minimum=1, maximum=20),
    Question(QuestionKind.COMMITMENT, "L'équipe suivra la formation"),
)
HEADS = {"Dana": "0429902K", "Eden": "0429903L", "Fran": "0429904M", "Gaby": "0429906P"}


async def _more_heads(d: Demo) -> None:
    """A head at four more schools, and the demo teacher following calls."""
    async with d.services.db.uow() as uow:
        for number, (name, uai) in enumerate(HEADS.items(), start=1):
            school = await uow.session.scalar(select(School).where(School.uai == uai))
            assert school is not None
            chat = 910000 + number
            uow.people.add(
                Person(
                    full_name=f"{name} Durand",
                    role="director",
                    school_id=school.id,
                    language="fr",
                    active=True,
                    created_at=NOW,
                    accounts=[
                        PlatformAccount(
                            platform="telegram",
                            external_user_id=chat,
                            chat_id=chat,
                            created_at=NOW,
                        )
                    ],
                )
            )
            d.front.names[chat] = name
        camille = await uow.people.get(d.people["Camille"])
        assert camille is not None
        camille.follows_calls = True
        await uow.commit()
        for person in (await uow.session.scalars(select(Person))).all():
            d.people.setdefault(person.full_name.split()[0], person.id)


def _draft(**changes: object) -> calls.CampaignDraft:
    values: dict[str, object] = {
        "title": "Tablettes pour les classes",
        "nature": "tablet",
        "description": "Des lots de tablettes, avec leur formation.",
        "quantity": 2,
        "kit_size": 15,
        "reach": Reach.PUBLIC,
        "opens_on": date(2026, 3, 2),
        "opens_time": time(10, 0),
        "closes_on": date(2026, 4, 3),
        "closes_time": time(12, 0),
        "questions": QUESTIONS,
        "allow_teachers": True,
    }
    values.update(changes)
    return calls.CampaignDraft(**values)  # type: ignore[arg-type]


ANSWERS = {0: "Une classe numérique", 1: "4", 2: "yes"}


async def _sweep(d: Demo, at: datetime) -> list[tuple[str, Outgoing]]:
    """The sweep, then the paced lane (a closing reminder's crowd), at ``at``."""
    db, renderers = d.services.db, d.services.renderers
    await reminders.sweep(db, renderers, d.front.send, now=at, worker="t")
    await reminders.paced(db, renderers, d.front.send, clock=FrozenClock(at), worker="t")
    return d.front.take()


async def test_a_call_runs_from_its_draft_to_its_results(demo: Demo) -> None:
    d = demo
    db, i18n = d.services.db, d.services.i18n
    await _more_heads(d)
    sacha, dominique, camille = d.people["Sacha"], d.people["Dominique"], d.people["Camille"]
    dana, eden, fran, gaby = (d.people[n] for n in ("Dana", "Eden", "Fran", "Gaby"))

    # Only staff draft a call; every field is checked.
    with refuses("common.error.forbidden"):
        await calls.create_campaign(db, dominique, _draft(), NOW)
    with refuses("call.error.nature"):
        await calls.create_campaign(db, sacha, _draft(nature="fusée"), NOW)
    with refuses("call.error.window_short"):
        await calls.create_campaign(db, sacha, _draft(closes_on=date(2026, 3, 2)), NOW)
    draft = await calls.create_campaign(db, sacha, _draft(), NOW)
    assert draft.state == "draft" and draft.window.closes_at == CLOSES_AT
    assert draft.window.opens_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # winter time

    # The preview counts the public schools, their heads and the teacher following calls.
    preview = await calls.preview(db, sacha, draft.id)
    assert (preview.schools, preview.heads, preview.teachers) == (8, 4, 1)

    # Published: the messages go through the paced delivery, each with « Candidater ».
    published = await calls.publish(db, sacha, draft.id, NOW)
    assert published.reminders_planned == 2
    messages = call_notices.publication(i18n, published)
    assert await call_publication.send_out(
        db, messages, campaign=published.campaign, what="publication", author_id=sacha,
        record=True, now=NOW,
    ) == 5  # fmt: skip
    swept = await _sweep(d, NOW)
    got = [(who, m) for who, m in swept if who != "Sacha"]
    assert [m.text for who, m in swept if who == "Sacha"] == [
        "« Tablettes pour les classes » : la publication reçue par 5 personnes, 0 échec."
    ]
    assert sorted(who for who, _ in got) == ["Camille", "Dana", "Dominique", "Fran", "Gaby"]
    assert "Eden" not in {who for who, _ in got}
    assert all(actions_of(m) == [f"ami:apply:{draft.id}"] for _, m in got)
    assert (
        "Tablettes pour les classes" in got[0][1].text and "2 lots de 15 unités" in got[0][1].text
    )
    with refuses("call.error.not_draft"):
        await calls.publish(db, sacha, draft.id, NOW)

    # Sainte-Marie is private: no open call, and its head cannot apply.
    assert await calls.open_calls(db, eden, NOW) == []
    with refuses("call.error.not_eligible"):
        await calls.apply(db, eden, draft.id, ANSWERS, NOW)

    # Answers are checked question by question.
    at = NOW + timedelta(days=1)
    with refuses("call.error.number_expected"):
        await calls.apply(db, camille, draft.id, {**ANSWERS, 1: "beaucoup"}, at)
    with refuses("call.error.commitment_required"):
        await calls.apply(db, camille, draft.id, {**ANSWERS, 2: "no"}, at)

    # The teacher applies for Soleil (the call allows teachers): the head hears of it.
    applied = await calls.apply(db, camille, draft.id, ANSWERS, at)
    assert applied.created and applied.view.number.startswith("A-2026-")
    assert applied.view.answers == {"0": "Une classe numérique", "1": 4, "2": "yes"}
    told = call_notices.applied(i18n, applied, "Camille Martin")
    assert [d.front.names[m.chat_id] for m in told] == ["Dominique"]

    # The head gets the school's application, not a second one, and Camille adds a word.
    again = await calls.apply(db, dominique, draft.id, {0: "Autre"}, at)
    assert not again.created and again.view.id == applied.view.id
    assert call_notices.applied(i18n, again, "Dominique Bernard") == []
    commented = await calls.comment(db, camille, applied.view.id, "Je peux animer la formation", at)
    assert commented.comments == ("Je peux animer la formation",)
    (line,) = await calls.open_calls(db, dominique, at)
    assert line.application is not None and line.application.id == applied.view.id

    pilat = (await calls.apply(db, fran, draft.id, ANSWERS, at)).view
    gier = (await calls.apply(db, gaby, draft.id, {**ANSWERS, 1: "2"}, at)).view

    # 7 days before the closing, 09:00 in Paris (winter time): only Tilleuls, which has
    # not applied, is reminded; Sainte-Marie never.
    assert await _sweep(d, datetime(2026, 3, 27, 7, 59, tzinfo=UTC)) == []
    got = await _sweep(d, datetime(2026, 3, 27, 8, 0, tzinfo=UTC))
    assert [who for who, _ in got] == ["Dana"]
    assert "n'a pas encore candidaté" in got[0][1].text
    assert actions_of(got[0][1]) == [f"ami:apply:{draft.id}"]
    # The day before (summer time now): Tilleuls again, nobody else.
    got = await _sweep(d, datetime(2026, 4, 2, 7, 0, tzinfo=UTC))
    assert [who for who, _ in got] == ["Dana"]

    # Soleil edits its answers one second before noon in Paris (summer time)…
    edited = await calls.edit_answers(
        db, dominique, applied.view.id, {**ANSWERS, 1: "6"}, CLOSES_AT - timedelta(seconds=1)
    )
    assert edited.answers["1"] == 6
    # …and from noon on everything is locked: Tilleuls applying late is refused too.
    with refuses("call.error.closed"):
        await calls.edit_answers(db, dominique, applied.view.id, ANSWERS, CLOSES_AT)
    with refuses("call.error.closed"):
        await calls.apply(db, dana, draft.id, ANSWERS, CLOSES_AT)
    with refuses("call.error.closed"):
        await calls.withdraw(db, gaby, gier.id, CLOSES_AT)
    assert await _sweep(d, CLOSES_AT + timedelta(days=1)) == []

    # The selection: after the closing only, side by side, with equipment and claims.
    after = CLOSES_AT + timedelta(hours=2)
    with refuses("call.error.still_open"):
        await calls.selection(db, sacha, draft.id, CLOSES_AT - timedelta(minutes=1))
    chosen = await calls.selection(db, sacha, draft.id, after)
    assert [r.application.id for r in chosen.rows] == [applied.view.id, pilat.id, gier.id]
    soleil = next(r for r in chosen.rows if r.application.id == applied.view.id)
    assert [i.asset_tag for i in soleil.equipment] == ["SEM-DEMO-0003", "SEM-DEMO-0004"]
    assert soleil.claims_last_year == 0 and (chosen.given, chosen.left) == (0, 2)
    sheet = load_workbook(io.BytesIO(call_files.applications_xlsx(chosen, "fr", i18n))).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert header[4:7] == [q.label for q in QUESTIONS]
    assert sheet.max_row == 4
    rows = {r[2]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[applied.view.number][4:8] == ("Une classe numérique", 6, "oui", 2)

    # Soleil gets a kit; Pilat asks two, beyond what is left: refused, put on the list.
    await calls.select_application(db, sacha, applied.view.id, 1, after)
    with refuses("call.error.over_quantity"):
        await calls.select_application(db, sacha, pilat.id, 2, after)
    await calls.put_on_waiting_list(db, sacha, pilat.id, 2, after)
    with refuses("call.error.reason"):
        await calls.decline(db, sacha, gier.id, "  ", after)
    await calls.decline(db, sacha, gier.id, "Équipement récent", after)
    # Nothing is served while one kit alone is free.
    assert (await calls.serve_waiting_list(db, sacha, draft.id, after)).applicants == ()

    # Soleil gives up its kit: the two free kits serve Pilat.
    await calls.withdraw(db, dominique, applied.view.id, after)
    served_list = await calls.serve_waiting_list(db, sacha, draft.id, after)
    ((served, people),) = served_list.applicants
    assert served.id == pilat.id and served.outcome == "selected" and served.quantity_given == 2
    assert [p.name for p in people] == ["Fran Durand"]

    (line_,) = [c for c in await calls.campaigns(db, sacha) if c.campaign.id == draft.id]
    assert (line_.eligible, line_.applied, line_.selected) == (8, 2, 1)

    # Results: every applicant still on hears its outcome, the declined one its reason.
    results = await calls.send_results(db, sacha, draft.id, after)
    assert results.campaign.state == "decided"
    told_results = {d.front.names[m.chat_id]: m.text for m in call_notices.results(i18n, results)}
    assert set(told_results) == {"Fran", "Gaby"}
    assert "est retenue : 2 lots de 15 unités" in told_results["Fran"]
    assert "Motif : Équipement récent" in told_results["Gaby"]


async def test_a_call_extended_tells_its_applicants_and_a_cancelled_one_stops_its_reminders(
    demo: Demo,
) -> None:
    d = demo
    db, i18n = d.services.db, d.services.i18n
    await _more_heads(d)
    sacha, fran = d.people["Sacha"], d.people["Fran"]
    view = await calls.create_campaign(db, sacha, _draft(), NOW)
    await calls.publish(db, sacha, view.id, NOW)
    applied = await calls.apply(db, fran, view.id, ANSWERS, NOW + timedelta(days=1))

    extended = await calls.extend(db, sacha, view.id, date(2026, 4, 10), time(12, 0), NOW)
    assert extended.campaign.window.closes_at == datetime(2026, 4, 10, 10, 0, tzinfo=UTC)
    told = call_notices.extension(i18n, extended)
    assert [d.front.names[m.chat_id] for m in told] == ["Fran"]
    assert applied.view.number in told[0].text and "prolongé" in told[0].text

    cancelled = await calls.cancel(db, sacha, view.id, NOW + timedelta(days=2))
    assert [d.front.names[m.chat_id] for m in call_notices.cancellation(i18n, cancelled)] == [
        "Fran"
    ]
    async with db.uow() as uow:
        states = set(
            (
                await uow.session.scalars(
                    select(Reminder.state).where(Reminder.key.startswith(f"call:{view.id}:"))
                )
            ).all()
        )
    assert states == {"cancelled"}
    assert await _sweep(d, datetime(2026, 4, 9, 8, 0, tzinfo=UTC)) == []
    with refuses("call.error.not_open"):
        await calls.apply(db, d.people["Dana"], view.id, ANSWERS, NOW + timedelta(days=3))


async def test_a_teacher_applies_only_when_the_call_allows_and_sees_only_their_school(
    demo: Demo,
) -> None:
    d = demo
    db = d.services.db
    await _more_heads(d)
    sacha, camille, fran = d.people["Sacha"], d.people["Camille"], d.people["Fran"]
    heads_only = await calls.create_campaign(db, sacha, _draft(allow_teachers=False), NOW)
    await calls.publish(db, sacha, heads_only.id, NOW)
    with refuses("call.error.heads_only"):
        await calls.apply(db, camille, heads_only.id, ANSWERS, NOW + timedelta(days=1))
    pilat = await calls.apply(db, fran, heads_only.id, ANSWERS, NOW + timedelta(days=1))
    # Another school's application reads as one that does not exist.
    with refuses("call.error.application_not_found"):
        await calls.application(db, camille, pilat.view.id)
    with refuses("call.error.application_not_found"):
        await calls.edit_answers(db, d.people["Dominique"], pilat.view.id, ANSWERS, NOW)
    # Staff only select, and only after the closing.
    with refuses("common.error.forbidden"):
        await calls.select_application(db, fran, pilat.view.id, 1, CLOSES_AT)
    with refuses("call.error.still_open"):
        await calls.select_application(db, sacha, pilat.view.id, 1, NOW + timedelta(days=2))


async def test_a_call_for_a_level_reaches_the_schools_named_so(demo: Demo) -> None:
    d = demo
    await _more_heads(d)
    sacha = d.people["Sacha"]
    db = d.services.db
    with refuses("call.error.no_levels"):
        await calls.create_campaign(db, sacha, _draft(reach=Reach.LEVELS), NOW)
    view = await calls.create_campaign(
        db, sacha, _draft(reach=Reach.LEVELS, levels=frozenset({"maternelle"})), NOW
    )
    preview = await calls.preview(db, sacha, view.id)
    assert (preview.schools, preview.heads, preview.teachers) == (2, 1, 0)  # Tilleuls, Parc
    await calls.publish(db, sacha, view.id, NOW)
    at = NOW + timedelta(days=1)
    assert await calls.open_calls(db, d.people["Dominique"], at) == []  # élémentaire
    assert [c.campaign.id for c in await calls.open_calls(db, d.people["Dana"], at)] == [view.id]


def test_a_schools_level_is_read_from_its_name() -> None:
    assert calls.school_level("École maternelle des Tilleuls") == "maternelle"
    assert calls.school_level("ÉCOLE ÉLÉMENTAIRE DU SOLEIL") == "élémentaire"
    assert calls.school_level("Ecole elementaire du Gier") == "élémentaire"
    assert calls.school_level("École primaire privée Sainte-Marie") == "primaire"
    assert calls.school_level("Groupe scolaire Jules-Ferry") == "primaire"


async def test_the_bodies_a_call_may_name_are_searched_without_accents_by_staff_only(
    demo: Demo,
) -> None:
    """A call for chosen bodies names communes' own bodies as well as OGECs; the search
    folds case and accents, and is staff's only."""
    d = demo
    db = d.services.db
    sacha = d.people["Sacha"]
    found = await calls.search_bodies(db, sacha, "sainte")
    assert [b.code for b in found] == ["OGEC-SAINTE-MARIE"]
    communes = await calls.search_bodies(db, sacha, "SAINT-ETIENNE")
    assert [b.code for b in communes] == ["commune:42218"]
    assert await calls.search_bodies(db, sacha, " … ") == []
    assert [b.id for b in await calls.search_bodies(db, sacha, "demo", limit=2)] == [
        b.id for b in (await calls.search_bodies(db, sacha, "démo"))[:2]
    ]
    named = await calls.bodies_named(db, sacha, [communes[0].id, found[0].id, 999_999])
    assert [b.name for b in named] == sorted([communes[0].name, found[0].name])
    with refuses("common.error.forbidden"):
        await calls.search_bodies(db, d.people["Dominique"], "sainte")
    with refuses("common.error.forbidden"):
        await calls.bodies_named(db, d.people["Dominique"], [found[0].id])
