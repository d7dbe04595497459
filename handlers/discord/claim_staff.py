"""Staff's buttons on a claim's notice on Discord: the complete dossier, a payment, closing.

The same services as Telegram's (``handlers/telegram/claim_follow.py``): « 📁 Dossier
complet » asks to confirm, naming what the checklist lacks; « 🗂 Clore » opens
a modal for the reason, then a confirmation that names the claim and the reason; « 💶
Enregistrer un paiement » asks who paid (a select), then a modal for the amount (what is
still owed offered) and the day, then a confirmation. The service checks on arrival and
when it writes that the person manages claims; its notices go out through the router.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.cards.claims import ClaimCard
from bot.domain import claims as rules
from bot.domain.bodies import body_variant
from bot.domain.claims import DossierPiece, Payer
from bot.domain.dates import local_date, parse_calendar_day
from bot.domain.directory import parse_amount_eur
from bot.domain.errors import DomainError
from bot.domain.roles import Action
from bot.i18n import Safe
from bot.services import claim_notices as notices
from bot.services import claims as service
from bot.services import drafts
from bot.services.delivery import actions
from handlers.discord.buttons import refuse
from handlers.discord.claim_follow import Form, again_button, claim_named
from handlers.discord.claims import say_error, select_menu, step
from handlers.discord.context import Ctx, answer
from handlers.discord.render import components
from handlers.discord.telling import tell

CLOSING = "discord:claim_close"
PAYING = "discord:claim_payment"
COMPLETING = "discord:claim_complete"
MAX_REASON = 1000  # as on Telegram


async def _managed(ctx: Ctx, parts: list[str]) -> service.ClaimView | None:
    return await claim_named(ctx, parts, Action.MANAGE_CLAIM)


# --- closing ---------------------------------------------------------------------------------


@step("close")
async def close_tapped(ctx: Ctx, parts: list[str]) -> None:
    claim = await _managed(ctx, parts)
    if claim is None:
        return
    await ctx.interaction.response.send_modal(CloseForm(ctx, claim))


class CloseForm(Form):
    def __init__(self, ctx: Ctx, claim: service.ClaimView) -> None:
        super().__init__(ctx.t("discord.claim.close_modal_title"), f"clm:cf:{claim.id}")
        self.claim_id = claim.id
        self.field(
            "reason",
            ctx.t("discord.claim.field_reason"),
            required=False,
            max_length=MAX_REASON,
            style_paragraph=True,
        )

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        assert ctx.person is not None
        claim = await _managed(ctx, [str(self.claim_id)])
        if claim is None:
            return
        reason = values.get("reason", "").strip()
        nonce = await drafts.save(
            ctx.services.db,
            CLOSING,
            str(ctx.person.id),
            {"claim_id": claim.id, "reason": reason},
            ctx.services.clock.now(),
        )
        rows = [
            [(ctx.t("claim.button.close"), f"clm:cok:{nonce}")],
            [(ctx.t("common.button.cancel"), f"clm:cno:{nonce}")],
        ]
        text = ctx.t("claim.follow.confirm_close", number=claim.number, reason=reason or "—")
        await answer(ctx, text, view=components(actions(rows)), ephemeral=True)


@step("cok")
async def close_confirmed(ctx: Ctx, parts: list[str]) -> None:
    assert ctx.person is not None
    services = ctx.services
    key = str(ctx.person.id)
    draft = await drafts.load(services.db, CLOSING, key, parts[0]) if parts else None
    if draft is None:
        await refuse(ctx, "common.stale_button")
        return
    reason = str(draft.get("reason") or "") or None
    claim_id = int(draft["claim_id"])
    try:
        claim = await service.close_claim(
            services.db, ctx.person.id, claim_id, reason=reason, now=services.clock.now()
        )
    except DomainError as error:
        await say_error(ctx, error, again_button(ctx, f"clm:close:{claim_id}"))
        return
    await drafts.drop(services.db, CLOSING, key)
    await answer(ctx, ctx.t("claim.follow.closed", number=claim.number), ephemeral=True)
    await tell(
        ctx,
        await notices.after_close(
            services.db, services.i18n, claim, reason, closed_by=ctx.person.id
        ),
    )


@step("cno")
async def close_cancelled(ctx: Ctx, parts: list[str]) -> None:
    await _cancelled(ctx, CLOSING)


# --- the complete dossier -------------------------------------------------------------------


@step("complete")
async def complete_tapped(ctx: Ctx, parts: list[str]) -> None:
    """The confirmation names what the checklist still lacks; staff confirm it complete
    anyway with those pieces only (the service refuses a piece gone missing since)."""
    assert ctx.person is not None
    claim = await _managed(ctx, parts)
    if claim is None:
        return
    services = ctx.services
    i18n = services.i18n
    confirm = dict(
        number=claim.number,
        body=claim.body_name,
        amount=i18n.money(ctx.lang, service.amount_due_at_completion(claim) or Decimal(0)),
        pledged=i18n.money(ctx.lang, claim.pledge.amount if claim.pledge else Decimal(0)),
    )
    key = body_variant("claim.follow.confirm_complete", claim.body_kind)
    missing = claim.missing_pieces
    draft = {"claim_id": claim.id, "missing": [p.value for p in missing]}
    nonce = await drafts.save(
        services.db, COMPLETING, str(ctx.person.id), draft, services.clock.now()
    )
    if missing:
        card = ClaimCard(i18n, ctx.lang)
        text = ctx.t(
            "claim.follow.confirm_complete_missing",
            missing=Safe(card.pieces(missing)),
            checklist=Safe(card.checklist_lines(claim)),
            confirm=Safe(ctx.t(key, **confirm)),
        )
        button = "claim.button.confirm_complete_anyway"
    else:
        text, button = ctx.t(key, **confirm), "claim.button.confirm_complete"
    rows = [
        [(ctx.t(button), f"clm:kok:{nonce}")],
        [(ctx.t("common.button.cancel"), f"clm:kno:{nonce}")],
    ]
    await answer(ctx, text, view=components(actions(rows)), ephemeral=True)


@step("kok")
async def complete_confirmed(ctx: Ctx, parts: list[str]) -> None:
    assert ctx.person is not None
    services = ctx.services
    key = str(ctx.person.id)
    draft = await drafts.load(services.db, COMPLETING, key, parts[0]) if parts else None
    if draft is None:
        await refuse(ctx, "common.stale_button")
        return
    try:
        claim = await service.mark_complete(
            services.db,
            ctx.person.id,
            int(draft["claim_id"]),
            now=services.clock.now(),
            accepted_missing=tuple(DossierPiece(p) for p in draft.get("missing", [])),
        )
    except DomainError as error:
        await say_error(ctx, error)
        return
    await drafts.drop(services.db, COMPLETING, key)
    assert claim.payment_deadline is not None
    text = ctx.t(
        body_variant("claim.follow.completed", claim.body_kind),
        number=claim.number,
        body=claim.body_name,
        pay_by=services.i18n.date(ctx.lang, claim.payment_deadline),
    )
    await answer(ctx, text, ephemeral=True)
    await tell(
        ctx, await notices.to_body(services.db, services.i18n, claim, "claim.notify.completed")
    )


@step("kno")
async def complete_cancelled(ctx: Ctx, parts: list[str]) -> None:
    await _cancelled(ctx, COMPLETING)


async def _cancelled(ctx: Ctx, namespace: str) -> None:
    assert ctx.person is not None
    dropped = await drafts.drop(ctx.services.db, namespace, str(ctx.person.id))
    await answer(
        ctx, ctx.t("common.cancelled" if dropped else "common.nothing_to_cancel"), ephemeral=True
    )


# --- a payment -------------------------------------------------------------------------------


@step("pay")
async def payment_tapped(ctx: Ctx, parts: list[str]) -> None:
    claim = await _managed(ctx, parts)
    if claim is None:
        return
    card = ClaimCard(ctx.services.i18n, ctx.lang)
    choices = [(card.payer(p.value, claim.body_kind), p.value) for p in Payer]
    view = select_menu(f"clm:ppay:{claim.id}", ctx.t("discord.claim.pick_payer"), choices)
    await answer(ctx, ctx.t("claim.follow.ask_payer"), view=view, ephemeral=True)


@step("ppay")
async def payer_chosen(ctx: Ctx, parts: list[str]) -> None:
    if len(parts) != 2 or parts[1] not in {p.value for p in Payer}:
        await refuse(ctx, "common.stale_button")
        return
    claim = await _managed(ctx, parts)
    if claim is None:
        return
    await ctx.interaction.response.send_modal(PaymentForm(ctx, claim, Payer(parts[1])))


class PaymentForm(Form):
    def __init__(self, ctx: Ctx, claim: service.ClaimView, payer: Payer) -> None:
        super().__init__(
            ctx.t("discord.claim.payment_modal_title"), f"clm:yf:{claim.id}:{payer.value}"
        )
        self.claim_id, self.payer = claim.id, payer
        self.outstanding = claim.outstanding
        suggested = ctx.services.i18n.money(ctx.lang, claim.outstanding or Decimal(0))
        self.field(
            "amount", ctx.t("discord.claim.field_paid_amount"), default=suggested, max_length=30
        )
        self.field(
            "paid_on",
            ctx.t("discord.claim.field_paid_on"),
            default=ctx.t("claim.button.today"),
            max_length=30,
        )

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        services = ctx.services
        today = local_date(services.clock.now(), services.settings.tz)
        retry = again_button(ctx, f"clm:ppay:{self.claim_id}:{self.payer.value}")
        try:
            amount = parse_amount_eur(values["amount"])
            if self.outstanding is not None:  # else the service refuses (no pledge yet)
                rules.check_payment_amount(amount, self.outstanding)
            paid_on = rules.check_payment_day(parse_calendar_day(values["paid_on"], today), today)
        except DomainError as error:
            await say_error(ctx, error, retry)
            return
        claim = await _managed(ctx, [str(self.claim_id)])
        if claim is None:
            return
        assert ctx.person is not None
        card = ClaimCard(services.i18n, ctx.lang)
        draft = {
            "claim_id": self.claim_id,
            "payer": self.payer.value,
            "amount": str(amount),
            "paid_on": paid_on.isoformat(),
        }
        nonce = await drafts.save(
            services.db, PAYING, str(ctx.person.id), draft, services.clock.now()
        )
        rows: list[list[tuple[str, str]]] = [
            [(ctx.t("claim.button.record_payment"), f"clm:yok:{nonce}")],
            [(ctx.t("claim.button.fix"), f"clm:ppay:{self.claim_id}:{self.payer.value}")],
        ]
        text = ctx.t(
            "claim.follow.confirm_payment_by",
            number=claim.number,
            payer=card.payer(self.payer.value, claim.body_kind),
            amount=services.i18n.money(ctx.lang, amount),
            paid_on=services.i18n.date(ctx.lang, paid_on),
        )
        await answer(ctx, text, view=components(actions(rows)), ephemeral=True)


@step("yok")
async def payment_confirmed(ctx: Ctx, parts: list[str]) -> None:
    """« ✅ Enregistrer le paiement »: recorded once (its draft then goes)."""
    assert ctx.person is not None
    services = ctx.services
    key = str(ctx.person.id)
    draft = await drafts.load(services.db, PAYING, key, parts[0]) if parts else None
    if draft is None:
        await refuse(ctx, "common.stale_button")
        return
    try:
        claim, full = await service.record_payment(
            services.db,
            ctx.person.id,
            int(draft["claim_id"]),
            amount=Decimal(draft["amount"]),
            paid_on=date.fromisoformat(draft["paid_on"]),
            payer=Payer(draft["payer"]),
            now=services.clock.now(),
        )
    except DomainError as error:
        await say_error(ctx, error)
        return
    await drafts.drop(services.db, PAYING, key)
    key_text = "claim.follow.paid_in_full" if full else "claim.follow.payment_saved"
    outstanding = services.i18n.money(ctx.lang, claim.outstanding or Decimal(0))
    await answer(ctx, ctx.t(key_text, number=claim.number, outstanding=outstanding), ephemeral=True)
    if full:
        await tell(
            ctx,
            await notices.to_body(services.db, services.i18n, claim, "claim.notify.closed_paid"),
        )
