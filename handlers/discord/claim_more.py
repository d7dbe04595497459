"""A claim's card on Discord, and staff's replacement, cause and the insurer's indemnity.

The same services and cards as Telegram's (``handlers/telegram/claim_follow.py``):
``/sinistre numero:`` and the « 🔎 Voir le sinistre » button show the card with its
timeline and the role's buttons (staff's, or the body's agent's). « 🔁 Remplacement » asks
which item (a select), ordered or installed (two buttons), then a modal — the day, and for
an installed item its value, the new item's tag and its model (the old one's offered) —
and a confirmation naming what is recorded. « 🔧 Corriger la cause » offers the other
causes (a select) and a confirmation naming the duties owed then. « 🛡 Indemnité de
l'assureur versée » asks whom it was paid to (a select), then a modal for the day and the
amount, and a confirmation.

Each step re-reads the claim and checks that the person may act on it; what a step
carries is a draft row under the person, its nonce in the next buttons (a confirmation
tapped twice, or an older one, is refused). A refused form says why in the domain's
words and offers it again by « ✏️ Corriger ».
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.cards.claims import ClaimCard
from bot.domain import claims as rules
from bot.domain.claims import ClaimKind, DamageCause, IndemnityPayee
from bot.domain.dates import local_date, parse_calendar_day
from bot.domain.directory import parse_amount_eur
from bot.domain.errors import DomainError
from bot.domain.roles import Action, Role
from bot.i18n import Safe
from bot.services import claim_notices as notices
from bot.services import claims as service
from bot.services import drafts
from bot.services.delivery import Actions, actions
from handlers.discord.buttons import refuse
from handlers.discord.claim_follow import Form, again_button, claim_named
from handlers.discord.claims import say_error, select_menu, step
from handlers.discord.commands import described, name, option
from handlers.discord.context import Ctx, answer, context_of
from handlers.discord.render import components
from handlers.discord.telling import tell

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord

REPLACING = "discord:claim_replacement"
CAUSING = "discord:claim_cause"
INDEMNIFYING = "discord:claim_indemnity"
ITEMS_PER_PAGE = 23  # a select's 25 options, with « previous » and « next »
ORDERED, INSTALLED = "ordered", "installed"


def _key(ctx: Ctx) -> str:
    assert ctx.person is not None
    return str(ctx.person.id)


async def _save(ctx: Ctx, namespace: str, draft: dict[str, Any]) -> str:
    return await drafts.save(ctx.services.db, namespace, _key(ctx), draft, ctx.services.clock.now())


async def _load(ctx: Ctx, namespace: str, parts: list[str]) -> dict[str, Any] | None:
    """The draft the button's nonce names; a stale one (gone, or a newer one saved) is
    refused with « Ce bouton n'est plus valable. »."""
    found = await drafts.load(ctx.services.db, namespace, _key(ctx), parts[0]) if parts else None
    if found is None:
        await refuse(ctx, "common.stale_button")
    return found


async def _cancelled(ctx: Ctx, namespace: str) -> None:
    dropped = await drafts.drop(ctx.services.db, namespace, _key(ctx))
    await answer(
        ctx, ctx.t("common.cancelled" if dropped else "common.nothing_to_cancel"), ephemeral=True
    )


def _today(ctx: Ctx) -> date:
    return local_date(ctx.services.clock.now(), ctx.services.settings.tz)


# --- the claim's card ------------------------------------------------------------------------


def role_actions(card: ClaimCard, claim: service.ClaimView, role: str) -> Actions:
    """The buttons under the card, as Telegram's: staff's, the commune's, else none."""
    if role == Role.STAFF:
        return card.staff_actions(claim)
    if role == Role.COMMUNE:
        return card.body_actions(claim)
    return ()


async def show(ctx: Ctx, claim_id: int) -> None:
    """The card in full, with its timeline and the role's buttons."""
    assert ctx.person is not None
    services = ctx.services
    try:
        claim = await service.claim_view(
            services.db, ctx.person.id, claim_id, services.clock.now(), timeline=True
        )
    except DomainError as error:
        await say_error(ctx, error)
        return
    card = ClaimCard(services.i18n, ctx.lang)
    view = components(role_actions(card, claim, ctx.person.role))
    await answer(ctx, card.card(claim, timeline=True), view=view)


async def look_up(ctx: Ctx, numero: str) -> None:
    """/sinistre S-2026-0001: a claim within the person's scope (else « not found »)."""
    if ctx.person is None:
        await answer(ctx, ctx.t("discord.stranger"))
        return
    if not numero.strip():
        await answer(ctx, ctx.t("claim.view.usage"))
        return
    try:
        claim_id = await service.find_claim_id(ctx.services.db, ctx.person.id, numero[:40])
    except DomainError as error:
        await say_error(ctx, error)
        return
    await show(ctx, claim_id)


@step("view")
async def view_tapped(ctx: Ctx, parts: list[str]) -> None:
    if len(parts) != 1 or not parts[0].isdigit() or not 0 < int(parts[0]) < 2**31:
        await refuse(ctx, "common.stale_button")
        return
    await show(ctx, int(parts[0]))


# --- a replacement ---------------------------------------------------------------------------


async def _replaceable(ctx: Ctx, parts: list[str]) -> service.ClaimView | None:
    """The claim, if this person manages claims and its school's replacements are not
    held (art. 6: said at once, nothing asked)."""
    assert ctx.person is not None
    claim = await claim_named(ctx, parts, Action.MANAGE_CLAIM)
    if claim is None:
        return None
    try:
        await service.check_replacement(
            ctx.services.db, ctx.person.id, claim.id, now=ctx.services.clock.now()
        )
    except DomainError as error:
        await say_error(ctx, error)
        return None
    return claim


@step("repl")
async def replacement_tapped(ctx: Ctx, parts: list[str]) -> None:
    claim = await _replaceable(ctx, parts)
    if claim is None:
        return
    tagged = [item for item in claim.items if item.asset_tag]
    draft = {
        "claim_id": claim.id,
        "number": claim.number,
        "tags": [item.asset_tag or "" for item in tagged],
        # The old item's model: the new one's unless staff change it.
        "models": [item.model or item.description or "" for item in tagged],
    }
    await _ask_item(ctx, draft, 0)


async def _ask_item(ctx: Ctx, draft: dict[str, Any], page: int) -> None:
    tags: list[str] = draft["tags"]
    last = max(0, (len(tags) - 1) // ITEMS_PER_PAGE)
    page = min(max(page, 0), last)
    start = page * ITEMS_PER_PAGE
    choices = [(tag, str(start + n)) for n, tag in enumerate(tags[start : start + ITEMS_PER_PAGE])]
    if page > 0:
        choices.insert(0, (ctx.t("common.button.previous"), f"p{page - 1}"))
    if page < last:
        choices.append((ctx.t("common.button.next"), f"p{page + 1}"))
    nonce = await _save(ctx, REPLACING, draft)
    view = select_menu(f"clm:rpit:{nonce}", ctx.t("dclm.pick_item"), choices)
    _add_cancel(ctx, view, f"clm:rpno:{nonce}")
    text = ctx.t("claim.follow.ask_replacement_item", number=draft["number"])
    await answer(ctx, text, view=view, ephemeral=True)


def _add_cancel(ctx: Ctx, view: discord.ui.View, action: str) -> None:
    view.add_item(
        discord.ui.Button(
            label=ctx.t("common.button.cancel"),
            custom_id=action,
            style=discord.ButtonStyle.secondary,
        )
    )


@step("rpit")
async def item_chosen(ctx: Ctx, parts: list[str]) -> None:
    value = parts[1] if len(parts) == 2 else ""
    paged = value[:1] == "p" and value[1:].isdigit() and len(value) <= 4
    if not (paged or (value.isdigit() and len(value) <= 3)):
        await refuse(ctx, "common.stale_button")
        return
    draft = await _load(ctx, REPLACING, parts)
    if draft is None:
        return
    if paged:
        await _ask_item(ctx, draft, int(value[1:]))
        return
    tags: list[str] = draft["tags"]
    if int(value) >= len(tags):
        await refuse(ctx, "common.stale_button")
        return
    if await _replaceable(ctx, [str(draft["claim_id"])]) is None:
        return
    draft["tag"] = tags[int(value)]
    for typed in ("day", "value", "new_tag", "model", "what", "on", "new_value", "new_item"):
        draft.pop(typed, None)
    nonce = await _save(ctx, REPLACING, draft)
    rows = [
        [
            (ctx.t("claim.button.ordered"), f"clm:rpw:{nonce}:{ORDERED}"),
            (ctx.t("claim.button.installed"), f"clm:rpw:{nonce}:{INSTALLED}"),
        ],
        [(ctx.t("common.button.cancel"), f"clm:rpno:{nonce}")],
    ]
    text = ctx.t("claim.follow.ask_replacement_what", tag=draft["tag"])
    await answer(ctx, text, view=components(actions(rows)), ephemeral=True)


@step("rpw")
async def what_chosen(ctx: Ctx, parts: list[str]) -> None:
    """« Commandé » or « Installé » (and « ✏️ Corriger »): the form, filled as it was."""
    if len(parts) != 2 or parts[1] not in (ORDERED, INSTALLED):
        await refuse(ctx, "common.stale_button")
        return
    draft = await _load(ctx, REPLACING, parts)
    if draft is None:
        return
    if "tag" not in draft:
        await refuse(ctx, "common.stale_button")
        return
    if await _replaceable(ctx, [str(draft["claim_id"])]) is None:
        return
    form = ReplacementForm(ctx, parts[0], draft, parts[1])
    await ctx.interaction.response.send_modal(form)


def _old_model(draft: dict[str, Any]) -> str:
    tags: list[str] = draft.get("tags", [])
    models: list[str] = draft.get("models", [])
    index = tags.index(draft["tag"]) if draft.get("tag") in tags else -1
    return models[index] if 0 <= index < len(models) else ""


class ReplacementForm(Form):
    """The day; installed, also the new value, the new tag and the model."""

    def __init__(self, ctx: Ctx, nonce: str, draft: dict[str, Any], what: str) -> None:
        title = ctx.t("dclm.replacement_modal_title", tag=draft["tag"])
        super().__init__(title, f"clm:rpf:{nonce}:{what}")
        self.nonce, self.what = nonce, what
        day_label = "dclm.field_installed_on" if what == INSTALLED else "dclm.field_ordered_on"
        self.field(
            "day",
            ctx.t(day_label),
            default=draft.get("day") or ctx.t("claim.button.today"),
            max_length=40,
        )
        if what == INSTALLED:
            self.field(
                "value",
                ctx.t("dclm.field_new_value"),
                default=draft.get("value") or None,
                max_length=30,
            )
            self.field(
                "new_tag",
                ctx.t("dclm.field_new_tag"),
                default=draft.get("new_tag") or None,
                max_length=40,
            )
            self.field(
                "model",
                ctx.t("dclm.field_new_model"),
                default=draft.get("model", _old_model(draft)) or None,
                required=False,
                max_length=200,
            )

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        assert ctx.person is not None
        services = ctx.services
        draft = await _load(ctx, REPLACING, [self.nonce])
        if draft is None or "tag" not in draft:
            return
        claim = await _replaceable(ctx, [str(draft["claim_id"])])
        if claim is None:
            return
        draft.update(values)  # kept as typed: « ✏️ Corriger » offers them again
        nonce = await _save(ctx, REPLACING, draft)
        again = again_button(ctx, f"clm:rpw:{nonce}:{self.what}")
        try:
            day = parse_calendar_day(values["day"], _today(ctx))
            if self.what == INSTALLED:
                value = parse_amount_eur(values["value"])
                new_tag = await service.check_new_tag(services.db, ctx.person.id, values["new_tag"])
                old = _old_model(draft)
                typed = values.get("model", "")
                if old and typed.strip() == old.strip():
                    kind, model = None, old  # the same model: the old one's type too
                else:
                    kind, model = rules.read_new_model(typed)
        except DomainError as error:
            await say_error(ctx, error, again)
            return
        draft["what"], draft["on"] = self.what, day.isoformat()
        rows: list[list[tuple[str, str]]]
        if self.what == ORDERED:
            nonce = await _save(ctx, REPLACING, draft)
            text = ctx.t(
                "dclm.confirm_ordered",
                tag=draft["tag"],
                on=services.i18n.date(ctx.lang, day),
                number=claim.number,
            )
            button = ctx.t("dclm.button.record_ordered")
        else:
            draft["new_value"], draft["new_item"] = str(value), [new_tag, model, kind]
            nonce = await _save(ctx, REPLACING, draft)
            text = ctx.t(
                "claim.follow.confirm_installed",
                number=claim.number,
                tag=draft["tag"],
                new_tag=new_tag,
                model=(
                    ctx.t(
                        "claim.follow.new_type_and_model",
                        type=services.i18n.equipment_type(ctx.lang, kind),
                        model=model,
                    )
                    if kind
                    else model
                ),
                value=services.i18n.money(ctx.lang, value),
                on=services.i18n.date(ctx.lang, day),
            )
            button = ctx.t("claim.button.confirm_installed")
        rows = [
            [(button, f"clm:rpok:{nonce}")],
            [(ctx.t("claim.button.fix"), f"clm:rpw:{nonce}:{self.what}")],
            [(ctx.t("common.button.cancel"), f"clm:rpno:{nonce}")],
        ]
        await answer(ctx, text, view=components(actions(rows)), ephemeral=True)


@step("rpok")
async def replacement_confirmed(ctx: Ctx, parts: list[str]) -> None:
    """The replacement the confirmation named, once (its draft then goes)."""
    assert ctx.person is not None
    services = ctx.services
    draft = await _load(ctx, REPLACING, parts)
    if draft is None:
        return
    if draft.get("what") not in (ORDERED, INSTALLED) or "on" not in draft:
        await refuse(ctx, "common.stale_button")
        return
    day = date.fromisoformat(draft["on"])
    installed = draft["what"] == INSTALLED
    try:
        if installed:
            new_tag, model, kind = draft["new_item"]
            claim = await service.record_replacement(
                services.db,
                ctx.person.id,
                int(draft["claim_id"]),
                item_tag=draft["tag"],
                installed_on=day,
                new_value=Decimal(draft["new_value"]),
                new_item=service.NewEquipment(new_tag, model, kind),
                now=services.clock.now(),
            )
        else:
            claim = await service.record_replacement(
                services.db,
                ctx.person.id,
                int(draft["claim_id"]),
                item_tag=draft["tag"],
                ordered_on=day,
                now=services.clock.now(),
            )
    except DomainError as error:
        await say_error(ctx, error, again_button(ctx, f"clm:rpw:{parts[0]}:{draft['what']}"))
        return
    await drafts.drop(services.db, REPLACING, _key(ctx))
    if not installed:
        text = ctx.t("claim.follow.replacement_saved", tag=draft["tag"], number=claim.number)
        await answer(ctx, text, ephemeral=True)
        return
    text = ctx.t(
        "claim.follow.installed_saved", tag=draft["tag"], new_tag=new_tag, number=claim.number
    )
    await answer(ctx, text, ephemeral=True)
    # Art. 6: SEM sends the body the list of what was installed, with its new value.
    await tell(ctx, await notices.installed(services.db, services.i18n, claim))


@step("rpno")
async def replacement_cancelled(ctx: Ctx, parts: list[str]) -> None:
    await _cancelled(ctx, REPLACING)


# --- a damage's cause ------------------------------------------------------------------------


def _cause_name(ctx: Ctx, cause: str | None) -> str:
    return ctx.t(f"claim.cause.{cause}") if cause else ctx.t("claim.cause.unknown")


@step("cz")
async def cause_tapped(ctx: Ctx, parts: list[str]) -> None:
    """Staff correct what the reporter said caused a damage (decision 0019)."""
    claim = await claim_named(ctx, parts, Action.MANAGE_CLAIM)
    if claim is None:
        return
    if claim.kind is not ClaimKind.DAMAGE:
        await refuse(ctx, "claim.error.cause_only_damage")
        return
    choices = [
        (ctx.t(f"claim.cause.ask.{c.value}"), c.value)
        for c in DamageCause
        if c is not claim.damage_cause
    ]
    view = select_menu(f"clm:czv:{claim.id}", ctx.t("discord.claim.pick_cause"), choices)
    text = ctx.t(
        "claim.follow.ask_cause",
        number=claim.number,
        cause=_cause_name(ctx, claim.damage_cause.value if claim.damage_cause else None),
    )
    await answer(ctx, text, view=view, ephemeral=True)


@step("czv")
async def cause_chosen(ctx: Ctx, parts: list[str]) -> None:
    if len(parts) != 2 or parts[1] not in {c.value for c in DamageCause}:
        await refuse(ctx, "common.stale_button")
        return
    claim = await claim_named(ctx, parts, Action.MANAGE_CLAIM)
    if claim is None:
        return
    if claim.kind is not ClaimKind.DAMAGE:
        await refuse(ctx, "claim.error.cause_only_damage")
        return
    was = claim.damage_cause.value if claim.damage_cause else None
    if parts[1] == was:
        await refuse(ctx, "claim.error.cause_unchanged")
        return
    nonce = await _save(ctx, CAUSING, {"claim_id": claim.id, "cause": parts[1]})
    card = ClaimCard(ctx.services.i18n, ctx.lang)
    duties = rules.duties_for(ClaimKind.DAMAGE, parts[1])
    text = ctx.t(
        "claim.follow.confirm_cause",
        number=claim.number,
        was=_cause_name(ctx, was),
        cause=ctx.t(f"claim.cause.{parts[1]}"),
        duties=Safe(card.duty_phrases(duties)),
    )
    rows = [
        [(ctx.t("claim.button.correct_cause"), f"clm:czok:{nonce}")],
        [(ctx.t("common.button.cancel"), f"clm:czno:{nonce}")],
    ]
    await answer(ctx, text, view=components(actions(rows)), ephemeral=True)


@step("czok")
async def cause_confirmed(ctx: Ctx, parts: list[str]) -> None:
    assert ctx.person is not None
    services = ctx.services
    draft = await _load(ctx, CAUSING, parts)
    if draft is None:
        return
    cause = str(draft["cause"])
    try:
        claim = await service.correct_damage_cause(
            services.db,
            ctx.person.id,
            int(draft["claim_id"]),
            cause=DamageCause(cause),
            now=services.clock.now(),
        )
    except DomainError as error:
        await say_error(ctx, error)
        return
    await drafts.drop(services.db, CAUSING, _key(ctx))
    card = ClaimCard(services.i18n, ctx.lang)
    text = ctx.t(
        "claim.follow.cause_saved",
        number=claim.number,
        cause=ctx.t(f"claim.cause.{cause}"),
        duties=Safe(card.duty_lines(claim)),
    )
    await answer(ctx, text, view=components(card.staff_actions(claim)), ephemeral=True)
    await tell(
        ctx,
        await notices.to_body(
            services.db,
            services.i18n,
            claim,
            "claim.notify.cause_corrected",
            cause=ctx.t(f"claim.cause.{cause}"),
        ),
    )


@step("czno")
async def cause_cancelled(ctx: Ctx, parts: list[str]) -> None:
    await _cancelled(ctx, CAUSING)


# --- the insurer's indemnity -----------------------------------------------------------------


async def _indemnity_open(ctx: Ctx, parts: list[str]) -> service.ClaimView | None:
    """The claim, if this person follows it and no indemnity is recorded yet."""
    claim = await claim_named(ctx, parts, Action.FOLLOW_CLAIM)
    if claim is not None and claim.indemnity is not None:
        await refuse(ctx, "claim.follow.indemnity_known", number=claim.number)
        return None
    return claim


@step("indem")
async def indemnity_tapped(ctx: Ctx, parts: list[str]) -> None:
    claim = await _indemnity_open(ctx, parts)
    if claim is None:
        return
    card = ClaimCard(ctx.services.i18n, ctx.lang)
    choices = [(card.payee(p.value, claim.body_kind), p.value) for p in IndemnityPayee]
    view = select_menu(f"clm:ipy:{claim.id}", ctx.t("dclm.pick_payee"), choices)
    text = ctx.t("claim.follow.ask_indemnity_payee", number=claim.number)
    await answer(ctx, text, view=view, ephemeral=True)


@step("ipy")
async def payee_chosen(ctx: Ctx, parts: list[str]) -> None:
    if len(parts) != 2 or parts[1] not in {p.value for p in IndemnityPayee}:
        await refuse(ctx, "common.stale_button")
        return
    claim = await _indemnity_open(ctx, parts)
    if claim is None:
        return
    form = IndemnityForm(ctx, claim, IndemnityPayee(parts[1]))
    await ctx.interaction.response.send_modal(form)


class IndemnityForm(Form):
    def __init__(self, ctx: Ctx, claim: service.ClaimView, payee: IndemnityPayee) -> None:
        super().__init__(ctx.t("dclm.indemnity_modal_title"), f"clm:ifm:{claim.id}:{payee.value}")
        self.claim_id, self.payee = claim.id, payee
        self.field(
            "paid_on",
            ctx.t("dclm.field_indemnity_paid_on"),
            default=ctx.t("claim.button.today"),
            max_length=40,
        )
        self.field("amount", ctx.t("dclm.field_indemnity_amount"), max_length=30)

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        assert ctx.person is not None
        services = ctx.services
        claim = await _indemnity_open(ctx, [str(self.claim_id)])
        if claim is None:
            return
        today = _today(ctx)
        retry = again_button(ctx, f"clm:ipy:{self.claim_id}:{self.payee.value}")
        try:
            paid_on = parse_calendar_day(values["paid_on"], today)
            amount = parse_amount_eur(values["amount"])
            rules.check_indemnity(
                paid_on,
                amount,
                discovered_at=claim.discovered_at,
                today=today,
                tz=services.settings.tz,
            )
        except DomainError as error:
            await say_error(ctx, error, retry)
            return
        draft = {
            "claim_id": claim.id,
            "payee": self.payee.value,
            "amount": str(amount),
            "paid_on": paid_on.isoformat(),
        }
        nonce = await _save(ctx, INDEMNIFYING, draft)
        card = ClaimCard(services.i18n, ctx.lang)
        text = ctx.t(
            "claim.follow.confirm_indemnity",
            number=claim.number,
            payee=card.payee(self.payee.value, claim.body_kind),
            amount=services.i18n.money(ctx.lang, amount),
            paid_on=services.i18n.date(ctx.lang, paid_on),
        )
        rows = [
            [(ctx.t("claim.button.record_indemnity"), f"clm:iok:{nonce}")],
            [(ctx.t("claim.button.fix"), f"clm:ipy:{claim.id}:{self.payee.value}")],
            [(ctx.t("common.button.cancel"), f"clm:ino:{nonce}")],
        ]
        await answer(ctx, text, view=components(actions(rows)), ephemeral=True)


@step("iok")
async def indemnity_confirmed(ctx: Ctx, parts: list[str]) -> None:
    assert ctx.person is not None
    services = ctx.services
    draft = await _load(ctx, INDEMNIFYING, parts)
    if draft is None:
        return
    try:
        claim = await service.record_indemnity(
            services.db,
            ctx.person.id,
            int(draft["claim_id"]),
            paid_on=date.fromisoformat(draft["paid_on"]),
            payee=IndemnityPayee(draft["payee"]),
            amount=Decimal(draft["amount"]),
            now=services.clock.now(),
        )
    except DomainError as error:
        await say_error(ctx, error)
        return
    await drafts.drop(services.db, INDEMNIFYING, _key(ctx))
    await answer(ctx, ctx.t("claim.follow.indemnity_saved", number=claim.number), ephemeral=True)
    line = lambda card: {"indemnity": Safe(card.indemnity_line(claim))}  # noqa: E731
    if ctx.person.role == Role.STAFF:  # the body learns it; staff learn the body's
        messages = await notices.tell_body(
            services.db, services.i18n, claim, "claim.notify.indemnity", line
        )
    else:
        messages = await notices.tell_staff(
            services.db, services.i18n, services.settings, claim, "claim.notify.indemnity", line
        )
    await tell(ctx, messages)


@step("ino")
async def indemnity_cancelled(ctx: Ctx, parts: list[str]) -> None:
    await _cancelled(ctx, INDEMNIFYING)


# --- registration ----------------------------------------------------------------------------


def register_commands(client: PneDiscord) -> None:
    tree = client.tree

    @tree.command(name=name("sinistre"), description=described(client, "sinistre"))
    @app_commands.describe(numero=option(client, "dclm.option.number"))
    async def sinistre(interaction: discord.Interaction, numero: str) -> None:
        ctx = await context_of(client, interaction)
        await look_up(ctx, numero)
