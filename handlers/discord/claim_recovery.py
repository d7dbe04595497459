"""Items found again and the body's own payments on Discord (art. 6, decisions 0017, 0018,
0027): the buttons of a claim's notice that Telegram's follow-up dialogues answer.

The same services as Telegram's (``handlers/telegram/claim_follow.py``), the same cards
and texts:

- « 🔙 Objets retrouvés » (``clm:recov``): every item not found yet is chosen; a tap on an
  item takes it out or puts it back (the message is edited in place), « ✔️ Terminé »
  opens a modal for when the body or SEM were told, and — for staff — each item's damage
  (one field an item, five fields a modal: more items are taken in turns). The body's
  agent then reports them to SEM; staff record them. Staff confirm what the body
  reported (``clm:recok``: the damages' modal), dismiss it with a reason (``clm:recdis``),
  and answer a request to take items back (``clm:recdec``); the body asks (``clm:recreq``).
- « 💶 Déclarer un paiement fait » (``clm:bpay``): who paid (a select), a modal for the
  amount and the day, then a private message to answer with the proof (its request rides
  in a disabled button, ``clm:bproof:<draft>``, read again by ``files.on_message``); staff
  confirm or reject it (``clm:pconf`` / ``clm:prej``, the reason in a modal).

Each step re-reads the claim through ``claim_named`` (the person must still be allowed to
act on it); what waits for a confirmation is a draft row whose nonce rides in the buttons,
so that a confirmation tapped twice, or an older one, writes nothing (decision 0053).
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import discord

from bot.cards.claims import ClaimCard, error_params
from bot.domain import claims as rules
from bot.domain.bodies import body_variant
from bot.domain.claims import Payer, RecoveryState
from bot.domain.dates import local_date, parse_calendar_day, parse_discovery_detail
from bot.domain.directory import parse_amount_eur
from bot.domain.errors import DomainError
from bot.domain.platforms import DISCORD
from bot.domain.roles import Action, Role, can
from bot.i18n import Safe
from bot.services import claims as service
from bot.services import drafts, recovery_notices
from bot.services.access import Actor
from bot.services.delivery import actions
from handlers.discord.buttons import refuse
from handlers.discord.claim_follow import Form, again_button, claim_named
from handlers.discord.claims import say_error, select_menu, step
from handlers.discord.context import Ctx, answer
from handlers.discord.files import NO_PINGS, REPLY_TAKERS, file_ref
from handlers.discord.render import components, markdown, split
from handlers.discord.telling import tell

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord

log = logging.getLogger(__name__)

RECOVERING = "discord:claim_recovery"
ANSWERING = "discord:claim_recovery_answer"
BODY_PAYING = "discord:claim_body_payment"
REVIEWING = "discord:claim_payment_review"
ITEMS_PER_PAGE = 20  # four rows of five; the fifth row pages, ends and cancels
PER_ROW = 5
FIELDS_PER_FORM = 5  # Discord's limit of a modal
MAX_LABEL = 45  # a modal's field label
MAX_NONCE = 16
MAX_REASON = 1000  # as on Telegram
# Who may say they paid: the body, from its funds or its indemnity, or its insurer.
BODY_PAYERS = (Payer.BODY_FUNDS, Payer.BODY_INDEMNITY, Payer.INSURER)
_PROOF = re.compile(r"^clm:bproof:([0-9a-f]{1,16})$")


def _key(ctx: Ctx) -> str:
    assert ctx.person is not None
    return str(ctx.person.id)


def _is_staff(ctx: Ctx) -> bool:
    return ctx.person is not None and ctx.person.role == Role.STAFF


async def _save(ctx: Ctx, namespace: str, draft: dict[str, Any]) -> str:
    return await drafts.save(ctx.services.db, namespace, _key(ctx), draft, ctx.services.clock.now())


async def _load(ctx: Ctx, namespace: str, parts: list[str]) -> dict[str, Any] | None:
    """The draft a button names by its nonce; an older or spent one is refused."""
    nonce = parts[0] if len(parts) == 1 and 0 < len(parts[0]) <= MAX_NONCE else None
    found = await drafts.load(ctx.services.db, namespace, _key(ctx), nonce) if nonce else None
    if found is None:
        await refuse(ctx, "common.stale_button")
    return found


async def _cancelled(ctx: Ctx, namespace: str, parts: list[str]) -> None:
    if await _load(ctx, namespace, parts) is None:
        return
    await drafts.drop(ctx.services.db, namespace, _key(ctx))
    await answer(ctx, ctx.t("common.cancelled"), ephemeral=True)


def _digits(raw: str) -> bool:
    return raw.isdigit() and len(raw) <= 10


def _money(ctx: Ctx, amount: Decimal) -> str:
    return ctx.services.i18n.money(ctx.lang, amount)


def _card(ctx: Ctx) -> ClaimCard:
    return ClaimCard(ctx.services.i18n, ctx.lang)


async def _edit(ctx: Ctx, html: str, view: discord.ui.View | None) -> None:
    """The tapped message again, changed (an item chosen or not); a text too long for one
    message is answered anew instead."""
    parts = split(markdown(html))
    if len(parts) == 1 and not ctx.interaction.response.is_done():
        await ctx.interaction.response.edit_message(content=parts[0], view=view)
    else:
        await answer(ctx, html, view=view, ephemeral=True)


def _confirm_rows(
    ctx: Ctx, button: str, confirm: str, cancel: str, fix: str | None = None
) -> discord.ui.View | None:
    rows = [[(ctx.t(button), confirm)]]
    if fix is not None:
        rows.append([(ctx.t("claim.button.fix"), fix)])
    rows.append([(ctx.t("common.button.cancel"), cancel)])
    return components(actions(rows))


def _recovery_named(claim: service.ClaimView, raw: str) -> service.RecoveryView | None:
    return next((r for r in claim.recoveries if str(r.id) == raw), None)


# --- items found: which -------------------------------------------------------------------


def _item_name(ctx: Ctx, item: service.ItemView) -> str:
    return item.asset_tag or item.description or ctx.t("claim.item.no_tag")


def _chosen(draft: dict[str, Any]) -> list[tuple[int, str]]:
    """The items chosen, in the claim's order, with their names."""
    chosen = set(draft["chosen"])
    return [(int(i), str(name)) for i, name in draft["items"] if i in chosen]


def _undamaged(draft: dict[str, Any]) -> list[tuple[int, str]]:
    return [(i, name) for i, name in _chosen(draft) if str(i) not in draft["damages"]]


def _items_text(ctx: Ctx, draft: dict[str, Any]) -> str:
    names = [name for _, name in _chosen(draft)]
    return ctx.t(
        "claim.follow.ask_recovered_items", number=draft["number"], chosen=", ".join(names) or "—"
    )


def _items_view(ctx: Ctx, nonce: str, draft: dict[str, Any]) -> discord.ui.View | None:
    items = draft["items"]
    chosen = set(draft["chosen"])
    last = max(0, (len(items) - 1) // ITEMS_PER_PAGE)
    page = min(max(int(draft.get("page", 0)), 0), last)
    shown = list(enumerate(items))[page * ITEMS_PER_PAGE : (page + 1) * ITEMS_PER_PAGE]
    rows: list[list[tuple[str, str]]] = [
        [
            (("✅ " if item_id in chosen else "▫️ ") + name, f"clm:rvit:{nonce}:{index}")
            for index, (item_id, name) in shown[n : n + PER_ROW]
        ]
        for n in range(0, len(shown), PER_ROW)
    ]
    nav: list[tuple[str, str]] = []
    if page > 0:
        nav.append((ctx.t("common.button.previous"), f"clm:rvpg:{nonce}:{page - 1}"))
    if page < last:
        nav.append((ctx.t("common.button.next"), f"clm:rvpg:{nonce}:{page + 1}"))
    nav.append((ctx.t("claim.button.recovered_items_done"), f"clm:rvgo:{nonce}"))
    nav.append((ctx.t("common.button.cancel"), f"clm:rvno:{nonce}"))
    rows.append(nav)
    return components(actions(rows))


def _needed(draft: dict[str, Any]) -> Action:
    """Confirming what the body reported is staff's; reporting or recording is following."""
    return Action.MANAGE_CLAIM if draft.get("recovery_id") is not None else Action.FOLLOW_CLAIM


async def _recovery_claim(ctx: Ctx, draft: dict[str, Any]) -> service.ClaimView | None:
    return await claim_named(ctx, [str(draft["claim_id"])], _needed(draft))


@step("recov")
async def recovery_tapped(ctx: Ctx, parts: list[str]) -> None:
    """« 🔙 Objets retrouvés »: every item not found yet is chosen; a tap takes one out."""
    if len(parts) != 1:
        await refuse(ctx, "common.stale_button")
        return
    claim = await claim_named(ctx, parts)
    if claim is None:
        return
    if claim.kind not in rules.RECOVERABLE_KINDS or not claim.not_recovered:
        text = ctx.t("claim.follow.nothing_to_recover", number=claim.number)
        await answer(ctx, text, ephemeral=True)
        return
    draft: dict[str, Any] = {
        "claim_id": claim.id,
        "number": claim.number,
        "body_kind": claim.body_kind,
        "body": claim.body_name,
        "items": [[i.id, _item_name(ctx, i)] for i in claim.not_recovered],
        "chosen": [i.id for i in claim.not_recovered],
        "page": 0,
        "recovery_id": None,
        "told_at": None,
        "damages": {},
        "typed": {},
    }
    nonce = await _save(ctx, RECOVERING, draft)
    await answer(ctx, _items_text(ctx, draft), view=_items_view(ctx, nonce, draft), ephemeral=True)


@step("rvit")
async def item_tapped(ctx: Ctx, parts: list[str]) -> None:
    draft = await _load(ctx, RECOVERING, parts[:1])
    if draft is None:
        return
    items = draft["items"]
    if len(parts) != 2 or not parts[1].isdigit() or int(parts[1]) >= len(items):
        await refuse(ctx, "common.stale_button")
        return
    if await _recovery_claim(ctx, draft) is None:
        return
    item_id = items[int(parts[1])][0]
    chosen = list(draft["chosen"])
    draft["chosen"] = (
        [i for i in chosen if i != item_id] if item_id in chosen else [*chosen, item_id]
    )
    nonce = await _save(ctx, RECOVERING, draft)
    await _edit(ctx, _items_text(ctx, draft), _items_view(ctx, nonce, draft))


@step("rvpg")
async def items_paged(ctx: Ctx, parts: list[str]) -> None:
    draft = await _load(ctx, RECOVERING, parts[:1])
    if draft is None:
        return
    if len(parts) != 2 or not parts[1].isdigit() or len(parts[1]) > 3:
        await refuse(ctx, "common.stale_button")
        return
    if await _recovery_claim(ctx, draft) is None:
        return
    draft["page"] = int(parts[1])
    nonce = await _save(ctx, RECOVERING, draft)
    await _edit(ctx, _items_text(ctx, draft), _items_view(ctx, nonce, draft))


@step("rvgo")
async def items_done(ctx: Ctx, parts: list[str]) -> None:
    """« ✔️ Terminé »: at least one item; then the form (when, and staff's damages)."""
    draft = await _load(ctx, RECOVERING, parts)
    if draft is None:
        return
    if await _recovery_claim(ctx, draft) is None:
        return
    if not draft["chosen"]:
        await answer(ctx, ctx.t("claim.follow.recovered_items_none"), ephemeral=True)
        return
    draft["told_at"], draft["damages"] = None, {}
    nonce = await _save(ctx, RECOVERING, draft)
    await ctx.interaction.response.send_modal(RecoveryForm(ctx, nonce, draft))


@step("rvno")
async def recovery_cancelled(ctx: Ctx, parts: list[str]) -> None:
    await _cancelled(ctx, RECOVERING, parts)


# --- items found: when, and their damage ---------------------------------------------------


def _damage_label(ctx: Ctx, name: str) -> str:
    """« Détériorations de SEM-0001 (€, 0 si intact) », the item's name cut to fit the
    45 characters of a field's label."""
    label = ctx.t("dcrec.field_damage", item=name)
    cut = len(name)
    while len(label) > MAX_LABEL and cut > 1:
        cut -= 1
        label = ctx.t("dcrec.field_damage", item=name[:cut] + "…")
    return label[:MAX_LABEL]


class RecoveryForm(Form):
    """When the body or SEM were told (a new recovery), and for staff the damage of the
    next items still without one, five fields at most."""

    def __init__(self, ctx: Ctx, nonce: str, draft: dict[str, Any]) -> None:
        super().__init__(ctx.t("dcrec.recovery_title", number=draft["number"]), f"clm:rvf:{nonce}")
        self.nonce = nonce
        typed = draft.get("typed") or {}
        room = FIELDS_PER_FORM
        if draft.get("told_at") is None:
            self.field(
                "told",
                ctx.t("dcrec.field_told")[:MAX_LABEL],
                default=typed.get("told") or ctx.t("claim.button.now"),
                max_length=100,
            )
            room -= 1
        if _is_staff(ctx):
            for item_id, name in _undamaged(draft)[:room]:
                self.field(
                    f"d{item_id}",
                    _damage_label(ctx, name),
                    default=typed.get(str(item_id)) or "0",
                    max_length=30,
                )

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        await _recovery_read(ctx, self.nonce, values)


async def _recovery_read(ctx: Ctx, nonce: str, values: dict[str, str]) -> None:
    """Read as Telegram reads each answer; a refusal keeps what was typed for the form
    offered again."""
    services = ctx.services
    draft = await _load(ctx, RECOVERING, [nonce])
    if draft is None:
        return
    claim = await _recovery_claim(ctx, draft)
    if claim is None:
        return
    typed = draft.setdefault("typed", {})
    for field, value in values.items():
        typed["told" if field == "told" else field[1:]] = value
    now = services.clock.now()
    try:
        told = None
        if "told" in values:
            told = parse_discovery_detail(values["told"], now, services.settings.tz).at
            if told < claim.discovered_at:
                raise DomainError("claim.error.recovery_before_discovery")
        damages = {
            field[1:]: str(rules.check_damage(parse_amount_eur(value)))
            for field, value in values.items()
            if field.startswith("d")
        }
    except DomainError as error:
        nonce = await _save(ctx, RECOVERING, draft)
        await say_error(ctx, error, again_button(ctx, f"clm:rvfm:{nonce}"))
        return
    if told is not None:
        draft["told_at"] = told.isoformat()
    draft["damages"].update(damages)
    nonce = await _save(ctx, RECOVERING, draft)
    await _after_form(ctx, nonce, draft)


async def _after_form(ctx: Ctx, nonce: str, draft: dict[str, Any]) -> None:
    """More damages to take (staff), in turns; else the confirmation."""
    left = _undamaged(draft) if _is_staff(ctx) else []
    if left:
        rows = [
            [(ctx.t("dcrec.button.next_damages"), f"clm:rvfm:{nonce}")],
            [(ctx.t("common.button.cancel"), f"clm:rvno:{nonce}")],
        ]
        text = ctx.t("dcrec.more_damages", count=len(left))
        await answer(ctx, text, view=components(actions(rows)), ephemeral=True)
        return
    await _confirm_recovery(ctx, nonce, draft)


@step("rvfm")
async def form_again(ctx: Ctx, parts: list[str]) -> None:
    """« ✏️ Corriger » or « Détériorations suivantes »: the form for what is still owed."""
    draft = await _load(ctx, RECOVERING, parts)
    if draft is None:
        return
    if await _recovery_claim(ctx, draft) is None:
        return
    if not draft["chosen"]:
        await refuse(ctx, "common.stale_button")
        return
    nonce = await _save(ctx, RECOVERING, draft)
    if draft.get("told_at") is not None and not (_is_staff(ctx) and _undamaged(draft)):
        await _confirm_recovery(ctx, nonce, draft)
        return
    await ctx.interaction.response.send_modal(RecoveryForm(ctx, nonce, draft))


@step("recok")
async def reported_confirm_tapped(ctx: Ctx, parts: list[str]) -> None:
    """Staff confirm what the body reported: each item's damage, then confirm."""
    if len(parts) != 2 or not _digits(parts[1]):
        await refuse(ctx, "common.stale_button")
        return
    claim = await claim_named(ctx, parts, Action.MANAGE_CLAIM)
    if claim is None:
        return
    recovery = _recovery_named(claim, parts[1])
    if recovery is None or recovery.state is not RecoveryState.REPORTED:
        text = ctx.t("claim.error.recovery_state_shown", number=claim.number)
        await answer(ctx, text, ephemeral=True)
        return
    names = {i.id: _item_name(ctx, i) for i in claim.items}
    draft: dict[str, Any] = {
        "claim_id": claim.id,
        "number": claim.number,
        "body_kind": claim.body_kind,
        "body": claim.body_name,
        "items": [[item_id, names.get(item_id, "")] for item_id in recovery.item_ids],
        "chosen": list(recovery.item_ids),
        "recovery_id": recovery.id,
        "told_at": recovery.told_at.isoformat(),
        "damages": {},
        "typed": {},
    }
    nonce = await _save(ctx, RECOVERING, draft)
    await ctx.interaction.response.send_modal(RecoveryForm(ctx, nonce, draft))


async def _confirm_recovery(ctx: Ctx, nonce: str, draft: dict[str, Any]) -> None:
    """What will be written, named: the items, when, and for staff each one's damage."""
    chosen = _chosen(draft)
    items = ", ".join(name for _, name in chosen)
    told = ctx.services.i18n.datetime(ctx.lang, datetime.fromisoformat(draft["told_at"]))
    if not _is_staff(ctx):
        text = ctx.t(
            "claim.follow.confirm_recovery_report", number=draft["number"], items=items, told=told
        )
        view = _confirm_rows(
            ctx, "claim.button.send_recovery", f"clm:rvok:{nonce}", f"clm:rvno:{nonce}"
        )
        await answer(ctx, text, view=view, ephemeral=True)
        return
    damages = "\n".join(
        ctx.t(
            "claim.follow.damage_line",
            item=name,
            damage=_money(ctx, Decimal(draft["damages"][str(item_id)])),
        )
        for item_id, name in chosen
    )
    text = ctx.t(
        "claim.follow.confirm_recovery_items",
        number=draft["number"],
        items=items,
        told=told,
        damages=Safe(damages),
    )
    view = _confirm_rows(
        ctx, "claim.button.record_recovery", f"clm:rvok:{nonce}", f"clm:rvno:{nonce}"
    )
    await answer(ctx, text, view=view, ephemeral=True)


@step("rvok")
async def recovery_confirmed(ctx: Ctx, parts: list[str]) -> None:
    """The body reports its items to SEM; staff record them (the draft then goes)."""
    assert ctx.person is not None
    services = ctx.services
    draft = await _load(ctx, RECOVERING, parts)
    if draft is None:
        return
    if draft.get("told_at") is None:
        await refuse(ctx, "common.stale_button")
        return
    staff_side = Action.MANAGE_CLAIM if _is_staff(ctx) else Action.FOLLOW_CLAIM
    if await claim_named(ctx, [str(draft["claim_id"])], staff_side) is None:
        return
    told_at = datetime.fromisoformat(draft["told_at"])
    item_ids = [i for i, _ in _chosen(draft)]
    now = services.clock.now()
    try:
        if not _is_staff(ctx):
            reported = await service.report_recovery(
                services.db,
                ctx.person.id,
                int(draft["claim_id"]),
                item_ids=item_ids,
                told_at=told_at,
                now=now,
            )
        else:
            done = await service.record_recovery(
                services.db,
                ctx.person.id,
                int(draft["claim_id"]),
                told_at=told_at,
                item_ids=item_ids,
                recovery_id=draft.get("recovery_id"),
                damages={int(k): Decimal(v) for k, v in draft["damages"].items()},
                now=now,
            )
    except DomainError as error:
        await say_error(ctx, error)
        return
    await drafts.drop(services.db, RECOVERING, _key(ctx))
    if not _is_staff(ctx):
        text = ctx.t("claim.follow.recovery_reported", number=reported.claim.number)
        await answer(ctx, text, ephemeral=True)
        await tell(
            ctx,
            await recovery_notices.recovery_reported(
                services.db, services.i18n, services.settings, reported
            ),
        )
        return
    claim = done.claim
    text = ctx.t(
        body_variant("claim.follow.recovery_saved", claim.body_kind),
        number=claim.number,
        body=claim.body_name,
    )
    await answer(ctx, text, ephemeral=True)
    await tell(ctx, await recovery_notices.recovered(services.db, services.i18n, done))


# --- the answers: the body's request, SEM's agreement or refusal, a report dismissed --------


async def _ask_answer(
    ctx: Ctx,
    claim: service.ClaimView,
    recovery: service.RecoveryView,
    decision: str,
    text: str,
    button: str,
    *,
    reason: str | None = None,
    fix: str | None = None,
) -> None:
    draft = {
        "claim_id": claim.id,
        "number": claim.number,
        "recovery_id": recovery.id,
        "decision": decision,
        "reason": reason,
    }
    nonce = await _save(ctx, ANSWERING, draft)
    view = _confirm_rows(ctx, button, f"clm:raok:{nonce}", f"clm:rano:{nonce}", fix)
    await answer(ctx, text, view=view, ephemeral=True)


async def _answered_recovery(
    ctx: Ctx, parts: list[str], needed: Action
) -> tuple[service.ClaimView, service.RecoveryView] | None:
    claim = await claim_named(ctx, parts, needed)
    if claim is None:
        return None
    recovery = _recovery_named(claim, parts[1])
    if recovery is None:
        text = ctx.t("claim.error.recovery_state_shown", number=claim.number)
        await answer(ctx, text, ephemeral=True)
        return None
    return claim, recovery


@step("recreq")
async def request_tapped(ctx: Ctx, parts: list[str]) -> None:
    """The body asks to take back items found after the indemnity: confirm first."""
    if len(parts) != 2 or not _digits(parts[1]):
        await refuse(ctx, "common.stale_button")
        return
    found = await _answered_recovery(ctx, parts, Action.FOLLOW_CLAIM)
    if found is None:
        return
    claim, recovery = found
    text = ctx.t(
        "claim.follow.confirm_recovery_request",
        number=claim.number,
        items=", ".join(recovery.items),
        owed_back=Safe(_card(ctx).owed_back_line(claim, recovery)),
    )
    await _ask_answer(ctx, claim, recovery, "request", text, "claim.button.recovery_request")


@step("recdec")
async def decision_tapped(ctx: Ctx, parts: list[str]) -> None:
    """SEM agrees (« avis conforme ») or refuses: confirm first."""
    if len(parts) != 3 or not _digits(parts[1]) or parts[2] not in {"agree", "refuse"}:
        await refuse(ctx, "common.stale_button")
        return
    found = await _answered_recovery(ctx, parts, Action.MANAGE_CLAIM)
    if found is None:
        return
    claim, recovery = found
    decision = parts[2]
    card = _card(ctx)
    text = ctx.t(
        card.for_body(f"claim.follow.confirm_recovery_{decision}", claim.body_kind),
        number=claim.number,
        body=claim.body_name,
        items=", ".join(recovery.items),
        owed_back=Safe(card.owed_back_line(claim, recovery)),
    )
    await _ask_answer(ctx, claim, recovery, decision, text, f"claim.button.recovery_{decision}")


async def _reported(
    ctx: Ctx, parts: list[str]
) -> tuple[service.ClaimView, service.RecoveryView] | None:
    """A recovery the body reported and staff have not answered yet."""
    if len(parts) != 2 or not _digits(parts[1]):
        await refuse(ctx, "common.stale_button")
        return None
    found = await _answered_recovery(ctx, parts, Action.MANAGE_CLAIM)
    if found is None:
        return None
    claim, recovery = found
    if recovery.state is not RecoveryState.REPORTED:
        text = ctx.t("claim.error.recovery_state_shown", number=claim.number)
        await answer(ctx, text, ephemeral=True)
        return None
    return found


@step("recdis")
async def dismiss_tapped(ctx: Ctx, parts: list[str]) -> None:
    """Staff dismiss a report of items that were not in fact found: the reason first."""
    found = await _reported(ctx, parts)
    if found is None:
        return
    claim, recovery = found
    await ctx.interaction.response.send_modal(DismissForm(ctx, claim, recovery))


class DismissForm(Form):
    def __init__(self, ctx: Ctx, claim: service.ClaimView, recovery: service.RecoveryView) -> None:
        super().__init__(
            ctx.t("dcrec.dismiss_title"), f"clm:rdf:{claim.id}:{recovery.id}:{_key(ctx)}"
        )
        self.claim_id, self.recovery_id = claim.id, recovery.id
        self.field(
            "reason",
            ctx.t("dcrec.field_reason_told"),
            max_length=MAX_REASON,
            style_paragraph=True,
        )

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        raw = [str(self.claim_id), str(self.recovery_id)]
        found = await _reported(ctx, raw)
        if found is None:
            return
        claim, recovery = found
        retry = again_button(ctx, f"clm:recdis:{claim.id}:{recovery.id}")
        try:
            _, reason = rules.dismiss_recovery(recovery.state, values.get("reason"))
        except DomainError as error:
            await say_error(ctx, error, retry)
            return
        items = ", ".join(recovery.items)
        text = ctx.t(
            "claim.follow.confirm_recovery_dismiss",
            number=claim.number,
            items=items,
            reason=reason,
        )
        await _ask_answer(
            ctx,
            claim,
            recovery,
            "dismiss",
            text,
            "claim.button.recovery_dismiss_it",
            reason=reason,
            fix=f"clm:recdis:{claim.id}:{recovery.id}",
        )


@step("raok")
async def answer_confirmed(ctx: Ctx, parts: list[str]) -> None:
    """The request, the decision or the dismissal, written once (the draft then goes)."""
    assert ctx.person is not None
    services = ctx.services
    draft = await _load(ctx, ANSWERING, parts)
    if draft is None:
        return
    decision = draft.get("decision")
    claim_id, recovery_id = int(draft["claim_id"]), int(draft["recovery_id"])
    needed = Action.FOLLOW_CLAIM if decision == "request" else Action.MANAGE_CLAIM
    if await claim_named(ctx, [str(claim_id)], needed) is None:
        return
    now = services.clock.now()
    try:
        if decision == "dismiss":
            done = await service.dismiss_recovery(
                services.db,
                ctx.person.id,
                claim_id,
                recovery_id,
                reason=str(draft.get("reason") or ""),
                now=now,
            )
        elif decision == "request":
            done = await service.request_recovery(
                services.db, ctx.person.id, claim_id, recovery_id, now=now
            )
        elif decision in ("agree", "refuse"):
            done = await service.decide_recovery(
                services.db,
                ctx.person.id,
                claim_id,
                recovery_id,
                agree=decision == "agree",
                now=now,
            )
        else:
            await refuse(ctx, "common.stale_button")
            return
    except DomainError as error:
        await say_error(ctx, error)
        return
    await drafts.drop(services.db, ANSWERING, _key(ctx))
    number = done.claim.number
    db, i18n = services.db, services.i18n
    if decision == "dismiss":
        items = ", ".join(done.freed)
        text = ctx.t("claim.follow.recovery_dismissed", number=number, items=items)
        await answer(ctx, text, ephemeral=True)
        await tell(ctx, await recovery_notices.recovery_dismissed(db, i18n, done))
    elif decision == "request":
        await answer(ctx, ctx.t("claim.follow.recovery_requested", number=number), ephemeral=True)
        messages = await recovery_notices.recovery_requested(db, i18n, services.settings, done)
        await tell(ctx, messages)
    else:
        text = ctx.t(f"claim.follow.recovery_{decision}d", number=number)
        await answer(ctx, text, ephemeral=True)
        messages = await recovery_notices.recovery_decided(
            db, i18n, done, agree=decision == "agree"
        )
        await tell(ctx, messages)


@step("rano")
async def answer_cancelled(ctx: Ctx, parts: list[str]) -> None:
    await _cancelled(ctx, ANSWERING, parts)


# --- the body's payment, with its proof ------------------------------------------------------


async def _payable(ctx: Ctx, claim: service.ClaimView) -> Decimal | None:
    """What the body may still declare (what is owed, minus its payments awaiting staff);
    None when nothing is (said why)."""
    if claim.pledge is None or claim.outstanding is None or claim.outstanding <= 0:
        await answer(ctx, ctx.t("claim.follow.nothing_to_pay", number=claim.number), ephemeral=True)
        return None
    pending = claim.pending_total
    left = rules.left_beyond_pending(claim.outstanding, pending)
    if left <= 0:
        text = ctx.t(
            "claim.follow.nothing_left_pending",
            number=claim.number,
            outstanding=_money(ctx, claim.outstanding),
            pending=_money(ctx, pending),
        )
        await answer(ctx, text, ephemeral=True)
        return None
    return left


@step("bpay")
async def body_payment_tapped(ctx: Ctx, parts: list[str]) -> None:
    """« 💶 Déclarer un paiement fait »: what is owed, and who paid (a select)."""
    if len(parts) != 1:
        await refuse(ctx, "common.stale_button")
        return
    claim = await claim_named(ctx, parts)
    if claim is None:
        return
    left = await _payable(ctx, claim)
    if left is None:
        return
    assert claim.outstanding is not None
    pending = claim.pending_total
    key = (
        "claim.follow.ask_body_payment_amount_pending"
        if pending > 0
        else "claim.follow.ask_body_payment_amount"
    )
    text = ctx.t(
        key,
        number=claim.number,
        outstanding=_money(ctx, claim.outstanding),
        pending=_money(ctx, pending),
        left=_money(ctx, left),
    )
    card = _card(ctx)
    choices = [(card.payer(p.value, claim.body_kind), p.value) for p in BODY_PAYERS]
    view = select_menu(f"clm:bpayer:{claim.id}", ctx.t("discord.claim.pick_payer"), choices)
    await answer(ctx, text + "\n\n" + ctx.t("claim.follow.ask_payer"), view=view, ephemeral=True)


@step("bpayer")
async def body_payer_chosen(ctx: Ctx, parts: list[str]) -> None:
    if len(parts) != 2 or parts[1] not in {p.value for p in BODY_PAYERS}:
        await refuse(ctx, "common.stale_button")
        return
    claim = await claim_named(ctx, parts)
    if claim is None:
        return
    left = await _payable(ctx, claim)
    if left is None:
        return
    await ctx.interaction.response.send_modal(BodyPaymentForm(ctx, claim, Payer(parts[1]), left))


class BodyPaymentForm(Form):
    def __init__(self, ctx: Ctx, claim: service.ClaimView, payer: Payer, left: Decimal) -> None:
        super().__init__(
            ctx.t("dcrec.body_payment_title"), f"clm:bpf:{claim.id}:{payer.value}:{_key(ctx)}"
        )
        self.claim_id, self.payer = claim.id, payer
        self.field(
            "amount", ctx.t("dcrec.field_body_amount"), default=_money(ctx, left), max_length=30
        )
        self.field(
            "paid_on",
            ctx.t("dcrec.field_body_paid_on"),
            default=ctx.t("claim.button.today"),
            max_length=30,
        )

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        services = ctx.services
        claim = await claim_named(ctx, [str(self.claim_id)])
        if claim is None:
            return
        today = local_date(services.clock.now(), services.settings.tz)
        retry = again_button(ctx, f"clm:bpayer:{self.claim_id}:{self.payer.value}")
        try:
            amount = parse_amount_eur(values["amount"])
            if claim.pledge is None or claim.outstanding is None:
                raise DomainError("claim.error.payment_before_pledge")
            rules.check_body_payment(amount, claim.outstanding, claim.pending_total)
            paid_on = rules.check_payment_day(parse_calendar_day(values["paid_on"], today), today)
        except DomainError as error:
            await say_error(ctx, error, retry)
            return
        draft = {
            "claim_id": claim.id,
            "number": claim.number,
            "body_kind": claim.body_kind,
            "payer": self.payer.value,
            "amount": str(amount),
            "paid_on": paid_on.isoformat(),
        }
        nonce = await _save(ctx, BODY_PAYING, draft)
        await _ask_proof(ctx, nonce, draft)


async def _ask_proof(ctx: Ctx, nonce: str, draft: dict[str, Any]) -> None:
    """A private message to answer with the proof: the draft rides in its disabled button
    (``clm:bproof:<nonce>``), found again when the answer comes (``files.on_message``)."""
    view = discord.ui.View(timeout=None)
    view.add_item(
        discord.ui.Button(
            label=ctx.t("dcrec.proof_button")[:80], custom_id=f"clm:bproof:{nonce}", disabled=True
        )
    )
    view.add_item(
        discord.ui.Button(label=ctx.t("common.button.cancel")[:80], custom_id=f"clm:bpayno:{nonce}")
    )
    i18n = ctx.services.i18n
    text = ctx.t(
        "dcrec.proof_ask",
        number=draft["number"],
        amount=_money(ctx, Decimal(draft["amount"])),
        paid_on=i18n.date(ctx.lang, date.fromisoformat(draft["paid_on"])),
    )
    if ctx.private:
        await answer(ctx, text, view=view)
        return
    try:  # an answer in a server's channel is hidden: it could not be answered
        await ctx.interaction.user.send(markdown(text), view=view, allowed_mentions=NO_PINGS)
    except discord.HTTPException:
        await answer(ctx, ctx.t("discord.files.dm_closed"), ephemeral=True)
        return
    await answer(ctx, ctx.t("discord.files.see_dm"), ephemeral=True)


@step("bproof")
async def proof_request_tapped(ctx: Ctx, parts: list[str]) -> None:
    """The disabled button that carries the request, tapped anyway (a forged tap): how
    to answer, if the request still stands."""
    draft = await _load(ctx, BODY_PAYING, parts)
    if draft is None:
        return
    await answer(ctx, ctx.t("claim.follow.ask_payment_proof"), ephemeral=True)


async def _say(channel: Any, text: str, view: discord.ui.View | None = None) -> None:
    parts = split(markdown(text))
    for n, part in enumerate(parts):
        extra: dict[str, Any] = {"view": view} if view is not None and n == len(parts) - 1 else {}
        await channel.send(part, allowed_mentions=NO_PINGS, **extra)


async def proof_given(
    client: PneDiscord, person: Actor, message: discord.Message, found: re.Match[str]
) -> None:
    """The answer to a proof's request: its first file is the proof; the payment it
    names is then shown, to confirm."""
    services = client.services
    i18n, lang, key = services.i18n, person.language, str(person.id)
    draft = await drafts.load(services.db, BODY_PAYING, key, found[1])
    if draft is None:
        await _say(message.channel, i18n.t(lang, "dcrec.proof_stale"))
        return
    if not can(person.role, Action.FOLLOW_CLAIM):
        await _say(message.channel, i18n.t(lang, "common.error.forbidden"))
        return
    if not message.attachments:
        await _say(message.channel, i18n.t(lang, "discord.files.no_file"))
        return
    try:  # never trust the request: the person must still follow that claim
        claim = await service.claim_view(
            services.db, person.id, int(draft["claim_id"]), services.clock.now()
        )
    except DomainError as error:
        params = error_params(i18n, lang, error.params)
        await _say(message.channel, i18n.t(lang, error.code, **params))
        return
    proof = file_ref(message.attachments[0])
    draft["proof"] = [
        proof.kind, proof.file_id, proof.file_unique_id, proof.file_name, proof.mime_type,
    ]  # fmt: skip
    nonce = await drafts.save(services.db, BODY_PAYING, key, draft, services.clock.now())
    card = ClaimCard(i18n, lang)
    text = i18n.t(
        lang,
        "claim.follow.confirm_body_payment",
        number=claim.number,
        amount=i18n.money(lang, Decimal(draft["amount"])),
        paid_on=i18n.date(lang, date.fromisoformat(draft["paid_on"])),
        payer=card.payer(draft["payer"], claim.body_kind),
    )
    rows = [
        [(i18n.t(lang, "claim.button.send_payment"), f"clm:bpayok:{nonce}")],
        [(i18n.t(lang, "claim.button.fix"), f"clm:bpayer:{claim.id}:{draft['payer']}")],
        [(i18n.t(lang, "common.button.cancel"), f"clm:bpayno:{nonce}")],
    ]
    await _say(message.channel, text, components(actions(rows)))


REPLY_TAKERS.append((_PROOF, proof_given))


@step("bpayok")
async def body_payment_confirmed(ctx: Ctx, parts: list[str]) -> None:
    """« ✅ Envoyer à SEM »: the payment with its proof, once; staff are told, the proof
    linked for those on Discord."""
    assert ctx.person is not None
    services = ctx.services
    draft = await _load(ctx, BODY_PAYING, parts)
    if draft is None:
        return
    if "proof" not in draft:
        await refuse(ctx, "common.stale_button")
        return
    if await claim_named(ctx, [str(draft["claim_id"])]) is None:
        return
    kind, file_id, unique, name, mime = draft["proof"]
    proof = service.FileRef(kind, file_id, unique, name, mime, platform=DISCORD)
    try:
        declared = await service.record_body_payment(
            services.db,
            ctx.person.id,
            int(draft["claim_id"]),
            amount=Decimal(draft["amount"]),
            paid_on=date.fromisoformat(draft["paid_on"]),
            payer=Payer(draft["payer"]),
            proof=proof,
            now=services.clock.now(),
        )
    except DomainError as error:
        await say_error(ctx, error)
        return
    await drafts.drop(services.db, BODY_PAYING, _key(ctx))
    number = declared.claim.number
    await answer(ctx, ctx.t("claim.follow.body_payment_saved", number=number), ephemeral=True)
    await tell(
        ctx,
        await recovery_notices.payment_declared(
            services.db, services.i18n, services.settings, declared, proof=proof
        ),
    )


@step("bpayno")
async def body_payment_cancelled(ctx: Ctx, parts: list[str]) -> None:
    await _cancelled(ctx, BODY_PAYING, parts)


# --- staff's review of the body's payment ----------------------------------------------------


async def _pending(
    ctx: Ctx, parts: list[str]
) -> tuple[service.ClaimView, service.PaymentView] | None:
    if len(parts) != 2 or not _digits(parts[1]):
        await refuse(ctx, "common.stale_button")
        return None
    claim = await claim_named(ctx, parts, Action.MANAGE_CLAIM)
    if claim is None:
        return None
    payment = next((p for p in claim.pending_payments if str(p.id) == parts[1]), None)
    if payment is None:
        await answer(ctx, ctx.t("claim.error.payment_not_pending"), ephemeral=True)
        return None
    return claim, payment


async def _ask_review(
    ctx: Ctx,
    claim: service.ClaimView,
    payment: service.PaymentView,
    *,
    confirm: bool,
    reason: str | None = None,
) -> None:
    draft = {
        "claim_id": claim.id,
        "payment_id": payment.id,
        "confirm": confirm,
        "reason": reason,
    }
    nonce = await _save(ctx, REVIEWING, draft)
    text = ctx.t(
        "claim.follow.confirm_payment_ok" if confirm else "claim.follow.confirm_payment_rejected",
        number=claim.number,
        amount=_money(ctx, payment.amount),
        paid_on=ctx.services.i18n.date(ctx.lang, payment.paid_on),
        payer=_card(ctx).payer(payment.payer.value, claim.body_kind),
        reason=reason or "",
    )
    view = _confirm_rows(
        ctx,
        "claim.button.payment_confirm_it" if confirm else "claim.button.payment_reject",
        f"clm:pvok:{nonce}",
        f"clm:pvno:{nonce}",
        None if confirm else f"clm:prej:{claim.id}:{payment.id}",
    )
    await answer(ctx, text, view=view, ephemeral=True)


@step("pconf")
async def confirm_tapped(ctx: Ctx, parts: list[str]) -> None:
    found = await _pending(ctx, parts)
    if found is None:
        return
    claim, payment = found
    if claim.outstanding is not None and payment.amount > claim.outstanding:
        # Owed less since the body declared it: staff reject it instead (0027).
        text = ctx.t(
            "claim.error.confirm_overpayment",
            amount=_money(ctx, payment.amount),
            outstanding=_money(ctx, max(claim.outstanding, Decimal(0))),
        )
        rows = [[(ctx.t("claim.button.payment_reject"), f"clm:prej:{claim.id}:{payment.id}")]]
        await answer(ctx, text, view=components(actions(rows)), ephemeral=True)
        return
    await _ask_review(ctx, claim, payment, confirm=True)


@step("prej")
async def reject_tapped(ctx: Ctx, parts: list[str]) -> None:
    found = await _pending(ctx, parts)
    if found is None:
        return
    claim, payment = found
    await ctx.interaction.response.send_modal(RejectForm(ctx, claim, payment))


def _rejection_reason(typed: str) -> str:
    """As Telegram reads it: a reason is wanted (« - » is none)."""
    text = typed.strip()
    if not text or text in {"-", "—"}:
        raise DomainError("claim.error.rejection_reason_required")
    return text[:MAX_REASON]


class RejectForm(Form):
    def __init__(self, ctx: Ctx, claim: service.ClaimView, payment: service.PaymentView) -> None:
        super().__init__(
            ctx.t("dcrec.reject_title"), f"clm:pjf:{claim.id}:{payment.id}:{_key(ctx)}"
        )
        self.claim_id, self.payment_id = claim.id, payment.id
        self.field(
            "reason",
            ctx.t("dcrec.field_reason_told"),
            max_length=MAX_REASON,
            style_paragraph=True,
        )

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        found = await _pending(ctx, [str(self.claim_id), str(self.payment_id)])
        if found is None:
            return
        claim, payment = found
        try:
            reason = _rejection_reason(values.get("reason", ""))
        except DomainError as error:
            await say_error(ctx, error, again_button(ctx, f"clm:prej:{claim.id}:{payment.id}"))
            return
        await _ask_review(ctx, claim, payment, confirm=False, reason=reason)


@step("pvok")
async def review_confirmed(ctx: Ctx, parts: list[str]) -> None:
    """The payment confirmed (it counts; paid in full closes the claim) or rejected."""
    assert ctx.person is not None
    services = ctx.services
    draft = await _load(ctx, REVIEWING, parts)
    if draft is None:
        return
    if await claim_named(ctx, [str(draft["claim_id"])], Action.MANAGE_CLAIM) is None:
        return
    confirmed = bool(draft.get("confirm"))
    reason = draft.get("reason")
    try:
        claim, payment, full = await service.review_payment(
            services.db,
            ctx.person.id,
            int(draft["claim_id"]),
            int(draft["payment_id"]),
            confirm=confirmed,
            reason=reason,
            now=services.clock.now(),
        )
    except DomainError as error:
        await say_error(ctx, error)
        return
    await drafts.drop(services.db, REVIEWING, _key(ctx))
    key, _ = recovery_notices.review_answer(confirmed=confirmed, full=full)
    outstanding = _money(ctx, claim.outstanding or Decimal(0))
    await answer(ctx, ctx.t(key, number=claim.number, outstanding=outstanding), ephemeral=True)
    await tell(
        ctx,
        await recovery_notices.payment_reviewed(
            services.db,
            services.i18n,
            claim,
            payment,
            confirmed=confirmed,
            full=full,
            reason=reason,
        ),
    )


@step("pvno")
async def review_cancelled(ctx: Ctx, parts: list[str]) -> None:
    await _cancelled(ctx, REVIEWING, parts)
