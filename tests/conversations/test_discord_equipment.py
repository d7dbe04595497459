"""Staff's equipment and notice tools on Discord, over the same services as Telegram's:
/suspensions (hold a flagged school's replacements, the reason and the lift's note in a
modal, the body's agent told on their own platform), /formations (« ✅ Fait », the
export), /reseau (the unplug request to the school's body). Each refuses a person who is
not staff with Telegram's text, and each bad input is answered, never with a failure."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.domain.roles import Role
from handlers.discord.offline.api import InteractionRecord, PostedMessage
from handlers.discord.render import markdown
from storage.models import Notice, SecurityHold, TrainingNeed
from tests.conversations.conftest import DiscordSide, World
from tests.conversations.test_classes import _tell_closure
from tests.conversations.test_security_holds import _three_claims_at_soleil
from tests.conversations.test_stock import _in_stock, _item

EPHEMERAL = 1 << 6
FORBIDDEN = "Vous n'avez pas accès à cette action."


def _messages(side: DiscordSide, record: InteractionRecord) -> list[PostedMessage]:
    ids = [i for i in [record.original_id, *record.followup_ids] if i is not None]
    return [side.discord.message(i) for i in ids]


def _text(side: DiscordSide, record: InteractionRecord) -> str:
    if record.response_type == 4 and record.response is not None and not record.followup_ids:
        return str(record.response["data"].get("content") or "")
    return "\n".join(m.content for m in _messages(side, record))


def _buttons(message: PostedMessage) -> dict[str, str]:
    """custom id → label of every button of a message."""
    found: dict[str, str] = {}
    for row in message.data.get("components") or []:
        for component in row.get("components") or []:
            if component.get("type") == 2:
                found[component["custom_id"]] = component["label"]
    return found


def _button(message: PostedMessage, prefix: str) -> str:
    (found,) = [c for c in _buttons(message) if c.startswith(prefix)]
    return found


def _t(world: World, key: str, **params: Any) -> str:
    return str(world.app.bot_data["services"].i18n.t("fr", key, **params))


async def _notices(world: World) -> int:
    async with world.db.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Notice)) or 0)


async def _staff(world: World, side: DiscordSide) -> Any:
    return await side.registered(world, "sacha", Role.STAFF)


# --- /suspensions ----------------------------------------------------------------------------


async def test_staff_hold_a_flagged_school_from_discord_and_lift_it(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    _, agent, _ = await _three_claims_at_soleil(world)
    sacha = await _staff(world, side)
    offline = side.discord

    listed = await offline.slash(sacha, "suspensions", channel=side.hall)
    assert _text(side, listed) == markdown(
        "<b>Sécurisation des locaux (art. 6)</b>\n"
        "\n🚨 <b>Écoles au-dessus du seuil, sans suspension</b>\n"
        "• École du Soleil (0420001Y, Saint-Étienne) : 3 vols et dommages en 12 mois"
    )
    (shown,) = _messages(side, listed)
    assert shown.ephemeral
    place = f"hold:place:{world.ids['soleil']}"
    assert _buttons(shown) == {place: "⛔ Suspendre : École du Soleil"}

    # The reason in a modal; an empty one is refused with Telegram's text, and offered again.
    asked = await offline.tap(sacha, shown, place)
    assert asked.modal is not None and asked.modal["title"] == "⛔ Suspendre : École du Soleil"
    empty = await offline.submit_modal(sacha, {"reason": "   "})
    assert _text(side, empty) == "Écrivez le motif de la suspension, en quelques mots."
    (refused,) = _messages(side, empty)
    again = await offline.tap(sacha, refused, place)
    assert again.modal is not None
    written = await offline.submit_modal(sacha, {"reason": "Trois effractions par la cour"})
    assert _text(side, written) == markdown(
        "Suspendre tout remplacement de matériel pour l'école <b>École du Soleil</b> (0420001Y) ?"
        "\nMotif : Trois effractions par la cour\nLes agents de l'organisme responsable seront"
        " invités à améliorer la sécurisation des locaux, avec un rappel tous les 30 jours tant"
        " que la suspension dure."
    )
    (confirm,) = _messages(side, written)
    ok = _button(confirm, "hold:ok:")
    assert _buttons(confirm)[ok] == "✅ Suspendre les remplacements"
    done = await offline.tap(sacha, confirm, ok)
    assert _text(side, done) == (
        "⛔ Remplacements suspendus pour l'école École du Soleil."
        " Les agents de Saint-Étienne en ont été informés."
    )
    # The body's agent, on Telegram, got it through the router.
    assert world.last_text(agent).startswith(
        "🔒 Remplacement du matériel suspendu — École du Soleil (0420001Y)"
    )
    # The same « Confirmer » twice holds nothing more.
    twice = await offline.tap(sacha, confirm, ok)
    assert _text(side, twice) == world.app.bot_data["services"].i18n.t("fr", "common.stale_button")
    async with world.db.uow() as uow:
        held = list((await uow.session.scalars(select(SecurityHold))).all())
    assert [(h.reason, h.lifted_at) for h in held] == [("Trois effractions par la cour", None)]

    # Lifting: the note in a modal, the confirmation, the agent told.
    listed = await offline.slash(sacha, "suspensions", channel=side.hall)
    (shown,) = _messages(side, listed)
    lift = f"hold:lift:{held[0].id}"
    assert _buttons(shown) == {lift: "🔓 Lever : École du Soleil"}
    assert "Trois effractions par la cour" in shown.content
    await offline.tap(sacha, shown, lift)
    too_long = await offline.submit_modal(sacha, {"note": "x" * 1001})
    assert _text(side, too_long).startswith("Ce texte est trop long")
    await offline.tap(sacha, _messages(side, too_long)[0], lift)
    noted = await offline.submit_modal(sacha, {"note": "Alarme posée"})
    assert _text(side, noted) == markdown(
        "Lever la suspension des remplacements de l'école <b>École du Soleil</b> ?"
        "\nNote : Alarme posée"
    )
    (confirm,) = _messages(side, noted)
    lifted = await offline.tap(sacha, confirm, _button(confirm, "hold:ok:"))
    assert _text(side, lifted) == (
        "🔓 Suspension levée pour l'école École du Soleil. Les agents de Saint-Étienne en ont été"
        " informés."
    )
    assert world.last_text(agent).startswith("🔓 La suspension est levée")
    # An old « Lever » button: the service says it is lifted already.
    late = await offline.tap(sacha, shown, lift)
    assert _text(side, late) == "Cette suspension est déjà levée."


async def test_suspensions_refuse_who_is_not_staff_and_unknown_ids(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    await _three_claims_at_soleil(world)
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    refused = await side.discord.slash(zoe, "suspensions", channel=side.hall)
    assert _text(side, refused) == FORBIDDEN
    sacha = await _staff(world, side)
    listed = await side.discord.slash(sacha, "suspensions", channel=side.hall)
    (shown,) = _messages(side, listed)
    place = f"hold:place:{world.ids['soleil']}"
    # The teacher taps staff's button (ids are never trusted): refused.
    tapped = await side.discord.tap(zoe, shown, place)
    assert _text(side, tapped) == FORBIDDEN and tapped.modal is None
    # A school that is not flagged cannot be held; an id of nothing is stale.
    lune = await _forged(side, sacha, f"hold:place:{world.ids['lune']}")
    assert _text(side, lune) == (
        "Cette école ne dépasse pas le seuil de fréquence des vols et dommages (3 en 12 mois) :"
        " ses remplacements ne peuvent pas être suspendus."
    )
    assert lune.modal is None
    nothing = await _forged(side, sacha, "hold:lift:999999")
    assert _text(side, nothing) == "Cette suspension est introuvable."
    junk = await _forged(side, sacha, "hold:ok:zz")
    assert _text(side, junk) == world.app.bot_data["services"].i18n.t("fr", "common.stale_button")
    async with world.db.uow() as uow:
        assert list((await uow.session.scalars(select(SecurityHold))).all()) == []


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


# --- /formations -----------------------------------------------------------------------------


async def test_staff_mark_a_training_need_done_and_export_them_from_discord(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    api = world.api
    offline = side.discord
    head = await world.registered("Dora", Role.DIRECTOR)
    sacha = await _staff(world, side)
    none = await offline.slash(sacha, "formations", channel=side.hall)
    assert _text(side, none) == markdown(_t(world, "training.none"))

    await _tell_closure(world, head)
    await api.send_text(head, "/classe")
    await api.tap(head, api.last(head.id), "Changement de poste")
    await api.send_text(head, "Deux enseignants arrivent en CE1")
    await api.tap(head, api.last(head.id), "✅ Signaler le changement de poste")

    listed = await offline.slash(sacha, "formations", channel=side.hall)
    head_line, listing, hint = _messages(side, listed)
    assert head_line.content.startswith("🎓 **2 besoins de formation en attente**, par école.")
    assert listing.content == markdown(
        "🏫 <b>École du Soleil</b> (0420001Y), Saint-Étienne\n"
        "1. École du Soleil (0420001Y) — changement de structure (fermeture de classe) — CM1 B"
        " — mardi 10 mars 2026 (N-2026-0001)\n"
        "2. École du Soleil (0420001Y) — changement de poste — Deux enseignants arrivent"
        " en CE1 — mardi 10 mars 2026"
    )
    async with world.db.uow() as uow:
        needs = list(await uow.session.scalars(select(TrainingNeed).order_by(TrainingNeed.id)))
    first, second = (f"trn:done:{n.id}" for n in needs)
    assert _buttons(listing) == {first: "✅ Fait : n° 1", second: "✅ Fait : n° 2"}
    done = await offline.tap(sacha, listing, first)
    assert _text(side, done) == (
        "✅ Besoin de formation fait : École du Soleil — changement de structure"
        " (fermeture de classe)."
    )
    # The used « Fait » left the list; the other stays.
    assert _buttons(offline.message(listing.id)) == {second: "✅ Fait : n° 2"}
    # The old button again (a copy of the list) or an id of nothing: a word, no change.
    again = await _forged(side, sacha, first)
    assert _text(side, again) == _t(world, "training.already_done", day="mardi 10 mars 2026")
    nothing = await _forged(side, sacha, "trn:done:999999")
    assert _text(side, nothing) == _t(world, "notice.error.training_not_found")

    exported = await offline.tap(sacha, hint, "trn:export")
    shown = _messages(side, exported)
    assert shown[0].content == "📥 2 besoins de formation exportés :"
    (attachment,) = shown[-1].attachments
    assert attachment["filename"] == "besoins-de-formation-2026-03-10.xlsx"
    sheet = load_workbook(io.BytesIO(offline.download(attachment["url"])))["Besoins de formation"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert [r[:5] for r in rows[1:]] == [
        [
            "École du Soleil",
            "0420001Y",
            "Saint-Étienne",
            "changement de structure (fermeture de classe)",
            "CM1 B",
        ],
        [
            "École du Soleil",
            "0420001Y",
            "Saint-Étienne",
            "changement de poste",
            "Deux enseignants arrivent en CE1",
        ],
    ]

    # A teacher: neither the list nor its buttons.
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    assert _text(side, await offline.slash(zoe, "formations", channel=side.hall)) == FORBIDDEN
    for data in (second, "trn:export"):
        assert _text(side, await _forged(side, zoe, data)) == FORBIDDEN
    async with world.db.uow() as uow:
        still = await uow.session.get(TrainingNeed, needs[1].id)
        assert still is not None and still.done_at is None


# --- /reseau ---------------------------------------------------------------------------------


async def test_staff_ask_a_body_to_unplug_from_discord_and_its_agent_hears_on_telegram(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    agent = await world.registered("Claude", Role.COMMUNE)
    sacha = await _staff(world, side)

    # Bad inputs: not a UAI, a school that does not exist, a text too long; nothing written.
    bad = await offline.slash(
        sacha, "reseau", {"ecole": "42", "texte": "Caméra"}, channel=side.hall
    )
    assert _text(side, bad) == "UAI invalide « 42 » (7 chiffres et une lettre, ex. 0421234A)"
    unknown = await offline.slash(
        sacha, "reseau", {"ecole": "0429999Q", "texte": "Caméra"}, channel=side.hall
    )
    assert _text(side, unknown) == "Je ne trouve pas d'école de code UAI « 0429999Q »."
    long = await offline.slash(
        sacha, "reseau", {"ecole": "0420001Y", "texte": "x" * 3000}, channel=side.hall
    )
    assert _text(side, long).startswith("Description trop longue")
    assert await _notices(world) == 0

    asked = await offline.slash(
        sacha,
        "reseau",
        {"ecole": "0420001y", "texte": "Chaudière <mairie> & caméra sur le switch"},
        channel=side.hall,
    )
    (confirm,) = _messages(side, asked)
    assert confirm.ephemeral
    assert confirm.content == markdown(
        _t(
            world,
            "notice.network.confirm",
            body="Saint-Étienne",
            school="École du Soleil",
            uai="0420001Y",
            commune="Saint-Étienne",
            text="Chaudière <mairie> & caméra sur le switch",
        )
    )
    assert await _notices(world) == 0  # nothing written before the confirmation
    ok = _button(confirm, "net:ok:")
    assert _buttons(confirm)[ok] == "✅ Demander le débranchement"
    sent = await offline.tap(sacha, confirm, ok)
    assert (
        _text(side, sent) == "🔌 N-2026-0001 : demande envoyée à Saint-Étienne (1 agent prévenu)."
    )
    told = world.api.last(agent.id)
    assert (told.text or "").startswith("🔌 N-2026-0001 — École du Soleil : la SEM a trouvé")
    assert "🔌 Matériel débranché" in told.button_texts
    twice = await offline.tap(sacha, confirm, ok)
    assert _text(side, twice) == _t(world, "common.stale_button")
    assert await _notices(world) == 1

    # « Annuler » writes nothing; a teacher is refused, on the command and on the button.
    again = await offline.slash(
        sacha, "reseau", {"ecole": "0420001Y", "texte": "Caméra"}, channel=side.hall
    )
    (confirm,) = _messages(side, again)
    cancelled = await offline.tap(sacha, confirm, _button(confirm, "net:no:"))
    assert _text(side, cancelled) == _t(world, "common.cancelled")
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    refused = await offline.slash(
        zoe, "reseau", {"ecole": "0420001Y", "texte": "Caméra"}, channel=side.hall
    )
    assert _text(side, refused) == FORBIDDEN
    assert _text(side, await _forged(side, zoe, "net:ok:abcd")) == FORBIDDEN
    assert await _notices(world) == 1


# --- /stock and /reattribuer -----------------------------------------------------------------


async def test_staff_reassign_from_discords_stock_and_the_discord_head_confirms_reception(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    await _in_stock(world, "SEM-0003", "SEM-0004")
    sacha = await _staff(world, side)
    luc = await side.registered(world, "luc", Role.DIRECTOR, school="0420002Z")

    listed = await offline.slash(sacha, "stock", channel=side.hall)
    (listing,) = _messages(side, listed)
    assert listing.ephemeral
    assert listing.content.startswith(
        "📦 **Stock de Saint-Étienne Métropole** : 2 objets réutilisables\n"
    )
    assert "• Ordinateur portable : 1 — 3 ans" in listing.content
    assert "• Vidéoprojecteur : 1 — 7 ans" in listing.content
    item = await _item(world, "SEM-0003")
    pick = f"stk:pick:{item.id}"
    assert sorted(_buttons(listing).values()) == [
        "↪️ Réattribuer SEM-0003",
        "↪️ Réattribuer SEM-0004",
    ]
    # A page beyond the stock: its last page.
    far = await offline.slash(sacha, "stock", {"page": 99}, channel=side.hall)
    assert _text(side, far) == listing.content

    asked = await offline.tap(sacha, listing, pick)
    (question,) = _messages(side, asked)
    assert question.content.startswith(
        markdown("↪️ À quelle école réattribuer <code>SEM-0003</code>")
    )
    assert "Aucune école n'a demandé de matériel de ce type pour l'instant." in question.content
    find = f"stk:find:{item.id}"
    assert _buttons(question) == {find: "🔎 Une autre école"}  # nobody asked: no menu
    # Typed: a name that matches nothing, the school it came from, then part of a name.
    await offline.tap(sacha, question, find)
    none = await offline.submit_modal(sacha, {"school": "Zanzibar"})
    assert _text(side, none).startswith("Aucune école ne correspond à « Zanzibar ».")
    await offline.tap(sacha, _messages(side, none)[0], find)
    same = await offline.submit_modal(sacha, {"school": "0420001Y"})
    assert _text(side, same) == markdown(_t(world, "stock.error.same_school"))
    await offline.tap(sacha, _messages(side, same)[0], find)
    found = await offline.submit_modal(sacha, {"school": "lune"})
    (menu,) = _messages(side, found)
    chosen = await offline.choose(sacha, menu, f"stk:to:{item.id}", ["0420002Z"])
    (confirm,) = _messages(side, chosen)
    assert confirm.content.startswith(
        markdown(
            "Réattribuer <code>SEM-0003</code> (ordinateur portable, ThinkPad E14) à l'école"
            " École de la Lune (0420002Z, Saint-Étienne) ?"
        )
    )
    ok = _button(confirm, "stk:ok:")
    assert _buttons(confirm)[ok] == "✅ Réattribuer SEM-0003 à École de la Lune (0420002Z)"
    done = await offline.tap(sacha, confirm, ok)
    assert _text(side, done) == (
        "✅ `SEM-0003` réattribué à École de la Lune (0420002Z). 1 personne de la direction de"
        " l'école en a été informée ; l'objet sera mis en service à sa réception."
    )
    twice = await offline.tap(sacha, confirm, ok)
    assert _text(side, twice) == _t(world, "common.stale_button")

    # Luc, the receiving head, on Discord: told, « ✅ Reçu » there.
    await offline.settle()
    told = offline.last_message(offline.dm_channel(luc))
    assert told.content.startswith(
        "📦 **Matériel réattribué à votre école** École de la Lune (0420002Z) : ordinateur"
        " portable ThinkPad E14, n° d'inventaire"
    )
    receive = _button(told, "stk:recv:")
    got = await offline.tap(luc, told, receive)
    assert _text(side, got) == (
        "✅ Merci : la réception de `SEM-0003` (ordinateur portable) est enregistrée, il est en"
        " service à l'inventaire de l'école École de la Lune depuis le mardi 10 mars 2026."
    )
    again = await offline.tap(luc, told, receive)
    assert _text(side, again).startswith("C'est déjà fait : la réception de `SEM-0003`")
    moved = await _item(world, "SEM-0003")
    assert moved.state == "in_service" and moved.school_id == world.ids["lune"]
    # A teacher may not list the stock, nor take its buttons.
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    assert _text(side, await offline.slash(zoe, "stock", channel=side.hall)) == FORBIDDEN
    assert _text(side, await _forged(side, zoe, pick)) == FORBIDDEN
    assert _text(side, await _forged(side, sacha, "stk:pick:99999999999")) == _t(
        world, "common.stale_button"
    )


async def test_reattribuer_on_discord_checks_its_options_and_can_be_undone(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    await _in_stock(world, "SEM-0003", "SEM-0004")
    sacha = await _staff(world, side)

    async def said(tag: str, school: str) -> InteractionRecord:
        return await offline.slash(
            sacha, "reattribuer", {"etiquette": tag, "ecole": school}, channel=side.hall
        )

    assert _text(side, await said("SEM-0001", "0420002Z")) == (
        "`SEM-0001` n'est pas dans le stock (il est en service) : seul le matériel réutilisable"
        " du stock peut être réattribué."
    )
    assert _text(side, await said("SEM-0004", "42")).startswith("« 42 » n'est pas un UAI")
    assert _text(side, await said(" ", "0420002Z")) == markdown(_t(world, "stock.error.usage"))
    cancelled = await said("sem-0004", "0420002z")
    (confirm,) = _messages(side, cancelled)
    no = await offline.tap(sacha, confirm, _button(confirm, "stk:no:"))
    assert _text(side, no) == _t(world, "common.cancelled")
    assert (await _item(world, "SEM-0004")).state == "in_stock"

    sent = await said("SEM-0004", "0420002Z")
    (confirm,) = _messages(side, sent)
    done = await offline.tap(sacha, confirm, _button(confirm, "stk:ok:"))
    (answered,) = _messages(side, done)
    assert answered.content == markdown(  # no head of La Lune is registered
        _t(
            world,
            "stock.done_nobody_told",
            tag="SEM-0004",
            school="École de la Lune",
            uai="0420002Z",
        )
    )
    undo = _button(answered, "stk:undo:")
    asked = await offline.tap(sacha, answered, undo)
    (question,) = _messages(side, asked)
    kept = await offline.tap(sacha, question, _button(question, "stk:keep:"))
    assert _text(side, kept) == markdown(_t(world, "stock.kept", tag="SEM-0004"))
    undone = await offline.tap(sacha, question, _button(question, "stk:undook:"))
    assert _text(side, undone) == markdown(
        _t(
            world,
            "stock.cancelled_done",
            tag="SEM-0004",
            school="École de la Lune",
            uai="0420002Z",
        )
    )
    assert (await _item(world, "SEM-0004")).state == "in_stock"
    # The same « Annuler l'envoi » again: already cancelled, said.
    late = await offline.tap(sacha, answered, undo)
    assert _text(side, late) == markdown(
        _t(
            world,
            "stock.cancelled_already",
            tag="SEM-0004",
            school="École de la Lune",
            uai="0420002Z",
        )
    )
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    refused = await offline.slash(
        zoe, "reattribuer", {"etiquette": "SEM-0003", "ecole": "0420002Z"}, channel=side.hall
    )
    assert _text(side, refused) == FORBIDDEN
