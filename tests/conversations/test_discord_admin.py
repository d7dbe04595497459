"""The staff's /inviter and /annonce on Discord, over the same services as Telegram's.

/inviter: the role a choice, the scope an option completed from the directory and checked
by the registration service, the answer only the author sees (the code, the Telegram link,
how to use it on Discord, the QR code attached); a code made on Discord registers a person
on Telegram and one made on Telegram a person on Discord, once. /annonce: the audience a
choice, the text a modal, a preview naming how many people it reaches, « Envoyer », then
the delivery through the router (each person once, on their own platform) and the count
told to the author in their private channel.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.cards.invitation import qr_png
from bot.domain.invitations import deep_link
from bot.domain.platforms import DISCORD, TELEGRAM
from bot.domain.roles import Role
from bot.services import registration
from handlers.discord.offline.api import AUTOCOMPLETE, InteractionRecord
from handlers.discord.render import markdown
from storage.models import AuditEntry, ResponsibleBody
from tests.conversations.conftest import DiscordSide, World, outbox_sent

EPHEMERAL = 1 << 6
CODE = re.compile(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}")
FORBIDDEN = "Vous n'avez pas accès à cette action."
HEADER = "📣 **Plan numérique à l'école — message de l'équipe de Saint-Étienne Métropole**\n\n"


def _messages(side: DiscordSide, record: InteractionRecord) -> list[Any]:
    ids = [i for i in [record.original_id, *record.followup_ids] if i is not None]
    return [side.discord.message(i) for i in ids]


def _text(side: DiscordSide, record: InteractionRecord) -> str:
    """Everything the bot answered to one interaction, its parts joined."""
    if record.response_type == 4 and record.response is not None and not record.followup_ids:
        return str(record.response["data"].get("content") or "")
    return "\n".join(m.content for m in _messages(side, record))


def _hidden(record: InteractionRecord) -> bool:
    assert record.response is not None
    return bool(record.response["data"]["flags"] & EPHEMERAL)


async def _suggested(
    side: DiscordSide, user: Any, command: str, option_name: str, typed: str
) -> list[str]:
    """What Discord shows under an option of ``command`` as the user types ``typed``."""
    offline = side.discord
    registered = offline._find_command(command, side.hall.guild_id)
    options: list[dict[str, Any]] = [
        {"type": 3, "name": option_name, "value": typed, "focused": True}
    ]
    if command == "inviter":
        options.insert(0, {"type": 3, "name": "role", "value": "teacher"})
    else:
        options.insert(0, {"type": 3, "name": "public", "value": "commune"})
    data = {"id": registered["id"], "name": command, "type": 1, "options": options}
    if registered.get("guild_id"):
        data["guild_id"] = registered["guild_id"]
    record = await offline._play(offline._interaction(AUTOCOMPLETE, user, side.hall, data))
    assert record.response_type == 8
    assert record.response is not None
    return [c["value"] for c in record.response["data"]["choices"]]


async def _audited(world: World, object_type: str) -> list[AuditEntry]:
    async with world.db.uow() as uow:
        rows = await uow.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == object_type, AuditEntry.actor_id.is_not(None))
            .order_by(AuditEntry.id)
        )
        return list(rows.all())


# --- /inviter ------------------------------------------------------------------------------


async def test_a_code_made_on_discord_registers_on_telegram_and_one_made_on_telegram_on_discord(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    sacha = await side.registered(world, "sacha", Role.STAFF)
    # The scope completed from the directory, by name or code.
    assert await _suggested(side, sacha, "inviter", "ecole", "soleil") == ["0420001Y"]
    assert await _suggested(side, sacha, "inviter", "ecole", "042000") == [
        "0420002Z",
        "0420003A",
        "0420001Y",
    ]
    assert await _suggested(side, sacha, "inviter", "commune", "firm") == ["42095"]
    assert await _suggested(side, sacha, "inviter", "ecole", "s") == []  # too short

    done = await side.discord.slash(
        sacha,
        "inviter",
        {"role": "director", "ecole": "0420001Y", "validite": "7j"},
        channel=side.hall,
    )
    assert _hidden(done)  # in the server's channel, seen by Sacha only
    text = _text(side, done)
    code = CODE.search(text)
    assert code is not None
    link = deep_link(world.settings.bot_username, code.group())
    assert text == markdown(
        "✅ Invitation créée : <b>direction d'école</b>, École du Soleil (0420001Y).\n"
        f"Code à usage unique : <code>{code.group()}</code>\n"
        f"Lien : {link}\n"
        "Valable jusqu'au mardi 17 mars 2026 à 10:00.\n\n"
        "Transmettez le lien ou le QR code ci-dessous à la personne concernée, à elle seule :"
        " ce code ne sera plus affiché.\n\n"
        "Sur Discord, la personne tape dans le serveur du Plan numérique :"
        f" <code>/inscription code: {code.group()}</code>"
    )
    (shown,) = _messages(side, done)
    (attachment,) = shown.attachments
    assert attachment["filename"] == "invitation.png"
    assert side.discord.download(attachment["url"]) == qr_png(link)

    # Used on Telegram: Dora is the head of École du Soleil there.
    dora = world.user("Dora")
    await world.api.send_text(dora, f"/start {code.group()}")
    person = await registration.find_person(world.db, TELEGRAM, dora.id)
    assert person is not None and person.role == "director"
    assert person.school_id == world.ids["soleil"]
    # Single use: not again, on Discord either.
    noe = side.user("noe")
    again = await side.discord.slash(noe, "inscription", {"code": code.group()}, channel=side.hall)
    assert await registration.find_person(world.db, DISCORD, noe.id) is None
    assert _text(side, again) == (
        "Ce code d'invitation a déjà servi : chaque code ne sert qu'une fois."
        " Demandez une nouvelle invitation."
    )

    # A code made on Telegram's /inviter registers a person on Discord.
    kim = await world.registered("Kim", Role.STAFF)
    api = world.api
    await api.send_text(kim, "/inviter")
    await api.tap(kim, api.last(kim.id), "agent de commune")
    await api.send_text(kim, "42095")
    await api.tap(kim, api.last(kim.id), "Firminy (42095)")
    await api.tap(kim, api.last(kim.id), "7 j")
    await api.tap(kim, api.last(kim.id), "✅ Créer l'invitation")
    made = CODE.search(api.messages(kim.id)[-2].text or "")
    assert made is not None
    dana = side.user("dana")
    welcome = await side.discord.slash(
        dana, "inscription", {"code": made.group()}, channel=side.hall
    )
    agent = await registration.find_person(world.db, DISCORD, dana.id)
    assert agent is not None and agent.role == "commune"
    assert agent.commune_id == world.ids["firminy"]
    assert "Firminy" in _text(side, welcome)
    other = side.user("other")
    await side.discord.slash(other, "inscription", {"code": made.group()}, channel=side.hall)
    assert await registration.find_person(world.db, DISCORD, other.id) is None
    assert [e.details["role"] for e in await _audited(world, "invitation")] == [
        "director",
        "commune",
    ]


async def test_inviter_is_for_staff_and_its_options_are_checked(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    zoe = await side.registered(world, "zoe", Role.TEACHER)
    refused = await side.discord.slash(zoe, "inviter", {"role": "staff"}, channel=side.hall)
    assert _text(side, refused) == FORBIDDEN and _hidden(refused)
    assert await _suggested(side, zoe, "inviter", "ecole", "soleil") == []
    stranger = await side.discord.slash(
        side.user("eve"), "inviter", {"role": "staff"}, channel=side.hall
    )
    assert _text(side, stranger) == markdown(
        world.app.bot_data["services"].i18n.t("fr", "discord.stranger")
    )

    sacha = await side.registered(world, "sacha", Role.STAFF)

    async def said(options: dict[str, str]) -> str:
        record = await side.discord.slash(sacha, "inviter", options, channel=side.hall)
        assert _hidden(record)
        return _text(side, record)

    assert await said({"role": "teacher"}) == markdown(
        "Une invitation d'enseignant·e ou de direction doit désigner une école (UAI)."
    )
    assert await said({"role": "teacher", "ecole": "0429999X"}) == markdown(
        "Aucune école n'a l'UAI 0429999X."
    )
    assert await said({"role": "commune", "commune": "99999"}) == markdown(
        "Aucune commune n'a le code INSEE 99999."
    )
    assert await said({"role": "staff", "ecole": "0420001Y"}) == markdown(
        "Une invitation de l'équipe SEM ne désigne ni école ni commune."
    )
    assert await said({"role": "staff", "validite": "demain"}) == markdown(
        "Durée de validité illisible : « demain ». Exemples : 14d, 14j, 2w, 48h (90 jours au plus)."
    )
    assert await said({"role": "staff", "validite": "120j"}) == markdown(
        "Une invitation vaut 90 jours au plus : tapez une durée plus courte"
        " (ex. 14j, 2 semaines, 48h)."
    )
    assert await _audited(world, "invitation") == []
    # Without a validity: the settings' default (14 days); a staff code has no scope.
    made = await said({"role": "staff"})
    assert "Périmètre" not in made
    assert "équipe SEM du Plan numérique**, toutes les écoles du plan." in made
    assert "Valable jusqu'au mardi 24 mars 2026 à 10:00." in made
    assert side.discord.sent(ok=False) == []


# --- /annonce ------------------------------------------------------------------------------


async def test_an_announcement_reaches_each_person_once_on_their_own_platform(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    sacha = await side.registered(world, "sacha", Role.STAFF)
    dora = await world.registered("Dora", Role.DIRECTOR)  # on Telegram
    dario = await side.registered(world, "dario", Role.DIRECTOR, school="0420002Z")  # Discord
    # Bruno is on both and chose Discord: he gets it there only.
    bruno_tg = await world.registered("Bruno", Role.DIRECTOR, school="0420003A")
    bruno_person = await registration.find_person(world.db, TELEGRAM, bruno_tg.id)
    assert bruno_person is not None
    link = await registration.create_account_code(
        world.db, person_id=bruno_person.id, validity=timedelta(days=1), now=world.clock.now()
    )
    bruno = side.user("bruno")
    await side.discord.slash(bruno, "inscription", {"code": link.code}, channel=side.hall)
    teacher = await side.registered(world, "zoe", Role.TEACHER)  # not in the audience
    before = len(world.texts(dora))

    asked = await side.discord.slash(sacha, "annonce", {"public": "directors"}, channel=side.hall)
    assert asked.modal is not None and asked.modal["title"] == "Nouvelle annonce"
    first = await side.discord.submit_modal(sacha, {"text": "Réunion <b>jeudi</b>\nà 17 h"})
    preview, confirm = _messages(side, first)
    # What the person typed is shown as typed: not bold, not a tag (escaped markdown).
    expected = HEADER + "Réunion \\<b>jeudi\\</b>\nà 17 h\n\n— sacha"
    assert preview.content == expected and preview.ephemeral
    assert confirm.content == (
        "☝️ Voici l'annonce telle qu'elle sera reçue."
        " L'envoyer à toutes les directions d'école (3 personnes) ?"
    )
    assert await _audited(world, "announcement") == []  # nothing sent before the tap

    # The text changed: the first preview's « Envoyer » no longer sends anything.
    await side.discord.tap(sacha, confirm, confirm.custom_ids[1])
    second = await side.discord.submit_modal(sacha, {"text": "Réunion jeudi à 17 h"})
    stale = await side.discord.tap(sacha, confirm, confirm.custom_ids[0])
    assert _text(side, stale) == "Ce bouton n'est plus valable."
    assert await _audited(world, "announcement") == []
    _, confirm = _messages(side, second)
    started = await side.discord.tap(sacha, confirm, confirm.custom_ids[0])
    assert _text(side, started) == (
        "📣 Envoi en cours à 3 personnes. Je vous dirai quand c'est fini."
    )
    await side.discord.settle()
    await outbox_sent(world)

    sent = HEADER + "Réunion jeudi à 17 h\n\n— sacha"
    assert world.texts(dora)[before:] == [
        "📣 Plan numérique à l'école — message de l'équipe de Saint-Étienne Métropole\n\n"
        "Réunion jeudi à 17 h\n\n— sacha"
    ]
    assert [m.content for m in side.discord.messages(side.discord.dm_channel(dario))] == [sent]
    assert [m.content for m in side.discord.messages(side.discord.dm_channel(bruno))] == [sent]
    assert world.api.sent_to(bruno_tg.id) == []
    assert side.discord.messages(side.discord.dm_channel(teacher)) == []
    told = side.discord.messages(side.discord.dm_channel(sacha))
    assert [m.content for m in told] == ["📣 Annonce envoyée à 3 personnes, 0 échec."]

    # A second tap of the same « Envoyer » sends nothing more.
    twice = await side.discord.tap(sacha, confirm, confirm.custom_ids[0])
    await side.discord.settle()
    assert _text(side, twice) == "Ce bouton n'est plus valable."
    assert len(world.texts(dora)) == before + 1
    sent_entry, delivered = await _audited(world, "announcement")
    assert sent_entry.details["audience"] == "directors"
    assert sent_entry.details["recipients"] == 3
    assert sent_entry.details["text"] == "Réunion jeudi à 17 h"
    assert (delivered.details["delivered"], delivered.details["failed"]) == (3, 0)


async def test_one_communes_agents_a_failure_counted_and_the_refusals(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    sacha = await side.registered(world, "sacha", Role.STAFF)
    ines = await side.registered(world, "ines", Role.COMMUNE, commune="42095")  # DM closed
    dana = await side.registered(world, "dana", Role.COMMUNE, commune="42095")
    claude = await world.registered("Claude", Role.COMMUNE)  # Saint-Étienne's, on Telegram
    gil = await world.registered("Gil", Role.COMMUNE, commune="42095")  # blocked the bot
    gil.blocked = True
    zoe = await side.registered(world, "zoe", Role.DIRECTOR)

    assert await _suggested(side, sacha, "annonce", "commune", "firminy") == ["42095"]
    assert await _suggested(side, zoe, "annonce", "commune", "firminy") == []
    refused = await side.discord.slash(zoe, "annonce", {"public": "everyone"}, channel=side.hall)
    assert _text(side, refused) == FORBIDDEN and refused.modal is None

    async def said(options: dict[str, str]) -> str:
        record = await side.discord.slash(sacha, "annonce", options, channel=side.hall)
        assert record.modal is None and _hidden(record)
        return _text(side, record)

    assert await said({"public": "commune"}) == markdown(
        "Pour les agents d'une commune, choisissez la commune dans l'option"
        " <code>commune</code> de /annonce."
    )
    assert await said({"public": "body"}) == markdown(
        "Pour les agents d'un organisme gestionnaire, choisissez-le dans l'option"
        " <code>organisme</code> de /annonce."
    )
    assert await said({"public": "directors", "commune": "42095"}) == markdown(
        "Ce public ne prend ni commune ni organisme : relancez /annonce sans ces options."
    )
    assert await said({"public": "commune", "commune": "99999"}) == markdown(
        "Aucune commune n'a le code INSEE 99999."
    )
    assert await said({"public": "body", "organisme": "OGEC-NONE"}) == markdown(
        "Aucun organisme gestionnaire n'a le code OGEC-NONE (il entre dans l'annuaire avec"
        " les colonnes body_code, body_name, body_kind des écoles)."
    )
    assert await said({"public": "teachers"}) == markdown(
        "Personne n'est inscrit dans ce public pour l'instant : rien à envoyer."
    )

    await side.discord.slash(
        sacha, "annonce", {"public": "commune", "commune": "42095"}, channel=side.hall
    )
    blank = await side.discord.submit_modal(sacha, {"text": "   "})
    assert _text(side, blank) == "L'annonce est vide : tapez le message à envoyer."
    (offered,) = _messages(side, blank)
    await side.discord.tap(sacha, offered, offered.custom_ids[0])  # the form again
    written = await side.discord.submit_modal(sacha, {"text": "Collecte le 3 avril"})
    _, confirm = _messages(side, written)
    assert confirm.content == (
        "☝️ Voici l'annonce telle qu'elle sera reçue."
        " L'envoyer à les agents de la commune de Firminy (3 personnes) ?"
    )
    # A teacher tapping staff's button (forwarded, or forged) is refused.
    stolen = await side.discord.tap(zoe, confirm, confirm.custom_ids[0])
    assert _text(side, stolen) == FORBIDDEN
    # Inès (the first on Discord) closed her private messages: Discord refuses, 403.
    side.discord.fail("POST /channels/{channel_id}/messages", status=403)
    await side.discord.tap(sacha, confirm, confirm.custom_ids[0])
    await side.discord.settle()
    await outbox_sent(world)

    assert side.discord.messages(side.discord.dm_channel(ines)) == []
    assert [m.content for m in side.discord.messages(side.discord.dm_channel(dana))] == [
        HEADER + "Collecte le 3 avril\n\n— sacha"
    ]
    assert world.api.sent_to(claude.id) == []
    assert [r.chat_id for r in world.api.refused] == [gil.id]
    told = side.discord.messages(side.discord.dm_channel(sacha))
    assert [m.content for m in told] == ["📣 Annonce envoyée à 1 personne, 2 échecs."]
    people: dict[int, Any] = {}
    for user, platform in ((ines, DISCORD), (gil, TELEGRAM)):
        found = await registration.find_person(world.db, platform, user.id)
        assert found is not None
        people[found.id] = user
    _, delivered = await _audited(world, "announcement")
    assert sorted(delivered.details["failed_people"]) == sorted(people)

    # Cancelled: nothing sent, said so; a second cancel has nothing left to cancel.
    await side.discord.slash(sacha, "annonce", {"public": "everyone"}, channel=side.hall)
    written = await side.discord.submit_modal(sacha, {"text": "Rien"})
    _, confirm = _messages(side, written)
    cancelled = await side.discord.tap(sacha, confirm, confirm.custom_ids[2])
    assert _text(side, cancelled) == "C'est annulé. Rien n'a été envoyé."
    sent = await side.discord.tap(sacha, confirm, confirm.custom_ids[0])
    assert _text(side, sent) == "Ce bouton n'est plus valable."
    again = await side.discord.tap(sacha, confirm, confirm.custom_ids[2])
    assert _text(side, again) == "Ce bouton n'est plus valable."
    assert len(await _audited(world, "announcement")) == 2  # the one sent: two entries
    # Nothing Discord refused but the injected 403.
    assert [r.fault for r in side.discord.sent(ok=False)] == ["status"]


async def test_an_ogecs_agents_invited_and_told_by_the_bodys_code(
    both: tuple[World, DiscordSide],
) -> None:
    world, side = both
    async with world.db.uow() as uow:
        uow.session.add(
            ResponsibleBody(
                code="OGEC-42", name="OGEC Sainte-Marie", kind="ogec", created_at=world.clock.now()
            )
        )
        await uow.commit()
    sacha = await side.registered(world, "sacha", Role.STAFF)
    assert await _suggested(side, sacha, "inviter", "organisme", "sainte") == ["OGEC-42"]
    assert await _suggested(side, sacha, "annonce", "organisme", "ogec") == ["OGEC-42"]
    made = await side.discord.slash(
        sacha, "inviter", {"role": "commune", "organisme": "ogec-42"}, channel=side.hall
    )
    assert _text(side, made).startswith(
        "✅ Invitation créée : **agent de commune**, OGEC Sainte-Marie (OGEC-42)."
    )
    code = CODE.search(_text(side, made))
    assert code is not None
    marie = world.user("Marie")  # on Telegram
    await world.api.send_text(marie, f"/start {code.group()}")
    assert (await registration.find_person(world.db, TELEGRAM, marie.id)) is not None
    both_scopes = await side.discord.slash(
        sacha,
        "inviter",
        {"role": "commune", "commune": "42095", "organisme": "OGEC-42"},
        channel=side.hall,
    )
    assert _text(side, both_scopes) == markdown(
        "Une invitation d'agent de commune doit désigner une commune (INSEE)."
    )
    claude = await side.registered(world, "claude", Role.COMMUNE)  # Saint-Étienne's own body
    before = len(world.texts(marie))

    await side.discord.slash(
        sacha, "annonce", {"public": "body", "organisme": "OGEC-42"}, channel=side.hall
    )
    written = await side.discord.submit_modal(sacha, {"text": "Inventaire vendredi"})
    _, confirm = _messages(side, written)
    assert confirm.content == (
        "☝️ Voici l'annonce telle qu'elle sera reçue."
        " L'envoyer à les agents de l'organisme gestionnaire OGEC Sainte-Marie (1 personne) ?"
    )
    await side.discord.tap(sacha, confirm, confirm.custom_ids[0])
    await side.discord.settle()
    await outbox_sent(world)
    assert world.texts(marie)[before:] == [
        "📣 Plan numérique à l'école — message de l'équipe de Saint-Étienne Métropole\n\n"
        "Inventaire vendredi\n\n— sacha"
    ]
    assert side.discord.messages(side.discord.dm_channel(claude)) == []  # not the OGEC's
    told = side.discord.messages(side.discord.dm_channel(sacha))
    assert [m.content for m in told] == ["📣 Annonce envoyée à 1 personne, 0 échec."]
