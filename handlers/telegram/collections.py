"""/collecte: flagging unused or broken equipment, step by step, with buttons (art. 1, 3, 4).

(school, for a body's agent or staff) → items from the school's inventory (buttons, or
tags typed) → for each item its condition (« hors d'usage » / « non utilisé ») and a
short note → where the items are gathered (the convention asks for an identified place,
broken and unused apart, art. 4) → when someone can hand them over (weekdays, « pendant
les vacances », hours) → photos → a summary saying what happens to each item by its
owner → « Envoyer le signalement (n objets) », or « Corriger ».

The draft lives in the person's data (JSON values), persisted after every update, so it
survives a restart; /annuler leaves at any step (``dialogues.cancel_everything``). Every
button is re-checked on arrival (an item tapped is checked again through the service, a
school against the person's schools), and the service checks everything again when the
summary is shown and when the flagging is written.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Sequence
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

from bot.cards.collections import WEEKDAY_KEYS, CollectionCard
from bot.domain import collections as rules
from bot.domain.bodies import body_variant
from bot.domain.collections import Condition, Route
from bot.domain.directory import MAX_LENGTHS, normalize_asset_tag
from bot.domain.errors import DomainError
from bot.domain.roles import Action, can
from bot.domain.text import units
from bot.i18n import Safe
from bot.services import collection_notices as notices
from bot.services import collections as service
from bot.services.claims import FileRef, SchoolRef
from handlers.telegram import steps
from handlers.telegram.app import PneContext
from handlers.telegram.common import (
    alert,
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

NAME = "collection_flag"
SCHOOL, ITEMS, CONDITION, NOTE, PLACE, WHEN, PHOTOS, SUMMARY = (
    "col_school", "col_items", "col_condition", "col_note", "col_place", "col_when",
    "col_photos", "col_summary",
)  # fmt: skip
FIXABLE = ("items", "conditions", "place", "when", "photos")
PER_PAGE = 8
SCHOOL_BUTTONS = 8
MAX_PHOTOS = 10
MAX_TYPED = 2 * rules.MAX_ITEMS  # words read from one message
_WORDS = re.compile(r"[\s,;]+")

Handler = BaseHandler[Update, PneContext, Any]


def _draft(context: PneContext) -> Draft:
    return steps.draft(context, NAME)


def _card(context: PneContext) -> CollectionCard:
    return CollectionCard(context.services.i18n, context.lang)


def _chat(update: Update) -> int:
    return update.effective_chat.id if update.effective_chat else 0


def _meaningful(text: str) -> bool:
    """A text with a letter or a digit in it (not only spaces, dots or invisible marks)."""
    return any(c.isalnum() for c in text)


def _label(context: PneContext, type_: str | None, model: str | None) -> str:
    kind = context.services.i18n.equipment_type(context.lang, type_)
    return ", ".join(p for p in (kind, model or "") if p)


def _item_name(item: dict[str, Any]) -> str:
    """« SEM-0001 (tablette, iPad 9) », plain text."""
    return f"{item['tag']} ({item['label']})" if item.get("label") else str(item["tag"])


# --- start and school --------------------------------------------------------------------


async def start(update: Update, context: PneContext) -> str | int:
    person = context.person
    if person is None or not can(person.role, Action.FLAG_EQUIPMENT):
        await reply(update, context, "common.error.forbidden")
        return ConversationHandler.END
    steps.start_draft(context, NAME, items=[], photos=[], days=[], page=0, shown={})
    schools = await service.flagging_schools(context.services.db, person.id)
    if not schools:
        await reply(update, context, "collection.flag.no_school")
        return steps.end(context, NAME)
    if len(schools) == 1:
        return await _school_set(update, context, schools[0])
    await reply(update, context, "collection.flag.intro")
    if len(schools) > SCHOOL_BUTTONS:
        await reply(update, context, "collection.flag.search_school", count=len(schools))
        return SCHOOL
    await _offer_schools(update, context, schools)
    return SCHOOL


async def _offer_schools(update: Update, context: PneContext, schools: Sequence[SchoolRef]) -> None:
    rows = [[(f"{s.name} ({s.uai})"[:60], f"col:school:{s.id}")] for s in schools]
    await reply(update, context, "collection.flag.ask_school", reply_markup=keyboard(rows))


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


async def school_typed(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None and context.person is not None
    needle = _folded((update.effective_message.text or "").strip())
    schools = await service.flagging_schools(context.services.db, context.person.id)
    found = [
        s
        for s in schools
        if _meaningful(needle) and (needle in _folded(s.name) or needle in _folded(s.uai))
    ]
    if not found:
        await reply(update, context, "collection.flag.no_school_found")
    elif len(found) > SCHOOL_BUTTONS:
        await reply(update, context, "collection.flag.too_many_schools", count=len(found))
    else:
        await _offer_schools(update, context, found)
    return SCHOOL


async def school_chosen(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    school_id = int(query.data.rsplit(":", 1)[1])
    schools = await service.flagging_schools(context.services.db, context.person.id)
    school = next((s for s in schools if s.id == school_id), None)
    if school is None:  # a forged or stale button: never trust callback data
        await alert(update, context, "collection.error.school_out_of_scope")
        return SCHOOL
    await query.answer()
    await set_buttons(query, None)
    return await _school_set(update, context, school)


async def _school_set(update: Update, context: PneContext, school: SchoolRef) -> str:
    draft = _draft(context)
    if draft.get("school_id") != school.id:
        draft.update(school_id=school.id, school_name=school.name, items=[], page=0, shown={})
    return await _show_items(update, context, new_message=True)


# --- items ---------------------------------------------------------------------------------


def _chosen(draft: Draft, equipment_id: int | None) -> dict[str, Any] | None:
    return next((i for i in draft["items"] if i["equipment_id"] == equipment_id), None)


async def _show_items(update: Update, context: PneContext, *, new_message: bool) -> str:
    assert context.person is not None
    draft = _draft(context)
    page = int(draft.get("page", 0))
    found, total = await service.inventory_page(
        context.services.db, context.person.id, int(draft["school_id"]), page, PER_PAGE
    )
    if page > 0 and not found and total:  # the inventory shrank: back to its last page
        draft["page"] = page = max(0, (total - 1) // PER_PAGE)
        found, total = await service.inventory_page(
            context.services.db, context.person.id, int(draft["school_id"]), page, PER_PAGE
        )
    shown: dict[str, str] = draft.setdefault("shown", {})
    rows: list[list[tuple[str, str]]] = []
    for equipment in found:
        shown[str(equipment.id)] = equipment.asset_tag
        mark = "✅ " if _chosen(draft, equipment.id) else ""
        label = _label(context, equipment.type, equipment.model)
        rows.append([(f"{mark}{equipment.asset_tag} · {label}"[:60], f"col:item:{equipment.id}")])
    nav: list[tuple[str, str]] = []
    if page > 0:
        nav.append((context.t("common.button.previous"), f"col:page:{page - 1}"))
    if (page + 1) * PER_PAGE < total:
        nav.append((context.t("common.button.next"), f"col:page:{page + 1}"))
    if nav:
        rows.append(nav)
    count = len(draft["items"])
    rows.append([(context.t("collection.flag.button.items_done", count=count), "col:items:done")])
    rows.append([(context.t("common.button.cancel"), "col:abort")])
    chosen = "\n".join(f"• {_item_name(i)}"[:80] for i in draft["items"])
    text = context.t(
        "collection.flag.ask_items",
        school=draft["school_name"],
        total=total,
        count=count,
        chosen=chosen or context.t("collection.flag.none_chosen"),
    )
    query = update.callback_query
    if not new_message and query is not None:
        await edit_message(query, text, keyboard(rows))
    else:
        await send(context, _chat(update), text, reply_markup=keyboard(rows))
    return ITEMS


def _add(context: PneContext, draft: Draft, check: service.FlagTag) -> None:
    draft["items"].append(
        {
            "equipment_id": check.equipment_id,
            "tag": check.asset_tag,
            "label": _label(context, check.type, check.model),
            "owner": check.owner or "sem",
        }
    )


async def item_toggled(update: Update, context: PneContext) -> str:
    """A tap on an item: chosen if it was not, removed if it was."""
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
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
    if len(draft["items"]) >= rules.MAX_ITEMS:
        await alert(update, context, "collection.error.too_many_items", max=rules.MAX_ITEMS)
        return ITEMS
    # Re-checked on arrival: still this school's, still in service.
    [check] = await service.check_tags(
        context.services.db, context.person.id, int(draft["school_id"]), [tag]
    )
    if not check.known or check.other_school or check.unavailable:
        await alert(update, context, "collection.error.tag_unavailable", tag=tag)
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
    """Tags typed (one or several, on one line or more): this school's items in service
    are added; each other word is refused with its own reason, and does not stop the rest."""
    assert update.effective_message is not None and context.person is not None
    draft = _draft(context)
    words = [w for w in _WORDS.split(update.effective_message.text or "") if w][:MAX_TYPED]
    read: list[str | None] = []  # each word's tag, None when it cannot be one
    for word in words:
        try:
            read.append(normalize_asset_tag(word))
        except DomainError:
            read.append(None)
    tags = list(dict.fromkeys(t for t in read if t is not None))
    if not words:
        await reply(update, context, "collection.flag.items_expected")
        return ITEMS
    checks = {
        c.asset_tag: c
        for c in (
            await service.check_tags(
                context.services.db, context.person.id, int(draft["school_id"]), tags
            )
            if tags
            else []
        )
    }
    problems: list[str] = []  # in the order the words were typed
    full = False
    for word, tag in zip(words, read, strict=True):
        check = checks.pop(tag, None) if tag is not None else None
        if tag is None:
            problems.append(
                context.t(
                    "collection.error.typed_tag", value=word[:40], max=MAX_LENGTHS["asset_tag"]
                )
            )
        elif check is None:  # the same tag twice in the message: once is enough
            continue
        elif check.other_school:
            problems.append(context.t("collection.error.tag_other_school", tag=check.asset_tag))
        elif not check.known:
            problems.append(context.t("collection.error.unknown_tag", tag=check.asset_tag))
        elif _chosen(draft, check.equipment_id) is not None:
            problems.append(context.t("collection.flag.already_chosen", tag=check.asset_tag))
        elif check.unavailable:
            problems.append(context.t("collection.error.tag_unavailable", tag=check.asset_tag))
        elif len(draft["items"]) >= rules.MAX_ITEMS:
            if not full:
                problems.append(context.t("collection.error.too_many_items", max=rules.MAX_ITEMS))
            full = True
        else:
            _add(context, draft, check)
    if problems:
        await send(context, _chat(update), "\n".join(problems))
    return await _show_items(update, context, new_message=True)


async def items_done(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None
    draft = _draft(context)
    if not draft["items"]:
        await alert(update, context, "collection.error.no_items")
        return ITEMS
    await query.answer()
    await set_buttons(query, None)
    return await _next_item(update, context)


# --- each item's condition and note -----------------------------------------------------


async def _next_item(update: Update, context: PneContext) -> str:
    """The first item without its condition; when every item has one, the next step."""
    draft = _draft(context)
    for index, item in enumerate(draft["items"]):
        if not item.get("condition"):
            draft["at"] = index
            return await _ask_condition(update, context, index)
    draft.pop("at", None)
    if draft.pop("fixing", None):
        return await _show_summary(update, context)
    return await _ask_place(update, context)


async def _ask_condition(update: Update, context: PneContext, index: int) -> str:
    items = _draft(context)["items"]
    rows = [
        [
            (context.t("collection.flag.button.broken"), f"col:cond:{index}:broken"),
            (context.t("collection.flag.button.unused"), f"col:cond:{index}:unused"),
        ]
    ]
    await reply(
        update,
        context,
        "collection.flag.ask_condition",
        item=_item_name(items[index]),
        index=index + 1,
        count=len(items),
        reply_markup=keyboard(rows),
    )
    return CONDITION


def _at(draft: Draft, data: str) -> int | None:
    """The item a condition or note button names, if it is the one asked about now."""
    index = int(data.split(":")[2])
    if index != draft.get("at") or index >= len(draft["items"]):
        return None
    return index


async def condition_chosen(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    draft = _draft(context)
    index = _at(draft, query.data)
    if index is None:
        await alert(update, context, "common.stale_button")
        return CONDITION
    await query.answer()
    await set_buttons(query, None)
    draft["items"][index]["condition"] = Condition(query.data.rsplit(":", 1)[1]).value
    rows = [[(context.t("collection.flag.button.no_note"), f"col:nonote:{index}")]]
    await reply(
        update,
        context,
        "collection.flag.ask_note",
        item=_item_name(draft["items"][index]),
        condition=context.t(f"collection.condition.{draft['items'][index]['condition']}"),
        max=rules.MAX_NOTE,
        reply_markup=keyboard(rows),
    )
    return NOTE


async def note_typed(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None
    draft = _draft(context)
    index = draft.get("at")
    if not isinstance(index, int) or index >= len(draft["items"]):
        return await _next_item(update, context)
    note = (update.effective_message.text or "").strip()
    if units(note) > rules.MAX_NOTE:
        await reply(update, context, "collection.error.note_too_long", max=rules.MAX_NOTE)
        return NOTE
    if not _meaningful(note):
        await reply(update, context, "collection.flag.note_expected", max=rules.MAX_NOTE)
        return NOTE
    draft["items"][index]["note"] = note
    return await _next_item(update, context)


async def note_skipped(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    draft = _draft(context)
    index = _at(draft, query.data)
    if index is None:
        await alert(update, context, "common.stale_button")
        return NOTE
    await query.answer()
    await set_buttons(query, None)
    draft["items"][index]["note"] = None
    return await _next_item(update, context)


# --- where, when, photos -------------------------------------------------------------------


async def _ask_place(update: Update, context: PneContext) -> str:
    await reply(update, context, "collection.flag.ask_place", max=rules.MAX_PLACE)
    return PLACE


async def place_typed(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None
    place = (update.effective_message.text or "").strip()
    if not _meaningful(place):
        await reply(update, context, "collection.error.place_required")
        return PLACE
    if units(place) > rules.MAX_PLACE:
        await reply(update, context, "collection.error.place_too_long", max=rules.MAX_PLACE)
        return PLACE
    draft = _draft(context)
    draft["place"] = place
    if draft.pop("fixing", None):
        return await _show_summary(update, context)
    return await _ask_when(update, context, new_message=True)


def _availability(draft: Draft) -> service.Availability:
    return service.Availability(
        weekdays=frozenset(int(d) for d in draft.get("days", [])),
        hours=draft.get("hours"),
        in_holidays=bool(draft.get("holidays")),
    )


async def _ask_when(update: Update, context: PneContext, *, new_message: bool) -> str:
    draft = _draft(context)
    days = {int(d) for d in draft.get("days", [])}

    def day(d: int) -> tuple[str, str]:
        mark = "✅" if d in days else "▫️"
        return (f"{mark} {context.t(f'collection.flag.day.{WEEKDAY_KEYS[d]}')}", f"col:day:{d}")

    holidays = "✅" if draft.get("holidays") else "▫️"
    rows = [
        [day(0), day(1), day(2)],
        [day(3), day(4)],
        [(f"{holidays} {context.t('collection.flag.button.holidays')}", "col:hol")],
        [(context.t("collection.flag.button.continue"), "col:when:done")],
    ]
    text = context.t(
        "collection.flag.ask_when",
        chosen=_card(context).availability(_availability(draft)),
        max=rules.MAX_HOURS,
    )
    query = update.callback_query
    if not new_message and query is not None:
        await edit_message(query, text, keyboard(rows))
    else:
        await send(context, _chat(update), text, reply_markup=keyboard(rows))
    return WHEN


async def day_toggled(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    draft = _draft(context)
    day = int(query.data.rsplit(":", 1)[1])
    days = {int(d) for d in draft.get("days", [])} ^ {day}
    draft["days"] = sorted(days)
    return await _ask_when(update, context, new_message=False)


async def holidays_toggled(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None
    await query.answer()
    draft = _draft(context)
    draft["holidays"] = not draft.get("holidays")
    return await _ask_when(update, context, new_message=False)


async def hours_typed(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None
    hours = (update.effective_message.text or "").strip()
    if units(hours) > rules.MAX_HOURS:
        await reply(update, context, "collection.error.hours_too_long", max=rules.MAX_HOURS)
        return WHEN
    if not _meaningful(hours):
        await reply(update, context, "collection.flag.when_expected", max=rules.MAX_HOURS)
        return WHEN
    _draft(context)["hours"] = hours
    return await _ask_when(update, context, new_message=True)


async def when_done(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await set_buttons(query, None)
    draft = _draft(context)
    if draft.pop("fixing", None):
        return await _show_summary(update, context)
    return await _ask_photos(update, context)


async def _ask_photos(update: Update, context: PneContext) -> str:
    rows = [[(context.t("collection.flag.button.skip_photos"), "col:photos:done")]]
    await reply(
        update, context, "collection.flag.ask_photos", max=MAX_PHOTOS, reply_markup=keyboard(rows)
    )
    return PHOTOS


async def photo_received(update: Update, context: PneContext) -> str:
    message = update.effective_message
    assert message is not None
    draft = _draft(context)
    photos: list[dict[str, Any]] = draft.setdefault("photos", [])
    file: dict[str, str | None]
    if message.photo:
        photo = message.photo[-1]
        file = {"kind": "photo", "file_id": photo.file_id, "file_unique_id": photo.file_unique_id}
    elif message.document and (message.document.mime_type or "").startswith("image/"):
        doc = message.document
        file = {
            "kind": "document",
            "file_id": doc.file_id,
            "file_unique_id": doc.file_unique_id,
            "file_name": doc.file_name,
            "mime_type": doc.mime_type,
        }
    else:
        await reply(update, context, "collection.flag.photo_expected")
        return PHOTOS
    if len(photos) >= MAX_PHOTOS:
        await reply(update, context, "collection.flag.too_many_photos", max=MAX_PHOTOS)
        return PHOTOS
    photos.append(file)
    rows = [[(context.t("collection.flag.button.photos_done"), "col:photos:done")]]
    await reply(
        update,
        context,
        "collection.flag.photo_received",
        count=len(photos),
        reply_markup=keyboard(rows),
    )
    return PHOTOS


async def photos_done(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await set_buttons(query, None)
    _draft(context).pop("fixing", None)
    return await _show_summary(update, context)


# --- summary, corrections, confirmation -----------------------------------------------


def _command(context: PneContext) -> service.FlagEquipment:
    assert context.person is not None
    draft = _draft(context)
    return service.FlagEquipment(
        reporter_id=context.person.id,
        school_id=int(draft["school_id"]),
        items=tuple(
            service.FlagItem(i["tag"], Condition(i["condition"]), i.get("note"))
            for i in draft["items"]
        ),
        place=str(draft.get("place", "")),
        availability=_availability(draft),
        files=tuple(FileRef(**f) for f in draft.get("photos", [])),
    )


def _route_line(context: PneContext, item: service.FlagItem, route: Route, kind: str) -> str:
    if route is Route.SEM_COLLECTS:
        key = f"collection.flag.route.sem_{item.condition.value}"
    else:
        key = body_variant(f"collection.flag.route.{route.value}", kind)
    return context.t(key)


def _summary_text(context: PneContext, preview: service.Preview) -> str:
    draft = _draft(context)
    card = _card(context)
    photos = len(draft.get("photos", []))
    lines: list[str] = []
    for item, tag, route in preview.items:
        what = ", ".join(
            p
            for p in (context.services.i18n.equipment_type(context.lang, tag.type), tag.model)
            if p
        )
        line = context.t(
            "collection.flag.summary_item",
            item=f"{tag.asset_tag} ({what})" if what else tag.asset_tag,
            condition=card.condition(item.condition),
        )
        if item.note:
            line += "\n" + context.t("collection.card.item_note", note=item.note)
        line += "\n" + _route_line(context, item, route, preview.body_kind)
        lines.append(line)
    return context.t(
        "collection.flag.summary",
        school=draft["school_name"],
        count=len(preview.items),
        items=Safe("\n".join(lines)),
        place=draft.get("place", ""),
        availability=card.availability(_availability(draft)),
        photos=Safe(
            context.t("collection.card.attachments", count=photos)
            if photos
            else context.t("collection.flag.no_photos")
        ),
    )


async def _show_summary(update: Update, context: PneContext) -> str:
    draft = _draft(context)
    draft.pop("fixing", None)
    try:
        preview = await service.preview_flagging(context.services.db, _command(context))
    except DomainError as error:
        # Something changed since it was typed (an item flagged by someone else): back to
        # the step it belongs to.
        await steps.refuse(update, context, error)
        if error.code.startswith("collection.error.place"):
            return await _ask_place(update, context)
        if error.code.startswith("collection.error.hours"):
            return await _ask_when(update, context, new_message=True)
        return await _show_items(update, context, new_message=True)
    draft["nonce"] = secrets.token_hex(steps.NONCE_BYTES)
    rows = [
        [
            (
                context.t("collection.flag.button.send", count=len(preview.items)),
                f"col:send:{draft['nonce']}",
            )
        ],
        [(context.t("collection.flag.button.fix"), "col:fix")],
        [(context.t("common.button.cancel"), "col:abort")],
    ]
    await send(context, _chat(update), _summary_text(context, preview), reply_markup=keyboard(rows))
    return SUMMARY


async def fix_menu(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None
    await query.answer()
    rows = [[(context.t(f"collection.flag.fix.{part}"), f"col:fix:{part}")] for part in FIXABLE]
    rows.append([(context.t("collection.flag.fix.back"), "col:fix:back")])
    await set_buttons(query, keyboard(rows))
    return SUMMARY


async def fix_part(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    await set_buttons(query, None)
    part = query.data.rsplit(":", 1)[1]
    draft = _draft(context)
    if part == "back":
        return await _show_summary(update, context)
    draft["fixing"] = part
    if part == "items":
        draft["page"] = 0
        return await _show_items(update, context, new_message=True)
    if part == "conditions":
        for item in draft["items"]:
            item.pop("condition", None)
            item.pop("note", None)
        return await _next_item(update, context)
    if part == "place":
        return await _ask_place(update, context)
    if part == "when":
        return await _ask_when(update, context, new_message=True)
    draft["photos"] = []
    draft.pop("fixing", None)
    return await _ask_photos(update, context)


async def confirm(update: Update, context: PneContext) -> int | str:
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    draft = _draft(context)
    if query.data.rsplit(":", 1)[1] != draft.get("nonce"):  # an older summary's button
        await alert(update, context, "common.stale_button")
        return SUMMARY
    await query.answer()
    await set_buttons(query, None)
    services = context.services
    try:
        flagged = await service.flag_equipment(services.db, _command(context), steps.now(context))
    except DomainError as error:
        await steps.refuse(update, context, error)
        return await _show_summary(update, context)
    steps.end(context, NAME)
    view = flagged.view
    card = _card(context)
    lines = [context.t("collection.flag.done", number=view.number, count=len(view.items))]
    if view.by_route(Route.SEM_COLLECTS):
        lines.append(context.t("collection.flag.next.sem"))
    if view.by_route(Route.BODY_REMOVES):
        lines.append(context.t(body_variant("collection.flag.next.body_removes", view.body_kind)))
    if view.by_route(Route.BODY_KEEPS):
        lines.append(context.t(body_variant("collection.flag.next.body_keeps", view.body_kind)))
    lines.append(context.t("collection.flag.next.reply"))
    await send_about(
        context,
        _chat(update),
        "\n\n".join(lines),
        view.id,
        reply_markup=keyboard([[card.view_action(view)]]),
    )
    await tell(
        context,
        await notices.after_flagging(services.db, services.i18n, services.settings, flagged),
    )
    return ConversationHandler.END


async def abort(update: Update, context: PneContext) -> int:
    """« Annuler »: the draft is dropped, nothing is sent."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    await set_buttons(query, None)  # a button of an older message may have none left
    await reply(update, context, "common.cancelled")
    return steps.end(context, NAME)


# --- anything else --------------------------------------------------------------------------


def _stay(hint: str, again: Any = None) -> list[Handler]:
    """A message that does not fit the step (a sticker, a photo, a stray text): say what
    is expected, and show the step's buttons again (``again``) when it has some; the step
    stays open."""

    async def unexpected(update: Update, context: PneContext) -> object:
        await reply(update, context, hint)
        if again is not None:
            return await again(update, context)
        return None

    return [MessageHandler(filters.ALL & ~filters.COMMAND, unexpected)]


async def _items_again(update: Update, context: PneContext) -> str:
    return await _show_items(update, context, new_message=True)


async def _condition_again(update: Update, context: PneContext) -> str:
    draft = _draft(context)
    index = draft.get("at")
    if not isinstance(index, int) or index >= len(draft["items"]):
        return await _next_item(update, context)
    return await _ask_condition(update, context, index)


async def _when_again(update: Update, context: PneContext) -> str:
    return await _ask_when(update, context, new_message=True)


def conversation() -> ConversationHandler[PneContext]:
    text = filters.TEXT & ~filters.COMMAND
    return dialogue(
        name=NAME,
        entry_points=[
            CommandHandler(["collecte", "collect"], start, filters=filters.ChatType.PRIVATE)
        ],
        states={
            SCHOOL: [
                CallbackQueryHandler(school_chosen, pattern=r"^col:school:\d{1,10}$"),
                MessageHandler(text, school_typed),
                *_stay("collection.flag.unexpected.school"),
            ],
            ITEMS: [
                CallbackQueryHandler(item_toggled, pattern=r"^col:item:\d{1,10}$"),
                CallbackQueryHandler(page_turned, pattern=r"^col:page:\d{1,4}$"),
                CallbackQueryHandler(items_done, pattern=r"^col:items:done$"),
                MessageHandler(text, tags_typed),
                *_stay("collection.flag.items_expected", _items_again),
            ],
            CONDITION: [
                CallbackQueryHandler(
                    condition_chosen, pattern=r"^col:cond:\d{1,2}:(broken|unused)$"
                ),
                *_stay("collection.flag.unexpected.condition", _condition_again),
            ],
            NOTE: [
                CallbackQueryHandler(note_skipped, pattern=r"^col:nonote:\d{1,2}$"),
                MessageHandler(text, note_typed),
                *_stay("collection.flag.unexpected.note"),
            ],
            PLACE: [
                MessageHandler(text, place_typed),
                *_stay("collection.flag.unexpected.place"),
            ],
            WHEN: [
                CallbackQueryHandler(day_toggled, pattern=r"^col:day:[0-4]$"),
                CallbackQueryHandler(holidays_toggled, pattern=r"^col:hol$"),
                CallbackQueryHandler(when_done, pattern=r"^col:when:done$"),
                MessageHandler(text, hours_typed),
                *_stay("collection.flag.unexpected.when", _when_again),
            ],
            PHOTOS: [
                MessageHandler(filters.PHOTO | filters.Document.ALL, photo_received),
                CallbackQueryHandler(photos_done, pattern=r"^col:photos:done$"),
                *_stay("collection.flag.photo_expected"),
            ],
            SUMMARY: [
                CallbackQueryHandler(confirm, pattern=r"^col:send:[0-9a-f]{1,16}$"),
                CallbackQueryHandler(fix_menu, pattern=r"^col:fix$"),
                CallbackQueryHandler(
                    fix_part, pattern=r"^col:fix:(items|conditions|place|when|photos|back)$"
                ),
                *_stay("collection.flag.unexpected.summary"),
            ],
        },
        fallbacks=[CallbackQueryHandler(abort, pattern=r"^col:abort$")],
    )
