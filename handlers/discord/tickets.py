"""Tickets on Discord: a person's own (/mes_dossiers, /dossier) and the staff's triage
(/file, /retards, /recherche, /repondre, /note), over the services Telegram's
``handlers/telegram/staff.py`` and ``relay.py`` call, with the same texts
(``bot.cards.tickets``) and every kind's card through ``services.kinds``.

Buttons carry the services' action ids: ``tk:`` (``view``, ``open``, ``mine``, ``take``,
``assign``, ``assignto``, ``reply``, ``note``, ``files``, ``reopen``) and ``tq:`` (the
queue's pages and filters); each is re-checked on arrival: the role, and the ticket
through the service (a ticket out of the person's scope reads as not found). A number
typed or completed is looked up within the person's scope too: one not theirs is answered
exactly like one that does not exist. A reply or a note from a dossier's button is typed
in a modal; what is written on a ticket reaches each recipient on their own platform
through the process's router.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.cards.tickets import TicketsCard, posted_text
from bot.domain.errors import DomainError
from bot.domain.roles import Action, Role, can
from bot.services import relay, tickets
from bot.services.delivery import Actions, Outgoing, actions
from bot.services.relay import MAX_BODY
from handlers.discord import files as attached  # its clm: steps too
from handlers.discord.buttons import on, refuse
from handlers.discord.commands import described, name, option
from handlers.discord.context import Ctx, answer, context_of
from handlers.discord.render import components, markdown, split

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord

log = logging.getLogger(__name__)

PER_PAGE = 8
PER_ROW = 4  # the queue's ticket buttons, four to a row
MAX_OPTIONS = 25  # of a select menu, and of an autocomplete
MODAL_TIMEOUT = 15 * 60  # an interaction's token lives 15 minutes: so does its modal
_QUEUE = re.compile(r"^tq:(\d{1,4}):(\d{1,10}):([01]):([a-z_]{1,16}|-)$")
_ID = re.compile(r"^tk:([a-z]{2,10}):(\d{1,10})$")
_ASSIGN_TO = re.compile(r"^tk:assignto:(\d{1,10}):(\d{1,10})$")


def _is_staff(ctx: Ctx) -> bool:
    return ctx.person is not None and can(ctx.person.role, Action.TRIAGE)


def _card(ctx: Ctx) -> TicketsCard:
    return TicketsCard(ctx.services.i18n, ctx.lang, ctx.services.settings.tz)


async def _error(ctx: Ctx, error: DomainError) -> None:
    await answer(ctx, ctx.t(error.code, **error.params))


async def _edit(ctx: Ctx, html: str, view: discord.ui.View | None) -> None:
    """Replace the message a button was tapped on (a page turned, a filter chosen); a text
    too long for one message is answered anew instead."""
    parts = split(markdown(html))
    if len(parts) == 1 and not ctx.interaction.response.is_done():
        await ctx.interaction.response.edit_message(content=parts[0], view=view)
    else:
        await answer(ctx, html, view=view)


# --- /mes_dossiers ------------------------------------------------------------------------


def _mine_view(ctx: Ctx, page: relay.TicketPage) -> discord.ui.View | None:
    rows: list[list[tuple[str, str]]] = []
    for n in range(0, len(page.lines), PER_ROW):
        rows.append([(line.number, f"tk:open:{line.id}") for line in page.lines[n : n + PER_ROW]])
    nav: list[tuple[str, str]] = []
    if page.page > 0:
        nav.append((ctx.t("common.button.previous"), f"tk:mine:{page.page - 1}"))
    if page.page + 1 < page.pages:
        nav.append((ctx.t("common.button.next"), f"tk:mine:{page.page + 1}"))
    rows.append(nav)
    return components(actions(rows))


async def _show_mine(ctx: Ctx, page_number: int, *, edit: bool) -> None:
    assert ctx.person is not None
    page = await relay.my_tickets(ctx.services.db, ctx.person.id, page_number)
    text = _card(ctx).mine(page)
    view = _mine_view(ctx, page) if page.lines else None
    if edit:
        await _edit(ctx, text, view)
    else:
        await answer(ctx, text, view=view)


# --- one ticket ---------------------------------------------------------------------------


async def _show_dossier(ctx: Ctx, ref: tickets.TicketRef) -> None:
    """A ticket whatever its kind: the kind's card; for staff the core's part (assignee,
    thread with notes) and the core's actions, for the body's agents their actions."""
    assert ctx.person is not None
    services = ctx.services
    try:
        kind = services.kinds.get(ref.kind)
        view = await kind.view(services.db, ctx.person.id, ref.id, services.clock.now())
    except DomainError:
        # Out of scope reads exactly as a number that does not exist.
        await _error(ctx, services.kinds.not_found(ref.number))
        return
    text = kind.card(services.i18n, ctx.lang, view)
    buttons = None
    if _is_staff(ctx):
        extra = await tickets.dossier(services.db, ctx.person.id, ref.id)
        text += "\n\n" + _card(ctx).dossier_extra(extra)
        buttons = components(_card(ctx).staff_actions(kind, view, extra, ctx.person.id))
    elif ctx.person.role == Role.COMMUNE:
        buttons = components(kind.body_actions(services.i18n, ctx.lang, view))
    await answer(ctx, text, view=buttons)


async def _dossier_by_number(ctx: Ctx, number: str) -> None:
    try:
        ref = await tickets.ticket_ref(ctx.services.db, number=number)
    except DomainError:
        await _error(ctx, ctx.services.kinds.not_found(number))
        return
    await _show_dossier(ctx, ref)


async def _open(ctx: Ctx, ticket_id: int) -> None:
    """/mes_dossiers' button: the ticket's card and its thread, as the person may read it."""
    assert ctx.person is not None
    services = ctx.services
    try:  # never trust the button: the scope is checked again here
        thread = await relay.ticket_thread(services.db, ctx.person.id, ticket_id)
        if thread.ticket.kind in services.kinds:
            kind = services.kinds.get(thread.ticket.kind)
            view = await kind.view(services.db, ctx.person.id, ticket_id, services.clock.now())
            buttons: Actions = ()
            if ctx.person.role == Role.STAFF:
                buttons = kind.staff_actions(services.i18n, ctx.lang, view)
            elif ctx.person.role == Role.COMMUNE:
                buttons = kind.body_actions(services.i18n, ctx.lang, view)
            await answer(ctx, kind.card(services.i18n, ctx.lang, view), view=components(buttons))
    except DomainError:
        await answer(ctx, ctx.t("relay.error.not_found"))
        return
    await answer(ctx, _card(ctx).thread(thread))


# --- the queue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _QueueView:
    """What the queue shows; carried in its buttons as ``tq:page:commune:overdue:state``
    (the same ids as Telegram's)."""

    page: int = 0
    commune_id: int = 0
    overdue: bool = False
    state: str | None = None

    def data(self, **changes: Any) -> str:
        view = replace(self, **changes)
        return f"tq:{view.page}:{view.commune_id}:{int(view.overdue)}:{view.state or '-'}"


def _parse_queue(data: str) -> _QueueView | None:
    match = _QUEUE.match(data)
    if match is None:
        return None
    # A state no ticket has shows an empty queue: the filter is a plain comparison.
    return _QueueView(int(match[1]), int(match[2]), match[3] == "1", match[4])


async def _show_queue(ctx: Ctx, view: _QueueView, *, edit: bool) -> None:
    assert ctx.person is not None
    services = ctx.services
    now = services.clock.now()
    state = view.state if view.state != "-" else None
    where = tickets.QueueFilter(
        commune_id=view.commune_id or None, overdue_only=view.overdue, state=state
    )
    rows, total = await tickets.queue(
        services.db, ctx.person.id, now=now, where=where, page=view.page, per_page=PER_PAGE
    )
    text = _card(ctx).queue(
        rows, total=total, page=view.page, per_page=PER_PAGE, overdue=view.overdue, now=now
    )
    buttons: list[list[tuple[str, str]]] = [
        [
            (f"{'⚠️ ' if r.overdue else ''}{r.number}", f"tk:view:{r.id}")
            for r in rows[n : n + PER_ROW]
        ]
        for n in range(0, len(rows), PER_ROW)
    ]
    nav = []
    if view.page > 0:
        nav.append((ctx.t("common.button.previous"), view.data(page=view.page - 1)))
    if (view.page + 1) * PER_PAGE < total:
        nav.append((ctx.t("common.button.next"), view.data(page=view.page + 1)))
    buttons.append(nav)
    buttons.append(
        [
            (ctx.t("ticket.button.by_commune"), "tq:communes"),
            (ctx.t("ticket.button.by_state"), "tq:states"),
            (
                ctx.t("ticket.button.all") if view.overdue else ctx.t("ticket.button.overdue"),
                view.data(page=0, overdue=not view.overdue),
            ),
        ]
    )
    shown = components(actions(buttons))
    if edit:
        await _edit(ctx, text, shown)
    else:
        await answer(ctx, text, view=shown)


def _select(ctx: Ctx, choices: list[tuple[str, str]]) -> discord.ui.View:
    """A filter of the queue as a select menu (``tq:pick``, each option a queue's id):
    the first 24 choices and « all »."""
    view = discord.ui.View(timeout=None)
    shown = [*choices[: MAX_OPTIONS - 1], (ctx.t("ticket.button.all"), _QueueView().data())]
    view.add_item(
        discord.ui.Select(
            custom_id="tq:pick",
            options=[
                discord.SelectOption(label=label[:100], value=value) for label, value in shown
            ],
        )
    )
    return view


async def _filters(ctx: Ctx, what: str) -> None:
    assert ctx.person is not None
    db = ctx.services.db
    if what == "communes":
        communes = await tickets.communes_with_open_tickets(db, ctx.person.id)
        choices = [
            (f"{name} ({count})", _QueueView(commune_id=commune_id).data())
            for commune_id, name, count in communes
        ]
        await _edit(ctx, ctx.t("ticket.queue.choose_commune"), _select(ctx, choices))
        return
    states = await tickets.states_of_open_tickets(db, ctx.person.id)
    seen: dict[str, str] = {}
    for kind, state, count in states:
        seen.setdefault(
            _QueueView(state=state).data(), f"{_card(ctx).state(kind, state)} ({count})"
        )
    choices = [(label, value) for value, label in seen.items()]
    await _edit(ctx, ctx.t("ticket.queue.choose_state"), _select(ctx, choices))


@on("tq")
async def queue_tapped(ctx: Ctx, action: str) -> None:
    if not _is_staff(ctx):
        await refuse(ctx, "common.error.forbidden")
        return
    if action in ("tq:communes", "tq:states"):
        await _filters(ctx, action.split(":", 1)[1])
        return
    data = action.removeprefix("tq:pick:")
    view = _parse_queue(data)
    if view is None:
        await refuse(ctx, "common.error.forbidden")
        return
    await _show_queue(ctx, view, edit=True)


# --- writing on a ticket ------------------------------------------------------------------------


async def deliver(ctx: Ctx, posted: relay.Posted) -> None:
    """What was written on a ticket, to each recipient on their own platform (the router),
    remembered there so that an answer to it finds the ticket; then the writer is told."""
    services = ctx.services
    ticket = posted.ticket
    if posted.audience is relay.Audience.NOBODY:
        await answer(ctx, ctx.t("relay.note.saved", number=ticket.number))
        return
    sender = posted.author_name.split()[0] if posted.author_name else posted.author_name
    group = any(r.is_group for r in posted.recipients)
    told = await services.deliver(
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
    said = relay.said_after(posted, told.delivered, told.later)
    await answer(ctx, ctx.t(said, number=ticket.number, name=ticket.reporter_name))


async def _write(ctx: Ctx, what: str, ticket_id: int, body: str) -> bool:
    """A reply to the reporter or an internal note; ``False`` when the service refused it
    (the refusal is said)."""
    assert ctx.person is not None
    services = ctx.services
    write = relay.reply_to_reporter if what == "reply" else relay.add_note
    try:
        posted = await write(services.db, ctx.person.id, ticket_id, body, services.clock.now())
    except DomainError as error:
        again = components(actions([[(ctx.t(f"ticket.button.{what}"), f"tk:{what}:{ticket_id}")]]))
        await answer(ctx, ctx.t(error.code, **error.params), view=again)
        return False
    await deliver(ctx, posted)
    return True


class WriteModal(discord.ui.Modal):
    """A reply to the reporter, or an internal note, typed from a dossier's button; the
    ticket and what is written ride in the modal's custom id, checked again on submit."""

    def __init__(self, ctx: Ctx, what: str, ticket_id: int, number: str) -> None:
        title = ctx.t(f"discord.tickets.modal.{what}", number=number)
        super().__init__(
            title=title[:45], custom_id=f"tk:write:{what}:{ticket_id}", timeout=MODAL_TIMEOUT
        )
        self.what = what
        self.ticket_id = ticket_id
        self.body: discord.ui.TextInput[WriteModal] = discord.ui.TextInput(
            custom_id="text",
            label=ctx.t("discord.tickets.modal.label")[:45],
            style=discord.TextStyle.paragraph,
            max_length=MAX_BODY,
            required=True,
        )
        self.add_item(self.body)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        client: PneDiscord = interaction.client  # type: ignore[assignment]
        ctx = await context_of(client, interaction)
        if not _is_staff(ctx):  # a role may have changed while the modal was open
            await refuse(ctx, "common.error.forbidden")
            return
        await _write(ctx, self.what, self.ticket_id, self.body.value)


# --- the tk: buttons ------------------------------------------------------------------------


@on("tk")
async def ticket_tapped(ctx: Ctx, action: str) -> None:
    if ctx.person is None:
        await refuse(ctx, "discord.stranger")
        return
    if action.startswith("tk:assignto:"):
        await _assign_to(ctx, action)
        return
    match = _ID.match(action)
    if match is None:
        await refuse(ctx, "common.error.forbidden")
        return
    verb, ticket_id = match[1], int(match[2])
    if verb == "mine":
        await _show_mine(ctx, ticket_id, edit=True)  # the page's number
        return
    if verb == "open":
        await _open(ctx, ticket_id)
        return
    if verb == "files":
        await _files(ctx, ticket_id)
        return
    if not _is_staff(ctx):
        await refuse(ctx, "common.error.forbidden")
        return
    services = ctx.services
    try:
        ref = await tickets.ticket_ref(services.db, ticket_id=ticket_id)
    except DomainError as error:
        await refuse(ctx, error.code, **error.params)
        return
    if verb == "view":
        await _show_dossier(ctx, ref)
    elif verb in ("reply", "note"):
        await ctx.interaction.response.send_modal(WriteModal(ctx, verb, ref.id, ref.number))
    elif verb == "take":
        await _assign(ctx, ref.id, ctx.person.id)
    elif verb == "assign":
        staff = await tickets.staff_members(services.db, ctx.person.id)
        view = discord.ui.View(timeout=None)
        view.add_item(
            discord.ui.Select(
                custom_id=f"tk:assignto:{ref.id}",
                options=[
                    discord.SelectOption(label=who[:100], value=str(pid))
                    for pid, who in staff[:MAX_OPTIONS]
                ],
            )
        )
        await answer(ctx, ctx.t("ticket.assign.choose"), view=view)
    elif verb == "reopen":
        try:
            kind = services.kinds.get(ref.kind)
            view_ = await kind.reopen(services.db, ctx.person.id, ref.id, services.clock.now())
        except DomainError as error:
            await _error(ctx, error)
            return
        await answer(
            ctx,
            ctx.t(
                "ticket.reopened",
                number=view_.number,
                state=ctx.t(kind.state_key(view_.state.value)),
            ),
        )
    else:
        await refuse(ctx, "common.error.forbidden")


async def _assign_to(ctx: Ctx, action: str) -> None:
    match = _ASSIGN_TO.match(action)
    if not _is_staff(ctx) or match is None:
        await refuse(ctx, "common.error.forbidden")
        return
    await _assign(ctx, int(match[1]), int(match[2]))


async def _assign(ctx: Ctx, ticket_id: int, assignee_id: int) -> None:
    assert ctx.person is not None
    services = ctx.services
    try:
        number, who = await tickets.assign(
            services.db, ctx.person.id, ticket_id, assignee_id, now=services.clock.now()
        )
    except DomainError as error:
        await _error(ctx, error)
        return
    await answer(ctx, ctx.t("ticket.assign.done", number=number, name=who))


async def _files(ctx: Ctx, ticket_id: int) -> None:
    """A ticket's files: Discord's sent back as attachments, the others counted
    (``handlers.discord.files``, decision 0016)."""
    await attached.resend(ctx, ticket_id)


# --- the commands ---------------------------------------------------------------------------


async def _numbers(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """The numbers the person may see that contain what they typed (never others')."""
    client: PneDiscord = interaction.client  # type: ignore[assignment]
    ctx = await context_of(client, interaction)
    if ctx.person is None:
        return []
    found = await relay.followed_numbers(ctx.services.db, ctx.person.id, current, limit=MAX_OPTIONS)
    return [app_commands.Choice(name=number, value=number) for number in found]


def register(client: PneDiscord) -> None:
    from handlers.discord import reports

    reports.register(client)  # /bilan and /export, staff's too
    tree = client.tree

    async def person(interaction: discord.Interaction, *, staff: bool = False) -> Ctx | None:
        ctx = await context_of(client, interaction)
        if ctx.person is None:
            await answer(ctx, ctx.t("discord.stranger"))
            return None
        if staff and not _is_staff(ctx):
            await answer(ctx, ctx.t("common.error.forbidden"))
            return None
        return ctx

    @tree.command(name=name("mes_dossiers"), description=described(client, "mes_dossiers"))
    async def mes_dossiers(interaction: discord.Interaction) -> None:
        ctx = await person(interaction)
        if ctx is not None:
            await _show_mine(ctx, 0, edit=False)

    @tree.command(name=name("dossier"), description=described(client, "dossier"))
    @app_commands.describe(numero=option(client, "discord.tickets.option.number"))
    @app_commands.autocomplete(numero=_numbers)
    async def dossier(interaction: discord.Interaction, numero: str) -> None:
        ctx = await person(interaction)
        if ctx is not None:
            await _dossier_by_number(ctx, numero)

    @tree.command(name=name("file"), description=described(client, "file"))
    async def file(interaction: discord.Interaction) -> None:
        ctx = await person(interaction, staff=True)
        if ctx is not None:
            await _show_queue(ctx, _QueueView(), edit=False)

    @tree.command(name=name("retards"), description=described(client, "retards"))
    async def retards(interaction: discord.Interaction) -> None:
        ctx = await person(interaction, staff=True)
        if ctx is not None:
            await _show_queue(ctx, _QueueView(overdue=True), edit=False)

    @tree.command(name=name("recherche"), description=described(client, "recherche"))
    @app_commands.describe(texte=option(client, "discord.tickets.option.search"))
    async def recherche(interaction: discord.Interaction, texte: str) -> None:
        ctx = await person(interaction, staff=True)
        if ctx is None:
            return
        assert ctx.person is not None
        services = ctx.services
        try:
            found = await tickets.search(services.db, ctx.person.id, texte, kinds=services.kinds)
        except DomainError as error:
            await _error(ctx, error)
            return
        rows = [
            [(f.number, f"tk:view:{f.id}") for f in found[n : n + PER_ROW]]
            for n in range(0, len(found), PER_ROW)
        ]
        await answer(ctx, _card(ctx).search(texte, found), view=components(actions(rows)))

    @tree.command(name=name("repondre"), description=described(client, "repondre"))
    @app_commands.describe(
        numero=option(client, "discord.tickets.option.number"),
        texte=option(client, "discord.tickets.option.reply"),
    )
    @app_commands.autocomplete(numero=_numbers)
    async def repondre(interaction: discord.Interaction, numero: str, texte: str) -> None:
        await _typed(interaction, "reply", numero, texte)

    @tree.command(name=name("note"), description=described(client, "note"))
    @app_commands.describe(
        numero=option(client, "discord.tickets.option.number"),
        texte=option(client, "discord.tickets.option.note"),
    )
    @app_commands.autocomplete(numero=_numbers)
    async def note(interaction: discord.Interaction, numero: str, texte: str) -> None:
        await _typed(interaction, "note", numero, texte)

    async def _typed(interaction: discord.Interaction, what: str, numero: str, texte: str) -> None:
        ctx = await person(interaction, staff=True)
        if ctx is None:
            return
        assert ctx.person is not None
        try:
            ticket_id = await relay.ticket_by_number(ctx.services.db, ctx.person.id, numero)
        except DomainError as error:
            await _error(ctx, error)
            return
        await _write(ctx, what, ticket_id, texte)
