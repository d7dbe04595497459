"""/ami_nouveau on Discord: staff write a call for interest and publish it (art. 1 and 2).

The same services, readings and cards as Telegram's dialogue
(``handlers/telegram/calls_staff.py``), with Discord's means: a first form for the
title, the description, how many (units, or kits), the opening and the closing (typed
in Paris time, « Dès maintenant » offered); then selects for the equipment, units or
kits (a kit's size in a small form), who may apply (all, public, private, chosen bodies
found by a part of their name or their code, or levels — several at once) and whether
teachers may apply; the questions one by one (« ➕ Ajouter une question »: the kind,
then a form for its label and its bounds or options), « ✅ Terminer ». Every answer is
read by ``bot.domain.call_drafting``, as Telegram reads it: a refusal is said in the
domain's words and the form is offered again, filled as it was.

The draft is a row (``bot.services.drafts``) under the person, its nonce in every
custom id (``amic:<step>:<nonce>``): a restart loses nothing, an older menu cannot
change a newer draft. « Terminer » writes the draft campaign and previews it (how many
schools, heads and teachers it would reach, ``calls.preview``); « 📣 Publier » asks to
confirm, naming the call and the people told; the confirmation publishes once and the
publication goes to the outbox (``call_publication.send_out``), sent by the paced lane to
each person on their own platform, the author told the count at the end (0054, 0077).
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.cards import call_drafts
from bot.cards.calls import CallCard
from bot.domain import call_drafting as drafting
from bot.domain import calls as rules
from bot.domain.calls import QuestionKind, Reach
from bot.domain.directory import EQUIPMENT_TYPES
from bot.domain.errors import DomainError
from bot.domain.roles import Action, can
from bot.domain.text import units
from bot.i18n import LANGUAGES, Safe
from bot.services import call_notices, call_publication, drafts
from bot.services import calls as service
from bot.services.calls import CampaignState, Level
from handlers.discord.buttons import Steps, on, refuse
from handlers.discord.claim_follow import Form
from handlers.discord.claims import say_error
from handlers.discord.commands import described, name
from handlers.discord.context import Ctx, answer, context_of

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord

log = logging.getLogger(__name__)

NAMESPACE = "discord:call_create"
PUBLISHING = "discord:call_publish"
MAX_ID = 2**31 - 1
MAX_OPTIONS = 25  # a select's options
PLACEHOLDER = 100  # a text input's or a select's hint
_NONCE = re.compile(r"^[0-9a-f]{8}$")
_LEVELS = {f"l{i}": level.value for i, level in enumerate(Level)}
_TAGS = re.compile(r"<[^>]*>")


Step = Callable[[Ctx, list[str]], Awaitable[None]]
step = Steps()


# --- shared -----------------------------------------------------------------------------------


def _plain(html_text: str) -> str:
    """A catalog text where Discord shows plain text (a form's labels and hints)."""
    return html.unescape(_TAGS.sub("", html_text))


def _card(ctx: Ctx) -> CallCard:
    return CallCard(ctx.services.i18n, ctx.lang)


def _key(ctx: Ctx) -> str:
    assert ctx.person is not None
    return str(ctx.person.id)


def _allowed(ctx: Ctx) -> bool:
    return ctx.person is not None and can(ctx.person.role, Action.MANAGE_CALLS)


async def _refused(ctx: Ctx) -> bool:
    """A stranger, or a person who does not manage calls (no longer, maybe): said."""
    if ctx.person is None:
        await refuse(ctx, "discord.stranger")
        return True
    if not _allowed(ctx):
        await refuse(ctx, "common.error.forbidden")
        return True
    return False


async def _save(ctx: Ctx, draft: dict[str, Any]) -> str:
    return await drafts.save(ctx.services.db, NAMESPACE, _key(ctx), draft, ctx.services.clock.now())


async def _load(ctx: Ctx, parts: list[str], needs: str | None = None) -> dict[str, Any] | None:
    """The draft the button's nonce names, if it is still the person's latest and has
    reached the step the button belongs to (``needs``); else said stale, None."""
    found = None
    if parts and _NONCE.match(parts[0]):
        found = await drafts.load(ctx.services.db, NAMESPACE, _key(ctx), parts[0])
    if found is None or (needs is not None and needs not in found):
        await refuse(ctx, "common.stale_button")
        return None
    return found


def _values(ctx: Ctx) -> list[str]:
    """Every option chosen in a select (the dispatch passes on only the first)."""
    data: dict[str, Any] = dict(ctx.interaction.data or {})
    values = data.get("values")
    return [str(v) for v in values] if isinstance(values, list) else []


def _view(
    ctx: Ctx,
    nonce: str,
    *,
    select: tuple[str, str, list[tuple[str, str]]] | None = None,
    many: bool = False,
    buttons: Sequence[tuple[str, str]] = (),
) -> discord.ui.View:
    """A select (``step``, hint, options) and buttons, then « ✖️ Annuler »."""
    view = discord.ui.View(timeout=None)
    if select is not None:
        step_, hint, choices = select
        options = [discord.SelectOption(label=label[:100], value=value) for label, value in choices]
        view.add_item(
            discord.ui.Select(
                custom_id=f"amic:{step_}:{nonce}",
                placeholder=_plain(hint)[:150],
                options=options[:MAX_OPTIONS],
                min_values=1,
                max_values=min(len(options), MAX_OPTIONS) if many else 1,
                row=0,
            )
        )
    for label, action in [*buttons, (ctx.t("common.button.cancel"), f"amic:no:{nonce}")]:
        view.add_item(
            discord.ui.Button(
                label=label[:80], custom_id=action, style=discord.ButtonStyle.secondary, row=1
            )
        )
    return view


def _fix(ctx: Ctx, action: str, nonce: str) -> discord.ui.View:
    """« ✏️ Corriger » (the refused form again, filled as it was) and « Annuler »."""
    return _view(ctx, nonce, buttons=[(ctx.t("claim.button.fix"), action)])


def _now_words(ctx: Ctx) -> set[str]:
    i18n = ctx.services.i18n
    said = {i18n.t(lang, "ami.staff.button.now").strip().casefold() for lang in LANGUAGES}
    return said | {"maintenant", "now"}


# --- /ami_nouveau and its first form ---------------------------------------------------------


async def start(ctx: Ctx) -> None:
    if await _refused(ctx):
        return
    nonce = await _save(ctx, {"questions": [], "body_ids": [], "levels": []})
    await ctx.interaction.response.send_modal(CallForm(ctx, nonce, {}))


class CallForm(Form):
    """The title, the description, how many, the opening and the closing."""

    def __init__(self, ctx: Ctx, nonce: str, typed: dict[str, str]) -> None:
        super().__init__(ctx.t("dcall.form.title"), f"amic:m:{nonce}")
        self.nonce = nonce
        self.field(
            "title",
            ctx.t("dcall.field.title", max=service.MAX_TITLE),
            default=typed.get("title") or None,
            max_length=4000,
        )
        self.field(
            "description",
            ctx.t("dcall.field.description"),
            default=typed.get("description") or None,
            placeholder=_plain(ctx.t("dcall.hint.description", max=service.MAX_DESCRIPTION)),
            max_length=4000,
            style_paragraph=True,
        )
        self.field(
            "count",
            ctx.t("dcall.field.count"),
            default=typed.get("count") or None,
            placeholder=_plain(ctx.t("dcall.hint.count"))[:PLACEHOLDER],
            max_length=100,
        )
        self.field(
            "opens",
            ctx.t("dcall.field.opens"),
            default=typed.get("opens") or ctx.t("ami.staff.button.now"),
            placeholder=_plain(ctx.t("dcall.hint.opens"))[:PLACEHOLDER],
            max_length=100,
        )
        self.field(
            "closes",
            ctx.t("dcall.field.closes"),
            default=typed.get("closes") or None,
            placeholder=_plain(ctx.t("dcall.hint.closes"))[:PLACEHOLDER],
            max_length=100,
        )

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        if await _refused(ctx):
            return
        draft = await _load(ctx, [self.nonce])
        if draft is None:
            return
        draft["typed"] = values
        try:
            _read_form(ctx, draft, values)
        except DomainError as error:
            nonce = await _save(ctx, draft)
            await say_error(ctx, error, _fix(ctx, f"amic:fix:{nonce}", nonce))
            return
        nonce = await _save(ctx, draft)
        if "allow_teachers" in draft:  # the form corrected after the other steps: on
            await _ask_questions(ctx, draft, nonce)
            return
        natures = [(ctx.services.i18n.equipment_type(ctx.lang, n), n) for n in EQUIPMENT_TYPES]
        view = _view(ctx, nonce, select=("nat", ctx.t("dcall.pick.nature"), natures))
        await answer(ctx, ctx.t("ami.staff.ask_nature", title=draft["title"]), view=view)


def _read_form(ctx: Ctx, draft: dict[str, Any], values: dict[str, str]) -> None:
    """Each field read as Telegram reads its typed answer, in the order it asks them."""
    now = ctx.services.clock.now()
    title = values.get("title", "").strip()
    if not drafting.meaningful(title) or units(title) > service.MAX_TITLE:
        raise DomainError("call.error.title", max=service.MAX_TITLE)
    description = values.get("description", "").strip()
    if not drafting.meaningful(description) or units(description) > service.MAX_DESCRIPTION:
        raise DomainError("call.error.description", max=service.MAX_DESCRIPTION)
    count = drafting.read_whole(values.get("count", ""))
    rules.Quantity(count, draft.get("kit_size"))
    opens = values.get("opens", "").strip()
    if opens.casefold() in _now_words(ctx):
        opens_on, opens_time = drafting.opening_now(now)
    else:
        opens_on, opens_time = drafting.read_moment(opens)
        drafting.check_opening(opens_on, opens_time, now)
    closes_on, closes_time = drafting.read_moment(values.get("closes", ""))
    drafting.check_closing(opens_on, opens_time, closes_on, closes_time, now)
    draft.update(
        title=title,
        description=description,
        quantity=count,
        opens_on=opens_on.isoformat(),
        opens_time=opens_time.strftime("%H:%M"),
        closes_on=closes_on.isoformat(),
        closes_time=closes_time.strftime("%H:%M"),
    )


@step("fix")
async def form_again(ctx: Ctx, parts: list[str]) -> None:
    draft = await _load(ctx, parts)
    if draft is None:
        return
    await ctx.interaction.response.send_modal(CallForm(ctx, parts[0], draft.get("typed", {})))


# --- the equipment, units or kits --------------------------------------------------------------


@step("nat")
async def nature_chosen(ctx: Ctx, parts: list[str]) -> None:
    if len(parts) != 2 or parts[1] not in EQUIPMENT_TYPES:
        await refuse(ctx, "common.stale_button")
        return
    draft = await _load(ctx, parts, needs="closes_on")
    if draft is None:
        return
    draft["nature"] = parts[1]
    nonce = await _save(ctx, draft)
    units = [
        (ctx.t("ami.staff.button.units"), "units"),
        (ctx.t("ami.staff.button.kits"), "kits"),
    ]
    view = _view(ctx, nonce, select=("unit", ctx.t("dcall.pick.unit"), units))
    await answer(ctx, ctx.t("ami.staff.ask_unit"), view=view)


@step("unit")
async def unit_chosen(ctx: Ctx, parts: list[str]) -> None:
    if len(parts) != 2 or parts[1] not in ("units", "kits"):
        await refuse(ctx, "common.stale_button")
        return
    draft = await _load(ctx, parts, needs="nature")
    if draft is None:
        return
    if parts[1] == "kits":
        await ctx.interaction.response.send_modal(KitForm(ctx, parts[0], draft.get("kit_typed")))
        return
    draft["kit_size"] = None
    await _ask_reach(ctx, draft)


class KitForm(Form):
    """How many units in a classroom kit (Telegram's « Combien d'unités dans un lot ? »)."""

    def __init__(self, ctx: Ctx, nonce: str, typed: str | None) -> None:
        super().__init__(ctx.t("ami.staff.button.kits"), f"amic:km:{nonce}")
        self.nonce = nonce
        self.field(
            "size",
            ctx.t("dcall.field.kit_size"),
            default=typed or None,
            placeholder=_plain(ctx.t("ami.staff.ask_kit_size"))[:PLACEHOLDER],
            max_length=100,
        )

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        if await _refused(ctx):
            return
        draft = await _load(ctx, [self.nonce], needs="nature")
        if draft is None:
            return
        draft["kit_typed"] = values.get("size", "")
        try:
            size = drafting.read_whole(draft["kit_typed"])
            rules.Quantity(1, size)
            rules.Quantity(int(draft["quantity"]), size)
        except DomainError as error:
            nonce = await _save(ctx, draft)
            await say_error(ctx, error, _fix(ctx, f"amic:unit:{nonce}:kits", nonce))
            return
        draft["kit_size"] = size
        await _ask_reach(ctx, draft)


# --- who may apply ----------------------------------------------------------------------------


async def _ask_reach(ctx: Ctx, draft: dict[str, Any]) -> None:
    nonce = await _save(ctx, draft)
    quantity = rules.Quantity(int(draft["quantity"]), draft.get("kit_size"))
    reaches = [(ctx.t(f"ami.staff.reach.{r.value}"), r.value) for r in Reach]
    view = _view(ctx, nonce, select=("reach", ctx.t("dcall.pick.reach"), reaches))
    text = ctx.t("ami.staff.ask_reach", quantity=_card(ctx).quantity(quantity))
    await answer(ctx, text, view=view)


@step("reach")
async def reach_chosen(ctx: Ctx, parts: list[str]) -> None:
    if len(parts) != 2 or parts[1] not in {r.value for r in Reach}:
        await refuse(ctx, "common.stale_button")
        return
    draft = await _load(ctx, parts, needs="kit_size")
    if draft is None:
        return
    reach = Reach(parts[1])
    draft["reach"], draft["body_ids"], draft["levels"] = reach.value, [], []
    nonce = await _save(ctx, draft)
    if reach is Reach.LEVELS:
        levels = [(ctx.t(f"ami.staff.level.{code}"), code) for code in _LEVELS]
        view = _view(ctx, nonce, select=("lvl", ctx.t("dcall.pick.levels"), levels), many=True)
        await answer(ctx, ctx.t("dcall.ask_levels"), view=view)
        return
    if reach is Reach.BODIES:
        find = [(ctx.t("dcall.button.find"), f"amic:find:{nonce}")]
        await answer(ctx, ctx.t("dcall.ask_bodies"), view=_view(ctx, nonce, buttons=find))
        return
    await _ask_teachers(ctx, draft, nonce)


@step("lvl")
async def levels_chosen(ctx: Ctx, parts: list[str]) -> None:
    chosen = _values(ctx)
    if len(parts) < 1 or not chosen or any(code not in _LEVELS for code in chosen):
        await refuse(ctx, "common.stale_button")
        return
    draft = await _load(ctx, parts, needs="reach")
    if draft is None:
        return
    if draft["reach"] != Reach.LEVELS.value:
        await refuse(ctx, "common.stale_button")
        return
    draft["levels"] = [_LEVELS[code] for code in dict.fromkeys(chosen)]
    await _picked(ctx, draft)


@step("find")
async def find_tapped(ctx: Ctx, parts: list[str]) -> None:
    draft = await _load(ctx, parts, needs="reach")
    if draft is None:
        return
    if draft["reach"] != Reach.BODIES.value:
        await refuse(ctx, "common.stale_button")
        return
    await ctx.interaction.response.send_modal(BodyForm(ctx, parts[0], draft.get("body_typed")))


class BodyForm(Form):
    """A part of a body's name, or its code, as Telegram reads a typed one."""

    def __init__(self, ctx: Ctx, nonce: str, typed: str | None) -> None:
        super().__init__(ctx.t("dcall.bodies.title"), f"amic:bm:{nonce}")
        self.nonce = nonce
        self.field(
            "body",
            ctx.t("dcall.field.body"),
            default=typed or None,
            placeholder=_plain(ctx.t("dcall.hint.body"))[:PLACEHOLDER],
            max_length=100,
        )

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        if await _refused(ctx):
            return
        assert ctx.person is not None
        draft = await _load(ctx, [self.nonce], needs="reach")
        if draft is None:
            return
        typed = values.get("body", "").strip()
        draft["body_typed"] = typed
        found = await service.search_bodies(ctx.services.db, ctx.person.id, typed, MAX_OPTIONS)
        if not found:
            nonce = await _save(ctx, draft)
            error = DomainError("ami.staff.no_body", text=typed[:60])
            await say_error(ctx, error, _fix(ctx, f"amic:find:{nonce}", nonce))
            return
        draft["found"] = [b.id for b in found]
        nonce = await _save(ctx, draft)
        choices = [(f"{b.name} ({b.code})", str(b.id)) for b in found]
        view = _view(ctx, nonce, select=("body", ctx.t("dcall.pick.bodies"), choices), many=True)
        await answer(ctx, ctx.t("ami.staff.bodies_found"), view=view)


def _body_id(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 10 and int(value) <= MAX_ID else None


@step("body")
async def bodies_chosen(ctx: Ctx, parts: list[str]) -> None:
    assert ctx.person is not None
    ids = [_body_id(v) for v in _values(ctx)]
    draft = await _load(ctx, parts[:1], needs="found")
    if draft is None:
        return
    offered = set(draft["found"])
    if not ids or any(i is None or i not in offered for i in ids):
        await refuse(ctx, "common.stale_button")
        return
    chosen = list(dict.fromkeys([*draft["body_ids"], *(i for i in ids if i is not None)]))
    named = await service.bodies_named(ctx.services.db, ctx.person.id, chosen)
    draft["body_ids"] = [b.id for b in named]  # never trusted: those that exist now
    draft.pop("found", None)
    nonce = await _save(ctx, draft)
    buttons = [
        (ctx.t("dcall.button.find"), f"amic:find:{nonce}"),
        (ctx.t("ami.staff.button.pick_done"), f"amic:pick:{nonce}"),
    ]
    text = ctx.t("dcall.bodies_chosen", bodies=", ".join(b.name for b in named))
    await answer(ctx, text, view=_view(ctx, nonce, buttons=buttons))


@step("pick")
async def pick_done(ctx: Ctx, parts: list[str]) -> None:
    draft = await _load(ctx, parts, needs="reach")
    if draft is None:
        return
    await _picked(ctx, draft)


async def _picked(ctx: Ctx, draft: dict[str, Any]) -> None:
    try:
        rules.Eligibility(
            Reach(draft["reach"]), frozenset(draft["body_ids"]), frozenset(draft["levels"])
        )
    except DomainError as error:
        await say_error(ctx, error)
        return
    await _ask_teachers(ctx, draft, await _save(ctx, draft))


async def _ask_teachers(ctx: Ctx, draft: dict[str, Any], nonce: str) -> None:
    choices = [
        (ctx.t("ami.staff.button.teachers_yes"), "yes"),
        (ctx.t("ami.staff.button.teachers_no"), "no"),
    ]
    view = _view(ctx, nonce, select=("teach", ctx.t("dcall.pick.teachers"), choices))
    await answer(ctx, ctx.t("ami.staff.ask_teachers"), view=view)


@step("teach")
async def teachers_chosen(ctx: Ctx, parts: list[str]) -> None:
    if len(parts) != 2 or parts[1] not in ("yes", "no"):
        await refuse(ctx, "common.stale_button")
        return
    draft = await _load(ctx, parts, needs="reach")
    if draft is None:
        return
    draft["allow_teachers"] = parts[1] == "yes"
    await _ask_questions(ctx, draft, await _save(ctx, draft))


# --- the questions ----------------------------------------------------------------------------


async def _ask_questions(ctx: Ctx, draft: dict[str, Any], nonce: str) -> None:
    questions = [call_publication.question_of(q) for q in draft["questions"]]
    select = None
    if len(questions) < rules.MAX_QUESTIONS:
        kinds = [(ctx.t(f"ami.staff.q.add.{k.value}"), k.value) for k in QuestionKind]
        select = ("qk", ctx.t("dcall.button.add_question"), kinds)
    done = [(ctx.t("dcall.button.done"), f"amic:done:{nonce}")]
    text = ctx.t(
        "dcall.ask_questions",
        listed=Safe(call_drafts.question_lines(_card(ctx), questions)),
        max=rules.MAX_QUESTIONS,
    )
    await answer(ctx, text, view=_view(ctx, nonce, select=select, buttons=done))


@step("qk")
async def question_kind_chosen(ctx: Ctx, parts: list[str]) -> None:
    if len(parts) != 2 or parts[1] not in {k.value for k in QuestionKind}:
        await refuse(ctx, "common.stale_button")
        return
    draft = await _load(ctx, parts, needs="allow_teachers")
    if draft is None:
        return
    if len(draft["questions"]) >= rules.MAX_QUESTIONS:
        await say_error(ctx, DomainError("call.error.too_many_questions", max=rules.MAX_QUESTIONS))
        return
    form = QuestionForm(ctx, parts[0], QuestionKind(parts[1]), {})
    await ctx.interaction.response.send_modal(form)


@step("qfix")
async def question_again(ctx: Ctx, parts: list[str]) -> None:
    draft = await _load(ctx, parts, needs="question")
    if draft is None:
        return
    typed = dict(draft["question"])
    kind = QuestionKind(typed.pop("kind"))
    await ctx.interaction.response.send_modal(QuestionForm(ctx, parts[0], kind, typed))


class QuestionForm(Form):
    """A question's label, and a number's bounds or a choice's options."""

    def __init__(self, ctx: Ctx, nonce: str, kind: QuestionKind, typed: dict[str, str]) -> None:
        title = ctx.t("dcall.question.title", kind=ctx.t(f"ami.staff.q.kind.{kind.value}"))
        super().__init__(_plain(title), f"amic:qm:{nonce}:{kind.value}")
        self.nonce, self.kind = nonce, kind
        label = "dcall.field.commitment" if kind is QuestionKind.COMMITMENT else "dcall.field.label"
        hint = ctx.t(f"ami.staff.ask_label.{kind.value}", max=drafting.MAX_LABEL)
        self.field(
            "label",
            ctx.t(label),
            default=typed.get("label") or None,
            placeholder=_plain(hint)[:PLACEHOLDER],
            max_length=4000,
        )
        if kind is QuestionKind.NUMBER:
            self.field(
                "bounds",
                ctx.t("dcall.field.bounds"),
                default=typed.get("bounds") or None,
                placeholder=_plain(ctx.t("dcall.hint.bounds"))[:PLACEHOLDER],
                max_length=100,
            )
        if kind is QuestionKind.CHOICE:
            self.field(
                "choices",
                ctx.t("dcall.field.choices", max=rules.MAX_CHOICES),
                default=typed.get("choices") or None,
                placeholder=_plain(ctx.t("ami.staff.ask_choices", max=rules.MAX_CHOICES))[
                    :PLACEHOLDER
                ],
                max_length=4000,
                style_paragraph=True,
            )

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        if await _refused(ctx):
            return
        draft = await _load(ctx, [self.nonce], needs="allow_teachers")
        if draft is None:
            return
        question: dict[str, Any] = {"kind": self.kind.value}
        try:
            if len(draft["questions"]) >= rules.MAX_QUESTIONS:
                raise DomainError("call.error.too_many_questions", max=rules.MAX_QUESTIONS)
            question["label"] = drafting.read_label(values.get("label", ""))
            if self.kind is QuestionKind.NUMBER:
                question["minimum"], question["maximum"] = drafting.read_bounds(
                    values.get("bounds", "")
                )
            if self.kind is QuestionKind.CHOICE:
                question["choices"] = drafting.read_choices(values.get("choices", ""))
        except DomainError as error:
            draft["question"] = {"kind": self.kind.value, **values}
            nonce = await _save(ctx, draft)
            await say_error(ctx, error, _fix(ctx, f"amic:qfix:{nonce}", nonce))
            return
        draft.pop("question", None)
        draft["questions"] = [*draft["questions"], question]
        await _ask_questions(ctx, draft, await _save(ctx, draft))


# --- « Terminer »: the draft written and previewed ------------------------------------------


@step("done")
async def questions_done(ctx: Ctx, parts: list[str]) -> None:
    assert ctx.person is not None
    draft = await _load(ctx, parts, needs="allow_teachers")
    if draft is None:
        return
    services = ctx.services
    try:
        view = await service.create_campaign(
            services.db,
            ctx.person.id,
            call_publication.campaign_draft(draft),
            services.clock.now(),
        )
    except DomainError as error:  # the closing passed while the questions were written
        await say_error(ctx, error, _fix(ctx, f"amic:fix:{parts[0]}", parts[0]))
        return
    await drafts.drop(services.db, NAMESPACE, _key(ctx))
    await _preview(ctx, view.id, created=True)


async def _preview(ctx: Ctx, campaign_id: int, *, created: bool) -> None:
    assert ctx.person is not None
    found = await service.preview(ctx.services.db, ctx.person.id, campaign_id)
    view = discord.ui.View(timeout=None)
    for label, action in (
        (ctx.t("ami.staff.button.publish"), f"amic:pub:{campaign_id}"),
        (ctx.t("ami.staff.button.keep_draft"), f"amic:kept:{campaign_id}"),
    ):
        view.add_item(
            discord.ui.Button(label=label, custom_id=action, style=discord.ButtonStyle.secondary)
        )
    await answer(ctx, call_drafts.draft_preview(_card(ctx), found, created=created), view=view)


@step("no")
async def cancelled(ctx: Ctx, parts: list[str]) -> None:
    dropped = await drafts.drop(ctx.services.db, NAMESPACE, _key(ctx))
    await refuse(ctx, "common.cancelled" if dropped else "common.nothing_to_cancel")


# --- keeping the draft, publishing it -----------------------------------------------------------


def _campaign_id(parts: list[str]) -> int | None:
    if len(parts) != 1 or not parts[0].isdigit() or len(parts[0]) > 10:
        return None
    found = int(parts[0])
    return found if 0 < found <= MAX_ID else None


@step("kept")
async def keep_draft(ctx: Ctx, parts: list[str]) -> None:
    assert ctx.person is not None
    campaign_id = _campaign_id(parts)
    if campaign_id is None:
        await refuse(ctx, "common.stale_button")
        return
    try:
        view = await service.campaign(ctx.services.db, ctx.person.id, campaign_id)
    except DomainError as error:
        await say_error(ctx, error)
        return
    await refuse(ctx, "dcall.kept", title=view.title)


@step("pub")
async def publish_asked(ctx: Ctx, parts: list[str]) -> None:
    assert ctx.person is not None
    campaign_id = _campaign_id(parts)
    if campaign_id is None:
        await refuse(ctx, "common.stale_button")
        return
    services = ctx.services
    try:
        found = await service.preview(services.db, ctx.person.id, campaign_id)
        if found.campaign.state != CampaignState.DRAFT:
            raise DomainError("call.error.not_draft")
    except DomainError as error:
        await say_error(ctx, error)
        return
    nonce = await drafts.save(
        services.db, PUBLISHING, _key(ctx), {"campaign_id": campaign_id}, services.clock.now()
    )
    view = discord.ui.View(timeout=None)
    for label, action in (
        (ctx.t("ami.staff.button.publish_ok"), f"amic:pubok:{nonce}"),
        (ctx.t("ami.staff.button.keep"), f"amic:keep:{nonce}"),
    ):
        view.add_item(
            discord.ui.Button(label=label, custom_id=action, style=discord.ButtonStyle.secondary)
        )
    await answer(ctx, call_drafts.confirm_publish(_card(ctx), found), view=view, ephemeral=True)


async def _take(ctx: Ctx, parts: list[str]) -> dict[str, Any] | None:
    """The confirmation's draft, dropped at once: a second tap finds nothing."""
    services = ctx.services
    found = None
    if len(parts) == 1 and _NONCE.match(parts[0]):
        found = await drafts.load(services.db, PUBLISHING, _key(ctx), parts[0])
    if found is None or not await drafts.drop(services.db, PUBLISHING, _key(ctx)):
        await refuse(ctx, "common.stale_button")
        return None
    return found


@step("keep")
async def nothing_done(ctx: Ctx, parts: list[str]) -> None:
    if await _take(ctx, parts) is not None:
        await refuse(ctx, "ami.staff.nothing_done")


@step("pubok")
async def publish_confirmed(ctx: Ctx, parts: list[str]) -> None:
    person = ctx.person
    assert person is not None
    found = await _take(ctx, parts)
    if found is None:
        return
    services = ctx.services
    try:
        published = await service.publish(
            services.db, person.id, int(found["campaign_id"]), services.clock.now()
        )
    except DomainError as error:
        await say_error(ctx, error)
        return
    messages = call_notices.publication(services.i18n, published)
    people = ctx.t("ami.staff.count.people", count=len(messages))
    await refuse(ctx, "ami.staff.published", title=published.campaign.title, people=people)
    # Never inside the interaction: the outbox sends it (decision 0077).
    await call_publication.send_out(
        services.db,
        messages,
        campaign=published.campaign,
        what="publication",
        author_id=person.id,
        record=True,
        now=services.clock.now(),
    )


# --- dispatch and registration ---------------------------------------------------------------


@on("amic")
async def dispatch(ctx: Ctx, action: str) -> None:
    """Every ``amic:`` button or menu; checked again on each tap that the person still
    manages calls; an id of no known step is not honoured."""
    if await _refused(ctx):
        return
    await step.run(ctx, action)


def register(client: PneDiscord) -> None:
    tree = client.tree

    @tree.command(name=name("ami_nouveau"), description=described(client, "ami_nouveau"))
    async def ami_nouveau(interaction: discord.Interaction) -> None:
        await start(await context_of(client, interaction))
