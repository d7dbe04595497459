"""SEM's stock and its reassignments, played on Telegram (art. 1: « réattribuer le
matériel non utilisé »): staff list the stock, pick an item, choose the school and
confirm; the receiving school's head is told and confirms reception; staff may cancel
before it. Refusals: a teacher's /stock, bad arguments, forged buttons."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.domain.roles import Role
from bot.services import equipment_moves
from handlers.telegram.offline import SimUser
from storage.models import Equipment, Reassignment
from tests.conversations.conftest import World
from tests.conversations.test_claim_follow_steps import _step

TO_STOCK = ("unused", "awaiting_collection", "collected", "in_stock")


def _t(world: World, key: str, **params: object) -> str:
    return str(world.app.bot_data["services"].i18n.t("fr", key, **params))


async def _in_stock(world: World, *tags: str) -> None:
    """Items collected unused, as a round brings them into the stock."""
    async with world.db.uow() as uow:
        for tag in tags:
            item = await uow.directory.equipment_by_tag(tag)
            assert item is not None
            for state in TO_STOCK:
                await equipment_moves.move(uow, item, state, actor=None, now=world.clock.now())
        await uow.commit()


async def _item(world: World, tag: str) -> Equipment:
    async with world.db.uow() as uow:
        item = await uow.directory.equipment_by_tag(tag)
        assert item is not None
        return item


async def _people(world: World) -> tuple[SimUser, SimUser]:
    await _in_stock(world, "SEM-0003", "SEM-0004")
    staff = await world.registered("Sacha", Role.STAFF)
    luc = await world.registered("Luc", Role.DIRECTOR, school="0420002Z")  # La Lune's head
    return staff, luc


async def test_staff_reassign_an_item_of_the_stock_and_the_head_confirms_reception(
    world: World,
) -> None:
    api = world.api
    staff, luc = await _people(world)

    await api.send_text(staff, "/stock")
    listing = api.last(staff.id)
    text = listing.text or ""
    assert text.startswith("📦 Stock de Saint-Étienne Métropole : 2 objets réutilisables")
    assert "• Ordinateur portable : 1 — 3 ans" in text  # bought 15/01/2023, on 10/03/2026
    assert "• Vidéoprojecteur : 1 — 7 ans" in text
    assert (
        "SEM-0003 ordinateur portable, ThinkPad E14 — 3 ans — provenance : École du Soleil" in text
    )
    assert listing.button_texts == ["↪️ Réattribuer SEM-0003", "↪️ Réattribuer SEM-0004"]

    await api.tap(staff, listing, "↪️ Réattribuer SEM-0003")
    asked = world.last_text(staff)
    assert asked.startswith("↪️ À quelle école réattribuer SEM-0003")
    assert "Aucune école n'a demandé de matériel de ce type pour l'instant." in asked
    assert _step(world, "stock_reassign", staff) == "stk_school"
    # Nothing matches: said, and asked again; an unknown UAI too; a photo is no answer.
    await api.send_text(staff, "Zanzibar")
    assert world.last_text(staff).startswith("Aucune école ne correspond à « Zanzibar ».")
    await api.send_text(staff, "0429999z")
    assert world.last_text(staff).startswith("Aucune école n'a l'UAI 0429999Z.")
    await api.send_text(staff, "0420001Y")  # the school it came from
    assert world.last_text(staff) == _t(world, "stock.error.same_school")
    await api.send_photo(staff, caption=None)
    assert world.last_text(staff).startswith("Ce n'est pas ce que j'attends.")
    assert _step(world, "stock_reassign", staff) == "stk_school"
    # Part of a name: the schools that match, as buttons.
    await api.send_text(staff, "lune")
    assert api.last(staff.id).button_texts == ["École de la Lune (0420002Z)"]
    await api.tap(staff, api.last(staff.id), "École de la Lune (0420002Z)")
    assert world.last_text(staff).startswith(
        "Réattribuer SEM-0003 (ordinateur portable, ThinkPad E14) à l'école École de la Lune"
        " (0420002Z, Saint-Étienne) ?"
    )
    await api.tap(
        staff, api.last(staff.id), "✅ Réattribuer SEM-0003 à École de la Lune (0420002Z)"
    )
    assert world.last_text(staff).startswith(
        "✅ SEM-0003 réattribué à École de la Lune (0420002Z). 1 personne de la direction de"
        " l'école en a été informée"
    )
    assert _step(world, "stock_reassign", staff) is None

    told = api.last(luc.id)
    assert (told.text or "").startswith(
        "📦 Matériel réattribué à votre école École de la Lune (0420002Z) : ordinateur portable"
        " ThinkPad E14, n° d'inventaire SEM-0003"
    )
    item = await _item(world, "SEM-0003")
    assert item.state == "reassigned" and item.school_id == world.ids["lune"]

    await api.tap(luc, told, "✅ Reçu")
    assert world.last_text(luc) == (
        "✅ Merci : la réception de SEM-0003 (ordinateur portable) est enregistrée, il est en"
        " service à l'inventaire de l'école École de la Lune depuis le mardi 10 mars 2026."
    )
    assert next(m for m in api.messages(luc.id) if m.message_id == told.message_id).buttons == []
    assert world.last_text(staff).startswith(
        "✅ SEM-0003 (ordinateur portable) reçu par l'école École de la Lune (0420002Z) le"
        " mardi 10 mars 2026, confirmé par Luc"
    )
    item = await _item(world, "SEM-0003")
    assert item.state == "in_service" and item.installed_on == date(2026, 3, 10)
    # The same button again (an old copy of the message): a word, not an error.
    await api.forge_callback(luc, told.message_id, told.buttons[0][0][1])
    assert world.last_text(luc).startswith("C'est déjà fait : la réception de SEM-0003")
    api.assert_no_refusals()

    # The stock no longer lists it.
    await api.send_text(staff, "/stock")
    assert "1 objet réutilisable" in world.last_text(staff)


async def test_reattribuer_goes_straight_to_the_confirmation_and_can_be_undone(
    world: World,
) -> None:
    api = world.api
    staff, luc = await _people(world)
    usage = _t(world, "stock.error.usage")
    for typed in ("/reattribuer", "/reattribuer SEM-0004", "/reassign a b c"):
        await api.send_text(staff, typed)
        assert world.last_text(staff) == usage, typed
        assert _step(world, "stock_reassign", staff) is None
    await api.send_text(staff, "/reattribuer SEM-0001 0420002Z")
    assert world.last_text(staff) == (
        "SEM-0001 n'est pas dans le stock (il est en service) : seul le matériel réutilisable"
        " du stock peut être réattribué."
    )
    await api.send_text(staff, "/reattribuer SEM-0004 42")
    assert world.last_text(staff).startswith("« 42 » n'est pas un UAI")
    assert _step(world, "stock_reassign", staff) is None
    # The confirmation's « Annuler »: nothing is written.
    await api.send_text(staff, "/reattribuer sem-0004 0420002z")
    await api.tap(staff, api.last(staff.id), "✖️ Annuler")
    assert world.last_text(staff) == _t(world, "common.cancelled")
    async with world.db.uow() as uow:
        assert (await uow.session.scalars(select(Reassignment))).all() == []

    await api.send_text(staff, "/reassign SEM-0004 0420002Z")
    await api.tap(
        staff, api.last(staff.id), "✅ Réattribuer SEM-0004 à École de la Lune (0420002Z)"
    )
    done = api.last(staff.id)
    # Cancelled before reception, asked first: back in stock, the head told.
    await api.tap(staff, done, "↩️ Annuler la réattribution")
    assert world.last_text(staff).startswith("Annuler l'envoi de SEM-0004 (vidéoprojecteur)")
    await api.tap(staff, api.last(staff.id), "✅ Oui, annuler l'envoi de SEM-0004")
    assert world.last_text(staff) == (
        "↩️ Envoi de SEM-0004 à École de la Lune annulé : l'objet est de retour dans le stock."
    )
    assert "ne sera finalement pas envoyé" in world.last_text(luc)
    item = await _item(world, "SEM-0004")
    assert item.state == "in_stock" and item.school_id == world.ids["soleil"]
    # The head's « Reçu » of the first message now says it was cancelled.
    coming = next(m for m in api.messages(luc.id) if "✅ Reçu" in m.button_texts)
    await api.tap(luc, coming, "✅ Reçu")
    assert world.last_text(luc) == _t(world, "stock.error.cancelled")
    # Cancelling twice is a word.
    await api.tap(staff, done, "↩️ Annuler la réattribution")
    assert world.last_text(staff).startswith("C'est déjà fait : l'envoi de SEM-0004")
    api.assert_no_refusals()


async def _said(world: World, user: SimUser, data: str) -> str:
    """What the bot says to ``user`` after a button carrying ``data`` is forged."""
    api = world.api
    await api.send_text(user, "/aide")
    message = api.last(user.id)
    api.clear()
    await api.forge_callback(user, message.message_id, data)
    api.assert_no_refusals()
    said = [
        str(s.params.get("text", ""))
        for s in api.sent
        if s.method in ("answerCallbackQuery", "sendMessage") and s.params.get("text")
    ]
    return "\n".join(said)


async def test_a_teacher_and_forged_buttons_change_nothing(world: World) -> None:
    api = world.api
    staff, luc = await _people(world)
    zoe = await world.registered("Zoé", Role.TEACHER)
    dora = await world.registered("Dora", Role.DIRECTOR)  # École du Soleil's head
    forbidden = _t(world, "common.error.forbidden")
    stale = _t(world, "common.stale_button")
    for typed in ("/stock", "/reattribuer SEM-0003 0420002Z", "/reassign"):
        await api.send_text(zoe, typed)
        assert world.last_text(zoe) == forbidden, typed
    item = await _item(world, "SEM-0003")
    for data in (f"stk:pick:{item.id}", "stk:page:1", "stk:undo:1", "stk:undook:1"):
        assert forbidden in await _said(world, zoe, data), data
    assert _step(world, "stock_reassign", zoe) is None

    await api.send_text(staff, "/reattribuer SEM-0003 0420002Z")
    await api.tap(staff, api.last(staff.id), 0)
    async with world.db.uow() as uow:
        sent = await uow.session.scalar(select(Reassignment))
    assert sent is not None
    # A teacher may not confirm reception; another school's head reads « introuvable ».
    assert forbidden in await _said(world, zoe, f"stk:recv:{sent.id}")
    assert _t(world, "stock.error.not_found") in await _said(world, dora, f"stk:recv:{sent.id}")
    # Ids that are not rows, or beyond what the database holds.
    assert _t(world, "stock.error.not_found") in await _said(world, luc, "stk:recv:999")
    for data in ("stk:recv:9999999999", "stk:recv:abc", "stk:pick:-1", "stk:recv:1:2"):
        assert stale in await _said(world, luc, data), data
    assert _t(world, "stock.error.item_gone") in await _said(world, staff, f"stk:pick:{item.id}")
    # A school button this dialogue did not offer.
    await api.send_text(staff, "/stock")
    await api.tap(staff, api.last(staff.id), "↪️ Réattribuer SEM-0004")
    assert stale in await _said(world, staff, f"stk:to:{world.ids['forges']}")
    assert _step(world, "stock_reassign", staff) == "stk_school"
    item = await _item(world, "SEM-0003")
    assert item.state == "reassigned"
