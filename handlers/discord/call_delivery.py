"""/livraison on Discord: a call's equipment delivered to a selected school (art. 1, 2
and 6; decision 0043), over the same services as Telegram's handlers/telegram/
calls_delivery.py.

/livraison (staff) shows the selected applications still to deliver in a select
(``amid:app:<nonce>``, the chosen ticket appended). Without a file, the choice opens a
form for the items, typed one per line as on Telegram (``TAG;serial;value;dd/mm/yyyy
[;room]``); with the command's ``fichier`` option, the supplier's CSV is read first, all
or nothing. Every bad row is named with its line in French and nothing is recorded (the
form offered again, filled as it was). A summary names the school and the items, « ✅
Enregistrer » records them (the equipment, the training need, the body's insurance
certificate asked) and the notices go out through the router. Between two interactions
the delivery is a draft row under the nonce the buttons carry (decision 0047).
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.cards.call_staff import StaffCallCard
from bot.cards.certificates import CertificateCard
from bot.domain.dates import local_date
from bot.domain.errors import DomainError
from bot.domain.roles import Action, can
from bot.services import call_delivery, drafts
from bot.services.delivery import actions
from bot.services.directory import ImportFailed
from handlers.discord.buttons import on, refuse
from handlers.discord.claim_follow import Form
from handlers.discord.claims import say_error, select_menu
from handlers.discord.commands import described, name, option
from handlers.discord.context import Ctx, answer, context_of
from handlers.discord.render import components
from handlers.discord.telling import tell

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord

log = logging.getLogger(__name__)

NAMESPACE = "amid"
DELIVERING = "discord:call_delivery"
MAX_APPLICATIONS = 25  # a select's options
MAX_CSV_BYTES = 1_000_000  # as on Telegram
MAX_TYPED = 4000  # Discord's longest text input
MAX_ID = 2**31 - 1
_NONCE = re.compile(r"^[0-9a-f]{1,16}$")


def _key(ctx: Ctx) -> str:
    assert ctx.person is not None
    return str(ctx.person.id)


def _today(ctx: Ctx) -> date:
    return local_date(ctx.services.clock.now(), ctx.services.settings.tz)


def _id(part: str) -> int | None:
    return int(part) if part.isdigit() and len(part) <= 10 and int(part) <= MAX_ID else None


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def _allowed(ctx: Ctx) -> bool:
    person = ctx.person
    if person is None:
        await refuse(ctx, "discord.stranger")
        return False
    if not can(person.role, Action.MANAGE_CALLS):
        await refuse(ctx, "common.error.forbidden")
        return False
    return True


def _stored(items: list[call_delivery.DeliveredItem]) -> list[dict[str, Any]]:
    return [
        {
            "line": i.line,
            "asset_tag": i.asset_tag,
            "serial": i.serial,
            "value": str(i.value),
            "installed_on": i.installed_on.isoformat(),
            "room": i.room,
            "model": i.model,
        }
        for i in items
    ]


def _items(draft: dict[str, Any]) -> list[call_delivery.DeliveredItem]:
    return [
        call_delivery.DeliveredItem(
            int(i["line"]),
            i["asset_tag"],
            i.get("serial"),
            Decimal(i["value"]),
            date.fromisoformat(i["installed_on"]),
            i.get("room"),
            i.get("model"),
        )
        for i in draft.get("items", [])
    ]


async def _refused_rows(
    ctx: Ctx, failed: ImportFailed, view: discord.ui.View | None = None
) -> None:
    text = StaffCallCard(ctx.services.i18n, ctx.lang).refused_rows(failed)
    await answer(ctx, text, view=view, ephemeral=True)


# --- /livraison ---------------------------------------------------------------------------------


async def start(ctx: Ctx, fichier: discord.Attachment | None) -> None:
    """The applications to deliver in a select; a CSV given is read first, all or nothing."""
    if not await _allowed(ctx):
        return
    assert ctx.person is not None
    services = ctx.services
    found = await call_delivery.deliverable(services.db, ctx.person.id)
    if not found:
        await answer(ctx, ctx.t("amid.none"))
        return
    draft: dict[str, Any] = {}
    if fichier is not None:
        if fichier.size > MAX_CSV_BYTES:
            await answer(ctx, ctx.t("amid.csv_too_big"))
            return
        try:
            data = await fichier.read()
        except discord.HTTPException:
            await answer(ctx, ctx.t("amid.csv_unreadable"))
            return
        try:
            items = call_delivery.read_csv(data, _today(ctx))
        except ImportFailed as failed:
            await _refused_rows(ctx, failed)
            return
        draft = {"items": _stored(items), "file": fichier.filename}
    nonce = await drafts.save(services.db, DELIVERING, _key(ctx), draft, services.clock.now())
    choices = [
        (
            ctx.t(
                "amid.app_button",
                number=d.application.number,
                school=d.application.school_name,
                delivered=d.delivered,
                units=d.units,
            ),
            str(d.application.id),
        )
        for d in found[:MAX_APPLICATIONS]
    ]
    view = select_menu(f"amid:app:{nonce}", ctx.t("dcalls.delivery.pick"), choices)
    view.add_item(
        discord.ui.Button(
            label=ctx.t("common.button.cancel"),
            custom_id=f"amid:abort:{nonce}",
            style=discord.ButtonStyle.secondary,
        )
    )
    text = ctx.t("amid.ask_application")
    if fichier is None:
        text += "\n" + ctx.t("dcalls.delivery.csv_hint")
    else:
        text += "\n" + ctx.t(
            "dcalls.delivery.csv_read", file=fichier.filename, count=len(draft["items"])
        )
    await answer(ctx, text, view=view)


async def _deliverable(ctx: Ctx, ticket_id: int) -> call_delivery.Deliverable | None:
    assert ctx.person is not None
    found = await call_delivery.deliverable(ctx.services.db, ctx.person.id)
    chosen = next((d for d in found if d.application.id == ticket_id), None)
    if chosen is None:
        await refuse(ctx, "amid.error.not_selected")
    return chosen


async def _chosen(ctx: Ctx, nonce: str, ticket_id: int) -> None:
    """The application chosen: the CSV's items checked for it, or the form for them."""
    services = ctx.services
    draft = await drafts.load(services.db, DELIVERING, _key(ctx), nonce)
    if draft is None:
        await refuse(ctx, "common.stale_button")
        return
    chosen = await _deliverable(ctx, ticket_id)
    if chosen is None:
        return
    if draft.get("items"):
        await _checked(ctx, chosen.application.id, _items(draft), typed=None)
        return
    await ctx.interaction.response.send_modal(ItemsForm(ctx, chosen))


class ItemsForm(Form):
    """The items delivered, one per line, as Telegram reads them typed."""

    def __init__(self, ctx: Ctx, chosen: call_delivery.Deliverable, typed: str = "") -> None:
        application = chosen.application
        super().__init__(
            ctx.t("dcalls.delivery.form_title", number=application.number),
            f"amid:if:{application.id}:{secrets.token_hex(4)}",
        )
        self.ticket_id = application.id
        left = chosen.units - chosen.delivered
        self.field(
            "items",
            _cut(ctx.t("dcalls.delivery.field_items", count=left), 45),
            style_paragraph=True,
            placeholder=ctx.t("dcalls.delivery.placeholder"),
            max_length=MAX_TYPED,
            default=typed or None,
        )

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        if not await _allowed(ctx):
            return
        typed = values.get("items", "")
        try:
            items = call_delivery.read_typed(typed, _today(ctx))
        except ImportFailed as failed:
            await _refused_rows(ctx, failed, await _again(ctx, self.ticket_id, typed))
            return
        await _checked(ctx, self.ticket_id, items, typed=typed)


async def _again(ctx: Ctx, ticket_id: int, typed: str | None) -> discord.ui.View | None:
    """« ✏️ Corriger la liste »: the form offered again, filled as it was sent."""
    services = ctx.services
    draft = {"ticket_id": ticket_id, "typed": typed or ""}
    nonce = await drafts.save(services.db, DELIVERING, _key(ctx), draft, services.clock.now())
    return components(actions([[(ctx.t("amid.button.fix"), f"amid:fix:{nonce}")]]))


async def _checked(
    ctx: Ctx, ticket_id: int, items: list[call_delivery.DeliveredItem], *, typed: str | None
) -> None:
    """The items checked against the inventory and the application: the summary naming
    the school and what is recorded, with « ✅ Enregistrer »."""
    assert ctx.person is not None
    services = ctx.services
    now = services.clock.now()
    try:
        plan = await call_delivery.check(services.db, ctx.person.id, ticket_id, items, now)
    except ImportFailed as failed:
        await _refused_rows(ctx, failed, await _again(ctx, ticket_id, typed))
        return
    except DomainError as error:
        await say_error(ctx, error, await _again(ctx, ticket_id, typed))
        return
    draft = {"ticket_id": ticket_id, "items": _stored(items), "typed": typed or ""}
    nonce = await drafts.save(services.db, DELIVERING, _key(ctx), draft, now)
    label = ctx.t("amid.button.record", count=len(items), school=plan.application.school_name)
    rows = [
        [(_cut(label, 80), f"amid:ok:{nonce}")],
        [(ctx.t("amid.button.fix"), f"amid:fix:{nonce}")],
        [(ctx.t("common.button.cancel"), f"amid:abort:{nonce}")],
    ]
    summary = CertificateCard(services.i18n, ctx.lang).delivery_summary(plan)
    await answer(ctx, summary, view=components(actions(rows)))


async def _record(ctx: Ctx, nonce: str) -> None:
    assert ctx.person is not None
    services = ctx.services
    draft = await drafts.load(services.db, DELIVERING, _key(ctx), nonce)
    if draft is None or "ticket_id" not in draft or not draft.get("items"):
        await refuse(ctx, "common.stale_button")
        return
    await drafts.drop(services.db, DELIVERING, _key(ctx))
    try:
        done = await call_delivery.record(
            services.db,
            services.i18n,
            ctx.person.id,
            int(draft["ticket_id"]),
            _items(draft),
            services.clock.now(),
        )
    except ImportFailed as failed:  # a tag entered the inventory meanwhile
        await _refused_rows(ctx, failed)
        return
    except DomainError as error:
        await say_error(ctx, error)
        return
    key = "amid.done.asked" if done.asked.certificate is not None else "amid.done.covered"
    await answer(
        ctx,
        ctx.t(
            key,
            count=done.count,
            school=done.school_name,
            number=done.application.number,
            body=done.body_name,
        ),
    )
    await tell(ctx, done.messages)


async def _fix(ctx: Ctx, nonce: str) -> None:
    services = ctx.services
    draft = await drafts.load(services.db, DELIVERING, _key(ctx), nonce)
    if draft is None or "ticket_id" not in draft:
        await refuse(ctx, "common.stale_button")
        return
    chosen = await _deliverable(ctx, int(draft["ticket_id"]))
    if chosen is None:
        return
    await ctx.interaction.response.send_modal(ItemsForm(ctx, chosen, str(draft.get("typed") or "")))


async def _abort(ctx: Ctx, nonce: str) -> None:
    services = ctx.services
    if await drafts.load(services.db, DELIVERING, _key(ctx), nonce) is None:
        await refuse(ctx, "common.stale_button")
        return
    await drafts.drop(services.db, DELIVERING, _key(ctx))
    await answer(ctx, ctx.t("common.cancelled"))


@on(NAMESPACE)
async def tapped(ctx: Ctx, action: str) -> None:
    """Every ``amid:`` button and select; ids parsed defensively, the draft's nonce
    checked, the application checked again by the services."""
    if not await _allowed(ctx):
        return
    parts = action.split(":")
    verb = parts[1] if len(parts) > 1 else ""
    nonce = parts[2] if len(parts) > 2 and _NONCE.match(parts[2]) else None
    if nonce is None:
        await refuse(ctx, "common.stale_button")
    elif verb == "app" and len(parts) == 4 and _id(parts[3]) is not None:
        ticket_id = _id(parts[3])
        assert ticket_id is not None
        await _chosen(ctx, nonce, ticket_id)
    elif verb == "ok" and len(parts) == 3:
        await _record(ctx, nonce)
    elif verb == "fix" and len(parts) == 3:
        await _fix(ctx, nonce)
    elif verb == "abort" and len(parts) == 3:
        await _abort(ctx, nonce)
    else:
        await refuse(ctx, "common.stale_button")


def register(client: PneDiscord) -> None:
    @client.tree.command(name=name("livraison"), description=described(client, "livraison"))
    @app_commands.describe(fichier=option(client, "dcalls.option.file"))
    async def livraison(
        interaction: discord.Interaction, fichier: discord.Attachment | None = None
    ) -> None:
        await start(await context_of(client, interaction), fichier)
