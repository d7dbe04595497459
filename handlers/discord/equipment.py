"""Staff's equipment and notice tools on Discord: /suspensions (the security condition of
art. 6), /formations (the training needs), /reseau (the school network, art. 2).

The same services as Telegram's (``handlers/telegram/holds.py``, ``classes.py``,
``network.py``) and the same catalog texts, with Discord's means: a hold's reason and a
lift's note are typed in a modal (offered again, with « ✏️ Corriger », when refused);
the confirmation names the school; what the confirmation writes waits in a draft row
under the person (``bot.services.drafts``) whose nonce its buttons carry, so a restart
loses nothing and an older confirmation confirms nothing. Buttons: ``hold:`` (``place``,
``lift``, ``ok``, ``no`` — the claim card's « ⛔ Suspendre » lands here too), ``trn:``
(``done``, ``export``), ``net:`` (``ok``, ``no``); each re-checked on arrival, the
service checking the role again when it writes. The body's agents are told through the
process's router, each on their own platform.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Sequence
from datetime import datetime
from itertools import groupby
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.cards.claims import error_params
from bot.cards.holds import HoldCard
from bot.cards.notices import NoticeCard
from bot.cards.stock import StockCard
from bot.domain.dates import local_date
from bot.domain.directory import normalize_uai
from bot.domain.errors import DomainError
from bot.domain.holds import hold_text
from bot.domain.roles import Action, can
from bot.domain.stock import Asked, parse_reassign_args
from bot.services import announcements, drafts, notice_notices, training_files
from bot.services import hold_notices as hold_notices
from bot.services import holds as holds_service
from bot.services import notices as notices_service
from bot.services import stock as stock_service
from bot.services.audiences import StaffRoom
from bot.services.delivery import actions
from handlers.discord.buttons import on, refuse
from handlers.discord.claim_follow import Form, again_button
from handlers.discord.commands import described, name, option
from handlers.discord.context import Ctx, answer, context_of
from handlers.discord.render import components
from handlers.discord.telling import tell

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord

log = logging.getLogger(__name__)

HOLDING = "discord:hold"
NETWORK = "discord:network"
STOCKING = "discord:stock"
MAX_ID = 2**31 - 1  # a forged id beyond what the database's integers hold is stale
# Refusals about the school chosen: « ✏️ Corriger » offers the school's form again.
SCHOOL_ERRORS = frozenset(
    {"stock.error.uai", "stock.error.unknown_school", "stock.error.same_school"}
)
MAX_BUTTONS = 25  # of one Discord message
MAX_CHOICES = 25  # of an autocomplete


# --- shared ----------------------------------------------------------------------------------


def _may(ctx: Ctx, action: Action) -> bool:
    return ctx.person is not None and can(ctx.person.role, action)


async def _refused(ctx: Ctx, action: Action) -> bool:
    """A stranger or a person without the right is told so (Telegram's same refusal)."""
    if ctx.person is None:
        await refuse(ctx, "discord.stranger")
        return True
    if not can(ctx.person.role, action):
        await refuse(ctx, "common.error.forbidden")
        return True
    return False


async def _say_error(ctx: Ctx, error: DomainError, view: discord.ui.View | None = None) -> None:
    params = error_params(ctx.services.i18n, ctx.lang, error.params)
    await answer(ctx, ctx.t(error.code, **params), view=view, ephemeral=True)


def _key(ctx: Ctx) -> str:
    assert ctx.person is not None
    return str(ctx.person.id)


def _day(ctx: Ctx, at: datetime) -> str:
    i18n = ctx.services.i18n
    return i18n.date(ctx.lang, local_date(at, i18n.tz))


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) <= 10 else None


async def _with_buttons(ctx: Ctx, text: str, rows: Sequence[list[tuple[str, str]]]) -> None:
    """A text and its buttons, the buttons spread over as many messages as Discord needs
    (25 to a message), the text on the first."""
    chunks = [list(rows[n : n + MAX_BUTTONS]) for n in range(0, len(rows), MAX_BUTTONS)]
    await answer(ctx, text, view=components(actions(chunks[0])) if chunks else None)
    for more in chunks[1:]:
        await answer(ctx, ctx.t("discord.equipment.more"), view=components(actions(more)))


# --- /suspensions ----------------------------------------------------------------------------


async def holds(ctx: Ctx) -> None:
    """The open holds (each with « Lever »), then the flagged schools without one (each with
    « Suspendre »)."""
    if await _refused(ctx, Action.MANAGE_CLAIM):
        return
    assert ctx.person is not None
    overview = await holds_service.overview(
        ctx.services.db, ctx.person.id, ctx.services.clock.now()
    )
    if not overview.open and not overview.flagged:
        await answer(ctx, ctx.t("hold.list.empty"))
        return
    lines, rows = HoldCard(ctx.services.i18n, ctx.lang).overview(overview)
    await _with_buttons(ctx, "\n".join(lines), rows)


class ReasonForm(Form):
    """Why the school's replacements are held (told to its body's agents)."""

    def __init__(self, ctx: Ctx, target: holds_service.HoldTarget) -> None:
        super().__init__(
            ctx.t("discord.hold.place_title", school=target.school_name),
            f"hold:rf:{target.school_id}",
        )
        self.school_id = target.school_id
        self.field(
            "reason",
            ctx.t("discord.hold.field_reason")[:45],
            style_paragraph=True,
            placeholder=ctx.t("discord.hold.reason_hint", recent=target.recent)[:100],
            max_length=4000,
        )

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        if await _refused(ctx, Action.MANAGE_CLAIM):
            return
        assert ctx.person is not None
        services = ctx.services
        try:
            reason = hold_text(values["reason"], code="hold.error.reason_required")
            target = await holds_service.hold_target(
                services.db, ctx.person.id, self.school_id, services.clock.now()
            )
        except DomainError as error:
            again = error.code in {"hold.error.reason_required", "hold.error.too_long"}
            await _say_error(
                ctx, error, again_button(ctx, f"hold:place:{self.school_id}") if again else None
            )
            return
        draft = {
            "kind": "place",
            "school_id": target.school_id,
            "school": target.school_name,
            "uai": target.school_uai,
            "reason": reason,
        }
        nonce = await drafts.save(services.db, HOLDING, _key(ctx), draft, services.clock.now())
        await _confirm(
            ctx,
            "security_hold",
            nonce,
            ctx.t(
                "hold.confirm_place",
                school=target.school_name,
                uai=target.school_uai,
                reason=reason,
            ),
        )


class NoteForm(Form):
    """What is kept of the lift (the measures taken), told to the body's agents."""

    def __init__(self, ctx: Ctx, hold: holds_service.HoldView) -> None:
        super().__init__(
            ctx.t("discord.hold.lift_title", school=hold.school_name), f"hold:nf:{hold.id}"
        )
        self.hold_id = hold.id
        self.field(
            "note",
            ctx.t("discord.hold.field_note")[:45],
            style_paragraph=True,
            placeholder=ctx.t("discord.hold.note_hint", since=_day(ctx, hold.placed_at))[:100],
            max_length=4000,
        )

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        if await _refused(ctx, Action.MANAGE_CLAIM):
            return
        assert ctx.person is not None
        services = ctx.services
        try:
            note = hold_text(values["note"], code="hold.error.note_required")
            hold = await holds_service.hold_to_lift(services.db, ctx.person.id, self.hold_id)
        except DomainError as error:
            again = error.code in {"hold.error.note_required", "hold.error.too_long"}
            await _say_error(
                ctx, error, again_button(ctx, f"hold:lift:{self.hold_id}") if again else None
            )
            return
        draft = {"kind": "lift", "hold_id": hold.id, "school": hold.school_name, "note": note}
        nonce = await drafts.save(services.db, HOLDING, _key(ctx), draft, services.clock.now())
        await _confirm(
            ctx,
            "security_lift",
            nonce,
            ctx.t("hold.confirm_lift", school=hold.school_name, note=note),
        )


async def _confirm(ctx: Ctx, which: str, nonce: str, text: str) -> None:
    rows = [
        [(ctx.t(f"hold.button.confirm_{which}"), f"hold:ok:{nonce}")],
        [(ctx.t("common.button.cancel"), f"hold:no:{nonce}")],
    ]
    await answer(ctx, text, view=components(actions(rows)), ephemeral=True)


@on("hold")
async def hold_tapped(ctx: Ctx, action: str) -> None:
    """« Suspendre » and « Lever » (a modal), then « Confirmer » or « Annuler »."""
    if await _refused(ctx, Action.MANAGE_CLAIM):
        return
    assert ctx.person is not None
    parts = action.split(":")
    services = ctx.services
    if len(parts) != 3 or parts[1] not in {"place", "lift", "ok", "no"}:
        await refuse(ctx, "common.stale_button")
        return
    verb, value = parts[1], parts[2]
    if verb in {"place", "lift"}:
        number = _number(value)
        if number is None:
            await refuse(ctx, "common.stale_button")
            return
        try:
            if verb == "place":
                target = await holds_service.hold_target(
                    services.db, ctx.person.id, number, services.clock.now()
                )
                form: Form = ReasonForm(ctx, target)
            else:
                form = NoteForm(
                    ctx, await holds_service.hold_to_lift(services.db, ctx.person.id, number)
                )
        except DomainError as error:
            await _say_error(ctx, error)
            return
        await ctx.interaction.response.send_modal(form)
        return
    draft = await drafts.load(services.db, HOLDING, _key(ctx), value)
    # The draft goes first: a second tap of the same « Confirmer » finds nothing to write.
    if draft is None or not await drafts.drop(services.db, HOLDING, _key(ctx)):
        await refuse(ctx, "common.stale_button")
        return
    if verb == "no":
        await answer(ctx, ctx.t("common.cancelled"), ephemeral=True)
        return
    now = services.clock.now()
    try:
        if draft["kind"] == "place":
            hold = await holds_service.place_hold(
                services.db, ctx.person.id, int(draft["school_id"]), reason=draft["reason"], now=now
            )
            told = await tell(ctx, await hold_notices.placed(services.db, services.i18n, hold))
            key = "hold.placed" if told else "hold.placed_nobody_told"
        else:
            hold = await holds_service.lift_hold(
                services.db, ctx.person.id, int(draft["hold_id"]), note=draft["note"], now=now
            )
            await tell(ctx, await hold_notices.lifted(services.db, services.i18n, hold))
            key = "hold.lifted"
    except DomainError as error:
        await _say_error(ctx, error)
        return
    await answer(ctx, ctx.t(key, school=hold.school_name, body=hold.body_name), ephemeral=True)


# --- /formations -----------------------------------------------------------------------------


async def trainings(ctx: Ctx) -> None:
    """The open training needs, by school (a message each), each with its « ✅ Fait »."""
    if await _refused(ctx, Action.MANAGE_NOTICES):
        return
    assert ctx.person is not None
    needs = await notices_service.training_needs(ctx.services.db, ctx.person.id)
    export = components(actions([[(ctx.t("training.button.export"), "trn:export")]]))
    if not needs:
        await answer(ctx, ctx.t("training.none"), view=export)
        return
    await answer(ctx, ctx.t("training.head", count=len(needs)))
    card = NoticeCard(ctx.services.i18n, ctx.lang)
    number = 0
    for (_, school, uai, commune), group in groupby(
        needs, key=lambda n: (n.school_id, n.school_name, n.school_uai, n.commune_name)
    ):
        lines = [ctx.t("training.school", school=school, uai=uai, commune=commune)]
        rows: list[list[tuple[str, str]]] = []
        for need in group:
            number += 1
            line = card.training_line(need)
            if need.number:
                line += " " + ctx.t("training.from_notice", number=need.number)
            lines.append(f"{number}. {line.removeprefix('• ')}")
            rows.append([(ctx.t("training.button.done", n=number), f"trn:done:{need.id}")])
        await _with_buttons(ctx, "\n".join(lines), rows)
    await answer(ctx, ctx.t("training.export_hint"), view=export)


@on("trn")
async def training_tapped(ctx: Ctx, action: str) -> None:
    """« ✅ Fait » (the need re-read, once) and « 📥 Export » (the workbook attached)."""
    if await _refused(ctx, Action.MANAGE_NOTICES):
        return
    assert ctx.person is not None
    parts = action.split(":")
    services = ctx.services
    if parts == ["trn", "export"]:
        await _export(ctx)
        return
    need_id = _number(parts[2]) if len(parts) == 3 and parts[1] == "done" else None
    if need_id is None:
        await refuse(ctx, "common.stale_button")
        return
    every = await notices_service.training_needs(services.db, ctx.person.id, open_only=False)
    need = next((n for n in every if n.id == need_id), None)
    if need is None:
        await refuse(ctx, "notice.error.training_not_found")
        return
    if need.done_at is not None:
        await refuse(ctx, "training.already_done", day=_day(ctx, need.done_at))
        return
    try:
        await notices_service.training_done(
            services.db, ctx.person.id, need_id, services.clock.now()
        )
    except DomainError as error:
        await _say_error(ctx, error)
        return
    reason = NoticeCard(services.i18n, ctx.lang).training_reason(need)
    await _drop_button(ctx, action)
    await answer(ctx, ctx.t("training.done", school=need.school_name, reason=reason))


async def _drop_button(ctx: Ctx, used: str) -> None:
    """The « ✅ Fait » just used leaves its message; the others stay."""
    message = ctx.interaction.message
    if message is None or ctx.interaction.response.is_done():
        return
    rows = [
        [
            (str(item.label), str(item.custom_id))
            for item in row.children
            if isinstance(item, discord.Button) and item.custom_id and item.custom_id != used
        ]
        for row in message.components
        if isinstance(row, discord.ActionRow)
    ]
    await ctx.interaction.response.edit_message(view=components(actions(rows)))


async def _export(ctx: Ctx) -> None:
    assert ctx.person is not None
    services = ctx.services
    needs = await notices_service.training_needs(services.db, ctx.person.id, open_only=False)
    if not needs:
        await answer(ctx, ctx.t("training.none"))
        return
    await ctx.interaction.response.defer(ephemeral=not ctx.private, thinking=True)
    now = services.clock.now()
    xlsx = await asyncio.to_thread(
        training_files.training_needs_xlsx, needs, ctx.lang, services.i18n, generated=now
    )
    day = local_date(now, services.settings.tz).isoformat()
    filename = f"{ctx.t('training.file_name', day=day)}.xlsx"
    await answer(ctx, ctx.t("training.exported", count=len(needs)))
    await ctx.interaction.followup.send(
        file=discord.File(io.BytesIO(_bytes(xlsx)), filename=filename),
        ephemeral=not ctx.private,
    )


def _bytes(document: Any) -> bytes:
    """The workbook as bytes, whether the service gives bytes or a file."""
    if isinstance(document, bytes | bytearray):
        return bytes(document)
    document.seek(0)
    return bytes(document.read())


# --- /reseau ---------------------------------------------------------------------------------


async def network(ctx: Ctx, school: str, text: str) -> None:
    """The confirmation naming the school, its body and the text."""
    if await _refused(ctx, Action.MANAGE_NOTICES):
        return
    assert ctx.person is not None
    services = ctx.services
    if not text.strip():
        await answer(ctx, ctx.t("notice.network.usage"), ephemeral=True)
        return
    try:
        uai = normalize_uai(school)
        target = await notices_service.network_target(services.db, ctx.person.id, uai, text)
    except DomainError as error:
        await _say_error(ctx, error)
        return
    draft = {"uai": target.school_uai, "text": target.text}
    nonce = await drafts.save(services.db, NETWORK, _key(ctx), draft, services.clock.now())
    rows = [
        [(ctx.t("notice.network.button.confirm"), f"net:ok:{nonce}")],
        [(ctx.t("common.button.cancel"), f"net:no:{nonce}")],
    ]
    await answer(
        ctx,
        ctx.t(
            "notice.network.confirm",
            body=target.body_name,
            school=target.school_name,
            uai=target.school_uai,
            commune=target.commune_name,
            text=target.text,
        ),
        view=components(actions(rows)),
        ephemeral=True,
    )


@on("net")
async def network_tapped(ctx: Ctx, action: str) -> None:
    """« ✅ Demander le débranchement »: written, the body's agents told; « Annuler »."""
    if await _refused(ctx, Action.MANAGE_NOTICES):
        return
    assert ctx.person is not None
    parts = action.split(":")
    services = ctx.services
    if len(parts) != 3 or parts[1] not in {"ok", "no"}:
        await refuse(ctx, "common.stale_button")
        return
    draft = await drafts.load(services.db, NETWORK, _key(ctx), parts[2])
    if draft is None or not await drafts.drop(services.db, NETWORK, _key(ctx)):
        await refuse(ctx, "common.stale_button")
        return
    if parts[1] == "no":
        await answer(ctx, ctx.t("common.cancelled"), ephemeral=True)
        return
    try:
        view = await notices_service.ask_disconnection(
            services.db, ctx.person.id, str(draft["uai"]), str(draft["text"]), services.clock.now()
        )
    except DomainError as error:
        await _say_error(ctx, error)
        return
    told = await tell(
        ctx,
        await notice_notices.after_telling(services.db, services.i18n, services.settings, view),
    )
    if told:
        text = ctx.t("notice.network.sent", number=view.number, body=view.body_name, count=told)
    else:
        text = ctx.t("notice.network.sent_nobody", number=view.number, body=view.body_name)
    await answer(ctx, text, ephemeral=True)


# --- /stock and /reattribuer -----------------------------------------------------------------


def _room(ctx: Ctx) -> StaffRoom:
    return StaffRoom.of(ctx.services.settings)


async def _stock_error(ctx: Ctx, error: DomainError, view: discord.ui.View | None = None) -> None:
    """The service's refusal in words (an item's state named, not coded)."""
    params = error_params(ctx.services.i18n, ctx.lang, error.params)
    if "state" in params:
        params["state"] = ctx.t(f"stock.item_state.{params['state']}")
    await answer(ctx, ctx.t(error.code, **params), view=view, ephemeral=True)


def _type(ctx: Ctx, code: str) -> str:
    return StockCard(ctx.services.i18n, ctx.lang).type(code)


def _age(ctx: Ctx, years: int | None) -> str:
    return StockCard(ctx.services.i18n, ctx.lang).age(years)


async def stock(ctx: Ctx, page: int) -> None:
    """The items in stock by type and age, a page of them each with « Réattribuer », the
    items on their way each with « Annuler l'envoi », and the pages."""
    if await _refused(ctx, Action.MANAGE_EQUIPMENT):
        return
    assert ctx.person is not None
    services = ctx.services
    view = await stock_service.stock(services.db, ctx.person.id, services.clock.now(), page)
    if view.total == 0 and not view.sent:
        await answer(ctx, ctx.t("stock.list.empty"))
        return
    lines, rows, nav = StockCard(services.i18n, ctx.lang).listing(view)
    if view.items:
        lines += ["", ctx.t("discord.stock.hint")]
    await _with_buttons(ctx, "\n".join(lines), [*rows, nav] if nav else rows)


def _schools_view(
    ctx: Ctx, equipment_id: int, schools: tuple[stock_service.Candidate, ...]
) -> discord.ui.View:
    """The schools offered (a select), and « Une autre école » (a modal)."""
    view = discord.ui.View(timeout=None)
    if schools:
        options = []
        for school in schools[:MAX_CHOICES]:
            marks = []
            if Asked.CLAIM in school.asked:
                marks.append(ctx.t("stock.mark.asked_claim"))
            if Asked.MESSAGE in school.asked:
                marks.append(ctx.t("stock.mark.asked_message"))
            if school.held:
                marks.append(ctx.t("stock.mark.held"))
            label = " ".join([*marks, f"{school.name} ({school.uai})"])
            options.append(discord.SelectOption(label=label[:100], value=school.uai))
        view.add_item(
            discord.ui.Select(
                custom_id=f"stk:to:{equipment_id}",
                placeholder=ctx.t("discord.stock.choose")[:150],
                options=options,
            )
        )
    view.add_item(
        discord.ui.Button(
            label=ctx.t("discord.stock.other_school"),
            custom_id=f"stk:find:{equipment_id}",
            style=discord.ButtonStyle.secondary,
        )
    )
    return view


async def _offer(ctx: Ctx, equipment_id: int) -> None:
    assert ctx.person is not None
    services = ctx.services
    try:
        offer = await stock_service.candidates(
            services.db, ctx.person.id, equipment_id, services.clock.now()
        )
    except DomainError as error:
        await _stock_error(ctx, error)
        return
    item = offer.item
    text = StockCard(services.i18n, ctx.lang).ask_school(offer, "discord.stock.ask_school")
    await answer(
        ctx, text, view=_schools_view(ctx, item.equipment_id, offer.candidates), ephemeral=True
    )


class SchoolForm(Form):
    """Another school: its UAI, or part of its name to search."""

    def __init__(self, ctx: Ctx, equipment_id: int) -> None:
        super().__init__(ctx.t("discord.stock.school_title"), f"stk:sf:{equipment_id}")
        self.equipment_id = equipment_id
        self.field("school", ctx.t("discord.stock.field_school")[:45], max_length=60)

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        if await _refused(ctx, Action.MANAGE_EQUIPMENT):
            return
        assert ctx.person is not None
        services = ctx.services
        typed = values["school"].strip()[:60]
        again = again_button(ctx, f"stk:find:{self.equipment_id}")
        try:
            uai = normalize_uai(typed)
        except DomainError:
            uai = None
        try:
            if uai is None:
                offer = await stock_service.candidates(
                    services.db,
                    ctx.person.id,
                    self.equipment_id,
                    services.clock.now(),
                    search=typed,
                )
            else:
                item = await stock_service.candidates(
                    services.db, ctx.person.id, self.equipment_id, services.clock.now()
                )
        except DomainError as error:
            await _stock_error(ctx, error)
            return
        if uai is not None:
            await _preview(ctx, item.item.asset_tag, uai, again)
            return
        if not typed or not offer.candidates:
            await answer(
                ctx, ctx.t("stock.search.none", text=typed or "…"), view=again, ephemeral=True
            )
            return
        await answer(
            ctx,
            ctx.t("discord.stock.found", text=typed),
            view=_schools_view(ctx, self.equipment_id, offer.candidates),
            ephemeral=True,
        )


async def _preview(ctx: Ctx, tag: str, uai: str, again: discord.ui.View | None) -> None:
    """The confirmation naming the item and the school, or the refusal."""
    assert ctx.person is not None
    services = ctx.services
    try:
        found = await stock_service.preview(
            services.db, ctx.person.id, tag, uai, services.clock.now()
        )
    except DomainError as error:
        await _stock_error(ctx, error, again if error.code in SCHOOL_ERRORS else None)
        return
    draft = {"tag": found.item.asset_tag, "uai": found.to.uai}
    nonce = await drafts.save(services.db, STOCKING, _key(ctx), draft, services.clock.now())
    lines = [
        ctx.t(
            "stock.confirm",
            tag=found.item.asset_tag,
            type=_type(ctx, found.item.type),
            model=found.item.model,
            school=found.to.name,
            uai=found.to.uai,
            commune=found.to.commune_name,
        )
    ]
    if found.to.asked:
        lines.append(ctx.t("stock.confirm.asked"))
    if found.to.held:
        lines.append(ctx.t("stock.confirm.held"))
    label = ctx.t(
        "stock.button.confirm", tag=found.item.asset_tag, school=found.to.name, uai=found.to.uai
    )
    rows = [[(label, f"stk:ok:{nonce}")], [(ctx.t("common.button.cancel"), f"stk:no:{nonce}")]]
    await answer(ctx, "\n".join(lines), view=components(actions(rows)), ephemeral=True)


async def reassign_command(ctx: Ctx, tag: str, school: str) -> None:
    """/reattribuer <étiquette> <UAI>: straight to the confirmation."""
    if await _refused(ctx, Action.MANAGE_EQUIPMENT):
        return
    try:
        tag, uai = parse_reassign_args([tag, school])
    except DomainError as error:
        await _stock_error(ctx, error)
        return
    await _preview(ctx, tag, uai, None)


async def _reassign(ctx: Ctx, nonce: str, verb: str) -> None:
    assert ctx.person is not None
    services = ctx.services
    draft = await drafts.load(services.db, STOCKING, _key(ctx), nonce)
    # The draft goes first: a second tap of the same « Confirmer » sends nothing more.
    if draft is None or not await drafts.drop(services.db, STOCKING, _key(ctx)):
        await refuse(ctx, "common.stale_button")
        return
    if verb == "no":
        await answer(ctx, ctx.t("common.cancelled"), ephemeral=True)
        return
    try:
        done = await stock_service.reassign(
            services.db,
            ctx.person.id,
            str(draft["tag"]),
            str(draft["uai"]),
            services.clock.now(),
            i18n=services.i18n,
            room=_room(ctx),
        )
    except DomainError as error:
        await _stock_error(ctx, error)
        return
    told = await tell(ctx, done.messages)
    heads = done.heads_told if told else 0
    view = done.view
    undo = components(actions([[(ctx.t("stock.button.undo"), stock_service.UNDO.format(view.id))]]))
    params: dict[str, Any] = {
        "tag": view.asset_tag,
        "school": view.to_school_name,
        "uai": view.to_school_uai,
    }
    if heads:
        text = ctx.t("stock.done", count=heads, **params)
    else:
        text = ctx.t("stock.done_nobody_told", **params)
    await answer(ctx, text, view=undo, ephemeral=True)


async def _received(ctx: Ctx, reassignment_id: int) -> None:
    """The receiving head's « ✅ Reçu » (staff may too)."""
    assert ctx.person is not None
    services = ctx.services
    try:
        done = await stock_service.confirm_reception(
            services.db,
            ctx.person.id,
            reassignment_id,
            services.clock.now(),
            i18n=services.i18n,
            room=_room(ctx),
        )
    except DomainError as error:
        await _stock_error(ctx, error)
        return
    await tell(ctx, done.messages)
    view = done.view
    day = services.i18n.date(
        ctx.lang,
        view.installed_on or local_date(view.received_at or services.clock.now(), services.i18n.tz),
    )
    await answer(
        ctx,
        ctx.t(
            "stock.received_already" if done.already else "stock.received",
            tag=view.asset_tag,
            type=_type(ctx, view.type),
            school=view.to_school_name,
            day=day,
        ),
    )


async def _undo(ctx: Ctx, verb: str, reassignment_id: int) -> None:
    """« Annuler l'envoi »: asked first, naming the item and the school; then done or kept."""
    assert ctx.person is not None
    services = ctx.services
    try:
        view = await stock_service.reassignment_view(services.db, ctx.person.id, reassignment_id)
        params: dict[str, Any] = {
            "tag": view.asset_tag,
            "school": view.to_school_name,
            "uai": view.to_school_uai,
        }
        if verb == "keep":
            await answer(ctx, ctx.t("stock.kept", tag=view.asset_tag), ephemeral=True)
            return
        if verb == "undo":
            if view.state == "cancelled":
                await answer(ctx, ctx.t("stock.cancelled_already", **params), ephemeral=True)
                return
            if view.state == "received":
                await answer(ctx, ctx.t("stock.error.already_received"), ephemeral=True)
                return
            rows = [
                [(ctx.t("stock.button.undo_confirm", tag=view.asset_tag), f"stk:undook:{view.id}")],
                [(ctx.t("stock.button.keep"), f"stk:keep:{view.id}")],
            ]
            await answer(
                ctx,
                ctx.t("stock.cancel_ask", type=_type(ctx, view.type), **params),
                view=components(actions(rows)),
                ephemeral=True,
            )
            return
        done = await stock_service.cancel_reassignment(
            services.db,
            ctx.person.id,
            reassignment_id,
            services.clock.now(),
            i18n=services.i18n,
            room=_room(ctx),
        )
    except DomainError as error:
        await _stock_error(ctx, error)
        return
    await tell(ctx, done.messages)
    cancelled = done.view
    await answer(
        ctx,
        ctx.t(
            "stock.cancelled_already" if done.already else "stock.cancelled_done",
            tag=cancelled.asset_tag,
            school=cancelled.to_school_name,
            uai=cancelled.to_school_uai,
        ),
        ephemeral=True,
    )


@on("stk")
async def stock_tapped(ctx: Ctx, action: str) -> None:
    """Every ``stk:`` button and menu; the ids re-checked by the service."""
    parts = action.split(":")
    verb = parts[1] if len(parts) > 1 else ""
    needed = Action.RECEIVE_EQUIPMENT if verb == "recv" else Action.MANAGE_EQUIPMENT
    if await _refused(ctx, needed):
        return
    if verb in {"ok", "no"} and len(parts) == 3:
        await _reassign(ctx, parts[2], verb)
        return
    number = _number(parts[2]) if len(parts) >= 3 else None
    if number is None or number > MAX_ID:
        await refuse(ctx, "common.stale_button")
        return
    if verb == "page" and len(parts) == 3:
        await stock(ctx, number)
    elif verb == "pick" and len(parts) == 3:
        await _offer(ctx, number)
    elif verb == "find" and len(parts) == 3:
        await ctx.interaction.response.send_modal(SchoolForm(ctx, number))
    elif verb == "to" and len(parts) == 4:
        try:
            uai = normalize_uai(parts[3])
        except DomainError:
            await refuse(ctx, "common.stale_button")
            return
        await _item_to(ctx, number, uai)
    elif verb == "recv" and len(parts) == 3:
        await _received(ctx, number)
    elif verb in {"undo", "undook", "keep"} and len(parts) == 3:
        await _undo(ctx, verb, number)
    else:
        await refuse(ctx, "common.stale_button")


async def _item_to(ctx: Ctx, equipment_id: int, uai: str) -> None:
    """A school chosen in the menu: the item's tag re-read, then the confirmation."""
    assert ctx.person is not None
    services = ctx.services
    try:
        offer = await stock_service.candidates(
            services.db, ctx.person.id, equipment_id, services.clock.now()
        )
    except DomainError as error:
        await _stock_error(ctx, error)
        return
    await _preview(ctx, offer.item.asset_tag, uai, again_button(ctx, f"stk:find:{equipment_id}"))


# --- registration ----------------------------------------------------------------------------


def register(client: PneDiscord) -> None:
    tree = client.tree

    @tree.command(name=name("suspensions"), description=described(client, "suspensions"))
    async def suspensions(interaction: discord.Interaction) -> None:
        await holds(await context_of(client, interaction))

    @tree.command(name=name("formations"), description=described(client, "formations"))
    async def formations(interaction: discord.Interaction) -> None:
        await trainings(await context_of(client, interaction))

    @tree.command(name=name("reseau"), description=described(client, "reseau"))
    @app_commands.describe(
        ecole=option(client, "discord.equipment.option.school"),
        texte=option(client, "discord.equipment.option.network_text"),
    )
    async def reseau(
        interaction: discord.Interaction,
        ecole: str,
        texte: str,
    ) -> None:
        await network(await context_of(client, interaction), ecole, texte)

    @reseau.autocomplete("ecole")
    async def schools_typed(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await _schools_typed(client, interaction, current, Action.MANAGE_NOTICES)

    @tree.command(name=name("stock"), description=described(client, "stock"))
    @app_commands.describe(page=option(client, "discord.stock.option.page"))
    async def stock_command(
        interaction: discord.Interaction, page: app_commands.Range[int, 1, 99999] = 1
    ) -> None:
        await stock(await context_of(client, interaction), page - 1)

    @tree.command(name=name("reattribuer"), description=described(client, "reattribuer"))
    @app_commands.describe(
        etiquette=option(client, "discord.stock.option.tag"),
        ecole=option(client, "discord.equipment.option.school"),
    )
    async def reattribuer(interaction: discord.Interaction, etiquette: str, ecole: str) -> None:
        await reassign_command(await context_of(client, interaction), etiquette, ecole)

    @reattribuer.autocomplete("ecole")
    async def reassign_schools_typed(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await _schools_typed(client, interaction, current, Action.MANAGE_EQUIPMENT)


async def _schools_typed(
    client: PneDiscord, interaction: discord.Interaction, current: str, needed: Action
) -> list[app_commands.Choice[str]]:
    """Schools by name or UAI, for who may use the command only."""
    ctx = await context_of(client, interaction)
    if not _may(ctx, needed):
        return []
    try:
        found = await announcements.search_schools(client.services.db, current, MAX_CHOICES)
    except DomainError:
        return []
    return [
        app_commands.Choice(name=f"{s.name} ({s.uai}) — {s.commune_name}"[:100], value=s.uai)
        for s in found[:MAX_CHOICES]
    ]
