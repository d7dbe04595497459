"""/ami on Discord: the calls for interest, school side (art. 1 and 2).

/ami lists the open calls for the person's school, each with « Candidater »
(``ami:apply:<campaign>``, the very id the publication carries, so a publication
delivered on Discord works too) or « Voir la candidature ». « Candidater » shows what
will be sent (the call, the school, its questions, until when it can be changed) with
« Répondre » → the questions in one form (Discord: 5 fields at most); on submit each
answer is read as Telegram reads a typed one and checked by the domain (every refusal
said, question by question, and the form offered again); a good form sends the
application (``calls.apply``), the school's other heads told through the router. The
application stays editable (« Modifier »: the form pre-filled with the sent answers) and
can be withdrawn (a confirmation naming the call and the school) until the closing.

A call of more than 5 questions is refused here with a clear message: its answers
(texts of up to 1,500 characters) cannot ride from one form to the next in custom ids,
and nothing is kept in memory (decision 0049). Late, ineligible, not allowed: the
domain's French message. Staff's own buttons of the calls are not on Discord yet.
"""

from __future__ import annotations

import html
import logging
import re
import secrets
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import discord

from bot.cards.calls import APPLY, VIEW, CallCard
from bot.domain.calls import MAX_ANSWER, Question, QuestionKind
from bot.domain.errors import DomainError
from bot.domain.roles import Action, Role, can
from bot.services import call_applying, call_notices, calls, registration
from bot.services.calls import ApplicationView, CampaignView
from bot.services.delivery import actions
from handlers.discord.buttons import on, refuse
from handlers.discord.commands import described, name
from handlers.discord.context import Ctx, answer, answer_error, context_of
from handlers.discord.render import components
from handlers.discord.telling import tell

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord

log = logging.getLogger(__name__)
_TAGS = re.compile(r"<[^>]*>")

MAX_FIELDS = 5  # Discord's text inputs in one modal
LABEL = 45  # Discord's longest text-input label
PLACEHOLDER = 100
FORM_TIMEOUT = 900.0  # seconds (Discord's interactions live 15 minutes)
MAX_ID = 2**31 - 1


def _card(ctx: Ctx) -> CallCard:
    return CallCard(ctx.services.i18n, ctx.lang)


def _plain(html_text: str) -> str:
    """A catalog text where Discord shows plain text (a form's title, labels, hints):
    its tags dropped and its entities read (the catalogs escape their values)."""
    return html.unescape(_TAGS.sub("", html_text))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shown(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    """A domain error's values as the person reads them (dates in Paris time)."""
    i18n = ctx.services.i18n
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, datetime):
            out[key] = i18n.datetime(ctx.lang, value)
        elif isinstance(value, date):
            out[key] = i18n.date(ctx.lang, value)
        else:
            out[key] = value
    return out


async def _refused(ctx: Ctx, error: DomainError) -> None:
    await refuse(ctx, error.code, **_shown(ctx, error.params))


def _may_apply(ctx: Ctx, campaign: CampaignView) -> bool:
    person = ctx.person
    return person is not None and call_applying.may_apply(person.role, person.school_id, campaign)


# --- /ami -----------------------------------------------------------------------------------


async def school_calls(ctx: Ctx) -> None:
    person = ctx.person
    if person is not None and can(person.role, Action.MANAGE_CALLS):
        from handlers.discord.call_staff import staff_calls

        await staff_calls(ctx)
        return
    if person is None or not can(person.role, Action.ANSWER_CALL):
        await refuse(ctx, "common.error.forbidden")
        return
    services = ctx.services
    found = await calls.open_calls(services.db, person.id, services.clock.now())
    if not found:
        await answer(ctx, ctx.t("ami.school.none"))
        return
    card = _card(ctx)
    for open_call in found:
        campaign, application = open_call.campaign, open_call.application
        lines = [card.summary(campaign)]
        if application is not None:
            lines.append(ctx.t("ami.school.applied", number=application.number))
            rows = [[(ctx.t("ami.button.view"), VIEW.format(id=application.id))]]
        elif _may_apply(ctx, campaign):
            rows = [[(ctx.t("ami.button.apply"), APPLY.format(id=campaign.id))]]
        else:
            lines.append(ctx.t("ami.school.heads_apply"))
            rows = []
        await answer(ctx, "\n\n".join(lines), view=components(actions(rows)))


# --- the questions ----------------------------------------------------------------------------


def _hint(ctx: Ctx, question: Question) -> str:
    if question.kind is QuestionKind.TEXT:
        return ctx.t("ami.ask.text", max=MAX_ANSWER)
    if question.kind is QuestionKind.NUMBER:
        return ctx.t("ami.ask.number", minimum=question.minimum, maximum=question.maximum)
    if question.kind is QuestionKind.CHOICE:
        return ctx.t("dflows.ami.type_choice", choices=" / ".join(question.choices))
    return ctx.t("dflows.ami.type_yes_no")


def _too_many(ctx: Ctx, campaign: CampaignView) -> bool:
    return len(campaign.questions) > MAX_FIELDS


async def _intro(ctx: Ctx, campaign: CampaignView) -> None:
    """What « Répondre » will send, named before the form: the call, the school, the
    questions, and until when the application can be changed."""
    assert ctx.person is not None
    profile = await registration.profile(ctx.services.db, ctx.person.id)
    lines = [
        ctx.t(
            "dflows.ami.intro",
            title=campaign.title,
            school=profile.school or "",
            closes=_card(ctx).closes(campaign),
        )
    ]
    for index, question in enumerate(campaign.questions):
        line = ctx.t(
            "ami.ask.head", number=index + 1, total=len(campaign.questions), label=question.label
        )
        hint = _hint(ctx, question)
        if not question.required:
            hint += " " + ctx.t("dflows.ami.optional")
        lines.append(f"{line}\n{hint}")
    rows = [
        [(ctx.t("dflows.ami.button.answer"), f"ami:form:{campaign.id}")],
        [(ctx.t("common.button.cancel"), "ami:abort")],
    ]
    await answer(ctx, "\n\n".join(lines), view=components(actions(rows)))


class AnswersForm(discord.ui.Modal):
    """The call's questions (5 at most), one field each; pre-filled when editing.

    Its custom id names the campaign (or the application edited) with a random part, so
    that two people's forms never share an id; its answers are its fields; the submit
    checks everything again through the services (decision 0049)."""

    def __init__(
        self,
        ctx: Ctx,
        campaign: CampaignView,
        *,
        ticket: ApplicationView | None = None,
    ) -> None:
        target = f"edit:{ticket.id}" if ticket is not None else f"apply:{campaign.id}"
        super().__init__(
            title=_cut(_plain(ctx.t("dflows.ami.form_title", title=campaign.title)), LABEL),
            timeout=FORM_TIMEOUT,
            custom_id=f"ami:m:{target}:{secrets.token_hex(4)}",
        )
        self.client = ctx.client
        self.campaign_id = campaign.id
        self.ticket_id = ticket.id if ticket is not None else None
        self.fields: list[discord.ui.TextInput[Any]] = []
        for index, question in enumerate(campaign.questions[:MAX_FIELDS]):
            kept = ticket.answer(index) if ticket is not None else None
            if question.kind is QuestionKind.COMMITMENT and kept is not None:
                kept = ctx.t("dflows.ami.yes" if kept == "yes" else "dflows.ami.no")
            field: discord.ui.TextInput[Any] = discord.ui.TextInput(
                label=_cut(f"{index + 1}. {question.label}", LABEL),
                custom_id=f"q{index}",
                style=(
                    discord.TextStyle.paragraph
                    if question.kind is QuestionKind.TEXT
                    else discord.TextStyle.short
                ),
                placeholder=_cut(_plain(_hint(ctx, question)), PLACEHOLDER),
                required=question.required,
                max_length=MAX_ANSWER if question.kind is QuestionKind.TEXT else 100,
                default=None if kept is None else str(kept),
            )
            self.fields.append(field)
            self.add_item(field)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        ctx = await context_of(self.client, interaction)
        typed = [field.value for field in self.fields]
        await submitted(ctx, self.campaign_id, self.ticket_id, typed)

    async def on_error(  # type: ignore[override]  # discord.py: Modal drops the item
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        log.error("discord: the application form failed", exc_info=error)
        await answer_error(self.client, interaction)


def _again(ctx: Ctx, campaign_id: int, ticket_id: int | None) -> discord.ui.View | None:
    target = f"ami:edit:{ticket_id}" if ticket_id is not None else f"ami:form:{campaign_id}"
    return components(actions([[(ctx.t("dflows.form.again"), target)]]))


async def submitted(ctx: Ctx, campaign_id: int, ticket_id: int | None, typed: list[str]) -> None:
    """The form sent: every answer read and checked (all refusals said at once, the form
    offered again), then the application sent or its answers changed."""
    person = ctx.person
    if person is None or not can(person.role, Action.ANSWER_CALL):
        await refuse(ctx, "common.error.forbidden")
        return
    services = ctx.services
    now = services.clock.now()
    try:
        if ticket_id is not None:
            campaign = (await calls.application(services.db, person.id, ticket_id)).campaign
        else:
            campaign = (
                await call_applying.start(services.db, person.id, campaign_id, now)
            ).campaign
    except DomainError as error:  # closed, withdrawn meanwhile…
        await _refused(ctx, error)
        return
    if _too_many(ctx, campaign) or len(typed) != len(campaign.questions):
        await refuse(ctx, "dflows.ami.questions_changed")
        return
    raw: dict[int, str | None] = {}
    problems: list[str] = []
    for index, question in enumerate(campaign.questions):
        text = call_applying.typed(question, typed[index])
        try:
            value = call_applying.check(campaign, index, text)
        except DomainError as error:
            problems.append(
                ctx.t(
                    "dflows.ami.refused_answer",
                    number=index + 1,
                    label=question.label,
                    reason=ctx.t(error.code, **_shown(ctx, error.params)),
                )
            )
            continue
        raw[index] = None if value is None else str(value)
    if problems:
        await answer(ctx, "\n".join(problems), view=_again(ctx, campaign_id, ticket_id))
        return
    try:
        if ticket_id is not None:
            view = await calls.edit_answers(services.db, person.id, ticket_id, raw, now)
            await _show_card(ctx, view, lead="ami.edited")
            return
        done = await calls.apply(services.db, person.id, campaign_id, raw, now)
    except DomainError as error:
        await _refused(ctx, error)
        return
    if not done.created:  # another person of the school sent it meanwhile
        await _show_card(ctx, done.view, lead="ami.already")
        return
    await _show_card(ctx, done.view, lead="ami.sent")
    await tell(ctx, call_notices.applied(services.i18n, done, person.full_name))


# --- the card --------------------------------------------------------------------------------


async def _show_card(ctx: Ctx, view: ApplicationView, *, lead: str | None = None) -> None:
    card = _card(ctx)
    now = ctx.services.clock.now()
    closes = card.closes(view.campaign)
    if view.withdrawn_at is not None:
        tail = ctx.t(
            "ami.card.withdrawn_on", at=ctx.services.i18n.datetime(ctx.lang, view.withdrawn_at)
        )
    elif view.campaign.window.is_locked(now):
        tail = ctx.t("ami.card.locked", closes=closes)
    else:
        tail = ctx.t("ami.card.open_until", closes=closes)
    text = card.card(view, timeline=True) + "\n\n" + tail
    if lead is not None:
        text = ctx.t(lead, number=view.number) + "\n\n" + text
    rows: list[list[tuple[str, str]]] = []
    open_ = not view.campaign.window.is_locked(now) and (
        view.campaign.state == calls.CampaignState.PUBLISHED.value
    )
    if view.withdrawn_at is None and open_ and _may_apply(ctx, view.campaign):
        rows.append(
            [
                (ctx.t("ami.button.edit"), f"ami:edit:{view.id}"),
                (ctx.t("ami.button.withdraw"), f"ami:wd:{view.id}"),
            ]
        )
    await answer(ctx, text, view=components(actions(rows)))


# --- the buttons -------------------------------------------------------------------------------


def _id(part: str) -> int | None:
    return int(part) if part.isdigit() and int(part) <= MAX_ID else None


async def _apply(ctx: Ctx, campaign_id: int, *, form: bool) -> None:
    """« Candidater » (the intro) and « Répondre » (the form), each checked again."""
    assert ctx.person is not None
    services = ctx.services
    try:
        found = await call_applying.start(
            services.db, ctx.person.id, campaign_id, services.clock.now()
        )
    except DomainError as error:
        await _refused(ctx, error)
        return
    if found.application is not None:
        await _show_card(ctx, found.application, lead="ami.found")
        return
    campaign = found.campaign
    if _too_many(ctx, campaign):
        await refuse(
            ctx, "dflows.ami.too_many_questions", count=len(campaign.questions), max=MAX_FIELDS
        )
        return
    if not form:
        await _intro(ctx, campaign)
    elif not campaign.questions:
        await submitted(ctx, campaign.id, None, [])
    else:
        await ctx.interaction.response.send_modal(AnswersForm(ctx, campaign))


async def _edit(ctx: Ctx, ticket_id: int) -> None:
    assert ctx.person is not None
    services = ctx.services
    try:
        view = await calls.application(services.db, ctx.person.id, ticket_id)
        call_applying.check_editable(
            view, ctx.person.role, ctx.person.school_id, services.clock.now()
        )
    except DomainError as error:
        await _refused(ctx, error)
        return
    if _too_many(ctx, view.campaign):
        await refuse(
            ctx,
            "dflows.ami.too_many_questions",
            count=len(view.campaign.questions),
            max=MAX_FIELDS,
        )
        return
    if not view.campaign.questions:
        await _show_card(ctx, view)
        return
    await ctx.interaction.response.send_modal(AnswersForm(ctx, view.campaign, ticket=view))


async def _withdraw(ctx: Ctx, ticket_id: int, *, confirmed: bool) -> None:
    assert ctx.person is not None
    services = ctx.services
    now = services.clock.now()
    try:
        view = await calls.application(services.db, ctx.person.id, ticket_id)
        call_applying.check_editable(view, ctx.person.role, ctx.person.school_id, now)
        if confirmed:
            view = await calls.withdraw(services.db, ctx.person.id, ticket_id, now)
    except DomainError as error:
        await _refused(ctx, error)
        return
    params = {"number": view.number, "title": view.campaign.title, "school": view.school_name}
    if confirmed:
        await answer(ctx, ctx.t("ami.withdrawn", **params))
        return
    rows = [
        [(ctx.t("ami.button.withdraw_ok"), f"ami:wdok:{view.id}")],
        [(ctx.t("ami.button.withdraw_no"), f"ami:wdno:{view.id}")],
    ]
    await answer(ctx, ctx.t("ami.withdraw.confirm", **params), view=components(actions(rows)))


def _follow_buttons(ctx: Ctx, on: bool) -> discord.ui.View | None:
    if on:
        return components(actions([[(ctx.t("ami.follow.button_off"), "ami:follow:off")]]))
    return components(actions([[(ctx.t("ami.follow.button_on"), "ami:follow:on")]]))


async def follow_command(ctx: Ctx) -> None:
    """/suivre_ami: a teacher chooses to hear of their school's calls (a head always does),
    as on Telegram."""
    person = ctx.person
    if person is None:
        await answer(ctx, ctx.t("discord.stranger"))
        return
    if not can(person.role, Action.ANSWER_CALL):
        await answer(ctx, ctx.t("common.error.forbidden"))
        return
    if person.role != Role.TEACHER.value:
        key = "ami.follow.heads" if person.role == Role.DIRECTOR.value else "ami.follow.teachers"
        await answer(ctx, ctx.t(key))
        return
    on = await call_applying.follows(ctx.services.db, person.id)
    await answer(
        ctx, ctx.t("ami.follow.on" if on else "ami.follow.off"), view=_follow_buttons(ctx, on)
    )


async def _follow(ctx: Ctx, wanted: bool) -> None:
    assert ctx.person is not None
    services = ctx.services
    try:
        now_on = await call_applying.follow(
            services.db, ctx.person.id, wanted, services.clock.now()
        )
    except DomainError as error:
        await _refused(ctx, error)
        return
    await answer(
        ctx,
        ctx.t("ami.follow.on" if now_on else "ami.follow.off"),
        view=_follow_buttons(ctx, now_on),
    )


@on("ami")
async def tapped(ctx: Ctx, action: str) -> None:
    from handlers.discord import call_staff

    if action.split(":")[1] in call_staff.DECISIONS:  # staff's buttons of the selection
        await call_staff.decision_tapped(ctx, action)
        return
    person = ctx.person
    if person is None or not can(person.role, Action.ANSWER_CALL):
        await refuse(ctx, "common.error.forbidden")
        return
    parts = action.split(":")
    verb = parts[1] if len(parts) > 1 else ""
    number = _id(parts[2]) if len(parts) == 3 else None
    if verb == "abort" and len(parts) == 2:
        await answer(ctx, ctx.t("common.cancelled"))
    elif verb in ("apply", "form") and number is not None:
        await _apply(ctx, number, form=verb == "form")
    elif verb == "view" and number is not None:
        try:
            view = await calls.application(ctx.services.db, person.id, number)
        except DomainError as error:
            await _refused(ctx, error)
            return
        await _show_card(ctx, view)
    elif verb == "edit" and number is not None:
        await _edit(ctx, number)
    elif verb in ("wd", "wdok") and number is not None:
        await _withdraw(ctx, number, confirmed=verb == "wdok")
    elif verb == "wdno" and number is not None:
        await answer(ctx, ctx.t("ami.withdraw.kept"))
    elif verb == "follow" and len(parts) == 3 and parts[2] in ("on", "off"):
        await _follow(ctx, parts[2] == "on")
    elif verb in ("comment", "select", "wait", "decline", "cmok", "cmno"):
        await refuse(ctx, "dflows.ami.on_telegram")
    else:
        await refuse(ctx, "common.stale_button")  # forged or from an older version


def register(client: PneDiscord) -> None:
    tree = client.tree

    @tree.command(name=name("ami"), description=described(client, "ami"))
    async def ami(interaction: discord.Interaction) -> None:
        await school_calls(await context_of(client, interaction))

    @tree.command(name=name("suivre_ami"), description=described(client, "suivre_ami"))
    async def suivre_ami(interaction: discord.Interaction) -> None:
        await follow_command(await context_of(client, interaction))
