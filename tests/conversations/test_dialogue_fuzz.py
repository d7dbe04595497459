"""Random play of the follow-up dialogues: whatever a person taps or types, in whatever
order, the bot answers, never fails, never sends what Telegram would refuse, keeps a
person in one follow-up at a time, and stays in a state its dialogue has.

Each example is a fresh bot on a copy of a database with a pledged theft claim; staff (who
may take every action) start one dialogue from its button data and then do anything:
tap a button of the last message, type one of many answers good and bad, send a photo,
/annuler, start another dialogue, or tap a button of an older message. The run is
derandomised (the same examples each time) and must reach every state of every
follow-up dialogue.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from telegram.ext import ConversationHandler

from bot.domain.claims import ClaimKind, Payer
from bot.services import claims, holds
from handlers.telegram.claim_follow import FOLLOW_UPS
from handlers.telegram.offline import sample_png
from storage.models import ClaimItem, Person
from tests.conversations.conftest import World, a_world
from tests.conversations.test_claim_follow_steps import _pledged
from tests.helpers import fuzz_budget

STARTS = [
    "clm:duty:1:complaint",
    "clm:duty:1:police_report",
    "clm:pledge:1",
    "clm:attach:1",
    "clm:complete:1",
    "clm:pay:1",
    "clm:repl:1",
    "clm:recov:1",
    "clm:close:1",
    "clm:indem:1",
    "clm:bpay:1",
    "clm:pconf:1:1",
    "clm:prej:1:1",
    "clm:recok:1:1",
    "clm:recdis:1:1",  # the body's report of recovery 1 dismissed
    "clm:recreq:1:1",
    "clm:recdec:1:1:agree",
    "clm:cz:2",  # the cause of the accidental damage S-2026-0002
    "clm:cz:1",  # a theft has no cause to correct: refused
    "hold:place:1",  # École du Soleil, flagged by the pledged claim and two more
    "hold:lift:1",  # the open hold on École de la Lune
]
TEXTS = [
    "0",
    "300",
    "640",
    "1 000 000",
    "abc",
    "-",
    "Doublon du sinistre S-2026-0002",
    "PV 2026/9",
    "maintenant",
    "aujourd'hui 9h",
    "hier 20h",
    "demain",
    "09/03/2026",
    "11/03/2026",
    "15/06/2026",
    "450,50",
    "<b>&",
    "é" * 200,
]
# A fitting answer to the question asked at each step (the fuzz then reaches every step).
GOOD: dict[str, list[tuple[str, Any]]] = {
    "duty_when": [("tap", 0), ("text", "aujourd'hui 9h")],
    "duty_ref": [("text", "PV 2026/9")],
    "pledge_amount": [("tap", 0), ("text", "500")],
    "pledge_mode": [("tap", 0), ("tap", 1)],
    "pledge_date": [("text", "15/06/2026")],
    "confirm": [("tap", 0), ("tap", 1)],
    "pay_amount": [("tap", 0), ("text", "300")],
    "pay_date": [("tap", 0), ("text", "09/03/2026")],
    "close_reason": [("text", "Doublon du sinistre S-2026-0002")],
    "repl_item": [("tap", 0), ("tap", 1)],
    "repl_what": [("tap", 1)],  # « Installé », which asks one step more
    "repl_date": [("tap", 0), ("text", "09/03/2026")],
    "repl_value": [("text", "450,50")],
    "repl_tag": [("text", "SEM-0420"), ("text", "SEM-0002")],  # the second one is taken
    "repl_model": [("tap", 0), ("text", "iPad 10")],
    "hold_reason": [("text", "Trois effractions par la cour")],
    "lift_note": [("text", "Alarme posée le 15 avril")],
    "recov_when": [("tap", 0), ("text", "hier 20h")],
    "attach_purpose": [("tap", 0), ("tap", 2)],
    "attach_file": [("photo", 0), ("text", "le voici")],
    "pay_payer": [("tap", 0), ("tap", 2)],
    "recov_items": [("tap", 1), ("tap", 0)],  # « Terminé » (one item left to find), or toggle
    "recov_damage": [("tap", 0), ("text", "450,50")],
    "indem_payee": [("tap", 0), ("tap", 1)],
    "indem_date": [("tap", 0), ("text", "09/03/2026")],
    "indem_amount": [("text", "300")],
    "bpay_amount": [("tap", 0), ("text", "300")],
    "bpay_date": [("tap", 0), ("text", "09/03/2026")],
    "bpay_payer": [("tap", 0), ("tap", 1)],
    "bpay_proof": [("photo", 0)],
    "review_reason": [("text", "Virement introuvable")],
    "dismiss_reason": [("text", "Tablette d'une autre école")],
    "cause_pick": [("tap", 0), ("tap", 2)],
}
MOVES = st.one_of(
    st.tuples(st.just("good"), st.integers(0, 3)),
    st.tuples(st.just("good"), st.integers(0, 3)),
    st.tuples(st.just("good"), st.integers(0, 3)),
    st.tuples(st.just("tap"), st.integers(0, 7)),
    st.tuples(st.just("text"), st.sampled_from(TEXTS)),
    st.tuples(st.just("photo"), st.just(0)),
    st.tuples(st.just("cancel"), st.just(0)),
    st.tuples(st.just("start"), st.sampled_from(STARTS)),
    st.tuples(st.just("stale"), st.integers(0, 10_000)),
)
# A start, a few fitting answers in a row (so that deep steps are reached), then anything.
PLANS = st.tuples(
    st.sampled_from(STARTS),
    st.lists(st.integers(0, 3), max_size=6),
    st.lists(MOVES, max_size=10),
)
Plan = tuple[str, list[int], list[tuple[str, Any]]]
INTERNAL_ERROR = "Désolé, une erreur s'est produite de mon côté."


STAFF_ID = 1003  # the third person registered by _pledged


# The files sent while preparing (the report's photo): Telegram keeps them for the bot,
# so every example's Bot API knows them too (the body's notice offers to send them again).
_PREPARED_FILES: dict[str, Any] = {}


async def _prepare(url: str) -> None:
    """A pledged theft claim, S-2026-0001, and its staff member, once for every example;
    its body reported one of the two tablets found (recovery 1) and a payment of 100 €
    with a proof (payment 1), both awaiting staff; an accidental damage, S-2026-0002,
    whose cause staff may correct; École du Soleil flagged (two claims more), and École
    de la Lune flagged and held."""
    async with a_world(url) as world:
        teacher, agent, staff = await _pledged(world)
        assert staff.id == STAFF_ID
        async with world.db.uow() as uow:
            person = await uow.people.by_account("telegram", agent.id)
            assert person is not None
            first = await uow.session.scalar(
                select(func.min(ClaimItem.id)).where(ClaimItem.claim_id == 1)
            )
            assert first is not None
            people = {p.full_name: p.id for p in (await uow.session.scalars(select(Person)))}
        now = world.clock.now()
        await claims.report_recovery(world.db, person.id, 1, item_ids=[first], told_at=now, now=now)
        # The proof is a file the offline Bot API knows, so that staff can open it.
        stored = world.api._register_file("photo", sample_png(), mime_type="image/jpeg")
        proof = claims.FileRef("photo", stored.file_id, stored.file_unique_id)
        await claims.record_body_payment(
            world.db,
            person.id,
            1,
            amount=Decimal("100"),
            paid_on=now.date(),
            payer=Payer.BODY_FUNDS,
            proof=proof,
            now=now,
        )
        api = world.api
        await api.send_text(teacher, "/signaler")
        await api.tap(teacher, api.last(teacher.id), "Dégradation")
        await api.tap(teacher, api.last(teacher.id), "Accident : casse")
        await api.send_text(teacher, "SEM-0003")
        await api.tap(teacher, api.last(teacher.id), "✔️ Terminé (1 choisi)")
        await api.send_text(teacher, "aujourd'hui 8h")
        await api.send_text(teacher, "Écran fissuré")
        await api.tap(teacher, api.last(teacher.id), "✔️ Terminé")
        await api.tap(teacher, api.last(teacher.id), "✅ Confirmer l'envoi")
        assert "S-2026-0002" in world.last_text(teacher)
        at = world.clock.now() - timedelta(hours=1)
        for school, kind in [
            ("soleil", ClaimKind.DAMAGE),
            ("soleil", ClaimKind.THEFT),
            *(("lune", kind) for kind in (ClaimKind.THEFT, ClaimKind.DAMAGE, ClaimKind.THEFT)),
        ]:
            await claims.report_claim(
                world.db,
                claims.ReportClaim(
                    reporter_id=people["Claude"],
                    school_id=world.ids[school],
                    kind=kind,
                    discovered_at=at,
                    description="Fenêtre forcée",
                    items=(claims.ItemRequest(description="Tablette sans étiquette"),),
                ),
                world.clock.now(),
            )
        hold = await holds.place_hold(
            world.db, people["Sacha"], world.ids["lune"], reason="Vols", now=world.clock.now()
        )
        assert (world.ids["soleil"], hold.id) == (1, 1)
        _PREPARED_FILES.update(world.api._files)


def _follow_ups(world: World) -> list[ConversationHandler[Any]]:
    return [
        h
        for hs in world.app.handlers.values()
        for h in hs
        if isinstance(h, ConversationHandler) and h.name in FOLLOW_UPS
    ]


def _every_state(world: World) -> set[tuple[str, object]]:
    return {
        (str(h.name), state)
        for h in _follow_ups(world)
        for state in h.states
        if state != ConversationHandler.TIMEOUT
    }


async def _play(
    url: str,
    plan: Plan,
    seen: set[tuple[str, object]],
    every: dict[str, set[tuple[str, object]]],
) -> None:
    async with a_world(url, fresh=False) as world:
        api = world.api
        api._files.update(_PREPARED_FILES)
        api.user(STAFF_ID - 2, "Zoé")  # the reporter and the commune's agent are told too
        api.user(STAFF_ID - 1, "Claude")
        staff = api.user(STAFF_ID, "Sacha")
        await api.send_text(staff, "/aide")
        chat = (staff.id, staff.id)
        shown: list[tuple[int, str]] = []  # every button the staff member was shown
        start, guided, moves = plan
        states_of = every.setdefault("all", _every_state(world))

        for kind, arg in [("start", start), *(("good", i) for i in guided), *moves]:
            if kind == "good":
                at = next(
                    (
                        h._conversations[chat]
                        for h in _follow_ups(world)
                        if chat in h._conversations
                    ),
                    None,
                )
                if at is None:
                    kind, arg = "start", STARTS[arg % len(STARTS)]
                else:
                    kind, arg = GOOD[at][arg % len(GOOD[at])]
            for message in api.messages(staff.id):
                for row in message.buttons:
                    for _, data in row:
                        if data and (message.message_id, data) not in shown:
                            shown.append((message.message_id, data))
            before = len(api.messages(staff.id))
            last = api.last(staff.id)
            update = None
            if kind == "tap":
                flat = [d for row in last.buttons for _, d in row if d]
                if not flat:
                    continue
                update = await api.tap(staff, last, arg % len(flat))
            elif kind == "text":
                await api.send_text(staff, arg)
            elif kind == "photo":
                await api.send_photo(staff, caption=None)
            elif kind == "cancel":
                await api.send_text(staff, "/annuler")
            elif kind == "start":
                update = await api.forge_callback(staff, last.message_id, arg)
            elif shown:  # a button of an older message, as it was when sent
                message_id, data = shown[arg % len(shown)]
                update = await api.forge_callback(staff, message_id, data)
            else:
                continue

            if update is not None:
                assert api.callback_answer(update) is not None, (kind, arg)
            else:
                assert len(api.messages(staff.id)) > before, (kind, arg)
            api.assert_no_refusals()
            assert not any(INTERNAL_ERROR in text for text in world.texts(staff)), (kind, arg)
            states = [
                (str(h.name), h._conversations[chat])
                for h in _follow_ups(world)
                if chat in h._conversations
            ]
            assert len(states) <= 1, states
            for step in states:
                assert step in states_of, step
                seen.add(step)


def test_random_play_of_the_follow_up_dialogues(sqlite_template: Path, tmp_path: Path) -> None:
    seen: set[tuple[str, object]] = set()
    every: dict[str, set[tuple[str, object]]] = {}

    @settings(
        **fuzz_budget(80),  # type: ignore[arg-type]
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(plan=PLANS)
    # The deepest paths, played every time whatever the draw: an installed replacement
    # (seven steps to its confirmation), a payment, a hold placed and one lifted.
    @example(plan=("clm:repl:1", [0] * 7, []))
    @example(plan=("clm:pay:1", [0] * 3, []))
    @example(plan=("hold:place:1", [0] * 2, []))
    @example(plan=("hold:lift:1", [0] * 2, []))
    def play(plan: Plan) -> None:
        path = tmp_path / "fuzz.sqlite3"
        shutil.copyfile(prepared, path)
        asyncio.run(_play(f"sqlite+aiosqlite:///{path}", plan, seen, every))

    # Each start once with fitting answers all the way (so that every step is reached
    # whatever the random draw), before the random plays.
    for start in reversed(STARTS):
        play = example(plan=(start, [0] * 6, []))(play)

    prepared = tmp_path / "pledged.sqlite3"
    shutil.copyfile(sqlite_template, prepared)
    asyncio.run(_prepare(f"sqlite+aiosqlite:///{prepared}"))

    play()
    assert every["all"] - seen == set()
