"""The staff side of calls for interest (« AMI », convention art. 1 and 2) on Telegram.

/ami_nouveau: title → nature (a button per equipment type) → description → units or
classroom kits (and a kit's size) → how many → who may apply (all, public, private,
chosen bodies — searched by name —, schools of a level) → opening and closing, typed
``dd/mm/yyyy hh:mm`` in Paris → whether teachers may apply → the questions, one at a time
(free text, a number within bounds, a choice, a yes/no commitment), « Terminé » → the
draft written (``calls.create_campaign``) and previewed with how many it would reach,
« Publier » (a confirmation naming the call and the people told) or « Enregistrer comme
brouillon ». /ami: the campaigns with their counts, each with its card: publish a draft,
extend (a dialogue), cancel, and after the closing the selection (one message per
application with its buttons, paged, and the workbook), the results, the waiting list.

Everything the bot tells many people (a publication, an extension, a cancellation, the
results) is handed to the outbox (``call_publication.send_out``), which the paced lane
sends, as /annonce does: never inside the request. Every button carries ids that
the services check again (staff only, the campaign's state, the quantity left).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, time
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

from bot.cards import call_drafts
from bot.cards.call_staff import StaffCallCard
from bot.cards.calls import DECLINE, SELECT, WAIT, CallCard
from bot.domain import call_drafting as drafting
from bot.domain import calls as rules
from bot.domain.calls import QuestionKind, Reach
from bot.domain.dates import PARIS, local_to_utc
from bot.domain.directory import EQUIPMENT_TYPES
from bot.domain.errors import DomainError
from bot.domain.roles import Action, can
from bot.domain.text import units
from bot.i18n import I18n, Safe
from bot.services import call_files, call_notices, call_publication
from bot.services import calls as service
from bot.services.calls import CampaignState, CampaignView, Level
from bot.services.delivery import Outgoing
from handlers.telegram import steps
from handlers.telegram.app import PneContext
from handlers.telegram.common import (
    keyboard,
    reply,
    send,
    set_buttons,
    split_text,
)
from handlers.telegram.dialogues import dialogue

Handler = BaseHandler[Update, PneContext, Any]
log = logging.getLogger(__name__)

CREATE, EXTEND, DECIDE = "call_create", "call_extend", "call_decide"
DIALOGUES = (CREATE, EXTEND, DECIDE)
(
    C_TITLE, C_NATURE, C_DESCRIPTION, C_UNIT, C_KIT, C_COUNT, C_REACH, C_PICK, C_OPENS,
    C_CLOSES, C_TEACHERS, C_QUESTIONS, C_LABEL, C_BOUNDS, C_CHOICES,
) = (
    "amc_title", "amc_nature", "amc_description", "amc_unit", "amc_kit", "amc_count",
    "amc_reach", "amc_pick", "amc_opens", "amc_closes", "amc_teachers", "amc_questions",
    "amc_label", "amc_bounds", "amc_choices",
)  # fmt: skip
E_CLOSES, E_CONFIRM = "ame_closes", "ame_confirm"
D_QUANTITY, D_REASON = "amd_quantity", "amd_reason"

PAGE = 8  # applications per page of the selection
MAX_LIST = 20  # campaigns with a button in /ami
MAX_LABEL = drafting.MAX_LABEL
MAX_CHOICE = drafting.MAX_CHOICE
BODY_BUTTONS = 8
TEXT = filters.TEXT & ~filters.COMMAND
_NATURES = "|".join(EQUIPMENT_TYPES)
_REACHES = "|".join(r.value for r in Reach)
_LEVELS = {f"l{i}": level.value for i, level in enumerate(Level)}
_KINDS = "|".join(k.value for k in QuestionKind)


# --- shared -----------------------------------------------------------------------------------


def _chat(update: Update) -> int:
    return update.effective_chat.id if update.effective_chat else 0


def _allowed(context: PneContext) -> bool:
    return context.person is not None and can(context.person.role, Action.MANAGE_CALLS)


def _id(data: str | None, at: int = 2) -> int:
    assert data is not None
    return int(data.split(":")[at])


async def _answered(update: Update, *, drop: bool = False) -> None:
    query = update.callback_query
    if query is not None:
        await query.answer()
        if drop:
            await set_buttons(query, None)


async def _refused(update: Update, context: PneContext, *names: str) -> int:
    """The person is not (or no longer) staff: told, and out of the dialogue."""
    for name in names:
        steps.end(context, name)
    await _answered(update)
    await reply(update, context, "common.error.forbidden")
    return ConversationHandler.END


async def _say(update: Update, context: PneContext, error: DomainError) -> None:
    await _answered(update)
    await steps.refuse(update, context, error)


def _card(context: PneContext) -> CallCard:
    return CallCard(context.services.i18n, context.lang)


def _staff_card(context: PneContext) -> StaffCallCard:
    return StaffCallCard(context.services.i18n, context.lang)


async def _send_long(context: PneContext, chat: int, text: str, markup: Any = None) -> None:
    pieces = split_text(text)
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        await context.bot.send_message(chat, piece, reply_markup=markup if last else None)


def _people(context: PneContext, count: int) -> str:
    return context.t("ami.staff.count.people", count=count)


# --- delivery in the background ---------------------------------------------------------------


async def _deliver_later(
    context: PneContext,
    messages: Sequence[Outgoing],
    *,
    campaign: CampaignView,
    what: str,
    record: bool = False,
) -> None:
    """Hand the messages to the outbox: the paced lane sends them, each person on their own
    platform; the author hears the count at the end (a publication's delivery is audited
    then, decision 0077)."""
    assert context.person is not None
    await call_publication.send_out(
        context.services.db,
        messages,
        campaign=campaign,
        what=what,
        author_id=context.person.id,
        record=record,
        now=context.services.clock.now(),
    )


# =========================================================================== /ami_nouveau


def _draft(context: PneContext) -> steps.Draft:
    return steps.draft(context, CREATE)


_meaningful = drafting.meaningful
_whole = drafting.whole


async def create_start(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, CREATE)
    steps.start_draft(context, CREATE, questions=[], body_ids=[], levels=[])
    await reply(update, context, "ami.staff.ask_title", max=service.MAX_TITLE)
    return C_TITLE


async def title_typed(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, CREATE)
    assert update.effective_message is not None
    title = (update.effective_message.text or "").strip()
    if not _meaningful(title) or units(title) > service.MAX_TITLE:
        await reply(update, context, "call.error.title", max=service.MAX_TITLE)
        return C_TITLE
    _draft(context)["title"] = title
    i18n = context.services.i18n
    names = [(i18n.equipment_type(context.lang, n), f"amc:nat:{n}") for n in EQUIPMENT_TYPES]
    rows = [names[i : i + 2] for i in range(0, len(names), 2)]
    await reply(update, context, "ami.staff.ask_nature", title=title, reply_markup=keyboard(rows))
    return C_NATURE


async def nature_chosen(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, CREATE)
    query = update.callback_query
    assert query is not None and query.data is not None
    nature = query.data.rsplit(":", 1)[1]
    await _answered(update, drop=True)
    _draft(context)["nature"] = nature
    await reply(
        update,
        context,
        "ami.staff.ask_description",
        nature=context.services.i18n.equipment_type(context.lang, nature),
        max=service.MAX_DESCRIPTION,
    )
    return C_DESCRIPTION


async def description_typed(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, CREATE)
    assert update.effective_message is not None
    text = (update.effective_message.text or "").strip()
    if not _meaningful(text) or units(text) > service.MAX_DESCRIPTION:
        await reply(update, context, "call.error.description", max=service.MAX_DESCRIPTION)
        return C_DESCRIPTION
    _draft(context)["description"] = text
    rows = [
        [(context.t("ami.staff.button.units"), "amc:unit:units")],
        [(context.t("ami.staff.button.kits"), "amc:unit:kits")],
    ]
    await reply(update, context, "ami.staff.ask_unit", reply_markup=keyboard(rows))
    return C_UNIT


async def unit_chosen(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, CREATE)
    query = update.callback_query
    assert query is not None and query.data is not None
    await _answered(update, drop=True)
    draft = _draft(context)
    if query.data.endswith(":kits"):
        await reply(update, context, "ami.staff.ask_kit_size")
        return C_KIT
    draft["kit_size"] = None
    await reply(update, context, "ami.staff.ask_count.units")
    return C_COUNT


async def kit_typed(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, CREATE)
    assert update.effective_message is not None
    size = _whole(update.effective_message.text or "")
    try:
        if size is None:
            raise DomainError("ami.staff.error.whole_number")
        rules.Quantity(1, size)
    except DomainError as error:
        await steps.refuse(update, context, error)
        return C_KIT
    _draft(context)["kit_size"] = size
    await reply(update, context, "ami.staff.ask_count.kits", size=size)
    return C_COUNT


async def count_typed(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, CREATE)
    assert update.effective_message is not None
    draft = _draft(context)
    count = _whole(update.effective_message.text or "")
    try:
        if count is None:
            raise DomainError("ami.staff.error.whole_number")
        quantity = rules.Quantity(count, draft.get("kit_size"))
    except DomainError as error:
        await steps.refuse(update, context, error)
        return C_COUNT
    draft["quantity"] = count
    return await _ask_reach(update, context, quantity)


async def _ask_reach(update: Update, context: PneContext, quantity: rules.Quantity) -> str:
    rows = [[(context.t(f"ami.staff.reach.{r.value}"), f"amc:reach:{r.value}")] for r in Reach]
    await reply(
        update,
        context,
        "ami.staff.ask_reach",
        quantity=_card(context).quantity(quantity),
        reply_markup=keyboard(rows),
    )
    return C_REACH


async def reach_chosen(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, CREATE)
    query = update.callback_query
    assert query is not None and query.data is not None
    await _answered(update, drop=True)
    reach = Reach(query.data.rsplit(":", 1)[1])
    draft = _draft(context)
    draft["reach"], draft["body_ids"], draft["levels"] = reach.value, [], []
    if reach is Reach.BODIES:
        await reply(update, context, "ami.staff.ask_bodies")
        return C_PICK
    if reach is Reach.LEVELS:
        return await _offer_levels(update, context)
    return await _ask_opens(update, context)


def _pick_done_row(context: PneContext) -> list[tuple[str, str]]:
    return [(context.t("ami.staff.button.pick_done"), "amc:pick:done")]


async def _offer_levels(update: Update, context: PneContext) -> str:
    chosen = set(_draft(context).get("levels", []))
    rows = [
        [
            (
                ("✅ " if level in chosen else "") + context.t(f"ami.staff.level.{code}"),
                f"amc:lvl:{code}",
            )
        ]
        for code, level in _LEVELS.items()
    ]
    rows.append(_pick_done_row(context))
    query = update.callback_query
    if query is not None and _draft(context).get("levels_shown"):
        await set_buttons(query, keyboard(rows))
    else:
        _draft(context)["levels_shown"] = True
        await reply(update, context, "ami.staff.ask_levels", reply_markup=keyboard(rows))
    return C_PICK


async def level_toggled(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, CREATE)
    query = update.callback_query
    assert query is not None and query.data is not None
    draft = _draft(context)
    if draft.get("reach") != Reach.LEVELS.value:
        await query.answer(context.t("common.stale_button"), show_alert=True)
        return C_PICK
    await query.answer()
    level = _LEVELS[query.data.rsplit(":", 1)[1]]
    chosen = list(draft.get("levels", []))
    draft["levels"] = [x for x in chosen if x != level] if level in chosen else [*chosen, level]
    return await _offer_levels(update, context)


async def bodies_typed(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, CREATE)
    assert update.effective_message is not None and context.person is not None
    draft = _draft(context)
    if draft.get("reach") != Reach.BODIES.value:
        await reply(update, context, "ami.staff.unexpected.levels")
        return C_PICK
    typed = (update.effective_message.text or "").strip()
    found = await service.search_bodies(context.services.db, context.person.id, typed, BODY_BUTTONS)
    if not found:
        await reply(update, context, "ami.staff.no_body", text=typed[:60])
        return C_PICK
    rows = [[(f"{b.name} ({b.code})"[:60], f"amc:body:{b.id}")] for b in found]
    await reply(update, context, "ami.staff.bodies_found", reply_markup=keyboard(rows))
    return C_PICK


async def body_chosen(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, CREATE)
    query = update.callback_query
    assert query is not None and context.person is not None
    draft = _draft(context)
    named = await service.bodies_named(context.services.db, context.person.id, [_id(query.data)])
    if draft.get("reach") != Reach.BODIES.value or not named:
        await query.answer(context.t("common.stale_button"), show_alert=True)
        return C_PICK
    await _answered(update, drop=True)
    if named[0].id not in draft["body_ids"]:
        draft["body_ids"] = [*draft["body_ids"], named[0].id]
    chosen = await service.bodies_named(context.services.db, context.person.id, draft["body_ids"])
    await reply(
        update,
        context,
        "ami.staff.bodies_chosen",
        bodies=", ".join(b.name for b in chosen),
        reply_markup=keyboard([_pick_done_row(context)]),
    )
    return C_PICK


async def pick_done(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, CREATE)
    query = update.callback_query
    assert query is not None
    draft = _draft(context)
    reach = Reach(draft.get("reach", Reach.ALL.value))
    try:
        rules.Eligibility(reach, frozenset(draft["body_ids"]), frozenset(draft["levels"]))
    except DomainError as error:
        await query.answer(context.t(error.code), show_alert=True)
        return C_PICK
    await _answered(update, drop=True)
    draft.pop("levels_shown", None)
    return await _ask_opens(update, context)


# --- the window ---------------------------------------------------------------------------------


read_moment = drafting.read_moment


async def _ask_opens(update: Update, context: PneContext) -> str:
    rows = [[(context.t("ami.staff.button.now"), "amc:now")]]
    await reply(update, context, "ami.staff.ask_opens", reply_markup=keyboard(rows))
    return C_OPENS


def _paris(context: PneContext, at: datetime) -> str:
    return context.services.i18n.datetime(context.lang, at)


async def opens_given(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, CREATE)
    now = steps.now(context)
    if update.callback_query is not None:
        await _answered(update, drop=True)
        day, at = drafting.opening_now(now)
    else:
        assert update.effective_message is not None
        try:
            day, at = read_moment(update.effective_message.text or "")
            drafting.check_opening(day, at, now)
        except DomainError as error:
            await steps.refuse(update, context, error)
            return C_OPENS
    draft = _draft(context)
    draft["opens_on"], draft["opens_time"] = day.isoformat(), at.strftime("%H:%M")
    await reply(
        update, context, "ami.staff.ask_closes", opens=_paris(context, local_to_utc(day, at, PARIS))
    )
    return C_CLOSES


async def closes_typed(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, CREATE)
    assert update.effective_message is not None
    draft = _draft(context)
    opens_on, opens_time = (
        date.fromisoformat(draft["opens_on"]),
        time.fromisoformat(draft["opens_time"]),
    )
    try:
        day, at = read_moment(update.effective_message.text or "")
        drafting.check_closing(opens_on, opens_time, day, at, steps.now(context))
    except DomainError as error:
        await steps.refuse(update, context, error)
        return C_CLOSES
    draft["closes_on"], draft["closes_time"] = day.isoformat(), at.strftime("%H:%M")
    rows = [
        [
            (context.t("ami.staff.button.teachers_yes"), "amc:teach:yes"),
            (context.t("ami.staff.button.teachers_no"), "amc:teach:no"),
        ]
    ]
    await reply(update, context, "ami.staff.ask_teachers", reply_markup=keyboard(rows))
    return C_TEACHERS


async def teachers_chosen(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, CREATE)
    query = update.callback_query
    assert query is not None and query.data is not None
    await _answered(update, drop=True)
    _draft(context)["allow_teachers"] = query.data.endswith(":yes")
    return await _ask_question(update, context)


# --- the questions --------------------------------------------------------------------------------


_question = call_publication.question_of


async def _ask_question(update: Update, context: PneContext) -> str:
    questions = _draft(context)["questions"]
    rows: list[list[tuple[str, str]]] = []
    if len(questions) < rules.MAX_QUESTIONS:
        rows = [
            [(context.t(f"ami.staff.q.add.{k.value}"), f"amc:q:{k.value}")] for k in QuestionKind
        ]
    rows.append([(context.t("ami.staff.button.questions_done"), "amc:q:done")])
    listed = call_drafts.question_lines(_card(context), [_question(q) for q in questions])
    await reply(
        update,
        context,
        "ami.staff.ask_questions",
        listed=Safe(listed),
        max=rules.MAX_QUESTIONS,
        reply_markup=keyboard(rows),
    )
    return C_QUESTIONS


async def question_kind_chosen(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, CREATE)
    query = update.callback_query
    assert query is not None and query.data is not None
    draft = _draft(context)
    if len(draft["questions"]) >= rules.MAX_QUESTIONS:
        await query.answer(
            context.t("call.error.too_many_questions", max=rules.MAX_QUESTIONS), show_alert=True
        )
        return C_QUESTIONS
    await _answered(update, drop=True)
    kind = QuestionKind(query.data.rsplit(":", 1)[1])
    draft["question"] = {"kind": kind.value}
    await reply(update, context, f"ami.staff.ask_label.{kind.value}", max=MAX_LABEL)
    return C_LABEL


async def label_typed(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, CREATE)
    assert update.effective_message is not None
    draft = _draft(context)
    try:
        label = drafting.read_label(update.effective_message.text or "")
    except DomainError as error:
        await steps.refuse(update, context, error)
        return C_LABEL
    question = draft.get("question") or {"kind": QuestionKind.TEXT.value}
    question["label"] = label
    draft["question"] = question
    if question["kind"] == QuestionKind.NUMBER.value:
        await reply(update, context, "ami.staff.ask_bounds", max=rules.MAX_NUMBER)
        return C_BOUNDS
    if question["kind"] == QuestionKind.CHOICE.value:
        await reply(update, context, "ami.staff.ask_choices", max=rules.MAX_CHOICES)
        return C_CHOICES
    return await _question_added(update, context)


async def _question_added(update: Update, context: PneContext) -> str:
    draft = _draft(context)
    draft["questions"] = [*draft["questions"], draft.pop("question")]
    return await _ask_question(update, context)


BOUNDS = drafting.BOUNDS


async def bounds_typed(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, CREATE)
    assert update.effective_message is not None
    try:
        low, high = drafting.read_bounds(update.effective_message.text or "")
    except DomainError as error:
        await steps.refuse(update, context, error)
        return C_BOUNDS
    _draft(context)["question"].update(minimum=low, maximum=high)
    return await _question_added(update, context)


async def choices_typed(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, CREATE)
    assert update.effective_message is not None
    try:
        options = drafting.read_choices(update.effective_message.text or "")
    except DomainError as error:
        await steps.refuse(update, context, error)
        return C_CHOICES
    _draft(context)["question"]["choices"] = options
    return await _question_added(update, context)


_campaign_draft = call_publication.campaign_draft


async def questions_done(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, CREATE)
    assert context.person is not None
    await _answered(update, drop=True)
    services = context.services
    try:
        view = await service.create_campaign(
            services.db, context.person.id, _campaign_draft(_draft(context)), steps.now(context)
        )
    except DomainError as error:  # the opening or closing passed while the questions were typed
        await steps.refuse(update, context, error)
        return await _ask_opens(update, context)
    steps.end(context, CREATE)
    await _show_preview(update, context, view.id, created=True)
    return ConversationHandler.END


async def _show_preview(
    update: Update, context: PneContext, campaign_id: int, *, created: bool = False
) -> None:
    assert context.person is not None
    found = await service.preview(context.services.db, context.person.id, campaign_id)
    rows = [
        [(context.t("ami.staff.button.publish"), f"amis:publish:{campaign_id}")],
        [(context.t("ami.staff.button.keep_draft"), f"amis:kept:{campaign_id}")],
    ]
    text = call_drafts.draft_preview(_card(context), found, created=created)
    await _send_long(context, _chat(update), text, keyboard(rows))


def _questions_text(context: PneContext, view: CampaignView) -> str:
    return call_drafts.questions_text(_card(context), view)


async def create_abort(update: Update, context: PneContext) -> int:
    await _answered(update, drop=True)
    await reply(update, context, "common.cancelled")
    return steps.end(context, CREATE)


# =========================================================================== /ami and its cards


async def staff_calls(update: Update, context: PneContext) -> None:
    """The campaigns, newest first, with their counts; a button opens each one's card."""
    if not _allowed(context):
        await _answered(update)
        await reply(update, context, "common.error.forbidden")
        return
    assert context.person is not None
    await _answered(update)
    lines = await service.campaigns(context.services.db, context.person.id)
    if not lines:
        await reply(update, context, "ami.staff.none")
        return
    card = _card(context)
    text = context.t("ami.staff.list_head", count=len(lines)) + "\n\n"
    now = steps.now(context)
    text += "\n\n".join(card.line(line, now) for line in lines)
    rows = [
        [(f"{line.campaign.id} · {line.campaign.title}"[:60], f"amis:card:{line.campaign.id}")]
        for line in lines[:MAX_LIST]
    ]
    await _send_long(context, _chat(update), text, keyboard(rows))


def _card_actions(context: PneContext, view: CampaignView, now: datetime) -> list[Any]:
    return _staff_card(context).campaign_actions(view, now)


async def campaign_card(update: Update, context: PneContext) -> None:
    if not _allowed(context):
        await _refused(update, context)
        return
    assert context.person is not None
    query = update.callback_query
    assert query is not None
    try:
        lines = await service.campaigns(context.services.db, context.person.id)
    except DomainError as error:
        await _say(update, context, error)
        return
    wanted = _id(query.data)
    line = next((x for x in lines if x.campaign.id == wanted), None)
    if line is None:
        await query.answer(context.t("call.error.campaign_not_found"), show_alert=True)
        return
    await query.answer()
    card = _card(context)
    text = card.summary(line.campaign) + "\n\n" + card.line(line, steps.now(context))
    text += _questions_text(context, line.campaign)
    rows = _card_actions(context, line.campaign, steps.now(context))
    await _send_long(context, _chat(update), text, keyboard(rows) if rows else None)


async def keep_draft(update: Update, context: PneContext) -> None:
    if not _allowed(context):
        await _refused(update, context)
        return
    assert context.person is not None
    try:
        view = await service.campaign(context.services.db, context.person.id, _id(_data(update)))
    except DomainError as error:
        await _say(update, context, error)
        return
    await _answered(update, drop=True)
    await reply(update, context, "ami.staff.kept", title=view.title)


def _data(update: Update) -> str:
    assert update.callback_query is not None and update.callback_query.data is not None
    return update.callback_query.data


async def keep(update: Update, context: PneContext) -> None:
    """« Ne rien faire » under a confirmation: nothing changes."""
    await _answered(update, drop=True)
    await reply(update, context, "ami.staff.nothing_done")


# --- publishing -------------------------------------------------------------------------------


async def publish_asked(update: Update, context: PneContext) -> None:
    if not _allowed(context):
        await _refused(update, context)
        return
    assert context.person is not None
    campaign_id = _id(_data(update))
    try:
        found = await service.preview(context.services.db, context.person.id, campaign_id)
        if found.campaign.state != CampaignState.DRAFT:
            raise DomainError("call.error.not_draft")
    except DomainError as error:
        await _say(update, context, error)
        return
    await _answered(update, drop=True)
    rows = [
        [(context.t("ami.staff.button.publish_ok"), f"amis:pubok:{campaign_id}")],
        [(context.t("ami.staff.button.keep"), "amis:keep")],
    ]
    text = call_drafts.confirm_publish(_card(context), found)
    await send(context, _chat(update), text, reply_markup=keyboard(rows))


async def publish_confirmed(update: Update, context: PneContext) -> None:
    if not _allowed(context):
        await _refused(update, context)
        return
    assert context.person is not None
    services = context.services
    try:
        published = await service.publish(
            services.db, context.person.id, _id(_data(update)), steps.now(context)
        )
    except DomainError as error:
        await _say(update, context, error)
        return
    await _answered(update, drop=True)
    messages = call_notices.publication(services.i18n, published)
    await reply(
        update,
        context,
        "ami.staff.published",
        title=published.campaign.title,
        people=_people(context, len(messages)),
    )
    await _deliver_later(
        context, messages, campaign=published.campaign, what="publication", record=True
    )


# --- cancelling -------------------------------------------------------------------------------


async def cancel_asked(update: Update, context: PneContext) -> None:
    if not _allowed(context):
        await _refused(update, context)
        return
    assert context.person is not None
    campaign_id = _id(_data(update))
    try:
        lines = await service.campaigns(context.services.db, context.person.id)
    except DomainError as error:
        await _say(update, context, error)
        return
    line = next((x for x in lines if x.campaign.id == campaign_id), None)
    if line is None or line.campaign.state not in (CampaignState.DRAFT, CampaignState.PUBLISHED):
        await _say(update, context, DomainError("call.error.not_cancellable"))
        return
    await _answered(update, drop=True)
    rows = [
        [(context.t("ami.staff.button.cancel_ok"), f"amis:cxlok:{campaign_id}")],
        [(context.t("ami.staff.button.keep"), "amis:keep")],
    ]
    await reply(
        update,
        context,
        "ami.staff.confirm_cancel",
        title=line.campaign.title,
        applied=context.t("ami.count.applied", count=line.applied),
        reply_markup=keyboard(rows),
    )


async def _act_and_tell(
    update: Update,
    context: PneContext,
    act: Callable[..., Awaitable[Any]],
    notices: Callable[[I18n, Any], list[Outgoing]],
    key: str,
    what: str,
) -> None:
    """A one-tap confirmation on a campaign (cancel, send the results): the service acts,
    the author hears how many people are told, the messages go out in the background."""
    if not _allowed(context):
        await _refused(update, context)
        return
    assert context.person is not None
    services = context.services
    try:
        done = await act(services.db, context.person.id, _id(_data(update)), steps.now(context))
    except DomainError as error:
        await _say(update, context, error)
        return
    await _answered(update, drop=True)
    messages = notices(services.i18n, done)
    await reply(
        update,
        context,
        key,
        title=done.campaign.title,
        people=_people(context, len(messages)),
    )
    if messages:
        await _deliver_later(context, messages, campaign=done.campaign, what=what)


async def cancel_confirmed(update: Update, context: PneContext) -> None:
    await _act_and_tell(
        update,
        context,
        service.cancel,
        call_notices.cancellation,
        "ami.staff.cancelled",
        "cancellation",
    )


# --- extending (a dialogue: the new closing, then a confirmation) -----------------------------


async def extend_start(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, EXTEND)
    assert context.person is not None
    try:
        view = await service.campaign(context.services.db, context.person.id, _id(_data(update)))
        if view.state != CampaignState.PUBLISHED:
            raise DomainError("call.error.not_published")
    except DomainError as error:
        await _say(update, context, error)
        return steps.end(context, EXTEND)
    await _answered(update, drop=True)
    steps.start_draft(context, EXTEND, campaign_id=view.id, title=view.title)
    await reply(
        update,
        context,
        "ami.staff.ask_extend",
        title=view.title,
        closes=_paris(context, view.window.closes_at),
    )
    return E_CLOSES


async def extend_typed(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, EXTEND)
    assert update.effective_message is not None and context.person is not None
    draft = steps.draft(context, EXTEND)
    try:
        view = await service.campaign(context.services.db, context.person.id, draft["campaign_id"])
        day, at = read_moment(update.effective_message.text or "")
        rules.extend(view.window, day, at, steps.now(context))
    except DomainError as error:
        await steps.refuse(update, context, error)
        return E_CLOSES
    draft["closes_on"], draft["closes_time"] = day.isoformat(), at.strftime("%H:%M")
    draft["nonce"] = secrets.token_hex(steps.NONCE_BYTES)
    lines = await service.campaigns(context.services.db, context.person.id)
    applied = next((x.applied for x in lines if x.campaign.id == view.id), 0)
    rows = [
        [(context.t("ami.staff.button.extend_ok"), f"amis:extok:{draft['nonce']}")],
        [(context.t("common.button.cancel"), "amis:extno")],
    ]
    await reply(
        update,
        context,
        "ami.staff.confirm_extend",
        title=view.title,
        closes=_paris(context, local_to_utc(day, at, PARIS)),
        applied=context.t("ami.count.applied", count=applied),
        reply_markup=keyboard(rows),
    )
    return E_CONFIRM


async def extend_confirmed(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, EXTEND)
    assert context.person is not None
    query = update.callback_query
    assert query is not None
    draft = steps.draft(context, EXTEND)
    if _data(update).rsplit(":", 1)[1] != draft.get("nonce"):
        await query.answer(context.t("common.stale_button"), show_alert=True)
        return E_CONFIRM
    await _answered(update, drop=True)
    services = context.services
    try:
        told = await service.extend(
            services.db,
            context.person.id,
            int(draft["campaign_id"]),
            date.fromisoformat(draft["closes_on"]),
            time.fromisoformat(draft["closes_time"]),
            steps.now(context),
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return steps.end(context, EXTEND)
    steps.end(context, EXTEND)
    messages = call_notices.extension(services.i18n, told)
    await reply(
        update,
        context,
        "ami.staff.extended",
        title=told.campaign.title,
        closes=_paris(context, told.campaign.window.closes_at),
        people=_people(context, len(messages)),
    )
    if messages:
        await _deliver_later(context, messages, campaign=told.campaign, what="extension")
    return ConversationHandler.END


async def extend_abort(update: Update, context: PneContext) -> int:
    await _answered(update, drop=True)
    await reply(update, context, "common.cancelled")
    return steps.end(context, EXTEND)


# --- the selection --------------------------------------------------------------------------------


def _row_text(context: PneContext, row: service.SelectionRow) -> str:
    return _staff_card(context).selection_row(row)


async def selection_shown(update: Update, context: PneContext) -> None:
    if not _allowed(context):
        await _refused(update, context)
        return
    assert context.person is not None
    data = _data(update)
    campaign_id, page = _id(data), _id(data, 3)
    services = context.services
    try:
        found = await service.selection(
            services.db, context.person.id, campaign_id, steps.now(context)
        )
    except DomainError as error:
        await _say(update, context, error)
        return
    await _answered(update)
    chat = _chat(update)
    card = _card(context)
    view = found.campaign
    pages = max(1, -(-len(found.rows) // PAGE))
    page = min(page, pages - 1)
    await _send_long(
        context,
        chat,
        context.t(
            "ami.staff.sel.head",
            title=view.title,
            applied=context.t("ami.count.applied", count=len(found.rows)),
            given=card.quantity(view.quantity, found.given),
            left=card.quantity(view.quantity, max(found.left, 0)),
            page=page + 1,
            pages=pages,
        ),
    )
    if not found.rows:
        await reply(update, context, "ami.staff.sel.empty")
    for row in found.rows[page * PAGE : (page + 1) * PAGE]:
        buttons = card.staff_actions(row.application)
        rows = [[(b.label, b.action) for b in line] for line in buttons]
        await _send_long(context, chat, _row_text(context, row), keyboard(rows) if rows else None)
    if page == 0 and found.rows:
        xlsx = await asyncio.to_thread(
            call_files.applications_xlsx,
            found,
            context.lang,
            services.i18n,
            generated=steps.now(context),
        )
        await context.bot.send_document(chat, document=xlsx, filename=f"ami-{view.id}.xlsx")
    rows = []
    if page + 1 < pages:
        rows.append([(context.t("ami.staff.button.next"), f"amis:sel:{view.id}:{page + 1}")])
    rows.extend(
        row
        for row in _card_actions(context, view, steps.now(context))
        if row[0][1].startswith(("amis:results:", "amis:serve:"))
    )
    await reply(update, context, "ami.staff.sel.foot", reply_markup=keyboard(rows))


# --- a decision on one application (a dialogue: the quantity, or the reason) --------------------


async def decide_start(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, DECIDE)
    assert context.person is not None
    data = _data(update)
    outcome, ticket_id = data.split(":")[1], _id(data)
    services = context.services
    try:
        application = await service.application(services.db, context.person.id, ticket_id)
        if application.withdrawn_at is not None:
            raise DomainError("call.error.withdrawn")
        if application.campaign.state != CampaignState.PUBLISHED:
            raise DomainError("call.error.not_published")
        if not application.campaign.window.is_locked(steps.now(context)):
            raise DomainError("call.error.still_open")
    except DomainError as error:
        await _say(update, context, error)
        return steps.end(context, DECIDE)
    await _answered(update)
    steps.start_draft(
        context,
        DECIDE,
        outcome=outcome,
        ticket_id=ticket_id,
        number=application.number,
        school=application.school_name,
    )
    unit = "kits" if application.campaign.quantity.kit_size else "units"
    number, school = application.number, application.school_name
    if outcome == "decline":
        await reply(
            update,
            context,
            "ami.staff.ask_reason",
            max=service.MAX_REASON,
            number=number,
            school=school,
        )
        return D_REASON
    await reply(
        update, context, f"ami.staff.ask_given.{outcome}.{unit}", number=number, school=school
    )
    return D_QUANTITY


async def quantity_typed(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, DECIDE)
    assert update.effective_message is not None and context.person is not None
    draft = steps.draft(context, DECIDE)
    quantity = _whole(update.effective_message.text or "")
    services = context.services
    try:
        if quantity is None:
            raise DomainError("ami.staff.error.whole_number")
        act = (
            service.select_application
            if draft["outcome"] == "select"
            else service.put_on_waiting_list
        )
        view = await act(
            services.db, context.person.id, int(draft["ticket_id"]), quantity, steps.now(context)
        )
    except DomainError as error:  # beyond what is left: said, the step stays for another number
        await steps.refuse(update, context, error)
        if error.code in ("call.error.over_quantity", "call.error.allocation_positive"):
            return D_QUANTITY
        if error.code in ("ami.staff.error.whole_number", "call.error.quantity"):
            return D_QUANTITY
        return steps.end(context, DECIDE)
    return await _decided(update, context, view)


async def reason_typed(update: Update, context: PneContext) -> str | int:
    if not _allowed(context):
        return await _refused(update, context, DECIDE)
    assert update.effective_message is not None and context.person is not None
    draft = steps.draft(context, DECIDE)
    reason = (update.effective_message.text or "").strip()
    if not _meaningful(reason):
        reason = ""
    try:
        view = await service.decline(
            context.services.db,
            context.person.id,
            int(draft["ticket_id"]),
            reason,
            steps.now(context),
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return D_REASON if error.code == "call.error.reason" else steps.end(context, DECIDE)
    return await _decided(update, context, view)


async def _decided(update: Update, context: PneContext, view: service.ApplicationView) -> int:
    steps.end(context, DECIDE)
    quantity = view.campaign.quantity
    given = _card(context).quantity(quantity, view.quantity_given) if view.quantity_given else ""
    await reply(
        update,
        context,
        f"ami.staff.decided.{view.outcome}",
        number=view.number,
        school=view.school_name,
        given=given,
        rank=view.waiting_rank or 0,
        reason=view.decline_reason or "",
    )
    return ConversationHandler.END


# --- the results and the waiting list -------------------------------------------------


async def results_asked(update: Update, context: PneContext) -> None:
    if not _allowed(context):
        await _refused(update, context)
        return
    assert context.person is not None
    campaign_id = _id(_data(update))
    try:
        found = await service.selection(
            context.services.db, context.person.id, campaign_id, steps.now(context)
        )
        if found.campaign.state != CampaignState.PUBLISHED:
            raise DomainError("call.error.not_published")
        if any(r.application.outcome is None for r in found.rows):
            raise DomainError("call.error.undecided")
    except DomainError as error:
        await _say(update, context, error)
        return
    await _answered(update, drop=True)
    counts = {o: sum(1 for r in found.rows if r.application.outcome == o) for o in rules.Outcome}
    rows = [
        [(context.t("ami.staff.button.results_ok"), f"amis:resok:{campaign_id}")],
        [(context.t("ami.staff.button.keep"), "amis:keep")],
    ]
    await reply(
        update,
        context,
        "ami.staff.confirm_results",
        title=found.campaign.title,
        selected=context.t("ami.staff.count.selected", count=counts[rules.Outcome.SELECTED]),
        waiting=context.t("ami.staff.count.waiting", count=counts[rules.Outcome.WAITING]),
        declined=context.t("ami.staff.count.declined", count=counts[rules.Outcome.DECLINED]),
        reply_markup=keyboard(rows),
    )


async def results_confirmed(update: Update, context: PneContext) -> None:
    await _act_and_tell(
        update,
        context,
        service.send_results,
        call_notices.results,
        "ami.staff.results_sent",
        "results",
    )


async def serve_asked(update: Update, context: PneContext) -> None:
    if not _allowed(context):
        await _refused(update, context)
        return
    assert context.person is not None
    campaign_id = _id(_data(update))
    try:
        found = await service.selection(
            context.services.db, context.person.id, campaign_id, steps.now(context)
        )
    except DomainError as error:
        await _say(update, context, error)
        return
    await _answered(update, drop=True)
    waiting = sum(1 for r in found.rows if r.application.outcome == rules.Outcome.WAITING)
    rows = [
        [(context.t("ami.staff.button.serve_ok"), f"amis:srvok:{campaign_id}")],
        [(context.t("ami.staff.button.keep"), "amis:keep")],
    ]
    await reply(
        update,
        context,
        "ami.staff.confirm_serve",
        title=found.campaign.title,
        left=_card(context).quantity(found.campaign.quantity, max(found.left, 0)),
        waiting=waiting,
        reply_markup=keyboard(rows),
    )


async def serve_confirmed(update: Update, context: PneContext) -> None:
    if not _allowed(context):
        await _refused(update, context)
        return
    assert context.person is not None
    services = context.services
    try:
        served = await service.serve_waiting_list(
            services.db, context.person.id, _id(_data(update)), steps.now(context)
        )
    except DomainError as error:
        await _say(update, context, error)
        return
    await _answered(update, drop=True)
    # The schools are told now when the results were sent already; otherwise with them.
    decided = served.campaign.state == CampaignState.DECIDED
    messages = call_notices.results(services.i18n, served) if decided else []
    await reply(
        update,
        context,
        "ami.staff.served" if served.applicants else "ami.staff.served_none",
        title=served.campaign.title,
        schools=", ".join(a.school_name for a, _ in served.applicants),
        told=Safe(
            context.t("ami.staff.served_told", people=_people(context, len(messages)))
            if decided
            else context.t("ami.staff.served_later")
        ),
    )
    if messages:
        await _deliver_later(context, messages, campaign=served.campaign, what="waiting")


# =========================================================================== registration


def _stay(hint: str) -> list[Handler]:
    async def unexpected(update: Update, context: PneContext) -> None:
        await reply(update, context, hint)

    return [MessageHandler(filters.ALL & ~filters.COMMAND, unexpected)]


def conversations() -> list[ConversationHandler[PneContext]]:
    private = filters.ChatType.PRIVATE
    create = dialogue(
        name=CREATE,
        entry_points=[CommandHandler(["ami_nouveau", "new_call"], create_start, filters=private)],
        states={
            C_TITLE: [MessageHandler(TEXT, title_typed), *_stay("ami.staff.unexpected.text")],
            C_NATURE: [
                CallbackQueryHandler(nature_chosen, pattern=f"^amc:nat:({_NATURES})$"),
                *_stay("ami.staff.unexpected.button"),
            ],
            C_DESCRIPTION: [
                MessageHandler(TEXT, description_typed),
                *_stay("ami.staff.unexpected.text"),
            ],
            C_UNIT: [
                CallbackQueryHandler(unit_chosen, pattern=r"^amc:unit:(units|kits)$"),
                *_stay("ami.staff.unexpected.button"),
            ],
            C_KIT: [MessageHandler(TEXT, kit_typed), *_stay("ami.staff.unexpected.number")],
            C_COUNT: [MessageHandler(TEXT, count_typed), *_stay("ami.staff.unexpected.number")],
            C_REACH: [
                CallbackQueryHandler(reach_chosen, pattern=f"^amc:reach:({_REACHES})$"),
                *_stay("ami.staff.unexpected.button"),
            ],
            C_PICK: [
                CallbackQueryHandler(level_toggled, pattern=r"^amc:lvl:l[0-9]$"),
                CallbackQueryHandler(body_chosen, pattern=r"^amc:body:\d{1,10}$"),
                CallbackQueryHandler(pick_done, pattern=r"^amc:pick:done$"),
                MessageHandler(TEXT, bodies_typed),
                *_stay("ami.staff.unexpected.pick"),
            ],
            C_OPENS: [
                CallbackQueryHandler(opens_given, pattern=r"^amc:now$"),
                MessageHandler(TEXT, opens_given),
                *_stay("ami.staff.unexpected.moment"),
            ],
            C_CLOSES: [MessageHandler(TEXT, closes_typed), *_stay("ami.staff.unexpected.moment")],
            C_TEACHERS: [
                CallbackQueryHandler(teachers_chosen, pattern=r"^amc:teach:(yes|no)$"),
                *_stay("ami.staff.unexpected.button"),
            ],
            C_QUESTIONS: [
                CallbackQueryHandler(question_kind_chosen, pattern=f"^amc:q:({_KINDS})$"),
                CallbackQueryHandler(questions_done, pattern=r"^amc:q:done$"),
                *_stay("ami.staff.unexpected.button"),
            ],
            C_LABEL: [MessageHandler(TEXT, label_typed), *_stay("ami.staff.unexpected.text")],
            C_BOUNDS: [MessageHandler(TEXT, bounds_typed), *_stay("ami.staff.unexpected.text")],
            C_CHOICES: [
                MessageHandler(TEXT, choices_typed),
                *_stay("ami.staff.unexpected.text"),
            ],
        },
        fallbacks=[CallbackQueryHandler(create_abort, pattern=r"^amc:abort$")],
    )
    extend = dialogue(
        name=EXTEND,
        entry_points=[CallbackQueryHandler(extend_start, pattern=r"^amis:extend:\d{1,10}$")],
        states={
            E_CLOSES: [MessageHandler(TEXT, extend_typed), *_stay("ami.staff.unexpected.moment")],
            E_CONFIRM: [
                CallbackQueryHandler(extend_confirmed, pattern=r"^amis:extok:[0-9a-f]{1,16}$"),
                *_stay("ami.staff.unexpected.button"),
            ],
        },
        fallbacks=[CallbackQueryHandler(extend_abort, pattern=r"^amis:extno$")],
    )
    decision = "|".join(("select", "wait", "decline"))
    assert SELECT.startswith("ami:select:") and WAIT.startswith("ami:wait:")
    assert DECLINE.startswith("ami:decline:")
    decide = dialogue(
        name=DECIDE,
        entry_points=[
            CallbackQueryHandler(decide_start, pattern=rf"^ami:({decision}):\d{{1,10}}$")
        ],
        states={
            D_QUANTITY: [
                MessageHandler(TEXT, quantity_typed),
                *_stay("ami.staff.unexpected.number"),
            ],
            D_REASON: [MessageHandler(TEXT, reason_typed), *_stay("ami.staff.unexpected.text")],
        },
        fallbacks=[],
    )
    return [create, extend, decide]


def handlers() -> list[Handler]:
    """The buttons of the campaigns' cards (staff's /ami is calls_school's, by role)."""
    return [
        CallbackQueryHandler(campaign_card, pattern=r"^amis:card:\d{1,10}$"),
        CallbackQueryHandler(keep_draft, pattern=r"^amis:kept:\d{1,10}$"),
        CallbackQueryHandler(keep, pattern=r"^amis:keep$"),
        CallbackQueryHandler(publish_asked, pattern=r"^amis:publish:\d{1,10}$"),
        CallbackQueryHandler(publish_confirmed, pattern=r"^amis:pubok:\d{1,10}$"),
        CallbackQueryHandler(cancel_asked, pattern=r"^amis:cancel:\d{1,10}$"),
        CallbackQueryHandler(cancel_confirmed, pattern=r"^amis:cxlok:\d{1,10}$"),
        CallbackQueryHandler(selection_shown, pattern=r"^amis:sel:\d{1,10}:\d{1,4}$"),
        CallbackQueryHandler(results_asked, pattern=r"^amis:results:\d{1,10}$"),
        CallbackQueryHandler(results_confirmed, pattern=r"^amis:resok:\d{1,10}$"),
        CallbackQueryHandler(serve_asked, pattern=r"^amis:serve:\d{1,10}$"),
        CallbackQueryHandler(serve_confirmed, pattern=r"^amis:srvok:\d{1,10}$"),
    ]
