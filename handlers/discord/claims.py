"""/signaler on Discord: the report of a theft, loss or damage (art. 6).

The same services as Telegram's dialogue (``handlers/telegram/claims.py``), with Discord's
means: the asset tags as the command's option (an autocomplete scoped to the person's
schools, or typed), the kind, a damage's cause and — for an agent of several schools —
the school as select menus, then one modal for the tags, the discovery time (read by
the same ``parse_discovery_detail``), what happened and a word for each item outside the
inventory. A refused form says why in the domain's words and offers it again, filled
as it was, by a button. The summary names what will be sent; « ✅ Confirmer l'envoi »
reports it and the notices the service returns go out through the router (the body's
agent may be on Telegram).

Between two interactions the draft is a row (``bot.services.drafts``) under the person,
and every menu or button carries its nonce: a restart loses nothing, and an older
menu cannot change a newer draft (decision 0047).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.cards.claims import ClaimCard, error_params
from bot.domain.bodies import body_variant
from bot.domain.claims import ClaimKind, DamageCause, duties_deadline, late_from_the_start
from bot.domain.dates import parse_discovery_detail
from bot.domain.errors import DomainError
from bot.domain.roles import Action, can
from bot.domain.text import units
from bot.services import claim_lookup, drafts
from bot.services import claim_notices as notices
from bot.services import claims as service
from bot.services.delivery import actions
from handlers.discord.buttons import Step, Steps, on, refuse
from handlers.discord.commands import described, name, option
from handlers.discord.context import Ctx, answer, context_of
from handlers.discord.render import components
from handlers.discord.telling import tell

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord

log = logging.getLogger(__name__)
NAMESPACE = "discord:claim_report"
SCHOOLS_PER_PAGE = 23  # a select's 25 options, with « previous » and « next »
MAX_UNKNOWN = 300  # a description of an item outside the inventory (as on Telegram)
# A form left open is forgotten after this (discord.py keeps each one shown until then).
FORM_TIMEOUT = 3600.0
_TAG_SPLIT = re.compile(r"[\s,;]+")
_LINES = re.compile(r"\r?\n")

ClmHandler = Step
# clm:<step>:… → its handler: this module's report steps, claim_follow's buttons.
step = Steps(unknown="discord.claim.not_here")


@on("clm")
async def dispatch(ctx: Ctx, action: str) -> None:
    """Every ``clm:`` button or menu on Discord; an id of no known step is not honoured."""
    if ctx.person is None:
        await refuse(ctx, "discord.stranger")
        return
    await step.run(ctx, action)


class _WordsRefused(DomainError):
    """Words of the typed tags that cannot be tags: each said, one line each."""

    def __init__(self, errors: list[DomainError]) -> None:
        super().__init__(errors[0].code, **errors[0].params)
        self.errors = errors


def _said(ctx: Ctx, error: DomainError) -> str:
    errors = error.errors if isinstance(error, _WordsRefused) else [error]
    return "\n".join(
        ctx.t(e.code, **error_params(ctx.services.i18n, ctx.lang, e.params)) for e in errors
    )


async def say_error(ctx: Ctx, error: DomainError, view: discord.ui.View | None = None) -> None:
    await answer(ctx, _said(ctx, error), view=view, ephemeral=True)


def _kept(checks: list[service.TagCheck]) -> tuple[list[service.TagCheck], list[DomainError]]:
    """The typed words that are tags, and the refusals of those that cannot be."""
    refused = [c.refused for c in checks if c.refused is not None]
    return [c for c in checks if c.refused is None], refused


def _key(ctx: Ctx) -> str:
    assert ctx.person is not None
    return str(ctx.person.id)


async def _save(ctx: Ctx, draft: dict[str, Any]) -> str:
    return await drafts.save(ctx.services.db, NAMESPACE, _key(ctx), draft, ctx.services.clock.now())


async def _load(ctx: Ctx, nonce: str) -> dict[str, Any] | None:
    found = await drafts.load(ctx.services.db, NAMESPACE, _key(ctx), nonce)
    if found is None:
        await refuse(ctx, "common.stale_button")
    return found


def _tags(typed: str) -> list[str]:
    return list(dict.fromkeys(t for t in _TAG_SPLIT.split(typed or "") if t))


def select_menu(
    custom_id: str, placeholder: str, choices: list[tuple[str, str]]
) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(
        discord.ui.Select(
            custom_id=custom_id,
            placeholder=placeholder[:150],
            options=[
                discord.SelectOption(label=label[:100], value=value) for label, value in choices
            ],
        )
    )
    return view


def _with_cancel(view: discord.ui.View, ctx: Ctx, nonce: str) -> discord.ui.View:
    view.add_item(
        discord.ui.Button(
            label=ctx.t("common.button.cancel"),
            custom_id=f"clm:rno:{nonce}",
            style=discord.ButtonStyle.secondary,
        )
    )
    return view


# --- the command ---------------------------------------------------------------------------


async def start(ctx: Ctx, materiel: str | None) -> None:
    person = ctx.person
    if person is None:
        await answer(ctx, ctx.t("discord.stranger"))
        return
    if not can(person.role, Action.REPORT_CLAIM):
        await answer(ctx, ctx.t("common.error.forbidden"))
        return
    services = ctx.services
    schools = await service.reporting_schools(services.db, person.id)
    if not schools:
        await answer(ctx, ctx.t("claim.error.no_school"))
        return
    tags = _tags(materiel or "")
    if len(tags) > service.MAX_ITEMS:
        await answer(ctx, ctx.t("claim.error.too_many_items", max=service.MAX_ITEMS))
        return
    draft: dict[str, Any] = {"tags": ", ".join(tags)}
    said = ""  # the words that cannot be tags: refused, the others kept
    if len(schools) == 1:
        draft["school_id"], draft["school_name"] = schools[0].id, schools[0].name
        if tags:  # a tag of another school, or no longer in service: said at once
            checks, refused = _kept(
                await service.check_tags(services.db, person.id, schools[0].id, tags)
            )
            refusal = _refusal(checks)
            if refusal is not None:
                await say_error(ctx, refusal)
                return
            if refused:
                said = _said(ctx, _WordsRefused(refused)) + "\n\n"
                draft["tags"] = ", ".join(c.asset_tag for c in checks)
    nonce = await _save(ctx, draft)
    choices = [(ctx.t(f"claim.kind.{k.value}"), k.value) for k in ClaimKind]
    view = select_menu(f"clm:rk:{nonce}", ctx.t("discord.claim.pick_kind"), choices)
    await answer(ctx, said + ctx.t("claim.report.ask_kind"), view=_with_cancel(view, ctx, nonce))


def _refusal(checks: list[service.TagCheck]) -> DomainError | None:
    for check in checks:
        if check.other_school:
            return DomainError("claim.error.tag_other_school", tag=check.asset_tag)
        if check.unavailable:
            return DomainError("claim.error.tag_unavailable", tag=check.asset_tag)
    return None


@step("rk")
async def kind_chosen(ctx: Ctx, parts: list[str]) -> None:
    if len(parts) != 2 or parts[1] not in {k.value for k in ClaimKind}:
        await refuse(ctx, "common.stale_button")
        return
    draft = await _load(ctx, parts[0])
    if draft is None:
        return
    draft["kind"] = parts[1]
    draft.pop("cause", None)
    if draft["kind"] == ClaimKind.DAMAGE.value:
        nonce = await _save(ctx, draft)
        choices = [(ctx.t(f"claim.cause.ask.{c.value}"), c.value) for c in DamageCause]
        view = select_menu(f"clm:rc:{nonce}", ctx.t("discord.claim.pick_cause"), choices)
        await answer(ctx, ctx.t("claim.report.ask_cause"), view=_with_cancel(view, ctx, nonce))
        return
    await _next(ctx, draft)


@step("rc")
async def cause_chosen(ctx: Ctx, parts: list[str]) -> None:
    if len(parts) != 2 or parts[1] not in {c.value for c in DamageCause}:
        await refuse(ctx, "common.stale_button")
        return
    draft = await _load(ctx, parts[0])
    if draft is None:
        return
    if draft.get("kind") != ClaimKind.DAMAGE.value:
        await refuse(ctx, "common.stale_button")
        return
    draft["cause"] = parts[1]
    await _next(ctx, draft)


async def _next(ctx: Ctx, draft: dict[str, Any]) -> None:
    """After the kind (and cause): the school if there are several, else the form."""
    assert ctx.person is not None
    if "school_id" not in draft:
        await _ask_school(ctx, draft, 0)
        return
    nonce = await _save(ctx, draft)
    await ctx.interaction.response.send_modal(ReportForm(ctx, nonce, draft))


async def _ask_school(ctx: Ctx, draft: dict[str, Any], page: int) -> None:
    """The schools of the person's body, a page of them at a time (a commune may have
    more than a select's 25), in the order of their names."""
    assert ctx.person is not None
    schools = await service.reporting_schools(ctx.services.db, ctx.person.id)
    last = max(0, (len(schools) - 1) // SCHOOLS_PER_PAGE)
    page = min(max(page, 0), last)
    shown = schools[page * SCHOOLS_PER_PAGE : (page + 1) * SCHOOLS_PER_PAGE]
    choices = [(f"{s.name} ({s.uai})", str(s.id)) for s in shown]
    if page > 0:
        choices.insert(0, (ctx.t("common.button.previous"), f"p{page - 1}"))
    if page < last:
        choices.append((ctx.t("common.button.next"), f"p{page + 1}"))
    nonce = await _save(ctx, draft)
    view = select_menu(f"clm:rs:{nonce}", ctx.t("discord.claim.pick_school"), choices)
    await answer(ctx, ctx.t("claim.report.ask_school"), view=_with_cancel(view, ctx, nonce))


@step("rs")
async def school_chosen(ctx: Ctx, parts: list[str]) -> None:
    assert ctx.person is not None
    paged = len(parts) == 2 and parts[1][:1] == "p" and parts[1][1:].isdigit()
    if len(parts) != 2 or not (parts[1].isdigit() or paged):
        await refuse(ctx, "common.stale_button")
        return
    draft = await _load(ctx, parts[0])
    if draft is None:
        return
    if paged:
        await _ask_school(ctx, draft, int(parts[1][1:]))
        return
    schools = await service.reporting_schools(ctx.services.db, ctx.person.id)
    school = next((s for s in schools if s.id == int(parts[1])), None)
    if school is None:  # never trust a menu's value: the school must be in scope now
        await refuse(ctx, "claim.error.school_out_of_scope")
        return
    draft["school_id"], draft["school_name"] = school.id, school.name
    await _next(ctx, draft)


@step("ro")
async def form_again(ctx: Ctx, parts: list[str]) -> None:
    """« ✏️ Corriger »: the form again, filled as it was sent."""
    if not parts:
        await refuse(ctx, "common.stale_button")
        return
    draft = await _load(ctx, parts[0])
    if draft is None:
        return
    if "school_id" not in draft or "kind" not in draft:
        await refuse(ctx, "common.stale_button")
        return
    nonce = await _save(ctx, draft)
    await ctx.interaction.response.send_modal(ReportForm(ctx, nonce, draft))


# --- the form ------------------------------------------------------------------------------


class ReportForm(discord.ui.Modal):
    """The tags, the discovery time, what happened, a word for each unknown item."""

    def __init__(self, ctx: Ctx, nonce: str, draft: dict[str, Any]) -> None:
        super().__init__(
            title=ctx.t("discord.claim.modal_title"),
            custom_id=f"clm:rm:{nonce}",
            timeout=FORM_TIMEOUT,
        )
        self.nonce = nonce
        self.tags: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=ctx.t("discord.claim.field_tags"),
            custom_id="tags",
            default=draft.get("tags") or None,
            max_length=1000,
        )
        self.when: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=ctx.t("discord.claim.field_when"),
            custom_id="when",
            default=draft.get("when") or None,
            max_length=100,
        )
        self.what: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=ctx.t("discord.claim.field_what"),
            custom_id="what",
            style=discord.TextStyle.paragraph,
            default=draft.get("what") or None,
            max_length=service.MAX_DESCRIPTION,
        )
        self.unknown: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=ctx.t("discord.claim.field_unknown"),
            custom_id="unknown",
            style=discord.TextStyle.paragraph,
            default=draft.get("unknown") or None,
            required=False,
            max_length=3000,
        )
        for item in (self.tags, self.when, self.what, self.unknown):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        client: PneDiscord = interaction.client  # type: ignore[assignment]
        ctx = await context_of(client, interaction)
        if ctx.person is None:
            await answer(ctx, ctx.t("discord.stranger"))
            return
        await submitted(
            ctx,
            self.nonce,
            {
                "tags": self.tags.value.strip(),
                "when": self.when.value.strip(),
                "what": self.what.value.strip(),
                "unknown": self.unknown.value.strip(),
            },
        )

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]
        from handlers.discord.context import answer_error

        log.error("discord: claim form failed", exc_info=error)
        await answer_error(interaction.client, interaction, error)  # type: ignore[arg-type]


async def submitted(ctx: Ctx, nonce: str, typed: dict[str, str]) -> None:
    """The form is read as Telegram reads each answer; a refusal re-offers it, kept."""
    assert ctx.person is not None
    services = ctx.services
    draft = await _load(ctx, nonce)
    if draft is None:
        return
    draft.update(typed)
    nonce = await _save(ctx, draft)
    again = components(actions([[(ctx.t("claim.button.fix"), f"clm:ro:{nonce}")]]))
    try:
        command, parsed_time_given = await _command(ctx, draft)
        preview = await service.preview_claim(services.db, command, services.clock.now())
    except DomainError as error:
        if isinstance(error, _WordsRefused):  # the draft lost the refused words
            nonce = await _save(ctx, draft)
            again = components(actions([[(ctx.t("claim.button.fix"), f"clm:ro:{nonce}")]]))
        await say_error(ctx, error, again)
        return
    draft["items"] = [[i.asset_tag, i.description] for i in command.items]
    draft["discovered_at"] = command.discovered_at.isoformat()
    draft["time_given"] = parsed_time_given
    nonce = await _save(ctx, draft)
    card = ClaimCard(services.i18n, ctx.lang)
    text = card.summary(
        draft["kind"],
        draft["school_name"],
        preview,
        command.discovered_at,
        parsed_time_given,
        command.description,
        0,
        draft.get("cause"),
    )
    if late_from_the_start(
        command.kind, command.discovered_at, services.clock.now(), draft.get("cause")
    ):
        late = ctx.t(
            "claim.report.late_discovery",
            deadline=services.i18n.datetime(ctx.lang, duties_deadline(command.discovered_at)),
        )
        text = f"{late}\n\n{text}"
    rows = [
        [(ctx.t("claim.button.confirm"), f"clm:rok:{nonce}")],
        [(ctx.t("claim.button.fix"), f"clm:ro:{nonce}")],
        [(ctx.t("common.button.cancel"), f"clm:rno:{nonce}")],
    ]
    await answer(ctx, text, view=components(actions(rows)), ephemeral=True)


async def _command(ctx: Ctx, draft: dict[str, Any]) -> tuple[service.ReportClaim, bool]:
    """The report the draft describes, each part checked with the domain's messages."""
    assert ctx.person is not None
    services = ctx.services
    tags = _tags(draft.get("tags", ""))
    if not tags:
        raise DomainError("claim.error.no_items")
    if len(tags) > service.MAX_ITEMS:
        raise DomainError("claim.error.too_many_items", max=service.MAX_ITEMS)
    school_id = int(draft["school_id"])
    checks, refused = _kept(await service.check_tags(services.db, ctx.person.id, school_id, tags))
    if refused:  # the form comes back with the words that are tags, kept
        draft["tags"] = ", ".join(c.asset_tag for c in checks)
        raise _WordsRefused(refused)
    refusal = _refusal(checks)
    if refusal is not None:
        raise refusal
    words = [w.strip() for w in _LINES.split(draft.get("unknown", "")) if w.strip()]
    items: list[service.ItemRequest] = []
    for check in checks:
        if check.known:
            items.append(service.ItemRequest(check.asset_tag))
            continue
        if not words:
            raise DomainError("claim.error.unknown_tag_needs_description", tag=check.asset_tag)
        said = words.pop(0)
        if len(said) > MAX_UNKNOWN:
            raise DomainError("claim.error.unknown_tag_needs_description", tag=check.asset_tag)
        items.append(service.ItemRequest(check.asset_tag, said))
    parsed = parse_discovery_detail(
        draft.get("when", ""), services.clock.now(), services.settings.tz
    )
    description = draft.get("what", "").strip()
    if len(description) < 3:
        raise DomainError("claim.error.description_required")
    if units(description) > service.MAX_DESCRIPTION:
        raise DomainError("claim.error.description_too_long", max=service.MAX_DESCRIPTION)
    command = service.ReportClaim(
        reporter_id=ctx.person.id,
        school_id=school_id,
        kind=ClaimKind(draft["kind"]),
        discovered_at=parsed.at,
        description=description,
        items=tuple(items),
        damage_cause=DamageCause(draft["cause"]) if draft.get("cause") else None,
    )
    return command, parsed.time_given


# --- confirmation ----------------------------------------------------------------------------


@step("rok")
async def confirmed(ctx: Ctx, parts: list[str]) -> None:
    assert ctx.person is not None
    services = ctx.services
    if not parts:
        await refuse(ctx, "common.stale_button")
        return
    draft = await _load(ctx, parts[0])
    if draft is None:
        return
    if "discovered_at" not in draft:
        await refuse(ctx, "common.stale_button")
        return
    await ctx.interaction.response.defer(ephemeral=True, thinking=True)
    command = service.ReportClaim(
        reporter_id=ctx.person.id,
        school_id=int(draft["school_id"]),
        kind=ClaimKind(draft["kind"]),
        discovered_at=datetime.fromisoformat(draft["discovered_at"]),
        description=draft["what"].strip(),
        items=tuple(service.ItemRequest(tag, said) for tag, said in draft["items"]),
        damage_cause=DamageCause(draft["cause"]) if draft.get("cause") else None,
    )
    try:
        reported = await service.report_claim(services.db, command, services.clock.now())
    except DomainError as error:
        await say_error(ctx, error)
        return
    await drafts.drop(services.db, NAMESPACE, _key(ctx))
    claim = reported.claim
    await answer(
        ctx,
        ctx.t(
            body_variant("claim.report.done", claim.body_kind),
            number=claim.number,
            deadline=services.i18n.datetime(ctx.lang, claim.deadline),
        ),
        ephemeral=True,
    )
    await tell(
        ctx, await notices.after_report(services.db, services.i18n, services.settings, reported)
    )


@step("rno")
async def cancelled(ctx: Ctx, parts: list[str]) -> None:
    dropped = await drafts.drop(ctx.services.db, NAMESPACE, _key(ctx))
    await answer(
        ctx, ctx.t("common.cancelled" if dropped else "common.nothing_to_cancel"), ephemeral=True
    )


# --- registration ----------------------------------------------------------------------------


def register(client: PneDiscord) -> None:
    # Their clm: steps (found items and the body's payments in claim_recovery).
    from handlers.discord import (  # noqa: F401
        claim_follow,
        claim_more,
        claim_recovery,
        claim_staff,
    )

    claim_more.register_commands(client)
    tree = client.tree

    @tree.command(name=name("signaler"), description=described(client, "signaler"))
    @app_commands.describe(materiel=option(client, "discord.option.claim_items"))
    async def signaler(interaction: discord.Interaction, materiel: str | None = None) -> None:
        ctx = await context_of(client, interaction)
        await start(ctx, materiel)

    @signaler.autocomplete("materiel")
    async def tags_typed(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The tags of the person's schools completing the last one typed (the ones before
        are kept: « SEM-0001, SEM-00 » offers « SEM-0001, SEM-0002 »…)."""
        ctx = await context_of(client, interaction)
        if ctx.person is None or not can(ctx.person.role, Action.REPORT_CLAIM):
            return []
        before, _, last = current.rpartition(",")
        head = f"{before.strip()}, " if before.strip() else ""
        if len(head) > 60:
            return []
        found = await claim_lookup.reportable_tags(client.services.db, ctx.person.id, last)
        return [
            app_commands.Choice(name=f"{head}{tag}", value=f"{head}{tag}")
            for tag in found
            if len(head) + len(tag) <= 100
        ]
