"""Collection rounds on Telegram: staff list what SEM has to collect, tick schools, take the
proposed day in the zone A holidays or type another one (refused in words when it cannot
be a round's, warned outside the holidays), confirm; the school is told with « Demander
une autre date », which its teacher uses; on the day staff mark a missing item with a
note, then the recycling receipt; a teacher cannot use /tournees, nor a forged button.

The world's clock: Tuesday 10 March 2026; spring holidays from 4 to 19 April (Monday 6 is
Easter Monday)."""

from __future__ import annotations

from sqlalchemy import select

from bot.domain.collections import Condition, Decision
from bot.domain.roles import Role
from bot.services import collections
from handlers.telegram.offline import SimUser
from storage.models import CollectionRound, Equipment, Person, RoundStop
from tests.conversations.conftest import World
from tests.conversations.test_claim_follow_steps import _step


def _t(world: World, key: str, **params: object) -> str:
    return str(world.app.bot_data["services"].i18n.t("fr", key, **params))


async def _person_id(world: World, name: str) -> int:
    async with world.db.uow() as uow:
        found = await uow.session.scalar(select(Person.id).where(Person.full_name == name))
    assert found is not None
    return found


async def flagged_at_soleil(world: World) -> tuple[SimUser, SimUser, SimUser, int]:
    """Zoé (teacher at École du Soleil) flagged a broken laptop (to recycle) and an unused
    tablet; Dora is the school's head; Sacha is staff."""
    teacher = await world.registered("Zoé", Role.TEACHER)
    head = await world.registered("Dora", Role.DIRECTOR)
    staff = await world.registered("Sacha", Role.STAFF)
    now = world.clock.now()
    flagged = await collections.flag_equipment(
        world.db,
        collections.FlagEquipment(
            reporter_id=await _person_id(world, "Zoé"),
            school_id=world.ids["soleil"],
            items=(
                collections.FlagItem("SEM-0003", Condition.BROKEN, "Écran cassé"),
                collections.FlagItem("SEM-0001", Condition.UNUSED),
            ),
            place="Bureau de la direction",
        ),
        now,
    )
    laptop = next(i for i in flagged.view.items if i.asset_tag == "SEM-0003")
    await collections.decide(
        world.db, await _person_id(world, "Sacha"), laptop.id, Decision.RECYCLE, now
    )
    world.api.clear()
    return teacher, head, staff, flagged.view.id


async def _state(world: World, tag: str) -> str:
    async with world.db.uow() as uow:
        state = await uow.session.scalar(select(Equipment.state).where(Equipment.asset_tag == tag))
    assert state is not None
    return state


async def test_staff_plan_a_round_the_school_is_told_and_asks_another_date(world: World) -> None:
    api = world.api
    teacher, head, staff, _ = await flagged_at_soleil(world)

    await api.send_text(staff, "/tournees")
    listing = world.last_text(staff)
    assert "Matériel à collecter ou à réparer" in listing
    assert "École du Soleil" in listing and "2 objets" in listing
    assert "hors d'usage : 1, non utilisés : 1" in listing
    # Proposing with no school ticked is refused on the button; the step stays.
    await api.tap(staff, api.last(staff.id), "📅 Proposer une date")
    assert _step(world, "round_plan", staff) == "rnd_pick"
    await api.tap(staff, api.last(staff.id), "▫️ École du Soleil (2 objets)")
    assert "☑️" in world.last_text(staff)
    await api.tap(staff, api.last(staff.id), "📅 Proposer une date")
    proposal = world.last_text(staff)
    assert "mardi 7 avril 2026" in proposal and "vacances scolaires" in proposal
    # Another date: a weekend, a public holiday, unreadable text are refused in words.
    await api.tap(staff, api.last(staff.id), "📅 Autre date")
    for typed, key in (
        ("11/04/2026", "round.error.weekend"),
        ("06/04/2026", "round.error.public_holiday"),
        ("09/03/2026", "round.error.day_past"),
    ):
        await api.send_text(staff, typed)
        assert (
            world.last_text(staff).split(" ")[0]
            == _t(world, key, day="x", earliest="x").split(" ")[0]
        ), typed
        assert _step(world, "round_plan", staff) == "rnd_day"
    await api.send_text(staff, "n'importe quoi")
    assert _step(world, "round_plan", staff) == "rnd_day"
    # A day outside the holidays: warned, and may still be confirmed.
    await api.send_text(staff, "18/03/2026")
    assert "hors des vacances scolaires" in world.last_text(staff)
    await api.tap(staff, api.last(staff.id), "📅 Autre date")
    await api.send_text(staff, "08/04/2026")
    confirmation = world.last_text(staff)
    assert "mercredi 8 avril 2026" in confirmation and "École du Soleil" in confirmation
    await api.tap(staff, api.last(staff.id), "✅ Planifier le 08/04/2026")
    assert "Tournée planifiée ; 2 personnes prévenues" in world.last_text(staff)
    assert await _state(world, "SEM-0003") == "awaiting_collection"
    assert _step(world, "round_plan", staff) is None

    # The teacher and the head hear of it.
    for person in (teacher, head):
        notice = api.last(person.id)
        assert "mercredi 8 avril 2026" in (notice.text or "")
        assert "SEM-0003" in (notice.text or "")
    # The head asks another date: a note is asked, then staff are told.
    await api.tap(head, api.last(head.id), "📅 Demander une autre date")
    assert _step(world, "round_other_date", head) == "rnd_other_note"
    await api.send_text(head, "Nous sommes fermés le 8, le 9 irait")
    assert "transmise à la SEM" in world.last_text(head)
    told = world.last_text(staff)
    assert "le 9 irait" in told and "Dora" in told
    # A teacher of another school cannot use that button (forged): not found.
    other = await world.registered("Luc", Role.TEACHER, school="0420002Z")
    async with world.db.uow() as uow:
        stop_id = await uow.session.scalar(select(RoundStop.id))
    await api.send_text(other, "/aide")
    await api.forge_callback(other, api.last(other.id).message_id, f"rnd:other:{stop_id}")
    assert world.last_text(other) == _t(world, "round.error.stop_not_found")
    assert _step(world, "round_other_date", other) is None


async def test_on_the_day_staff_mark_a_missing_item_then_the_recycling_receipt(
    world: World,
) -> None:
    api = world.api
    _, _, staff, _ = await flagged_at_soleil(world)
    await api.send_text(staff, "/tournees")
    await api.tap(staff, api.last(staff.id), "▫️ École du Soleil (2 objets)")
    await api.tap(staff, api.last(staff.id), "📅 Proposer une date")
    await api.tap(staff, api.last(staff.id), "✅ Planifier le 07/04/2026")
    # The round's card has its actions; some items missing.
    await api.tap(staff, api.last(staff.id), "❓ Des objets manquent")
    assert _step(world, "round_act", staff) == "rnd_missing"
    await api.tap(staff, api.last(staff.id), "✔️ Terminé (0 manquant)")  # none marked: said
    assert _step(world, "round_act", staff) == "rnd_missing"
    await api.tap(staff, api.last(staff.id), "✅ SEM-0001")
    await api.tap(staff, api.last(staff.id), "✔️ Terminé (1 manquant)")
    assert _step(world, "round_act", staff) == "rnd_text"
    await api.send_text(staff, "Prêtée à la classe de CM2")
    confirmation = world.last_text(staff)
    assert "SEM-0001" in confirmation and "Prêtée à la classe de CM2" in confirmation
    await api.tap(staff, api.last(staff.id), "✅ Confirmer")
    assert await _state(world, "SEM-0003") == "collected"
    assert await _state(world, "SEM-0001") == "awaiting_collection"
    assert "absent le jour de la collecte" in world.last_text(staff)
    # The recycling receipt: empty is refused in words, then recorded.
    await api.tap(staff, api.last(staff.id), "🧾 Noter le bon de recyclage")
    await api.send_text(staff, "-")
    assert world.last_text(staff) == _t(world, "round.error.receipt_required")
    await api.send_text(staff, "DEC-2026-118")
    assert "DEC-2026-118" in world.last_text(staff)
    await api.tap(staff, api.last(staff.id), "✅ Confirmer")
    assert await _state(world, "SEM-0003") == "recycled"
    assert "Bon de recyclage : DEC-2026-118" in world.last_text(staff)
    # The flagging's card offers the rounds while something of SEM's waits for one.
    await api.send_text(staff, "/dossier C-2026-0001")
    await api.tap(staff, api.last(staff.id), "🚚 Tournées")
    assert _step(world, "round_plan", staff) == "rnd_pick"
    # The missing tablet is listed again for a later round.
    await api.send_text(staff, "/tournees")
    assert any("1 absent lors d'une tournée" in t for t in world.texts(staff)[-2:])


async def test_staff_move_then_cancel_a_round_and_the_school_is_told(world: World) -> None:
    api = world.api
    teacher, _, staff, _ = await flagged_at_soleil(world)
    await api.send_text(staff, "/tournees")
    await api.tap(staff, api.last(staff.id), "▫️ École du Soleil (2 objets)")
    await api.tap(staff, api.last(staff.id), "📅 Proposer une date")
    await api.tap(staff, api.last(staff.id), "✅ Planifier le 07/04/2026")
    await api.tap(staff, api.last(staff.id), "📅 Changer la date")
    await api.send_text(staff, "07/04/2026")  # the same day: refused, asked again
    assert _step(world, "round_act", staff) == "rnd_text"
    await api.send_text(staff, "17/03/2026")
    assert "hors des vacances scolaires" in world.last_text(staff)
    await api.tap(staff, api.last(staff.id), "✅ Confirmer")
    assert "déplacée au mardi 17 mars 2026" in world.last_text(teacher)
    await api.tap(staff, api.last(staff.id), "✖️ Annuler la tournée")
    assert "Confirmer : la collecte du mardi 17 mars 2026" in world.last_text(staff)
    await api.tap(staff, api.last(staff.id), "✅ Confirmer")
    assert "est annulée" in world.last_text(teacher)
    assert await _state(world, "SEM-0003") == "out_of_order"
    assert await _state(world, "SEM-0001") == "unused"


async def test_a_teacher_cannot_use_the_rounds_nor_a_forged_button(world: World) -> None:
    api = world.api
    teacher, _, staff, collection_id = await flagged_at_soleil(world)
    forbidden = _t(world, "common.error.forbidden")
    await api.send_text(teacher, "/tournees")
    assert world.last_text(teacher) == forbidden
    assert _step(world, "round_plan", teacher) is None
    await api.send_text(staff, "/tournees")
    await api.tap(staff, api.last(staff.id), "▫️ École du Soleil (2 objets)")
    await api.tap(staff, api.last(staff.id), "📅 Proposer une date")
    await api.tap(staff, api.last(staff.id), "✅ Planifier le 07/04/2026")
    async with world.db.uow() as uow:
        round_id = await uow.session.scalar(select(CollectionRound.id))
    for data in (
        f"rnd:view:{round_id}",
        f"rnd:all:{round_id}:{collection_id}",
        f"rnd:cancel:{round_id}",
        f"rnd:rcpt:{round_id}",
        "rnd:fix:1:ok",
    ):
        await api.send_text(teacher, "/aide")
        update = await api.forge_callback(teacher, api.last(teacher.id).message_id, data)
        answer = api.callback_answer(update)
        assert answer is not None and answer.get("text") == forbidden, data
    assert await _state(world, "SEM-0003") == "awaiting_collection"
    # Staff's forged ids: a round that does not exist, a stop of another round.
    await api.send_text(staff, "/aide")
    await api.forge_callback(staff, api.last(staff.id).message_id, "rnd:view:999")
    assert world.last_text(staff) == _t(world, "round.error.not_found")
    await api.forge_callback(staff, api.last(staff.id).message_id, f"rnd:all:{round_id}:999")
    assert world.last_text(staff) == _t(world, "round.error.school_not_in_round")
    await api.forge_callback(staff, api.last(staff.id).message_id, "rnd:pick:1")
    answer_text = world.api.sent[-1].params.get("text")
    assert answer_text == _t(world, "common.stale_button")


async def test_a_repair_visit_is_planned_and_each_outcome_recorded(world: World) -> None:
    api = world.api
    _, _, staff, _ = await flagged_at_soleil(world)
    staff_id = await _person_id(world, "Sacha")
    now = world.clock.now()
    flagged = await collections.flag_equipment(
        world.db,
        collections.FlagEquipment(
            reporter_id=await _person_id(world, "Zoé"),
            school_id=world.ids["soleil"],
            items=(
                collections.FlagItem("SEM-0004", Condition.BROKEN, "Lampe grillée"),
                collections.FlagItem("SEM-0005", Condition.BROKEN, "Ne s'allume plus"),
            ),
            place="Salle 3",
        ),
        now,
    )
    for item in flagged.view.items:
        await collections.decide(world.db, staff_id, item.id, Decision.REPAIR, now)
    await api.send_text(staff, "/tournees")
    await api.tap(staff, api.last(staff.id), "🔧 Passer en maintenance")
    assert "Intervention de maintenance : 0 école choisie" in world.last_text(staff)
    await api.tap(staff, api.last(staff.id), "▫️ École du Soleil (2 objets)")
    await api.tap(staff, api.last(staff.id), "📅 Proposer une date")
    assert "intervention de maintenance" in world.last_text(staff)
    await api.tap(staff, api.last(staff.id), "✅ Planifier le 07/04/2026")
    assert await _state(world, "SEM-0004") == "out_of_order"
    await api.tap(staff, api.last(staff.id), "🔧 SEM-0004 réparé")
    await api.send_text(staff, "Lampe changée")
    assert "remis en service" in world.last_text(staff)
    await api.tap(staff, api.last(staff.id), "✅ Confirmer")
    assert await _state(world, "SEM-0004") == "in_service"
    await api.tap(staff, api.last(staff.id), "♻️ SEM-0005 irréparable")
    await api.send_text(staff, "-")
    await api.tap(staff, api.last(staff.id), "✅ Confirmer")
    assert await _state(world, "SEM-0005") == "collected"
    assert "(terminée)" in world.last_text(staff)
    # What was taken away goes to recycling with the visit's receipt.
    await api.tap(staff, api.last(staff.id), "🧾 Noter le bon de recyclage")
    await api.send_text(staff, "DEC-2026-200")
    await api.tap(staff, api.last(staff.id), "✅ Confirmer")
    assert await _state(world, "SEM-0005") == "recycled"
