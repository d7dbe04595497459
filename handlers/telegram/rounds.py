"""Collection rounds and maintenance visits on Telegram (staff), and a school's request
for another date.

- ``/tournees`` (``/rounds``): what is to plan, by body and school; staff tick schools
  (``rnd:pick:<collection>``), choose a collection or a repair visit (``rnd:kind:…``), and
  get the proposed day (``rnd:propose``) with « ✅ Planifier le … » or « Autre date »
  (typed). Then the planned rounds, each opened by ``rnd:view:<round>``.
- A round's actions start a short dialogue: everything collected at a school
  (``rnd:all:<round>:<collection>``), some items missing (``rnd:miss:…``), a repair's
  outcome (``rnd:fix:<item>:ok|ko``), the recycling receipt (``rnd:rcpt:<round>``),
  another day (``rnd:move:<round>``), calling it off (``rnd:cancel:<round>``); each ends
  on a confirmation naming what is confirmed.
- ``rnd:other:<stop>``: the school's reporter or head asks for another date, with a note.

Ids in buttons are never trusted: the services check the role, the round, the stop and
the item again.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.cards.rounds import RoundCard
from bot.domain.collections import ItemStatus, RoundKind
from bot.domain.dates import parse_calendar_day
from bot.domain.errors import DomainError
from bot.domain.roles import Action, can
from bot.domain.text import units
from bot.i18n import Safe
from bot.services import round_notices as notices
from bot.services import rounds as service
from handlers.telegram import steps
from handlers.telegram.app import PneContext
from handlers.telegram.common import edit_message, keyboard, reply, set_buttons, tell
from handlers.telegram.dialogues import dialogue

PLAN, ACT, OTHER = "round_plan", "round_act", "round_other_date"
ROUND_DIALOGUES = (PLAN, ACT, OTHER)
PICK, CONFIRM, DAY = "rnd_pick", "rnd_confirm", "rnd_day"
MISSING, TEXT, ACT_CONFIRM = "rnd_missing", "rnd_text", "rnd_act_confirm"
OTHER_NOTE = "rnd_other_note"
NONCE_BYTES = 4
# Schools listed (each with its button), so that the list stays within one message; the
# others come once the first are planned.
MAX_SCHOOLS = 20
MAX_ITEM_BUTTONS = 20

Rows = list[list[tuple[str, str]]]


def _markup(rows: Rows) -> Any:
    """The keyboard, or none when there is no button (Telegram refuses an empty one)."""
    return keyboard(rows) if rows else None


def _allowed(context: PneContext) -> bool:
    return context.person is not None and can(context.person.role, Action.MANAGE_EQUIPMENT)


def _card(context: PneContext) -> RoundCard:
    return RoundCard(context.services.i18n, context.lang)


def _staff_id(context: PneContext) -> int:
    assert context.person is not None
    return context.person.id


def _number(data: str, at: int) -> int:
    return int(data.split(":")[at])


async def _forbidden(update: Update, context: PneContext) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer(context.t("common.error.forbidden"), show_alert=True)
    else:
        await reply(update, context, "common.error.forbidden")


async def _refuse_tap(update: Update, context: PneContext, error: DomainError) -> None:
    """A refusal after a button: said in the chat (the tap is answered first)."""
    await steps.refuse(update, context, error)


def _nonce(context: PneContext, name: str) -> str:
    current = steps.draft(context, name)
    current["nonce"] = secrets.token_hex(NONCE_BYTES)
    return str(current["nonce"])


# --- /tournees: the list and the planning ----------------------------------------------


async def _list_message(context: PneContext) -> tuple[str, Rows, bool]:
    """The text and buttons of the list, from the draft; False when nothing is to plan."""
    current = steps.draft(context, PLAN)
    bodies = await service.pending(context.services.db, _staff_id(context), steps.now(context))
    kind = RoundKind(current.get("kind", RoundKind.COLLECTION.value))
    picked = [int(i) for i in current.get("picked", [])]
    card = _card(context)
    rows: Rows = []
    offered: list[int] = []
    shown: list[service.PendingBody] = []
    for body in bodies:
        kept = body.schools[: max(MAX_SCHOOLS - len(offered), 0)]
        if kept:
            shown.append(service.PendingBody(body.body_id, body.body_name, kept))
        for school in kept:
            offered.append(school.collection_id)
            if school.plannable(kind):
                mark = "☑️" if school.collection_id in picked else "▫️"
                label = context.t(
                    "round.button.pick",
                    mark=mark,
                    school=school.school_name,
                    count=school.plannable(kind),
                )
                rows.append([(label, f"rnd:pick:{school.collection_id}")])
    current["offered"] = offered
    current["picked"] = [p for p in picked if p in offered]
    other = RoundKind.REPAIR if kind is RoundKind.COLLECTION else RoundKind.COLLECTION
    rows.append(
        [
            (context.t(f"round.button.kind_{other.value}"), f"rnd:kind:{other.value}"),
            (context.t("round.button.propose"), "rnd:propose"),
        ]
    )
    text = card.pending(shown, current["picked"], kind.value)
    more = sum(len(b.schools) for b in bodies) - len(offered)
    if more > 0:
        text += "\n" + context.t("round.list.more", count=more)
    return text, rows, bool(bodies)


async def _rounds_message(context: PneContext) -> tuple[str, Rows] | None:
    found = await service.planned_rounds(context.services.db, _staff_id(context))
    if not found:
        return None
    card = _card(context)
    lines = [context.t("round.list.planned_title")]
    rows: Rows = []
    for view in found[:MAX_SCHOOLS]:
        lines.append(card.round_line(view))
        rows.append(
            [
                (
                    context.t(
                        "round.button.open",
                        day=context.services.i18n.date(context.lang, view.day, short=True),
                        kind=card.kind(view.kind),
                    ),
                    f"rnd:view:{view.id}",
                )
            ]
        )
    return "\n".join(lines), rows


async def rounds_command(update: Update, context: PneContext) -> object:
    """/tournees, or « 🚚 Tournées » on a flagging's card."""
    if not _allowed(context):
        await _forbidden(update, context)
        return steps.end(context, PLAN)
    if update.callback_query is not None:
        await update.callback_query.answer()
    steps.start_draft(context, PLAN, kind=RoundKind.COLLECTION.value, picked=[])
    text, rows, something = await _list_message(context)
    planned = await _rounds_message(context)
    if planned is not None:
        await reply(
            update,
            context,
            "round.tg.text",
            text=Safe(planned[0]),
            reply_markup=keyboard(planned[1]),
        )
    if not something:
        if planned is None:
            await reply(update, context, "round.list.nothing")
        else:
            await reply(update, context, "round.list.empty")
        return steps.end(context, PLAN)
    await reply(update, context, "round.tg.text", text=Safe(text), reply_markup=keyboard(rows))
    return PICK


async def _redraw(update: Update, context: PneContext) -> object:
    query = update.callback_query
    assert query is not None
    text, rows, something = await _list_message(context)
    if not something:
        await reply(update, context, "round.list.empty")
        return steps.end(context, PLAN)
    await edit_message(query, text, keyboard(rows))
    return PICK


async def toggle(update: Update, context: PneContext) -> object:
    query = update.callback_query
    assert query is not None and query.data is not None
    current = steps.draft(context, PLAN)
    chosen = _number(query.data, 2)
    if chosen not in current.get("offered", []):
        await query.answer(context.t("common.stale_button"), show_alert=True)
        return PICK
    await query.answer()
    picked = list(current.get("picked", []))
    current["picked"] = (
        [p for p in picked if p != chosen]
        if chosen in picked
        else [
            *picked,
            chosen,
        ]
    )
    return await _redraw(update, context)


async def switch_kind(update: Update, context: PneContext) -> object:
    query = update.callback_query
    assert query is not None and query.data is not None
    current = steps.draft(context, PLAN)
    kind = query.data.rsplit(":", 1)[1]
    await query.answer()
    if current.get("kind") == kind:
        return PICK
    current["kind"] = kind
    current["picked"] = []
    return await _redraw(update, context)


async def _ask_plan_confirmation(
    update: Update, context: PneContext, proposal: service.Proposal, *, typed: bool
) -> object:
    current = steps.draft(context, PLAN)
    current["day"] = proposal.day.isoformat()
    nonce = _nonce(context, PLAN)
    day = context.services.i18n.date(context.lang, proposal.day, short=True)
    rows: Rows = [
        [(context.t("round.button.plan", day=day), f"rnd:ok:{nonce}")],
        [(context.t("round.button.other_day"), "rnd:day")],
        [(context.t("common.button.cancel"), f"rnd:no:{nonce}")],
    ]
    await reply(
        update,
        context,
        "round.tg.text",
        text=Safe(_card(context).proposal(proposal, typed=typed)),
        reply_markup=keyboard(rows),
    )
    return CONFIRM


async def propose(update: Update, context: PneContext) -> object:
    query = update.callback_query
    assert query is not None
    current = steps.draft(context, PLAN)
    if not current.get("picked"):
        await query.answer(context.t("round.tg.pick_first"), show_alert=True)
        return PICK
    await query.answer()
    try:
        proposal = await service.propose(
            context.services.db,
            _staff_id(context),
            [int(i) for i in current["picked"]],
            current.get("kind", RoundKind.COLLECTION.value),
            steps.now(context),
        )
    except DomainError as error:
        await _refuse_tap(update, context, error)
        return PICK
    await set_buttons(query, None)
    return await _ask_plan_confirmation(update, context, proposal, typed=False)


async def ask_day(update: Update, context: PneContext) -> object:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await set_buttons(query, None)
    await reply(update, context, "round.tg.ask_day")
    return DAY


async def typed_day(update: Update, context: PneContext) -> object:
    assert update.effective_message is not None
    current = steps.draft(context, PLAN)
    try:
        day = parse_calendar_day(
            update.effective_message.text or "", steps.today(context), future=True
        )
        in_holidays = service.check_day(day, steps.now(context))
        proposal = await service.propose(
            context.services.db,
            _staff_id(context),
            [int(i) for i in current.get("picked", [])],
            current.get("kind", RoundKind.COLLECTION.value),
            steps.now(context),
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return DAY
    chosen = service.Proposal(proposal.kind, day, in_holidays, proposal.schools, proposal.weekdays)
    return await _ask_plan_confirmation(update, context, chosen, typed=True)


async def plan_answered(update: Update, context: PneContext) -> object:
    query = update.callback_query
    assert query is not None and query.data is not None
    _, verb, nonce = query.data.split(":")
    current = steps.draft(context, PLAN)
    if nonce != current.get("nonce"):
        await query.answer(context.t("common.stale_button"), show_alert=True)
        return CONFIRM
    await query.answer()
    await set_buttons(query, None)
    if verb == "no":
        await reply(update, context, "common.cancelled")
        return steps.end(context, PLAN)
    try:
        planned = await service.plan_round(
            context.services.db,
            _staff_id(context),
            [int(i) for i in current.get("picked", [])],
            current.get("kind", RoundKind.COLLECTION.value),
            date.fromisoformat(current["day"]),
            steps.now(context),
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return steps.end(context, PLAN)
    services = context.services
    told = await tell(
        context, await notices.to_schools(services.db, services.i18n, planned.round, "planned")
    )
    await _show_round(update, context, planned.round, key="round.tg.planned", count=told)
    return steps.end(context, PLAN)


def plan_dialogue() -> Any:
    return dialogue(
        name=PLAN,
        entry_points=[
            CommandHandler(
                ["tournees", "rounds"], rounds_command, filters=filters.ChatType.PRIVATE
            ),
            CallbackQueryHandler(rounds_command, pattern=r"^rnd:list$"),
        ],
        states={
            PICK: [
                CallbackQueryHandler(toggle, pattern=r"^rnd:pick:\d{1,10}$"),
                CallbackQueryHandler(switch_kind, pattern=r"^rnd:kind:(collection|repair)$"),
                CallbackQueryHandler(propose, pattern=r"^rnd:propose$"),
                *steps.stay(),
            ],
            CONFIRM: [
                CallbackQueryHandler(plan_answered, pattern=r"^rnd:(ok|no):[0-9a-f]{1,16}$"),
                CallbackQueryHandler(ask_day, pattern=r"^rnd:day$"),
                *steps.stay(),
            ],
            DAY: [MessageHandler(steps.TEXT, typed_day), *steps.stay()],
        },
        fallbacks=[],
    )


# --- one round --------------------------------------------------------------------------


def _round_rows(context: PneContext, view: service.RoundView) -> Rows:
    rows: Rows = []
    if view.state == service.ROUND_PLANNED:
        for stop in view.stops:
            if stop.marked:
                continue
            if view.kind is RoundKind.COLLECTION:
                rows.append(
                    [
                        (
                            context.t("round.button.all", school=stop.school_name),
                            f"rnd:all:{view.id}:{stop.collection_id}",
                        ),
                        (
                            context.t("round.button.some_missing"),
                            f"rnd:miss:{view.id}:{stop.collection_id}",
                        ),
                    ]
                )
            else:
                for item in stop.planned[:MAX_ITEM_BUTTONS]:
                    rows.append(
                        [
                            (
                                context.t("round.button.repaired", tag=item.asset_tag),
                                f"rnd:fix:{item.id}:ok",
                            ),
                            (
                                context.t("round.button.beyond_repair", tag=item.asset_tag),
                                f"rnd:fix:{item.id}:ko",
                            ),
                        ]
                    )
    if view.to_recycle:
        rows.append([(context.t("round.button.receipt"), f"rnd:rcpt:{view.id}")])
    if view.state == service.ROUND_PLANNED:
        rows.append(
            [
                (context.t("round.button.move"), f"rnd:move:{view.id}"),
                (context.t("round.button.cancel_round"), f"rnd:cancel:{view.id}"),
            ]
        )
    return rows


async def _show_round(
    update: Update,
    context: PneContext,
    view: service.RoundView,
    *,
    key: str = "round.tg.text",
    **params: Any,
) -> None:
    await reply(
        update,
        context,
        key,
        text=Safe(_card(context).card(view)),
        reply_markup=_markup(_round_rows(context, view)),
        **params,
    )


async def view_round(update: Update, context: PneContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    if not _allowed(context):
        await _forbidden(update, context)
        return
    await query.answer()
    try:
        view = await service.round_detail(
            context.services.db, _staff_id(context), _number(query.data, 2)
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return
    await _show_round(update, context, view)


# --- the round's actions ---------------------------------------------------------------


async def _load(update: Update, context: PneContext, round_id: int) -> service.RoundView | None:
    try:
        view = await service.round_detail(context.services.db, _staff_id(context), round_id)
    except DomainError as error:
        await steps.refuse(update, context, error)
        return None
    return view


def _stop(view: service.RoundView, collection_id: int) -> service.StopView | None:
    return next((s for s in view.stops if s.collection_id == collection_id), None)


async def _ask_act_confirmation(
    update: Update, context: PneContext, key: str, **params: Any
) -> object:
    nonce = _nonce(context, ACT)
    rows: Rows = [
        [(context.t("round.button.confirm"), f"rnd:aok:{nonce}")],
        [(context.t("common.button.cancel"), f"rnd:ano:{nonce}")],
    ]
    await reply(update, context, key, reply_markup=keyboard(rows), **params)
    return ACT_CONFIRM


async def _stale(update: Update, context: PneContext) -> object:
    query = update.callback_query
    assert query is not None
    await query.answer(context.t("common.stale_button"), show_alert=True)
    return steps.end(context, ACT)


async def act_start(update: Update, context: PneContext) -> object:
    query = update.callback_query
    assert query is not None and query.data is not None
    if not _allowed(context):
        await _forbidden(update, context)
        return steps.end(context, ACT)
    parts = query.data.split(":")
    action = parts[1]
    await query.answer()
    if action == "fix":
        return await _fix_start(update, context, int(parts[2]), parts[3] == "ok")
    view = await _load(update, context, int(parts[2]))
    if view is None:
        return steps.end(context, ACT)
    day = context.services.i18n.date(context.lang, view.day)
    steps.start_draft(context, ACT, action=action, round_id=view.id, day=view.day.isoformat())
    if view.state != service.ROUND_PLANNED and action != "rcpt":
        await steps.refuse(update, context, DomainError(f"round.error.already_{view.state}"))
        return steps.end(context, ACT)
    if action in ("all", "miss"):
        stop = _stop(view, int(parts[3]))
        refusal = (
            "round.error.not_a_collection"
            if view.kind is not RoundKind.COLLECTION
            else "round.error.school_not_in_round"
            if stop is None
            else "round.error.stop_done"
            if stop.marked
            else None
        )
        if refusal is not None or stop is None:
            await steps.refuse(update, context, DomainError(refusal or "round.error.stop_done"))
            return steps.end(context, ACT)
        current = steps.draft(context, ACT)
        current.update(collection_id=stop.collection_id, school=stop.school_name, missing=[])
        current["items"] = {str(i.id): i.asset_tag for i in stop.planned}
        if action == "all":
            return await _ask_act_confirmation(
                update,
                context,
                "round.tg.confirm_all",
                school=stop.school_name,
                day=day,
                count=len(stop.planned),
            )
        await reply(
            update,
            context,
            "round.tg.ask_missing",
            school=stop.school_name,
            reply_markup=keyboard(_missing_rows(context)),
        )
        return MISSING
    if action == "rcpt":
        if not view.to_recycle:
            await steps.refuse(update, context, DomainError("round.error.nothing_to_recycle"))
            return steps.end(context, ACT)
        steps.draft(context, ACT)["count"] = len(view.to_recycle)
        await reply(update, context, "round.tg.ask_receipt", count=len(view.to_recycle))
        return TEXT
    if action == "move":
        await reply(update, context, "round.tg.ask_move", day=day)
        return TEXT
    return await _ask_act_confirmation(
        update,
        context,
        f"round.tg.confirm_cancel_{view.kind.value}",
        day=day,
        schools=", ".join(s.school_name for s in view.stops),
    )


async def _fix_start(update: Update, context: PneContext, item_id: int, ok: bool) -> object:
    rounds = await service.planned_rounds(context.services.db, _staff_id(context))
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
        await steps.refuse(update, context, DomainError("round.error.item_not_in_round"))
        return steps.end(context, ACT)
    view, item = found
    steps.start_draft(
        context,
        ACT,
        action="fix",
        round_id=view.id,
        item_id=item.id,
        tag=item.asset_tag,
        repaired=ok,
    )
    await reply(
        update,
        context,
        "round.tg.ask_fix_note_ok" if ok else "round.tg.ask_fix_note_ko",
        tag=item.asset_tag,
    )
    return TEXT


def _missing_rows(context: PneContext) -> Rows:
    current = steps.draft(context, ACT)
    missing = current.get("missing", [])
    rows: Rows = []
    for item_id, tag in list(current.get("items", {}).items())[:MAX_ITEM_BUTTONS]:
        mark = "❓" if int(item_id) in missing else "✅"
        rows.append([(f"{mark} {tag}", f"rnd:mi:{item_id}")])
    rows.append([(context.t("round.button.missing_done", count=len(missing)), "rnd:mi:done")])
    return rows


async def toggle_missing(update: Update, context: PneContext) -> object:
    query = update.callback_query
    assert query is not None and query.data is not None
    current = steps.draft(context, ACT)
    value = query.data.rsplit(":", 1)[1]
    missing = [int(m) for m in current.get("missing", [])]
    if value == "done":
        if not missing:
            await query.answer(context.t("round.tg.pick_missing_first"), show_alert=True)
            return MISSING
        await query.answer()
        await set_buttons(query, None)
        await reply(update, context, "round.tg.ask_missing_note", count=len(missing))
        return TEXT
    if value not in current.get("items", {}):
        await query.answer(context.t("common.stale_button"), show_alert=True)
        return MISSING
    await query.answer()
    chosen = int(value)
    current["missing"] = (
        [m for m in missing if m != chosen]
        if chosen in missing
        else [
            *missing,
            chosen,
        ]
    )
    await set_buttons(query, keyboard(_missing_rows(context)))
    return MISSING


def _optional(typed: str) -> str | None:
    cleaned = typed.strip()
    return None if cleaned in ("", "-") else cleaned


async def typed_text(update: Update, context: PneContext) -> object:
    assert update.effective_message is not None
    typed = update.effective_message.text or ""
    current = steps.draft(context, ACT)
    action = current.get("action")
    i18n = context.services.i18n
    try:
        if action == "move":
            day = parse_calendar_day(typed, steps.today(context), future=True)
            in_holidays = service.check_day(day, steps.now(context))
            if day.isoformat() == current.get("day"):
                raise DomainError("round.error.same_day", day=day)
            current["new_day"] = day.isoformat()
            return await _ask_act_confirmation(
                update,
                context,
                "round.tg.confirm_move" if in_holidays else "round.tg.confirm_move_outside",
                before=i18n.date(context.lang, _iso(current["day"])),
                day=i18n.date(context.lang, day),
            )
        note = _optional(typed)
        limit = 80 if action == "rcpt" else 300
        if note is not None and units(note) > limit:
            raise DomainError(
                "round.error.receipt_too_long" if action == "rcpt" else "round.error.note_too_long",
                max=limit,
            )
        if action == "rcpt":
            if note is None:
                raise DomainError("round.error.receipt_required")
            current["text"] = note
            return await _ask_act_confirmation(
                update, context, "round.tg.confirm_receipt", count=current["count"], reference=note
            )
        current["text"] = note
        if action == "fix":
            return await _ask_act_confirmation(
                update,
                context,
                "round.tg.confirm_repaired" if current["repaired"] else "round.tg.confirm_beyond",
                tag=current["tag"],
                note=note or "—",
            )
        items = current.get("items", {})
        missing = [int(m) for m in current.get("missing", [])]
        return await _ask_act_confirmation(
            update,
            context,
            "round.tg.confirm_missing",
            school=current["school"],
            count=len(items) - len(missing),
            missing=", ".join(items[str(m)] for m in missing),
            note=note or "—",
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return TEXT


def _iso(value: str) -> date:
    return date.fromisoformat(value)


async def act_answered(update: Update, context: PneContext) -> object:
    query = update.callback_query
    assert query is not None and query.data is not None
    _, verb, nonce = query.data.split(":")
    current = steps.draft(context, ACT)
    if nonce != current.get("nonce"):
        await query.answer(context.t("common.stale_button"), show_alert=True)
        return ACT_CONFIRM
    await query.answer()
    await set_buttons(query, None)
    if verb == "ano":
        await reply(update, context, "common.cancelled")
        return steps.end(context, ACT)
    services = context.services
    db, now, staff = services.db, steps.now(context), _staff_id(context)
    action, round_id = current.get("action"), int(current["round_id"])
    try:
        if action in ("all", "miss"):
            note = current.get("text")
            missing = {int(m): note for m in current.get("missing", [])} if action == "miss" else {}
            view = await service.mark_collected(
                db, staff, round_id, int(current["collection_id"]), missing, now
            )
        elif action == "rcpt":
            view = await service.record_recycling(db, staff, round_id, current["text"], now)
        elif action == "fix":
            view = await service.record_repair(
                db,
                staff,
                int(current["item_id"]),
                bool(current["repaired"]),
                now,
                current.get("text"),
            )
        elif action == "move":
            before = _iso(current["day"])
            planned = await service.move_round(db, staff, round_id, _iso(current["new_day"]), now)
            view = planned.round
            await tell(
                context,
                await notices.to_schools(db, services.i18n, view, "moved", before=before),
            )
        else:
            view = await service.cancel_round(db, staff, round_id, now)
            await tell(context, await notices.to_schools(db, services.i18n, view, "cancelled"))
    except DomainError as error:
        await steps.refuse(update, context, error)
        return steps.end(context, ACT)
    await _show_round(update, context, view, key="round.tg.done")
    return steps.end(context, ACT)


def act_dialogue() -> Any:
    return dialogue(
        name=ACT,
        entry_points=[
            CallbackQueryHandler(
                act_start,
                pattern=r"^rnd:((all|miss):\d{1,10}:\d{1,10}|fix:\d{1,10}:(ok|ko)"
                r"|(rcpt|move|cancel):\d{1,10})$",
            )
        ],
        states={
            MISSING: [
                CallbackQueryHandler(toggle_missing, pattern=r"^rnd:mi:(\d{1,10}|done)$"),
                *steps.stay(),
            ],
            TEXT: [MessageHandler(steps.TEXT, typed_text), *steps.stay()],
            ACT_CONFIRM: [
                CallbackQueryHandler(act_answered, pattern=r"^rnd:(aok|ano):[0-9a-f]{1,16}$"),
                *steps.stay(),
            ],
        },
        fallbacks=[],
    )


# --- the school asks for another date ---------------------------------------------------


async def other_start(update: Update, context: PneContext) -> object:
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    await query.answer()
    try:
        view, stop = await service.other_date_target(
            context.services.db, context.person.id, _number(query.data, 2)
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return steps.end(context, OTHER)
    steps.start_draft(context, OTHER, stop_id=stop.id)
    await reply(
        update,
        context,
        "round.tg.ask_other_note",
        school=stop.school_name,
        day=context.services.i18n.date(context.lang, view.day),
    )
    return OTHER_NOTE


async def other_note(update: Update, context: PneContext) -> object:
    assert update.effective_message is not None and context.person is not None
    current = steps.draft(context, OTHER)
    services = context.services
    try:
        asked = await service.ask_other_date(
            services.db,
            context.person.id,
            int(current["stop_id"]),
            update.effective_message.text or "",
            steps.now(context),
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        if error.code.startswith("round.error.other_note"):
            return OTHER_NOTE
        return steps.end(context, OTHER)
    await tell(
        context,
        await notices.other_date_asked(services.db, services.i18n, services.settings, asked),
    )
    await reply(update, context, "round.tg.other_sent", school=asked.stop.school_name)
    return steps.end(context, OTHER)


def other_dialogue() -> Any:
    return dialogue(
        name=OTHER,
        entry_points=[CallbackQueryHandler(other_start, pattern=r"^rnd:other:\d{1,10}$")],
        states={OTHER_NOTE: [MessageHandler(steps.TEXT, other_note), *steps.stay()]},
        fallbacks=[],
    )


def conversations() -> list[Any]:
    return [plan_dialogue(), act_dialogue(), other_dialogue()]


def handlers() -> list[BaseHandler[Update, PneContext, Any]]:
    return [CallbackQueryHandler(view_round, pattern=r"^rnd:view:\d{1,10}$")]
