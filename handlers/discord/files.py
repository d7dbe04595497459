"""Photos and documents on Discord: replies about a ticket, files for a claim, files sent back.

- A private message that answers (Discord's « Répondre ») one of the bot's messages about a
  ticket goes into the ticket's thread exactly as Telegram's reply does
  (``relay.write_on_ticket``), each attachment a file of platform ``discord`` whose id is
  its URL (the bytes stay on Discord's CDN), and on to its recipients, each on their own
  platform through the router. A reply to a message about no ticket gets Telegram's
  guidance.
- ``clm:attach:<claim>`` (« Joindre un document »): the kind of document is chosen in a
  menu (``clm:attp:<claim>``), then the bot writes, in private, a message to answer with
  the files; the claim and the kind ride in a disabled button of that message
  (``clm:attfile:<claim>:<purpose>``), read again when the answer comes and re-checked
  by the service (``claims.attach_file``: the person must follow that claim).
- ``tk:files:<ticket>`` (« Renvoyer les pièces »): files received on Discord are sent back
  as attachments, downloaded from the CDN; those received elsewhere are counted and named
  by their platform, as Telegram does the other way round (decision 0016).
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from bot.cards.tickets import posted_text
from bot.domain.claims import Document
from bot.domain.errors import DomainError
from bot.domain.platforms import DISCORD
from bot.domain.roles import Action, Role, can
from bot.services import claims as claim_service
from bot.services import registration, relay, tickets
from bot.services.access import Actor
from bot.services.audiences import StaffRoom
from bot.services.claims import FileRef
from bot.services.delivery import Attachment, Dispatch, Outgoing
from bot.services.outbox import Told
from handlers.discord.buttons import refuse
from handlers.discord.claims import say_error, select_menu, step
from handlers.discord.context import Ctx, answer
from handlers.discord.render import markdown, split

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
MAX_FILE_ID = 200  # attachments.file_id
MAX_FILE_NAME = 200
MAX_MIME = 100
# What a document attached to a claim may be: the same choices as on Telegram.
PURPOSES = tuple(
    d.value
    for d in (
        Document.INVOICE_OR_QUOTE,
        Document.INSURER_DECLARATION,
        Document.INSURER_LETTER,
        Document.COMPLAINT_RECEIPT,
        Document.POLICE_REPORT,
        Document.EVIDENCE,
        Document.OTHER,
    )
)
_REQUEST = re.compile(r"^clm:attfile:(\d{1,10}):([a-z_]{1,32})$")
# Other requests answered with files (a payment's proof…): the pattern of the disabled
# button that carries one → what takes the answer; added by their flow's module.
ReplyTaker = Callable[["PneDiscord", Actor, discord.Message, re.Match[str]], Awaitable[None]]
REPLY_TAKERS: list[tuple[re.Pattern[str], ReplyTaker]] = []


# --- Discord attachments as the services' files --------------------------------------------


def file_ref(attachment: discord.Attachment) -> FileRef:
    """An attachment as a file of platform ``discord``: its URL is its id (the signed URL
    when it fits the column, else the URL without its query)."""
    url = attachment.url
    if len(url) > MAX_FILE_ID:
        url = url.split("?", 1)[0][:MAX_FILE_ID]
    mime = attachment.content_type
    kind = "photo" if mime is not None and mime.startswith("image/") else "document"
    return FileRef(
        kind,
        url,
        str(attachment.id),
        attachment.filename[:MAX_FILE_NAME],
        mime[:MAX_MIME] if mime else None,
        platform=DISCORD,
    )


async def _say(channel: Any, text: str) -> None:
    for part in split(markdown(text)):
        await channel.send(part, allowed_mentions=NO_PINGS)


# --- private messages ------------------------------------------------------------------------


async def on_message(client: PneDiscord, message: discord.Message) -> bool:
    """A person's private reply to one of the bot's messages: files for a claim, or a
    message on a ticket, or Telegram's guidance when it is about no ticket. True when the
    message was handled."""
    if message.author.bot or message.guild is not None or message.reference is None:
        return False
    replied_id = message.reference.message_id
    if replied_id is None:
        return False
    services = client.services
    person = await registration.find_actor(services.db, DISCORD, message.author.id)
    if person is None or not person.active:
        return False
    channel = message.channel
    replied = await _replied(client, message)
    if replied is None:  # an answer to the person's own message: not the relay's
        return False
    request = _claim_request(replied)
    if request is not None:
        await _attach_to_claim(client, person, message, *request)
        return True
    taken = _taken_request(replied)
    if taken is not None:
        await taken[0](client, person, message, taken[1])
        return True
    ticket_id = await tickets.ticket_for_message(services.db, DISCORD, channel.id, replied_id)
    if ticket_id is None:
        key = (
            "relay.error.not_a_ticket_staff"
            if person.role == Role.STAFF
            else "relay.error.not_a_ticket"
        )
        await _say(channel, services.i18n.t(person.language, key))
        return True
    await _relay(client, person, message, ticket_id)
    return True


async def _relay(
    client: PneDiscord, person: Actor, message: discord.Message, ticket_id: int
) -> None:
    """The message and its files into the ticket's thread, then to their recipients: the
    text with the first file (a long text alone first), each other file on its own."""
    services = client.services
    body = message.content.strip()
    files: list[FileRef | None] = [file_ref(a) for a in message.attachments]
    writes: list[tuple[str, FileRef | None]]
    if not files:
        writes = [(body, None)]
    elif len(body) > relay.MAX_CAPTION:
        writes = [(body, None), *(("", f) for f in files)]
    else:
        writes = [(body, files[0]), *(("", f) for f in files[1:])]
    room = StaffRoom.of(services.settings)
    lang = person.language
    for n, (text, file) in enumerate(writes):
        try:
            posted = await relay.write_on_ticket(
                services.db, person.id, ticket_id, text, services.clock.now(), file=file, room=room
            )
        except DomainError as error:
            await _say(message.channel, services.i18n.t(lang, error.code, **error.params))
            return
        told = await deliver(client, posted, message.author.display_name)
        if n < len(writes) - 1:
            continue
        ticket = posted.ticket
        said = relay.said_after(posted, told.delivered, told.later)
        words = services.i18n.t(lang, said, number=ticket.number, name=ticket.reporter_name)
        await _say(message.channel, words)


async def deliver(client: PneDiscord, posted: relay.Posted, sender_name: str) -> Told:
    """What was written, to each recipient on their own platform (the router), remembered
    so that an answer finds the ticket; a Discord file is linked for Discord's readers and
    said to stay on the ticket for the others. Text alone goes through the outbox (decision
    0084); a file is sent at once."""
    services = client.services
    ticket = posted.ticket
    sender = sender_name.split()[0] if sender_name.strip() else posted.author_name
    group = any(r.is_group for r in posted.recipients)
    if posted.file is None:
        return await services.deliver(
            [
                Outgoing(
                    r.chat_id,
                    posted_text(services.i18n, r.language, posted, sender, group=group),
                    ticket_id=ticket.id,
                    platform=r.platform,
                )
                for r in posted.recipients
            ]
        )
    fetched: list[Attachment | None] = []

    async def carry(file: FileRef) -> Attachment | None:
        """The file's bytes, fetched once for every reader on another platform."""
        if not fetched:
            name = _named(file.kind, file.file_name or file.kind)
            fetched.append(
                await services.router.carry(DISCORD, file.file_id, name, image=file.kind == "photo")
            )
        return fetched[0]

    delivered = 0
    for recipient in posted.recipients:
        lang = recipient.language
        text = posted_text(services.i18n, lang, posted, sender, group=group)
        file = posted.file
        carried = None
        if file is not None and recipient.platform == DISCORD:
            text += "\n\n" + services.i18n.t(
                lang, "discord.files.link", name=file.file_name or file.kind, url=file.file_id
            )
        elif file is not None:
            # Another platform: the file's bytes go with the text (decision 0060), or,
            # too large or unreadable, the text says the file stays on the ticket.
            carried = await carry(file)
            if carried is None:
                text += "\n\n" + services.i18n.t(lang, "discord.files.kept_on_discord")
        outgoing = Outgoing(
            recipient.chat_id, text, ticket_id=ticket.id, platform=recipient.platform
        )
        try:
            await tickets.send_about(services.db, services.router, outgoing, services.clock.now())
            if carried is not None:
                await tickets.send_files_about(
                    services.db,
                    services.router,
                    Dispatch(recipient.chat_id, "", (carried,), platform=recipient.platform),
                    ticket.id,
                    services.clock.now(),
                )
        except Exception as error:  # unreachable, refused or transient: this one is skipped
            log.warning(
                "relay: %s chat %s of ticket %s not told: %s",
                recipient.platform,
                recipient.chat_id,
                ticket.id,
                error,
            )
            continue
        delivered += 1
    return Told(delivered)


# --- files for a claim -----------------------------------------------------------------------


async def _replied(client: PneDiscord, message: discord.Message) -> discord.Message | None:
    """The message answered, when it is one of this bot's (as Telegram's relay takes only
    answers to the bot)."""
    assert message.reference is not None and message.reference.message_id is not None
    replied = message.reference.resolved
    if not isinstance(replied, discord.Message):
        try:
            replied = await message.channel.fetch_message(message.reference.message_id)
        except discord.HTTPException:
            return None
    if client.user is None or replied.author.id != client.user.id:
        return None
    return replied


def _claim_request(replied: discord.Message) -> tuple[int, str] | None:
    """The claim and the kind of document the bot's message asked files for, read from
    its disabled button."""
    for row in replied.components:
        for item in getattr(row, "children", ()):
            found = _REQUEST.match(getattr(item, "custom_id", None) or "")
            if found is not None and found[2] in PURPOSES:
                return int(found[1]), found[2]
    return None


def _taken_request(replied: discord.Message) -> tuple[ReplyTaker, re.Match[str]] | None:
    for row in replied.components:
        for item in getattr(row, "children", ()):
            for pattern, taker in REPLY_TAKERS:
                found = pattern.match(getattr(item, "custom_id", None) or "")
                if found is not None:
                    return taker, found
    return None


async def _attach_to_claim(
    client: PneDiscord, person: Actor, message: discord.Message, claim_id: int, purpose: str
) -> None:
    services = client.services
    lang = person.language
    i18n = services.i18n
    if not can(person.role, Action.REPORT_CLAIM):
        await _say(message.channel, i18n.t(lang, "common.error.forbidden"))
        return
    if not message.attachments:
        await _say(message.channel, i18n.t(lang, "discord.files.no_file"))
        return
    for attachment in message.attachments:
        try:
            claim = await claim_service.attach_file(
                services.db,
                person.id,
                claim_id,
                file_ref(attachment),
                purpose=purpose,
                now=services.clock.now(),
            )
        except DomainError as error:
            await _say(message.channel, i18n.t(lang, error.code, **error.params))
            return
        await _say(
            message.channel,
            i18n.t(
                lang,
                "claim.follow.file_saved",
                number=claim.number,
                purpose=i18n.t(lang, f"claim.purpose.{purpose}"),
            ),
        )


async def _claim(ctx: Ctx, raw: str) -> claim_service.ClaimView | None:
    """The claim of a button, if this person may add to it (re-checked: never trusted)."""
    assert ctx.person is not None
    if not can(ctx.person.role, Action.REPORT_CLAIM) or not raw.isdigit() or len(raw) > 10:
        await refuse(ctx, "common.error.forbidden")
        return None
    try:
        return await claim_service.claim_view(
            ctx.services.db, ctx.person.id, int(raw), ctx.services.clock.now()
        )
    except DomainError as error:
        await say_error(ctx, error)
        return None


@step("attach")
async def attach(ctx: Ctx, parts: list[str]) -> None:
    """« Joindre un document »: which kind, in a menu."""
    claim = await _claim(ctx, parts[0] if len(parts) == 1 else "")
    if claim is None:
        return
    menu = select_menu(
        f"clm:attp:{claim.id}",
        ctx.t("claim.follow.ask_purpose", number=claim.number),
        [(ctx.t(f"claim.purpose.{p}"), p) for p in PURPOSES],
    )
    await answer(ctx, ctx.t("claim.follow.ask_purpose", number=claim.number), view=menu)


@step("attp")
async def purpose_chosen(ctx: Ctx, parts: list[str]) -> None:
    """The kind chosen: a private message to answer with the files."""
    if len(parts) != 2 or parts[1] not in PURPOSES:
        await refuse(ctx, "common.error.forbidden")
        return
    claim = await _claim(ctx, parts[0])
    if claim is None:
        return
    purpose = parts[1]
    view = discord.ui.View(timeout=None)
    view.add_item(
        discord.ui.Button(
            label=ctx.t(f"claim.purpose.{purpose}")[:80],
            custom_id=f"clm:attfile:{claim.id}:{purpose}",
            disabled=True,
        )
    )
    view.add_item(
        discord.ui.Button(
            label=ctx.t("discord.files.other_purpose")[:80], custom_id=f"clm:attach:{claim.id}"
        )
    )
    text = ctx.t(
        "discord.files.ask", number=claim.number, purpose=ctx.t(f"claim.purpose.{purpose}")
    )
    if ctx.private:
        await answer(ctx, text, view=view)
        return
    try:  # an answer in a server's channel is hidden: it could not be answered
        await ctx.interaction.user.send(markdown(text), view=view, allowed_mentions=NO_PINGS)
    except discord.HTTPException:
        await answer(ctx, ctx.t("discord.files.dm_closed"), ephemeral=True)
        return
    await answer(ctx, ctx.t("discord.files.see_dm"), ephemeral=True)


@step("attfile")
async def request_tapped(ctx: Ctx, parts: list[str]) -> None:
    """The disabled button that carries a request: tapped anyway (a forged tap), it only
    says how to answer, after the same checks."""
    if len(parts) != 2 or parts[1] not in PURPOSES:
        await refuse(ctx, "common.error.forbidden")
        return
    claim = await _claim(ctx, parts[0])
    if claim is None:
        return
    await answer(
        ctx,
        ctx.t("discord.files.ask", number=claim.number, purpose=ctx.t(f"claim.purpose.{parts[1]}")),
        ephemeral=True,
    )


# --- a ticket's files sent back ----------------------------------------------------------------


async def resend(ctx: Ctx, ticket_id: int) -> None:
    """« Renvoyer les pièces »: Discord's files as attachments again (their bytes fetched
    from the CDN through the client), the others counted by platform (decision 0016)."""
    assert ctx.person is not None
    try:
        found = await tickets.attachments(ctx.services.db, ctx.person.id, ticket_id)
    except DomainError as error:
        await refuse(ctx, error.code, **error.params)
        return
    if not found.files:
        await answer(ctx, ctx.t("discord.tickets.files.none", number=found.number))
        return
    hidden = not ctx.private
    await ctx.interaction.response.defer(ephemeral=hidden, thinking=True)
    router = ctx.services.router
    left: list[str] = []
    for file in found.files:
        purpose = (
            ctx.t(f"claim.purpose.{file.purpose}")
            if file.purpose != "evidence"
            else ctx.t("ticket.file.evidence")
        )
        caption = ctx.t("ticket.file.caption", number=found.number, purpose=purpose)
        name = file.file_name or f"{file.kind}-{file.id}"
        if file.platform != DISCORD:
            # Another platform's file, fetched through its front end when it runs here
            # (decision 0060); else counted below.
            carried = await router.carry(file.platform, file.file_id, _named(file.kind, name))
            if carried is None:
                left.append(file.platform)
                continue
            data, name = carried.data, carried.filename
        else:
            try:
                data = await ctx.client.http.get_from_cdn(file.file_id)
            except discord.HTTPException as error:
                log.warning(
                    "discord: file %s of ticket %s not fetched: %s", file.id, ticket_id, error
                )
                await answer(
                    ctx,
                    ctx.t("discord.files.unreadable", number=found.number, name=name),
                    ephemeral=hidden,
                )
                continue
        await ctx.interaction.followup.send(
            markdown(caption),
            file=discord.File(io.BytesIO(data), filename=name),
            ephemeral=hidden,
            allowed_mentions=NO_PINGS,
        )
    if left:
        platforms = ", ".join(sorted({platform.capitalize() for platform in left}))
        await answer(
            ctx,
            ctx.t(
                "ticket.file.elsewhere",
                number=found.number,
                count=len(left),
                platforms=platforms,
            ),
        )


def _named(kind: str, name: str) -> str:
    """A file's name for Discord, which shows an attachment by its extension: a Telegram
    photo has no name (``photo-12`` → ``photo-12.jpg``)."""
    if "." in name.rsplit("/", 1)[-1]:
        return name
    return f"{name}.jpg" if kind == "photo" else name
