"""/signaler: the report of a theft, loss or damage, step by step, with buttons.

kind → (for a damage: its cause) → (school, for a commune agent) → equipment → when →
what happened → photos and documents (each tagged with what it is) → summary → confirm
or correct. The draft lives in the person's data, which is persisted
after every update, so it survives a restart; /annuler leaves at any step.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
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

from bot.domain.bodies import body_variant
from bot.domain.claims import ClaimKind, DamageCause, Document, duties_deadline, late_from_the_start
from bot.domain.dates import parse_discovery_detail
from bot.domain.errors import DomainError
from bot.domain.roles import Action, can
from bot.domain.text import units
from bot.services import claim_notices as notices
from bot.services import claims as service
from handlers.telegram.app import PneContext
from handlers.telegram.claim_cards import Card
from handlers.telegram.common import (
    edit_message,
    keyboard,
    reply,
    send,
    send_about,
    set_buttons,
    tell,
)
from handlers.telegram.dialogues import dialogue

KIND, CAUSE, SCHOOL, ITEMS, DESCRIBE, WHEN, WHAT, FILES, SUMMARY, RESUME = (
    "kind", "cause", "school", "items", "describe", "when", "what", "files", "summary",
    "resume",
)  # fmt: skip
# What a file sent with the report may be (a photo of the damage unless the sender says
# otherwise): the complete dossier counts them (art. 6).
FILE_PURPOSES = tuple(
    d.value
    for d in (
        Document.EVIDENCE,
        Document.INVOICE_OR_QUOTE,
        Document.INSURER_DECLARATION,
        Document.COMPLAINT_RECEIPT,
        Document.POLICE_REPORT,
    )
)
DRAFT = "claim_draft"
PER_PAGE = 6
SCHOOL_BUTTONS = 8
MAX_FILES = 10
_TAG_SPLIT = re.compile(r"[\s,;]+")


def _draft(context: PneContext) -> dict[str, Any]:
    assert context.user_data is not None
    draft: dict[str, Any] = context.user_data.setdefault(DRAFT, {})
    return draft


def _card(context: PneContext) -> Card:
    return Card(context.services.i18n, context.lang)


async def _answer(update: Update) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()


async def _error(update: Update, context: PneContext, error: DomainError) -> None:
    params = dict(error.params)
    await reply(update, context, error.code, **params)


# --- start and kind ------------------------------------------------------------------


async def start(update: Update, context: PneContext) -> str | int:
    person = context.person
    assert person is not None
    if not can(person.role, Action.REPORT_CLAIM):
        await reply(update, context, "common.error.forbidden")
        return ConversationHandler.END
    assert context.user_data is not None
    if context.user_data.get(DRAFT, {}).get("kind"):
        # A report under way (or left when its dialogue expired): never drop it silently.
        return await _ask_resume(update, context)
    return await _fresh(update, context)


async def _fresh(update: Update, context: PneContext) -> str:
    assert context.user_data is not None
    context.user_data[DRAFT] = {"items": [], "files": [], "page": 0}
    return await _ask_kind(update, context)


async def _ask_resume(update: Update, context: PneContext) -> str:
    draft = _draft(context)
    parts = [context.t(f"claim.kind_word.{draft['kind']}")]
    if draft.get("school_name"):
        parts.append(str(draft["school_name"]))
    if draft.get("items"):
        parts.append(context.t("claim.report.draft_items", count=len(draft["items"])))
    rows = [
        [(context.t("claim.button.draft_resume"), "clm:draft:resume")],
        [(context.t("claim.button.draft_restart"), "clm:draft:restart")],
    ]
    await reply(
        update,
        context,
        "claim.report.draft_found",
        what=", ".join(parts),
        reply_markup=keyboard(rows),
    )
    return RESUME


async def draft_chosen(update: Update, context: PneContext) -> str:
    """« Reprendre le brouillon » goes back to the first step not answered yet;
    « Recommencer » drops the draft and starts again."""
    query = update.callback_query
    assert query is not None and query.data is not None and context.user_data is not None
    await query.answer()
    await set_buttons(query, None)
    draft = context.user_data.get(DRAFT) or {}
    if query.data.endswith(":restart") or not draft.get("kind"):
        return await _fresh(update, context)
    return await _resume(update, context)


async def _resume(update: Update, context: PneContext) -> str:
    draft = _draft(context)
    draft.pop("fixing", None)
    draft.setdefault("items", [])
    draft.setdefault("files", [])
    if draft.get("kind") == ClaimKind.DAMAGE.value and not draft.get("cause"):
        return await _ask_cause(update, context)
    if "school_id" not in draft:
        return await _ask_school(update, context)
    if draft.get("to_describe"):
        await reply(update, context, "claim.report.describe_unknown", tag=draft["to_describe"][0])
        return DESCRIBE
    if not draft["items"] or not draft.get("items_done"):
        return await _show_items(update, context, new_message=True)
    if "discovered_at" not in draft:
        await reply(update, context, "claim.report.ask_when")
        return WHEN
    if "description" not in draft:
        await reply(update, context, "claim.report.ask_what")
        return WHAT
    if not draft.get("files_done"):
        return await _ask_files(update, context)
    return await _show_summary(update, context)


async def _ask_kind(update: Update, context: PneContext) -> str:
    rows = [[(context.t(f"claim.kind.{k.value}"), f"clm:kind:{k.value}") for k in ClaimKind]]
    rows.append([(context.t("common.button.cancel"), "clm:abort")])
    await reply(update, context, "claim.report.ask_kind", reply_markup=keyboard(rows))
    return KIND


async def kind_chosen(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    draft = _draft(context)
    draft["kind"] = ClaimKind(query.data.rsplit(":", 1)[1]).value
    await set_buttons(query, None)
    if draft["kind"] == ClaimKind.DAMAGE.value:
        return await _ask_cause(update, context)
    draft.pop("cause", None)
    if draft.pop("fixing", False):
        return await _show_summary(update, context)
    return await _ask_school(update, context)


async def _ask_cause(update: Update, context: PneContext) -> str:
    """A damage: vandalism (a complaint to file) or an accident (none), decision 0019."""
    rows = [
        [(context.t(f"claim.cause.ask.{c.value}"), f"clm:cause:{c.value}")] for c in DamageCause
    ]
    rows.append([(context.t("common.button.cancel"), "clm:abort")])
    await reply(update, context, "claim.report.ask_cause", reply_markup=keyboard(rows))
    return CAUSE


async def cause_chosen(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    draft = _draft(context)
    if draft.get("kind") != ClaimKind.DAMAGE.value:  # a button of an older report
        return await _ask_kind(update, context)
    draft["cause"] = DamageCause(query.data.rsplit(":", 1)[1]).value
    await set_buttons(query, None)
    if draft.pop("fixing", False):
        return await _show_summary(update, context)
    return await _ask_school(update, context)


async def _ask_school(update: Update, context: PneContext) -> str:
    assert context.person is not None
    schools = await service.reporting_schools(context.services.db, context.person.id)
    draft = _draft(context)
    if len(schools) == 1:
        draft["school_id"], draft["school_name"] = schools[0].id, schools[0].name
        return await _show_items(update, context, new_message=True)
    if not schools:
        await reply(update, context, "claim.error.no_school")
        return KIND
    if len(schools) > SCHOOL_BUTTONS:
        # A commune of many schools (or staff): search by name or UAI rather than scroll.
        await reply(update, context, "claim.report.search_school", count=len(schools))
        return SCHOOL
    await _offer_schools(update, context, schools)
    return SCHOOL


async def _offer_schools(update: Update, context: PneContext, schools: Sequence[Any]) -> None:
    rows = [[(f"{s.name} ({s.uai})", f"clm:school:{s.id}")] for s in schools[:SCHOOL_BUTTONS]]
    await reply(update, context, "claim.report.ask_school", reply_markup=keyboard(rows))


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


async def school_typed(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None and context.person is not None
    needle = _folded((update.effective_message.text or "").strip())
    schools = await service.reporting_schools(context.services.db, context.person.id)
    found = [
        s for s in schools if needle and (needle in _folded(s.name) or needle in _folded(s.uai))
    ]
    if not found:
        await reply(update, context, "claim.report.no_school_found")
        return SCHOOL
    if len(found) > SCHOOL_BUTTONS:
        await reply(update, context, "claim.report.too_many_schools", count=len(found))
        return SCHOOL
    await _offer_schools(update, context, found)
    return SCHOOL


async def school_chosen(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    await query.answer()
    school_id = int(query.data.rsplit(":", 1)[1])
    schools = await service.reporting_schools(context.services.db, context.person.id)
    school = next((s for s in schools if s.id == school_id), None)
    if school is None:  # a forged or stale button: never trust callback data
        await reply(update, context, "claim.error.school_out_of_scope")
        return SCHOOL
    draft = _draft(context)
    draft["school_id"], draft["school_name"] = school.id, school.name
    draft["items"] = []
    await set_buttons(query, None)
    return await _show_items(update, context, new_message=True)


# --- equipment -------------------------------------------------------------------------


def _label(context: PneContext, type_: str | None, model: str | None) -> str:
    """An item's type (in the person's language) and model, as buttons and lists show it."""
    kind = context.services.i18n.equipment_type(context.lang, type_)
    return f"{kind} {model or ''}".strip()


def _chosen(
    draft: dict[str, Any], *, equipment_id: int | None = None, tag: str | None = None
) -> dict[str, Any] | None:
    """The draft's item for this piece of equipment (tapped or typed: the same item)."""
    for item in draft["items"]:
        if equipment_id is not None and item.get("equipment_id") == equipment_id:
            return item
        if tag and item.get("tag") == tag:
            return item
    return None


async def _show_items(update: Update, context: PneContext, *, new_message: bool) -> str:
    assert context.person is not None
    draft = _draft(context)
    page = int(draft.get("page", 0))
    rows_eq, total = await service.inventory_page(
        context.services.db, context.person.id, int(draft["school_id"]), page, PER_PAGE
    )
    rows: list[list[tuple[str, str]]] = []
    for equipment in rows_eq:
        chosen = _chosen(draft, equipment_id=equipment.id, tag=equipment.asset_tag)
        mark = "✅ " if chosen is not None else ""
        label = _label(context, equipment.type, equipment.model)
        rows.append([(f"{mark}{equipment.asset_tag} · {label}"[:60], f"clm:item:{equipment.id}")])
    nav: list[tuple[str, str]] = []
    if page > 0:
        nav.append((context.t("common.button.previous"), f"clm:page:{page - 1}"))
    if (page + 1) * PER_PAGE < total:
        nav.append((context.t("common.button.next"), f"clm:page:{page + 1}"))
    if nav:
        rows.append(nav)
    rows.append(
        [(context.t("claim.button.items_done", count=len(draft["items"])), "clm:items:done")]
    )
    rows.append([(context.t("common.button.cancel"), "clm:abort")])
    # One short line per item, so that even the most items fit in one message.
    chosen_lines = "\n".join(
        f"• {i.get('tag') or ''} {i.get('label') or i.get('description') or ''}".rstrip()[:80]
        for i in draft["items"]
    )
    text = context.t(
        "claim.report.ask_items",
        school=draft["school_name"],
        chosen=chosen_lines or context.t("claim.report.none_chosen"),
        total=total,
    )
    query = update.callback_query
    if not new_message and query is not None:
        await edit_message(query, text, keyboard(rows))
    else:
        await send(
            context,
            update.effective_chat.id if update.effective_chat else 0,
            text,
            reply_markup=keyboard(rows),
        )
    return ITEMS


async def item_toggled(update: Update, context: PneContext) -> str:
    """A tap on an item: chosen if it was not, removed if it was (tapped or typed)."""
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    draft = _draft(context)
    equipment_id = int(query.data.rsplit(":", 1)[1])
    existing = _chosen(draft, equipment_id=equipment_id)
    if existing is not None:
        draft["items"].remove(existing)
        await query.answer()
        return await _show_items(update, context, new_message=False)
    # Re-check on arrival: the item must be in service at the draft's school, in scope.
    page_items, _ = await service.inventory_page(
        context.services.db, context.person.id, int(draft["school_id"]), 0, 10_000
    )
    equipment = next((e for e in page_items if e.id == equipment_id), None)
    if equipment is None:
        await query.answer(context.t("claim.error.item_unavailable"), show_alert=True)
        return ITEMS
    typed = _chosen(draft, tag=equipment.asset_tag)  # typed earlier: the same item
    if typed is not None:
        draft["items"].remove(typed)
        await query.answer()
        return await _show_items(update, context, new_message=False)
    if len(draft["items"]) >= service.MAX_ITEMS:
        await query.answer(
            context.t("claim.error.too_many_items", max=service.MAX_ITEMS), show_alert=True
        )
        return ITEMS
    await query.answer()
    draft["items"].append(
        {
            "equipment_id": equipment.id,
            "tag": equipment.asset_tag,
            "label": _label(context, equipment.type, equipment.model),
        }
    )
    return await _show_items(update, context, new_message=False)


async def page_turned(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    _draft(context)["page"] = max(0, int(query.data.rsplit(":", 1)[1]))
    return await _show_items(update, context, new_message=False)


async def tags_typed(update: Update, context: PneContext) -> str:
    """Asset tags typed by hand: this school's are added, unknown ones are described, and
    a tag already chosen (typed or tapped) is removed from the choice. A word that cannot
    be a tag is refused with its reason, and the other words are read all the same."""
    assert update.effective_message is not None and context.person is not None
    draft = _draft(context)
    typed = [t for t in _TAG_SPLIT.split(update.effective_message.text or "") if t]
    tags = list(dict.fromkeys(typed))[: 2 * service.MAX_ITEMS]  # each tag once
    try:
        checks = await service.check_tags(
            context.services.db, context.person.id, int(draft["school_id"]), tags
        )
    except DomainError as error:
        await _error(update, context, error)
        return ITEMS
    if checks and all(check.refused is not None for check in checks):
        for check in checks:  # nothing else typed: the list stays as it was shown
            assert check.refused is not None
            await _error(update, context, check.refused)
        return ITEMS
    unknown: list[str] = []
    removed: list[str] = []
    for check in checks:
        if check.refused is not None:
            await _error(update, context, check.refused)
            continue
        existing = _chosen(draft, equipment_id=check.equipment_id, tag=check.asset_tag)
        if existing is not None:
            draft["items"].remove(existing)
            removed.append(check.asset_tag)
        elif check.other_school:
            await reply(update, context, "claim.error.tag_other_school", tag=check.asset_tag)
        elif check.unavailable:
            await reply(update, context, "claim.error.tag_unavailable", tag=check.asset_tag)
        elif len(draft["items"]) + len(unknown) >= service.MAX_ITEMS:
            await reply(update, context, "claim.error.too_many_items", max=service.MAX_ITEMS)
            break
        elif check.known:
            draft["items"].append(
                {
                    "equipment_id": check.equipment_id,
                    "tag": check.asset_tag,
                    "label": _label(context, check.type, check.model),
                    "typed": True,
                }
            )
        else:
            unknown.append(check.asset_tag)
    if removed:
        await reply(update, context, "claim.report.items_removed", tags=", ".join(removed))
    if unknown:
        draft["to_describe"] = unknown
        await reply(update, context, "claim.report.describe_unknown", tag=unknown[0])
        return DESCRIBE
    return await _show_items(update, context, new_message=True)


async def unknown_described(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None
    draft = _draft(context)
    text = (update.effective_message.text or "").strip()
    pending: list[str] = draft.get("to_describe", [])
    if not pending:
        return await _show_items(update, context, new_message=True)
    if not text or len(text) > 300:
        await reply(update, context, "claim.report.describe_unknown", tag=pending[0])
        return DESCRIBE
    draft["items"].append({"tag": pending.pop(0), "description": text})
    if pending:
        await reply(update, context, "claim.report.describe_unknown", tag=pending[0])
        return DESCRIBE
    draft.pop("to_describe", None)
    return await _show_items(update, context, new_message=True)


async def items_done(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None
    draft = _draft(context)
    if not draft["items"]:
        await query.answer(context.t("claim.error.no_items"), show_alert=True)
        return ITEMS
    await query.answer()
    await set_buttons(query, None)
    draft["items_done"] = True
    if draft.pop("fixing", False):
        return await _show_summary(update, context)
    await reply(update, context, "claim.report.ask_when")
    return WHEN


# --- when, what, files ---------------------------------------------------------------------


async def when_typed(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None
    services = context.services
    try:
        parsed = parse_discovery_detail(
            update.effective_message.text or "", services.clock.now(), services.settings.tz
        )
    except DomainError as error:
        await _error(update, context, error)
        await reply(update, context, "claim.report.ask_when")
        return WHEN
    draft = _draft(context)
    draft["discovered_at"] = parsed.at.isoformat()
    draft["time_given"] = parsed.time_given
    kind = ClaimKind(draft["kind"])
    if late_from_the_start(kind, parsed.at, services.clock.now(), draft.get("cause")):
        # Typed months later (« 12/03 »): the duties are overdue already; say it now.
        await reply(
            update,
            context,
            "claim.report.late_discovery",
            deadline=services.i18n.datetime(context.lang, duties_deadline(parsed.at)),
        )
    if draft.pop("fixing", False):
        return await _show_summary(update, context)
    await reply(update, context, "claim.report.ask_what")
    return WHAT


async def what_typed(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None
    text = (update.effective_message.text or "").strip()
    if units(text) > service.MAX_DESCRIPTION:
        await reply(
            update, context, "claim.error.description_too_long", max=service.MAX_DESCRIPTION
        )
        return WHAT
    if len(text) < 3:
        await reply(update, context, "claim.report.ask_what")
        return WHAT
    draft = _draft(context)
    draft["description"] = text
    if draft.pop("fixing", False):
        return await _show_summary(update, context)
    return await _ask_files(update, context)


async def _ask_files(update: Update, context: PneContext) -> str:
    rows = [[(context.t("claim.button.files_done"), "clm:files:done")]]
    await reply(update, context, "claim.report.ask_files", reply_markup=keyboard(rows))
    return FILES


async def file_received(update: Update, context: PneContext) -> str:
    message = update.effective_message
    assert message is not None
    draft = _draft(context)
    if len(draft["files"]) >= MAX_FILES:
        await reply(update, context, "claim.error.too_many_files", max=MAX_FILES)
        return FILES
    if message.photo:
        photo = message.photo[-1]
        draft["files"].append(
            {"kind": "photo", "file_id": photo.file_id, "file_unique_id": photo.file_unique_id}
        )
    elif message.document:
        doc = message.document
        draft["files"].append(
            {
                "kind": "document",
                "file_id": doc.file_id,
                "file_unique_id": doc.file_unique_id,
                "file_name": doc.file_name,
                "mime_type": doc.mime_type,
            }
        )
    index = len(draft["files"]) - 1
    rows = _purpose_rows(context, index)
    rows.append([(context.t("claim.button.files_done"), "clm:files:done")])
    await reply(
        update,
        context,
        "claim.report.file_received",
        count=len(draft["files"]),
        reply_markup=keyboard(rows),
    )
    return FILES


def _purpose_rows(context: PneContext, index: int) -> list[list[tuple[str, str]]]:
    """One button per thing a file may be; the file is a photo of the damage until one is
    tapped (``clm:fp:<file index>:<purpose>``)."""
    return [[(context.t(f"claim.purpose.{p}"), f"clm:fp:{index}:{p}")] for p in FILE_PURPOSES]


async def file_purpose_chosen(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    _, _, index_text, purpose = query.data.split(":")
    files: list[dict[str, Any]] = _draft(context).get("files", [])
    index = int(index_text)
    if index >= len(files) or purpose not in FILE_PURPOSES:  # a button of an older draft
        await query.answer(context.t("common.stale_button"), show_alert=True)
        return FILES
    await query.answer()
    files[index]["purpose"] = purpose
    rows = [[(context.t("claim.button.files_done"), "clm:files:done")]]
    await reply(
        update,
        context,
        "claim.report.file_purpose_saved",
        purpose=context.t(f"claim.purpose.{purpose}"),
        reply_markup=keyboard(rows),
    )
    return FILES


async def files_done(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await set_buttons(query, None)
    draft = _draft(context)
    draft.pop("fixing", None)
    draft["files_done"] = True
    return await _show_summary(update, context)


# --- summary, corrections, confirmation ----------------------------------------------------


def _command(context: PneContext) -> service.ReportClaim:
    assert context.person is not None
    draft = _draft(context)
    return service.ReportClaim(
        reporter_id=context.person.id,
        school_id=int(draft["school_id"]),
        kind=ClaimKind(draft["kind"]),
        discovered_at=datetime.fromisoformat(draft["discovered_at"]),
        description=draft.get("description", ""),
        items=tuple(
            service.ItemRequest(i.get("tag"), i.get("description")) for i in draft["items"]
        ),
        files=tuple(service.FileRef(**f) for f in draft["files"]),
        damage_cause=DamageCause(draft["cause"]) if draft.get("cause") else None,
    )


async def _show_summary(update: Update, context: PneContext) -> str:
    draft = _draft(context)
    services = context.services
    try:
        preview = await service.preview_claim(services.db, _command(context), services.clock.now())
    except DomainError as error:
        await _error(update, context, error)
        return await _ask_kind(update, context)
    text = _card(context).summary(
        draft["kind"],
        draft["school_name"],
        preview,
        datetime.fromisoformat(draft["discovered_at"]),
        bool(draft.get("time_given", True)),
        draft.get("description", ""),
        len(draft["files"]),
        draft.get("cause"),
    )
    rows = [
        [(context.t("claim.button.confirm"), "clm:confirm")],
        [(context.t("claim.button.fix"), "clm:fix")],
        [(context.t("common.button.cancel"), "clm:abort")],
    ]
    await send(
        context,
        update.effective_chat.id if update.effective_chat else 0,
        text,
        reply_markup=keyboard(rows),
    )
    return SUMMARY


async def fix_menu(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None
    await query.answer()
    rows = [
        [(context.t(f"claim.fix.{part}"), f"clm:fix:{part}")]
        for part in ("kind", "items", "when", "what", "files")
    ]
    await set_buttons(query, keyboard(rows))
    return SUMMARY


async def fix_part(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    await set_buttons(query, None)
    part = query.data.rsplit(":", 1)[1]
    draft = _draft(context)
    draft["fixing"] = True
    if part == "kind":
        return await _ask_kind(update, context)
    if part == "items":
        return await _show_items(update, context, new_message=True)
    if part == "when":
        await reply(update, context, "claim.report.ask_when")
        return WHEN
    if part == "what":
        await reply(update, context, "claim.report.ask_what")
        return WHAT
    draft["files"] = []
    draft.pop("files_done", None)
    return await _ask_files(update, context)


async def confirm(update: Update, context: PneContext) -> int | str:
    query = update.callback_query
    assert query is not None
    await query.answer()
    services = context.services
    try:
        reported = await service.report_claim(services.db, _command(context), services.clock.now())
    except DomainError as error:
        await _error(update, context, error)
        return SUMMARY
    await set_buttons(query, None)
    assert context.user_data is not None
    context.user_data.pop(DRAFT, None)
    claim = reported.claim
    await send_about(
        context,
        update.effective_chat.id if update.effective_chat else 0,
        context.t(
            body_variant("claim.report.done", claim.body_kind),
            number=claim.number,
            deadline=services.i18n.datetime(context.lang, claim.deadline),
        ),
        claim.id,
    )
    await notify_reported(context, reported)
    return ConversationHandler.END


async def notify_reported(context: PneContext, reported: service.Reported) -> None:
    """The agents of the school's body get their duties with buttons; staff are told."""
    services = context.services
    await tell(
        context,
        await notices.after_report(services.db, services.i18n, services.settings, reported),
    )


# --- leaving ----------------------------------------------------------------------------


async def cancel(update: Update, context: PneContext) -> int:
    assert context.user_data is not None
    had_draft = context.user_data.pop(DRAFT, None) is not None
    if update.callback_query is not None:
        await update.callback_query.answer()
        await set_buttons(update.callback_query, None)
    await reply(update, context, "common.cancelled" if had_draft else "common.nothing_to_cancel")
    return ConversationHandler.END


async def unexpected(update: Update, context: PneContext) -> None:
    """A message that does not fit the current step: say what is expected."""
    if update.callback_query is not None:
        await update.callback_query.answer(context.t("common.stale_button"), show_alert=True)
        return
    await reply(update, context, "claim.report.unexpected")


def conversation() -> ConversationHandler[PneContext]:
    text = filters.TEXT & ~filters.COMMAND
    stay: list[BaseHandler[Update, PneContext, Any]] = [
        MessageHandler(filters.ALL & ~filters.COMMAND, unexpected),
    ]
    return dialogue(
        entry_points=[
            CommandHandler(["signaler", "report"], start, filters=filters.ChatType.PRIVATE)
        ],
        states={
            RESUME: [
                CallbackQueryHandler(draft_chosen, pattern=r"^clm:draft:(resume|restart)$"),
                *stay,
            ],
            KIND: [
                CallbackQueryHandler(kind_chosen, pattern=r"^clm:kind:(theft|loss|damage)$"),
                *stay,
            ],
            CAUSE: [
                CallbackQueryHandler(
                    cause_chosen, pattern=r"^clm:cause:(vandalism|breakage|electrical|water)$"
                ),
                *stay,
            ],
            SCHOOL: [
                CallbackQueryHandler(school_chosen, pattern=r"^clm:school:\d{1,10}$"),
                MessageHandler(text, school_typed),
                *stay,
            ],
            ITEMS: [
                CallbackQueryHandler(item_toggled, pattern=r"^clm:item:\d{1,10}$"),
                CallbackQueryHandler(page_turned, pattern=r"^clm:page:\d{1,4}$"),
                CallbackQueryHandler(items_done, pattern=r"^clm:items:done$"),
                MessageHandler(text, tags_typed),
                *stay,
            ],
            DESCRIBE: [MessageHandler(text, unknown_described), *stay],
            WHEN: [MessageHandler(text, when_typed), *stay],
            WHAT: [MessageHandler(text, what_typed), *stay],
            FILES: [
                MessageHandler(filters.PHOTO | filters.Document.ALL, file_received),
                CallbackQueryHandler(file_purpose_chosen, pattern=r"^clm:fp:\d{1,2}:[a-z_]{1,24}$"),
                CallbackQueryHandler(files_done, pattern=r"^clm:files:done$"),
                *stay,
            ],
            SUMMARY: [
                CallbackQueryHandler(confirm, pattern=r"^clm:confirm$"),
                CallbackQueryHandler(fix_menu, pattern=r"^clm:fix$"),
                CallbackQueryHandler(fix_part, pattern=r"^clm:fix:(kind|items|when|what|files)$"),
                *stay,
            ],
        },
        fallbacks=[
            CallbackQueryHandler(cancel, pattern=r"^clm:abort$"),
            CommandHandler(["signaler", "report"], start),
        ],
        name="claim_report",
    )
