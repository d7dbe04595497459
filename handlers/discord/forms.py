"""A form sent that no form of this process claims: shown before a restart (or timed out).

discord.py keeps each modal it showed in memory and hands a submission to it by its
custom id (``ViewStore.dispatch_modal``); a modal shown before the bot restarted is not
there any more, its submission is dropped, and the person would see Discord's
« interaction failed ». Here every such submission gets an answer (decision 0057):

- where the custom id names a step whose form can be built again from the database (the
  claims' forms: ``clm:dm`` a duty, ``clm:pf`` a pledge, ``clm:yf`` a payment, ``clm:cf``
  a closing, ``clm:rm`` a report's draft; the call's answers ``ami:m``; a flagging's
  removal ``col:rmf`` and withdrawal ``col:wdf``; a collection's place from works
  ``ntc:cpf``), the form is rebuilt for this person
  (every check of the button that opened it made again) and the values sent go to its own
  reading, so nothing typed is lost;
- any other form is said to have expired, in the person's language: its button opens it
  again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

import discord

from bot.domain.claims import Duty, Payer, PaymentMode
from bot.domain.roles import Action
from handlers.discord import calls, claims, collection_card, notice_card
from handlers.discord.buttons import refuse
from handlers.discord.claim_follow import DutyForm, Form, PledgeForm, claim_named
from handlers.discord.claim_staff import CloseForm, PaymentForm
from handlers.discord.context import Ctx, answer, answer_error, context_of

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord

log = logging.getLogger(__name__)
MAX_VALUE = 4000  # Discord's longest text input

# (namespace, step) of a form's custom id → what reads its submission again.
Rebuild = Callable[[Ctx, list[str], dict[str, str]], Awaitable[None]]
REBUILT: dict[tuple[str, str], Rebuild] = {}


def rebuilt(namespace: str, step: str) -> Callable[[Rebuild], Rebuild]:
    def add(handler: Rebuild) -> Rebuild:
        REBUILT[(namespace, step)] = handler
        return handler

    return add


def claimed(client: discord.Client, interaction: discord.Interaction[Any]) -> bool:
    """Did a form shown by this process take this submission? discord.py hands it, while
    parsing the event and before ``on_interaction`` runs, to the modal it keeps under the
    custom id; that modal leaves its store only once it has answered (or timed out)."""
    data: dict[str, Any] = dict(interaction.data or {})
    modals = client._connection._view_store._modals
    return str(data.get("custom_id")) in modals or interaction.response.is_done()


def values_of(components: Any) -> dict[str, str]:
    """The text inputs of a submission (``custom_id`` → value), read defensively: the rows
    of text inputs and the labels around them, nothing else."""
    found: dict[str, str] = {}

    def walk(nodes: Iterable[Any]) -> None:
        for node in nodes:
            if not isinstance(node, dict):
                continue
            if node.get("type") == 1 and isinstance(node.get("components"), list):
                walk(node["components"])
            elif node.get("type") == 18 and isinstance(node.get("component"), dict):
                walk([node["component"]])
            elif node.get("type") == 4:
                key, value = node.get("custom_id"), node.get("value")
                if isinstance(key, str) and isinstance(value, str) and len(key) <= 100:
                    found[key] = value[:MAX_VALUE]

    if isinstance(components, list):
        walk(components)
    return found


async def lost(client: PneDiscord, interaction: discord.Interaction[Any]) -> None:
    """Answer a submission no live form claims: read again if its form can be rebuilt,
    else the form said expired."""
    data: dict[str, Any] = dict(interaction.data or {})
    custom_id = str(data.get("custom_id") or "")[:100]
    ctx = await context_of(client, interaction)
    parts = custom_id.split(":")
    handler = REBUILT.get((parts[0], parts[1])) if len(parts) > 2 else None
    log.info("discord: form %s submitted after its modal was gone", custom_id)
    try:
        if handler is None:
            await answer(ctx, ctx.t("dform.expired"), ephemeral=True)
        elif ctx.person is None:
            await answer(ctx, ctx.t("discord.stranger"), ephemeral=True)
        else:
            await handler(ctx, parts[2:], values_of(data.get("components")))
    except Exception:
        log.exception("discord: the lost form %s failed", custom_id)
        await answer_error(client, interaction)


def typed(form: discord.ui.Modal, values: dict[str, str]) -> dict[str, str]:
    """What was sent in the rebuilt form's own fields only, as its submit reads them
    (stripped, within each field's length); a field not sent is empty."""
    kept: dict[str, str] = {}
    for item in form.walk_children():
        if isinstance(item, discord.ui.TextInput) and item.custom_id:
            value = values.get(item.custom_id, "").strip()
            kept[item.custom_id] = value[: item.max_length] if item.max_length else value
    return kept


async def _read(ctx: Ctx, form: Form, values: dict[str, str]) -> None:
    await form.read(ctx, typed(form, values))


# --- the claims' forms ---------------------------------------------------------------------


@rebuilt("clm", "dm")
async def _duty(ctx: Ctx, parts: list[str], values: dict[str, str]) -> None:
    claim = await claim_named(ctx, parts[:1])
    if claim is None:
        return
    duty = parts[1] if len(parts) == 2 else None
    if duty not in {d.value for d in Duty} or Duty(duty) not in claim.pending_duties:
        await answer(
            ctx, ctx.t("claim.follow.duty_already_done", number=claim.number), ephemeral=True
        )
        return
    await _read(ctx, DutyForm(ctx, claim, Duty(duty)), values)


@rebuilt("clm", "pf")
async def _pledge(ctx: Ctx, parts: list[str], values: dict[str, str]) -> None:
    if len(parts) != 2 or parts[1] not in {m.value for m in PaymentMode}:
        await refuse(ctx, "common.stale_button")
        return
    claim = await claim_named(ctx, parts[:1])
    if claim is None:
        return
    await _read(ctx, PledgeForm(ctx, claim, PaymentMode(parts[1])), values)


@rebuilt("clm", "yf")
async def _payment(ctx: Ctx, parts: list[str], values: dict[str, str]) -> None:
    if len(parts) != 2 or parts[1] not in {p.value for p in Payer}:
        await refuse(ctx, "common.stale_button")
        return
    claim = await claim_named(ctx, parts[:1], Action.MANAGE_CLAIM)
    if claim is None:
        return
    await _read(ctx, PaymentForm(ctx, claim, Payer(parts[1])), values)


@rebuilt("clm", "cf")
async def _close(ctx: Ctx, parts: list[str], values: dict[str, str]) -> None:
    if len(parts) != 1:
        await refuse(ctx, "common.stale_button")
        return
    claim = await claim_named(ctx, parts, Action.MANAGE_CLAIM)
    if claim is None:
        return
    await _read(ctx, CloseForm(ctx, claim), values)


@rebuilt("clm", "rm")
async def _report(ctx: Ctx, parts: list[str], values: dict[str, str]) -> None:
    """The report's form answers its draft (its nonce): read as its submit reads it; a
    draft moved on meanwhile is refused as stale by ``claims.submitted``."""
    if len(parts) != 1:
        await refuse(ctx, "common.stale_button")
        return
    form = claims.ReportForm(ctx, parts[0], {})
    await claims.submitted(ctx, parts[0], typed(form, values))


# --- the call's answers ----------------------------------------------------------------------


@rebuilt("ami", "m")
async def _answers(ctx: Ctx, parts: list[str], values: dict[str, str]) -> None:
    await calls.form_lost(ctx, parts, values)


# --- a flagging's removal and withdrawal ------------------------------------------------------


@rebuilt("col", "rmf")
async def _removal(ctx: Ctx, parts: list[str], values: dict[str, str]) -> None:
    """``col:rmf:<id>:<token>``: the receipt's form, for a flagging still to remove."""
    view = await collection_card.removable(ctx, parts[:1])
    if view is not None:
        await _read(ctx, collection_card.RemovalForm(ctx, view), values)


@rebuilt("col", "wdf")
async def _withdrawal(ctx: Ctx, parts: list[str], values: dict[str, str]) -> None:
    """``col:wdf:<id>:<token>``: the reason's form, for a flagging still to withdraw."""
    view = await collection_card.withdrawable(ctx, parts[:1])
    if view is not None:
        await _read(ctx, collection_card.WithdrawalForm(ctx, view), values)


# --- a collection planned from works -----------------------------------------------------------


@rebuilt("ntc", "cpf")
async def _collection_place(ctx: Ctx, parts: list[str], values: dict[str, str]) -> None:
    """``ntc:cpf:<nonce>:<chosen>``: the place's form, for the person's collection draft."""
    form = notice_card.PlaceForm(ctx, "0", 1)
    await notice_card.place_sent(ctx, parts, typed(form, values))
