"""/travaux and /fibre: a body's agent or a school's head tells SEM of works, shared
premises or a move, and of fibre news (convention art. 2).

/travaux: (the school, when the person has several) → what (a button per kind of works)
→ a description → the start date → the end date, or « À partir de » only → the rooms or
classes concerned, or « Toute l'école » → for a move, the UAI of the school the inventory
goes to or the new address → photos or plans (optional) → a summary naming everything,
with « ✅ Envoyer » and « Corriger ». Staff get the notice with SEM's equipment of those
rooms, the body SEM's recommendations to forward (``notice_notices.after_telling``).

/fibre: (the school) → « éligible au FTTH » or « fibre arrivée jusqu'à la baie » → an
optional comment → a confirmation; staff get a task to order the migration.

Each answer is checked as typed with the domain's rules (``bot.domain.notices``): a
refusal says what is expected and the step stays. Drafts live in the person's data (JSON
values, dates as ISO strings), persisted with the step. Every button is re-checked on
arrival (a school against the person's schools, the summary's « Envoyer » against the
draft's nonce), and the service checks everything again when the notice is written.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Sequence
from datetime import date
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

from bot.domain import notices as rules
from bot.domain.dates import ERR_UNREADABLE, parse_calendar_day
from bot.domain.errors import DomainError
from bot.domain.notices import FibreNews, WorksKind
from bot.domain.roles import Action, Role, can
from bot.i18n import Safe
from bot.services import notice_notices
from bot.services import notices as service
from bot.services.claims import FileRef, SchoolRef
from handlers.telegram import steps
from handlers.telegram.app import PneContext
from handlers.telegram.common import (
    alert,
    done_with_buttons,
    keyboard,
    reply,
    send,
    send_about,
    set_buttons,
    tell,
)
from handlers.telegram.dialogues import dialogue
from handlers.telegram.steps import Draft

Handler = BaseHandler[Update, PneContext, Any]

WORKS = "notice_works"
FIBRE = "notice_fibre"
DIALOGUES = (WORKS, FIBRE)
W_SCHOOL, W_KIND, W_DESCRIPTION, W_START, W_END, W_ROOMS, W_MOVE, W_FILES, W_SUMMARY = (
    "wrk_school", "wrk_kind", "wrk_description", "wrk_start", "wrk_end", "wrk_rooms",
    "wrk_move", "wrk_files", "wrk_summary",
)  # fmt: skip
F_SCHOOL, F_NEWS, F_COMMENT, F_CONFIRM = "fib_school", "fib_news", "fib_comment", "fib_confirm"
FIXABLE = ("kind", "description", "dates", "rooms", "move", "files")
SCHOOL_BUTTONS = 8
MAX_FILES = 10
TEXT = filters.TEXT & ~filters.COMMAND
_KINDS = "|".join(k.value for k in WorksKind)
_NEWS = "|".join(n.value for n in FibreNews)
_UAI = re.compile(r"^\s*\d{7}\s*[A-Za-z]\s*$")


def _meaningful(text: str) -> bool:
    """A text with a letter or a digit in it (not only spaces, dots or invisible marks)."""
    return any(c.isalnum() for c in text)


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _chat(update: Update) -> int:
    return update.effective_chat.id if update.effective_chat else 0


async def _refuse_with(
    update: Update, context: PneContext, error: DomainError, button: str, data: str
) -> None:
    """A refusal, with the step's button again under it (no need to scroll up for it)."""
    await reply(
        update,
        context,
        error.code,
        reply_markup=keyboard([[(context.t(button), data)]]),
        **steps.shown(context, error.params),
    )


def _day(context: PneContext, value: str | None) -> str:
    return context.services.i18n.date(context.lang, date.fromisoformat(value)) if value else ""


# --- the school, for both dialogues ---------------------------------------------------------


async def _schools(context: PneContext) -> list[SchoolRef]:
    assert context.person is not None
    return await service.notice_schools(context.services.db, context.person.id, Action.NOTIFY_WORKS)


async def _offer_schools(
    update: Update, context: PneContext, prefix: str, schools: Sequence[SchoolRef]
) -> None:
    rows = [[(f"{s.name} ({s.uai})"[:60], f"{prefix}:school:{s.id}")] for s in schools]
    await reply(update, context, "works.ask_school", reply_markup=keyboard(rows))


async def _start(update: Update, context: PneContext, name: str, prefix: str) -> str | int | None:
    """Who may tell, and which school: None when the school is the person's only one (the
    draft has it), a state when one is to be chosen, END when refused."""
    person = context.person
    if person is None or not can(person.role, Action.NOTIFY_WORKS):
        await reply(update, context, "common.error.forbidden")
        return ConversationHandler.END
    steps.start_draft(context, name, files=[])
    schools = await _schools(context)
    if not schools:
        await reply(update, context, "works.no_school")
        return steps.end(context, name)
    if len(schools) == 1:
        _draft(context, name).update(school_id=schools[0].id, school_name=schools[0].name)
        return None
    state = W_SCHOOL if name == WORKS else F_SCHOOL
    if len(schools) > SCHOOL_BUTTONS:
        await reply(update, context, "works.search_school", count=len(schools))
        return state
    await _offer_schools(update, context, prefix, schools)
    return state


def _draft(context: PneContext, name: str) -> Draft:
    return steps.draft(context, name)


async def _school_typed(update: Update, context: PneContext, prefix: str, state: str) -> str:
    assert update.effective_message is not None
    needle = _folded((update.effective_message.text or "").strip())
    found = [
        s
        for s in await _schools(context)
        if _meaningful(needle) and (needle in _folded(s.name) or needle in _folded(s.uai))
    ]
    if not found:
        await reply(update, context, "works.no_school_found")
    elif len(found) > SCHOOL_BUTTONS:
        await reply(update, context, "works.too_many_schools", count=len(found))
    else:
        await _offer_schools(update, context, prefix, found)
    return state


async def _school_tapped(update: Update, context: PneContext, name: str) -> SchoolRef | None:
    """The school of a tapped button, if it is one of the person's (never trust the data)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    school_id = int(query.data.rsplit(":", 1)[1])
    school = next((s for s in await _schools(context) if s.id == school_id), None)
    if school is None:
        await alert(update, context, "notice.error.school_out_of_scope")
        return None
    await done_with_buttons(update)
    _draft(context, name).update(school_id=school.id, school_name=school.name)
    return school


# --- /travaux: what, description ------------------------------------------------------------


def _kind_name(context: PneContext, kind: str) -> str:
    return context.t(f"works.kind.{kind}")


async def works_start(update: Update, context: PneContext) -> str | int:
    state = await _start(update, context, WORKS, "wrk")
    if state is not None:
        return state
    return await _ask_kind(update, context)


async def works_school_typed(update: Update, context: PneContext) -> str:
    return await _school_typed(update, context, "wrk", W_SCHOOL)


async def works_school_chosen(update: Update, context: PneContext) -> str:
    if await _school_tapped(update, context, WORKS) is None:
        return W_SCHOOL
    return await _ask_kind(update, context)


async def _ask_kind(update: Update, context: PneContext) -> str:
    kinds = [k.value for k in WorksKind]
    rows = [
        [(_kind_name(context, a), f"wrk:kind:{a}"), (_kind_name(context, b), f"wrk:kind:{b}")]
        for a, b in zip(kinds[::2], kinds[1::2], strict=True)
    ]
    await reply(
        update,
        context,
        "works.ask_kind",
        school=_draft(context, WORKS)["school_name"],
        reply_markup=keyboard(rows),
    )
    return W_KIND


async def kind_chosen(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    await done_with_buttons(update)
    draft = _draft(context, WORKS)
    kind = WorksKind(query.data.rsplit(":", 1)[1])
    draft["kind"] = kind.value
    if kind is not WorksKind.MOVE:
        draft.pop("new_school_uai", None)
        draft.pop("new_school_name", None)
        draft.pop("new_address", None)
    if draft.get("fixing"):
        if kind is WorksKind.MOVE and not (draft.get("new_school_uai") or draft.get("new_address")):
            return await _ask_move(update, context)
        return await _show_summary(update, context)
    return await _ask_description(update, context)


async def _ask_description(update: Update, context: PneContext) -> str:
    kind = _draft(context, WORKS)["kind"]
    what = context.t(f"notice.what.works.{kind}")
    await reply(update, context, "works.ask_description", what=what, max=rules.MAX_DESCRIPTION)
    return W_DESCRIPTION


async def description_typed(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None
    typed = update.effective_message.text or ""
    try:
        text = rules.text_of(
            typed if _meaningful(typed) else "",
            limit=rules.MAX_DESCRIPTION,
            code="description",
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return W_DESCRIPTION
    draft = _draft(context, WORKS)
    draft["description"] = text
    if draft.pop("fixing", None):
        return await _show_summary(update, context)
    return await _ask_start(update, context)


# --- /travaux: dates --------------------------------------------------------------------------


async def _ask_start(update: Update, context: PneContext) -> str:
    await reply(update, context, "works.ask_start")
    return W_START


def _typed_day(context: PneContext, typed: str) -> date:
    """A day typed (« 13/04/2026 », « 13 avril », « aujourd'hui »); without a year, the
    coming one: works are told before they start (decision 0035)."""
    try:
        return parse_calendar_day(typed, steps.today(context), future=True)
    except DomainError as error:
        if error.code == ERR_UNREADABLE:
            raise DomainError("works.error.date_unreadable") from None
        raise


async def start_typed(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None
    try:
        start = _typed_day(context, update.effective_message.text or "")
        rules.check_period(start, None, steps.today(context))
    except DomainError as error:
        await steps.refuse(update, context, error)
        return W_START
    draft = _draft(context, WORKS)
    draft["starts_on"] = start.isoformat()
    draft.pop("ends_on", None)
    rows = [[(context.t("works.button.open_ended"), "wrk:open")]]
    await reply(
        update,
        context,
        "works.ask_end",
        start=_day(context, draft["starts_on"]),
        reply_markup=keyboard(rows),
    )
    return W_END


async def end_typed(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None
    draft = _draft(context, WORKS)
    today = steps.today(context)
    try:
        end = _typed_day(context, update.effective_message.text or "")
        rules.check_period(date.fromisoformat(draft["starts_on"]), end, today)
        rules.check_period(end, None, today)  # an end years ahead is a slip too
    except DomainError as error:  # said with the step's button again, at hand
        await _refuse_with(update, context, error, "works.button.open_ended", "wrk:open")
        return W_END
    draft["ends_on"] = end.isoformat()
    return await _after_dates(update, context)


async def open_ended(update: Update, context: PneContext) -> str:
    await done_with_buttons(update)
    _draft(context, WORKS)["ends_on"] = None
    return await _after_dates(update, context)


async def _after_dates(update: Update, context: PneContext) -> str:
    if _draft(context, WORKS).pop("fixing", None):
        return await _show_summary(update, context)
    return await _ask_rooms(update, context)


# --- /travaux: rooms, a move's target, files --------------------------------------------------


async def _ask_rooms(update: Update, context: PneContext) -> str:
    rows = [[(context.t("works.button.whole_school"), "wrk:whole")]]
    await reply(
        update, context, "works.ask_rooms", max=rules.MAX_ROOMS, reply_markup=keyboard(rows)
    )
    return W_ROOMS


async def rooms_typed(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None
    typed = update.effective_message.text or ""
    try:
        rooms = rules.text_of(
            typed if _meaningful(typed) else "", limit=rules.MAX_ROOMS, code="rooms"
        )
    except DomainError as error:
        await _refuse_with(update, context, error, "works.button.whole_school", "wrk:whole")
        return W_ROOMS
    _draft(context, WORKS)["rooms"] = rooms
    return await _after_rooms(update, context)


async def whole_school(update: Update, context: PneContext) -> str:
    await done_with_buttons(update)
    _draft(context, WORKS)["rooms"] = None
    return await _after_rooms(update, context)


async def _after_rooms(update: Update, context: PneContext) -> str:
    draft = _draft(context, WORKS)
    if draft.get("kind") == WorksKind.MOVE and not (
        draft.get("new_school_uai") or draft.get("new_address")
    ):
        return await _ask_move(update, context)
    if draft.pop("fixing", None):
        return await _show_summary(update, context)
    return await _ask_files(update, context)


async def _ask_move(update: Update, context: PneContext) -> str:
    await reply(update, context, "works.ask_move", max=rules.MAX_ROOMS)
    return W_MOVE


async def move_typed(update: Update, context: PneContext) -> str:
    """A UAI (7 digits and a letter) names the school the inventory goes to; anything
    else is the new address."""
    assert update.effective_message is not None
    typed = (update.effective_message.text or "").strip()
    draft = _draft(context, WORKS)
    if _UAI.match(typed):
        assert context.person is not None
        try:
            target = await service.move_target(
                context.services.db, context.person.id, typed, int(draft["school_id"])
            )
        except DomainError as error:
            await steps.refuse(update, context, error)
            return W_MOVE
        draft.update(new_school_uai=target.uai, new_school_name=target.name, new_address=None)
    else:
        try:
            address = rules.text_of(
                typed if _meaningful(typed) else "", limit=rules.MAX_ROOMS, code="address"
            )
        except DomainError as error:
            if error.code == "notice.error.address_required":
                await reply(update, context, "works.move_expected")
            else:
                await steps.refuse(update, context, error)
            return W_MOVE
        draft.update(new_school_uai=None, new_school_name=None, new_address=address)
    if draft.pop("fixing", None):
        return await _show_summary(update, context)
    return await _ask_files(update, context)


async def _ask_files(update: Update, context: PneContext) -> str:
    rows = [[(context.t("works.button.skip_files"), "wrk:files:done")]]
    await reply(update, context, "works.ask_files", max=MAX_FILES, reply_markup=keyboard(rows))
    return W_FILES


async def file_received(update: Update, context: PneContext) -> str:
    message = update.effective_message
    assert message is not None
    files: list[dict[str, Any]] = _draft(context, WORKS).setdefault("files", [])
    file: dict[str, str | None]
    if message.photo:
        photo = message.photo[-1]
        file = {"kind": "photo", "file_id": photo.file_id, "file_unique_id": photo.file_unique_id}
    elif message.document:
        doc = message.document
        file = {
            "kind": "document",
            "file_id": doc.file_id,
            "file_unique_id": doc.file_unique_id,
            "file_name": doc.file_name,
            "mime_type": doc.mime_type,
        }
    else:  # pragma: no cover - the filter lets only photos and documents in
        await reply(update, context, "works.file_expected")
        return W_FILES
    if len(files) >= MAX_FILES:
        await reply(update, context, "works.too_many_files", max=MAX_FILES)
        return W_FILES
    files.append(file)
    rows = [[(context.t("works.button.files_done"), "wrk:files:done")]]
    await reply(
        update, context, "works.file_received", count=len(files), reply_markup=keyboard(rows)
    )
    return W_FILES


async def files_done(update: Update, context: PneContext) -> str:
    await done_with_buttons(update)
    _draft(context, WORKS).pop("fixing", None)
    return await _show_summary(update, context)


# --- /travaux: summary, corrections, sending --------------------------------------------------


def _period(context: PneContext, draft: Draft) -> str:
    start = _day(context, draft.get("starts_on"))
    if not draft.get("ends_on"):
        return context.t("notice.card.from", start=start)
    return context.t("notice.card.period", start=start, end=_day(context, draft["ends_on"]))


def _follow_ups(context: PneContext, starts_on: date, ends_on: date | None) -> list[str]:
    """What the school will be asked later, as the domain plans it (nothing a week before
    works that start sooner, nothing after works with no end)."""
    planned = rules.plan_works_reminders(rules.Period(starts_on, ends_on), steps.now(context))
    kinds = {p.kind for p in planned}
    lines = []
    if rules.KIND_WORKS_BEFORE in kinds:
        lines.append(context.t("works.follow.before"))
    if rules.KIND_WORKS_RETURN in kinds:
        lines.append(context.t("works.follow.after"))
    return lines


def _summary_text(context: PneContext) -> str:
    draft = _draft(context, WORKS)
    lines = [
        context.t(
            "works.summary.head",
            what=context.t(f"notice.what.works.{draft['kind']}"),
            school=draft["school_name"],
        ),
        context.t("works.summary.description", text=draft.get("description", "")),
        _period(context, draft),
        context.t("notice.card.rooms", rooms=draft["rooms"])
        if draft.get("rooms")
        else context.t("works.summary.whole_school"),
    ]
    if draft.get("new_school_name"):
        lines.append(
            context.t(
                "works.summary.move_to_school",
                school=draft["new_school_name"],
                uai=draft.get("new_school_uai", ""),
            )
        )
    elif draft.get("new_address"):
        lines.append(context.t("notice.card.move_to_address", address=draft["new_address"]))
    files = len(draft.get("files", []))
    lines.append(
        context.t("notice.card.attachments", count=files)
        if files
        else context.t("works.summary.no_files")
    )
    ends_on = draft.get("ends_on")
    follow = _follow_ups(
        context,
        date.fromisoformat(draft["starts_on"]),
        date.fromisoformat(ends_on) if ends_on else None,
    )
    return "\n".join(lines) + "\n\n" + " ".join([context.t("works.summary.next"), *follow])


async def _show_summary(update: Update, context: PneContext) -> str:
    draft = _draft(context, WORKS)
    draft.pop("fixing", None)
    draft["nonce"] = secrets.token_hex(steps.NONCE_BYTES)
    rows = [
        [
            (
                context.t("works.button.send", what=context.t(f"works.short.{draft['kind']}")),
                f"wrk:send:{draft['nonce']}",
            )
        ],
        [(context.t("works.button.fix"), "wrk:fix")],
        [(context.t("common.button.cancel"), "wrk:abort")],
    ]
    await send(context, _chat(update), _summary_text(context), reply_markup=keyboard(rows))
    return W_SUMMARY


async def fix_menu(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None
    await query.answer()
    draft = _draft(context, WORKS)
    parts = [p for p in FIXABLE if p != "move" or draft.get("kind") == WorksKind.MOVE]
    rows = [[(context.t(f"works.fix.{part}"), f"wrk:fix:{part}")] for part in parts]
    rows.append([(context.t("works.fix.back"), "wrk:fix:back")])
    await set_buttons(query, keyboard(rows))
    return W_SUMMARY


async def fix_part(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    await done_with_buttons(update)
    part = query.data.rsplit(":", 1)[1]
    draft = _draft(context, WORKS)
    if part == "back":
        return await _show_summary(update, context)
    draft["fixing"] = part
    if part == "kind":
        return await _ask_kind(update, context)
    if part == "description":
        return await _ask_description(update, context)
    if part == "dates":
        return await _ask_start(update, context)
    if part == "rooms":
        return await _ask_rooms(update, context)
    if part == "move" and draft.get("kind") == WorksKind.MOVE:
        return await _ask_move(update, context)
    draft["files"] = []
    draft.pop("fixing", None)
    return await _ask_files(update, context)


def _works_command(context: PneContext) -> service.TellWorks:
    assert context.person is not None
    draft = _draft(context, WORKS)
    ends_on = draft.get("ends_on")
    return service.TellWorks(
        reporter_id=context.person.id,
        school_id=int(draft["school_id"]),
        works=WorksKind(draft["kind"]),
        description=str(draft.get("description", "")),
        starts_on=date.fromisoformat(draft["starts_on"]),
        ends_on=date.fromisoformat(ends_on) if ends_on else None,
        rooms=draft.get("rooms"),
        new_school_uai=draft.get("new_school_uai"),
        new_address=draft.get("new_address"),
        files=tuple(FileRef(**f) for f in draft.get("files", [])),
    )


async def works_send(update: Update, context: PneContext) -> int | str:
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    draft = _draft(context, WORKS)
    if query.data.rsplit(":", 1)[1] != draft.get("nonce"):  # an older summary's button
        await alert(update, context, "common.stale_button")
        return W_SUMMARY
    await done_with_buttons(update)
    services = context.services
    try:
        view = await service.tell_works(services.db, _works_command(context), steps.now(context))
    except DomainError as error:
        # Something no longer holds (the end passed while the summary waited, the school
        # left the person's scope): said, and back to the summary to correct it.
        await steps.refuse(update, context, error)
        if error.code == "notice.error.school_out_of_scope":
            return steps.end(context, WORKS)
        return await _show_summary(update, context)
    steps.end(context, WORKS)
    role = context.person.role
    key = "works.done.body" if role == Role.COMMUNE else "works.done.others"
    assert view.starts_on is not None
    lines = [
        context.t(
            key,
            number=view.number,
            what=context.t(f"notice.what.works.{view.subkind}"),
            school=view.school_name,
            body=view.body_name,
        ),
        *_follow_ups(context, view.starts_on, view.ends_on),
        context.t("works.done.reply"),
    ]
    await send_about(context, _chat(update), "\n".join(lines), view.id)
    await tell(
        context,
        await notice_notices.after_telling(services.db, services.i18n, services.settings, view),
    )
    return ConversationHandler.END


async def works_abort(update: Update, context: PneContext) -> int:
    await done_with_buttons(update)
    await reply(update, context, "common.cancelled")
    return steps.end(context, WORKS)


# --- /fibre -----------------------------------------------------------------------------------


async def fibre_start(update: Update, context: PneContext) -> str | int:
    state = await _start(update, context, FIBRE, "fib")
    if state is not None:
        return state
    return await _ask_news(update, context)


async def fibre_school_typed(update: Update, context: PneContext) -> str:
    return await _school_typed(update, context, "fib", F_SCHOOL)


async def fibre_school_chosen(update: Update, context: PneContext) -> str:
    if await _school_tapped(update, context, FIBRE) is None:
        return F_SCHOOL
    return await _ask_news(update, context)


async def _ask_news(update: Update, context: PneContext) -> str:
    rows = [[(context.t(f"fibre.news.{n.value}"), f"fib:news:{n.value}")] for n in FibreNews]
    await reply(
        update,
        context,
        "fibre.ask_news",
        school=_draft(context, FIBRE)["school_name"],
        reply_markup=keyboard(rows),
    )
    return F_NEWS


async def news_chosen(update: Update, context: PneContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    await done_with_buttons(update)
    _draft(context, FIBRE)["news"] = FibreNews(query.data.rsplit(":", 1)[1]).value
    rows = [[(context.t("fibre.button.no_comment"), "fib:skip")]]
    await reply(
        update, context, "fibre.ask_comment", max=rules.MAX_DESCRIPTION, reply_markup=keyboard(rows)
    )
    return F_COMMENT


async def comment_typed(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None
    typed = update.effective_message.text or ""
    try:
        comment = rules.text_of(
            typed if _meaningful(typed) else "", limit=rules.MAX_DESCRIPTION, code="description"
        )
    except DomainError as error:
        if error.code == "notice.error.description_required":
            await reply(update, context, "fibre.comment_expected")
        else:
            await steps.refuse(update, context, error)
        return F_COMMENT
    _draft(context, FIBRE)["comment"] = comment
    return await _ask_fibre_confirm(update, context)


async def comment_skipped(update: Update, context: PneContext) -> str:
    await done_with_buttons(update)
    _draft(context, FIBRE)["comment"] = None
    return await _ask_fibre_confirm(update, context)


async def _ask_fibre_confirm(update: Update, context: PneContext) -> str:
    draft = _draft(context, FIBRE)
    draft["nonce"] = secrets.token_hex(steps.NONCE_BYTES)
    rows = [
        [(context.t("fibre.button.send"), f"fib:send:{draft['nonce']}")],
        [(context.t("common.button.cancel"), "fib:abort")],
    ]
    comment = draft.get("comment")
    await reply(
        update,
        context,
        "fibre.summary",
        what=context.t(f"notice.what.fibre.{draft['news']}"),
        school=draft["school_name"],
        comment=Safe(
            context.t("notice.card.description", text=comment)
            if comment
            else context.t("fibre.no_comment")
        ),
        reply_markup=keyboard(rows),
    )
    return F_CONFIRM


async def fibre_send(update: Update, context: PneContext) -> int | str:
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    draft = _draft(context, FIBRE)
    if query.data.rsplit(":", 1)[1] != draft.get("nonce"):
        await alert(update, context, "common.stale_button")
        return F_CONFIRM
    await done_with_buttons(update)
    services = context.services
    command = service.TellFibre(
        reporter_id=context.person.id,
        school_id=int(draft["school_id"]),
        news=FibreNews(draft["news"]),
        description=draft.get("comment"),
    )
    steps.end(context, FIBRE)
    try:
        view = await service.tell_fibre(services.db, command, steps.now(context))
    except DomainError as error:  # already followed, or out of scope: nothing to correct
        await steps.refuse(update, context, error)
        return ConversationHandler.END
    await send_about(
        context,
        _chat(update),
        context.t("fibre.done", number=view.number, school=view.school_name),
        view.id,
    )
    await tell(
        context,
        await notice_notices.after_telling(services.db, services.i18n, services.settings, view),
    )
    return ConversationHandler.END


async def fibre_abort(update: Update, context: PneContext) -> int:
    await done_with_buttons(update)
    await reply(update, context, "common.cancelled")
    return steps.end(context, FIBRE)


# --- anything else ----------------------------------------------------------------------------


def _stay(hint: str) -> list[Handler]:
    """A message that does not fit the step (a sticker, a photo, a stray text): say what
    is expected; the step stays open."""

    async def unexpected(update: Update, context: PneContext) -> None:
        await reply(update, context, hint)

    return [MessageHandler(filters.ALL & ~filters.COMMAND, unexpected)]


def conversations() -> list[ConversationHandler[PneContext]]:
    private = filters.ChatType.PRIVATE
    works = dialogue(
        name=WORKS,
        entry_points=[CommandHandler(["travaux", "works"], works_start, filters=private)],
        states={
            W_SCHOOL: [
                CallbackQueryHandler(works_school_chosen, pattern=r"^wrk:school:\d{1,10}$"),
                MessageHandler(TEXT, works_school_typed),
                *_stay("works.unexpected.school"),
            ],
            W_KIND: [
                CallbackQueryHandler(kind_chosen, pattern=f"^wrk:kind:({_KINDS})$"),
                *_stay("works.unexpected.kind"),
            ],
            W_DESCRIPTION: [
                MessageHandler(TEXT, description_typed),
                *_stay("works.unexpected.description"),
            ],
            W_START: [MessageHandler(TEXT, start_typed), *_stay("works.unexpected.date")],
            W_END: [
                CallbackQueryHandler(open_ended, pattern=r"^wrk:open$"),
                MessageHandler(TEXT, end_typed),
                *_stay("works.unexpected.end"),
            ],
            W_ROOMS: [
                CallbackQueryHandler(whole_school, pattern=r"^wrk:whole$"),
                MessageHandler(TEXT, rooms_typed),
                *_stay("works.unexpected.rooms"),
            ],
            W_MOVE: [MessageHandler(TEXT, move_typed), *_stay("works.move_expected")],
            W_FILES: [
                MessageHandler(filters.PHOTO | filters.Document.ALL, file_received),
                CallbackQueryHandler(files_done, pattern=r"^wrk:files:done$"),
                *_stay("works.file_expected"),
            ],
            W_SUMMARY: [
                CallbackQueryHandler(works_send, pattern=r"^wrk:send:[0-9a-f]{1,16}$"),
                CallbackQueryHandler(fix_menu, pattern=r"^wrk:fix$"),
                CallbackQueryHandler(
                    fix_part, pattern=r"^wrk:fix:(kind|description|dates|rooms|move|files|back)$"
                ),
                *_stay("works.unexpected.summary"),
            ],
        },
        fallbacks=[CallbackQueryHandler(works_abort, pattern=r"^wrk:abort$")],
    )
    fibre = dialogue(
        name=FIBRE,
        entry_points=[CommandHandler(["fibre", "fiber"], fibre_start, filters=private)],
        states={
            F_SCHOOL: [
                CallbackQueryHandler(fibre_school_chosen, pattern=r"^fib:school:\d{1,10}$"),
                MessageHandler(TEXT, fibre_school_typed),
                *_stay("works.unexpected.school"),
            ],
            F_NEWS: [
                CallbackQueryHandler(news_chosen, pattern=f"^fib:news:({_NEWS})$"),
                *_stay("fibre.unexpected.news"),
            ],
            F_COMMENT: [
                CallbackQueryHandler(comment_skipped, pattern=r"^fib:skip$"),
                MessageHandler(TEXT, comment_typed),
                *_stay("fibre.comment_expected"),
            ],
            F_CONFIRM: [
                CallbackQueryHandler(fibre_send, pattern=r"^fib:send:[0-9a-f]{1,16}$"),
                *_stay("works.unexpected.summary"),
            ],
        },
        fallbacks=[CallbackQueryHandler(fibre_abort, pattern=r"^fib:abort$")],
    )
    return [works, fibre]
