"""/classe: a class opening or closure, or a head's change of post (art. 1); /formations:
the training needs they record, for staff.

/classe, step by step: (school, when the person has several) → « Ouverture »,
« Fermeture » or, for a school head, « Changement de poste » → the class's name → its
level (buttons, or « Autre » and typed) → the date (typed, or the proposed start of the
school year) → for a closure, SEM's items of the class from the school's inventory
(buttons or typed tags; « Aucun » allowed) and where they will be gathered (art. 4) → a
summary and a confirmation naming what it confirms. A change of post: a short note, then
its confirmation.

The draft lives in the person's data (JSON values), persisted after every update; every
button is re-checked on arrival (an item against the school's inventory through the
service, a school against the person's schools), and the service checks it all again when
the notice is written.

/formations (staff): the open training needs by school, each with « ✅ Fait »
(``trn:done:<id>``, re-checked by the service) and « 📥 Export » (``trn:export``), a
workbook for the Education Nationale's correspondent.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import unicodedata
from collections.abc import Sequence
from datetime import date
from itertools import groupby
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.cards.notices import NoticeCard
from bot.domain import collections as collection_rules
from bot.domain import notices as rules
from bot.domain.dates import ERR_UNREADABLE, local_date, parse_calendar_day
from bot.domain.directory import normalize_asset_tag
from bot.domain.errors import DomainError
from bot.domain.notices import ClassChange
from bot.domain.roles import Action, Role, can
from bot.domain.text import units
from bot.services import collection_notices, notice_notices, training_files
from bot.services import collections as collection_service
from bot.services import notices as service
from bot.services.claims import SchoolRef
from bot.services.collections import Flagged
from handlers.telegram import steps
from handlers.telegram.app import PneContext
from handlers.telegram.common import (
    alert,
    done_with_buttons,
    edit_message,
    keyboard,
    reply,
    send,
    send_about,
    set_buttons,
    tell,
)
from handlers.telegram.dialogues import dialogue
from handlers.telegram.steps import Draft

NAME = "class_change"
SCHOOL, CHANGE, NOTE, CLASS_NAME, LEVEL, DATE, ITEMS, PLACE, SUMMARY = (
    "cls_school", "cls_change", "cls_note", "cls_name", "cls_level", "cls_date",
    "cls_items", "cls_place", "cls_summary",
)  # fmt: skip
LEVELS = ("PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2")
MAX_LEVEL = 20  # as the service reads it
PER_PAGE = 8
SCHOOL_BUTTONS = 8
SEM = "sem"
POST = "post"  # the third choice: a head's change of post
MAX_TYPED = 2 * collection_rules.MAX_ITEMS
_WORDS = re.compile(r"[\s,;]+")
SCHOOL_YEAR_START = (9, 1)  # 1 September

Handler = BaseHandler[Update, PneContext, Any]


def next_school_year_start(today: date) -> date:
    """The coming start of the school year (1 September; today if it is that day)."""
    month, day = SCHOOL_YEAR_START
    this_year = date(today.year, month, day)
    return this_year if this_year >= today else date(today.year + 1, month, day)


def _draft(context: PneContext) -> Draft:
    return steps.draft(context, NAME)


def _chat(update: Update) -> int:
    return update.effective_chat.id if update.effective_chat else 0


def _meaningful(text: str) -> bool:
    return any(c.isalnum() for c in text)


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _label(context: PneContext, type_: str | None, model: str | None) -> str:
    kind = context.services.i18n.equipment_type(context.lang, type_)
    return ", ".join(p for p in (kind, model or "") if p)


def _item_name(item: dict[str, Any]) -> str:
    return f"{item['tag']} ({item['label']})" if item.get("label") else str(item["tag"])


async def _edit_or_send(
    update: Update, context: PneContext, text: str, rows: Sequence[Sequence[tuple[str, str]]]
) -> None:
    query = update.callback_query
    if query is not None:
        await edit_message(query, text, keyboard(rows))
        return
    await send(context, _chat(update), text, reply_markup=keyboard(rows))


# --- start and school ----------------------------------------------------------------------


async def start(update: Update, context: PneContext) -> str | int:
    person = context.person
    if person is None or not can(person.role, Action.NOTIFY_CLASS_CHANGE):
        await reply(update, context, "common.error.forbidden")
        return ConversationHandler.END
    steps.start_draft(context, NAME, items=[], shown={}, page=0)
    schools = await service.notice_schools(
        context.services.db, person.id, Action.NOTIFY_CLASS_CHANGE
    )
    if not schools:
        await reply(update, context, "class_change.no_school")
        return steps.end(context, NAME)
    if len(schools) == 1:
        return await _school_set(update, context, schools[0])
    if len(schools) > SCHOOL_BUTTONS:
        await reply(update, context, "class_change.search_school", count=len(schools))
        return SCHOOL
    await _offer_schools(update, context, schools)
    return SCHOOL


async def _offer_schools(update: Update, context: PneContext, schools: Sequence[SchoolRef]) -> None:
    rows = [[(f"{s.name} ({s.uai})"[:60], f"cls:school:{s.id}")] for s in schools]
    await reply(update, context, "class_change.ask_school", reply_markup=keyboard(rows))


async def _schools(context: PneContext) -> list[SchoolRef]:
    assert context.person is not None
    return await service.notice_schools(
        context.services.db, context.person.id, Action.NOTIFY_CLASS_CHANGE
    )


async def school_typed(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None
    needle = _folded((update.effective_message.text or "").strip())
    found = [
        s
        for s in await _schools(context)
        if _meaningful(needle) and (needle in _folded(s.name) or needle in _folded(s.uai))
    ]
    if not found:
        await reply(update, context, "class_change.no_school_found")
    elif len(found) > SCHOOL_BUTTONS:
        await reply(update, context, "class_change.too_many_schools", count=len(found))
    else:
        await _offer_schools(update, context, found)
    return SCHOOL


async def school_chosen(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    school_id = int(query.data.rsplit(":", 1)[1])
    school = next((s for s in await _schools(context) if s.id == school_id), None)
    if school is None:  # a forged or stale button
        await alert(update, context, "notice.error.school_out_of_scope")
        return SCHOOL
    await done_with_buttons(update)
    return await _school_set(update, context, school)


async def _school_set(update: Update, context: PneContext, school: SchoolRef) -> str:
    draft = _draft(context)
    if draft.get("school_id") != school.id:
        draft.update(school_id=school.id, school_name=school.name, items=[], shown={}, page=0)
    return await _ask_change(update, context)


# --- what changes -------------------------------------------------------------------------


def _may_tell_post(context: PneContext) -> bool:
    person = context.person
    return person is not None and person.role == Role.DIRECTOR and person.school_id is not None


async def _ask_change(update: Update, context: PneContext) -> str:
    rows = [
        [
            (context.t("class_change.button.opening"), "cls:chg:opening"),
            (context.t("class_change.button.closing"), "cls:chg:closing"),
        ]
    ]
    if _may_tell_post(context):
        rows.append([(context.t("class_change.button.post"), f"cls:chg:{POST}")])
    rows.append([(context.t("common.button.cancel"), "cls:abort")])
    await reply(
        update,
        context,
        "class_change.ask_change",
        school=_draft(context)["school_name"],
        reply_markup=keyboard(rows),
    )
    return CHANGE


async def change_chosen(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    chosen = query.data.rsplit(":", 1)[1]
    if chosen == POST and not _may_tell_post(context):  # a forged button
        await alert(update, context, "class_change.error.post_for_heads")
        return CHANGE
    await done_with_buttons(update)
    draft = _draft(context)
    draft["change"] = chosen
    if chosen == POST:
        await reply(update, context, "class_change.ask_note", max=rules.MAX_ROOMS)
        return NOTE
    await reply(update, context, f"class_change.ask_name.{chosen}", max=rules.MAX_CLASS_NAME)
    return CLASS_NAME


async def note_typed(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None
    note = (update.effective_message.text or "").strip()
    if not _meaningful(note):
        await reply(update, context, "class_change.error.note_required", max=rules.MAX_ROOMS)
        return NOTE
    if units(note) > rules.MAX_ROOMS:
        await reply(update, context, "notice.error.description_too_long", max=rules.MAX_ROOMS)
        return NOTE
    _draft(context)["note"] = note
    return await _show_summary(update, context)


# --- the class: name, level, date --------------------------------------------------------


async def name_typed(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None
    name = (update.effective_message.text or "").strip()
    try:
        if not _meaningful(name):
            raise DomainError("notice.error.class_name_required")
        rules.text_of(name, limit=rules.MAX_CLASS_NAME, code="class_name")
    except DomainError as error:
        await steps.refuse(update, context, error)
        return CLASS_NAME
    draft = _draft(context)
    draft["class_name"] = name
    return await _ask_level(update, context)


async def _ask_level(update: Update, context: PneContext) -> str:
    buttons = [(level, f"cls:lvl:{level}") for level in LEVELS]
    rows = [buttons[:4], buttons[4:], [(context.t("class_change.button.other"), "cls:lvl:other")]]
    await reply(
        update,
        context,
        "class_change.ask_level",
        name=_draft(context)["class_name"],
        reply_markup=keyboard(rows),
    )
    return LEVEL


async def level_chosen(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    chosen = query.data.rsplit(":", 1)[1]
    await done_with_buttons(update)
    if chosen == "other":
        await reply(update, context, "class_change.ask_level_text", max=MAX_LEVEL)
        return LEVEL
    _draft(context)["level"] = chosen
    return await _ask_date(update, context)


async def level_typed(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None
    level = (update.effective_message.text or "").strip()
    if not _meaningful(level):
        await reply(update, context, "class_change.error.level_required", max=MAX_LEVEL)
        return LEVEL
    if units(level) > MAX_LEVEL:
        await reply(update, context, "notice.error.level_too_long", max=MAX_LEVEL)
        return LEVEL
    _draft(context)["level"] = level
    return await _ask_date(update, context)


async def _ask_date(update: Update, context: PneContext) -> str:
    proposed = next_school_year_start(steps.today(context))
    draft = _draft(context)
    draft["proposed"] = proposed.isoformat()
    day = context.services.i18n.date(context.lang, proposed)
    rows = [[(context.t("class_change.button.proposed", day=day), "cls:day:proposed")]]
    await reply(
        update,
        context,
        f"class_change.ask_date.{draft['change']}",
        name=draft["class_name"],
        reply_markup=keyboard(rows),
    )
    return DATE


async def _date_set(update: Update, context: PneContext, day: date) -> str:
    draft = _draft(context)
    try:
        rules.check_class_date(day, draft["change"], steps.today(context))
    except DomainError as error:
        await steps.refuse(update, context, error)
        return DATE
    draft["on"] = day.isoformat()
    if draft["change"] == ClassChange.CLOSING.value:
        draft["page"] = 0
        return await _show_items(update, context, new_message=True)
    return await _show_summary(update, context)


async def date_proposed(update: Update, context: PneContext) -> str:
    await done_with_buttons(update)
    proposed = _draft(context).get("proposed")
    day = date.fromisoformat(proposed) if proposed else next_school_year_start(steps.today(context))
    return await _date_set(update, context, day)


async def date_typed(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None
    try:
        day = parse_calendar_day(
            update.effective_message.text or "", steps.today(context), future=True
        )
    except DomainError as error:
        if error.code == ERR_UNREADABLE:
            await reply(update, context, "class_change.error.date_unreadable")
        else:
            await steps.refuse(update, context, error)
        return DATE
    return await _date_set(update, context, day)


# --- a closure: the class's items of SEM, and where they wait ------------------------------


def _chosen(draft: Draft, equipment_id: int | None) -> dict[str, Any] | None:
    return next((i for i in draft["items"] if i["equipment_id"] == equipment_id), None)


async def _show_items(update: Update, context: PneContext, *, new_message: bool) -> str:
    assert context.person is not None
    draft = _draft(context)
    db = context.services.db
    page = int(draft.get("page", 0))
    school_id = int(draft["school_id"])
    found, total = await collection_service.inventory_page(
        db, context.person.id, school_id, page, PER_PAGE
    )
    if page > 0 and not found and total:
        draft["page"] = page = max(0, (total - 1) // PER_PAGE)
        found, total = await collection_service.inventory_page(
            db, context.person.id, school_id, page, PER_PAGE
        )
    shown: dict[str, str] = draft.setdefault("shown", {})
    rows: list[list[tuple[str, str]]] = []
    for equipment in found:
        shown[str(equipment.id)] = equipment.asset_tag
        mark = "✅ " if _chosen(draft, equipment.id) else ""
        label = _label(context, equipment.type, equipment.model)
        rows.append([(f"{mark}{equipment.asset_tag} · {label}"[:60], f"cls:item:{equipment.id}")])
    nav: list[tuple[str, str]] = []
    if page > 0:
        nav.append((context.t("common.button.previous"), f"cls:page:{page - 1}"))
    if (page + 1) * PER_PAGE < total:
        nav.append((context.t("common.button.next"), f"cls:page:{page + 1}"))
    if nav:
        rows.append(nav)
    count = len(draft["items"])
    if count:
        rows.append([(context.t("class_change.button.items_done", count=count), "cls:items:done")])
    else:
        rows.append([(context.t("class_change.button.no_items"), "cls:items:none")])
    rows.append([(context.t("common.button.cancel"), "cls:abort")])
    chosen = "\n".join(f"• {_item_name(i)}"[:80] for i in draft["items"])
    text = context.t(
        "class_change.ask_items",
        name=draft["class_name"],
        total=total,
        count=count,
        chosen=chosen or context.t("class_change.none_chosen"),
    )
    if new_message:
        await send(context, _chat(update), text, reply_markup=keyboard(rows))
    else:
        await _edit_or_send(update, context, text, rows)
    return ITEMS


def _add(context: PneContext, draft: Draft, check: collection_service.FlagTag) -> None:
    draft["items"].append(
        {
            "equipment_id": check.equipment_id,
            "tag": check.asset_tag,
            "label": _label(context, check.type, check.model),
        }
    )


async def _check(context: PneContext, tags: Sequence[str]) -> list[collection_service.FlagTag]:
    assert context.person is not None
    return await collection_service.check_tags(
        context.services.db, context.person.id, int(_draft(context)["school_id"]), tags
    )


async def item_toggled(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    draft = _draft(context)
    equipment_id = int(query.data.rsplit(":", 1)[1])
    existing = _chosen(draft, equipment_id)
    if existing is not None:
        draft["items"].remove(existing)
        await query.answer()
        return await _show_items(update, context, new_message=False)
    tag = draft.get("shown", {}).get(str(equipment_id))
    if tag is None:  # not a button this dialogue showed
        await alert(update, context, "common.stale_button")
        return ITEMS
    if len(draft["items"]) >= collection_rules.MAX_ITEMS:
        await alert(
            update, context, "collection.error.too_many_items", max=collection_rules.MAX_ITEMS
        )
        return ITEMS
    [check] = await _check(context, [tag])
    if not check.known or check.other_school or check.unavailable:
        await alert(update, context, "collection.error.tag_unavailable", tag=tag)
        return ITEMS
    if (check.owner or SEM) != SEM:
        await alert(update, context, "class_change.error.not_sem", tag=tag)
        return ITEMS
    await query.answer()
    _add(context, draft, check)
    return await _show_items(update, context, new_message=False)


async def page_turned(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    _draft(context)["page"] = max(0, int(query.data.rsplit(":", 1)[1]))
    return await _show_items(update, context, new_message=False)


async def tags_typed(update: Update, context: PneContext) -> str:
    """Tags typed: this school's SEM items in service are added; every other word is
    refused with its own reason, and does not stop the rest."""
    assert update.effective_message is not None
    draft = _draft(context)
    words = [w for w in _WORDS.split(update.effective_message.text or "") if w][:MAX_TYPED]
    if not words:
        await reply(update, context, "class_change.items_expected")
        return await _show_items(update, context, new_message=True)
    read: list[str | None] = []
    for word in words:
        try:
            read.append(normalize_asset_tag(word))
        except DomainError:
            read.append(None)
    tags = list(dict.fromkeys(t for t in read if t is not None))
    checks = {c.asset_tag: c for c in (await _check(context, tags) if tags else [])}
    problems: list[str] = []
    for word, tag in zip(words, read, strict=True):
        check = checks.pop(tag, None) if tag is not None else None
        if tag is None:
            problems.append(context.t("class_change.error.typed_tag", value=word[:40]))
        elif check is None:  # the same tag twice in the message
            continue
        elif check.other_school:
            problems.append(context.t("collection.error.tag_other_school", tag=check.asset_tag))
        elif not check.known:
            problems.append(context.t("collection.error.unknown_tag", tag=check.asset_tag))
        elif _chosen(draft, check.equipment_id) is not None:
            problems.append(context.t("collection.flag.already_chosen", tag=check.asset_tag))
        elif check.unavailable:
            problems.append(context.t("collection.error.tag_unavailable", tag=check.asset_tag))
        elif (check.owner or SEM) != SEM:
            problems.append(context.t("class_change.error.not_sem", tag=check.asset_tag))
        elif len(draft["items"]) >= collection_rules.MAX_ITEMS:
            problems.append(
                context.t("collection.error.too_many_items", max=collection_rules.MAX_ITEMS)
            )
            break
        else:
            _add(context, draft, check)
    if problems:
        await send(context, _chat(update), "\n".join(problems))
    return await _show_items(update, context, new_message=True)


async def items_done(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    draft = _draft(context)
    if query.data.endswith(":none"):
        draft["items"] = []
        draft.pop("place", None)
        await done_with_buttons(update)
        return await _show_summary(update, context)
    if not draft["items"]:
        await alert(update, context, "class_change.items_expected")
        return ITEMS
    await done_with_buttons(update)
    await reply(update, context, "class_change.ask_place", max=collection_rules.MAX_PLACE)
    return PLACE


async def place_typed(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None
    place = (update.effective_message.text or "").strip()
    if not _meaningful(place):
        await reply(update, context, "class_change.error.place_required")
        return PLACE
    if units(place) > collection_rules.MAX_PLACE:
        await reply(
            update, context, "collection.error.place_too_long", max=collection_rules.MAX_PLACE
        )
        return PLACE
    _draft(context)["place"] = place
    return await _show_summary(update, context)


# --- summary and confirmation ------------------------------------------------------------


def _summary_text(context: PneContext) -> str:
    draft = _draft(context)
    if draft["change"] == POST:
        return context.t(
            "class_change.summary.post", school=draft["school_name"], note=draft["note"]
        )
    on = context.services.i18n.date(context.lang, date.fromisoformat(draft["on"]))
    text = context.t(
        f"class_change.summary.{draft['change']}",
        school=draft["school_name"],
        name=draft["class_name"],
        level=draft.get("level") or "—",
        day=on,
    )
    if draft["change"] == ClassChange.CLOSING.value:
        if draft["items"]:
            items = "\n".join(f"• {_item_name(i)}" for i in draft["items"])
            text += "\n\n" + context.t(
                "class_change.summary.items",
                count=len(draft["items"]),
                items=items,
                place=draft.get("place", ""),
            )
        else:
            text += "\n\n" + context.t("class_change.summary.no_items")
    return text


async def _show_summary(update: Update, context: PneContext) -> str:
    draft = _draft(context)
    draft["nonce"] = secrets.token_hex(steps.NONCE_BYTES)
    if draft["change"] == POST:
        button = context.t("class_change.button.send_post")
    else:
        button = context.t(f"class_change.button.send_{draft['change']}", name=draft["class_name"])
    rows = [
        [(button[:60], f"cls:send:{draft['nonce']}")],
        [(context.t("common.button.cancel"), "cls:abort")],
    ]
    await send(context, _chat(update), _summary_text(context), reply_markup=keyboard(rows))
    return SUMMARY


def _command(context: PneContext) -> service.TellClassChange:
    assert context.person is not None
    draft = _draft(context)
    return service.TellClassChange(
        reporter_id=context.person.id,
        school_id=int(draft["school_id"]),
        change=ClassChange(draft["change"]),
        class_name=str(draft["class_name"]),
        on=date.fromisoformat(draft["on"]),
        level=draft.get("level"),
        asset_tags=tuple(str(i["tag"]) for i in draft["items"]),
        place=draft.get("place") if draft["items"] else None,
    )


async def confirm(update: Update, context: PneContext) -> int | str:
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    draft = _draft(context)
    if query.data.rsplit(":", 1)[1] != draft.get("nonce"):  # an older summary's button
        await alert(update, context, "common.stale_button")
        return SUMMARY
    await done_with_buttons(update)
    services = context.services
    now = steps.now(context)
    if draft["change"] == POST:
        try:
            await service.tell_post_change(services.db, context.person.id, draft["note"], now)
        except DomainError as error:
            await steps.refuse(update, context, error)
            return steps.end(context, NAME)
        steps.end(context, NAME)
        await reply(update, context, "class_change.done.post")
        return ConversationHandler.END
    try:
        view = await service.tell_class_change(services.db, _command(context), now)
    except DomainError as error:
        # Something changed since it was chosen (an item flagged by someone else, the date
        # gone by): said, and back to the step it belongs to.
        await steps.refuse(update, context, error)
        if error.code.startswith("collection.error.place"):
            await reply(update, context, "class_change.ask_place", max=collection_rules.MAX_PLACE)
            return PLACE
        if error.code.startswith("collection."):
            return await _show_items(update, context, new_message=True)
        if error.code in ("notice.error.closure_past", "notice.error.too_far"):
            return await _ask_date(update, context)
        return steps.end(context, NAME)
    steps.end(context, NAME)
    await _tell_reporter(update, context, view)
    await tell(
        context,
        await notice_notices.after_telling(services.db, services.i18n, services.settings, view),
    )
    if view.collection_id is not None:
        collection = await collection_service.collection_view(
            services.db, context.person.id, view.collection_id, now
        )
        await tell(
            context,
            await collection_notices.after_flagging(
                services.db, services.i18n, services.settings, Flagged(collection, ())
            ),
        )
    return ConversationHandler.END


async def _tell_reporter(update: Update, context: PneContext, view: service.NoticeView) -> None:
    i18n = context.services.i18n
    lines = [context.t(f"class_change.done.{view.subkind}", number=view.number)]
    if view.subkind == ClassChange.CLOSING.value and view.starts_on is not None:
        if view.collection_number:
            lines.append(context.t("class_change.done.collection", number=view.collection_number))
        else:
            lines.append(context.t("class_change.done.no_collection"))
        due = [
            i18n.date(context.lang, local_date(p.due_at, context.services.settings.tz))
            for p in rules.plan_closure_reminders(view.starts_on, steps.now(context))
        ]
        if due:
            lines.append(
                context.t("class_change.done.reminders", count=len(due), days=", ".join(due))
            )
    lines.append(context.t("class_change.done.training"))
    card = NoticeCard(i18n, context.lang)
    await send_about(
        context,
        _chat(update),
        "\n\n".join(lines),
        view.id,
        reply_markup=keyboard([[card.view_action(view)]]),
    )


async def abort(update: Update, context: PneContext) -> int:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await set_buttons(query, None)
    await reply(update, context, "common.cancelled")
    return steps.end(context, NAME)


# --- anything else --------------------------------------------------------------------------


def _stay(hint: str, again: Any = None) -> list[Handler]:
    """A message that does not fit the step: say what is expected (and show the step's
    buttons again when it has some); the step stays open."""

    async def unexpected(update: Update, context: PneContext) -> object:
        await reply(update, context, hint)
        if again is not None:
            return await again(update, context)
        return None

    return [MessageHandler(filters.ALL & ~filters.COMMAND, unexpected)]


async def _change_again(update: Update, context: PneContext) -> str:
    return await _ask_change(update, context)


async def _items_again(update: Update, context: PneContext) -> str:
    return await _show_items(update, context, new_message=True)


def conversation() -> ConversationHandler[PneContext]:
    text = filters.TEXT & ~filters.COMMAND
    return dialogue(
        name=NAME,
        entry_points=[CommandHandler(["classe", "class"], start, filters=filters.ChatType.PRIVATE)],
        states={
            SCHOOL: [
                CallbackQueryHandler(school_chosen, pattern=r"^cls:school:\d{1,10}$"),
                MessageHandler(text, school_typed),
                *_stay("class_change.unexpected.school"),
            ],
            CHANGE: [
                CallbackQueryHandler(change_chosen, pattern=r"^cls:chg:(opening|closing|post)$"),
                *_stay("class_change.unexpected.change", _change_again),
            ],
            NOTE: [MessageHandler(text, note_typed), *_stay("class_change.unexpected.note")],
            CLASS_NAME: [
                MessageHandler(text, name_typed),
                *_stay("class_change.unexpected.name"),
            ],
            LEVEL: [
                CallbackQueryHandler(level_chosen, pattern=f"^cls:lvl:({'|'.join(LEVELS)}|other)$"),
                MessageHandler(text, level_typed),
                *_stay("class_change.unexpected.level"),
            ],
            DATE: [
                CallbackQueryHandler(date_proposed, pattern=r"^cls:day:proposed$"),
                MessageHandler(text, date_typed),
                *_stay("class_change.error.date_unreadable"),
            ],
            ITEMS: [
                CallbackQueryHandler(item_toggled, pattern=r"^cls:item:\d{1,10}$"),
                CallbackQueryHandler(page_turned, pattern=r"^cls:page:\d{1,4}$"),
                CallbackQueryHandler(items_done, pattern=r"^cls:items:(done|none)$"),
                MessageHandler(text, tags_typed),
                *_stay("class_change.items_expected", _items_again),
            ],
            PLACE: [
                MessageHandler(text, place_typed),
                *_stay("class_change.error.place_required"),
            ],
            SUMMARY: [
                CallbackQueryHandler(confirm, pattern=r"^cls:send:[0-9a-f]{1,16}$"),
                *_stay("class_change.unexpected.summary"),
            ],
        },
        fallbacks=[CallbackQueryHandler(abort, pattern=r"^cls:abort$")],
    )


# --- /formations (staff) -----------------------------------------------------------------


def _staff_only(context: PneContext) -> bool:
    return context.person is not None and can(context.person.role, Action.MANAGE_NOTICES)


async def trainings(update: Update, context: PneContext) -> None:
    """The open training needs, by school, each with its « ✅ Fait »."""
    if not _staff_only(context):
        await reply(update, context, "common.error.forbidden")
        return
    assert context.person is not None
    needs = await service.training_needs(context.services.db, context.person.id)
    export = [[(context.t("training.button.export"), "trn:export")]]
    if not needs:
        await reply(update, context, "training.none", reply_markup=keyboard(export))
        return
    await reply(update, context, "training.head", count=len(needs))
    card = NoticeCard(context.services.i18n, context.lang)
    number = 0
    for (_, school, uai, commune), group in groupby(
        needs, key=lambda n: (n.school_id, n.school_name, n.school_uai, n.commune_name)
    ):
        lines = [context.t("training.school", school=school, uai=uai, commune=commune)]
        rows: list[list[tuple[str, str]]] = []
        for need in group:
            number += 1
            line = card.training_line(need)
            if need.number:
                line += " " + context.t("training.from_notice", number=need.number)
            lines.append(f"{number}. {line.removeprefix('• ')}")
            rows.append([(context.t("training.button.done", n=number), f"trn:done:{need.id}")])
        await send(context, _chat(update), "\n".join(lines), reply_markup=keyboard(rows))
    await reply(update, context, "training.export_hint", reply_markup=keyboard(export))


async def training_done(update: Update, context: PneContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    if not _staff_only(context):
        await alert(update, context, "common.error.forbidden")
        return
    assert context.person is not None
    need_id = int(query.data.rsplit(":", 1)[1])
    db = context.services.db
    every = await service.training_needs(db, context.person.id, open_only=False)
    need = next((n for n in every if n.id == need_id), None)
    if need is None:
        await alert(update, context, "notice.error.training_not_found")
        return
    if need.done_at is not None:
        day = context.services.i18n.date(
            context.lang, local_date(need.done_at, context.services.settings.tz)
        )
        await alert(update, context, "training.already_done", day=day)
        return
    try:
        await service.training_done(db, context.person.id, need_id, steps.now(context))
    except DomainError as error:
        await alert(update, context, error.code, **steps.shown(context, error.params))
        return
    await query.answer(context.t("training.marked_done"))
    await _drop_button(update, f"trn:done:{need_id}")
    await reply(
        update,
        context,
        "training.done",
        school=need.school_name,
        reason=NoticeCard(context.services.i18n, context.lang).training_reason(need),
    )


async def _drop_button(update: Update, data: str) -> None:
    """The « ✅ Fait » just used leaves the message; the others stay."""
    query = update.callback_query
    assert query is not None
    message = query.message
    markup = getattr(message, "reply_markup", None)
    if markup is None:
        return
    rows = [
        [(b.text, str(b.callback_data)) for b in row if b.callback_data != data]
        for row in markup.inline_keyboard
    ]
    rows = [row for row in rows if row]
    await set_buttons(query, keyboard(rows) if rows else None)


async def training_export(update: Update, context: PneContext) -> None:
    query = update.callback_query
    assert query is not None
    if not _staff_only(context):
        await alert(update, context, "common.error.forbidden")
        return
    assert context.person is not None
    await query.answer()
    services = context.services
    needs = await service.training_needs(services.db, context.person.id, open_only=False)
    if not needs:
        await reply(update, context, "training.none")
        return
    now = steps.now(context)
    xlsx = await asyncio.to_thread(
        training_files.training_needs_xlsx, needs, context.lang, services.i18n, generated=now
    )
    day = local_date(now, services.settings.tz).isoformat()
    name = context.t("training.file_name", day=day)
    await reply(update, context, "training.exported", count=len(needs))
    await context.bot.send_document(_chat(update), document=xlsx, filename=f"{name}.xlsx")


def handlers() -> list[Handler]:
    return [
        CommandHandler(["formations", "trainings"], trainings, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(training_done, pattern=r"^trn:done:\d{1,9}$"),
        CallbackQueryHandler(training_export, pattern=r"^trn:export$"),
    ]


__all__ = ["conversation", "handlers", "next_school_year_start"]
