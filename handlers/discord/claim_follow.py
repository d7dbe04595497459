"""The buttons of a claim's notice on Discord: the body's 48-hour duties and its pledge.

The same services as Telegram's follow-up dialogues (``handlers/telegram/claim_follow.py``):
a duty's button opens a modal (when it was done, and the complaint's reference where the
domain wants one), a pledge's button asks who pays (a select), then a modal for the amount
and the planned day, and a confirmation that names them. Every button carries a claim id
that is never trusted: the service checks that the claim exists and that this person is
one of its body's agents (or may follow it), on arrival and again when it writes.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import discord

from bot.cards.claims import ClaimCard
from bot.domain import claims as rules
from bot.domain.claims import DUTIES_NEEDING_REFERENCE, Duty, PaymentMode
from bot.domain.dates import local_date, parse_calendar_day, parse_discovery_detail
from bot.domain.directory import parse_amount_eur
from bot.domain.errors import DomainError
from bot.domain.roles import Action, can
from bot.i18n import Safe
from bot.services import claim_notices as notices
from bot.services import claims as service
from bot.services import drafts
from bot.services.delivery import actions
from handlers.discord.buttons import refuse
from handlers.discord.claims import FORM_TIMEOUT, say_error, select_menu, step
from handlers.discord.context import Ctx, answer, context_of
from handlers.discord.render import components
from handlers.discord.telling import tell

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord

log = logging.getLogger(__name__)
MAX_REFERENCE = 120  # as on Telegram
PLEDGING = "discord:claim_pledge"


def _claim_id(parts: list[str]) -> int | None:
    return int(parts[0]) if parts and parts[0].isdigit() and len(parts[0]) <= 10 else None


async def claim_named(
    ctx: Ctx, parts: list[str], needed: Action = Action.FOLLOW_CLAIM
) -> service.ClaimView | None:
    """The claim a button names, if this person may act on it now (else said, None)."""
    assert ctx.person is not None
    claim_id = _claim_id(parts)
    if claim_id is None:
        await refuse(ctx, "common.stale_button")
        return None
    if not can(ctx.person.role, needed):
        await refuse(ctx, "common.error.forbidden")
        return None
    services = ctx.services
    try:
        return await service.claim_view(services.db, ctx.person.id, claim_id, services.clock.now())
    except DomainError as error:
        await say_error(ctx, error)
        return None


class Form(discord.ui.Modal):
    """A modal whose answer goes to ``read(ctx, values)``."""

    def __init__(self, title: str, custom_id: str) -> None:
        super().__init__(title=title[:45], custom_id=custom_id, timeout=FORM_TIMEOUT)
        self.fields: dict[str, discord.ui.TextInput[Any]] = {}

    def field(self, key: str, label: str, *, style_paragraph: bool = False, **options: Any) -> None:
        style = discord.TextStyle.paragraph if style_paragraph else discord.TextStyle.short
        item: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=label, custom_id=key, style=style, **options
        )
        self.fields[key] = item
        self.add_item(item)

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        """What the form does with its answers (each form its own)."""
        raise NotImplementedError(type(self).__name__)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        client: PneDiscord = interaction.client  # type: ignore[assignment]
        ctx = await context_of(client, interaction)
        if ctx.person is None:
            await answer(ctx, ctx.t("discord.stranger"))
            return
        await self.read(ctx, {k: f.value.strip() for k, f in self.fields.items()})

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]
        from handlers.discord.context import answer_error

        log.error("discord: claim form %s failed", self.custom_id, exc_info=error)
        await answer_error(interaction.client, interaction, error)  # type: ignore[arg-type]


def again_button(ctx: Ctx, action: str) -> discord.ui.View | None:
    """« ✏️ Corriger »: the button that offers the refused form again."""
    return components(actions([[(ctx.t("claim.button.fix"), action)]]))


# --- the body's duties -----------------------------------------------------------------------


@step("duty")
async def duty_tapped(ctx: Ctx, parts: list[str]) -> None:
    claim = await claim_named(ctx, parts)
    if claim is None:
        return
    duty = parts[1] if len(parts) == 2 else None
    if duty not in {d.value for d in Duty} or Duty(duty) not in claim.pending_duties:
        await answer(
            ctx, ctx.t("claim.follow.duty_already_done", number=claim.number), ephemeral=True
        )
        return
    await ctx.interaction.response.send_modal(DutyForm(ctx, claim, Duty(duty)))


class DutyForm(Form):
    def __init__(self, ctx: Ctx, claim: service.ClaimView, duty: Duty) -> None:
        title = f"{claim.number} — {ctx.t(f'claim.duty.{duty.value}')}"
        super().__init__(title, f"clm:dm:{claim.id}:{duty.value}")
        self.claim_id, self.duty, self.discovered_at = claim.id, duty, claim.discovered_at
        self.field(
            "done_at",
            ctx.t("discord.claim.field_done_at"),
            default=ctx.t("claim.button.now").strip(),
            max_length=100,
        )
        if duty in DUTIES_NEEDING_REFERENCE:
            self.field(
                "reference", ctx.t("discord.claim.field_reference"), max_length=MAX_REFERENCE
            )

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        assert ctx.person is not None
        services = ctx.services
        now = services.clock.now()
        again = again_button(ctx, f"clm:duty:{self.claim_id}:{self.duty.value}")
        try:
            typed = values["done_at"]
            # « Maintenant » (the form's default) or a moment, read as Telegram reads it.
            done_at = parse_discovery_detail(typed, now, services.settings.tz).at
            rules.check_duty_time(self.duty, done_at, discovered_at=self.discovered_at, now=now)
            reference = values.get("reference")
            if self.duty in DUTIES_NEEDING_REFERENCE and not reference:
                raise DomainError("claim.follow.ask_reference")
            claim = await service.confirm_duty(
                services.db,
                ctx.person.id,
                self.claim_id,
                self.duty,
                done_at=done_at,
                reference=reference or None,
                now=now,
            )
        except DomainError as error:
            await say_error(ctx, error, again)
            return
        card = ClaimCard(services.i18n, ctx.lang)
        key = "claim.follow.duty_saved" if claim.pending_duties else "claim.follow.duties_all_done"
        text = ctx.t(key, number=claim.number, duties=Safe(card.duty_lines(claim)))
        await answer(ctx, text, view=components(card.duty_actions(claim)), ephemeral=True)


# --- the pledge ------------------------------------------------------------------------------


@step("pledge")
async def pledge_tapped(ctx: Ctx, parts: list[str]) -> None:
    claim = await claim_named(ctx, parts)
    if claim is None:
        return
    card = ClaimCard(ctx.services.i18n, ctx.lang)
    choices = [(card.mode(m.value, claim.body_kind), m.value) for m in PaymentMode]
    view = select_menu(f"clm:pmode:{claim.id}", ctx.t("discord.claim.pick_mode"), choices)
    await answer(ctx, ctx.t("claim.follow.ask_pledge_mode"), view=view, ephemeral=True)


@step("pmode")
async def pledge_mode_chosen(ctx: Ctx, parts: list[str]) -> None:
    if len(parts) != 2 or parts[1] not in {m.value for m in PaymentMode}:
        await refuse(ctx, "common.stale_button")
        return
    claim = await claim_named(ctx, parts)
    if claim is None:
        return
    await ctx.interaction.response.send_modal(PledgeForm(ctx, claim, PaymentMode(parts[1])))


class PledgeForm(Form):
    def __init__(self, ctx: Ctx, claim: service.ClaimView, mode: PaymentMode) -> None:
        super().__init__(
            ctx.t("discord.claim.pledge_modal_title"), f"clm:pf:{claim.id}:{mode.value}"
        )
        self.claim_id, self.mode = claim.id, mode
        # The refund by age, as Telegram's « Retenir … » button offers it.
        suggested = ctx.services.i18n.money(ctx.lang, claim.total_refund)
        self.field("amount", ctx.t("discord.claim.field_amount"), default=suggested, max_length=30)
        self.field("planned", ctx.t("discord.claim.field_planned"), max_length=30)

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        services = ctx.services
        today = local_date(services.clock.now(), services.settings.tz)
        again = again_button(ctx, f"clm:pmode:{self.claim_id}:{self.mode.value}")
        try:
            amount = parse_amount_eur(values["amount"])
            if amount < 0:
                raise DomainError("claim.error.negative_amount", amount=amount)
            planned = parse_calendar_day(values["planned"], today, future=True)
            rules.check_pledge_date(planned, today)
            claim = await claim_named(ctx, [str(self.claim_id)])
        except DomainError as error:
            await say_error(ctx, error, again)
            return
        if claim is None:
            return
        assert ctx.person is not None
        card = ClaimCard(services.i18n, ctx.lang)
        draft = {
            "claim_id": self.claim_id,
            "mode": self.mode.value,
            "amount": str(amount),
            "planned_on": planned.isoformat(),
        }
        nonce = await drafts.save(
            services.db, PLEDGING, str(ctx.person.id), draft, services.clock.now()
        )
        rows = [
            [(ctx.t("claim.button.send_pledge"), f"clm:pok:{nonce}")],
            [(ctx.t("claim.button.fix"), f"clm:pmode:{self.claim_id}:{self.mode.value}")],
        ]
        text = ctx.t(
            "claim.follow.confirm_pledge",
            number=claim.number,
            amount=services.i18n.money(ctx.lang, amount),
            mode=card.mode(self.mode.value, claim.body_kind),
            planned=services.i18n.date(ctx.lang, planned),
        )
        await answer(ctx, text, view=components(actions(rows)), ephemeral=True)


@step("pok")
async def pledge_confirmed(ctx: Ctx, parts: list[str]) -> None:
    """« ✅ Envoyer la fiche »: the pledge the form described, once (its draft then goes)."""
    assert ctx.person is not None
    services = ctx.services
    key = str(ctx.person.id)
    draft = await drafts.load(services.db, PLEDGING, key, parts[0]) if parts else None
    if draft is None:
        await refuse(ctx, "common.stale_button")
        return
    try:
        claim = await service.record_pledge(
            services.db,
            ctx.person.id,
            int(draft["claim_id"]),
            amount=Decimal(draft["amount"]),
            mode=PaymentMode(draft["mode"]),
            planned_on=date.fromisoformat(draft["planned_on"]),
            now=services.clock.now(),
        )
    except DomainError as error:
        await say_error(ctx, error)
        return
    await drafts.drop(services.db, PLEDGING, key)
    await answer(ctx, ctx.t("claim.follow.pledge_saved", number=claim.number), ephemeral=True)
    # Art. 6: the pledge goes « à l'attention de l'assistante du Plan Numérique ».
    await tell(ctx, await notices.pledged(services.db, services.i18n, services.settings, claim))
