"""Random play of the rounds' dialogues: /tournees (the list, the proposal, another day),
a round's actions (everything collected, some missing with a note, a repair's outcome,
the receipt, another day, calling it off) and a school's request for another date.
Whatever a person taps or types, in whatever order, the bot answers, never fails, never
sends what Telegram would refuse, keeps a person in one dialogue at a time, and stays in a
state the dialogue has; a person who may not start a dialogue is refused with no dialogue
left open. The run is derandomised and must reach every state of these dialogues.

Each example is a fresh bot on a copy of a prepared database: at École du Soleil a
flagging planned into a collection round (round 1, stop 1: a broken laptop to recycle and
an unused tablet), one planned into a repair visit (round 2: a broken projector), and at
École des Forges one still to plan. SQLite only, as the other fuzzes.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import shutil
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from telegram import Update
from telegram.ext import ConversationHandler

from bot.domain.collections import Condition, Decision
from bot.domain.roles import Role
from bot.services import collections, rounds
from handlers.telegram.offline import SimUser
from handlers.telegram.rounds import ACT, OTHER, PLAN, ROUND_DIALOGUES
from storage.models import Equipment, Person
from tests.conversations.conftest import World, a_world
from tests.helpers import fuzz_budget

PEOPLE = {
    "teacher": (1001, "Zoé"),
    "director": (1002, "Dora"),
    "agent": (1003, "Claude"),
    "staff": (1004, "Sacha"),
    "stranger": (1005, "Inconnu"),
}
# Collections (ticket ids) and items, as _prepare makes them.
SOLEIL, REPAIR, FORGES = 1, 2, 3
LAPTOP, TABLET, PROJECTOR = 1, 2, 3

Start = tuple[str, str, str, str, bool]
STARTS: list[Start] = [
    ("staff", "text", "/tournees", PLAN, True),
    ("staff", "forge", f"rnd:miss:1:{SOLEIL}", ACT, True),
    ("staff", "forge", "rnd:move:1", ACT, True),
    ("teacher", "forge", "rnd:other:1", OTHER, True),
    ("staff", "forge", f"rnd:fix:{PROJECTOR}:ok", ACT, True),
    ("staff", "forge", f"rnd:all:1:{SOLEIL}", ACT, True),
    ("staff", "forge", "rnd:cancel:2", ACT, True),
    ("director", "forge", "rnd:other:1", OTHER, True),
    ("staff", "text", "/rounds", PLAN, True),
    ("staff", "forge", f"rnd:fix:{PROJECTOR}:ko", ACT, True),
    ("staff", "forge", "rnd:rcpt:1", ACT, True),  # nothing collected yet: refused in words
    ("teacher", "text", "/tournees", PLAN, False),
    ("director", "forge", "rnd:move:1", ACT, False),
    ("agent", "forge", "rnd:other:1", OTHER, False),
    ("stranger", "text", "/tournees", PLAN, False),
    ("staff", "forge", "rnd:other:1", OTHER, False),  # staff are not the school
]
REFUSED = {i for i, start in enumerate(STARTS) if not start[4]}
TEXTS = [
    "\u200b",
    ".",
    "-",
    "abc",
    "<b>&",
    "🙂📷🔥",
    "é" * 400,
    "x" * 4096,
    "DEC-2026-118",
    "demain",
    "11/03/2026",
    "14/03/2026",  # a Saturday
    "06/04/2026",  # Easter Monday
    "07/04/2026",
    "15/04/2026",
    "31/02/2026",
    "01/01/1990",
    "/aide",
    "/inconnue",
]
Move = tuple[str, Any]
GOOD: dict[tuple[str, object], list[Move]] = {
    (PLAN, "rnd_pick"): [
        ("press", "rnd:pick:"),
        ("press", "rnd:propose"),
        ("press", "rnd:kind:"),
    ],
    (PLAN, "rnd_confirm"): [("press", "rnd:day"), ("press", "rnd:ok:"), ("press", "rnd:no:")],
    (PLAN, "rnd_day"): [("text", "15/04/2026"), ("text", "11/03/2026")],
    (ACT, "rnd_missing"): [("press", "rnd:mi:"), ("press", "rnd:mi:done")],
    (ACT, "rnd_text"): [
        ("text", "Prêtée à la classe de CM2"),
        ("text", "15/04/2026"),
        ("text", "-"),
    ],
    (ACT, "rnd_act_confirm"): [("press", "rnd:aok:"), ("press", "rnd:ano:")],
    (OTHER, "rnd_other_note"): [("text", "Fermés ce jour-là, le 9 irait")],
}
FORWARD: dict[tuple[str, object], list[Move]] = {
    **GOOD,
    # Tick a school (or an item) when none is ticked, then move on.
    (PLAN, "rnd_pick"): [("then", ("☑️", "rnd:pick:", "rnd:propose"))],
    (PLAN, "rnd_confirm"): [("press", "rnd:day"), ("press", "rnd:ok:")],
    (ACT, "rnd_missing"): [("then", ("❓", "rnd:mi:1", "rnd:mi:done"))],
    (ACT, "rnd_act_confirm"): [("press", "rnd:aok:")],
}
MOVES = st.one_of(
    st.tuples(st.just("good"), st.integers(0, 5)),
    st.tuples(st.just("good"), st.integers(0, 5)),
    st.tuples(st.just("tap"), st.integers(0, 9)),
    st.tuples(st.just("text"), st.sampled_from(TEXTS)),
    st.tuples(st.just("photo"), st.none()),
    st.tuples(st.just("cancel"), st.none()),
    st.tuples(st.just("restart"), st.integers(0, 5)),
    st.tuples(st.just("stale"), st.integers(0, 10_000)),
)
PLANS = st.tuples(
    st.integers(0, len(STARTS) - 1),
    st.lists(st.integers(0, 5), max_size=6),
    st.lists(MOVES, max_size=8),
)
Plan = tuple[int, list[int], list[Move]]
NOT_MODIFIED = "message is not modified"
INTERNAL_ERROR = "Désolé, une erreur s'est produite de mon côté."


async def _prepare(url: str) -> None:
    async with a_world(url) as world:
        users = {}
        for who in ("teacher", "director", "agent", "staff"):
            role = {
                "teacher": Role.TEACHER,
                "director": Role.DIRECTOR,
                "agent": Role.COMMUNE,
                "staff": Role.STAFF,
            }[who]
            users[who] = await world.registered(PEOPLE[who][1], role)
        assert {w: u.id for w, u in users.items()} == {w: PEOPLE[w][0] for w in users}
        now = world.clock.now()
        async with world.db.uow() as uow:
            people = {p.full_name: p.id for p in await uow.session.scalars(select(Person))}
            for tag, school in (
                ("SEM-0901", "soleil"),
                ("SEM-0902", "soleil"),
                ("SEM-0903", "soleil"),
                ("SEM-0904", "forges"),
            ):
                uow.session.add(
                    Equipment(
                        asset_tag=tag,
                        school_id=world.ids[school],
                        type="laptop",
                        model="ThinkPad",
                        owner="sem",
                        state="in_service",
                        created_at=now,
                        updated_at=now,
                    )
                )
            await uow.commit()
        db, staff = world.db, people["Sacha"]

        async def flag(who: str, school: str, *items: tuple[str, Condition]) -> int:
            flagged = await collections.flag_equipment(
                db,
                collections.FlagEquipment(
                    reporter_id=people[who],
                    school_id=world.ids[school],
                    items=tuple(collections.FlagItem(t, c) for t, c in items),
                    place="Bureau de la direction",
                ),
                now,
            )
            return flagged.view.id

        soleil = await flag(
            "Zoé", "soleil", ("SEM-0901", Condition.BROKEN), ("SEM-0902", Condition.UNUSED)
        )
        repair = await flag("Zoé", "soleil", ("SEM-0903", Condition.BROKEN))
        forges = await flag("Sacha", "forges", ("SEM-0904", Condition.UNUSED))
        assert (soleil, repair, forges) == (SOLEIL, REPAIR, FORGES)
        await collections.decide(db, staff, LAPTOP, Decision.RECYCLE, now)
        await collections.decide(db, staff, PROJECTOR, Decision.REPAIR, now)
        first = await rounds.plan_round(db, staff, [SOLEIL], "collection", date(2026, 4, 7), now)
        second = await rounds.plan_round(db, staff, [REPAIR], "repair", date(2026, 4, 8), now)
        assert (first.round.id, second.round.id) == (1, 2)
        assert first.round.stops[0].id == 1


def _dialogues(world: World) -> list[ConversationHandler[Any]]:
    return [
        h
        for hs in world.app.handlers.values()
        for h in hs
        if isinstance(h, ConversationHandler) and h.name in ROUND_DIALOGUES
    ]


def _states(world: World, user_id: int) -> list[tuple[str, object]]:
    return [
        (str(h.name), state)
        for h in _dialogues(world)
        for key, state in h._conversations.items()
        if key and key[-1] == user_id
    ]


def _every_state(world: World) -> set[tuple[str, object]]:
    return {
        (str(h.name), state)
        for h in _dialogues(world)
        for state in h.states
        if state != ConversationHandler.TIMEOUT
    }


def _forward(candidates: list[Move], last: Any, n: int) -> Move:
    buttons = [data for row in last.buttons for _, data in row if data]
    labels = " ".join([last.text or "", *(t for row in last.buttons for t, _ in row)])
    for kind, arg in candidates:
        if kind == "then":
            mark, first, then = arg
            wanted = then if mark in labels else first
            return ("press", wanted)
        if kind == "press":
            found = [d for d in buttons if d.startswith(arg)]
            if found:
                return ("press", found[n % len(found)])
            continue
        return (kind, arg)
    return candidates[-1]


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def _play(url: str, plan: Plan, seen: set[tuple[str, object]], refused: set[int]) -> None:
    errors = _Errors()
    logger = logging.getLogger("handlers.telegram.errors")
    logger.addHandler(errors)
    try:
        async with a_world(url, fresh=False) as world:
            await _play_in(world, plan, seen, refused, errors)
    finally:
        logger.removeHandler(errors)


async def _play_in(
    world: World,
    plan: Plan,
    seen: set[tuple[str, object]],
    refused: set[int],
    errors: _Errors,
) -> None:
    api = world.api
    users = {who: api.user(uid, name) for who, (uid, name) in PEOPLE.items()}
    start_index, guided, moves = plan
    who = STARTS[start_index][0]
    person: SimUser = users[who]
    own = [i for i, start in enumerate(STARTS) if start[0] == who]
    await api.send_text(person, "/aide")
    shown: list[tuple[int, str]] = []
    every = _every_state(world)
    steps: list[Move] = [("start", start_index), *(("good", i) for i in guided), *moves]
    for kind, arg in steps:
        if kind == "restart":
            kind, arg = "start", own[arg % len(own)]
        if kind == "good":
            at = _states(world, person.id)
            if not at:
                kind, arg = "start", own[arg % len(own)]
            elif arg < 3:
                kind, arg = _forward(FORWARD[at[0]], api.last(person.id), arg)
            else:
                kind, arg = GOOD[at[0]][arg % len(GOOD[at[0]])]
        for message in api.messages(person.id):
            for row in message.buttons:
                for _, data in row:
                    if data and (message.message_id, data) not in shown:
                        shown.append((message.message_id, data))
        before = len(api.messages(person.id))
        last = api.last(person.id)
        flat = [d for row in last.buttons for _, d in row if d]
        update: Update | None = None
        starting: Start | None = None
        if kind == "start":
            starting = STARTS[arg]
            _, how, what, _, _ = starting
            if how == "text":
                await api.send_text(person, what)
            else:
                update = await api.forge_callback(person, last.message_id, what)
        elif kind == "tap":
            if not flat:
                continue
            update = await api.tap(person, last, arg % len(flat))
        elif kind == "press":
            matching = [i for i, d in enumerate(flat) if d.startswith(arg)]
            if not matching:
                continue
            update = await api.tap(person, last, matching[0])
        elif kind == "text":
            await api.send_text(person, arg)
        elif kind == "photo":
            await api.send_photo(person, caption=None)
        elif kind == "cancel":
            await api.send_text(person, "/annuler")
        elif shown:
            message_id, data = shown[arg % len(shown)]
            update = await api.forge_callback(person, message_id, data)
        else:
            continue
        step = (who, kind, arg)
        if update is not None:
            assert api.callback_answer(update) is not None, step
        else:
            assert len(api.messages(person.id)) > before, step
        assert errors.records == [], (step, [r.getMessage() for r in errors.records])
        api.refused[:] = [r for r in api.refused if NOT_MODIFIED not in r.description]
        api.assert_no_refusals()
        for other in users.values():
            assert not any(INTERNAL_ERROR in text for text in world.texts(other)), step
        states = _states(world, person.id)
        assert len(states) <= 1, (step, states)
        for state in states:
            assert state in every, (step, state)
            seen.add(state)
        if starting is not None and not starting[4]:
            assert starting[3] not in {name for name, _ in states}, (step, states)
            refused.add(arg)


def test_random_play_of_the_rounds_dialogues(sqlite_template: Path, tmp_path: Path) -> None:
    seen: set[tuple[str, object]] = set()
    refused: set[int] = set()
    numbers = itertools.count()

    @settings(
        **fuzz_budget(40),  # type: ignore[arg-type]
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(plan=PLANS)
    def play(plan: Plan) -> None:
        path = tmp_path / f"fuzz-{next(numbers)}.sqlite3"
        shutil.copyfile(prepared, path)
        try:
            asyncio.run(_play(f"sqlite+aiosqlite:///{path}", plan, seen, refused))
        finally:
            for leftover in tmp_path.glob(f"{path.name}*"):
                leftover.unlink()

    # Each start once with fitting answers all the way, before the random plays.
    for index in reversed(range(len(STARTS))):
        play = example(plan=(index, [0] * 6, []))(play)

    prepared = tmp_path / "prepared.sqlite3"
    shutil.copyfile(sqlite_template, prepared)
    asyncio.run(_prepare(f"sqlite+aiosqlite:///{prepared}"))

    play()
    assert set(GOOD) - seen == set()
    assert REFUSED - refused == set()


async def test_every_state_of_the_rounds_dialogues_is_fuzzed(
    sqlite_template: Path, tmp_path: Path
) -> None:
    """A new step of these dialogues must get its fitting answers here."""
    path = tmp_path / "dialogues.sqlite3"
    shutil.copyfile(sqlite_template, path)
    async with a_world(f"sqlite+aiosqlite:///{path}", fresh=False) as world:
        assert _every_state(world) == set(GOOD)
