"""The staff's forum on Discord: one post (a thread) per ticket.

When the settings name a forum channel (``PNE_DISCORD_STAFF_FORUM_ID``), what the
services tell staff about a ticket goes, on Discord, to that ticket's post: the first
message opens it (named with the ticket's number and kind, tagged with the forum's tag of
that kind when there is one), the next ones follow in it. The post's tags follow the
ticket: its kind's tag and its state's (« déclaré », « dossier complet », « clos »…, the
short names of ``discord.forum.tag.<kind>.<state>``, decision 0058), set again whenever a
message about the ticket arrives in it while its state has changed. On Discord a forum post's id is
its first message's id, so the post of a ticket is the message reference of that ticket
whose chat and message ids are equal (``tickets.forum_thread``): no table of its own, and
the post survives a restart.

A staff member writing in a ticket's post writes an internal note on the ticket (the
reporter never sees it; ``/repondre`` answers them).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord.http import handle_message_parameters

from bot.domain.errors import DomainError
from bot.domain.platforms import DISCORD
from bot.domain.roles import Action, can
from bot.services import registration, relay, tickets
from bot.services.delivery import Outgoing, Unreachable

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
POST_NAME = 100  # Discord's limit on a thread's name
MAX_TAGS = 5  # the tags one post may carry
LANGS = ("fr", "en")


def forum_id(client: discord.Client) -> int | None:
    services = getattr(client, "services", None)
    if services is None:
        return None
    found: int | None = services.settings.discord_staff_forum_id
    return found


def _forum_tags(client: discord.Client, forum: int) -> dict[str, int]:
    """The forum's tags by their name, casefolded (none: not a forum, or not in cache)."""
    channel = client.get_channel(forum)
    if not isinstance(channel, discord.ForumChannel):
        return {}
    return {tag.name.casefold(): tag.id for tag in channel.available_tags}


def wanted_tags(client: PneDiscord, available: dict[str, int], ref: tickets.TicketRef) -> list[int]:
    """The forum's tags a ticket's post carries: its kind's, then its state's (a closed
    ticket's: « clos »), each found by name, in French or English; at most Discord's 5."""
    i18n = client.services.i18n
    state = "closed" if ref.closed else ref.state
    wanted = (
        (ref.kind, (f"discord.forum.tag.kind.{ref.kind}", f"ticket.kind.{ref.kind}")),
        (state, (f"discord.forum.tag.{ref.kind}.{state}",)),
    )
    found: list[int] = []
    for code, keys in wanted:
        names = {code.casefold()}
        names |= {i18n.t(lang, key).casefold() for key in keys if i18n.has(key) for lang in LANGS}
        for name in sorted(names):
            tag = available.get(name)
            if tag is not None and tag not in found:
                found.append(tag)
                break  # one tag for the kind, one for the state
    return found[:MAX_TAGS]


async def _retag(client: PneDiscord, thread: int, ref: tickets.TicketRef, forum: int) -> None:
    """The post's tags set again when the ticket's state has changed (one request, and
    only then: the thread's tags are in discord.py's cache from the gateway)."""
    wanted = wanted_tags(client, _forum_tags(client, forum), ref)
    channel = client.get_channel(thread)
    if isinstance(channel, discord.Thread) and [t.id for t in channel.applied_tags] == wanted:
        return
    if not wanted and not isinstance(channel, discord.Thread):
        return
    try:
        await client.http.edit_channel(thread, applied_tags=[str(tag) for tag in wanted])
    except discord.HTTPException as exc:  # the message went; its tags are a convenience
        log.warning("discord: the tags of post %s not set (%s)", thread, exc)


async def post(
    client: PneDiscord, message: Outgoing, parts: list[str], view: discord.ui.View | None
) -> int:
    """Send ``parts`` (the buttons with the last) to the ticket's post, opened if need be;
    returns the last message's id."""
    forum = forum_id(client)
    assert forum is not None and message.chat_id == forum
    if message.ticket_id is None:
        raise Unreachable("the staff forum takes messages about a ticket only")
    services = client.services
    thread = await tickets.forum_thread(services.db, DISCORD, message.ticket_id)
    ref = await tickets.ticket_ref(services.db, ticket_id=message.ticket_id)
    sent = 0
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if thread is None:
            kind = services.i18n.t(services.settings.language, f"ticket.kind.{ref.kind}")
            name = f"{ref.number} · {kind}"[:POST_NAME]
            payload = {"name": name, "auto_archive_duration": 10080, "type": 11}
            tags = wanted_tags(client, _forum_tags(client, forum), ref)
            if tags:
                payload["applied_tags"] = [str(tag) for tag in tags]
            with handle_message_parameters(
                content=part,
                view=view if last and view is not None else discord.utils.MISSING,
                allowed_mentions=NO_PINGS,
                channel_payload=payload,
            ) as params:
                data: Any = await client.http.start_thread_in_forum(forum, params=params)
            thread = int(data["id"])
            sent = thread  # the post's first message has the post's id
            await tickets.remember_messages(
                services.db,
                message.ticket_id,
                [(thread, thread)],
                services.clock.now(),
                platform=DISCORD,
            )
            continue
        if index == 0:
            await _retag(client, thread, ref, forum)
        with handle_message_parameters(
            content=part,
            view=view if last and view is not None else discord.utils.MISSING,
            allowed_mentions=NO_PINGS,
        ) as params:
            data = await client.http.send_message(thread, params=params)
        sent = int(data["id"])
    return sent


async def on_message(client: PneDiscord, message: discord.Message) -> bool:
    """A staff member's message in a ticket's post: an internal note. True when it was one
    (handled, answered with a reaction-free confirmation in the post)."""
    forum = forum_id(client)
    channel = message.channel
    if (
        forum is None
        or message.author.bot
        or not isinstance(channel, discord.Thread)
        or channel.parent_id != forum
    ):
        return False
    services = client.services
    ticket_id = await tickets.ticket_for_message(services.db, DISCORD, channel.id, channel.id)
    if ticket_id is None:
        return False
    person = await registration.find_actor(services.db, DISCORD, message.author.id)
    text = message.content.strip()
    if person is None or not person.active or not can(person.role, Action.TRIAGE) or not text:
        return False
    try:
        await relay.add_note(services.db, person.id, ticket_id, text, services.clock.now())
    except DomainError as error:
        words = services.i18n.t(person.language, error.code, **error.params)
    else:
        words = services.i18n.t(person.language, "discord.forum.noted")
    from handlers.discord.render import markdown

    await channel.send(markdown(words), allowed_mentions=NO_PINGS)
    return True
