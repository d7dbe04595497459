"""A flagging's card and the actions on it, on Discord (art. 3, 4).

The same services and cards as Telegram's (``handlers/telegram/collection_card.py``):

- ``col:view:<id>``: the card with its timeline and the person's actions
  (``CollectionCard.card_actions``: staff's repair or recycling of each SEM broken item, the
  body's agent's removal of its own, the withdrawal).
- ``col:dec:<item id>:repair|recycle`` (staff): the choice recorded, said, the buttons of
  the message tapped follow (that item's choice is made) and the card is shown again.
- ``col:rm:<id>`` (the body's agent): a form for the recycling centre's receipt number
  (empty: « Sans bon »), checked by the domain's rule (a refusal offers the form again, and
  « Sans bon »); ``col:noref:<id>`` goes on without one; then a confirmation naming the
  count, the number and the tags, « Oui » (``col:rmok:<nonce>``) recording the removal and
  telling staff, « Annuler » (``col:rmno:<nonce>``).
- ``col:wd:<id>`` (withdrawing it): a form for the reason, a confirmation naming what goes
  back in service (``col:wdok:<nonce>`` / ``col:wdno:<nonce>``), then staff (and the body
  when it had items of its own) told.

Free text cannot ride in a custom id: what a confirmation sends is a draft row under the
person (``bot.services.drafts``), its nonce in the buttons; a confirmation tapped twice,
an older one or another person's finds no draft and is refused as stale, and /annuler drops
it. No id is trusted: each tap parses strictly, checks the role and reads the flagging
through the service, which checks that the person follows it (another body's reads as
not found); the services check again when they write.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from bot.cards.collections import CollectionCard
from bot.domain import collections as rules
from bot.domain.collections import Decision
from bot.domain.errors import DomainError
from bot.domain.roles import Action, can
from bot.services import collection_notices as notices
from bot.services import collections as service
from bot.services import drafts
from bot.services.collections import CollectionView
from bot.services.delivery import actions
from handlers.discord.buttons import Steps, on, refuse
from handlers.discord.claim_follow import Form
from handlers.discord.claims import say_error
from handlers.discord.collections import _cut, _plain
from handlers.discord.context import Ctx, answer
from handlers.discord.render import components
from handlers.discord.telling import tell

NAMESPACE = "col"
REMOVING = "discord:collection_removal"
WITHDRAWING = "discord:collection_withdrawal"
MAX_TYPED = 4000  # the form takes any length: the domain says what is too long
_NUMBER = re.compile(r"[0-9]{1,10}")
_NONCE = re.compile(r"[0-9a-f]{1,16}")

Step = Callable[[Ctx, list[str]], Awaitable[None]]
step = Steps()


def _card(ctx: Ctx) -> CollectionCard:
    return CollectionCard(ctx.services.i18n, ctx.lang)


def _key(ctx: Ctx) -> str:
    assert ctx.person is not None
    return str(ctx.person.id)


def _id(text: str) -> int | None:
    """A number from a custom id, if it can be one of ours (never trusted)."""
    return int(text) if _NUMBER.fullmatch(text) and int(text) > 0 else None


@on(NAMESPACE)
async def tapped(ctx: Ctx, action: str) -> None:
    """Every ``col:`` button; an id of no known step is not honoured."""
    if ctx.person is None:
        await refuse(ctx, "discord.stranger")
        return
    await step.run(ctx, action)


async def _flagging(
    ctx: Ctx, parts: list[str], needed: Action | None = None, *, timeline: bool = False
) -> CollectionView | None:
    """The flagging a button names, if this person may act on it now (else said, None):
    the id read strictly, the role checked, the flagging read through the service (one
    the person does not follow is not found)."""
    assert ctx.person is not None
    collection_id = _id(parts[0]) if len(parts) == 1 else None
    if collection_id is None:
        await refuse(ctx, "common.stale_button")
        return None
    if needed is not None and not can(ctx.person.role, needed):
        await refuse(ctx, "common.error.forbidden")
        return None
    services = ctx.services
    try:
        return await service.collection_view(
            services.db, ctx.person.id, collection_id, services.clock.now(), timeline=timeline
        )
    except DomainError as error:
        await say_error(ctx, error)
        return None


async def _show(ctx: Ctx, view: CollectionView) -> None:
    assert ctx.person is not None
    card = _card(ctx)
    buttons = components(card.card_actions(view, ctx.person.role))
    await answer(ctx, card.card(view, timeline=True), view=buttons)


async def _load(ctx: Ctx, namespace: str, parts: list[str]) -> dict[str, Any] | None:
    """The draft a confirmation's nonce names; a stale one (gone, newer, or another
    person's) is refused with « Ce bouton n'est plus valable. »."""
    found = None
    if len(parts) == 1 and _NONCE.fullmatch(parts[0]):
        found = await drafts.load(ctx.services.db, namespace, _key(ctx), parts[0])
    if found is None:
        await refuse(ctx, "common.stale_button")
    return found


async def _cancelled(ctx: Ctx, namespace: str, parts: list[str]) -> None:
    if await _load(ctx, namespace, parts) is None:
        return
    await drafts.drop(ctx.services.db, namespace, _key(ctx))
    await answer(ctx, ctx.t("common.cancelled"), ephemeral=True)


# --- the card and staff's choice ---------------------------------------------------------------


@step("view")
async def show(ctx: Ctx, parts: list[str]) -> None:
    """« Voir le signalement »: the card, its timeline and the person's actions."""
    view = await _flagging(ctx, parts, timeline=True)
    if view is not None:
        await _show(ctx, view)


@step("dec")
async def decide(ctx: Ctx, parts: list[str]) -> None:
    """Staff: repair or recycle SEM's broken item."""
    assert ctx.person is not None
    item_id = _id(parts[0]) if len(parts) == 2 else None
    if item_id is None or parts[1] not in {d.value for d in Decision}:
        await refuse(ctx, "common.stale_button")
        return
    if not can(ctx.person.role, Action.MANAGE_EQUIPMENT):
        await refuse(ctx, "common.error.forbidden")
        return
    services = ctx.services
    try:
        view = await service.decide(
            services.db, ctx.person.id, item_id, parts[1], services.clock.now()
        )
    except DomainError as error:
        await say_error(ctx, error)
        return
    item = next(i for i in view.items if i.id == item_id)
    card = _card(ctx)
    if ctx.interaction.message is not None:
        # The buttons of the message tapped follow: this item's choice is made.
        await ctx.interaction.response.edit_message(view=components(card.staff_actions(view)))
    await answer(ctx, ctx.t(f"collection.decided.{Decision(parts[1]).value}", tag=item.asset_tag))
    await _show(ctx, view)


# --- the body's removal ------------------------------------------------------------------------


async def removable(ctx: Ctx, parts: list[str]) -> CollectionView | None:
    """The flagging whose own broken items the body's agent may say removed (else said)."""
    view = await _flagging(ctx, parts, Action.REMOVE_OWN_EQUIPMENT)
    if view is not None and not view.to_remove:
        await refuse(ctx, "collection.error.nothing_to_remove")
        return None
    return view


@step("rm")
async def removal_tapped(ctx: Ctx, parts: list[str]) -> None:
    """« Retrait et recyclage effectués »: the form for the receipt's number."""
    view = await removable(ctx, parts)
    if view is not None:
        await ctx.interaction.response.send_modal(RemovalForm(ctx, view))


class RemovalForm(Form):
    """The recycling centre's receipt number, if the body has one."""

    def __init__(self, ctx: Ctx, view: CollectionView) -> None:
        super().__init__(
            _plain(ctx.t("dcol.removal.form_title", number=view.number)),
            f"{NAMESPACE}:rmf:{view.id}:{secrets.token_hex(4)}",
        )
        self.collection_id = view.id
        self.field(
            "reference",
            _cut(_plain(ctx.t("dcol.removal.field_reference"))),
            placeholder=_cut(_plain(ctx.t("dcol.removal.field_reference_hint"))),
            required=False,
            max_length=MAX_TYPED,
        )

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        view = await removable(ctx, [str(self.collection_id)])
        if view is None:
            return
        typed = values.get("reference", "").strip()
        try:
            reference = rules.check_reference(typed) if typed else None
        except DomainError as error:
            rows = [
                [(ctx.t("dflows.form.again"), f"{NAMESPACE}:rm:{view.id}")],
                [(ctx.t("collection.removal.no_reference"), f"{NAMESPACE}:noref:{view.id}")],
            ]
            await say_error(ctx, error, components(actions(rows)))
            return
        await _ask_removal(ctx, view, reference)


@step("noref")
async def without_reference(ctx: Ctx, parts: list[str]) -> None:
    """« Sans bon »: the confirmation, without a receipt."""
    view = await removable(ctx, parts)
    if view is not None:
        await _ask_removal(ctx, view, None)


async def _ask_removal(ctx: Ctx, view: CollectionView, reference: str | None) -> None:
    services = ctx.services
    tags = [i.asset_tag for i in view.to_remove]
    draft = {
        "collection_id": view.id,
        "item_ids": [i.id for i in view.to_remove],
        "reference": reference,
    }
    nonce = await drafts.save(services.db, REMOVING, _key(ctx), draft, services.clock.now())
    card = _card(ctx)
    await answer(
        ctx,
        card.removal_confirmation(view.number, tags, reference),
        view=components(card.removal_confirm_actions(nonce)),
        ephemeral=True,
    )


@step("rmok")
async def removal_confirmed(ctx: Ctx, parts: list[str]) -> None:
    """« Oui, retirés et recyclés »: recorded once (its draft then goes), staff told."""
    assert ctx.person is not None
    draft = await _load(ctx, REMOVING, parts)
    if draft is None:
        return
    services = ctx.services
    try:
        view = await service.confirm_removal(
            services.db,
            ctx.person.id,
            int(draft["collection_id"]),
            [int(i) for i in draft["item_ids"]],
            services.clock.now(),
            reference=draft.get("reference"),
        )
    except DomainError as error:
        await say_error(ctx, error)
        return
    await drafts.drop(services.db, REMOVING, _key(ctx))
    await answer(ctx, ctx.t("collection.removal.done", number=view.number), ephemeral=True)
    await tell(
        ctx,
        await notices.after_removal(
            services.db, services.i18n, services.settings, view, ctx.person.full_name
        ),
    )


@step("rmno")
async def removal_cancelled(ctx: Ctx, parts: list[str]) -> None:
    await _cancelled(ctx, REMOVING, parts)


# --- withdrawing the flagging ------------------------------------------------------------------


async def withdrawable(ctx: Ctx, parts: list[str]) -> CollectionView | None:
    """The flagging this person may withdraw now: something of it still to be done."""
    view = await _flagging(ctx, parts, Action.FLAG_EQUIPMENT)
    if view is not None and (view.closed_at is not None or not view.pending):
        await refuse(ctx, "collection.error.cannot_withdraw")
        return None
    return view


@step("wd")
async def withdrawal_tapped(ctx: Ctx, parts: list[str]) -> None:
    """« Retirer le signalement »: the form for the reason."""
    view = await withdrawable(ctx, parts)
    if view is not None:
        await ctx.interaction.response.send_modal(WithdrawalForm(ctx, view))


class WithdrawalForm(Form):
    """Why the flagging is withdrawn, in a few words."""

    def __init__(self, ctx: Ctx, view: CollectionView) -> None:
        super().__init__(
            _plain(ctx.t("dcol.withdraw.form_title", number=view.number)),
            f"{NAMESPACE}:wdf:{view.id}:{secrets.token_hex(4)}",
        )
        self.collection_id = view.id
        self.field(
            "reason",
            _cut(_plain(ctx.t("dcol.withdraw.field_reason"))),
            style_paragraph=True,
            placeholder=_cut(_plain(ctx.t("dcol.withdraw.field_reason_hint"))),
            max_length=MAX_TYPED,
        )

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        view = await withdrawable(ctx, [str(self.collection_id)])
        if view is None:
            return
        try:
            reason = rules.check_withdrawal_reason(values.get("reason", ""))
        except DomainError as error:
            rows = [[(ctx.t("dflows.form.again"), f"{NAMESPACE}:wd:{view.id}")]]
            await say_error(ctx, error, components(actions(rows)))
            return
        services = ctx.services
        tags = [i.asset_tag for i in view.pending]
        draft = {"collection_id": view.id, "reason": reason}
        nonce = await drafts.save(services.db, WITHDRAWING, _key(ctx), draft, services.clock.now())
        card = _card(ctx)
        await answer(
            ctx,
            card.withdrawal_confirmation(view.number, tags, reason),
            view=components(card.withdrawal_confirm_actions(view.number, nonce)),
            ephemeral=True,
        )


@step("wdok")
async def withdrawal_confirmed(ctx: Ctx, parts: list[str]) -> None:
    """« Oui, retirer … »: withdrawn once (its draft then goes), the others told."""
    assert ctx.person is not None
    draft = await _load(ctx, WITHDRAWING, parts)
    if draft is None:
        return
    services = ctx.services
    reason = str(draft["reason"])
    try:
        view = await service.withdraw(
            services.db,
            ctx.person.id,
            int(draft["collection_id"]),
            reason,
            services.clock.now(),
        )
    except DomainError as error:
        await say_error(ctx, error)
        return
    await drafts.drop(services.db, WITHDRAWING, _key(ctx))
    await answer(ctx, ctx.t("collection.withdraw.done", number=view.number), ephemeral=True)
    await tell(
        ctx,
        await notices.after_withdrawal(
            services.db,
            services.i18n,
            services.settings,
            view,
            ctx.person.full_name,
            reason,
            besides=ctx.person.id,
        ),
    )


@step("wdno")
async def withdrawal_cancelled(ctx: Ctx, parts: list[str]) -> None:
    await _cancelled(ctx, WITHDRAWING, parts)
