"""Staff's side of the calls for interest on Discord: /ami and the campaigns' cards.

The same services and cards as Telegram's (handlers/telegram/calls_staff.py): /ami lists
the campaigns with their counts, a button each (``amis:card:<id>``) opens its card with
the buttons of its state (bot/cards/call_staff.py). « Publier » a kept draft, « Annuler
l'appel », « Envoyer les résultats » and « Servir la liste d'attente » each ask a
confirmation naming the call; « Prolonger » opens a form for the new closing, read and
checked by the domain, then a confirmation (the new closing kept as a draft row under
the nonce its button carries, decision 0047). After the closing « Sélection » shows the
applications, one message each with its buttons (``ami:select|wait|decline:<ticket>``,
the card's own ids, routed here from handlers/discord/calls.py), paged, and the workbook
as a file; « Retenir » and « Liste d'attente » ask the quantity in a form, « Refuser »
the reason. What the services say is owed to the applicants goes out through the router
(``tell``), and staff hear how many received it.
"""

from __future__ import annotations

import asyncio
import html
import io
import logging
import re
import secrets
from datetime import date, time
from typing import TYPE_CHECKING

import discord

from bot.cards import call_drafts
from bot.cards.call_staff import StaffCallCard
from bot.domain import calls as rules
from bot.domain.call_drafting import read_moment, whole
from bot.domain.dates import PARIS, local_to_utc
from bot.domain.errors import DomainError
from bot.domain.roles import Action, can
from bot.i18n import Safe
from bot.services import call_files, call_notices, call_publication, drafts
from bot.services import calls as service
from bot.services.calls import CampaignState
from bot.services.delivery import Outgoing, actions
from handlers.discord.buttons import on, refuse
from handlers.discord.claim_follow import Form, again_button
from handlers.discord.claims import say_error
from handlers.discord.context import Ctx, answer
from handlers.discord.render import components

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord

log = logging.getLogger(__name__)

NAMESPACE = "amis"
EXTENDING = "discord:call_extend"
PAGE = 8  # applications per page of the selection, as on Telegram
MAX_LIST = 20  # campaigns with a button in /ami
MAX_ID = 2**31 - 1
LABEL = 45  # Discord's longest modal title and text-input label
DECISIONS = ("select", "wait", "decline")  # the ``ami:`` verbs of an application's card
_TAGS = re.compile(r"<[^>]*>")

Rows = list[list[tuple[str, str]]]


def _card(ctx: Ctx) -> StaffCallCard:
    return StaffCallCard(ctx.services.i18n, ctx.lang)


def _plain(text: str, limit: int = LABEL) -> str:
    """A catalog text where Discord shows plain text (a form's title, a label)."""
    shown = html.unescape(_TAGS.sub("", text))
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _id(part: str) -> int | None:
    return int(part) if part.isdigit() and len(part) <= 10 and int(part) <= MAX_ID else None


def _key(ctx: Ctx) -> str:
    assert ctx.person is not None
    return str(ctx.person.id)


def _view(rows: Rows) -> discord.ui.View | None:
    return components(actions(rows))


def _people(ctx: Ctx, count: int) -> str:
    return ctx.t("ami.staff.count.people", count=count)


def _paris(ctx: Ctx, day: date, at: time) -> str:
    return ctx.services.i18n.datetime(ctx.lang, local_to_utc(day, at, PARIS))


async def _allowed(ctx: Ctx) -> bool:
    person = ctx.person
    if person is None or not can(person.role, Action.MANAGE_CALLS):
        await refuse(ctx, "common.error.forbidden")
        return False
    return True


def _meaningful(text: str) -> bool:
    return any(c.isalnum() for c in text)


async def _told(
    ctx: Ctx, messages: list[Outgoing], campaign: service.CampaignView, what: str
) -> None:
    """The applicants told on their own platform, through the outbox; staff hear how many
    received it at the end (decision 0077)."""
    assert ctx.person is not None
    await call_publication.send_out(
        ctx.services.db,
        messages,
        campaign=campaign,
        what=what,
        author_id=ctx.person.id,
        record=False,
        now=ctx.services.clock.now(),
    )


# --- /ami -------------------------------------------------------------------------------------


async def staff_calls(ctx: Ctx) -> None:
    """The campaigns, newest first, with their counts; a button opens each one's card."""
    if not await _allowed(ctx):
        return
    assert ctx.person is not None
    services = ctx.services
    lines = await service.campaigns(services.db, ctx.person.id)
    if not lines:
        await answer(ctx, ctx.t("ami.staff.none"))
        return
    card = _card(ctx)
    now = services.clock.now()
    text = ctx.t("ami.staff.list_head", count=len(lines)) + "\n\n"
    text += "\n\n".join(card.line(line, now) for line in lines)
    rows = [
        [(f"{line.campaign.id} · {line.campaign.title}"[:60], f"amis:card:{line.campaign.id}")]
        for line in lines[:MAX_LIST]
    ]
    await answer(ctx, text, view=_view(rows))


async def _line(ctx: Ctx, campaign_id: int) -> service.CampaignLine | None:
    """The campaign's line of the list (its counts), or said to be unknown."""
    assert ctx.person is not None
    lines = await service.campaigns(ctx.services.db, ctx.person.id)
    line = next((x for x in lines if x.campaign.id == campaign_id), None)
    if line is None:
        await refuse(ctx, "call.error.campaign_not_found")
    return line


async def _campaign_card(ctx: Ctx, campaign_id: int) -> None:
    line = await _line(ctx, campaign_id)
    if line is None:
        return
    card = _card(ctx)
    now = ctx.services.clock.now()
    text = card.summary(line.campaign) + "\n\n" + card.line(line, now)
    text += call_drafts.questions_text(card, line.campaign)
    await answer(ctx, text, view=_view(card.campaign_actions(line.campaign, now)))


async def _kept(ctx: Ctx, campaign_id: int) -> None:
    assert ctx.person is not None
    try:
        view = await service.campaign(ctx.services.db, ctx.person.id, campaign_id)
    except DomainError as error:
        await say_error(ctx, error)
        return
    await answer(ctx, ctx.t("ami.staff.kept", title=view.title))


# --- publishing a kept draft ------------------------------------------------------------------


async def _publish_asked(ctx: Ctx, campaign_id: int) -> None:
    assert ctx.person is not None
    try:
        found = await service.preview(ctx.services.db, ctx.person.id, campaign_id)
        if found.campaign.state != CampaignState.DRAFT:
            raise DomainError("call.error.not_draft")
    except DomainError as error:
        await say_error(ctx, error)
        return
    rows = [
        [(ctx.t("ami.staff.button.publish_ok"), f"amis:pubok:{campaign_id}")],
        [(ctx.t("ami.staff.button.keep"), "amis:keep")],
    ]
    text = ctx.t(
        "ami.staff.confirm_publish",
        title=found.campaign.title,
        people=_people(ctx, found.heads + found.teachers),
        schools=ctx.t("ami.count.schools", count=found.schools),
    )
    await answer(ctx, text, view=_view(rows))


async def _publish_confirmed(ctx: Ctx, campaign_id: int) -> None:
    """Published by the service Telegram's « Publier » calls; delivered through the router
    at the paced lane's rhythm, the delivery audited, staff told the count."""
    assert ctx.person is not None
    services = ctx.services
    try:
        published = await service.publish(
            services.db, ctx.person.id, campaign_id, services.clock.now()
        )
    except DomainError as error:
        await say_error(ctx, error)
        return
    messages = call_notices.publication(services.i18n, published)
    campaign = published.campaign
    await answer(
        ctx,
        ctx.t("ami.staff.published", title=campaign.title, people=_people(ctx, len(messages))),
    )
    await call_publication.send_out(
        services.db,
        messages,
        campaign=campaign,
        what="publication",
        author_id=ctx.person.id,
        record=True,
        now=services.clock.now(),
    )


# --- cancelling -------------------------------------------------------------------------------


async def _cancel_asked(ctx: Ctx, campaign_id: int) -> None:
    line = await _line(ctx, campaign_id)
    if line is None:
        return
    if line.campaign.state not in (CampaignState.DRAFT, CampaignState.PUBLISHED):
        await refuse(ctx, "call.error.not_cancellable")
        return
    rows = [
        [(ctx.t("ami.staff.button.cancel_ok"), f"amis:cxlok:{campaign_id}")],
        [(ctx.t("ami.staff.button.keep"), "amis:keep")],
    ]
    text = ctx.t(
        "ami.staff.confirm_cancel",
        title=line.campaign.title,
        applied=ctx.t("ami.count.applied", count=line.applied),
    )
    await answer(ctx, text, view=_view(rows))


async def _cancel_confirmed(ctx: Ctx, campaign_id: int) -> None:
    assert ctx.person is not None
    services = ctx.services
    try:
        done = await service.cancel(services.db, ctx.person.id, campaign_id, services.clock.now())
    except DomainError as error:
        await say_error(ctx, error)
        return
    messages = call_notices.cancellation(services.i18n, done)
    await answer(
        ctx,
        ctx.t("ami.staff.cancelled", title=done.campaign.title, people=_people(ctx, len(messages))),
    )
    await _told(ctx, messages, done.campaign, "cancellation")


# --- extending: the new closing in a form, then a confirmation ----------------------------------


async def _extend_tapped(ctx: Ctx, campaign_id: int) -> None:
    assert ctx.person is not None
    try:
        view = await service.campaign(ctx.services.db, ctx.person.id, campaign_id)
        if view.state != CampaignState.PUBLISHED:
            raise DomainError("call.error.not_published")
    except DomainError as error:
        await say_error(ctx, error)
        return
    await ctx.interaction.response.send_modal(ExtendForm(ctx, view))


class ExtendForm(Form):
    """The new closing, offered as the current one to change (Paris wall clock)."""

    def __init__(self, ctx: Ctx, view: service.CampaignView) -> None:
        super().__init__(
            _plain(ctx.t("dcalls.extend.title", title=view.title)),
            f"amis:ef:{view.id}:{secrets.token_hex(4)}",
        )
        self.campaign_id = view.id
        closes = view.window.closes_at.astimezone(PARIS)
        self.field(
            "closes",
            _plain(ctx.t("dcalls.extend.field")),
            default=closes.strftime("%d/%m/%Y %H:%M"),
            placeholder="30/04/2026 18:00",
            max_length=40,
        )

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        if not await _allowed(ctx):
            return
        assert ctx.person is not None
        services = ctx.services
        now = services.clock.now()
        try:
            view = await service.campaign(services.db, ctx.person.id, self.campaign_id)
            if view.state != CampaignState.PUBLISHED:
                raise DomainError("call.error.not_published")
            day, at = read_moment(values.get("closes", ""))
            rules.extend(view.window, day, at, now)
        except DomainError as error:
            await say_error(ctx, error, again_button(ctx, f"amis:extend:{self.campaign_id}"))
            return
        line = await _line(ctx, view.id)
        if line is None:
            return
        draft = {
            "campaign_id": view.id,
            "closes_on": day.isoformat(),
            "closes_time": at.strftime("%H:%M"),
        }
        nonce = await drafts.save(services.db, EXTENDING, _key(ctx), draft, now)
        rows = [
            [(ctx.t("ami.staff.button.extend_ok"), f"amis:extok:{nonce}")],
            [(ctx.t("common.button.cancel"), f"amis:extno:{nonce}")],
        ]
        text = ctx.t(
            "ami.staff.confirm_extend",
            title=view.title,
            closes=_paris(ctx, day, at),
            applied=ctx.t("ami.count.applied", count=line.applied),
        )
        await answer(ctx, text, view=_view(rows))


async def _extend_confirmed(ctx: Ctx, nonce: str) -> None:
    assert ctx.person is not None
    services = ctx.services
    draft = await drafts.load(services.db, EXTENDING, _key(ctx), nonce)
    if draft is None:
        await refuse(ctx, "common.stale_button")
        return
    await drafts.drop(services.db, EXTENDING, _key(ctx))
    try:
        told = await service.extend(
            services.db,
            ctx.person.id,
            int(draft["campaign_id"]),
            date.fromisoformat(draft["closes_on"]),
            time.fromisoformat(draft["closes_time"]),
            services.clock.now(),
        )
    except DomainError as error:
        await say_error(ctx, error)
        return
    messages = call_notices.extension(services.i18n, told)
    await answer(
        ctx,
        ctx.t(
            "ami.staff.extended",
            title=told.campaign.title,
            closes=services.i18n.datetime(ctx.lang, told.campaign.window.closes_at),
            people=_people(ctx, len(messages)),
        ),
    )
    await _told(ctx, messages, told.campaign, "extension")


async def _extend_dropped(ctx: Ctx, nonce: str) -> None:
    services = ctx.services
    if await drafts.load(services.db, EXTENDING, _key(ctx), nonce) is None:
        await refuse(ctx, "common.stale_button")
        return
    await drafts.drop(services.db, EXTENDING, _key(ctx))
    await answer(ctx, ctx.t("common.cancelled"))


# --- the selection ------------------------------------------------------------------------------


async def _selection(ctx: Ctx, campaign_id: int, page: int) -> None:
    """The head, one message per application of the page with its buttons, the
    workbook on the first page, and the foot with « Suivantes » and the next steps."""
    assert ctx.person is not None
    services = ctx.services
    now = services.clock.now()
    try:
        found = await service.selection(services.db, ctx.person.id, campaign_id, now)
    except DomainError as error:
        await say_error(ctx, error)
        return
    hidden = not ctx.private
    await ctx.interaction.response.defer(ephemeral=hidden, thinking=True)
    card = _card(ctx)
    view = found.campaign
    pages = max(1, -(-len(found.rows) // PAGE))
    page = min(page, pages - 1)
    await answer(
        ctx,
        ctx.t(
            "ami.staff.sel.head",
            title=view.title,
            applied=ctx.t("ami.count.applied", count=len(found.rows)),
            given=card.quantity(view.quantity, found.given),
            left=card.quantity(view.quantity, max(found.left, 0)),
            page=page + 1,
            pages=pages,
        ),
    )
    if not found.rows:
        await answer(ctx, ctx.t("ami.staff.sel.empty"))
    for row in found.rows[page * PAGE : (page + 1) * PAGE]:
        await answer(
            ctx,
            card.selection_row(row),
            view=components(card.staff_actions(row.application)),
        )
    if page == 0 and found.rows:
        xlsx = await asyncio.to_thread(
            call_files.applications_xlsx, found, ctx.lang, services.i18n, generated=now
        )
        await ctx.interaction.followup.send(
            file=discord.File(io.BytesIO(xlsx), filename=f"ami-{view.id}.xlsx"),
            ephemeral=hidden,
        )
    rows: Rows = []
    if page + 1 < pages:
        rows.append([(ctx.t("ami.staff.button.next"), f"amis:sel:{view.id}:{page + 1}")])
    rows.extend(
        row
        for row in card.campaign_actions(view, now)
        if row[0][1].startswith(("amis:results:", "amis:serve:"))
    )
    await answer(ctx, ctx.t("ami.staff.sel.foot"), view=_view(rows))


# --- a decision on one application: the quantity, or the reason, in a form -----------------------


async def decision_tapped(ctx: Ctx, action: str) -> None:
    """« Retenir », « Liste d'attente », « Refuser » of an application of the selection
    (``ami:select|wait|decline:<ticket>``): staff only, after the closing, on a call
    still published, an application not withdrawn; then its form."""
    if ctx.person is None:
        await refuse(ctx, "discord.stranger")
        return
    if not await _allowed(ctx):
        return
    parts = action.split(":")
    ticket_id = _id(parts[2]) if len(parts) == 3 else None
    if ticket_id is None or parts[1] not in DECISIONS:
        await refuse(ctx, "common.stale_button")
        return
    services = ctx.services
    try:
        application = await service.application(services.db, ctx.person.id, ticket_id)
        if application.withdrawn_at is not None:
            raise DomainError("call.error.withdrawn")
        if application.campaign.state != CampaignState.PUBLISHED:
            raise DomainError("call.error.not_published")
        if not application.campaign.window.is_locked(services.clock.now()):
            raise DomainError("call.error.still_open")
    except DomainError as error:
        await say_error(ctx, error)
        return
    if parts[1] == "decline":
        await ctx.interaction.response.send_modal(ReasonForm(ctx, application))
    else:
        await ctx.interaction.response.send_modal(QuantityForm(ctx, application, parts[1]))


def _form_title(ctx: Ctx, application: service.ApplicationView) -> str:
    return _plain(
        ctx.t("dcalls.decide.title", number=application.number, school=application.school_name)
    )


class QuantityForm(Form):
    """How many units (or kits) are given, or asked on the waiting list."""

    def __init__(self, ctx: Ctx, application: service.ApplicationView, outcome: str) -> None:
        super().__init__(
            _form_title(ctx, application),
            f"amis:qf:{application.id}:{outcome}:{secrets.token_hex(4)}",
        )
        self.ticket_id, self.outcome = application.id, outcome
        unit = "kits" if application.campaign.quantity.kit_size else "units"
        self.field(
            "quantity", _plain(ctx.t(f"dcalls.decide.field.{outcome}.{unit}")), max_length=12
        )

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        if not await _allowed(ctx):
            return
        assert ctx.person is not None
        services = ctx.services
        act = (
            service.select_application if self.outcome == "select" else service.put_on_waiting_list
        )
        again = again_button(ctx, f"ami:{self.outcome}:{self.ticket_id}")
        try:
            quantity = whole(values.get("quantity", ""))
            if quantity is None:
                raise DomainError("ami.staff.error.whole_number")
            view = await act(
                services.db, ctx.person.id, self.ticket_id, quantity, services.clock.now()
            )
        except DomainError as error:  # beyond what is left: said, the form offered again
            await say_error(ctx, error, again)
            return
        await _decided(ctx, view)


class ReasonForm(Form):
    """Why the application is not selected: told to the school with the results."""

    def __init__(self, ctx: Ctx, application: service.ApplicationView) -> None:
        super().__init__(
            _form_title(ctx, application), f"amis:rf:{application.id}:{secrets.token_hex(4)}"
        )
        self.ticket_id = application.id
        self.field(
            "reason",
            _plain(ctx.t("dcalls.decide.field.reason", max=service.MAX_REASON)),
            style_paragraph=True,
            max_length=service.MAX_REASON,
        )

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        if not await _allowed(ctx):
            return
        assert ctx.person is not None
        services = ctx.services
        reason = values.get("reason", "").strip()
        try:
            view = await service.decline(
                services.db,
                ctx.person.id,
                self.ticket_id,
                reason if _meaningful(reason) else "",
                services.clock.now(),
            )
        except DomainError as error:
            await say_error(ctx, error, again_button(ctx, f"ami:decline:{self.ticket_id}"))
            return
        await _decided(ctx, view)


async def _decided(ctx: Ctx, view: service.ApplicationView) -> None:
    quantity = view.campaign.quantity
    given = _card(ctx).quantity(quantity, view.quantity_given) if view.quantity_given else ""
    await answer(
        ctx,
        ctx.t(
            f"ami.staff.decided.{view.outcome}",
            number=view.number,
            school=view.school_name,
            given=given,
            rank=view.waiting_rank or 0,
            reason=view.decline_reason or "",
        ),
    )


# --- the results and the waiting list -------------------------------------------------------


async def _results_asked(ctx: Ctx, campaign_id: int) -> None:
    assert ctx.person is not None
    services = ctx.services
    try:
        found = await service.selection(
            services.db, ctx.person.id, campaign_id, services.clock.now()
        )
        if found.campaign.state != CampaignState.PUBLISHED:
            raise DomainError("call.error.not_published")
        if any(r.application.outcome is None for r in found.rows):
            raise DomainError("call.error.undecided")
    except DomainError as error:
        await say_error(ctx, error)
        return
    counts = {o: sum(1 for r in found.rows if r.application.outcome == o) for o in rules.Outcome}
    rows = [
        [(ctx.t("ami.staff.button.results_ok"), f"amis:resok:{campaign_id}")],
        [(ctx.t("ami.staff.button.keep"), "amis:keep")],
    ]
    text = ctx.t(
        "ami.staff.confirm_results",
        title=found.campaign.title,
        selected=ctx.t("ami.staff.count.selected", count=counts[rules.Outcome.SELECTED]),
        waiting=ctx.t("ami.staff.count.waiting", count=counts[rules.Outcome.WAITING]),
        declined=ctx.t("ami.staff.count.declined", count=counts[rules.Outcome.DECLINED]),
    )
    await answer(ctx, text, view=_view(rows))


async def _results_confirmed(ctx: Ctx, campaign_id: int) -> None:
    assert ctx.person is not None
    services = ctx.services
    try:
        done = await service.send_results(
            services.db, ctx.person.id, campaign_id, services.clock.now()
        )
    except DomainError as error:
        await say_error(ctx, error)
        return
    messages = call_notices.results(services.i18n, done)
    await answer(
        ctx,
        ctx.t(
            "ami.staff.results_sent", title=done.campaign.title, people=_people(ctx, len(messages))
        ),
    )
    await _told(ctx, messages, done.campaign, "results")


async def _serve_asked(ctx: Ctx, campaign_id: int) -> None:
    assert ctx.person is not None
    services = ctx.services
    try:
        found = await service.selection(
            services.db, ctx.person.id, campaign_id, services.clock.now()
        )
    except DomainError as error:
        await say_error(ctx, error)
        return
    waiting = sum(1 for r in found.rows if r.application.outcome == rules.Outcome.WAITING)
    rows = [
        [(ctx.t("ami.staff.button.serve_ok"), f"amis:srvok:{campaign_id}")],
        [(ctx.t("ami.staff.button.keep"), "amis:keep")],
    ]
    text = ctx.t(
        "ami.staff.confirm_serve",
        title=found.campaign.title,
        left=_card(ctx).quantity(found.campaign.quantity, max(found.left, 0)),
        waiting=waiting,
    )
    await answer(ctx, text, view=_view(rows))


async def _serve_confirmed(ctx: Ctx, campaign_id: int) -> None:
    assert ctx.person is not None
    services = ctx.services
    try:
        served = await service.serve_waiting_list(
            services.db, ctx.person.id, campaign_id, services.clock.now()
        )
    except DomainError as error:
        await say_error(ctx, error)
        return
    # The schools are told now when the results were sent already; otherwise with them.
    decided = served.campaign.state == CampaignState.DECIDED
    messages = call_notices.results(services.i18n, served) if decided else []
    told = (
        ctx.t("ami.staff.served_told", people=_people(ctx, len(messages)))
        if decided
        else ctx.t("ami.staff.served_later")
    )
    await answer(
        ctx,
        ctx.t(
            "ami.staff.served" if served.applicants else "ami.staff.served_none",
            title=served.campaign.title,
            schools=", ".join(a.school_name for a, _ in served.applicants),
            told=Safe(told),
        ),
    )
    await _told(ctx, messages, served.campaign, "waiting")


# --- the buttons --------------------------------------------------------------------------------

_BY_CAMPAIGN = {
    "card": _campaign_card,
    "kept": _kept,
    "publish": _publish_asked,
    "pubok": _publish_confirmed,
    "cancel": _cancel_asked,
    "cxlok": _cancel_confirmed,
    "extend": _extend_tapped,
    "results": _results_asked,
    "resok": _results_confirmed,
    "serve": _serve_asked,
    "srvok": _serve_confirmed,
}
_NONCE = re.compile(r"^[0-9a-f]{1,16}$")


@on(NAMESPACE)
async def tapped(ctx: Ctx, action: str) -> None:
    """Every ``amis:`` button; an id is never trusted: parsed, bounded, then the service
    checks again that the person is staff and the campaign in the right state."""
    if ctx.person is None:
        await refuse(ctx, "discord.stranger")
        return
    if not await _allowed(ctx):
        return
    parts = action.split(":")
    verb = parts[1] if len(parts) > 1 else ""
    number = _id(parts[2]) if len(parts) == 3 else None
    if verb == "keep" and len(parts) == 2:
        await answer(ctx, ctx.t("ami.staff.nothing_done"))
    elif verb in _BY_CAMPAIGN and number is not None:
        await _BY_CAMPAIGN[verb](ctx, number)
    elif verb == "sel" and len(parts) == 4 and _id(parts[2]) is not None and len(parts[3]) <= 4:
        page = _id(parts[3])
        campaign_id = _id(parts[2])
        if page is None or campaign_id is None:
            await refuse(ctx, "common.stale_button")
            return
        await _selection(ctx, campaign_id, page)
    elif verb in ("extok", "extno") and len(parts) == 3 and _NONCE.match(parts[2]):
        if verb == "extok":
            await _extend_confirmed(ctx, parts[2])
        else:
            await _extend_dropped(ctx, parts[2])
    else:
        await refuse(ctx, "common.stale_button")  # forged or from an older version


def register(client: PneDiscord) -> None:
    """Nothing to add to the tree: staff's /ami is handlers/discord/calls.py's command,
    which hands staff to :func:`staff_calls`; the buttons are registered at import."""
    del client


__all__ = ["DECISIONS", "decision_tapped", "register", "staff_calls", "tapped"]
