"""The authorization matrix: role × command × scope, played through the real Application.

Every command the bot registers must be in the menus' table (``handlers.telegram.menus``),
and so in this matrix: a new command cannot slip in unchecked. For each role, a command
the role may use answers; one it may not use is refused with the same words every time;
a stranger only learns how to be invited. Then the scope: a ticket is shown to the people
who follow it and reads as not found to everyone else, and a forged button of another
role or of another scope changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from telegram.ext import CommandHandler, ConversationHandler

from bot.domain.claims import ClaimKind
from bot.domain.collections import Condition
from bot.domain.dates import PARIS, local_date
from bot.domain.notices import FibreNews, WorksKind
from bot.domain.roles import Role, can
from bot.services import claims, collections, equipment_moves, notices
from handlers.telegram.menus import COMMANDS, UNREGISTERED, Command
from handlers.telegram.offline import SimUser
from storage.models import (
    CollectionItem,
    Equipment,
    Notice,
    Person,
    Reassignment,
    School,
    Ticket,
)
from tests.conversations.conftest import World

ROLES: tuple[Role | None, ...] = (None, Role.TEACHER, Role.DIRECTOR, Role.COMMUNE, Role.STAFF)
WORDS_FOR = {None: "stranger", **{role: role.value for role in Role}}


def _registered_commands(world: World) -> set[str]:
    names: set[str] = set()

    def walk(handler: object) -> None:
        if isinstance(handler, CommandHandler):
            names.update(handler.commands)
        elif isinstance(handler, ConversationHandler):
            for inner in (
                *handler.entry_points,
                *(h for hs in handler.states.values() for h in hs),
                *handler.fallbacks,
            ):
                walk(inner)

    for group in world.app.handlers.values():
        for handler in group:
            walk(handler)
    return names


def test_every_registered_command_is_in_the_matrix(world: World) -> None:
    known = {"start"} | {name for c in COMMANDS for name in (c.name, *c.aliases)}
    assert _registered_commands(world) <= known, "add the new command to menus.COMMANDS"
    assert {c.name for c in COMMANDS} <= _registered_commands(world) | {"annuler"}


def _allowed(role: Role | None, command: Command) -> bool:
    if role is None:
        return command.name in UNREGISTERED
    return command.action is None or can(role, command.action)


async def _person(world: World, role: Role | None) -> SimUser:
    if role is None:
        return world.user("Eve")
    return await world.registered(WORDS_FOR[role].capitalize(), role)


@pytest.mark.parametrize("role", ROLES, ids=[WORDS_FOR[r] for r in ROLES])
async def test_each_role_gets_exactly_the_commands_it_may_use(
    world: World, role: Role | None
) -> None:
    i18n = world.app.bot_data["services"].i18n
    forbidden = i18n.t("fr", "common.error.forbidden")
    greeting = "Bonjour ! Je suis le bot du Plan numérique"  # the stranger's, visible text
    user = await _person(world, role)
    for command in COMMANDS:
        for spelling in (command.name, *command.aliases):
            world.api.clear()
            await world.api.send_text(user, f"/{spelling}")
            world.api.assert_no_refusals()
            answer = world.last_text(user)
            refused = answer == forbidden or answer.startswith(greeting)
            expected = _allowed(role, command)
            assert refused is not expected, (
                f"/{spelling} for {WORDS_FOR[role]}: {'allowed' if expected else 'refused'}"
                f" expected, got {answer[:80]!r}"
            )
            await world.api.send_text(user, "/annuler")


async def _claim_at_soleil(world: World, reporter: str) -> tuple[int, str]:
    async with world.db.uow() as uow:
        person_id = await uow.session.scalar(select(Person.id).where(Person.full_name == reporter))
    assert person_id is not None
    reported = await claims.report_claim(
        world.db,
        claims.ReportClaim(
            reporter_id=person_id,
            school_id=world.ids["soleil"],
            kind=ClaimKind.THEFT,
            discovered_at=world.clock.now() - timedelta(hours=2),
            description="Vitre brisée",
            items=(claims.ItemRequest(asset_tag="SEM-0001"),),
        ),
        world.clock.now(),
    )
    return reported.claim.id, reported.claim.number


async def test_a_ticket_is_seen_by_those_who_follow_it_and_not_found_by_anyone_else(
    world: World,
) -> None:
    followers = {
        "Zoé": await world.registered("Zoé", Role.TEACHER),  # the reporter
        "Dora": await world.registered("Dora", Role.DIRECTOR),  # the school's head
        "Claude": await world.registered("Claude", Role.COMMUNE),  # the commune's agent
        "Sacha": await world.registered("Sacha", Role.STAFF),
    }
    outsiders = {
        "Yann": await world.registered("Yann", Role.TEACHER),  # same school, not his report
        "Luc": await world.registered("Luc", Role.DIRECTOR, school="0420002Z"),  # other school
        "Dana": await world.registered("Dana", Role.COMMUNE, commune="42095"),  # other commune
    }
    _, number = await _claim_at_soleil(world, "Zoé")
    i18n = world.app.bot_data["services"].i18n
    not_found = i18n.t("fr", "claim.error.not_found")
    for command in ("dossier", "sinistre"):
        for name, user in followers.items():
            world.api.clear()
            await world.api.send_text(user, f"/{command} {number}")
            assert number in world.last_text(user) and world.last_text(user) != not_found, name
        for name, user in outsiders.items():
            world.api.clear()
            await world.api.send_text(user, f"/{command} {number}")
            assert world.last_text(user) == not_found, name
            # an unknown number reads exactly the same: numbers cannot be probed
            await world.api.send_text(user, f"/{command} S-2026-0999")
            assert world.last_text(user) == not_found, name


async def _answer_to_forged(world: World, user: SimUser, data: str) -> str:
    """Tap a button carrying ``data`` under a message the bot sent to ``user``."""
    world.api.clear()
    await world.api.send_text(user, "/aide")
    message = world.api.last(user.id)
    world.api.clear()
    await world.api.forge_callback(user, message.message_id, data)
    world.api.assert_no_refusals()
    # What the bot said since the tap: an alert on the button, or a message.
    said = [
        str(s.params.get("text", ""))
        for s in world.api.sent
        if s.method in ("answerCallbackQuery", "sendMessage") and s.params.get("text")
    ]
    return "\n".join(said)


async def test_forged_buttons_of_another_role_or_scope_change_nothing(world: World) -> None:
    zoe = await world.registered("Zoé", Role.TEACHER)
    claude = await world.registered("Claude", Role.COMMUNE)
    dana = await world.registered("Dana", Role.COMMUNE, commune="42095")
    claim_id, _ = await _claim_at_soleil(world, "Zoé")
    i18n = world.app.bot_data["services"].i18n
    forbidden = i18n.t("fr", "common.error.forbidden")
    not_found = i18n.t("fr", "claim.error.not_found")

    async def state() -> tuple[str, int]:
        async with world.db.uow() as uow:
            ticket = await uow.session.get(Ticket, claim_id)
            assert ticket is not None
            assigned = await uow.session.scalar(
                select(func.count()).select_from(Ticket).where(Ticket.assignee_id.is_not(None))
            )
            return ticket.state, int(assigned or 0)

    before = await state()
    # Staff's actions, from a teacher and from the claim's own commune agent.
    for user in (zoe, claude):
        for data in (
            f"tk:take:{claim_id}",
            f"tk:reopen:{claim_id}",
            f"clm:close:{claim_id}",
            f"clm:recok:{claim_id}:1",  # confirm a recovery the body reported
            f"clm:recdis:{claim_id}:1",  # or dismiss it
            f"clm:recdec:{claim_id}:1:agree",  # SEM's « avis conforme »
            f"clm:pconf:{claim_id}:1",  # confirm or reject a payment the body recorded
            f"clm:prej:{claim_id}:1",
        ):
            answer = await _answer_to_forged(world, user, data)
            assert forbidden in answer or not_found in answer, (user.first_name, data, answer)
    # The duties, and the body's other actions, on a claim of another commune's school.
    for data in (
        f"clm:duty:{claim_id}:complaint",
        f"clm:recov:{claim_id}",
        f"clm:indem:{claim_id}",
        f"clm:bpay:{claim_id}",
        f"clm:recreq:{claim_id}:1",
    ):
        answer = await _answer_to_forged(world, dana, data)
        assert not_found in answer or forbidden in answer, (data, answer)
    # A teacher records no indemnity and no payment.
    for data in (f"clm:indem:{claim_id}", f"clm:bpay:{claim_id}"):
        answer = await _answer_to_forged(world, zoe, data)
        assert forbidden in answer, (data, answer)
    # A claim's attachments: its body's agents and staff, nobody else.
    answer = await _answer_to_forged(world, zoe, f"tk:files:{claim_id}")
    assert forbidden in answer, answer
    answer = await _answer_to_forged(world, dana, f"tk:files:{claim_id}")
    assert i18n.t("fr", "ticket.error.not_found") in answer, answer
    # Rounds (staff only): a teacher's and a commune agent's forged buttons are refused.
    for user in (zoe, claude):
        for data in ("rnd:list", "rnd:view:1", "rnd:move:1", "rnd:cancel:1", "rnd:fix:1:ok"):
            answer = await _answer_to_forged(world, user, data)
            assert forbidden in answer, (user.first_name, data, answer)
    # A school's request for another date: only that school's reporter or head.
    answer = await _answer_to_forged(world, dana, "rnd:other:1")
    assert i18n.t("fr", "round.error.stop_not_found") in answer, answer
    # Ids that are not numbers, or out of range, are not trusted either.
    for data in ("clm:duty:abc:complaint", f"clm:pay:{10**12}", "tk:view:-1"):
        answer = await _answer_to_forged(world, claude, data)
        assert answer == i18n.t("fr", "common.stale_button"), data
    assert await state() == before


async def test_forged_stock_buttons_of_another_role_change_nothing(world: World) -> None:
    """SEM's stock (art. 1): only staff pick, page, send and cancel; only the receiving
    school's head (or staff) confirms reception; any other id is not found or stale."""
    async with world.db.uow() as uow:
        item = await uow.directory.equipment_by_tag("SEM-0004")
        assert item is not None
        for step in ("unused", "awaiting_collection", "collected", "in_stock"):
            await equipment_moves.move(uow, item, step, actor=None, now=world.clock.now())
        await uow.commit()
        item_id = item.id
    staff = await world.registered("Sacha", Role.STAFF)
    zoe = await world.registered("Zoé", Role.TEACHER)
    claude = await world.registered("Claude", Role.COMMUNE)
    dora = await world.registered("Dora", Role.DIRECTOR)  # École du Soleil, not the receiver
    await world.registered("Luc", Role.DIRECTOR, school="0420002Z")
    await world.api.send_text(staff, "/reattribuer SEM-0004 0420002Z")
    await world.api.tap(staff, world.api.last(staff.id), 0)
    async with world.db.uow() as uow:
        sent = await uow.session.scalar(select(Reassignment))
    assert sent is not None
    i18n = world.app.bot_data["services"].i18n
    forbidden = i18n.t("fr", "common.error.forbidden")
    for user in (zoe, claude, dora):
        for data in (
            f"stk:pick:{item_id}",
            "stk:page:0",
            f"stk:undo:{sent.id}",
            f"stk:undook:{sent.id}",
            f"stk:keep:{sent.id}",
        ):
            answer = await _answer_to_forged(world, user, data)
            assert forbidden in answer, (user.first_name, data, answer)
    for user in (zoe, claude):  # no reception for a teacher nor a body's agent
        assert forbidden in await _answer_to_forged(world, user, f"stk:recv:{sent.id}")
    answer = await _answer_to_forged(world, dora, f"stk:recv:{sent.id}")
    assert i18n.t("fr", "stock.error.not_found") in answer, answer
    for data in ("stk:recv:x", "stk:pick:12345678901", "stk:to:1", "stk:ok:zz"):
        answer = await _answer_to_forged(world, claude, data)
        assert answer == i18n.t("fr", "common.stale_button"), data
    async with world.db.uow() as uow:
        again = await uow.session.get(Reassignment, sent.id)
        equipment = await uow.session.get(Equipment, item_id)
    assert again is not None and again.state == "sent"
    assert equipment is not None and equipment.state == "reassigned"


async def _flagging_at_soleil(world: World, reporter: str) -> tuple[int, int]:
    """A flagging at École du Soleil: SEM's broken tablet and the commune's broken desktop
    (its ticket id, and the tablet's item id)."""
    async with world.db.uow() as uow:
        person_id = await uow.session.scalar(select(Person.id).where(Person.full_name == reporter))
        uow.session.add(
            Equipment(
                asset_tag="COM-0001",
                school_id=world.ids["soleil"],
                type="desktop",
                model="HP ProDesk",
                owner="commune",
                state="in_service",
                created_at=world.clock.now(),
                updated_at=world.clock.now(),
            )
        )
        await uow.commit()
    assert person_id is not None
    flagged = await collections.flag_equipment(
        world.db,
        collections.FlagEquipment(
            reporter_id=person_id,
            school_id=world.ids["soleil"],
            items=(
                collections.FlagItem("SEM-0001", Condition.BROKEN),
                collections.FlagItem("COM-0001", Condition.BROKEN),
            ),
            place="Salle 12",
        ),
        world.clock.now(),
    )
    return flagged.view.id, flagged.view.items[0].id


async def test_a_flaggings_buttons_answer_only_the_roles_and_scope_they_are_for(
    world: World,
) -> None:
    """Staff's repair-or-recycle and the body's removal, tapped by everyone else; the card
    shown to those who follow the flagging, not found for the others."""
    zoe = await world.registered("Zoé", Role.TEACHER)
    dora = await world.registered("Dora", Role.DIRECTOR)
    claude = await world.registered("Claude", Role.COMMUNE)
    dana = await world.registered("Dana", Role.COMMUNE, commune="42095")
    luc = await world.registered("Luc", Role.DIRECTOR, school="0420002Z")
    collection_id, item_id = await _flagging_at_soleil(world, "Zoé")
    i18n = world.app.bot_data["services"].i18n
    forbidden = i18n.t("fr", "common.error.forbidden")
    not_found = i18n.t("fr", "collection.error.not_found")

    async def decisions() -> list[str | None]:
        async with world.db.uow() as uow:
            return list((await uow.session.scalars(select(CollectionItem.decision))).all())

    for user in (zoe, dora, claude, dana, luc):
        answer = await _answer_to_forged(world, user, f"col:dec:{item_id}:recycle")
        assert answer == forbidden, (user.first_name, answer)
    for user in (zoe, dora, luc):
        answer = await _answer_to_forged(world, user, f"col:rm:{collection_id}")
        assert answer == forbidden, (user.first_name, answer)
    answer = await _answer_to_forged(world, dana, f"col:rm:{collection_id}")
    assert answer == not_found, answer
    for user in (dana, luc):
        answer = await _answer_to_forged(world, user, f"col:view:{collection_id}")
        assert answer == not_found, (user.first_name, answer)
        # Withdrawing it: those who do not follow it do not find it.
        answer = await _answer_to_forged(world, user, f"col:wd:{collection_id}")
        assert answer == not_found, (user.first_name, answer)
    for user in (zoe, dora, claude):
        answer = await _answer_to_forged(world, user, f"col:view:{collection_id}")
        assert answer.startswith("📦 <b>C-2026-0001</b>"), (user.first_name, answer)
    for data in ("col:dec:abc:repair", "col:dec:1:burn", f"col:rm:{10**12}", "col:view:-1"):
        answer = await _answer_to_forged(world, claude, data)
        assert answer == i18n.t("fr", "common.stale_button"), data
    assert await decisions() == [None, None]


async def test_forged_works_and_fibre_buttons_change_nothing(world: World) -> None:
    """/travaux and /fibre (art. 2): a school button of another body's school is refused
    at the school step; outside the dialogue, or at another step, any of their buttons is
    stale; a teacher has neither dialogue. No notice is written."""
    zoe = await world.registered("Zoé", Role.TEACHER)
    claude = await world.registered("Claude", Role.COMMUNE)  # Saint-Étienne: two schools
    luc = await world.registered("Luc", Role.DIRECTOR, school="0420002Z")
    i18n = world.app.bot_data["services"].i18n
    stale = i18n.t("fr", "common.stale_button")
    out_of_scope = i18n.t("fr", "notice.error.school_out_of_scope")
    async with world.db.uow() as uow:
        forges = await uow.session.scalar(select(School.id).where(School.uai == "0420003A"))
    buttons = (
        f"wrk:school:{forges}",
        "wrk:kind:move",
        "wrk:open",
        "wrk:whole",
        "wrk:files:done",
        "wrk:send:0123abcd",
        "wrk:fix:rooms",
        f"fib:school:{forges}",
        "fib:news:eligible",
        "fib:skip",
        "fib:send:0123abcd",
    )
    for user in (zoe, claude, luc):
        for data in buttons:
            answer = await _answer_to_forged(world, user, data)
            assert answer == stale, (user.first_name, data, answer)
    for command, prefix in (("/travaux", "wrk"), ("/fibre", "fib")):
        await world.api.send_text(zoe, command)
        assert world.last_text(zoe) == i18n.t("fr", "common.error.forbidden")
        await world.api.send_text(claude, command)  # the school step: Soleil or Lune
        world.api.clear()
        asked = world.api.last(claude.id)
        forged = await world.api.forge_callback(
            claude, asked.message_id, f"{prefix}:school:{forges}"
        )
        assert world.api.callback_answer(forged) == {
            "text": out_of_scope,
            "show_alert": True,
        }
        await world.api.send_text(luc, command)  # one school: straight to the next step
        world.api.clear()
        await world.api.forge_callback(
            luc, world.api.last(luc.id).message_id, f"{prefix}:send:0123abcd"
        )
        assert stale in [str(s.params.get("text")) for s in world.api.sent], command
        await world.api.send_text(luc, "/annuler")
    async with world.db.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Notice)) == 0


async def test_class_change_and_training_buttons_answer_only_those_they_are_for(
    world: World,
) -> None:
    """/classe's school and « Changement de poste » buttons, forged by a body's agent for
    another body's school or for a head's choice; /formations' « Fait » and « Export »
    forged by everyone but staff: refused in words, nothing written."""
    from storage.models import Notice, TrainingNeed

    zoe = await world.registered("Zoé", Role.TEACHER)
    dora = await world.registered("Dora", Role.DIRECTOR)
    claude = await world.registered("Claude", Role.COMMUNE)
    dana = await world.registered("Dana", Role.COMMUNE, commune="42095")
    i18n = world.app.bot_data["services"].i18n
    forbidden = i18n.t("fr", "common.error.forbidden")
    for user in (zoe, dora, claude, dana):
        for data in ("trn:done:1", "trn:export"):
            answer = await _answer_to_forged(world, user, data)
            assert answer == forbidden, (user.first_name, data, answer)
    # Claude (Saint-Étienne) at the school step: Firminy's school is not his.
    await world.api.send_text(claude, "/classe")
    schools = world.api.last(claude.id)
    world.api.clear()
    await world.api.forge_callback(claude, schools.message_id, f"cls:school:{world.ids['forges']}")
    said = [str(s.params.get("text", "")) for s in world.api.sent if s.params.get("text")]
    assert said == [i18n.t("fr", "notice.error.school_out_of_scope")], said
    await world.api.send_text(claude, "/annuler")
    # Ids that are not numbers are not trusted either.
    for data in ("trn:done:abc", f"trn:done:{10**12}", "cls:school:x"):
        answer = await _answer_to_forged(world, claude, data)
        assert answer == i18n.t("fr", "common.stale_button"), data
    async with world.db.uow() as uow:
        assert (await uow.session.scalars(select(Notice))).all() == []
        assert (await uow.session.scalars(select(TrainingNeed))).all() == []


async def _notices_at_soleil(world: World) -> dict[str, int]:
    """Works (SEM's projector in the room), a move, fibre news and a network request at
    École du Soleil, told by its commune's agent (the last by staff): their ids."""
    async with world.db.uow() as uow:
        ids = {
            name: await uow.session.scalar(select(Person.id).where(Person.full_name == name))
            for name in ("Claude", "Sacha")
        }
        projector = await uow.directory.equipment_by_tag("SEM-0004")
        assert projector is not None
        projector.room = "Salle 2"
        await uow.commit()
    claude, sacha = ids["Claude"], ids["Sacha"]
    assert claude is not None and sacha is not None
    soleil, now = world.ids["soleil"], world.clock.now()
    start = local_date(now, PARIS) + timedelta(days=30)
    works = await notices.tell_works(
        world.db,
        notices.TellWorks(claude, soleil, WorksKind.RENOVATION, "Peinture", start, rooms="salle 2"),
        now,
    )
    move = await notices.tell_works(
        world.db,
        notices.TellWorks(
            claude, soleil, WorksKind.MOVE, "Déménagement", start, new_school_uai="0420003A"
        ),
        now,
    )
    fibre = await notices.tell_fibre(
        world.db, notices.TellFibre(claude, soleil, FibreNews.ELIGIBLE), now
    )
    network = await notices.ask_disconnection(world.db, sacha, "0420001Y", "Caméra", now)
    return {"works": works.id, "move": move.id, "fibre": fibre.id, "network": network.id}


async def test_a_notices_buttons_answer_only_the_roles_and_scope_they_are_for(
    world: World,
) -> None:
    """Staff's steps (taken into account, the move, the fibre, the collection), the
    school's and the body's (equipment back, unplugged), tapped by everyone else: nothing
    changes and each gets a word; the card reads as not found outside its followers."""
    zoe = await world.registered("Zoé", Role.TEACHER)
    dora = await world.registered("Dora", Role.DIRECTOR)
    claude = await world.registered("Claude", Role.COMMUNE)
    dana = await world.registered("Dana", Role.COMMUNE, commune="42095")
    luc = await world.registered("Luc", Role.DIRECTOR, school="0420002Z")
    await world.registered("Sacha", Role.STAFF)
    ids = await _notices_at_soleil(world)
    i18n = world.app.bot_data["services"].i18n
    forbidden = i18n.t("fr", "common.error.forbidden")
    not_found = i18n.t("fr", "notice.error.not_found")

    async def state() -> list[tuple[object, ...]]:
        async with world.db.uow() as uow:
            rows = (await uow.session.scalars(select(Notice).order_by(Notice.ticket_id))).all()
            found: list[tuple[object, ...]] = [
                (n.acknowledged_at, n.done_at, n.collection_id) for n in rows
            ]
            tickets = (await uow.session.scalars(select(Ticket).order_by(Ticket.id))).all()
            found += [(t.state, t.closed_at) for t in tickets]
            found += [
                (e.asset_tag, e.school_id, e.state)
                for e in (await uow.session.scalars(select(Equipment))).all()
            ]
            return found

    before = await state()
    staff_only = (
        f"ntc:ack:{ids['works']}",
        f"ntc:move:{ids['move']}",
        f"ntc:moveok:{ids['move']}",
        f"ntc:moveno:{ids['move']}",
        f"ntc:fibre:{ids['fibre']}",
        f"ntc:collect:{ids['works']}",
    )
    for user in (zoe, dora, claude, dana, luc):
        for data in staff_only:
            answer = await _answer_to_forged(world, user, data)
            assert answer == forbidden, (user.first_name, data, answer)
    # Equipment back in place: the school's head and the body, of this school only.
    assert await _answer_to_forged(world, zoe, f"ntc:back:{ids['works']}") == forbidden
    for user in (dana, luc):
        answer = await _answer_to_forged(world, user, f"ntc:back:{ids['works']}")
        assert answer == not_found, (user.first_name, answer)
    # Unplugged: the body's agents only, of this body only.
    for user in (zoe, dora, luc):
        answer = await _answer_to_forged(world, user, f"ntc:off:{ids['network']}")
        assert answer == forbidden, (user.first_name, answer)
    assert await _answer_to_forged(world, dana, f"ntc:off:{ids['network']}") == not_found
    # The card: its followers see it, the others read not found.
    for user in (zoe, dana, luc):
        for notice_id in ids.values():
            answer = await _answer_to_forged(world, user, f"ntc:view:{notice_id}")
            assert answer == not_found, (user.first_name, notice_id, answer)
    answer = await _answer_to_forged(world, dora, f"ntc:view:{ids['works']}")
    assert answer.startswith("🏗 <b>N-2026-0001</b>"), answer
    for data in ("ntc:view:abc", f"ntc:ack:{10**12}", "ntc:collect:-1", "ntc:off:"):
        answer = await _answer_to_forged(world, claude, data)
        assert answer == i18n.t("fr", "common.stale_button"), data
    assert await state() == before


async def test_forged_delivery_and_certificate_buttons_change_nothing(world: World) -> None:
    """/livraison and the certificates' decisions (art. 6) are staff's: a teacher's, a
    head's or a body agent's forged button is refused; an agent of another body does not
    find the certificate; outside their dialogues the delivery's buttons are stale."""
    from datetime import date

    from bot.services import certificates
    from bot.services.claims import FileRef
    from storage.models import InsuranceCertificate
    from tests.integration.test_call_delivery_service import selected_application

    await world.registered("Sacha", Role.STAFF)
    zoe = await world.registered("Zoé", Role.TEACHER)
    dora = await world.registered("Dora", Role.DIRECTOR)
    claude = await world.registered("Claude", Role.COMMUNE)
    dana = await world.registered("Dana", Role.COMMUNE, commune="42095")
    async with world.db.uow() as uow:
        ids = {p.full_name: p.id for p in (await uow.session.scalars(select(Person))).all()}
    services = world.app.bot_data["services"]
    application = await selected_application(world.db, ids["Sacha"], ids["Dora"], world.clock.now())
    sent = await certificates.send(
        world.db,
        services.i18n,
        services.settings,
        ids["Claude"],
        FileRef("document", "file-cert", "uniq-cert", "attestation.pdf", "application/pdf"),
        date(2026, 1, 1),
        date(2026, 12, 31),
        world.clock.now(),
    )
    cert = sent.view.id
    i18n = services.i18n
    forbidden = i18n.t("fr", "common.error.forbidden")
    stale = i18n.t("fr", "common.stale_button")
    for user in (zoe, dora, claude):
        for data in (f"cert:acc:{cert}", f"cert:acck:{cert}", f"cert:no:{cert}"):
            answer = await _answer_to_forged(world, user, data)
            assert answer == forbidden, (user.first_name, data, answer)
        for data in (f"amid:app:{application.id}", "amid:ok:0123abcd", "amid:fix", "amid:abort"):
            answer = await _answer_to_forged(world, user, data)
            assert answer == stale, (user.first_name, data, answer)
    for user in (zoe, dora):
        assert await _answer_to_forged(world, user, f"cert:file:{cert}") == forbidden
    for data in (f"cert:file:{cert}", f"cert:acc:{cert}"):
        answer = await _answer_to_forged(world, dana, data)
        assert answer in (i18n.t("fr", "cert.error.not_found"), forbidden), (data, answer)
    assert await _answer_to_forged(world, dana, f"cert:file:{cert}") == i18n.t(
        "fr", "cert.error.not_found"
    )
    for data in ("cert:acc:abc", f"cert:acck:{10**12}", "cert:no:-1"):
        assert await _answer_to_forged(world, claude, data) == stale, data
    async with world.db.uow() as uow:
        row = await uow.session.get(InsuranceCertificate, cert)
        assert row is not None and row.state == "sent"
        assert await uow.directory.equipment_by_tag("PC-0001") is None


async def test_the_calls_staff_buttons_answer_staff_only(world: World) -> None:
    """Calls for interest (art. 1 and 2): every button of staff's cards and decisions,
    forged by a teacher, a head or a body's agent on a real campaign and application, is
    refused in the same words and changes nothing; the steps of staff's dialogues are
    stale outside them. /ami_nouveau and /ami are in the table above."""
    from datetime import date, time

    from bot.domain.calls import Reach
    from bot.services import calls
    from storage.models import CallApplication, CallCampaign

    zoe = await world.registered("Zoé", Role.TEACHER)
    dora = await world.registered("Dora", Role.DIRECTOR)
    claude = await world.registered("Claude", Role.COMMUNE)
    await world.registered("Sacha", Role.STAFF)
    async with world.db.uow() as uow:
        ids = {p.full_name: p.id for p in (await uow.session.scalars(select(Person))).all()}
    now = world.clock.now()
    draft = calls.CampaignDraft(
        title="Robots",
        nature="robot_kit",
        description="Des robots.",
        quantity=2,
        kit_size=None,
        reach=Reach.ALL,
        opens_on=date(2026, 3, 10),
        opens_time=time(9, 0),
        closes_on=date(2026, 3, 20),
        closes_time=time(18, 0),
    )
    published = await calls.create_campaign(world.db, ids["Sacha"], draft, now)
    await calls.publish(world.db, ids["Sacha"], published.id, now)
    kept = await calls.create_campaign(world.db, ids["Sacha"], draft, now)
    ticket = (await calls.apply(world.db, ids["Dora"], published.id, {}, now)).view.id
    world.clock.advance(timedelta(days=11))
    i18n = world.app.bot_data["services"].i18n
    forbidden = i18n.t("fr", "common.error.forbidden")
    stale = i18n.t("fr", "common.stale_button")
    n, k = published.id, kept.id
    staff_only = (
        f"amis:card:{n}",
        f"amis:kept:{k}",
        f"amis:publish:{k}",
        f"amis:pubok:{k}",
        f"amis:extend:{n}",
        f"amis:cancel:{n}",
        f"amis:cxlok:{n}",
        f"amis:sel:{n}:0",
        f"amis:results:{n}",
        f"amis:resok:{n}",
        f"amis:serve:{n}",
        f"amis:srvok:{n}",
        f"ami:select:{ticket}",
        f"ami:wait:{ticket}",
        f"ami:decline:{ticket}",
    )
    steps_only = ("amc:nat:tablet", "amc:reach:all", "amc:q:done", "amis:extok:0123abcd")
    for user in (zoe, dora, claude):
        for data in staff_only:
            answer = await _answer_to_forged(world, user, data)
            assert answer.endswith(forbidden), (user.first_name, data, answer)
            assert [s for s in world.api.sent if s.method == "sendDocument"] == []
        for data in steps_only:
            answer = await _answer_to_forged(world, user, data)
            assert answer == stale, (user.first_name, data, answer)
    async with world.db.uow() as uow:
        states = {c.id: c.state for c in (await uow.session.scalars(select(CallCampaign)))}
        application = await uow.session.scalar(select(CallApplication))
    assert states == {n: "published", k: "draft"}
    assert application is not None and application.outcome is None


async def test_a_call_applications_buttons_answer_only_its_school(world: World) -> None:
    """« Candidater » and an application's buttons (the card, « Modifier », « Retirer », a
    comment): the school's people only; another school, another body and a forged id read
    not found, a commune agent and staff cannot apply, nothing changes."""
    from datetime import date, time

    from bot.domain.calls import Question, QuestionKind, Reach
    from bot.services import calls
    from storage.models import CallApplication

    dora = await world.registered("Dora", Role.DIRECTOR)
    zoe = await world.registered("Zoé", Role.TEACHER)
    luc = await world.registered("Luc", Role.DIRECTOR, school="0420002Z")
    yves = await world.registered("Yves", Role.TEACHER, school="0420002Z")
    claude = await world.registered("Claude", Role.COMMUNE)
    dana = await world.registered("Dana", Role.COMMUNE, commune="42095")
    sacha = await world.registered("Sacha", Role.STAFF)
    async with world.db.uow() as uow:
        ids = {p.full_name: p.id for p in (await uow.session.scalars(select(Person))).all()}
    now = world.clock.now()
    draft = calls.CampaignDraft(
        "Tablettes",
        "tablet",
        "Des tablettes",
        2,
        None,
        Reach.PUBLIC,
        date(2026, 3, 9),
        time(10, 0),
        date(2026, 3, 31),
        time(12, 0),
        (Question(QuestionKind.NUMBER, "Nombre de classes", minimum=1, maximum=20),),
    )
    campaign = await calls.create_campaign(world.db, ids["Sacha"], draft, now)
    await calls.publish(world.db, ids["Sacha"], campaign.id, now)
    ticket = (await calls.apply(world.db, ids["Dora"], campaign.id, {0: "3"}, now)).view.id
    i18n = world.app.bot_data["services"].i18n
    forbidden = i18n.t("fr", "common.error.forbidden")
    not_found = i18n.t("fr", "call.error.application_not_found")
    greeting = "Bonjour ! Je suis le bot du <b>Plan numérique"

    # Another school's head and teacher, another body's agent: not found, whatever button.
    for user in (luc, yves, dana):
        for action in ("view", "edit", "wd", "wdok", "comment"):
            answer = await _answer_to_forged(world, user, f"ami:{action}:{ticket}")
            assert answer == not_found, (user.first_name, action, answer)
    # The school's own people see the card; the teacher on a heads' call may not edit.
    for user in (dora, zoe):
        answer = await _answer_to_forged(world, user, f"ami:view:{ticket}")
        assert answer.startswith("📣 <b>A-2026-0001</b>"), (user.first_name, answer)
    heads_only = i18n.t("fr", "call.error.heads_only")
    assert await _answer_to_forged(world, zoe, f"ami:edit:{ticket}") == heads_only
    assert await _answer_to_forged(world, zoe, f"ami:wdok:{ticket}") == heads_only
    # Nobody without a school applies; a stranger only learns how to join.
    for user in (claude, sacha):
        assert await _answer_to_forged(world, user, f"ami:apply:{campaign.id}") == forbidden
    assert await _answer_to_forged(world, claude, f"ami:comment:{ticket}") == not_found
    stranger = world.user("Eve")
    answer = await _answer_to_forged(world, stranger, f"ami:apply:{campaign.id}")
    assert answer.startswith(greeting), answer
    # Ids that cannot be one.
    for data in ("ami:view:abc", f"ami:wd:{10**12}", "ami:apply:-1", "ami:follow:maybe"):
        answer = await _answer_to_forged(world, luc, data)
        assert answer in (not_found, i18n.t("fr", "common.stale_button")), (data, answer)
    async with world.db.uow() as uow:
        (application,) = (await uow.session.scalars(select(CallApplication))).all()
        assert application.withdrawn_at is None and application.answers == {"0": 3}
