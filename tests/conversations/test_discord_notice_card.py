"""A notice's card and the taps on it on Discord, over the same services as Telegram.

Works in « salle 2 » told by the commune's agent: staff on Discord get the card with
« Pris en compte » and « Collecter »; a teacher with staff's ids is forbidden, another
commune's agent finds nothing, forged ids are stale; staff take it into account (the
buttons of the notice go, the card comes again), a second tap gets a word. The school's
head on Discord says the equipment back in place: staff on Discord and on Telegram hear
of it. A move to another school, cancelled then confirmed: the inventory moves. Fibre
ordered then done, the body's agent told each time. The school network: the body's
agent says its equipment is off it. A collection planned from works: the items in a
select, all chosen, one kept; the place refused then typed; a confirmation naming the
item; the flagging written once, its card to staff, a word to the head; the place's form
sent after a restart is read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.domain.notices import FibreNews
from bot.domain.roles import Role
from bot.services import notice_notices
from bot.services import notices as service
from handlers.discord.offline.api import InteractionRecord
from storage.models import Equipment, Notice, Person, School
from tests.conversations.conftest import DiscordSide, World
from tests.conversations.test_discord_claims import _by_label, _modal_fields, _text
from tests.conversations.test_discord_lost_forms import _forged as _forged_form
from tests.conversations.test_discord_lost_forms import _restart
from tests.conversations.test_discord_photos import _forged
from tests.conversations.test_notice_triage import _move, _works
from tests.conversations.test_works_collection import _room

STALE = "Ce bouton n'est plus valable."
FORBIDDEN = "Vous n'avez pas accès à cette action."
NOT_FOUND = "Je ne trouve pas ce signalement."
NOTHING = "Il n'y a plus rien à confirmer sur ce signalement."


def _posted(side: DiscordSide, record: InteractionRecord) -> Any:
    assert record.original_id is not None
    return side.discord.message(record.original_id)


def _followups(side: DiscordSide, record: InteractionRecord) -> list[Any]:
    return [side.discord.message(i) for i in record.followup_ids]


async def _told(world: World, view: service.NoticeView) -> None:
    """The notice's first messages (staff's card, the body's), as its front end sends them."""
    services = world.app.bot_data["services"]
    for message in await notice_notices.after_telling(
        services.db, services.i18n, services.settings, view
    ):
        await services.router(message)


async def _person_id(world: World, name: str) -> int:
    async with world.db.uow() as uow:
        found = await uow.session.scalar(select(Person.id).where(Person.full_name == name))
    assert found is not None
    return int(found)


async def _school_of(world: World, tag: str) -> str:
    async with world.db.uow() as uow:
        uai = await uow.session.scalar(
            select(School.uai)
            .join(Equipment, Equipment.school_id == School.id)
            .where(Equipment.asset_tag == tag)
        )
    return str(uai)


async def _state(world: World, tag: str) -> str:
    async with world.db.uow() as uow:
        return str(
            await uow.session.scalar(select(Equipment.state).where(Equipment.asset_tag == tag))
        )


async def test_staff_take_works_into_account_and_the_head_says_the_equipment_back(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    camille = await world.registered("Camille", Role.STAFF)  # on Telegram
    sacha = await side.registered(world, "sacha", Role.STAFF)
    await side.registered(world, "claude", Role.COMMUNE)
    dom = await side.registered(world, "dom", Role.DIRECTOR)
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    dana = await side.registered(world, "dana", Role.COMMUNE, commune="42095")
    view = await _works(world, "claude")
    await _told(world, view)
    staff_dm = offline.dm_channel(sacha)
    notice = offline.last_message(staff_dm)
    assert notice.content.startswith("🏗 **N-2026-0001** — Travaux : rénovation")
    assert notice.buttons == [
        ("📄 Voir le signalement", "ntc:view:1"),
        ("👍 Pris en compte", "ntc:ack:1"),
        ("📦 Collecter le matériel des salles", "ntc:collect:1"),
    ]

    # The card from « Voir »: its timeline, staff's actions without « Voir ».
    shown = await offline.tap(sacha, notice, "ntc:view:1")
    assert _text(shown).startswith("🏗 **N-2026-0001** — Travaux : rénovation")
    assert "**Historique**" in _text(shown)
    assert _posted(side, shown).buttons == [
        ("👍 Pris en compte", "ntc:ack:1"),
        ("📦 Collecter le matériel des salles", "ntc:collect:1"),
    ]

    # The wrong role, another body, forged ids, a stranger.
    for forged, said_back in (
        ("ntc:ack:1", FORBIDDEN),
        ("ntc:collect:1", FORBIDDEN),
        ("ntc:move:1", FORBIDDEN),
        ("ntc:moveok:1", FORBIDDEN),
        ("ntc:fibre:1", FORBIDDEN),
        ("ntc:off:1", FORBIDDEN),
        ("ntc:ack:abc", STALE),
        ("ntc:ack:0", STALE),
        ("ntc:view:1:2", STALE),
        ("ntc:back:", STALE),
        ("ntc:ct:0", STALE),
        ("ntc:cdone", STALE),
        ("ntc:cok:zz", STALE),
        ("ntc:nope:1", STALE),
    ):
        refused = await _forged(side, zoe, forged)
        assert _text(refused) == said_back, forged
    for forged in ("ntc:view:1", "ntc:back:1", "ntc:view:999999"):
        refused = await _forged(side, dana, forged)
        assert _text(refused) == NOT_FOUND, forged
    stranger = await _forged(side, side.user("inconnu"), "ntc:view:1")
    assert _text(stranger).startswith("Bonjour ! Pour utiliser ce bot, inscrivez-vous")

    # Taken into account: said, the notice's buttons gone, the card again.
    taken = await offline.tap(sacha, notice, "ntc:ack:1")
    said, again = _followups(side, taken)
    assert said.content == "👍 N-2026-0001 : pris en compte."
    assert "État : pris en compte par la SEM" in again.content
    assert again.buttons == [("📦 Collecter le matériel des salles", "ntc:collect:1")]
    assert offline.message(notice.id).buttons == []
    twice = await _forged(side, sacha, "ntc:ack:1")
    assert _text(twice) == NOTHING

    # The head, on Discord: her card offers « remis en place »; staff hear of it.
    hers = await _forged(side, dom, "ntc:view:1")
    card = _posted(side, hers)
    assert card.buttons == [("✅ Matériel remis en place", "ntc:back:1")]
    back = await offline.tap(dom, card, "ntc:back:1")
    said, again = _followups(side, back)
    assert said.content.startswith("✅ Merci")
    assert "N-2026-0001" in said.content
    assert again.buttons == []
    told = "N-2026-0001 — École du Soleil : dom"
    assert told in offline.last_message(staff_dm).content.replace("**", "")
    assert told in world.last_text(camille)
    twice = await _forged(side, dom, "ntc:back:1")
    assert _text(twice) == NOTHING
    async with world.db.uow() as uow:
        done = await uow.session.scalar(select(Notice.done_at))
    assert done is not None


async def test_staff_confirm_a_move_the_inventory_moves(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    sacha = await side.registered(world, "sacha", Role.STAFF)
    claude = await side.registered(world, "claude", Role.COMMUNE)
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    view = await _move(world, "claude")
    await _told(world, view)
    notice = offline.last_message(offline.dm_channel(sacha))
    assert notice.buttons == [
        ("📄 Voir le signalement", "ntc:view:1"),
        ("🚚 Confirmer le déménagement", "ntc:move:1"),
        ("📦 Collecter le matériel des salles", "ntc:collect:1"),
    ]
    for forged in ("ntc:move:1", "ntc:moveok:1", "ntc:moveno:1"):
        assert _text(await _forged(side, zoe, forged)) == FORBIDDEN, forged
    assert _text(await _forged(side, sacha, "ntc:moveno:x")) == STALE

    # Asked, then cancelled: nothing moves.
    asked = await offline.tap(sacha, notice, "ntc:move:1")
    assert _text(asked) == (
        "Confirmer le déménagement de N-2026-0001 : les 5 objets de l'inventaire de"
        " École du Soleil passent à celui de École des Forges ?"
    )
    confirm = _posted(side, asked)
    assert confirm.buttons == [
        ("✅ Confirmer le déménagement de N-2026-0001", "ntc:moveok:1"),
        ("✖️ Annuler", "ntc:moveno:1"),
    ]
    dropped = await offline.tap(sacha, confirm, "ntc:moveno:1")
    assert _followups(side, dropped)[0].content == "C'est annulé. Rien n'a été envoyé."
    assert offline.message(confirm.id).buttons == []
    assert await _school_of(world, "SEM-0001") == "0420001Y"

    # Asked again and confirmed: the inventory moves, the body is told.
    asked = await offline.tap(sacha, notice, "ntc:move:1")
    done = await offline.tap(sacha, _posted(side, asked), "ntc:moveok:1")
    said, again = _followups(side, done)
    assert said.content == "🚚 N-2026-0001 : déménagement enregistré."
    assert "État : pris en compte par la SEM" in again.content
    assert offline.last_message(offline.dm_channel(claude)).content == (
        "🚚 **N-2026-0001** — École du Soleil : la SEM a enregistré le déménagement."
    )
    assert await _school_of(world, "SEM-0001") == "0420003A"
    # The confirmation's buttons are gone; a second tap, and the notice's button: a word.
    assert offline.message(_posted(side, asked).id).buttons == []
    twice = await _forged(side, sacha, "ntc:moveok:1")
    assert _text(twice) == NOTHING
    late = await offline.tap(sacha, notice, "ntc:move:1")
    assert _text(late) == NOTHING


async def test_fibre_ordered_then_done_and_the_network_unplugged(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    camille = await world.registered("Camille", Role.STAFF)  # on Telegram
    sacha = await side.registered(world, "sacha", Role.STAFF)
    claude = await side.registered(world, "claude", Role.COMMUNE)
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    dana = await side.registered(world, "dana", Role.COMMUNE, commune="42095")
    claude_dm, staff_dm = offline.dm_channel(claude), offline.dm_channel(sacha)
    async with world.db.uow() as uow:
        school_id = await uow.session.scalar(select(School.id).where(School.uai == "0420001Y"))
    assert school_id is not None
    fibre = await service.tell_fibre(
        world.db,
        service.TellFibre(await _person_id(world, "claude"), school_id, FibreNews.ELIGIBLE),
        world.clock.now(),
    )
    await _told(world, fibre)
    notice = offline.last_message(staff_dm)
    assert notice.buttons == [
        ("📄 Voir le signalement", "ntc:view:1"),
        ("📡 Migration commandée", "ntc:fibre:1"),
    ]
    ordered = await offline.tap(sacha, notice, "ntc:fibre:1")
    assert offline.last_message(claude_dm).content == (
        "📡 **N-2026-0001** — École du Soleil : la SEM a commandé la migration vers le FTTH."
    )
    card = _followups(side, ordered)[-1]
    assert card.buttons == [("✅ Migration faite", "ntc:fibre:1")]
    await offline.tap(sacha, card, "ntc:fibre:1")
    assert offline.last_message(claude_dm).content == (
        "✅ **N-2026-0001** — École du Soleil : la migration vers le FTTH est faite."
    )
    assert offline.message(notice.id).buttons == []
    assert _text(await _forged(side, sacha, "ntc:fibre:1")) == NOTHING

    # The school network: the body's agent says its equipment unplugged.
    network = await service.ask_disconnection(
        world.db, await _person_id(world, "sacha"), "0420001Y", "Caméra <mairie>", world.clock.now()
    )
    await _told(world, network)
    asked = offline.last_message(claude_dm)
    assert asked.content.startswith("🔌 **N-2026-0002** — École du Soleil : la SEM a trouvé")
    assert asked.buttons == [
        ("📄 Voir le signalement", "ntc:view:2"),
        ("🔌 Matériel débranché", "ntc:off:2"),
    ]
    assert _text(await _forged(side, dana, "ntc:off:2")) == NOT_FOUND
    assert _text(await _forged(side, zoe, "ntc:off:2")) == FORBIDDEN
    unplugged = await offline.tap(claude, asked, "ntc:off:2")
    said = _followups(side, unplugged)[0]
    assert said.content == "🔌 Merci : N-2026-0002 est terminé, la SEM est informée."
    expected = (
        "N-2026-0002 — École du Soleil : claude confirme que le matériel de l'organisme"
        " est débranché du réseau de l'école."
    )
    assert offline.last_message(staff_dm).content == "🔌 **" + expected.replace(" —", "** —", 1)
    assert world.last_text(camille) == "🔌 " + expected
    assert offline.message(asked.id).buttons == []
    assert _text(await _forged(side, claude, "ntc:off:2")) == NOTHING


async def test_staff_plan_a_collection_from_works_on_discord(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    sacha = await side.registered(world, "sacha", Role.STAFF)
    noa = await side.registered(world, "noa", Role.STAFF)
    await side.registered(world, "claude", Role.COMMUNE)
    dom = await side.registered(world, "dom", Role.DIRECTOR)
    await _room(world, "SEM-0005", "salle 2 (fond)")
    view = await _works(world, "claude")  # « salle 2 »: SEM-0004 and SEM-0005
    await _told(world, view)
    staff_dm = offline.dm_channel(sacha)
    notice = offline.last_message(staff_dm)

    # The items in a select, all chosen; « Continuer » with them all; « Annuler ».
    asked = await offline.tap(sacha, notice, "ntc:collect:1")
    assert _text(asked).startswith(
        "📦 **N-2026-0001** — École du Soleil : quels objets la SEM doit-elle collecter"
    )
    menu = _posted(side, asked)
    [select_id, done_id, cancel_id] = menu.custom_ids
    assert select_id.startswith("ntc:cit:")
    options = menu.component(select_id)
    assert [(o["label"], o.get("default")) for o in options["options"]] == [
        ("SEM-0004 (vidéoprojecteur, Epson EB) — Salle 2", True),
        ("SEM-0005 (visualiseur, IPEVO V4K) — salle 2 (fond)", True),
    ]
    assert options["min_values"] == 1 and options["max_values"] == 2
    assert menu.buttons == [
        ("Continuer ▶️ (2 choisis)", done_id),
        ("✖️ Annuler", cancel_id),
    ]

    # One item kept: the place's form; a blank place and one too long are refused.
    opened = await offline.choose(sacha, menu, select_id, ["0"])
    assert opened.modal is not None and opened.modal["title"] == "Lieu de regroupement"
    assert _modal_fields(opened) == {"place": None}
    blank = await offline.submit_modal(sacha, {"place": "   "}, origin=opened)
    assert _text(blank) == "Dites où le matériel est regroupé dans l'école."
    [again] = _posted(side, blank).buttons
    assert again[0] == "✏️ Reprendre le formulaire"
    opened = await offline.tap(sacha, _posted(side, blank), again[1])
    long = await offline.submit_modal(sacha, {"place": "p" * 301}, origin=opened)
    assert _text(long) == "Lieu trop long : 300 caractères au plus."
    opened = await offline.tap(sacha, _posted(side, long), _posted(side, long).buttons[0][1])
    confirmation = await offline.submit_modal(
        sacha, {"place": " Bureau <direction> & placard "}, origin=opened
    )
    assert _text(confirmation) == (
        "Planifier la collecte de 1 objet de la SEM pour N-2026-0001 — École du Soleil ?\n"
        "• `SEM-0004` (vidéoprojecteur, Epson EB) — Salle 2\n"
        "Regroupé : « Bureau \\<direction> & placard »"
    )
    confirm = _posted(side, confirmation)
    ok = _by_label(confirm, "✅ Planifier la collecte")
    assert ok.startswith("ntc:cok:")
    assert [b[1] for b in confirm.buttons] == [ok, ok.replace("cok", "cno")]
    # The select's old nonce is stale now; another staff member's tap finds no draft.
    assert _text(await offline.tap(sacha, menu, done_id)) == STALE
    assert _text(await offline.tap(noa, confirm, ok)) == STALE
    assert await _state(world, "SEM-0004") == "in_service"

    # Planned: said, the flagging's card to staff, a word to the head; once only.
    planned = await offline.tap(sacha, confirm, ok)
    assert _followups(side, planned)[-1].content == (
        "📦 N-2026-0001 : collecte C-2026-0001 planifiée, 1 objet."
        " La tournée se prépare avec /tournees."
    )
    assert any(
        m.content.startswith("📦 Nouveau signalement **C-2026-0001** — École du Soleil")
        for m in offline.messages(staff_dm)
    )
    assert offline.last_message(offline.dm_channel(dom)).content == (
        "📦 **N-2026-0001** — École du Soleil : avant les travaux, la SEM va collecter son"
        " matériel des salles concernées (C-2026-0001) :\n"
        "• `SEM-0004` (vidéoprojecteur, Epson EB) — Salle 2\n"
        "Merci de le regrouper : « Bureau \\<direction> & placard ». La date de passage vous"
        " sera proposée."
    )
    assert await _state(world, "SEM-0004") == "unused"
    assert await _state(world, "SEM-0005") == "in_service"
    async with world.db.uow() as uow:
        collection_id = await uow.session.scalar(select(Notice.collection_id))
    assert collection_id is not None
    assert offline.message(confirm.id).buttons == []
    assert _text(await _forged(side, sacha, ok)) == STALE
    late = await offline.tap(sacha, notice, "ntc:collect:1")
    assert _text(late) == "Une collecte est déjà planifiée pour ce signalement."


async def test_the_collection_dialogue_cancelled_and_its_form_read_after_a_restart(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    sacha = await side.registered(world, "sacha", Role.STAFF)
    await side.registered(world, "claude", Role.COMMUNE)
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    view = await _works(world, "claude")  # SEM-0004 only
    await _told(world, view)
    staff_dm = offline.dm_channel(sacha)
    notice = offline.last_message(staff_dm)

    # « Annuler », then /annuler: each drops the draft.
    menu = _posted(side, await offline.tap(sacha, notice, "ntc:collect:1"))
    cancel = _by_label(menu, "✖️ Annuler")
    no = await offline.tap(sacha, menu, cancel)
    assert _followups(side, no)[0].content == "C'est annulé. Rien n'a été envoyé."
    assert offline.message(menu.id).buttons == []
    assert _text(await _forged(side, sacha, cancel)) == STALE
    menu = _posted(side, await offline.tap(sacha, notice, "ntc:collect:1"))
    opened = await offline.tap(sacha, menu, _by_label(menu, "Continuer ▶️ (1 choisi)"))
    asked = await offline.submit_modal(sacha, {"place": "Salle des maîtres"}, origin=opened)
    confirm = _posted(side, asked)
    cancelled = await offline.slash(sacha, "annuler", {}, channel=staff_dm)
    assert _text(cancelled) == "C'est annulé. Rien n'a été envoyé."
    ok = _by_label(confirm, "✅ Planifier la collecte")
    assert _text(await offline.tap(sacha, confirm, ok)) == STALE

    # The place's form opened before a restart, sent after it: read as it reads.
    menu = _posted(side, await offline.tap(sacha, notice, "ntc:collect:1"))
    opened = await offline.tap(sacha, menu, _by_label(menu, "Continuer ▶️ (1 choisi)"))
    await _restart(world, side)
    blank = await offline.submit_modal(sacha, {"place": " "}, origin=opened)
    assert _text(blank) == "Dites où le matériel est regroupé dans l'école."
    opened = await offline.tap(sacha, _posted(side, blank), _posted(side, blank).buttons[0][1])
    await _restart(world, side)
    asked = await offline.submit_modal(sacha, {"place": "Préau"}, origin=opened)
    assert _text(asked).startswith("Planifier la collecte de 1 objet de la SEM pour N-2026-0001")
    confirm = _posted(side, asked)
    nonce = _by_label(confirm, "✅ Planifier la collecte").split(":")[2]
    # Forged forms: a teacher, another's draft, a mask beyond the items, a bad nonce.
    for who, custom_id, said_back in (
        (zoe, f"ntc:cpf:{nonce}:1", FORBIDDEN),
        (sacha, f"ntc:cpf:{nonce}:2", STALE),
        (sacha, f"ntc:cpf:{nonce}:0", STALE),
        (sacha, "ntc:cpf:zz:1", STALE),
        (sacha, f"ntc:cpf:{nonce}", STALE),
    ):
        refused = await _forged_form(side, who, custom_id, place="X")
        assert _text(refused) == said_back, custom_id
    planned = await offline.tap(sacha, confirm, _by_label(confirm, "✅ Planifier la collecte"))
    assert _followups(side, planned)[-1].content.startswith(
        "📦 N-2026-0001 : collecte C-2026-0001 planifiée, 1 objet."
    )
    assert await _state(world, "SEM-0004") == "unused"
