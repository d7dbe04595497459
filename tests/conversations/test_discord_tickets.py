"""Tickets on Discord beside Telegram, on the same services: a person's own tickets
(/mes_dossiers, /dossier with the numbers they may see completed), the staff's triage
(/file, /retards, /recherche, /repondre, /note) and the buttons under them; the refusals;
and replies between staff and reporters across the two platforms."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.domain.claims import ClaimKind
from bot.domain.platforms import DISCORD, TELEGRAM
from bot.domain.roles import Role
from bot.services import claims, registration
from handlers.telegram.offline import sample_png
from storage.models import MessageRef, TicketMessage
from tests.conversations.conftest import DiscordSide, World
from tests.conversations.test_relay import reply_with_file, to_reporter

EPHEMERAL = 1 << 6
FORBIDDEN = "Vous n'avez pas accès à cette action."
NOT_A_CLAIM = "Je ne trouve pas ce sinistre (ou il ne vous concerne pas)."


def _text(record: Any) -> str:
    response = getattr(record, "response", None) or {}
    return str(response.get("data", response).get("content") or "")


def _answers(side: DiscordSide, record: Any) -> list[Any]:
    """The messages answering an interaction: the original response, then follow-ups."""
    ids = ([record.original_id] if record.original_id else []) + list(record.followup_ids)
    return [side.discord.message(i) for i in ids]


async def _pid(world: World, platform: str, user: Any) -> int:
    person = await registration.find_person(world.db, platform, user.id)
    assert person is not None
    return person.id


async def _claim(world: World, reporter_id: int, school: str = "soleil") -> str:
    """A damage claim made through the service (no messages): its number."""
    reported = await claims.report_claim(
        world.db,
        claims.ReportClaim(
            reporter_id=reporter_id,
            school_id=world.ids[school],
            kind=ClaimKind.DAMAGE,
            discovered_at=world.clock.now() - timedelta(hours=1),
            description="Écran fissuré",
            items=(claims.ItemRequest(None, "un écran"),),
        ),
        world.clock.now(),
    )
    return reported.claim.number


async def _complete(side: DiscordSide, user: Any, command: str, typed: str) -> list[str]:
    """What Discord offers while ``user`` types ``typed`` in the ``numero`` option."""
    offline = side.discord
    registered = offline._find_command(command, side.hall.guild_id)
    data: dict[str, Any] = {
        "id": registered["id"],
        "name": command,
        "type": 1,
        "options": [{"type": 3, "name": "numero", "value": typed, "focused": True}],
    }
    if registered.get("guild_id"):
        data["guild_id"] = registered["guild_id"]
    record = await offline._play(offline._interaction(4, user, side.hall, data))
    assert record.response is not None and record.response["type"] == 8
    return [choice["value"] for choice in record.response["data"]["choices"]]


# --- a person's own tickets ----------------------------------------------------------------


async def test_a_teacher_lists_and_opens_her_own_tickets_never_a_colleagues(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    yann = await side.registered(world, "yann", Role.TEACHER)
    mine = await _claim(world, await _pid(world, DISCORD, zoe))
    theirs = await _claim(world, await _pid(world, DISCORD, yann))
    assert (mine, theirs) == ("S-2026-0001", "S-2026-0002")

    listing = await side.discord.slash(zoe, "mes_dossiers", channel=side.hall)
    assert listing.response is not None and listing.response["data"]["flags"] & EPHEMERAL
    assert _text(listing) == (
        "📂 **Vos dossiers** — 1 au total, page 1/1\n\n"
        "**S-2026-0001** · Sinistre · déclaré, démarches de la commune en cours\n"
        "École du Soleil · 10/03/2026\n\n"
        "Touchez un numéro pour ouvrir le dossier."
    )
    shown = _answers(side, listing)[0]
    assert shown.custom_ids == ["tk:open:1"]

    opened = await side.discord.tap(zoe, shown, "tk:open:1")
    card, thread = (m.content for m in _answers(side, opened))
    assert card.startswith("**Sinistre S-2026-0001** — Dégradation")
    assert thread.startswith("💬 **Échanges sur le dossier S-2026-0001**")

    # Completion offers her number only; a colleague's number reads as one that does not
    # exist, with the claim's own words.
    assert await _complete(side, zoe, "dossier", "") == ["S-2026-0001"]
    assert await _complete(side, zoe, "dossier", "0002") == []
    assert await _complete(side, yann, "dossier", "S-2026") == ["S-2026-0002"]
    own = await side.discord.slash(zoe, "dossier", {"numero": "s-2026-0001"}, channel=side.hall)
    assert _text(own).startswith("**Sinistre S-2026-0001**")
    other = await side.discord.slash(zoe, "dossier", {"numero": theirs}, channel=side.hall)
    missing = await side.discord.slash(zoe, "dossier", {"numero": "S-2026-0099"}, channel=side.hall)
    assert _text(other) == _text(missing) == NOT_A_CLAIM
    nonsense = await side.discord.slash(zoe, "dossier", {"numero": "n'importe"}, channel=side.hall)
    assert _text(nonsense) == "Je ne trouve pas ce dossier."


async def test_a_school_head_sees_the_school_and_an_agent_the_commune_only(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    head = await side.registered(world, "hélène", Role.DIRECTOR)
    firminy = await side.registered(world, "fabien", Role.COMMUNE, commune="42095")
    zoe = await world.registered("Zoé", Role.TEACHER)
    forges_teacher = await world.registered("Félix", Role.TEACHER, school="0420003A")
    soleil = await _claim(world, await _pid(world, TELEGRAM, zoe))
    forges = await _claim(world, await _pid(world, TELEGRAM, forges_teacher), "forges")

    listing = await side.discord.slash(head, "mes_dossiers", channel=side.hall)
    assert "S-2026-0001" in _text(listing) and "S-2026-0002" not in _text(listing)
    assert "École du Soleil" in _text(listing)
    assert await _complete(side, head, "dossier", "S") == [soleil]
    assert await _complete(side, firminy, "dossier", "S") == [forges]

    agent = await side.discord.slash(firminy, "dossier", {"numero": forges}, channel=side.hall)
    assert _text(agent).startswith("**Sinistre S-2026-0002**")
    assert _answers(side, agent)[0].custom_ids  # the body's own actions
    # Another school's ticket, for the head and for the other commune's agent.
    for user, number in ((head, forges), (firminy, soleil)):
        refused = await side.discord.slash(user, "dossier", {"numero": number}, channel=side.hall)
        assert _text(refused) == NOT_A_CLAIM


async def test_a_forged_button_opens_nothing_out_of_scope(both: tuple[World, DiscordSide]) -> None:
    world, side = both
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    yann = await world.registered("Yann", Role.TEACHER)
    await _claim(world, await _pid(world, DISCORD, zoe))
    await _claim(world, await _pid(world, TELEGRAM, yann))
    listing = _answers(side, await side.discord.slash(zoe, "mes_dossiers", channel=side.hall))[0]
    forged = await _forged_tap(side, zoe, listing, "tk:open:2")
    assert _text(forged) == "Dossier introuvable, ou hors de votre périmètre."
    for action in ("tk:view:2", "tq:0:0:0:-", "tk:take:2", "tk:reply:2"):
        assert _text(await _forged_tap(side, zoe, listing, action)) == FORBIDDEN


async def _forged_tap(side: DiscordSide, user: Any, message: Any, custom_id: str) -> Any:
    """A tap whose custom id was doctored on the way (never offered to this person)."""
    offline = side.discord
    stored = copy.deepcopy(offline._messages[message.channel_id][message.id])
    stored["components"][0]["components"][0]["custom_id"] = custom_id
    data = {"custom_id": custom_id, "component_type": 2}
    channel = offline.channels[int(stored["channel_id"])]
    return await offline._play(offline._interaction(3, user, channel, data, message=stored))


# --- the staff's triage --------------------------------------------------------------------


async def test_the_queue_pages_and_filters_and_opens_a_dossier(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    sacha = await side.registered(world, "sacha", Role.STAFF)
    zoe = await world.registered("Zoé", Role.TEACHER)
    felix = await world.registered("Félix", Role.TEACHER, school="0420003A")
    for _ in range(9):
        await _claim(world, await _pid(world, TELEGRAM, zoe))
    forges = await _claim(world, await _pid(world, TELEGRAM, felix), "forges")

    first = await side.discord.slash(sacha, "file", channel=side.hall)
    assert first.response is not None and first.response["data"]["flags"] & EPHEMERAL
    text = _text(first)
    assert text.startswith("**Dossiers ouverts** : 10 (page 1/2)")
    shown = _answers(side, first)[0]
    views = [c for c in shown.custom_ids if c.startswith("tk:view:")]
    assert len(views) == 8
    assert shown.custom_ids[8:] == ["tq:1:0:0:-", "tq:communes", "tq:states", "tq:0:0:1:-"]

    await side.discord.tap(sacha, shown, "tq:1:0:0:-")
    turned = side.discord.message(shown.id)  # the same message, edited
    assert turned.content.startswith("**Dossiers ouverts** : 10 (page 2/2)")
    assert "tq:0:0:0:-" in turned.custom_ids  # back to the first page

    await side.discord.tap(sacha, turned, "tq:communes")
    menu = side.discord.message(shown.id)
    assert menu.content == "Quelle commune ?"
    offered = [o["value"] for o in menu.component("tq:pick")["options"]]
    firminy = next(o for o in menu.component("tq:pick")["options"] if "Firminy" in o["label"])
    assert firminy["label"] == "Firminy (1)" and offered[-1] == "tq:0:0:0:-"
    await side.discord.choose(sacha, menu, "tq:pick", [firminy["value"]])
    filtered = side.discord.message(shown.id)
    assert filtered.content.startswith("**Dossiers ouverts** : 1 (page 1/1)")
    assert forges in filtered.content

    # Nothing is late yet; three days on, every claim's 48 h duties are.
    late = await side.discord.slash(sacha, "retards", channel=side.hall)
    assert ": 0 (page 1/1)" in _text(late)
    world.clock.advance(timedelta(days=3))
    late = await side.discord.slash(sacha, "retards", channel=side.hall)
    assert ": 10 (page 1/2)" in _text(late) and "⚠️" in _text(late)

    opened = await side.discord.tap(sacha, filtered, filtered.custom_ids[0])
    dossier = _answers(side, opened)[0]
    assert dossier.content.startswith(f"**Sinistre {forges}**")
    assert "**Suivi par** : non attribué" in dossier.content
    assert dossier.custom_ids[:4] == ["tk:take:10", "tk:assign:10", "tk:reply:10", "tk:note:10"]

    # Taken, then given to a colleague through the staff's select.
    taken = await side.discord.tap(sacha, dossier, "tk:take:10")
    assert _text(taken) == f"👤 Dossier {forges} attribué à sacha."
    camille_user = await side.registered(world, "camille", Role.STAFF)
    camille_id = await _pid(world, DISCORD, camille_user)
    menu_record = await side.discord.tap(sacha, dossier, "tk:assign:10")
    chooser = _answers(side, menu_record)[0]
    options = chooser.component("tk:assignto:10")["options"]
    camille = next(o for o in options if o["label"] == "camille")
    assert camille["value"] == str(camille_id)
    given = await side.discord.choose(sacha, chooser, "tk:assignto:10", [camille["value"]])
    assert _text(given) == f"👤 Dossier {forges} attribué à camille."


async def test_staff_search_by_school_and_refuse_a_short_text(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    sacha = await side.registered(world, "sacha", Role.STAFF)
    felix = await world.registered("Félix", Role.TEACHER, school="0420003A")
    forges = await _claim(world, await _pid(world, TELEGRAM, felix), "forges")

    found = await side.discord.slash(sacha, "recherche", {"texte": "forges"}, channel=side.hall)
    assert forges in _text(found) and "École des Forges" in _text(found)
    assert _answers(side, found)[0].custom_ids == ["tk:view:1"]
    short = await side.discord.slash(sacha, "recherche", {"texte": "x"}, channel=side.hall)
    assert _text(short).startswith("Tapez au moins deux caractères")
    none = await side.discord.slash(sacha, "recherche", {"texte": "zzz"}, channel=side.hall)
    assert _text(none) == "Aucun dossier ne correspond à « zzz »."


async def test_a_teacher_gets_the_refusal_she_gets_on_telegram(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    number = await _claim(world, await _pid(world, DISCORD, zoe))
    for command, options in (
        ("file", {}),
        ("retards", {}),
        ("recherche", {"texte": "Soleil"}),
        ("repondre", {"numero": number, "texte": "Bonjour"}),
        ("note", {"numero": number, "texte": "Rien"}),
    ):
        refused = await side.discord.slash(zoe, command, options, channel=side.hall)
        assert _text(refused) == FORBIDDEN, command
    yann = await world.registered("Yann", Role.TEACHER)
    await world.api.send_text(yann, "/file")
    assert world.last_text(yann) == FORBIDDEN  # the same words on Telegram
    stranger = side.user("inconnu")
    unknown = await side.discord.slash(stranger, "file", channel=side.hall)
    assert "/inscription" in _text(unknown)
    async with world.db.uow() as uow:
        assert (await uow.session.scalars(select(TicketMessage))).all() == []


# --- writing on a ticket, across platforms ------------------------------------------------------


async def test_a_reply_from_discord_reaches_a_reporter_on_telegram_and_comes_back(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    sacha = await side.registered(world, "sacha", Role.STAFF)
    zoe = await world.registered("Zoé", Role.TEACHER)
    number = await _claim(world, await _pid(world, TELEGRAM, zoe))
    assert await _complete(side, sacha, "repondre", "0001") == [number]

    unknown = await side.discord.slash(
        sacha, "repondre", {"numero": "S-2026-0099", "texte": "Bonjour"}, channel=side.hall
    )
    assert _text(unknown) == "Aucun dossier ne porte le numéro S-2026-0099."
    empty = await side.discord.slash(
        sacha, "repondre", {"numero": number, "texte": "   "}, channel=side.hall
    )
    assert _text(empty) == "Le message est vide : rien n'a été envoyé."
    before = len(world.api.messages(zoe.id))

    sent = await side.discord.slash(
        sacha,
        "repondre",
        {"numero": number, "texte": "Nous commandons une tablette"},
        channel=side.hall,
    )
    assert _text(sent) == f"✅ Réponse envoyée à Zoé (dossier {number})."
    assert len(world.api.messages(zoe.id)) == before + 1
    assert world.last_text(zoe) == to_reporter("sacha", "Nous commandons une tablette")

    # Zoé answers on Telegram: her words reach the staff on Discord, in their DM.
    about = world.api.last(zoe.id).message_id
    await world.api.send_text(zoe, "Merci beaucoup", reply_to_message_id=about)
    dm = side.discord.last_message(side.discord.dm_channel(sacha))
    assert "Merci beaucoup" in dm.content and number in dm.content
    # A photo crosses (decision 0060): its caption as the text, then the photo itself, its
    # bytes fetched from Telegram by Telegram's front end in the same process.
    await reply_with_file(world, zoe, about, kind="photo", caption="La facture")
    text, photo = side.discord.messages(side.discord.dm_channel(sacha))[-2:]
    assert "La facture" in text.content and "ne peut pas vous parvenir" not in text.content
    assert [a["filename"] for a in photo.attachments] == [f"photo-{number}.jpg"]
    assert side.discord.download(photo.attachments[0]["url"]) == sample_png()

    # The photo is on the ticket: its dossier sends it again, fetched from Telegram.
    dossier = _answers(
        side, await side.discord.slash(sacha, "dossier", {"numero": number}, channel=side.hall)
    )[-1]
    files = _answers(side, await side.discord.tap(sacha, dossier, "tk:files:1"))
    (again,) = [m for m in files if m.attachments]
    assert again.content == f"{number} — Pièce d'un échange"
    assert side.discord.download(again.attachments[0]["url"]) == sample_png()

    # Refused in the modal too: said, and the modal offered again by a button.
    refused = _answers(side, empty)[0]
    assert refused.custom_ids == ["tk:reply:1"]
    await side.discord.tap(sacha, refused, "tk:reply:1")
    modal = side.discord.shown_modal(sacha).modal
    assert modal["custom_id"] == "tk:write:reply:1" and number in modal["title"]
    again = await side.discord.submit_modal(sacha, {"text": "  "})
    assert _text(again) == "Le message est vide : rien n'a été envoyé."
    await side.discord.tap(sacha, _answers(side, again)[0], "tk:reply:1")
    done = await side.discord.submit_modal(sacha, {"text": "Livraison jeudi"})
    assert _text(done) == f"✅ Réponse envoyée à Zoé (dossier {number})."
    assert world.last_text(zoe) == to_reporter("sacha", "Livraison jeudi")


async def test_a_note_is_kept_for_staff_and_never_reaches_the_reporter(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    sacha = await side.registered(world, "sacha", Role.STAFF)
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    number = await _claim(world, await _pid(world, DISCORD, zoe))
    dm = side.discord.dm_channel(zoe)
    before = len(side.discord.messages(dm))

    empty = await side.discord.slash(
        sacha, "note", {"numero": number, "texte": " "}, channel=side.hall
    )
    assert _text(empty) == "Le message est vide : rien n'a été envoyé."
    kept = await side.discord.slash(
        sacha, "note", {"numero": number, "texte": "Coût à voir avec la mairie"}, channel=side.hall
    )
    assert _text(kept) == f"🔒 Note interne ajoutée au dossier {number}. Seule l'équipe la voit."
    assert len(side.discord.messages(dm)) == before
    async with world.db.uow() as uow:
        rows = (await uow.session.scalars(select(TicketMessage))).all()
    assert [(m.visibility, m.body) for m in rows] == [("internal", "Coût à voir avec la mairie")]

    staff_view = await side.discord.slash(sacha, "dossier", {"numero": number}, channel=side.hall)
    assert "Coût à voir avec la mairie" in _text(staff_view)
    own = await side.discord.slash(zoe, "dossier", {"numero": number}, channel=side.hall)
    assert "Coût à voir" not in _text(own)
    listing = _answers(side, await side.discord.slash(zoe, "mes_dossiers", channel=side.hall))[0]
    thread = _answers(side, await side.discord.tap(zoe, listing, "tk:open:1"))[-1]
    assert "Coût à voir" not in thread.content

    # From the dossier's button, in a modal.
    dossier = _answers(side, staff_view)[0]
    await side.discord.tap(sacha, dossier, "tk:note:1")
    noted = await side.discord.submit_modal(sacha, {"text": "Mairie relancée"})
    assert _text(noted) == f"🔒 Note interne ajoutée au dossier {number}. Seule l'équipe la voit."
    assert len(side.discord.messages(dm)) == before


async def test_a_reply_typed_on_telegram_by_staff_reaches_a_reporter_on_discord(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    sacha = await world.registered("Sacha", Role.STAFF)
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    number = await _claim(world, await _pid(world, DISCORD, zoe))
    dm = side.discord.dm_channel(zoe)
    before = len(side.discord.messages(dm))

    await world.api.send_text(sacha, f"/repondre {number} Nous passons jeudi")
    assert world.last_text(sacha) == f"✅ Réponse envoyée à zoe (dossier {number})."
    messages = side.discord.messages(dm)
    assert len(messages) == before + 1
    assert messages[-1].content == (
        f"💬 **Dossier {number}** — Sacha (équipe du Plan numérique) vous écrit :\n\n"
        "Nous passons jeudi\n\n*Pour lui répondre, répondez à ce message.*"
    )
    async with world.db.uow() as uow:
        refs = (await uow.session.scalars(select(MessageRef))).all()
    assert (DISCORD, dm.id, messages[-1].id) in {
        (r.platform, r.chat_id, r.message_id) for r in refs
    }


# --- the committee's reports ---------------------------------------------------------------


async def test_the_review_and_the_export_come_as_attachments_after_a_deferral(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    sacha = await side.registered(world, "sacha", Role.STAFF)
    zoe = await side.registered(world, "zoe", Role.TEACHER)

    refused = await side.discord.slash(zoe, "bilan", channel=side.hall)
    assert _text(refused) == FORBIDDEN
    assert _text(await side.discord.slash(zoe, "export", channel=side.hall)) == FORBIDDEN
    bad = await side.discord.slash(sacha, "bilan", {"periode": "hier"}, channel=side.hall)
    assert bad.response_type == 4 and _text(bad) == world.app.bot_data["services"].i18n.t(
        "fr", "report.error.period"
    )
    empty = await side.discord.slash(sacha, "export", channel=side.hall)
    assert empty.response_type == 5  # deferred: the files take longer than 3 s
    assert [m.content for m in _answers(side, empty)] == [
        "Aucun dossier ne correspond à ces critères."
    ]
    unknown = await side.discord.slash(
        sacha, "export", {"filtre": "commune 99999"}, channel=side.hall
    )
    assert "99999" in _text(unknown)

    number = await _claim(world, await _pid(world, DISCORD, zoe))
    review = await side.discord.slash(sacha, "bilan", {"periode": "2026-03"}, channel=side.hall)
    assert review.response_type == 5
    assert review.response is not None and review.response["data"]["flags"] & EPHEMERAL
    summary, chart, workbook = _answers(side, review)
    assert "01/03/2026" in summary.content and "Saint-Étienne" in summary.content
    assert [a["filename"] for a in chart.attachments] == [
        "bilan-sinistres-2026-03-01_2026-03-31.png"
    ]
    assert side.discord.download(chart.attachments[0]["url"]).startswith(b"\x89PNG")
    assert [a["filename"] for a in workbook.attachments] == [
        "bilan-sinistres-2026-03-01_2026-03-31.xlsx"
    ]
    assert side.discord.download(workbook.attachments[0]["url"]).startswith(b"PK")

    exported = await side.discord.slash(
        sacha, "export", {"filtre": "sinistres commune 42218"}, channel=side.hall
    )
    done, csv = _answers(side, exported)
    assert done.content.startswith("📤 1 dossier exporté")
    assert done.attachments[0]["filename"].endswith(".xlsx")
    assert csv.attachments[0]["filename"].endswith(".csv")
    assert number.encode() in side.discord.download(csv.attachments[0]["url"])
