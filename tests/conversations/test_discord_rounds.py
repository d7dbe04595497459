"""/tournees on Discord, over the same services and texts as Telegram's (test_rounds.py).

A teacher of École du Soleil flags a tablet from Discord (/collecte), a teacher of École des
Forges two from Telegram; staff on Discord list them, tick the schools (the selection a
draft under a nonce), take another day in a form — a weekend refused in the domain's words,
then corrected — and confirm: each school is told on its own platform, and the teacher on
Discord asks for another date in a form. On the day staff mark everything collected at one
school and one item missing at the other, with a note. A confirmation tapped twice, an
older list, a teacher's forged ids and ids of nothing are refused.

The world's clock: Tuesday 10 March 2026; spring holidays from 4 to 19 April (Monday 6 is
Easter Monday)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.domain.collections import Condition, Decision
from bot.domain.roles import Role
from bot.services import collections
from handlers.discord.offline.api import InteractionRecord, PostedMessage
from handlers.discord.render import markdown
from storage.models import CollectionRound, Equipment, Person, RoundStop
from tests.conversations.conftest import DiscordSide, World

STALE = "Ce bouton n'est plus valable."
FORBIDDEN = "Vous n'avez pas accès à cette action."


def _t(world: World, key: str, **params: Any) -> str:
    return markdown(str(world.app.bot_data["services"].i18n.t("fr", key, **params)))


def _messages(side: DiscordSide, record: InteractionRecord) -> list[PostedMessage]:
    ids = [i for i in [record.original_id, *record.followup_ids] if i is not None]
    return [side.discord.message(i) for i in ids]


def _last(side: DiscordSide, record: InteractionRecord) -> PostedMessage:
    return _messages(side, record)[-1]


def _text(side: DiscordSide, record: InteractionRecord) -> str:
    return "\n".join(m.content for m in _messages(side, record))


def _button(message: PostedMessage, label: str) -> str:
    found = [custom_id for shown, custom_id in message.buttons if shown == label]
    assert len(found) == 1, message.buttons
    return str(found[0])


async def _forged(side: DiscordSide, user: Any, custom_id: str) -> InteractionRecord:
    """A button the bot never offered this person (an old or forged id), tapped."""
    offline = side.discord
    stored = offline._store_message(
        offline.dm_channel(user),
        author=offline.bot,
        content="…",
        components=[
            {
                "type": 1,
                "components": [{"type": 2, "style": 2, "label": "x", "custom_id": custom_id}],
            }
        ],
    )
    return await offline.tap(user, int(stored["id"]), custom_id)


async def _state(world: World, tag: str) -> str:
    async with world.db.uow() as uow:
        state = await uow.session.scalar(select(Equipment.state).where(Equipment.asset_tag == tag))
    assert state is not None
    return state


async def _flagged(world: World, side: DiscordSide) -> tuple[Any, Any, Any, int]:
    """Zoé (Discord, École du Soleil) flags the tablet SEM-0001 from Discord; Luc
    (Telegram, École des Forges) has flagged SEM-0101 and SEM-0102; Sacha is staff on
    Discord. Returns Zoé, Luc, Sacha and Luc's flagging's id."""
    offline = side.discord
    async with world.db.uow() as uow:
        first = await uow.directory.equipment_by_tag("SEM-0101")
        assert isinstance(first, Equipment)
        uow.session.add(
            Equipment(
                asset_tag="SEM-0102",
                school_id=world.ids["forges"],
                type="tablet",
                model="iPad 9",
                serial=None,
                owner="sem",
                acquired_on=first.acquired_on,
                value_cents=40000,
                state="in_service",
                created_at=first.created_at,
                updated_at=first.updated_at,
            )
        )
        await uow.commit()
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    asked = await offline.slash(zoe, "collecte", {"materiel": "SEM-0001"}, channel=side.hall)
    [condition] = _last(side, asked).custom_ids
    chosen = await offline.choose(zoe, asked.original_id, condition, ["unused"])
    await offline.tap(zoe, chosen.original_id, condition.replace("cond", "form") + ":unused")
    done = await offline.submit_modal(zoe, {"place": "Bureau de la direction"})
    assert "C-2026-0001" in _text(side, done)

    luc = await world.registered("Luc", Role.TEACHER, school="0420003A")
    async with world.db.uow() as uow:
        luc_id = await uow.session.scalar(select(Person.id).where(Person.full_name == "Luc"))
    assert luc_id is not None
    flagged = await collections.flag_equipment(
        world.db,
        collections.FlagEquipment(
            reporter_id=luc_id,
            school_id=world.ids["forges"],
            items=(
                collections.FlagItem("SEM-0101", Condition.UNUSED),
                collections.FlagItem("SEM-0102", Condition.UNUSED, "Jamais sortie"),
            ),
            place="Salle des maîtres",
        ),
        world.clock.now(),
    )
    sacha = await side.registered(world, "sacha", Role.STAFF)
    world.api.clear()
    return zoe, luc, sacha, flagged.view.id


async def _plan_both(side: DiscordSide, sacha: Any) -> InteractionRecord:
    """Sacha ticks both schools and plans the proposed day (7 April)."""
    offline = side.discord
    listed = await offline.slash(sacha, "tournees", channel=side.hall)
    shown = _last(side, listed)
    await offline.tap(sacha, shown, _button(shown, "▫️ École du Soleil (1 objet)"))
    shown = offline.message(shown.id)
    await offline.tap(sacha, shown, _button(shown, "▫️ École des Forges (2 objets)"))
    shown = offline.message(shown.id)
    proposed = await offline.tap(sacha, shown, _button(shown, "📅 Proposer une date"))
    return await offline.tap(
        sacha, _last(side, proposed), _button(_last(side, proposed), "✅ Planifier le 07/04/2026")
    )


async def test_staff_plan_a_round_from_discord_and_each_school_is_told_on_its_platform(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    zoe, luc, sacha, _ = await _flagged(world, side)

    listed = await offline.slash(sacha, "tournees", channel=side.hall)
    listing = _last(side, listed)
    assert "Matériel à collecter ou à réparer" in listing.content
    assert "École du Soleil" in listing.content and "École des Forges" in listing.content
    assert listed.response is not None and listed.response["data"]["flags"] & (1 << 6)
    # Proposing with no school ticked is refused, only to him; the list stays.
    refused = await offline.tap(sacha, listing, _button(listing, "📅 Proposer une date"))
    assert _text(side, refused) == "Cochez d'abord au moins une école."
    # Ticking edits the list in place, under a new nonce: the older buttons are stale.
    soleil = _button(listing, "▫️ École du Soleil (1 objet)")
    ticked = await offline.tap(sacha, listing, soleil)
    assert ticked.response_type == 7
    listing = offline.message(listing.id)
    assert "☑️ École du Soleil (1 objet)" in [label for label, _ in listing.buttons]
    older = await _forged(side, sacha, soleil)
    assert _text(side, older) == STALE
    await offline.tap(sacha, listing, _button(listing, "▫️ École des Forges (2 objets)"))
    listing = offline.message(listing.id)
    assert "Tournée de collecte : 2 écoles choisies." in listing.content
    proposed = await offline.tap(sacha, listing, _button(listing, "📅 Proposer une date"))
    proposal = _last(side, proposed)
    assert "mardi 7 avril 2026" in proposal.content and "vacances scolaires" in proposal.content
    assert [label for label, _ in proposal.buttons] == [
        "✅ Planifier le 07/04/2026", "📅 Autre date", "✖️ Annuler",
    ]  # fmt: skip

    # Another day, in a form: a weekend, a public holiday, a past day and unreadable text
    # are refused in the domain's words, with « ✏️ Corriger » opening the form again.
    form = await offline.tap(sacha, proposal, _button(proposal, "📅 Autre date"))
    assert form.modal is not None and form.modal["title"] == "📅 Autre date"
    weekend = await offline.submit_modal(sacha, {"day": "11/04/2026"})
    assert _text(side, weekend) == _t(world, "round.error.weekend", day="samedi 11 avril 2026")
    again = _button(_last(side, weekend), "✏️ Corriger")
    for typed, key, params in (
        ("06/04/2026", "round.error.public_holiday", {"day": "lundi 6 avril 2026"}),
        ("09/03/2026", "round.error.day_past", {"earliest": "mercredi 11 mars 2026"}),
    ):
        reopened = await offline.tap(sacha, _last(side, weekend), again)
        assert reopened.modal is not None
        refused = await offline.submit_modal(sacha, {"day": typed})
        assert _text(side, refused) == _t(world, key, **params), typed
    reopened = await offline.tap(sacha, _last(side, refused), again)
    unreadable = await offline.submit_modal(sacha, {"day": "n'importe quoi"})
    assert "✏️ Corriger" in [label for label, _ in _last(side, unreadable).buttons]
    assert await _state(world, "SEM-0001") == "unused"
    # Fixed: the confirmation names the day and the schools.
    await offline.tap(sacha, _last(side, unreadable), again)
    typed = await offline.submit_modal(sacha, {"day": "08/04/2026"})
    confirmation = _last(side, typed)
    assert "mercredi 8 avril 2026" in confirmation.content
    assert "École du Soleil" in confirmation.content and "École des Forges" in confirmation.content
    # The first proposal's confirmation is older than the typed day's: stale.
    first = await offline.tap(sacha, proposal, _button(proposal, "✅ Planifier le 07/04/2026"))
    assert _text(side, first) == STALE
    plan = _button(confirmation, "✅ Planifier le 08/04/2026")
    planned = await offline.tap(sacha, confirmation, plan)
    assert _text(side, planned).startswith(
        "✅ Tournée planifiée ; 2 personnes prévenues dans les écoles."
    )
    assert "mercredi 8 avril 2026" in _text(side, planned)
    assert await _state(world, "SEM-0001") == "awaiting_collection"
    assert await _state(world, "SEM-0101") == "awaiting_collection"
    # Tapped twice: refused, nothing planned again.
    twice = await offline.tap(sacha, confirmation, plan)
    assert _text(side, twice) == STALE
    async with world.db.uow() as uow:
        rounds = list((await uow.session.scalars(select(CollectionRound))).all())
    assert len(rounds) == 1

    # Each school is told on its own platform: Zoé on Discord, Luc on Telegram.
    notice = offline.last_message(offline.dm_channel(zoe))
    assert "mercredi 8 avril 2026" in notice.content and "SEM-0001" in notice.content
    told = world.last_text(luc)
    assert "mercredi 8 avril 2026" in told and "SEM-0102" in told
    # Zoé asks for another date from Discord, in a form: a blank note is refused.
    other = _button(notice, "📅 Demander une autre date")
    asked = await offline.tap(zoe, notice, other)
    assert asked.modal is not None
    blank = await offline.submit_modal(zoe, {"note": "   "})
    assert _text(side, blank) == _t(world, "round.error.other_note_required")
    await offline.tap(zoe, _last(side, blank), _button(_last(side, blank), "✏️ Corriger"))
    sent = await offline.submit_modal(zoe, {"note": "Fermés le 8, le 9 irait"})
    assert _text(side, sent) == (
        "📨 Votre demande est transmise à la SEM, qui vous proposera une autre date pour "
        "École du Soleil."
    )
    to_staff = offline.last_message(offline.dm_channel(sacha))
    assert "le 9 irait" in to_staff.content and "zoe" in to_staff.content
    # Its « 🚚 Voir la tournée » opens the round's card on Discord, the request on it.
    opened = await offline.tap(sacha, to_staff, _button(to_staff, "🚚 Voir la tournée"))
    assert "Fermés le 8, le 9 irait" in _text(side, opened)
    assert "📅 Changer la date" in [label for label, _ in _last(side, opened).buttons]
    # Another school's teacher, with that button forged: not found.
    stranger = await side.registered(world, "lea", Role.TEACHER, school="0420002Z")
    async with world.db.uow() as uow:
        stop_id = await uow.session.scalar(select(RoundStop.id).where(RoundStop.collection_id == 1))
    forged = await _forged(side, stranger, f"rnd:other:{stop_id}")
    assert _text(side, forged) == _t(world, "round.error.stop_not_found")
    assert forged.modal is None


async def test_on_the_day_one_school_all_collected_the_other_with_a_missing_item(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    _, _, sacha, _ = await _flagged(world, side)
    planned = await _plan_both(side, sacha)
    card = _last(side, planned)
    # Everything collected at École du Soleil: a confirmation naming it, then done.
    asked = await offline.tap(sacha, card, _button(card, "✅ Tout collecté : École du Soleil"))
    assert _text(side, asked) == (
        "Confirmer : l'objet de École du Soleil a été collecté (mardi 7 avril 2026) ?"
    )
    confirm = _button(_last(side, asked), "✅ Confirmer")
    done = await offline.tap(sacha, _last(side, asked), confirm)
    assert _text(side, done).startswith("✅ C'est noté.")
    assert await _state(world, "SEM-0001") == "in_stock"  # unused: into SEM's stock
    again = await offline.tap(sacha, _last(side, asked), confirm)
    assert _text(side, again) == STALE

    # At École des Forges one tablet is missing: toggled, then a note in a form.
    card = _last(side, done)
    assert "✅ Tout collecté : École du Soleil" not in [label for label, _ in card.buttons]
    missing = await offline.tap(sacha, card, _button(card, "❓ Des objets manquent"))
    pick = _last(side, missing)
    assert pick.content == _t(world, "round.tg.ask_missing", school="École des Forges")
    none_yet = await offline.tap(sacha, pick, _button(pick, "✔️ Terminé (0 manquant)"))
    assert _text(side, none_yet) == _t(world, "round.tg.pick_missing_first")
    assert none_yet.modal is None
    await offline.tap(sacha, pick, _button(pick, "✅ SEM-0102"))
    pick = offline.message(pick.id)
    assert "❓ SEM-0102" in [label for label, _ in pick.buttons]
    form = await offline.tap(sacha, pick, _button(pick, "✔️ Terminé (1 manquant)"))
    assert form.modal is not None
    noted = await offline.submit_modal(sacha, {"note": "Prêtée à la classe de CM2"})
    confirmation = _text(side, noted)
    assert confirmation == (
        "Confirmer pour École des Forges : objet collecté : 1 ; manquants, qui restent à "
        "collecter : SEM-0102 (note : Prêtée à la classe de CM2) ?"
    )
    assert await _state(world, "SEM-0102") == "awaiting_collection"
    confirm = _button(_last(side, noted), "✅ Confirmer")
    done = await offline.tap(sacha, _last(side, noted), confirm)
    assert _text(side, done).startswith("✅ C'est noté.")
    assert "absent le jour de la collecte" in _text(side, done)
    assert "(terminée)" in _text(side, done)
    assert await _state(world, "SEM-0101") == "in_stock"
    assert await _state(world, "SEM-0102") == "awaiting_collection"
    twice = await offline.tap(sacha, _last(side, noted), confirm)
    assert _text(side, twice) == STALE
    # The missing tablet is listed again for a later round.
    listed = await offline.slash(sacha, "tournees", channel=side.hall)
    assert "1 absent lors d'une tournée" in _text(side, listed)


async def test_staff_move_then_cancel_a_round_from_discord(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    zoe, luc, sacha, _ = await _flagged(world, side)
    card = _last(side, await _plan_both(side, sacha))
    form = await offline.tap(sacha, card, _button(card, "📅 Changer la date"))
    assert form.modal is not None
    same = await offline.submit_modal(sacha, {"day": "07/04/2026"})
    assert _text(side, same) == _t(world, "round.error.same_day", day="mardi 7 avril 2026")
    await offline.tap(sacha, _last(side, same), _button(_last(side, same), "✏️ Corriger"))
    moved = await offline.submit_modal(sacha, {"day": "17/03/2026"})
    assert "hors des vacances scolaires" in _text(side, moved)
    done = await offline.tap(sacha, _last(side, moved), _button(_last(side, moved), "✅ Confirmer"))
    assert "déplacée au mardi 17 mars 2026" in world.last_text(luc)
    assert "mardi 17 mars 2026" in offline.last_message(offline.dm_channel(zoe)).content
    card = _last(side, done)
    asked = await offline.tap(sacha, card, _button(card, "✖️ Annuler la tournée"))
    assert "Confirmer : la collecte du mardi 17 mars 2026" in _text(side, asked)
    # « Annuler » on the confirmation: nothing is called off.
    kept = await offline.tap(sacha, _last(side, asked), _button(_last(side, asked), "✖️ Annuler"))
    assert _text(side, kept) == _t(world, "common.cancelled")
    assert await _state(world, "SEM-0001") == "awaiting_collection"
    asked = await offline.tap(sacha, card, _button(card, "✖️ Annuler la tournée"))
    await offline.tap(sacha, _last(side, asked), _button(_last(side, asked), "✅ Confirmer"))
    assert "est annulée" in world.last_text(luc)
    assert await _state(world, "SEM-0001") == "unused"


async def test_a_teacher_is_refused_and_forged_ids_are_not_honoured(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    zoe, _, sacha, forges = await _flagged(world, side)
    refused = await offline.slash(zoe, "tournees", channel=side.hall)
    assert _text(side, refused) == FORBIDDEN
    await _plan_both(side, sacha)
    async with world.db.uow() as uow:
        round_id = await uow.session.scalar(select(CollectionRound.id))
    for data in (
        f"rnd:view:{round_id}",
        f"rnd:all:{round_id}:{forges}",
        f"rnd:miss:{round_id}:{forges}",
        f"rnd:cancel:{round_id}",
        f"rnd:move:{round_id}",
        f"rnd:rcpt:{round_id}",
        "rnd:fix:1:ok",
        "rnd:pick:1:deadbeef",
        "rnd:list",
    ):
        forged = await _forged(side, zoe, data)
        assert _text(side, forged) == FORBIDDEN, data
        assert forged.modal is None
    assert await _state(world, "SEM-0101") == "awaiting_collection"
    # Staff's forged ids: a round that does not exist, a stop of no round, junk.
    nothing = await _forged(side, sacha, "rnd:view:999")
    assert _text(side, nothing) == _t(world, "round.error.not_found")
    outside = await _forged(side, sacha, f"rnd:all:{round_id}:999")
    assert _text(side, outside) == _t(world, "round.error.school_not_in_round")
    for junk in (
        "rnd:pick:1:deadbeef",
        "rnd:view:99999999999",
        "rnd:ok:zz",
        "rnd:aok:deadbeef",
        "rnd:mi:1:deadbeef",
        "rnd:fix:1:maybe",
        "rnd:nope",
    ):
        forged = await _forged(side, sacha, junk)
        assert _text(side, forged) == STALE, junk
    item = await _forged(side, sacha, "rnd:fix:1:ok")
    assert _text(side, item) == _t(world, "round.error.item_not_in_round")
    # A stranger is told to register.
    stranger = await _forged(side, side.user("inconnu"), f"rnd:view:{round_id}")
    assert _text(side, stranger) == _t(world, "discord.stranger")


async def test_a_repair_visit_from_discord_each_outcome_then_the_receipt(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    _, _, sacha, _ = await _flagged(world, side)
    async with world.db.uow() as uow:
        ids = dict((await uow.session.execute(select(Person.full_name, Person.id))).all())
    now = world.clock.now()
    flagged = await collections.flag_equipment(
        world.db,
        collections.FlagEquipment(
            reporter_id=ids["zoe"],
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
        await collections.decide(world.db, ids["sacha"], item.id, Decision.REPAIR, now)
    listed = await offline.slash(sacha, "tournees", channel=side.hall)
    shown = _last(side, listed)
    await offline.tap(sacha, shown, _button(shown, "🔧 Passer en maintenance"))
    shown = offline.message(shown.id)
    assert "Intervention de maintenance : 0 école choisie" in shown.content
    await offline.tap(sacha, shown, _button(shown, "▫️ École du Soleil (2 objets)"))
    shown = offline.message(shown.id)
    proposed = await offline.tap(sacha, shown, _button(shown, "📅 Proposer une date"))
    assert "intervention de maintenance" in _text(side, proposed)
    planned = await offline.tap(
        sacha, _last(side, proposed), _button(_last(side, proposed), "✅ Planifier le 07/04/2026")
    )
    card = _last(side, planned)
    # Repaired, with a note in a form.
    form = await offline.tap(sacha, card, _button(card, "🔧 SEM-0004 réparé"))
    assert form.modal is not None and form.modal["title"] == "🔧 SEM-0004 réparé"
    noted = await offline.submit_modal(sacha, {"note": "Lampe changée"})
    assert _text(side, noted) == (
        "Confirmer : SEM-0004 est réparé et remis en service (note : Lampe changée) ?"
    )
    done = await offline.tap(sacha, _last(side, noted), _button(_last(side, noted), "✅ Confirmer"))
    assert await _state(world, "SEM-0004") == "in_service"
    card = _last(side, done)
    form = await offline.tap(sacha, card, _button(card, "♻️ SEM-0005 irréparable"))
    noted = await offline.submit_modal(sacha, {"note": "-"})
    assert "(note : —)" in _text(side, noted)
    done = await offline.tap(sacha, _last(side, noted), _button(_last(side, noted), "✅ Confirmer"))
    assert await _state(world, "SEM-0005") == "collected"
    assert "(terminée)" in _text(side, done)
    # The receipt: empty refused in the domain's words, then recorded after a confirmation.
    card = _last(side, done)
    receipt = _button(card, "🧾 Noter le bon de recyclage")
    await offline.tap(sacha, card, receipt)
    empty = await offline.submit_modal(sacha, {"reference": "-"})
    assert _text(side, empty) == _t(world, "round.error.receipt_required")
    await offline.tap(sacha, _last(side, empty), _button(_last(side, empty), "✏️ Corriger"))
    given = await offline.submit_modal(sacha, {"reference": "DEC-2026-200"})
    assert _text(side, given) == "Confirmer : l'objet est recyclé, bon DEC-2026-200 ?"
    done = await offline.tap(sacha, _last(side, given), _button(_last(side, given), "✅ Confirmer"))
    assert await _state(world, "SEM-0005") == "recycled"
    assert "Bon de recyclage : DEC-2026-200" in _text(side, done)
