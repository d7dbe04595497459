"""/tournees on Discord: collection rounds and maintenance visits (staff), and a school's
request for another date — the same services, cards and catalog keys as Telegram's
``handlers/telegram/rounds.py``, with Telegram's action ids (``rnd:…``).

- ``/tournees``: the planned rounds (each opened by ``rnd:view:<round>``), then what is to
  plan, by body and school. The ticks, the kind (collection or repair) and the day are a
  draft row under the person (``bot.services.drafts``); the list's buttons carry its nonce
  (``rnd:pick:<collection>:<nonce>``, ``rnd:kind:<kind>:<nonce>``, ``rnd:propose:<nonce>``),
  so an older list cannot change a newer selection. The proposed day comes with
  « ✅ Planifier le … », « 📅 Autre date » (a form, the day read and checked by the domain)
  and « Annuler »; the confirmation's button plans once, then the schools are told, each
  on their own platform.
- A round's card and its actions: everything collected at a school, some items missing
  (toggled, then a form for the note), a repair's outcome, the recycling receipt, another
  day, calling it off — each in a form where Telegram asks for text, then a confirmation
  naming what is confirmed (``rnd:aok:<nonce>``), re-checked by the service on the tap.
- ``rnd:other:<stop>``: the school's reporter or head asks for another date, in a form.

Ids are never trusted: every tap re-reads the person's role, and the services check the
round, the stop and the item again.
"""

from __future__ import annotations

import html
import logging
import re
from datetime import date
from typing import TYPE_CHECKING, Any

import discord

from bot.cards.rounds import RoundCard
from bot.domain import collections as rules
from bot.domain.collections import ItemStatus, RoundKind
from bot.domain.dates import local_date, parse_calendar_day
from bot.domain.errors import DomainError
from bot.domain.roles import Action, can
from bot.domain.rounds import MAX_OTHER_DATE_NOTE
from bot.domain.text import units
from bot.i18n import Safe
from bot.services import drafts
from bot.services import round_notices as notices
from bot.services import rounds as service
from bot.services.delivery import actions
from handlers.discord.buttons import on, refuse
from handlers.discord.claim_follow import Form, again_button
from handlers.discord.claims import say_error
from handlers.discord.commands import described, name
from handlers.discord.context import Ctx, answer, context_of
from handlers.discord.render import components, markdown, split
from handlers.discord.telling import tell

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord

log = logging.getLogger(__name__)

PLAN = "discord:round_plan"
ACT = "discord:round_act"
# Discord shows 5 rows of 5 buttons: the list's ticks fill 4 rows (as many schools as
# Telegram lists), its last row has the kind, « Proposer » and « Annuler ».
MAX_SCHOOLS = 20
PER_ROW = 5
# A round's card: two stops (or two items of a repair visit) a row, 4 rows; the others
# come once the first are marked, as Telegram lists its first schools.
MAX_STOPS = 8
MAX_ITEMS = 20  # items toggled as missing (4 rows of 5)
MAX_ID = 2**31 - 1
LABEL = 45  # a form's title and its labels
HINT = 100  # a text input's placeholder
_NUMBER = re.compile(r"\d{1,10}")
_NONCE = re.compile(r"[0-9a-f]{1,16}")
_TAGS = re.compile(r"<[^>]*>")

Rows = list[list[tuple[str, str]]]


def _card(ctx: Ctx) -> RoundCard:
    return RoundCard(ctx.services.i18n, ctx.lang)


def _allowed(ctx: Ctx) -> bool:
    return ctx.person is not None and can(ctx.person.role, Action.MANAGE_EQUIPMENT)


def _key(ctx: Ctx) -> str:
    assert ctx.person is not None
    return str(ctx.person.id)


def _staff(ctx: Ctx) -> int:
    assert ctx.person is not None
    return ctx.person.id


def _today(ctx: Ctx) -> date:
    return local_date(ctx.services.clock.now(), ctx.services.settings.tz)


def _id(text: str) -> int | None:
    """A number from a custom id, if it can be one of ours (never trusted)."""
    if not _NUMBER.fullmatch(text):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def _plain(text: str, limit: int = LABEL) -> str:
    """A catalog text where Discord shows plain text (a form's title, labels, hints)."""
    shown = html.unescape(_TAGS.sub("", text))
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _view(rows: Rows) -> discord.ui.View | None:
    return components(actions(rows))


def _chunks(buttons: list[tuple[str, str]], size: int) -> Rows:
    return [buttons[n : n + size] for n in range(0, len(buttons), size)]


async def _edit(ctx: Ctx, html_text: str, view: discord.ui.View | None) -> None:
    """Replace the message the button was tapped on; a text too long for one message is
    answered anew instead."""
    parts = split(markdown(html_text))
    if len(parts) == 1 and ctx.interaction.message is not None:
        await ctx.interaction.response.edit_message(content=parts[0], view=view)
    else:
        await answer(ctx, html_text, view=view, ephemeral=True)


async def _save(ctx: Ctx, namespace: str, draft: dict[str, Any]) -> str:
    services = ctx.services
    return await drafts.save(services.db, namespace, _key(ctx), draft, services.clock.now())


async def _load(ctx: Ctx, namespace: str, nonce: str) -> dict[str, Any] | None:
    """The draft the button names, if it is still the person's latest (else said stale)."""
    found = (
        await drafts.load(ctx.services.db, namespace, _key(ctx), nonce)
        if _NONCE.fullmatch(nonce)
        else None
    )
    if found is None:
        await refuse(ctx, "common.stale_button")
    return found


async def _named(ctx: Ctx, namespace: str, parts: list[str], size: int) -> dict[str, Any] | None:
    """The draft whose nonce ends an id of ``size`` parts (after its verb); else stale."""
    if len(parts) != size:
        await refuse(ctx, "common.stale_button")
        return None
    return await _load(ctx, namespace, parts[-1])


# --- /tournees: the list and the planning ----------------------------------------------


async def _listing(ctx: Ctx, draft: dict[str, Any]) -> tuple[str, Rows, bool]:
    """The list's text and its buttons (``draft`` updated: what is offered, what stays
    ticked, under a new nonce); False when nothing is to plan."""
    services = ctx.services
    bodies = await service.pending(services.db, _staff(ctx), services.clock.now())
    kind = RoundKind(draft.get("kind", RoundKind.COLLECTION.value))
    picked = [int(i) for i in draft.get("picked", [])]
    offered: list[int] = []
    shown: list[service.PendingBody] = []
    ticks: list[tuple[str, int]] = []
    for body in bodies:
        kept = body.schools[: max(MAX_SCHOOLS - len(offered), 0)]
        if kept:
            shown.append(service.PendingBody(body.body_id, body.body_name, kept))
        for school in kept:
            offered.append(school.collection_id)
            if school.plannable(kind):
                mark = "☑️" if school.collection_id in picked else "▫️"
                label = ctx.t(
                    "round.button.pick",
                    mark=mark,
                    school=school.school_name,
                    count=school.plannable(kind),
                )
                ticks.append((label, school.collection_id))
    draft["offered"] = offered
    draft["picked"] = [p for p in picked if p in offered]
    nonce = await _save(ctx, PLAN, draft)
    rows = _chunks([(label, f"rnd:pick:{cid}:{nonce}") for label, cid in ticks], PER_ROW)
    other = RoundKind.REPAIR if kind is RoundKind.COLLECTION else RoundKind.COLLECTION
    rows.append(
        [
            (ctx.t(f"round.button.kind_{other.value}"), f"rnd:kind:{other.value}:{nonce}"),
            (ctx.t("round.button.propose"), f"rnd:propose:{nonce}"),
            (ctx.t("common.button.cancel"), f"rnd:no:{nonce}"),
        ]
    )
    text = _card(ctx).pending(shown, draft["picked"], kind.value)
    more = sum(len(b.schools) for b in bodies) - len(offered)
    if more > 0:
        text += "\n" + ctx.t("round.list.more", count=more)
    return text, rows, bool(bodies)


async def _planned(ctx: Ctx) -> tuple[str, Rows] | None:
    found = await service.planned_rounds(ctx.services.db, _staff(ctx))
    if not found:
        return None
    card = _card(ctx)
    lines = [ctx.t("round.list.planned_title")]
    buttons: list[tuple[str, str]] = []
    for view in found[:MAX_SCHOOLS]:
        lines.append(card.round_line(view))
        day = ctx.services.i18n.date(ctx.lang, view.day, short=True)
        buttons.append(
            (ctx.t("round.button.open", day=day, kind=card.kind(view.kind)), f"rnd:view:{view.id}")
        )
    return "\n".join(lines), _chunks(buttons, 4)


async def rounds_command(ctx: Ctx) -> None:
    """/tournees, or « 🚚 Tournées » (``rnd:list``) on a flagging's card."""
    if ctx.person is None:
        await answer(ctx, ctx.t("discord.stranger"))
        return
    if not _allowed(ctx):
        await refuse(ctx, "common.error.forbidden")
        return
    draft: dict[str, Any] = {"kind": RoundKind.COLLECTION.value, "picked": []}
    text, rows, something = await _listing(ctx, draft)
    planned = await _planned(ctx)
    if planned is not None:
        await answer(ctx, planned[0], view=_view(planned[1]), ephemeral=True)
    if not something:
        await drafts.drop(ctx.services.db, PLAN, _key(ctx))
        key = "round.list.nothing" if planned is None else "round.list.empty"
        await answer(ctx, ctx.t(key), ephemeral=True)
        return
    await answer(ctx, text, view=_view(rows), ephemeral=True)


async def _redraw(ctx: Ctx, draft: dict[str, Any]) -> None:
    text, rows, something = await _listing(ctx, draft)
    if not something:
        await drafts.drop(ctx.services.db, PLAN, _key(ctx))
        await _edit(ctx, ctx.t("round.list.empty"), None)
        return
    await _edit(ctx, text, _view(rows))


async def toggle(ctx: Ctx, parts: list[str]) -> None:
    """``rnd:pick:<collection>:<nonce>``: a school ticked or unticked."""
    chosen = _id(parts[0]) if parts else None
    draft = await _named(ctx, PLAN, parts, 2)
    if draft is None:
        return
    if chosen is None or chosen not in draft.get("offered", []):
        await refuse(ctx, "common.stale_button")
        return
    picked = [int(p) for p in draft.get("picked", [])]
    draft["picked"] = [p for p in picked if p != chosen] if chosen in picked else [*picked, chosen]
    await _redraw(ctx, draft)


async def switch_kind(ctx: Ctx, parts: list[str]) -> None:
    """``rnd:kind:<collection|repair>:<nonce>``: the other kind of round, ticks cleared."""
    kinds = {k.value for k in RoundKind}
    if len(parts) != 2 or parts[0] not in kinds:
        await refuse(ctx, "common.stale_button")
        return
    draft = await _load(ctx, PLAN, parts[1])
    if draft is None:
        return
    if draft.get("kind") != parts[0]:
        draft["kind"], draft["picked"] = parts[0], []
    await _redraw(ctx, draft)


async def _proposal(ctx: Ctx, draft: dict[str, Any]) -> service.Proposal:
    services = ctx.services
    return await service.propose(
        services.db,
        _staff(ctx),
        [int(i) for i in draft.get("picked", [])],
        draft.get("kind", RoundKind.COLLECTION.value),
        services.clock.now(),
    )


async def _ask_plan_confirmation(
    ctx: Ctx, draft: dict[str, Any], proposal: service.Proposal, *, typed: bool
) -> None:
    draft["day"] = proposal.day.isoformat()
    nonce = await _save(ctx, PLAN, draft)
    day = ctx.services.i18n.date(ctx.lang, proposal.day, short=True)
    rows: Rows = [
        [(ctx.t("round.button.plan", day=day), f"rnd:ok:{nonce}")],
        [(ctx.t("round.button.other_day"), f"rnd:day:{nonce}")],
        [(ctx.t("common.button.cancel"), f"rnd:no:{nonce}")],
    ]
    text = _card(ctx).proposal(proposal, typed=typed)
    await answer(ctx, text, view=_view(rows), ephemeral=True)


async def propose(ctx: Ctx, parts: list[str]) -> None:
    """``rnd:propose:<nonce>``: the day proposed for the ticked schools."""
    draft = await _named(ctx, PLAN, parts, 1)
    if draft is None:
        return
    if not draft.get("picked"):
        await refuse(ctx, "round.tg.pick_first")
        return
    try:
        proposal = await _proposal(ctx, draft)
    except DomainError as error:
        await say_error(ctx, error)
        return
    await _ask_plan_confirmation(ctx, draft, proposal, typed=False)


async def ask_day(ctx: Ctx, parts: list[str]) -> None:
    """``rnd:day:<nonce>``: « 📅 Autre date », a form for the day."""
    draft = await _named(ctx, PLAN, parts, 1)
    if draft is None:
        return
    await ctx.interaction.response.send_modal(DayForm(ctx, parts[0]))


class DayForm(Form):
    """The round's day, read and checked by the domain as Telegram's typed day is."""

    def __init__(self, ctx: Ctx, nonce: str) -> None:
        super().__init__(_plain(ctx.t("round.button.other_day")), f"rnd:dayf:{nonce}")
        self.nonce = nonce
        self.field(
            "day",
            _plain(ctx.t("drnd.field.day")),
            placeholder=_plain(ctx.t("drnd.field.day_hint"), HINT),
            max_length=30,
        )

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        if not _allowed(ctx):
            await refuse(ctx, "common.error.forbidden")
            return
        draft = await _load(ctx, PLAN, self.nonce)
        if draft is None:
            return
        try:
            day = parse_calendar_day(values["day"], _today(ctx), future=True)
            in_holidays = service.check_day(day, ctx.services.clock.now())
            proposal = await _proposal(ctx, draft)
        except DomainError as error:
            await say_error(ctx, error, again_button(ctx, f"rnd:day:{self.nonce}"))
            return
        chosen = service.Proposal(
            proposal.kind, day, in_holidays, proposal.schools, proposal.weekdays
        )
        await _ask_plan_confirmation(ctx, draft, chosen, typed=True)


async def plan_answered(ctx: Ctx, verb: str, parts: list[str]) -> None:
    """``rnd:ok|no:<nonce>``: the round planned (once: its draft goes first), or not."""
    draft = await _named(ctx, PLAN, parts, 1)
    if draft is None:
        return
    services = ctx.services
    await drafts.drop(services.db, PLAN, _key(ctx))
    if verb == "no":
        await answer(ctx, ctx.t("common.cancelled"), ephemeral=True)
        return
    if "day" not in draft:  # the list's nonce on a confirmation's id: forged
        await refuse(ctx, "common.stale_button")
        return
    try:
        planned = await service.plan_round(
            services.db,
            _staff(ctx),
            [int(i) for i in draft.get("picked", [])],
            draft.get("kind", RoundKind.COLLECTION.value),
            date.fromisoformat(draft["day"]),
            services.clock.now(),
        )
    except DomainError as error:
        await say_error(ctx, error)
        return
    told = await tell(
        ctx, await notices.to_schools(services.db, services.i18n, planned.round, "planned")
    )
    await _show_round(ctx, planned.round, key="round.tg.planned", count=told)


# --- one round --------------------------------------------------------------------------


def _round_rows(ctx: Ctx, view: service.RoundView) -> Rows:
    pairs: list[list[tuple[str, str]]] = []
    if view.state == service.ROUND_PLANNED:
        for stop in view.stops:
            if stop.marked:
                continue
            if view.kind is RoundKind.COLLECTION:
                pairs.append(
                    [
                        (
                            ctx.t("round.button.all", school=stop.school_name),
                            f"rnd:all:{view.id}:{stop.collection_id}",
                        ),
                        (
                            ctx.t("round.button.some_missing"),
                            f"rnd:miss:{view.id}:{stop.collection_id}",
                        ),
                    ]
                )
            else:
                for item in stop.planned:
                    pairs.append(
                        [
                            (
                                ctx.t("round.button.repaired", tag=item.asset_tag),
                                f"rnd:fix:{item.id}:ok",
                            ),
                            (
                                ctx.t("round.button.beyond_repair", tag=item.asset_tag),
                                f"rnd:fix:{item.id}:ko",
                            ),
                        ]
                    )
    pairs = pairs[:MAX_STOPS]
    rows: Rows = [[b for pair in pairs[n : n + 2] for b in pair] for n in range(0, len(pairs), 2)]
    last: list[tuple[str, str]] = []
    if view.to_recycle:
        last.append((ctx.t("round.button.receipt"), f"rnd:rcpt:{view.id}"))
    if view.state == service.ROUND_PLANNED:
        last.append((ctx.t("round.button.move"), f"rnd:move:{view.id}"))
        last.append((ctx.t("round.button.cancel_round"), f"rnd:cancel:{view.id}"))
    rows.append(last)
    return rows


async def _show_round(
    ctx: Ctx, view: service.RoundView, *, key: str = "round.tg.text", **params: Any
) -> None:
    text = ctx.t(key, text=Safe(_card(ctx).card(view)), **params)
    await answer(ctx, text, view=_view(_round_rows(ctx, view)), ephemeral=True)


async def _round(ctx: Ctx, round_id: int | None) -> service.RoundView | None:
    if round_id is None:
        await refuse(ctx, "common.stale_button")
        return None
    try:
        return await service.round_detail(ctx.services.db, _staff(ctx), round_id)
    except DomainError as error:
        await say_error(ctx, error)
        return None


async def view_round(ctx: Ctx, parts: list[str]) -> None:
    view = await _round(ctx, _id(parts[0]) if len(parts) == 1 else None)
    if view is not None:
        await _show_round(ctx, view)


# --- the round's actions ---------------------------------------------------------------


async def _ask_act_confirmation(ctx: Ctx, draft: dict[str, Any], key: str, **params: Any) -> None:
    nonce = await _save(ctx, ACT, draft)
    rows: Rows = [
        [(ctx.t("round.button.confirm"), f"rnd:aok:{nonce}")],
        [(ctx.t("common.button.cancel"), f"rnd:ano:{nonce}")],
    ]
    await answer(ctx, ctx.t(key, **params), view=_view(rows), ephemeral=True)


def _stop_refusal(view: service.RoundView, stop: service.StopView | None) -> str | None:
    if view.kind is not RoundKind.COLLECTION:
        return "round.error.not_a_collection"
    if stop is None:
        return "round.error.school_not_in_round"
    if stop.marked:
        return "round.error.stop_done"
    return None


async def act_start(ctx: Ctx, action: str, parts: list[str]) -> None:
    """``rnd:all|miss:<round>:<collection>``, ``rnd:rcpt|move|cancel:<round>``."""
    shape = 2 if action in ("all", "miss") else 1
    numbers = [_id(p) for p in parts] if len(parts) == shape else []
    if not numbers or None in numbers:
        await refuse(ctx, "common.stale_button")
        return
    view = await _round(ctx, numbers[0])
    if view is None:
        return
    if view.state != service.ROUND_PLANNED and action != "rcpt":
        await say_error(ctx, DomainError(f"round.error.already_{view.state}"))
        return
    services = ctx.services
    day = services.i18n.date(ctx.lang, view.day)
    draft: dict[str, Any] = {"action": action, "round_id": view.id, "day": view.day.isoformat()}
    if action in ("all", "miss"):
        stop = next((s for s in view.stops if s.collection_id == numbers[1]), None)
        refusal = _stop_refusal(view, stop)
        if refusal is not None or stop is None:
            await say_error(ctx, DomainError(refusal or "round.error.stop_done"))
            return
        draft.update(collection_id=stop.collection_id, school=stop.school_name, missing=[])
        draft["items"] = {str(i.id): i.asset_tag for i in stop.planned}
        if action == "all":
            await _ask_act_confirmation(
                ctx,
                draft,
                "round.tg.confirm_all",
                school=stop.school_name,
                day=day,
                count=len(stop.planned),
            )
            return
        nonce = await _save(ctx, ACT, draft)
        text = ctx.t("round.tg.ask_missing", school=stop.school_name)
        await answer(ctx, text, view=_view(_missing_rows(ctx, draft, nonce)), ephemeral=True)
        return
    if action == "rcpt":
        if not view.to_recycle:
            await say_error(ctx, DomainError("round.error.nothing_to_recycle"))
            return
        draft["count"] = len(view.to_recycle)
        nonce = await _save(ctx, ACT, draft)
        await ctx.interaction.response.send_modal(ReceiptForm(ctx, nonce, view.id))
        return
    if action == "move":
        nonce = await _save(ctx, ACT, draft)
        await ctx.interaction.response.send_modal(MoveForm(ctx, nonce, view.id, day))
        return
    await _ask_act_confirmation(
        ctx,
        draft,
        f"round.tg.confirm_cancel_{view.kind.value}",
        day=day,
        schools=", ".join(s.school_name for s in view.stops),
    )


async def fix_start(ctx: Ctx, parts: list[str]) -> None:
    """``rnd:fix:<item>:ok|ko``: a repair's outcome, with a note in a form."""
    item_id = _id(parts[0]) if len(parts) == 2 and parts[1] in ("ok", "ko") else None
    if item_id is None:
        await refuse(ctx, "common.stale_button")
        return
    rounds = await service.planned_rounds(ctx.services.db, _staff(ctx))
    found = next(
        (
            (view, item)
            for view in rounds
            if view.kind is RoundKind.REPAIR
            for stop in view.stops
            for item in stop.items
            if item.id == item_id and item.status is ItemStatus.PLANNED
        ),
        None,
    )
    if found is None:
        await say_error(ctx, DomainError("round.error.item_not_in_round"))
        return
    view, item = found
    repaired = parts[1] == "ok"
    draft = {
        "action": "fix",
        "round_id": view.id,
        "item_id": item.id,
        "tag": item.asset_tag,
        "repaired": repaired,
    }
    nonce = await _save(ctx, ACT, draft)
    await ctx.interaction.response.send_modal(
        FixForm(ctx, nonce, item.asset_tag, repaired, f"rnd:fix:{item.id}:{parts[1]}")
    )


def _missing_rows(ctx: Ctx, draft: dict[str, Any], nonce: str) -> Rows:
    missing = [int(m) for m in draft.get("missing", [])]
    buttons = []
    for item_id, tag in list(draft.get("items", {}).items())[:MAX_ITEMS]:
        mark = "❓" if int(item_id) in missing else "✅"
        buttons.append((f"{mark} {tag}", f"rnd:mi:{item_id}:{nonce}"))
    rows = _chunks(buttons, PER_ROW)
    rows.append(
        [
            (ctx.t("round.button.missing_done", count=len(missing)), f"rnd:mi:done:{nonce}"),
            (ctx.t("common.button.cancel"), f"rnd:ano:{nonce}"),
        ]
    )
    return rows


async def toggle_missing(ctx: Ctx, parts: list[str]) -> None:
    """``rnd:mi:<item>|done:<nonce>``: an item marked missing (or not); « Terminé »."""
    draft = await _named(ctx, ACT, parts, 2)
    if draft is None:
        return
    missing = [int(m) for m in draft.get("missing", [])]
    if parts[0] == "done":
        if not missing:
            await refuse(ctx, "round.tg.pick_missing_first")
            return
        await ctx.interaction.response.send_modal(
            MissingForm(ctx, parts[1], str(draft.get("school", "")))
        )
        return
    if draft.get("action") != "miss" or parts[0] not in draft.get("items", {}):
        await refuse(ctx, "common.stale_button")
        return
    chosen = int(parts[0])
    draft["missing"] = (
        [m for m in missing if m != chosen] if chosen in missing else [*missing, chosen]
    )
    nonce = await _save(ctx, ACT, draft)
    text = ctx.t("round.tg.ask_missing", school=draft.get("school", ""))
    await _edit(ctx, text, _view(_missing_rows(ctx, draft, nonce)))


def _optional(typed: str) -> str | None:
    cleaned = typed.strip()
    return None if cleaned in ("", "-") else cleaned


def _checked_note(typed: str, limit: int, code: str) -> str | None:
    note = _optional(typed)
    if note is not None and units(note) > limit:
        raise DomainError(code, max=limit)
    return note


class _ActForm(Form):
    """A form of a round's action: its answer joins the draft ``nonce`` names."""

    again: str

    def __init__(self, title: str, nonce: str) -> None:
        super().__init__(_plain(title), f"rnd:af:{nonce}")
        self.nonce = nonce

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        if not _allowed(ctx):
            await refuse(ctx, "common.error.forbidden")
            return
        draft = await _load(ctx, ACT, self.nonce)
        if draft is None:
            return
        try:
            key, params = self.checked(ctx, draft, values)
        except DomainError as error:
            await say_error(ctx, error, again_button(ctx, self.again))
            return
        await _ask_act_confirmation(ctx, draft, key, **params)

    def checked(
        self, ctx: Ctx, draft: dict[str, Any], values: dict[str, str]
    ) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError(type(self).__name__)


class MissingForm(_ActForm):
    def __init__(self, ctx: Ctx, nonce: str, school: str) -> None:
        super().__init__(ctx.t("drnd.missing_title", school=school), nonce)
        self.again = f"rnd:mi:done:{nonce}"
        self.field(
            "note",
            _plain(ctx.t("drnd.field.missing_note")),
            style_paragraph=True,
            required=False,
            max_length=rules.MAX_NOTE,
        )

    def checked(
        self, ctx: Ctx, draft: dict[str, Any], values: dict[str, str]
    ) -> tuple[str, dict[str, Any]]:
        note = _checked_note(values.get("note", ""), rules.MAX_NOTE, "round.error.note_too_long")
        draft["text"] = note
        items = draft.get("items", {})
        missing = [int(m) for m in draft.get("missing", [])]
        return "round.tg.confirm_missing", {
            "school": draft.get("school", ""),
            "count": len(items) - len(missing),
            "missing": ", ".join(items[str(m)] for m in missing if str(m) in items),
            "note": note or "—",
        }


class FixForm(_ActForm):
    def __init__(self, ctx: Ctx, nonce: str, tag: str, repaired: bool, again: str) -> None:
        key = "round.button.repaired" if repaired else "round.button.beyond_repair"
        super().__init__(ctx.t(key, tag=tag), nonce)
        self.again = again
        self.field(
            "note",
            _plain(ctx.t("drnd.field.fix_note_ok" if repaired else "drnd.field.fix_note_ko")),
            style_paragraph=True,
            required=False,
            max_length=rules.MAX_NOTE,
        )

    def checked(
        self, ctx: Ctx, draft: dict[str, Any], values: dict[str, str]
    ) -> tuple[str, dict[str, Any]]:
        note = _checked_note(values.get("note", ""), rules.MAX_NOTE, "round.error.note_too_long")
        draft["text"] = note
        key = "round.tg.confirm_repaired" if draft.get("repaired") else "round.tg.confirm_beyond"
        return key, {"tag": draft.get("tag", ""), "note": note or "—"}


class ReceiptForm(_ActForm):
    def __init__(self, ctx: Ctx, nonce: str, round_id: int) -> None:
        super().__init__(ctx.t("round.button.receipt"), nonce)
        self.again = f"rnd:rcpt:{round_id}"
        self.field(
            "reference",
            _plain(ctx.t("drnd.field.receipt")),
            placeholder="DEC-2026-118",
            max_length=rules.MAX_REFERENCE,
        )

    def checked(
        self, ctx: Ctx, draft: dict[str, Any], values: dict[str, str]
    ) -> tuple[str, dict[str, Any]]:
        reference = _checked_note(
            values.get("reference", ""), rules.MAX_REFERENCE, "round.error.receipt_too_long"
        )
        if reference is None:
            raise DomainError("round.error.receipt_required")
        draft["text"] = reference
        return "round.tg.confirm_receipt", {"count": draft.get("count", 1), "reference": reference}


class MoveForm(_ActForm):
    def __init__(self, ctx: Ctx, nonce: str, round_id: int, day: str) -> None:
        super().__init__(ctx.t("round.button.move"), nonce)
        self.again = f"rnd:move:{round_id}"
        self.field(
            "day",
            _plain(ctx.t("drnd.field.new_day")),
            placeholder=_plain(ctx.t("drnd.field.move_hint", day=day), HINT),
            max_length=30,
        )

    def checked(
        self, ctx: Ctx, draft: dict[str, Any], values: dict[str, str]
    ) -> tuple[str, dict[str, Any]]:
        i18n = ctx.services.i18n
        day = parse_calendar_day(values.get("day", ""), _today(ctx), future=True)
        in_holidays = service.check_day(day, ctx.services.clock.now())
        if day.isoformat() == draft.get("day"):
            raise DomainError("round.error.same_day", day=day)
        draft["new_day"] = day.isoformat()
        key = "round.tg.confirm_move" if in_holidays else "round.tg.confirm_move_outside"
        before = date.fromisoformat(str(draft["day"]))
        return key, {"before": i18n.date(ctx.lang, before), "day": i18n.date(ctx.lang, day)}


async def act_answered(ctx: Ctx, verb: str, parts: list[str]) -> None:
    """``rnd:aok|ano:<nonce>``: the action confirmed (once: its draft goes first)."""
    draft = await _named(ctx, ACT, parts, 1)
    if draft is None:
        return
    services = ctx.services
    db, now, staff = services.db, services.clock.now(), _staff(ctx)
    await drafts.drop(db, ACT, _key(ctx))
    if verb == "ano":
        await answer(ctx, ctx.t("common.cancelled"), ephemeral=True)
        return
    action, round_id = draft.get("action"), int(draft["round_id"])
    try:
        if action in ("all", "miss"):
            if action == "miss" and "text" not in draft:
                raise DomainError("round.tg.pick_missing_first")
            note = draft.get("text")
            missing = {int(m): note for m in draft.get("missing", [])} if action == "miss" else {}
            view = await service.mark_collected(
                db, staff, round_id, int(draft["collection_id"]), missing, now
            )
        elif action == "rcpt":
            view = await service.record_recycling(db, staff, round_id, str(draft["text"]), now)
        elif action == "fix":
            view = await service.record_repair(
                db, staff, int(draft["item_id"]), bool(draft["repaired"]), now, draft.get("text")
            )
        elif action == "move":
            before = date.fromisoformat(str(draft["day"]))
            planned = await service.move_round(
                db, staff, round_id, date.fromisoformat(str(draft["new_day"])), now
            )
            view = planned.round
            await tell(
                ctx, await notices.to_schools(db, services.i18n, view, "moved", before=before)
            )
        else:
            view = await service.cancel_round(db, staff, round_id, now)
            await tell(ctx, await notices.to_schools(db, services.i18n, view, "cancelled"))
    except (DomainError, KeyError) as error:
        refusal = error if isinstance(error, DomainError) else DomainError("common.stale_button")
        await say_error(ctx, refusal)
        return
    await _show_round(ctx, view, key="round.tg.done")


# --- the school asks for another date ---------------------------------------------------


async def other_start(ctx: Ctx, parts: list[str]) -> None:
    """``rnd:other:<stop>``: the school's reporter or head, a form for their note."""
    assert ctx.person is not None
    stop_id = _id(parts[0]) if len(parts) == 1 else None
    if stop_id is None:
        await refuse(ctx, "common.stale_button")
        return
    try:
        view, stop = await service.other_date_target(ctx.services.db, ctx.person.id, stop_id)
    except DomainError as error:
        await say_error(ctx, error)
        return
    day = ctx.services.i18n.date(ctx.lang, view.day)
    await ctx.interaction.response.send_modal(OtherForm(ctx, stop.id, stop.school_name, day))


class OtherForm(Form):
    def __init__(self, ctx: Ctx, stop_id: int, school: str, day: str) -> None:
        super().__init__(_plain(ctx.t("round.button.other_date")), f"rnd:of:{stop_id}")
        self.stop_id = stop_id
        self.field(
            "note",
            _plain(ctx.t("drnd.field.other_note")),
            style_paragraph=True,
            placeholder=_plain(ctx.t("drnd.field.other_hint", school=school, day=day), HINT),
            max_length=MAX_OTHER_DATE_NOTE,
        )

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        assert ctx.person is not None
        services = ctx.services
        try:
            asked = await service.ask_other_date(
                services.db, ctx.person.id, self.stop_id, values["note"], services.clock.now()
            )
        except DomainError as error:
            again = (
                again_button(ctx, f"rnd:other:{self.stop_id}")
                if error.code.startswith("round.error.other_note")
                else None
            )
            await say_error(ctx, error, again)
            return
        await tell(
            ctx,
            await notices.other_date_asked(services.db, services.i18n, services.settings, asked),
        )
        await answer(
            ctx, ctx.t("round.tg.other_sent", school=asked.stop.school_name), ephemeral=True
        )


# --- the buttons ---------------------------------------------------------------------------


@on("rnd")
async def tapped(ctx: Ctx, action: str) -> None:
    """Every ``rnd:`` button on Discord; staff's are re-checked for the role on each tap."""
    if ctx.person is None:
        await refuse(ctx, "discord.stranger")
        return
    verb, *parts = action.split(":")[1:] or [""]
    if verb == "other":
        await other_start(ctx, parts)
        return
    if not _allowed(ctx):
        await refuse(ctx, "common.error.forbidden")
        return
    if verb == "list" and not parts:
        await rounds_command(ctx)
    elif verb == "pick":
        await toggle(ctx, parts)
    elif verb == "kind":
        await switch_kind(ctx, parts)
    elif verb == "propose":
        await propose(ctx, parts)
    elif verb == "day":
        await ask_day(ctx, parts)
    elif verb in ("ok", "no"):
        await plan_answered(ctx, verb, parts)
    elif verb == "view":
        await view_round(ctx, parts)
    elif verb in ("all", "miss", "rcpt", "move", "cancel"):
        await act_start(ctx, verb, parts)
    elif verb == "fix":
        await fix_start(ctx, parts)
    elif verb == "mi":
        await toggle_missing(ctx, parts)
    elif verb in ("aok", "ano"):
        await act_answered(ctx, verb, parts)
    else:
        await refuse(ctx, "common.stale_button")  # a forged or outdated id


def register(client: PneDiscord) -> None:
    tree = client.tree

    @tree.command(name=name("tournees"), description=described(client, "tournees"))
    async def tournees(interaction: discord.Interaction) -> None:
        await rounds_command(await context_of(client, interaction))
