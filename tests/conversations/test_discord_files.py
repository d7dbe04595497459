"""Photos and documents on Discord beside Telegram, on the same services: a private reply
to a message about a ticket goes into its thread with its attachments (files of platform
``discord``, their URL as id); a claim's « Joindre un document » takes the files as a reply
to the bot's request; « Renvoyer les pièces » sends Discord's files back as attachments and
counts Telegram's. With the refusals: a reply about no ticket, a person who may not add to
that claim, a forged button."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.domain.claims import ClaimKind
from bot.domain.platforms import DISCORD, TELEGRAM
from bot.domain.roles import Role
from bot.services import claims, registration
from bot.services import relay as relay_service
from bot.services.claims import FileRef
from handlers.telegram.offline import sample_png
from storage.models import Attachment, Ticket, TicketMessage
from tests.conversations.conftest import DiscordSide, World

PDF = b"%PDF-1.4\n%offline\n"
NOT_A_TICKET = (
    "Ce message ne concerne pas un dossier : je ne peux transmettre votre réponse à personne."
    " Pour écrire sur un dossier, ouvrez-le avec /mes\\_dossiers et répondez à son message."
)
NOT_A_TICKET_STAFF = (
    "Ce message ne concerne pas un dossier : rien n'a été transmis. Utilisez"
    " `/repondre S-2026-0042 votre message`, ou répondez à un message qui porte le numéro"
    " du dossier."
)
KEPT_ON_DISCORD = (
    "Le fichier, envoyé depuis Discord, ne peut pas vous parvenir ici : il reste joint au dossier."
)
FORBIDDEN = "Vous n'avez pas accès à cette action."
NOT_A_CLAIM = "Je ne trouve pas ce sinistre (ou il ne vous concerne pas)."


def _text(record: Any) -> str:
    response = getattr(record, "response", None) or {}
    return str(response.get("data", response).get("content") or "")


def _answers(side: DiscordSide, record: Any) -> list[Any]:
    ids = ([record.original_id] if record.original_id else []) + list(record.followup_ids)
    return [side.discord.message(i) for i in ids]


async def _pid(world: World, platform: str, user: Any) -> int:
    person = await registration.find_person(world.db, platform, user.id)
    assert person is not None
    return person.id


async def _claim(world: World, reporter_id: int, school: str = "soleil") -> tuple[int, str]:
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
    return reported.claim.id, reported.claim.number


async def _files(world: World) -> list[tuple[str, str, str, str | None, str]]:
    async with world.db.uow() as uow:
        rows = (await uow.session.scalars(select(Attachment).order_by(Attachment.id))).all()
    return [(a.platform, a.kind, a.file_id, a.file_name, a.purpose) for a in rows]


async def _forged_tap(side: DiscordSide, user: Any, message: Any, custom_id: str) -> Any:
    """A tap whose custom id was doctored on the way (never offered to this person)."""
    offline = side.discord
    stored = copy.deepcopy(offline._messages[message.channel_id][message.id])
    stored["components"] = [
        {"type": 1, "components": [{"type": 2, "style": 2, "label": "·", "custom_id": custom_id}]}
    ]
    data = {"custom_id": custom_id, "component_type": 2}
    channel = offline.channels[int(stored["channel_id"])]
    return await offline._play(offline._interaction(3, user, channel, data, message=stored))


# --- 1. a private reply about a ticket ---------------------------------------------------------


async def test_a_reply_on_discord_with_a_photo_reaches_staff_on_telegram(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    sacha = await world.registered("Sacha", Role.STAFF)
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    _, number = await _claim(world, await _pid(world, DISCORD, zoe))
    dm = offline.dm_channel(zoe)

    await world.api.send_text(sacha, f"/repondre {number} Une photo de l'écran ?")
    about = offline.last_message(dm)
    assert "Une photo de l'écran ?" in about.content

    # The photo crosses (decision 0060): the text, then the photo itself, its bytes fetched
    # from Discord's CDN by Discord's front end in the same process.
    photo = offline.file("ecran.jpg", sample_png(), "image/jpeg")
    await offline.say(zoe, dm, "Voici l'écran", attachments=[photo], reply_to=about)
    text, picture = world.api.messages(sacha.id)[-2:]
    assert text.text == f"📎 Dossier {number} (École du Soleil) — zoe, enseignant·e\nVoici l'écran"

    assert picture.photo is not None
    assert world.api.file_data(picture.photo) == sample_png()
    assert offline.last_message(dm).content == (
        f"✅ Message transmis à l'équipe du Plan numérique (dossier {number})."
    )
    assert await _files(world) == [(DISCORD, "photo", photo["url"], "ecran.jpg", "relay")]
    async with world.db.uow() as uow:
        captions = (await uow.session.scalars(select(Attachment.caption))).all()
    assert captions == ["Voici l'écran"]

    # Sacha answers on Telegram (to the photo: it is about the ticket as the text is): Zoé
    # reads it in her DM, and can answer that too.
    about_tg = world.api.last(sacha.id).message_id
    await world.api.send_text(sacha, "Merci, c'est noté", reply_to_message_id=about_tg)
    again = offline.last_message(dm)
    assert "Merci, c'est noté" in again.content
    await offline.say(zoe, dm, "Parfait", reply_to=again)
    assert "Parfait" in world.last_text(sacha)


async def test_a_reply_to_a_message_about_no_ticket_gets_telegrams_guidance(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    sacha = await side.registered(world, "sacha", Role.STAFF)
    await _claim(world, await _pid(world, DISCORD, zoe))
    for user, expected in ((zoe, NOT_A_TICKET), (sacha, NOT_A_TICKET_STAFF)):
        dm = offline.dm_channel(user)
        listing = _answers(side, await offline.slash(user, "mes_dossiers", channel=dm))[0]
        before = len(await _files(world))
        photo = offline.file("x.jpg", sample_png(), "image/jpeg")
        await offline.say(user, dm, "Coucou", attachments=[photo], reply_to=listing)
        assert offline.last_message(dm).content == expected
        assert len(await _files(world)) == before == 0
    # A plain message, replying to nothing: not the relay's (nothing said, nothing kept).
    dm = offline.dm_channel(zoe)
    count = len(offline.messages(dm))
    await offline.say(zoe, dm, "Bonjour")
    assert len(offline.messages(dm)) == count + 1  # hers only
    async with world.db.uow() as uow:
        assert (await uow.session.scalars(select(TicketMessage))).all() == []


async def test_a_reply_about_a_ticket_she_no_longer_follows_is_refused(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    sacha = await side.registered(world, "sacha", Role.STAFF)
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    claim_id, number = await _claim(world, await _pid(world, DISCORD, zoe))
    await offline.slash(
        sacha, "repondre", {"numero": number, "texte": "Bonjour"}, channel=side.hall
    )
    dm = offline.dm_channel(zoe)
    about = offline.last_message(dm)
    # Meanwhile the ticket went to another reporter of another school: she follows it no
    # more, and her old message's reference must not let her write on it.
    yann = await world.registered("Yann", Role.TEACHER)
    async with world.db.uow() as uow:
        ticket = await uow.session.get(Ticket, claim_id)
        assert ticket is not None
        ticket.reporter_id = await _pid(world, TELEGRAM, yann)
        ticket.school_id = world.ids["lune"]
        await uow.commit()
    await offline.say(zoe, dm, "Toujours là ?", reply_to=about)
    refused = offline.last_message(dm).content
    assert refused == markdown_of(world, "relay.error.refused")
    async with world.db.uow() as uow:
        bodies = (await uow.session.scalars(select(TicketMessage.body))).all()
    assert "Toujours là ?" not in bodies


def markdown_of(world: World, key: str) -> str:
    from handlers.discord.render import markdown

    services = world.app.bot_data["services"]
    return markdown(services.i18n.t("fr", key))


# --- 2. documents for a claim ---------------------------------------------------------------


async def test_a_commune_agent_joins_documents_to_a_claim_by_answering_the_request(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    claude = await side.registered(world, "claude", Role.COMMUNE)
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    claim_id, number = await _claim(world, await _pid(world, DISCORD, zoe))
    dm = offline.dm_channel(claude)

    # His claim's card, in the server's channel: « Joindre un document », then its kind.
    card = _answers(
        side, await offline.slash(claude, "dossier", {"numero": number}, channel=side.hall)
    )[0]
    assert f"clm:attach:{claim_id}" in card.custom_ids
    asked = await offline.tap(claude, card, f"clm:attach:{claim_id}")
    assert _text(asked) == f"Quel document joignez-vous au sinistre {number} ?"
    menu = _answers(side, asked)[0]
    options = menu.component(f"clm:attp:{claim_id}")["options"]
    assert [o["value"] for o in options] == [
        "invoice_or_quote",
        "insurer_declaration",
        "insurer_letter",
        "complaint_receipt",
        "police_report",
        "evidence",
        "other",
    ]
    told = await offline.choose(claude, menu, f"clm:attp:{claim_id}", ["invoice_or_quote"])
    assert _text(told) == "Je vous ai écrit en message privé : répondez-y en joignant vos fichiers."
    request = offline.last_message(dm)
    assert request.content == (
        f"📎 Sinistre {number} — Facture ou devis : répondez à ce message (« Répondre ») en y"
        " joignant vos photos ou documents ; chacun sera joint au sinistre."
    )
    assert request.custom_ids == [
        f"clm:attfile:{claim_id}:invoice_or_quote",
        f"clm:attach:{claim_id}",
    ]
    assert request.component(f"clm:attfile:{claim_id}:invoice_or_quote")["disabled"] is True

    # An answer with no file: said how to do it; nothing kept.
    await offline.say(claude, dm, "la voici", reply_to=request)
    assert offline.last_message(dm).content == (
        "Aucun fichier dans votre réponse : répondez à ce message en y joignant une photo ou un"
        " document."
    )
    pdf = offline.file("facture.pdf", PDF, "application/pdf")
    photo = offline.file("devis.jpg", sample_png(), "image/jpeg")
    await offline.say(claude, dm, "", attachments=[pdf, photo], reply_to=request)
    saved = [m.content for m in offline.messages(dm)[-2:]]
    assert saved == [f"📎 Facture ou devis joint au sinistre {number}."] * 2
    assert await _files(world) == [
        (DISCORD, "document", pdf["url"], "facture.pdf", "invoice_or_quote"),
        (DISCORD, "photo", photo["url"], "devis.jpg", "invoice_or_quote"),
    ]

    # In private, the request comes as the answer itself; another kind from its button.
    other = await offline.tap(claude, request, f"clm:attach:{claim_id}")
    again = _answers(side, other)[0]
    await offline.choose(claude, again, f"clm:attp:{claim_id}", ["police_report"])
    second = offline.last_message(dm)
    assert second.content.startswith(f"📎 Sinistre {number} — Procès-verbal de police : ")
    assert second.custom_ids[0] == f"clm:attfile:{claim_id}:police_report"


async def test_who_may_not_add_to_a_claim_adds_nothing(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    claude = await side.registered(world, "claude", Role.COMMUNE)
    dana = await side.registered(world, "dana", Role.COMMUNE, commune="42095")
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    claim_id, _ = await _claim(world, await _pid(world, DISCORD, zoe))
    card = _answers(
        side, await offline.slash(claude, "dossier", {"numero": "S-2026-0001"}, channel=side.hall)
    )[0]

    # Another commune's agent taps a forged button, at each step.
    for action in (f"clm:attach:{claim_id}", f"clm:attp:{claim_id}:evidence"):
        assert _text(await _forged_tap(side, dana, card, action)) == NOT_A_CLAIM
    for action in (f"clm:attp:{claim_id}:nonsense", f"clm:attach:{claim_id}:9", "clm:attach:x"):
        assert _text(await _forged_tap(side, dana, card, action)) == FORBIDDEN

    # A request made out to her (a message of the bot carrying that claim), answered with a
    # file: the service checks again, and nothing lands on the claim.
    dm = offline.dm_channel(dana)
    forged = offline._store_message(
        dm,
        author=offline.bot,
        content="📎 forged",
        components=[
            {
                "type": 1,
                "components": [
                    {
                        "type": 2,
                        "style": 2,
                        "label": "Preuve",
                        "custom_id": f"clm:attfile:{claim_id}:evidence",
                        "disabled": True,
                    }
                ],
            }
        ],
    )
    photo = offline.file("x.jpg", sample_png(), "image/jpeg")
    await offline.say(dana, dm, "", attachments=[photo], reply_to=int(forged["id"]))
    assert offline.last_message(dm).content == NOT_A_CLAIM
    # An answer to her own message is no request, nor the relay's: nothing said or kept.
    own = await offline.say(dana, dm, "clm:attfile")
    count = len(offline.messages(dm))
    await offline.say(dana, dm, "", attachments=[photo], reply_to=own)
    assert len(offline.messages(dm)) == count + 1
    assert await _files(world) == []


# --- 3. a ticket's files sent back -----------------------------------------------------------


async def test_staff_get_discords_files_back_as_attachments_and_telegrams_named(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    offline = side.discord
    sacha = await side.registered(world, "sacha", Role.STAFF)
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    claim_id, number = await _claim(world, await _pid(world, DISCORD, zoe))
    await offline.slash(
        sacha, "repondre", {"numero": number, "texte": "La facture ?"}, channel=side.hall
    )
    dm = offline.dm_channel(zoe)
    pdf = offline.file("facture.pdf", PDF, "application/pdf")
    photo = offline.file("ecran.png", sample_png(), "image/png")
    await offline.say(
        zoe, dm, "Les voici", attachments=[pdf, photo], reply_to=offline.last_message(dm)
    )
    # Sacha reads them on Discord: the text with the first file's link, then the second.
    staff_dm = offline.messages(offline.dm_channel(sacha))
    assert staff_dm[-2].content.endswith(f"Les voici\n\n📎 facture.pdf : {pdf['url']}")
    assert staff_dm[-1].content.endswith(f"📎 ecran.png : {photo['url']}")
    assert offline.last_message(dm).content == (
        f"✅ Message transmis à l'équipe du Plan numérique (dossier {number})."
    )
    # A photo kept from Telegram, and a Discord file gone from the CDN.
    staff_id = await _pid(world, DISCORD, sacha)
    for file in (
        FileRef("photo", "AgACAgQAAxkBAAIB", "AQADuniq"),
        FileRef(
            "document",
            "https://cdn.discordapp.com/attachments/0/1/parti.pdf",
            "1",
            "parti.pdf",
            platform=DISCORD,
        ),
    ):
        await relay_service.add_note(world.db, staff_id, claim_id, "", world.clock.now(), file=file)

    dossier = _answers(
        side, await offline.slash(sacha, "dossier", {"numero": number}, channel=side.hall)
    )[0]
    assert f"tk:files:{claim_id}" in dossier.custom_ids
    sent = await offline.tap(sacha, dossier, f"tk:files:{claim_id}")
    answers = _answers(side, sent)  # the deferral's « réfléchit… » becomes the first
    assert [[a["filename"] for a in m.attachments] for m in answers] == [
        ["facture.pdf"],
        ["ecran.png"],
        [],
        [],
    ]
    assert offline.download(answers[0].attachments[0]["url"]) == PDF
    assert offline.download(answers[1].attachments[0]["url"]) == sample_png()
    assert answers[0].content == f"{number} — Pièce d'un échange"
    assert answers[2].content == (
        f"📎 La pièce « parti.pdf » du dossier {number} n'a pas pu être récupérée sur Discord."
    )
    assert answers[3].content == (
        f"📎 1 pièce du dossier {number} a été reçue sur Telegram : elle ne peut pas être"
        " renvoyée ici."
    )


async def test_a_forged_files_button_sends_nothing(both: tuple[World, DiscordSide]) -> None:
    world, side = both
    offline = side.discord
    sacha = await side.registered(world, "sacha", Role.STAFF)
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    yann = await side.registered(world, "yann", Role.TEACHER, school="0420002Z")
    dana = await side.registered(world, "dana", Role.COMMUNE, commune="42095")
    claim_id, number = await _claim(world, await _pid(world, DISCORD, zoe))
    await offline.slash(
        sacha, "repondre", {"numero": number, "texte": "Photo ?"}, channel=side.hall
    )
    dm = offline.dm_channel(zoe)
    photo = offline.file("ecran.png", sample_png(), "image/png")
    await offline.say(zoe, dm, "", attachments=[photo], reply_to=offline.last_message(dm))
    listing = _answers(side, await offline.slash(sacha, "mes_dossiers", channel=side.hall))[0]
    before = len(offline.messages(side.hall))
    for who, action, expected in (
        (sacha, "tk:files:99", "Je ne trouve pas ce dossier."),
        (sacha, "tk:files:x", FORBIDDEN),
        (yann, f"tk:files:{claim_id}", FORBIDDEN),
        (dana, f"tk:files:{claim_id}", "Je ne trouve pas ce dossier."),
    ):
        refused = await _forged_tap(side, who, listing, action)
        assert _text(refused) == expected
        assert refused.followup_ids == []
        assert _answers(side, refused)[0].attachments == []
    assert len(offline.messages(side.hall)) == before + 4  # the four refusals, nothing else
