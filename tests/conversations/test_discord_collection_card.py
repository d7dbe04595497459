"""A flagging's card and its actions on Discord, over the same services as Telegram.

A teacher on Discord flags a SEM tablet broken and the commune's desktop broken (two
flaggings, /collecte). Staff on Discord open the first from the notice's « Voir » (the
card, its timeline, their repair and recycle buttons), choose recycling: it is said, the
buttons of the card follow, the card is shown again. The commune's agent on Discord says
his desktop removed: the receipt's form refuses a number too long and one with no letter
or digit in the domain's words and offers the form again (and « Sans bon »), then the
confirmation names the count, the number and the tag; « Oui » records it once, staff (on
Discord and on Telegram) are told; the same confirmation again is stale. A teacher with
the buttons' ids and another commune's agent are refused.

Without a receipt: the agent on Discord leaves the form empty or taps « Sans bon »; his
confirmation is dropped by /annuler and by « Annuler »; the commune's other agent, on
Telegram, confirms his own from Telegram's dialogue, staff on Discord are told.

After a restart, a form opened before it is rebuilt and read (a forged one checked like
a forged button).

Withdrawal: the reporter opens her card from her /collecte answer, gives a blank reason
and one too long (refused, the form offered again), confirms; staff on Discord and on
Telegram hear of it, not she; another school's teacher finds nothing, and a confirmation
tapped twice is stale.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.domain.roles import Role
from handlers.discord.offline.api import InteractionRecord
from storage.models import CollectionItem, EquipmentMove
from tests.conversations.conftest import DiscordSide, World
from tests.conversations.test_collections import _commune_items, _state
from tests.conversations.test_discord_claims import _by_label, _modal_fields, _text
from tests.conversations.test_discord_lost_forms import _forged as _forged_form
from tests.conversations.test_discord_lost_forms import _restart
from tests.conversations.test_discord_photos import _forged

STALE = "Ce bouton n'est plus valable."
FORBIDDEN = "Vous n'avez pas accès à cette action."
NOT_FOUND = "Je ne trouve pas ce signalement."
EPHEMERAL = 1 << 6
HEAD = (
    "📦 **C-2026-0001** — matériel inutilisé ou en panne\n"
    "École : École du Soleil (0420001Y), Saint-Étienne\n"
    "Signalé par zoe le mardi 10 mars 2026 à 10:00\n"
    "État : en attente\n\n"
    "Lieu de regroupement : Salle 12\n"
    "Remise possible : non précisé\n\n"
    "**1 objet**\n"
)


def _posted(side: DiscordSide, record: InteractionRecord) -> Any:
    assert record.original_id is not None
    return side.discord.message(record.original_id)


def _followups(side: DiscordSide, record: InteractionRecord) -> list[Any]:
    return [side.discord.message(i) for i in record.followup_ids]


async def _flag(side: DiscordSide, user: Any, tag: str) -> InteractionRecord:
    """``user`` flags ``tag`` broken from the hall with /collecte (the place only)."""
    offline = side.discord
    asked = await offline.slash(user, "collecte", {"materiel": tag}, channel=side.hall)
    [select_id] = _posted(side, asked).custom_ids
    chosen = await offline.choose(user, asked.original_id, select_id, ["broken"])
    opened = await offline.tap(user, chosen.original_id, _posted(side, chosen).custom_ids[0])
    done = await offline.submit_modal(user, {"place": "Salle 12"}, origin=opened)
    assert _text(done).startswith("✅ Signalement **C-2026-"), _text(done)
    return done


async def _decision(world: World, item_id: int) -> str | None:
    async with world.db.uow() as uow:
        return await uow.session.scalar(
            select(CollectionItem.decision).where(CollectionItem.id == item_id)
        )


async def test_staff_decide_from_the_card_and_the_commune_removes_its_item_from_discord(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    await _commune_items(world)
    camille = await world.registered("Camille", Role.STAFF)  # on Telegram
    sacha = await side.registered(world, "sacha", Role.STAFF)
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    claude = await side.registered(world, "claude", Role.COMMUNE)
    dana = await side.registered(world, "dana", Role.COMMUNE, commune="42095")
    await _flag(side, zoe, "SEM-0001")  # C-2026-0001, item 1: SEM's, to decide
    await _flag(side, zoe, "COM-0001")  # C-2026-0002, item 2: the commune's, to remove
    staff_dm, claude_dm = offline.dm_channel(sacha), offline.dm_channel(claude)

    # Staff's notice on Discord: « Voir » and the choice for the tablet.
    notice = offline.messages(staff_dm)[0]
    assert notice.content.startswith("📦 Nouveau signalement **C-2026-0001** — École du Soleil")
    assert notice.buttons == [
        ("📄 Voir le signalement", "col:view:1"),
        ("🔧 Réparer SEM-0001", "col:dec:1:repair"),
        ("♻️ Recycler SEM-0001", "col:dec:1:recycle"),
    ]
    shown = await offline.tap(sacha, notice, "col:view:1")
    assert _text(shown) == HEAD + (
        "• `SEM-0001 (tablette, iPad 9)` — hors d'usage — réparation ou recyclage à décider"
        " par la SEM\n\n"
        "**Historique**\n"
        "10/03/2026 10:00 — zoe : matériel signalé"
    )
    card = _posted(side, shown)
    assert card.buttons == [
        ("🔧 Réparer SEM-0001", "col:dec:1:repair"),
        ("♻️ Recycler SEM-0001", "col:dec:1:recycle"),
        ("🗑 Retirer le signalement", "col:wd:1"),
    ]

    # Recycling chosen from the card: said, the card's buttons follow, the card again.
    chosen = await offline.tap(sacha, card, "col:dec:1:recycle")
    said, again = _followups(side, chosen)
    assert said.content == "♻️ SEM-0001 : recyclage retenu. Planifiez la collecte avec /tournees."
    assert again.content == HEAD + (
        "• `SEM-0001 (tablette, iPad 9)` — hors d'usage — collecte à planifier, puis recyclage"
        "\n\n**Historique**\n"
        "10/03/2026 10:00 — zoe : matériel signalé\n"
        "10/03/2026 10:00 — sacha : SEM-0001 : recyclage retenu"
    )
    assert offline.message(card.id).buttons == [
        ("📄 Voir le signalement", "col:view:1"),
        ("🚚 Tournées", "rnd:list"),
    ]
    assert again.buttons == [
        ("🚚 Tournées", "rnd:list"),
        ("🗑 Retirer le signalement", "col:wd:1"),
    ]
    assert await _decision(world, 1) == "recycle"

    # The teacher with staff's and the agent's ids; another commune's agent; forged ids.
    for forged, said_back in (
        ("col:dec:1:repair", FORBIDDEN),
        ("col:rm:2", FORBIDDEN),
        ("col:dec:abc:repair", STALE),
        ("col:dec:1:paint", STALE),
        ("col:view:1:2", STALE),
        ("col:rmok:zz", STALE),
        ("col:nope:1", STALE),
    ):
        refused = await _forged(side, zoe, forged)
        assert _text(refused) == said_back, forged
    for forged in ("col:view:2", "col:rm:2", "col:wd:2"):
        refused = await _forged(side, dana, forged)
        assert _text(refused) == NOT_FOUND, forged
        assert refused.modal is None
    stranger = await _forged(side, side.user("inconnu"), "col:view:1")
    assert _text(stranger).startswith("Bonjour ! Pour utiliser ce bot, inscrivez-vous")
    assert await _decision(world, 1) == "recycle"

    # The commune's agent on Discord: his notice, then the receipt's form.
    told = offline.last_message(claude_dm)
    assert told.buttons == [
        ("📄 Voir le signalement", "col:view:2"),
        ("✅ Retrait et recyclage effectués", "col:rm:2"),
    ]
    opened = await offline.tap(claude, told, "col:rm:2")
    assert opened.modal is not None and opened.modal["title"] == "Retrait — C-2026-0002"
    assert _modal_fields(opened) == {"reference": None}
    long = await offline.submit_modal(claude, {"reference": "r" * 81}, origin=opened)
    assert _text(long) == "Référence trop longue : 80 caractères au plus."
    refusal = _posted(side, long)
    assert refusal.buttons == [
        ("✏️ Reprendre le formulaire", "col:rm:2"),
        ("Sans bon", "col:noref:2"),
    ]
    opened = await offline.tap(claude, refusal, "col:rm:2")
    dashes = await offline.submit_modal(claude, {"reference": " -- "}, origin=opened)
    assert _text(dashes) == "Envoyez le numéro du bon de la déchetterie, ou touchez « Sans bon »."
    assert await _state(world, "COM-0001") == "out_of_order"
    opened = await offline.tap(claude, _posted(side, dashes), "col:rm:2")
    asked = await offline.submit_modal(claude, {"reference": " DEC-2026-118 "}, origin=opened)
    assert _text(asked) == (
        "Confirmer le retrait et le recyclage par votre organisme de 1 objet de C-2026-0002 :"
        " COM-0001 ?\nBon de la déchetterie : DEC-2026-118"
    )
    confirm = _posted(side, asked)
    ok = _by_label(confirm, "✅ Oui, retirés et recyclés")
    assert ok.startswith("col:rmok:")
    assert [b[1] for b in confirm.buttons] == [ok, ok.replace("rmok", "rmno")]

    # Another person's tap finds no draft of theirs.
    hers = await offline.tap(zoe, confirm, ok)
    assert _text(hers) == STALE
    assert await _state(world, "COM-0001") == "out_of_order"

    done = await offline.tap(claude, confirm, ok)
    assert _text(done) == "Merci : le retrait est enregistré sur C-2026-0002, la SEM est informée."
    assert offline.last_message(staff_dm).content == (
        "♻️ **C-2026-0002** — École du Soleil : claude (Saint-Étienne) confirme le retrait"
        " et le recyclage de : COM-0001."
    )
    assert world.last_text(camille) == (
        "♻️ C-2026-0002 — École du Soleil : claude (Saint-Étienne) confirme le retrait"
        " et le recyclage de : COM-0001."
    )
    assert await _state(world, "COM-0001") == "recycled"
    async with world.db.uow() as uow:
        reference = await uow.session.scalar(
            select(EquipmentMove.reference).where(EquipmentMove.to_state == "recycled")
        )
    assert reference == "DEC-2026-118"

    # Tapped twice: stale; the notice's button again: nothing left to remove.
    twice = await offline.tap(claude, confirm, ok)
    assert _text(twice) == STALE
    late = await offline.tap(claude, told, "col:rm:2")
    assert late.modal is None
    assert _text(late) == "Il n'y a plus d'objet de l'organisme à retirer sur ce signalement."


async def test_without_a_receipt_cancelled_then_confirmed_on_discord_and_on_telegram(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    api, offline = world.api, side.discord
    await _commune_items(world)
    sacha = await side.registered(world, "sacha", Role.STAFF)
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    dom = await side.registered(world, "dom", Role.COMMUNE)
    claude = await world.registered("Claude", Role.COMMUNE)  # the other agent, on Telegram
    await _flag(side, zoe, "COM-0001")  # C-2026-0001
    await _flag(side, zoe, "COM-0002")  # C-2026-0002
    staff_dm, dom_dm = offline.dm_channel(sacha), offline.dm_channel(dom)
    told = offline.last_message(dom_dm)
    assert told.buttons[1] == ("✅ Retrait et recyclage effectués", "col:rm:2")

    # The form left empty: « Sans bon ». /annuler drops the confirmation.
    opened = await offline.tap(dom, told, "col:rm:2")
    asked = await offline.submit_modal(dom, {}, origin=opened)
    without = (
        "Confirmer le retrait et le recyclage par votre organisme de 1 objet de C-2026-0002 :"
        " COM-0002 ?\nSans bon de la déchetterie."
    )
    assert _text(asked) == without
    first = _posted(side, asked)
    cancelled = await offline.slash(dom, "annuler", {}, channel=dom_dm)
    assert _text(cancelled) == "C'est annulé. Rien n'a été envoyé."
    stale = await offline.tap(dom, first, _by_label(first, "✅ Oui, retirés et recyclés"))
    assert _text(stale) == STALE
    assert await _state(world, "COM-0002") == "out_of_order"

    # A refused number, then « Sans bon » from the refusal; « Annuler » this time.
    opened = await offline.tap(dom, told, "col:rm:2")
    refused = await offline.submit_modal(dom, {"reference": "…"}, origin=opened)
    assert _text(refused) == "Envoyez le numéro du bon de la déchetterie, ou touchez « Sans bon »."
    asked = await offline.tap(dom, _posted(side, refused), "col:noref:2")
    assert _text(asked) == without
    second = _posted(side, asked)
    no = await offline.tap(dom, second, _by_label(second, "✖️ Annuler"))
    assert _text(no) == "C'est annulé. Rien n'a été envoyé."
    again = await offline.tap(dom, second, _by_label(second, "✖️ Annuler"))
    assert _text(again) == STALE
    stale = await offline.tap(dom, second, _by_label(second, "✅ Oui, retirés et recyclés"))
    assert _text(stale) == STALE
    assert await _state(world, "COM-0002") == "out_of_order"

    # Empty again, and confirmed: staff on Discord told, without a receipt.
    opened = await offline.tap(dom, told, "col:rm:2")
    asked = await offline.submit_modal(dom, {"reference": "   "}, origin=opened)
    assert _text(asked) == without
    third = _posted(side, asked)
    done = await offline.tap(dom, third, _by_label(third, "✅ Oui, retirés et recyclés"))
    assert _text(done) == "Merci : le retrait est enregistré sur C-2026-0002, la SEM est informée."
    assert offline.last_message(staff_dm).content == (
        "♻️ **C-2026-0002** — École du Soleil : dom (Saint-Étienne) confirme le retrait"
        " et le recyclage de : COM-0002."
    )
    assert await _state(world, "COM-0002") == "recycled"
    async with world.db.uow() as uow:
        receipts = (await uow.session.scalars(select(CollectionItem.receipt_ref))).all()
    assert receipts == [None, None]

    # The commune's other agent, on Telegram, confirms the first through Telegram's dialogue.
    notice = next(m for m in api.messages(claude.id) if "C-2026-0001" in (m.text or ""))
    await api.tap(claude, notice, "✅ Retrait et recyclage effectués")
    await api.tap(claude, api.last(claude.id), "Sans bon")
    assert world.last_text(claude) == (
        "Confirmer le retrait et le recyclage par votre organisme de 1 objet de C-2026-0001 :"
        " COM-0001 ?\nSans bon de la déchetterie."
    )
    await api.tap(claude, api.last(claude.id), "✅ Oui, retirés et recyclés")
    assert world.last_text(claude) == (
        "Merci : le retrait est enregistré sur C-2026-0001, la SEM est informée."
    )
    assert offline.last_message(staff_dm).content == (
        "♻️ **C-2026-0001** — École du Soleil : Claude (Saint-Étienne) confirme le retrait"
        " et le recyclage de : COM-0001."
    )
    assert await _state(world, "COM-0001") == "recycled"
    # The Discord agent's button for it now: nothing left to remove.
    earlier = offline.messages(dom_dm)[0]
    late = await offline.tap(dom, earlier, "col:rm:1")
    assert _text(late) == "Il n'y a plus d'objet de l'organisme à retirer sur ce signalement."


async def test_the_reporter_withdraws_her_flagging_from_discord(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    await _commune_items(world)
    camille = await world.registered("Camille", Role.STAFF)  # on Telegram
    sacha = await side.registered(world, "sacha", Role.STAFF)
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    luc = await side.registered(world, "luc", Role.TEACHER, school="0420002Z")
    claude = await world.registered("Claude", Role.COMMUNE)
    done = await _flag(side, zoe, "SEM-0002")  # C-2026-0001
    staff_dm = offline.dm_channel(sacha)
    assert _posted(side, done).buttons == [("📄 Voir le signalement", "col:view:1")]

    # Her card: no staff's or body's button, only the way to withdraw it.
    shown = await offline.tap(zoe, _posted(side, done), "col:view:1")
    assert _text(shown).startswith("📦 **C-2026-0001** — matériel inutilisé ou en panne\n")
    assert shown.response is not None and shown.response["data"]["flags"] & EPHEMERAL
    card = _posted(side, shown)
    assert card.buttons == [("🗑 Retirer le signalement", "col:wd:1")]

    # Another school's teacher, with the ids: not found.
    for forged in ("col:view:1", "col:wd:1"):
        refused = await _forged(side, luc, forged)
        assert _text(refused) == NOT_FOUND and refused.modal is None

    # The reason: blank, then too long, each refused with the form offered again.
    opened = await offline.tap(zoe, card, "col:wd:1")
    assert opened.modal is not None and opened.modal["title"] == "Retirer C-2026-0001"
    blank = await offline.submit_modal(zoe, {"reason": "  ?! "}, origin=opened)
    assert _text(blank) == "Dites en quelques mots pourquoi le signalement est retiré."
    assert _posted(side, blank).buttons == [("✏️ Reprendre le formulaire", "col:wd:1")]
    opened = await offline.tap(zoe, _posted(side, blank), "col:wd:1")
    long = await offline.submit_modal(zoe, {"reason": "x" * 301}, origin=opened)
    assert _text(long) == "Note trop longue : 300 caractères au plus."
    opened = await offline.tap(zoe, _posted(side, long), "col:wd:1")
    asked = await offline.submit_modal(zoe, {"reason": " Il fonctionne de nouveau "}, origin=opened)
    assert _text(asked) == (
        "Retirer C-2026-0001 ? 1 objet revient en service et sort des tournées : SEM-0002.\n"
        "Raison : « Il fonctionne de nouveau »"
    )
    confirm = _posted(side, asked)
    ok = _by_label(confirm, "🗑 Oui, retirer C-2026-0001")
    assert [b[1] for b in confirm.buttons] == [ok, ok.replace("wdok", "wdno")]
    assert await _state(world, "SEM-0002") == "out_of_order"
    hers = await offline.tap(luc, confirm, ok)
    assert _text(hers) == STALE

    staff_before, claude_before = len(offline.messages(staff_dm)), len(world.texts(claude))
    withdrawn = await offline.tap(zoe, confirm, ok)
    assert _text(withdrawn) == (
        "Le signalement C-2026-0001 est retiré : son matériel est de nouveau en service."
    )
    assert len(offline.messages(staff_dm)) == staff_before + 1
    assert offline.last_message(staff_dm).content == (
        "🗑 **C-2026-0001** — École du Soleil : signalement retiré par zoe. Raison : « Il"
        " fonctionne de nouveau ». Son matériel revient en service et sort des tournées."
    )
    assert world.last_text(camille) == (
        "🗑 C-2026-0001 — École du Soleil : signalement retiré par zoe. Raison : « Il"
        " fonctionne de nouveau ». Son matériel revient en service et sort des tournées."
    )
    assert len(world.texts(claude)) == claude_before  # SEM's item only: not the commune's
    # Nor is she told what she did herself.
    assert not any("retiré par" in m.content for m in offline.messages(offline.dm_channel(zoe)))
    assert await _state(world, "SEM-0002") == "in_service"
    twice = await offline.tap(zoe, confirm, ok)
    assert _text(twice) == STALE
    late = await offline.tap(zoe, card, "col:wd:1")
    assert late.modal is None
    assert _text(late) == (
        "Ce signalement ne peut plus être retiré : tout son matériel est déjà traité."
    )

    # A flagging with the commune's item: its agent, on Telegram, hears of the withdrawal.
    await _flag(side, zoe, "COM-0001")  # C-2026-0002
    opened = await offline.tap(zoe, offline.last_message(side.hall), "col:view:2")
    opened = await offline.tap(zoe, _posted(side, opened), "col:wd:2")
    asked = await offline.submit_modal(zoe, {"reason": "Erreur d'étiquette"}, origin=opened)
    confirm = _posted(side, asked)
    await offline.tap(zoe, confirm, _by_label(confirm, "🗑 Oui, retirer C-2026-0002"))
    assert world.last_text(claude) == (
        "🗑 C-2026-0002 — École du Soleil : signalement retiré par zoe. Raison : « Erreur"
        " d'étiquette ». Son matériel revient en service et sort des tournées."
    )
    assert await _state(world, "COM-0001") == "in_service"


async def test_the_forms_sent_after_a_restart_are_rebuilt_and_read(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    await _commune_items(world)
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    claude = await side.registered(world, "claude", Role.COMMUNE)
    luc = await side.registered(world, "luc", Role.TEACHER, school="0420002Z")
    await _flag(side, zoe, "COM-0001")  # C-2026-0001
    told = offline.last_message(offline.dm_channel(claude))

    # The receipt's form, opened before the restart and sent after it: read as it reads.
    opened = await offline.tap(claude, told, "col:rm:1")
    assert opened.modal is not None
    await _restart(world, side)
    long = await offline.submit_modal(claude, {"reference": "r" * 81}, origin=opened)
    assert _text(long) == "Référence trop longue : 80 caractères au plus."
    opened = await offline.tap(claude, _posted(side, long), "col:rm:1")
    await _restart(world, side)
    asked = await offline.submit_modal(claude, {"reference": "B-77"}, origin=opened)
    assert _text(asked) == (
        "Confirmer le retrait et le recyclage par votre organisme de 1 objet de C-2026-0001 :"
        " COM-0001 ?\nBon de la déchetterie : B-77"
    )

    # The reason's form the same way; forged ones checked like forged buttons.
    shown = await offline.tap(zoe, offline.last_message(side.hall), "col:view:1")
    opened = await offline.tap(zoe, _posted(side, shown), "col:wd:1")
    await _restart(world, side)
    asked = await offline.submit_modal(zoe, {"reason": "Étiquette mal lue"}, origin=opened)
    assert _text(asked) == (
        "Retirer C-2026-0001 ? 1 objet revient en service et sort des tournées : COM-0001.\n"
        "Raison : « Étiquette mal lue »"
    )
    other = await _forged_form(side, luc, "col:wdf:1:00", reason="Pour voir")
    assert _text(other) == NOT_FOUND
    teacher = await _forged_form(side, zoe, "col:rmf:1:00", reference="X-1")
    assert _text(teacher) == FORBIDDEN
    forged = await _forged_form(side, zoe, "col:wdf:abc:00", reason="Pour voir")
    assert _text(forged) == STALE
    assert await _state(world, "COM-0001") == "out_of_order"
