"""/ami on Discord: the calls for interest, school side (art. 1 and 2).

/ami lists the open calls for the person's school, each with « Candidater »
(``ami:apply:<campaign>``, the very id the publication carries, so a publication
delivered on Discord works too) or « Voir la candidature ». « Candidater » shows what
will be sent (the call, the school, its questions, until when it can be changed) with
« Répondre » → the questions in forms of 5 fields at most (Discord's limit); on submit
each answer is read as Telegram reads a typed one and checked by the domain (every
refusal said, question by question, and the page offered again); the last page sends
the application (``calls.apply``), the school's other heads told through the router. The
application stays editable (« Modifier »: every page pre-filled with the sent answers)
and can be withdrawn (a confirmation naming the call and the school) until the closing.

A call of more than 5 questions takes several forms (decision 0057): after each good
page its answers so far are a draft row under the person (``bot.services.drafts``), and
« Suite (questions 6 à 10) » carries the draft's nonce (an older button is refused as
stale); nothing is kept in memory. Late, ineligible, not allowed: the domain's French
message. Staff's side of /ami (the campaigns, the selection) is ``call_staff``'s, their
new calls ``call_create``'s.
"""

from __future__ import annotations

import html
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import discord

from bot.cards.calls import APPLY, VIEW, CallCard
from bot.domain.calls import MAX_ANSWER, Question, QuestionKind
from bot.domain.errors import DomainError
from bot.domain.roles import Action, Role, can
from bot.services import call_applying, call_notices, calls, drafts, registration
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
DRAFTS = "discord:call_answers"  # the answers of a long call's first pages (decision 0057)


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


@dataclass(frozen=True)
class Target:
    """What a form answers: a campaign applied to, or an application whose answers change."""

    campaign_id: int
    ticket_id: int | None = None

    def matches(self, draft: dict[str, Any]) -> bool:
        return draft.get("campaign") == self.campaign_id and draft.get("ticket") == self.ticket_id


def _hint(ctx: Ctx, question: Question) -> str:
    if question.kind is QuestionKind.TEXT:
        return ctx.t("ami.ask.text", max=MAX_ANSWER)
    if question.kind is QuestionKind.NUMBER:
        return ctx.t("ami.ask.number", minimum=question.minimum, maximum=question.maximum)
    if question.kind is QuestionKind.CHOICE:
        return ctx.t("dflows.ami.type_choice", choices=" / ".join(question.choices))
    return ctx.t("dflows.ami.type_yes_no")


def pages(campaign: CampaignView) -> list[range]:
    """The call's questions, by forms of at most 5 fields (Discord's limit)."""
    count = len(campaign.questions)
    return [range(start, min(start + MAX_FIELDS, count)) for start in range(0, count, MAX_FIELDS)]


def _span(ctx: Ctx, shown: range) -> str:
    """« questions 6 à 10 » (or « question 11 » alone)."""
    first, last = shown.start + 1, shown.stop
    numbers = str(first) if first == last else ctx.t("dform.ami.range", first=first, last=last)
    return ctx.t("dform.ami.questions", count=len(shown), numbers=numbers)


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
    count = len(pages(campaign))
    if count > 1:
        lines.append(ctx.t("dform.ami.several_forms", forms=count))
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


def _kept(
    ctx: Ctx, campaign: CampaignView, ticket: ApplicationView | None, typed: dict[int, str]
) -> dict[int, str]:
    """What each field shows when its form opens: what was typed before (a draft), else
    the answer sent (an application edited)."""
    shown: dict[int, str] = {}
    for index, question in enumerate(campaign.questions):
        if index in typed:
            shown[index] = typed[index]
            continue
        sent = ticket.answer(index) if ticket is not None else None
        if sent is None:
            continue
        if question.kind is QuestionKind.COMMITMENT:
            sent = ctx.t("dflows.ami.yes" if sent == "yes" else "dflows.ami.no")
        shown[index] = str(sent)
    return shown


def form_id(target: Target, page: int, nonce: str | None) -> str:
    """A form's custom id: the first page names the campaign (or the application) with a
    random part, so that two forms never share an id; a later page names the draft
    holding the pages before it (its nonce) and the page, with a random part too."""
    if nonce is not None:
        return f"ami:m:pg:{nonce}:{page}:{secrets.token_hex(4)}"
    if target.ticket_id is not None:
        return f"ami:m:edit:{target.ticket_id}:{secrets.token_hex(4)}"
    return f"ami:m:apply:{target.campaign_id}:{secrets.token_hex(4)}"


class AnswersForm(discord.ui.Modal):
    """One page of the call's questions (5 at most), one field each, pre-filled with what
    was typed before or sent.

    Nothing in it is needed to read its submission again (decision 0057): its custom id
    names what it answers (``form_id``), its answers are its fields (``q<index>``), and
    the submit checks everything again through the services (decision 0049)."""

    def __init__(
        self,
        ctx: Ctx,
        campaign: CampaignView,
        *,
        target: Target,
        page: int = 0,
        nonce: str | None = None,
        shown: dict[int, str] | None = None,
    ) -> None:
        count = len(pages(campaign))
        title = _plain(ctx.t("dflows.ami.form_title", title=campaign.title))
        if count > 1:
            suffix = " " + ctx.t("dform.ami.page", page=page + 1, pages=count)
            title = _cut(title, LABEL - len(suffix)) + suffix
        super().__init__(
            title=_cut(title, LABEL), timeout=FORM_TIMEOUT, custom_id=form_id(target, page, nonce)
        )
        self.client = ctx.client
        self.target, self.page, self.nonce = target, page, nonce
        self.fields: dict[int, discord.ui.TextInput[Any]] = {}
        kept = shown or {}
        for index in pages(campaign)[page]:
            question = campaign.questions[index]
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
                default=kept.get(index),
            )
            self.fields[index] = field
            self.add_item(field)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        ctx = await context_of(self.client, interaction)
        typed = {index: field.value for index, field in self.fields.items()}
        await submitted(ctx, self.target, typed, page=self.page, nonce=self.nonce)

    async def on_error(  # type: ignore[override]  # discord.py: Modal drops the item
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        log.error("discord: the application form failed", exc_info=error)
        await answer_error(self.client, interaction, error)


_NONCE = re.compile(r"[0-9a-f]{8}")
_FIELD = re.compile(r"q(\d{1,2})")


async def form_lost(ctx: Ctx, parts: list[str], values: dict[str, str]) -> None:
    """A form's submission that no form shown by this process claims (the bot restarted
    meanwhile): read again from its custom id (``form_id``) and its fields."""
    typed = {int(m[1]): text for key, text in values.items() if (m := _FIELD.fullmatch(key))}
    if len(parts) == 4 and parts[0] == "pg" and _NONCE.fullmatch(parts[1]) and parts[2].isdigit():
        draft = await _draft(ctx, parts[1])
        if draft is None:
            await refuse(ctx, "common.stale_button")
            return
        target = Target(int(draft["campaign"]), draft.get("ticket"))
        await submitted(ctx, target, typed, page=int(parts[2]), nonce=parts[1])
        return
    number = _id(parts[1]) if len(parts) == 3 else None
    if number is None or parts[0] not in ("apply", "edit"):
        await refuse(ctx, "common.stale_button")
        return
    if parts[0] == "apply":
        await submitted(ctx, Target(number), typed)
        return
    person = ctx.person
    if person is None or not can(person.role, Action.ANSWER_CALL):
        await refuse(ctx, "common.error.forbidden")
        return
    try:
        view = await calls.application(ctx.services.db, person.id, number)
    except DomainError as error:
        await _refused(ctx, error)
        return
    await submitted(ctx, Target(view.campaign.id, view.id), typed)


# --- the drafts of the pages -----------------------------------------------------------------


def _key(ctx: Ctx) -> str:
    assert ctx.person is not None
    return str(ctx.person.id)


async def _save(ctx: Ctx, target: Target, page: int, typed: dict[int, str]) -> str:
    """The answers typed so far, kept under the person (a row) until the last page."""
    data = {
        "campaign": target.campaign_id,
        "ticket": target.ticket_id,
        "page": page,
        "typed": {str(index): text for index, text in typed.items()},
    }
    return await drafts.save(ctx.services.db, DRAFTS, _key(ctx), data, ctx.services.clock.now())


async def _draft(ctx: Ctx, nonce: str) -> dict[str, Any] | None:
    if ctx.person is None or not _NONCE.fullmatch(nonce):
        return None
    draft = await drafts.load(ctx.services.db, DRAFTS, _key(ctx), nonce)
    if draft is None or not isinstance(draft.get("campaign"), int):
        return None
    ticket = draft.get("ticket")
    if ticket is not None and not isinstance(ticket, int):
        return None
    return draft


def _typed_of(draft: dict[str, Any]) -> dict[int, str]:
    kept = draft.get("typed")
    if not isinstance(kept, dict):
        return {}
    return {
        int(key): text
        for key, text in kept.items()
        if isinstance(key, str) and key.isdigit() and isinstance(text, str)
    }


def _again(ctx: Ctx, target: Target) -> discord.ui.View | None:
    if target.ticket_id is not None:
        action = f"ami:edit:{target.ticket_id}"
    else:
        action = f"ami:form:{target.campaign_id}"
    return components(actions([[(ctx.t("dflows.form.again"), action)]]))


def _problems(ctx: Ctx, campaign: CampaignView, typed: dict[int, str], shown: range) -> list[str]:
    """Every refused answer of ``shown``, question by question, in the domain's words."""
    problems: list[str] = []
    for index in shown:
        question = campaign.questions[index]
        try:
            call_applying.check(campaign, index, call_applying.typed(question, typed[index]))
        except DomainError as error:
            problems.append(
                ctx.t(
                    "dflows.ami.refused_answer",
                    number=index + 1,
                    label=question.label,
                    reason=ctx.t(error.code, **_shown(ctx, error.params)),
                )
            )
    return problems


async def _campaign_of(ctx: Ctx, target: Target) -> CampaignView | None:
    """The campaign a form answers, read again (closed, withdrawn meanwhile: said)."""
    assert ctx.person is not None
    services = ctx.services
    try:
        if target.ticket_id is not None:
            view = await calls.application(services.db, ctx.person.id, target.ticket_id)
            if view.campaign.id != target.campaign_id:
                await refuse(ctx, "common.stale_button")
                return None
            return view.campaign
        found = await call_applying.start(
            services.db, ctx.person.id, target.campaign_id, services.clock.now()
        )
    except DomainError as error:
        await _refused(ctx, error)
        return None
    return found.campaign


async def submitted(
    ctx: Ctx,
    target: Target,
    typed: dict[int, str],
    *,
    page: int = 0,
    nonce: str | None = None,
) -> None:
    """A page of the form sent: its answers read and checked (all refusals said at once,
    the page offered again); a page before the last keeps them in the draft and offers
    the next one; the last sends the application, or changes its answers."""
    person = ctx.person
    if person is None or not can(person.role, Action.ANSWER_CALL):
        await refuse(ctx, "common.error.forbidden")
        return
    earlier: dict[int, str] = {}
    if nonce is not None:
        draft = await _draft(ctx, nonce)
        if draft is None or not target.matches(draft) or draft.get("page") != page:
            await refuse(ctx, "common.stale_button")
            return
        earlier = _typed_of(draft)
    campaign = await _campaign_of(ctx, target)
    if campaign is None:
        return
    split = pages(campaign)
    if page >= len(split) or set(typed) != set(split[page]) or (page > 0 and nonce is None):
        await refuse(ctx, "dflows.ami.questions_changed")
        return
    answers = {**earlier, **typed}
    problems = _problems(ctx, campaign, answers, split[page])
    if problems:
        again = _again(ctx, target)
        if len(split) > 1:  # the page again, filled as it was sent
            kept = await _save(ctx, target, page, answers)
            again = components(actions([[(ctx.t("dflows.form.again"), f"ami:pg:{kept}")]]))
        await answer(ctx, "\n".join(problems), view=again)
        return
    if page + 1 < len(split):
        kept = await _save(ctx, target, page + 1, answers)
        span = _span(ctx, split[page + 1])
        rows = [
            [(ctx.t("dform.ami.button.next", span=span), f"ami:pg:{kept}")],
            [(ctx.t("common.button.cancel"), f"ami:abort:{kept}")],
        ]
        text = ctx.t("dform.ami.kept", done=_span(ctx, range(0, split[page].stop)), span=span)
        await answer(ctx, text, view=components(actions(rows)))
        return
    await _send(ctx, campaign, target, answers, drafted=nonce is not None)


async def _send(
    ctx: Ctx, campaign: CampaignView, target: Target, answers: dict[int, str], *, drafted: bool
) -> None:
    """Every page read: each answer checked again, then sent (or changed) by the service."""
    assert ctx.person is not None
    services = ctx.services
    now = services.clock.now()
    every = range(len(campaign.questions))
    if set(answers) != set(every):
        await refuse(ctx, "dflows.ami.questions_changed")
        return
    problems = _problems(ctx, campaign, answers, every)
    if problems:  # an earlier page's answer no longer holds: said, from the first page
        await answer(ctx, "\n".join(problems), view=_again(ctx, target))
        return
    raw: dict[int, str | None] = {}
    for index in every:
        question = campaign.questions[index]
        value = call_applying.check(campaign, index, call_applying.typed(question, answers[index]))
        raw[index] = None if value is None else str(value)
    try:
        if target.ticket_id is not None:
            view = await calls.edit_answers(services.db, ctx.person.id, target.ticket_id, raw, now)
            if drafted:
                await drafts.drop(services.db, DRAFTS, _key(ctx))
            await _show_card(ctx, view, lead="ami.edited")
            return
        done = await calls.apply(services.db, ctx.person.id, target.campaign_id, raw, now)
    except DomainError as error:
        await _refused(ctx, error)
        return
    if drafted:
        await drafts.drop(services.db, DRAFTS, _key(ctx))
    if not done.created:  # another person of the school sent it meanwhile
        await _show_card(ctx, done.view, lead="ami.already")
        return
    await _show_card(ctx, done.view, lead="ami.sent")
    await tell(ctx, call_notices.applied(services.i18n, done, ctx.person.full_name))


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
    """« Candidater » (the intro) and « Répondre » (the form's first page), each checked
    again."""
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
    if not form:
        await _intro(ctx, campaign)
    elif not campaign.questions:
        await submitted(ctx, Target(campaign.id), {})
    else:
        await ctx.interaction.response.send_modal(
            AnswersForm(ctx, campaign, target=Target(campaign.id))
        )


async def _editable(ctx: Ctx, ticket_id: int) -> ApplicationView | None:
    assert ctx.person is not None
    services = ctx.services
    try:
        view = await calls.application(services.db, ctx.person.id, ticket_id)
        call_applying.check_editable(
            view, ctx.person.role, ctx.person.school_id, services.clock.now()
        )
    except DomainError as error:
        await _refused(ctx, error)
        return None
    return view


async def _edit(ctx: Ctx, ticket_id: int) -> None:
    """« Modifier »: the first page, pre-filled with the answers sent."""
    view = await _editable(ctx, ticket_id)
    if view is None:
        return
    if not view.campaign.questions:
        await _show_card(ctx, view)
        return
    target = Target(view.campaign.id, view.id)
    shown = _kept(ctx, view.campaign, view, {})
    await ctx.interaction.response.send_modal(
        AnswersForm(ctx, view.campaign, target=target, shown=shown)
    )


async def _page(ctx: Ctx, nonce: str) -> None:
    """« Suite » (or « Reprendre » a refused page): the page the draft is at, filled with
    what was typed (or, editing, with the answers sent)."""
    draft = await _draft(ctx, nonce)
    if draft is None:
        await refuse(ctx, "common.stale_button")
        return
    ticket_id = draft.get("ticket")
    target = Target(int(draft["campaign"]), ticket_id)
    ticket: ApplicationView | None = None
    if ticket_id is not None:
        ticket = await _editable(ctx, ticket_id)
        if ticket is None:
            return
        campaign: CampaignView | None = ticket.campaign
    else:
        campaign = await _campaign_of(ctx, target)
    if campaign is None:
        return
    page = draft.get("page")
    if campaign.id != target.campaign_id or not (
        isinstance(page, int) and 0 <= page < len(pages(campaign))
    ):
        await refuse(ctx, "dflows.ami.questions_changed")
        return
    shown = _kept(ctx, campaign, ticket, _typed_of(draft))
    await ctx.interaction.response.send_modal(
        AnswersForm(ctx, campaign, target=target, page=page, nonce=nonce, shown=shown)
    )


async def _abort(ctx: Ctx, nonce: str) -> None:
    """« Annuler » between two pages: the answers typed so far are forgotten."""
    if await _draft(ctx, nonce) is None:
        await refuse(ctx, "common.stale_button")
        return
    await drafts.drop(ctx.services.db, DRAFTS, _key(ctx))
    await answer(ctx, ctx.t("common.cancelled"))


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
    elif verb == "abort" and len(parts) == 3:
        await _abort(ctx, parts[2])
    elif verb == "pg" and len(parts) == 3:
        await _page(ctx, parts[2])
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
