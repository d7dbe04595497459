"""The school side of the calls for interest (« AMI », art. 1 and 2) on Telegram.

/ami: the open calls for the person's school, each with its summary and closing (Paris
time), and « Candidater » (``ami:apply:<campaign>``, the button of the publication too)
or, once the school applied, « Voir la candidature » (``ami:view:<ticket>``). A teacher
also finds there whether they follow the calls (``/suivre_ami`` says it too).

The application (dialogue ``call_apply``): each of the campaign's questions in turn, the
answer checked as typed (``call_applying.check``: text, number within bounds, a choice
as buttons, a commitment « Oui »/« Non », a required one refused with « Non » saying
why), the step kept on a bad answer; then a summary of every answer with « ✅ Envoyer »,
« Corriger » (one question again) and « Annuler »; ``calls.apply`` on send, the school's
other heads told. « Modifier » on the card walks the same questions pre-filled
(« Garder » keeps an answer) to ``calls.edit_answers``.

The card (``ami:view:<ticket>``): answers, state, closing; until the closing instant
« Modifier » and « Retirer » (a confirmation naming the campaign and the school), then
locked. A person of the school who finds the application sent may « Ajouter un
commentaire » (dialogue ``call_comment``), the heads and the sender told.

Every button's id is parsed and re-checked by the services (the person's school, the
closing instant); a refusal shows the domain's French message.
"""

from __future__ import annotations

import secrets
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.cards.calls import APPLY, VIEW, CallCard
from bot.domain.calls import NO, YES, Question, QuestionKind
from bot.domain.errors import DomainError
from bot.domain.roles import Action, Role, can
from bot.domain.text import units
from bot.services import call_applying, call_notices, calls
from bot.services.calls import ApplicationView, CampaignView
from handlers.telegram import calls_staff, steps
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

APPLYING = "call_apply"
COMMENTING = "call_comment"
DIALOGUES = (APPLYING, COMMENTING)
S_ANSWER, S_SUMMARY = "ami_answer", "ami_summary"
C_TEXT, C_CONFIRM = "ami_comment_text", "ami_comment_confirm"
TEXT = filters.TEXT & ~filters.COMMAND
ID = r"\d{1,10}"
MAX_ID = 2**31 - 1


def _chat(update: Update) -> int:
    return update.effective_chat.id if update.effective_chat else 0


def _id_of(update: Update) -> int | None:
    """The id at the end of a tapped button's data (None when it cannot be one)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    tail = query.data.rsplit(":", 1)[-1]
    if not tail.isdigit() or int(tail) > MAX_ID:
        return None
    return int(tail)


async def _refused(update: Update, context: PneContext, error: DomainError) -> None:
    """A refusal: as a pop-up on a button, else as a message."""
    if update.callback_query is not None:
        await update.callback_query.answer(
            context.t(error.code, **steps.shown(context, error.params)), show_alert=True
        )
        return
    await steps.refuse(update, context, error)


def _card(context: PneContext) -> CallCard:
    return CallCard(context.services.i18n, context.lang)


def _may_apply(context: PneContext, campaign: CampaignView) -> bool:
    person = context.person
    if person is None:
        return False
    return call_applying.may_apply(person.role, person.school_id, campaign)


# --- /ami -------------------------------------------------------------------------------------


async def school_calls(update: Update, context: PneContext) -> None:
    """/ami: for a school, the open calls its people may apply to, or see applied; for
    staff, who run the calls, the campaigns (one command, the list fitting the role)."""
    person = context.person
    if person is not None and can(person.role, Action.MANAGE_CALLS):
        await calls_staff.staff_calls(update, context)
        return
    if person is None or not can(person.role, Action.ANSWER_CALL):
        await reply(update, context, "common.error.forbidden")
        return
    services = context.services
    found = await calls.open_calls(services.db, person.id, steps.now(context))
    card = _card(context)
    if not found:
        await reply(update, context, "ami.school.none")
    for open_call in found:
        campaign, application = open_call.campaign, open_call.application
        lines = [card.summary(campaign)]
        if application is not None:
            lines.append(context.t("ami.school.applied", number=application.number))
            rows = [[(context.t("ami.button.view"), VIEW.format(id=application.id))]]
        elif _may_apply(context, campaign):
            rows = [[(context.t("ami.button.apply"), APPLY.format(id=campaign.id))]]
        else:
            lines.append(context.t("ami.school.heads_apply"))
            rows = []
        await send(
            context,
            _chat(update),
            "\n\n".join(lines),
            reply_markup=keyboard(rows) if rows else None,
        )
    if person.role == Role.TEACHER.value:
        await _follow_state(update, context)


# --- following the calls (a teacher) ------------------------------------------------------------


def _follow_markup(context: PneContext, on: bool) -> InlineKeyboardMarkup:
    if on:
        return keyboard([[(context.t("ami.follow.button_off"), "ami:follow:off")]])
    return keyboard([[(context.t("ami.follow.button_on"), "ami:follow:on")]])


async def _follow_state(update: Update, context: PneContext) -> None:
    assert context.person is not None
    on = await call_applying.follows(context.services.db, context.person.id)
    await reply(
        update,
        context,
        "ami.follow.on" if on else "ami.follow.off",
        reply_markup=_follow_markup(context, on),
    )


async def follow_command(update: Update, context: PneContext) -> None:
    """/suivre_ami: a teacher chooses to hear of their school's calls (a head always does)."""
    person = context.person
    if person is None or not can(person.role, Action.ANSWER_CALL):
        await reply(update, context, "common.error.forbidden")
        return
    if person.role != Role.TEACHER.value:
        await reply(
            update,
            context,
            "ami.follow.heads" if person.role == Role.DIRECTOR.value else "ami.follow.teachers",
        )
        return
    await _follow_state(update, context)


async def follow_tapped(update: Update, context: PneContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    person = context.person
    if person is None:
        await alert(update, context, "common.error.forbidden")
        return
    wanted = query.data.endswith(":on")
    try:
        on = await call_applying.follow(context.services.db, person.id, wanted, steps.now(context))
    except DomainError as error:
        await _refused(update, context, error)
        return
    await query.answer()
    await set_buttons(query, None)
    await reply(
        update,
        context,
        "ami.follow.on" if on else "ami.follow.off",
        reply_markup=_follow_markup(context, on),
    )


# --- the questions, for applying and for editing --------------------------------------------------


def _draft(context: PneContext) -> Draft:
    return steps.draft(context, APPLYING)


async def _campaign(context: PneContext, current: Draft) -> CampaignView:
    """The campaign the draft answers, read again (a refusal if it no longer may be)."""
    assert context.person is not None
    db, now = context.services.db, steps.now(context)
    ticket_id = current.get("ticket_id")
    if ticket_id is not None:
        view = await calls.application(db, context.person.id, int(ticket_id))
        return view.campaign
    found = await call_applying.start(db, context.person.id, int(current["campaign_id"]), now)
    return found.campaign


def _raw(value: Any) -> str | None:
    """A kept answer as the question reads it again (numbers as digits)."""
    if value is None:
        return None
    return str(value)


def _question_buttons(
    context: PneContext, question: Question, kept: str | None
) -> list[list[tuple[str, str]]]:
    rows: list[list[tuple[str, str]]] = []
    if question.kind is QuestionKind.CHOICE:
        rows = [[(choice[:60], f"ami:ans:c{i}")] for i, choice in enumerate(question.choices)]
    elif question.kind is QuestionKind.COMMITMENT:
        rows = [
            [
                (context.t("ami.button.yes"), f"ami:ans:{YES}"),
                (context.t("ami.button.no"), f"ami:ans:{NO}"),
            ]
        ]
    if kept is not None:
        rows.append([(context.t("ami.button.keep"), "ami:ans:keep")])
    if not question.required:
        rows.append([(context.t("ami.button.skip"), "ami:ans:skip")])
    return rows


def _hint(context: PneContext, question: Question) -> str:
    if question.kind is QuestionKind.TEXT:
        return context.t("ami.ask.text", max=1500)
    if question.kind is QuestionKind.NUMBER:
        return context.t("ami.ask.number", minimum=question.minimum, maximum=question.maximum)
    if question.kind is QuestionKind.CHOICE:
        return context.t("ami.ask.choice")
    return context.t("ami.ask.commitment")


async def _ask(update: Update, context: PneContext, campaign: CampaignView) -> str:
    current = _draft(context)
    index = int(current["index"])
    question = campaign.questions[index]
    kept = current["answers"].get(str(index)) if current.get("ticket_id") is not None else None
    lines = [
        context.t(
            "ami.ask.head",
            number=index + 1,
            total=len(campaign.questions),
            label=question.label,
        ),
        _hint(context, question),
    ]
    if not question.required:
        lines.append(context.t("ami.ask.optional"))
    if kept is not None:
        lines.append(context.t("ami.ask.kept", answer=_card(context).answer(question.kind, kept)))
    rows = _question_buttons(context, question, kept)
    await send(
        context, _chat(update), "\n".join(lines), reply_markup=keyboard(rows) if rows else None
    )
    return S_ANSWER


async def _next(update: Update, context: PneContext, campaign: CampaignView) -> str:
    """After an answer: the next question, or the summary (when correcting one, at once)."""
    current = _draft(context)
    index = int(current["index"]) + 1
    if current.pop("fixing", None) or index >= len(campaign.questions):
        return await _show_summary(update, context, campaign)
    current["index"] = index
    return await _ask(update, context, campaign)


async def _begin(
    update: Update,
    context: PneContext,
    campaign: CampaignView,
    *,
    ticket: ApplicationView | None = None,
) -> str:
    answers = {} if ticket is None else {k: _raw(v) for k, v in ticket.answers.items()}
    steps.start_draft(
        context,
        APPLYING,
        campaign_id=campaign.id,
        ticket_id=None if ticket is None else ticket.id,
        answers=answers,
        index=0,
    )
    await reply(
        update,
        context,
        "ami.apply.edit" if ticket is not None else "ami.apply.start",
        title=campaign.title,
        closes=_card(context).closes(campaign),
    )
    if not campaign.questions:
        return await _show_summary(update, context, campaign)
    return await _ask(update, context, campaign)


async def _answered(update: Update, context: PneContext, raw: str | None) -> str | int:
    current = _draft(context)
    try:
        campaign = await _campaign(context, current)
    except DomainError as error:  # closed, withdrawn meanwhile: nothing more to answer
        await steps.refuse(update, context, error)
        return steps.end(context, APPLYING)
    index = int(current["index"])
    try:
        value = call_applying.check(campaign, index, raw)
    except DomainError as error:
        await steps.refuse(update, context, error)
        question = campaign.questions[index]
        rows = _question_buttons(
            context,
            question,
            current["answers"].get(str(index)) if current.get("ticket_id") is not None else None,
        )
        if rows:  # the step's buttons again, at hand
            await reply(update, context, "ami.ask.again", reply_markup=keyboard(rows))
        return S_ANSWER
    current["answers"][str(index)] = _raw(value)
    return await _next(update, context, campaign)


async def answer_typed(update: Update, context: PneContext) -> str | int:
    assert update.effective_message is not None
    text = update.effective_message.text or ""
    current = _draft(context)
    index = int(current.get("index", 0))
    try:
        campaign = await _campaign(context, current)
    except DomainError as error:
        await steps.refuse(update, context, error)
        return steps.end(context, APPLYING)
    if index < len(campaign.questions):
        text = call_applying.typed(campaign.questions[index], text)
    return await _answered(update, context, text)


async def answer_tapped(update: Update, context: PneContext) -> str | int:
    query = update.callback_query
    assert query is not None and query.data is not None
    current = _draft(context)
    pressed = query.data.removeprefix("ami:ans:")
    try:
        campaign = await _campaign(context, current)
    except DomainError as error:
        await _refused(update, context, error)
        return steps.end(context, APPLYING)
    index = int(current["index"])
    question = campaign.questions[index]
    kept = current["answers"].get(str(index))
    raw: str | None
    if pressed == "keep" and current.get("ticket_id") is not None and kept is not None:
        raw = kept
    elif pressed == "skip" and not question.required:
        raw = None
    elif pressed in (YES, NO) and question.kind is QuestionKind.COMMITMENT:
        raw = pressed
    elif (
        pressed.startswith("c")
        and pressed[1:].isdigit()
        and question.kind is QuestionKind.CHOICE
        and int(pressed[1:]) < len(question.choices)
    ):
        raw = question.choices[int(pressed[1:])]
    else:  # a button of another question, or forged
        await alert(update, context, "common.stale_button")
        return S_ANSWER
    await done_with_buttons(update)
    if raw is None:
        try:
            call_applying.check(campaign, index, None)
        except DomainError as error:
            await steps.refuse(update, context, error)
            return S_ANSWER
        current["answers"].pop(str(index), None)
        return await _next(update, context, campaign)
    return await _answered(update, context, raw)


# --- the summary ---------------------------------------------------------------------------------


def _summary_text(context: PneContext, campaign: CampaignView) -> str:
    current = _draft(context)
    card = _card(context)
    lines = [
        context.t(
            "ami.summary.head",
            title=campaign.title,
            closes=card.closes(campaign),
        )
    ]
    for index, question in enumerate(campaign.questions):
        lines.append(
            context.t(
                "ami.card.answer",
                label=question.label,
                answer=card.answer(question.kind, current["answers"].get(str(index))),
            )
        )
    lines.append(context.t("ami.summary.editable", closes=card.closes(campaign)))
    return "\n".join(lines)


async def _show_summary(update: Update, context: PneContext, campaign: CampaignView) -> str:
    current = _draft(context)
    current.pop("fixing", None)
    current["nonce"] = secrets.token_hex(steps.NONCE_BYTES)
    rows = [
        [(context.t("ami.button.send"), f"ami:send:{current['nonce']}")],
        [(context.t("ami.button.fix"), "ami:fix")],
        [(context.t("common.button.cancel"), "ami:abort")],
    ]
    await send(
        context, _chat(update), _summary_text(context, campaign), reply_markup=keyboard(rows)
    )
    return S_SUMMARY


async def fix_menu(update: Update, context: PneContext) -> str | int:
    query = update.callback_query
    assert query is not None
    try:
        campaign = await _campaign(context, _draft(context))
    except DomainError as error:
        await _refused(update, context, error)
        return steps.end(context, APPLYING)
    if not campaign.questions:
        await alert(update, context, "ami.fix.nothing")
        return S_SUMMARY
    await query.answer()
    rows = [
        [(f"{i + 1}. {q.label}"[:60], f"ami:fix:{i}")] for i, q in enumerate(campaign.questions)
    ]
    rows.append([(context.t("ami.button.back"), "ami:fix:back")])
    await set_buttons(query, keyboard(rows))
    return S_SUMMARY


async def fix_question(update: Update, context: PneContext) -> str | int:
    query = update.callback_query
    assert query is not None and query.data is not None
    current = _draft(context)
    try:
        campaign = await _campaign(context, current)
    except DomainError as error:
        await _refused(update, context, error)
        return steps.end(context, APPLYING)
    part = query.data.rsplit(":", 1)[1]
    if part == "back":
        await done_with_buttons(update)
        return await _show_summary(update, context, campaign)
    if not part.isdigit() or int(part) >= len(campaign.questions):
        await alert(update, context, "common.stale_button")
        return S_SUMMARY
    await done_with_buttons(update)
    current["index"] = int(part)
    current["fixing"] = True
    return await _ask(update, context, campaign)


async def send_application(update: Update, context: PneContext) -> str | int:
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    current = _draft(context)
    if query.data.rsplit(":", 1)[1] != current.get("nonce"):  # an older summary's button
        await alert(update, context, "common.stale_button")
        return S_SUMMARY
    await done_with_buttons(update)
    services = context.services
    raw = {int(k): v for k, v in current["answers"].items()}
    ticket_id = current.get("ticket_id")
    try:
        if ticket_id is not None:
            view = await calls.edit_answers(
                services.db, context.person.id, int(ticket_id), raw, steps.now(context)
            )
            steps.end(context, APPLYING)
            await _show_card(update, context, view, lead="ami.edited")
            return ConversationHandler.END
        done = await calls.apply(
            services.db, context.person.id, int(current["campaign_id"]), raw, steps.now(context)
        )
    except DomainError as error:  # closed while the summary waited, no longer eligible…
        await steps.refuse(update, context, error)
        return steps.end(context, APPLYING)
    steps.end(context, APPLYING)
    if not done.created:  # another person of the school sent it meanwhile
        await _show_card(update, context, done.view, lead="ami.already")
        return ConversationHandler.END
    await _show_card(update, context, done.view, lead="ami.sent")
    await tell(context, call_notices.applied(services.i18n, done, context.person.full_name))
    return ConversationHandler.END


async def abort(update: Update, context: PneContext) -> int:
    await done_with_buttons(update)
    await reply(update, context, "common.cancelled")
    return steps.end(context, APPLYING)


# --- the entries: « Candidater », « Modifier » ---------------------------------------------------


async def apply_tapped(update: Update, context: PneContext) -> str | int:
    """« Candidater » (on /ami or the publication): the dialogue, or the school's
    application when it has one (another person's), or the refusal's words."""
    campaign_id = _id_of(update)
    person = context.person
    if person is None or campaign_id is None:
        await alert(update, context, "call.error.campaign_not_found")
        return ConversationHandler.END
    try:
        found = await call_applying.start(
            context.services.db, person.id, campaign_id, steps.now(context)
        )
    except DomainError as error:
        await _refused(update, context, error)
        return ConversationHandler.END
    query = update.callback_query
    assert query is not None
    await query.answer()
    if found.application is not None:
        await _show_card(update, context, found.application, lead="ami.found")
        return ConversationHandler.END
    return await _begin(update, context, found.campaign)


async def edit_tapped(update: Update, context: PneContext) -> str | int:
    """« Modifier » on the card: the questions again, pre-filled, until the closing."""
    ticket_id = _id_of(update)
    person = context.person
    if person is None or ticket_id is None:
        await alert(update, context, "call.error.application_not_found")
        return ConversationHandler.END
    try:
        view = await calls.application(context.services.db, person.id, ticket_id)
        _check_editable(context, view)
    except DomainError as error:
        await _refused(update, context, error)
        return ConversationHandler.END
    query = update.callback_query
    assert query is not None
    await query.answer()
    return await _begin(update, context, view.campaign, ticket=view)


def _check_editable(context: PneContext, view: ApplicationView) -> None:
    """Before the services are asked: the words for a card's button that no longer holds."""
    person = context.person
    call_applying.check_editable(
        view,
        person.role if person else "",
        person.school_id if person else None,
        steps.now(context),
    )


# --- the card ------------------------------------------------------------------------------------


def _card_text(context: PneContext, view: ApplicationView) -> str:
    card = _card(context)
    now = steps.now(context)
    closes = card.closes(view.campaign)
    if view.withdrawn_at is not None:
        tail = context.t(
            "ami.card.withdrawn_on",
            at=context.services.i18n.datetime(context.lang, view.withdrawn_at),
        )
    elif view.campaign.window.is_locked(now):
        tail = context.t("ami.card.locked", closes=closes)
    else:
        tail = context.t("ami.card.open_until", closes=closes)
    return card.card(view, timeline=True) + "\n\n" + tail


def _card_rows(context: PneContext, view: ApplicationView) -> list[list[tuple[str, str]]]:
    person = context.person
    rows: list[list[tuple[str, str]]] = []
    if person is None or view.withdrawn_at is not None:
        return rows
    open_ = not view.campaign.window.is_locked(steps.now(context)) and (
        view.campaign.state == calls.CampaignState.PUBLISHED.value
    )
    if open_ and _may_apply(context, view.campaign):
        rows.append(
            [
                (context.t("ami.button.edit"), f"ami:edit:{view.id}"),
                (context.t("ami.button.withdraw"), f"ami:wd:{view.id}"),
            ]
        )
    if person.id != view.reporter_id and person.school_id == view.school_id:
        rows.append([(context.t("ami.button.comment"), f"ami:comment:{view.id}")])
    return rows


async def _show_card(
    update: Update, context: PneContext, view: ApplicationView, *, lead: str | None = None
) -> None:
    text = _card_text(context, view)
    if lead is not None:
        text = context.t(lead, number=view.number) + "\n\n" + text
    rows = _card_rows(context, view)
    await send_about(
        context, _chat(update), text, view.id, reply_markup=keyboard(rows) if rows else None
    )


async def view_tapped(update: Update, context: PneContext) -> None:
    ticket_id = _id_of(update)
    person = context.person
    if person is None or ticket_id is None:
        await alert(update, context, "call.error.application_not_found")
        return
    try:
        view = await calls.application(context.services.db, person.id, ticket_id)
    except DomainError as error:
        await _refused(update, context, error)
        return
    query = update.callback_query
    assert query is not None
    await query.answer()
    await _show_card(update, context, view)


# --- « Retirer » ---------------------------------------------------------------------------------


async def withdraw_tapped(update: Update, context: PneContext) -> None:
    """The confirmation, naming the campaign and the school."""
    ticket_id = _id_of(update)
    person = context.person
    if person is None or ticket_id is None:
        await alert(update, context, "call.error.application_not_found")
        return
    try:
        view = await calls.application(context.services.db, person.id, ticket_id)
        _check_editable(context, view)
    except DomainError as error:
        await _refused(update, context, error)
        return
    query = update.callback_query
    assert query is not None
    await query.answer()
    rows = [
        [(context.t("ami.button.withdraw_ok"), f"ami:wdok:{view.id}")],
        [(context.t("ami.button.withdraw_no"), f"ami:wdno:{view.id}")],
    ]
    await reply(
        update,
        context,
        "ami.withdraw.confirm",
        number=view.number,
        title=view.campaign.title,
        school=view.school_name,
        reply_markup=keyboard(rows),
    )


async def withdraw_confirmed(update: Update, context: PneContext) -> None:
    ticket_id = _id_of(update)
    person = context.person
    if person is None or ticket_id is None:
        await alert(update, context, "call.error.application_not_found")
        return
    try:
        view = await calls.application(context.services.db, person.id, ticket_id)
        _check_editable(context, view)
        view = await calls.withdraw(context.services.db, person.id, ticket_id, steps.now(context))
    except DomainError as error:
        await _refused(update, context, error)
        return
    await done_with_buttons(update)
    await send_about(
        context,
        _chat(update),
        context.t(
            "ami.withdrawn",
            number=view.number,
            title=view.campaign.title,
            school=view.school_name,
        ),
        view.id,
    )


async def withdraw_declined(update: Update, context: PneContext) -> None:
    await done_with_buttons(update)
    await reply(update, context, "ami.withdraw.kept")


# --- « Ajouter un commentaire » ------------------------------------------------------------------


async def comment_tapped(update: Update, context: PneContext) -> str | int:
    ticket_id = _id_of(update)
    person = context.person
    if person is None or ticket_id is None:
        await alert(update, context, "call.error.application_not_found")
        return ConversationHandler.END
    try:
        view = await calls.application(context.services.db, person.id, ticket_id)
    except DomainError as error:
        await _refused(update, context, error)
        return ConversationHandler.END
    if person.school_id != view.school_id:
        await alert(update, context, "call.error.application_not_found")
        return ConversationHandler.END
    query = update.callback_query
    assert query is not None
    await query.answer()
    steps.start_draft(context, COMMENTING, ticket_id=view.id, number=view.number)
    await reply(update, context, "ami.comment.ask", number=view.number, max=calls.MAX_COMMENT)
    return C_TEXT


async def comment_typed(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None
    text = (update.effective_message.text or "").strip()
    if not any(c.isalnum() for c in text) or units(text) > calls.MAX_COMMENT:
        await reply(update, context, "call.error.comment", max=calls.MAX_COMMENT)
        return C_TEXT
    current = steps.draft(context, COMMENTING)
    current["text"] = text
    current["nonce"] = secrets.token_hex(steps.NONCE_BYTES)
    rows = [
        [(context.t("ami.button.comment_send"), f"ami:cmok:{current['nonce']}")],
        [(context.t("common.button.cancel"), "ami:cmno")],
    ]
    await reply(
        update,
        context,
        "ami.comment.confirm",
        number=current["number"],
        text=text,
        reply_markup=keyboard(rows),
    )
    return C_CONFIRM


async def comment_send(update: Update, context: PneContext) -> str | int:
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    current = steps.draft(context, COMMENTING)
    if query.data.rsplit(":", 1)[1] != current.get("nonce"):
        await alert(update, context, "common.stale_button")
        return C_CONFIRM
    await done_with_buttons(update)
    services = context.services
    steps.end(context, COMMENTING)
    try:
        done = await call_applying.comment(
            services.db,
            context.person.id,
            int(current["ticket_id"]),
            str(current["text"]),
            steps.now(context),
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return ConversationHandler.END
    await send_about(
        context,
        _chat(update),
        context.t("ami.comment.sent", number=done.view.number),
        done.view.id,
    )
    await tell(
        context,
        call_applying.commented(
            services.i18n, done, context.person.full_name, str(current["text"])
        ),
    )
    return ConversationHandler.END


async def comment_abort(update: Update, context: PneContext) -> int:
    await done_with_buttons(update)
    await reply(update, context, "common.cancelled")
    return steps.end(context, COMMENTING)


# --- registration ------------------------------------------------------------------------------


def _stay(hint: str) -> list[Handler]:
    async def unexpected(update: Update, context: PneContext) -> None:
        await reply(update, context, hint)

    return [MessageHandler(filters.ALL & ~filters.COMMAND, unexpected)]


def conversations() -> list[ConversationHandler[PneContext]]:
    applying = dialogue(
        name=APPLYING,
        entry_points=[
            CallbackQueryHandler(apply_tapped, pattern=r"^ami:apply:\d{1,20}$"),
            CallbackQueryHandler(edit_tapped, pattern=r"^ami:edit:\d{1,20}$"),
        ],
        states={
            S_ANSWER: [
                CallbackQueryHandler(
                    answer_tapped, pattern=r"^ami:ans:(keep|skip|yes|no|c\d{1,2})$"
                ),
                MessageHandler(TEXT, answer_typed),
                *_stay("ami.unexpected.answer"),
            ],
            S_SUMMARY: [
                CallbackQueryHandler(send_application, pattern=r"^ami:send:[0-9a-f]{1,16}$"),
                CallbackQueryHandler(fix_menu, pattern=r"^ami:fix$"),
                CallbackQueryHandler(fix_question, pattern=r"^ami:fix:(back|\d{1,2})$"),
                *_stay("ami.unexpected.summary"),
            ],
        },
        fallbacks=[CallbackQueryHandler(abort, pattern=r"^ami:abort$")],
    )
    commenting = dialogue(
        name=COMMENTING,
        entry_points=[CallbackQueryHandler(comment_tapped, pattern=r"^ami:comment:\d{1,20}$")],
        states={
            C_TEXT: [MessageHandler(TEXT, comment_typed), *_stay("ami.unexpected.comment")],
            C_CONFIRM: [
                CallbackQueryHandler(comment_send, pattern=r"^ami:cmok:[0-9a-f]{1,16}$"),
                *_stay("ami.unexpected.summary"),
            ],
        },
        fallbacks=[CallbackQueryHandler(comment_abort, pattern=r"^ami:cmno$")],
    )
    return [applying, commenting]


def handlers() -> list[Handler]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler(["ami", "calls"], school_calls, filters=private),
        CommandHandler(["suivre_ami", "follow_calls"], follow_command, filters=private),
        CallbackQueryHandler(follow_tapped, pattern=r"^ami:follow:(on|off)$"),
        CallbackQueryHandler(view_tapped, pattern=r"^ami:view:\d{1,20}$"),
        CallbackQueryHandler(withdraw_tapped, pattern=r"^ami:wd:\d{1,20}$"),
        CallbackQueryHandler(withdraw_confirmed, pattern=r"^ami:wdok:\d{1,20}$"),
        CallbackQueryHandler(withdraw_declined, pattern=r"^ami:wdno:\d{1,20}$"),
    ]
