"""A notice's card and the taps on it, on Discord (works, fibre, class changes, the school
network).

The same services and card as Telegram's (``handlers/telegram/notice_card.py``):

- ``ntc:view:<id>``: the card with its timeline and the person's actions
  (``NoticeCard.card_actions``: staff's, the body's agent's, a head's);
- ``ntc:ack:<id>`` (staff): taken into account (an opening then closes);
- ``ntc:move:<id>`` (staff): a move, asked to be confirmed naming the items and the school
  (``ntc:moveok:<id>``, ``ntc:moveno:<id>``), then the inventory moves;
- ``ntc:fibre:<id>`` (staff): the migration ordered, then done;
- ``ntc:back:<id>`` (a head or the body): the equipment is back in place after works;
- ``ntc:off:<id>`` (the body): its equipment is off the school's network;
- ``ntc:collect:<id>`` (staff, works still open with SEM's equipment in the rooms and no
  collection yet): the items in a select, all chosen (``ntc:cit:<nonce>``; choosing opens
  the form), or « Continuer » with all of them (``ntc:cdone:<nonce>``); a form for where
  they will be gathered (``ntc:cpf:<nonce>:<chosen>``, the chosen items a bit mask in
  hexadecimal); a confirmation naming the items (``ntc:cok|cno:<nonce>``); then the
  flagging is written, staff get the collection's card and the school's heads a word.

A step taken edits the buttons of the message tapped away (as Telegram does), says what was
done and shows the card again. The collection's items and place wait in a draft row under
the person (``bot.services.drafts``), its nonce in the buttons and the form: a
confirmation tapped twice, an older one or another person's finds no draft and is refused
as stale, and /annuler drops it. No id is trusted: each tap parses strictly, checks the
role and reads the notice through the service, which checks that the person follows it
(another body's reads as not found); the services check again when they write, so a
second tap on a step already taken gets the service's word, not an error.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import discord

from bot.cards.notices import NoticeCard
from bot.domain import collections as rules
from bot.domain.collections import MAX_ITEMS
from bot.domain.errors import DomainError
from bot.domain.roles import Action, can
from bot.services import collection_notices, drafts, notice_notices
from bot.services import notices as service
from bot.services.delivery import Outgoing, actions
from bot.services.notices import NoticeView, RoomItem
from handlers.discord.buttons import Steps, on, refuse
from handlers.discord.claim_follow import Form
from handlers.discord.claims import say_error
from handlers.discord.collections import _cut, _plain
from handlers.discord.context import Ctx, answer
from handlers.discord.render import components
from handlers.discord.telling import tell
from storage.uow import Database

NAMESPACE = "ntc"
COLLECTING = "discord:notice_collection"
MAX_TYPED = 4000  # the form takes any length: the domain says what is too long
MAX_OPTIONS = 25  # a select's options
MAX_OPTION = 100  # an option's label
SHOWN = min(MAX_ITEMS, MAX_OPTIONS)
_NUMBER = re.compile(r"[0-9]{1,10}")
_NONCE = re.compile(r"[0-9a-f]{1,16}")
_MASK = re.compile(r"[0-9a-f]{1,7}")  # 25 items at most: 7 hexadecimal digits

Step = Callable[[Ctx, list[str]], Awaitable[None]]
step = Steps()
Run = Callable[[Database, int, int, datetime], Awaitable[NoticeView]]
After = Callable[[Ctx, NoticeView], Awaitable[None]]


def _card(ctx: Ctx) -> NoticeCard:
    return NoticeCard(ctx.services.i18n, ctx.lang)


def _key(ctx: Ctx) -> str:
    assert ctx.person is not None
    return str(ctx.person.id)


def _id(parts: list[str]) -> int | None:
    """The notice's id a custom id names, if it can be one of ours (never trusted)."""
    if len(parts) != 1 or not _NUMBER.fullmatch(parts[0]):
        return None
    return int(parts[0]) if int(parts[0]) > 0 else None


@on(NAMESPACE)
async def tapped(ctx: Ctx, action: str) -> None:
    """Every ``ntc:`` button and select; an id of no known step is not honoured."""
    if ctx.person is None:
        await refuse(ctx, "discord.stranger")
        return
    await step.run(ctx, action)


async def _notice(
    ctx: Ctx, parts: list[str], needed: Action | None = None, *, timeline: bool = False
) -> NoticeView | None:
    """The notice a button names, if this person may act on it now (else said, None):
    the id read strictly, the role checked, the notice read through the service (one the
    person does not follow is not found)."""
    assert ctx.person is not None
    notice_id = _id(parts)
    if notice_id is None:
        await refuse(ctx, "common.stale_button")
        return None
    if needed is not None and not can(ctx.person.role, needed):
        await refuse(ctx, "common.error.forbidden")
        return None
    services = ctx.services
    try:
        return await service.notice_view(
            services.db, ctx.person.id, notice_id, services.clock.now(), timeline=timeline
        )
    except DomainError as error:
        await say_error(ctx, error)
        return None


async def _show(ctx: Ctx, view: NoticeView) -> None:
    assert ctx.person is not None
    card = _card(ctx)
    buttons = components(card.card_actions(view, ctx.person.role))
    await answer(ctx, card.card(view, timeline=True), view=buttons)


async def _buttons_away(ctx: Ctx) -> None:
    """The step is taken: the buttons of the message tapped go (as on Telegram)."""
    if ctx.interaction.message is not None and not ctx.interaction.response.is_done():
        await ctx.interaction.response.edit_message(view=None)


async def _step(ctx: Ctx, parts: list[str], needed: Action, run: Run, after: After) -> None:
    """A step on the notice: checked, taken by the service (which says when it is already
    taken), the buttons tapped gone, what follows said, the card shown again."""
    assert ctx.person is not None
    notice_id = _id(parts)
    if notice_id is None:
        await refuse(ctx, "common.stale_button")
        return
    if not can(ctx.person.role, needed):
        await refuse(ctx, "common.error.forbidden")
        return
    services = ctx.services
    try:
        view = await run(services.db, ctx.person.id, notice_id, services.clock.now())
    except DomainError as error:
        await say_error(ctx, error)
        return
    await _buttons_away(ctx)
    await after(ctx, view)
    await _show(ctx, view)


# --- the card and its steps ------------------------------------------------------------------


@step("view")
async def show(ctx: Ctx, parts: list[str]) -> None:
    """« Voir le signalement »: the card, its timeline and the person's actions."""
    view = await _notice(ctx, parts, timeline=True)
    if view is not None:
        await _show(ctx, view)


@step("ack")
async def acknowledge(ctx: Ctx, parts: list[str]) -> None:
    async def after(ctx: Ctx, view: NoticeView) -> None:
        await answer(ctx, ctx.t("notice.done.acknowledged", number=view.number))

    await _step(ctx, parts, Action.MANAGE_NOTICES, service.acknowledge, after)


@step("fibre")
async def fibre_step(ctx: Ctx, parts: list[str]) -> None:
    async def after(ctx: Ctx, view: NoticeView) -> None:
        key = "notice.told.fibre_done" if view.closed_at else "notice.told.fibre_ordered"
        services = ctx.services
        told = await notice_notices.to_school_and_body(services.db, services.i18n, view, key)
        await tell(ctx, told)

    await _step(ctx, parts, Action.MANAGE_NOTICES, service.fibre_step, after)


@step("move")
async def move_asked(ctx: Ctx, parts: list[str]) -> None:
    """Staff tap « Confirmer le déménagement »: what will move, to confirm."""
    view = await _notice(ctx, parts, Action.MANAGE_NOTICES)
    if view is None:
        return
    if not view.is_move or view.acknowledged_at is not None:
        await refuse(ctx, "notice.error.nothing_to_confirm")
        return
    card = _card(ctx)
    await answer(
        ctx, card.move_confirmation(view), view=components(card.move_confirm_actions(view))
    )


@step("moveok")
async def move_confirmed(ctx: Ctx, parts: list[str]) -> None:
    async def after(ctx: Ctx, view: NoticeView) -> None:
        services = ctx.services
        await answer(ctx, ctx.t("notice.done.move", number=view.number))
        await tell(
            ctx,
            await notice_notices.to_school_and_body(
                services.db, services.i18n, view, "notice.told.move_confirmed"
            ),
        )

    await _step(ctx, parts, Action.MANAGE_NOTICES, service.confirm_move, after)


@step("moveno")
async def move_dropped(ctx: Ctx, parts: list[str]) -> None:
    assert ctx.person is not None
    if _id(parts) is None:
        await refuse(ctx, "common.stale_button")
        return
    if not can(ctx.person.role, Action.MANAGE_NOTICES):
        await refuse(ctx, "common.error.forbidden")
        return
    await _buttons_away(ctx)
    await answer(ctx, ctx.t("common.cancelled"))


@step("back")
async def back_in_place(ctx: Ctx, parts: list[str]) -> None:
    async def after(ctx: Ctx, view: NoticeView) -> None:
        await _told_staff(ctx, view, "notice.done.back_in_place", "notice.told.back_in_place")

    await _step(ctx, parts, Action.NOTIFY_WORKS, service.confirm_back_in_place, after)


@step("off")
async def disconnected(ctx: Ctx, parts: list[str]) -> None:
    async def after(ctx: Ctx, view: NoticeView) -> None:
        await _told_staff(ctx, view, "notice.done.disconnected", "notice.told.disconnected")

    await _step(ctx, parts, Action.REMOVE_OWN_EQUIPMENT, service.confirm_disconnected, after)


async def _told_staff(ctx: Ctx, view: NoticeView, done: str, told: str) -> None:
    assert ctx.person is not None
    services = ctx.services
    await answer(ctx, ctx.t(done, number=view.number))
    await tell(
        ctx,
        await notice_notices.to_staff(
            services.db, services.i18n, services.settings, view, told, ctx.person.full_name
        ),
    )


# --- a collection planned from works ---------------------------------------------------------


def _room_item(item: dict[str, Any]) -> RoomItem:
    return RoomItem(str(item["tag"]), str(item["type"]), str(item["model"]), item.get("room"))


def _items(draft: dict[str, Any]) -> list[RoomItem]:
    return [_room_item(i) for i in draft.get("items", [])]


def _all(draft: dict[str, Any]) -> int:
    return (1 << len(draft.get("items", []))) - 1


def _chosen(draft: dict[str, Any], mask: int) -> list[RoomItem]:
    return [item for n, item in enumerate(_items(draft)) if mask >> n & 1]


def _mask(text: str, draft: dict[str, Any]) -> int | None:
    """The items chosen, as the form's custom id carries them (never trusted)."""
    if not _MASK.fullmatch(text):
        return None
    mask = int(text, 16)
    return mask if 0 < mask <= _all(draft) else None


async def _load(ctx: Ctx, parts: list[str], needs: str | None = None) -> dict[str, Any] | None:
    """The collection's draft a nonce names, if it is the person's latest and has reached
    the step the button belongs to; a stale one is refused with « Ce bouton n'est plus
    valable. »."""
    found = None
    if parts and _NONCE.fullmatch(parts[0]):
        found = await drafts.load(ctx.services.db, COLLECTING, _key(ctx), parts[0])
    if found is None or (needs is not None and needs not in found):
        await refuse(ctx, "common.stale_button")
        return None
    return found


def _values(ctx: Ctx) -> list[str]:
    """Every option chosen in a select (the dispatch passes on only the first)."""
    data: dict[str, Any] = dict(ctx.interaction.data or {})
    values = data.get("values")
    return [str(v) for v in values] if isinstance(values, list) else []


def _option(text: str) -> str:
    return text if len(text) <= MAX_OPTION else text[: MAX_OPTION - 1] + "…"


def _items_view(ctx: Ctx, draft: dict[str, Any], nonce: str) -> discord.ui.View:
    """The items in a select, all chosen; « Continuer » with them all; « Annuler »."""
    card = _card(ctx)
    items = _items(draft)
    view = discord.ui.View(timeout=None)
    view.add_item(
        discord.ui.Select(
            custom_id=f"{NAMESPACE}:cit:{nonce}",
            placeholder=_cut(_plain(ctx.t("dntc.collect.pick"))),
            options=[
                discord.SelectOption(
                    label=_option(_plain(card.item_label(item))), value=str(n), default=True
                )
                for n, item in enumerate(items)
            ],
            min_values=1,
            max_values=len(items),
            row=0,
        )
    )
    for label, action in (
        (card.items_done(len(items)), f"{NAMESPACE}:cdone:{nonce}"),
        (ctx.t("common.button.cancel"), f"{NAMESPACE}:cno:{nonce}"),
    ):
        view.add_item(
            discord.ui.Button(
                label=_cut(label), custom_id=action, style=discord.ButtonStyle.secondary, row=1
            )
        )
    return view


@step("collect")
async def collect_start(ctx: Ctx, parts: list[str]) -> None:
    """« 📦 Collecter le matériel des salles »: the rooms' SEM items in service, all chosen."""
    assert ctx.person is not None
    notice_id = _id(parts)
    if notice_id is None:
        await refuse(ctx, "common.stale_button")
        return
    if not can(ctx.person.role, Action.MANAGE_NOTICES):
        await refuse(ctx, "common.error.forbidden")
        return
    services = ctx.services
    try:
        view = await service.collectable_items(services.db, ctx.person.id, notice_id)
    except DomainError as error:
        await say_error(ctx, error)
        return
    draft = {
        "notice_id": view.id,
        "number": view.number,
        "school": view.school_name,
        "items": [
            {"tag": i.asset_tag, "type": i.type, "model": i.model, "room": i.room}
            for i in view.equipment[:SHOWN]
        ],
    }
    nonce = await drafts.save(services.db, COLLECTING, _key(ctx), draft, services.clock.now())
    await answer(
        ctx,
        ctx.t("dntc.collect.ask_items", number=view.number, school=view.school_name),
        view=_items_view(ctx, draft, nonce),
    )


@step("cit")
async def items_chosen(ctx: Ctx, parts: list[str]) -> None:
    """Items chosen in the select: the form for the place, with them."""
    draft = await _load(ctx, parts[:1])
    if draft is None:
        return
    chosen = _values(ctx)
    count = len(draft.get("items", []))
    if not chosen or any(not v.isdigit() or int(v) >= count for v in chosen):
        await refuse(ctx, "common.stale_button")
        return
    mask = sum(1 << int(v) for v in set(chosen))
    await ctx.interaction.response.send_modal(PlaceForm(ctx, parts[0], mask))


@step("cdone")
async def items_done(ctx: Ctx, parts: list[str]) -> None:
    """« Continuer » with every item: the form for the place."""
    draft = await _load(ctx, parts)
    if draft is not None:
        await ctx.interaction.response.send_modal(PlaceForm(ctx, parts[0], _all(draft)))


class PlaceForm(Form):
    """Where the items will be gathered in the school, for the collection."""

    def __init__(self, ctx: Ctx, nonce: str, mask: int) -> None:
        super().__init__(
            _plain(ctx.t("dntc.collect.form_title")), f"{NAMESPACE}:cpf:{nonce}:{mask:x}"
        )
        self.nonce, self.mask = nonce, mask
        self.field(
            "place",
            _cut(_plain(ctx.t("dntc.collect.field_place"))),
            placeholder=_cut(_plain(ctx.t("dntc.collect.field_place_hint"))),
            max_length=MAX_TYPED,
        )

    async def read(self, ctx: Ctx, values: dict[str, str]) -> None:
        await place_sent(ctx, [self.nonce, f"{self.mask:x}"], values)


async def place_sent(ctx: Ctx, parts: list[str], values: dict[str, str]) -> None:
    """The place's form sent (``<nonce>:<chosen>``, also after a restart): checked by the
    domain's rule (a refusal offers the form again), then the confirmation naming the
    items and the place."""
    assert ctx.person is not None
    if len(parts) != 2:
        await refuse(ctx, "common.stale_button")
        return
    if not can(ctx.person.role, Action.MANAGE_NOTICES):
        await refuse(ctx, "common.error.forbidden")
        return
    draft = await _load(ctx, parts[:1])
    if draft is None:
        return
    mask = _mask(parts[1], draft)
    if mask is None:
        await refuse(ctx, "common.stale_button")
        return
    try:
        place = rules.check_place(values.get("place", ""))
    except DomainError as error:
        again = [[(ctx.t("dflows.form.again"), f"{NAMESPACE}:cpl:{parts[0]}:{mask:x}")]]
        await say_error(ctx, error, components(actions(again)))
        return
    services = ctx.services
    chosen = _chosen(draft, mask)
    confirmed = {**draft, "chosen": [i.asset_tag for i in chosen], "place": place}
    nonce = await drafts.save(services.db, COLLECTING, _key(ctx), confirmed, services.clock.now())
    card = _card(ctx)
    await answer(
        ctx,
        card.collect_confirmation(str(draft["number"]), str(draft["school"]), chosen, place),
        view=components(card.collect_confirm_actions(nonce)),
    )


@step("cpl")
async def place_again(ctx: Ctx, parts: list[str]) -> None:
    """« ✏️ Reprendre le formulaire » after a refused place: the same items chosen."""
    draft = await _load(ctx, parts[:1])
    if draft is None:
        return
    mask = _mask(parts[1], draft) if len(parts) == 2 else None
    if mask is None:
        await refuse(ctx, "common.stale_button")
        return
    await ctx.interaction.response.send_modal(PlaceForm(ctx, parts[0], mask))


@step("cok")
async def collect_confirmed(ctx: Ctx, parts: list[str]) -> None:
    """« ✅ Planifier la collecte »: the flagging written once (its draft then goes), staff
    get its card, the school's heads a word."""
    assert ctx.person is not None
    draft = await _load(ctx, parts, needs="place")
    if draft is None:
        return
    services = ctx.services
    place = str(draft["place"])
    try:
        done = await service.collection_from_works(
            services.db,
            ctx.person.id,
            int(draft["notice_id"]),
            [str(tag) for tag in draft["chosen"]],
            place,
            services.clock.now(),
        )
    except DomainError as error:
        await drafts.drop(services.db, COLLECTING, _key(ctx))
        await say_error(ctx, error)
        return
    await drafts.drop(services.db, COLLECTING, _key(ctx))
    await _buttons_away(ctx)
    told: list[Outgoing] = await collection_notices.after_flagging(
        services.db, services.i18n, services.settings, done.flagged
    )
    await tell(ctx, told)
    await tell(ctx, notice_notices.collection_planned(services.i18n, done, place))
    await answer(
        ctx,
        ctx.t(
            "notice.collect.planned",
            number=done.notice.number,
            collection=done.flagged.view.number,
            count=len(done.flagged.view.items),
        ),
    )


@step("cno")
async def collect_cancelled(ctx: Ctx, parts: list[str]) -> None:
    if await _load(ctx, parts) is None:
        return
    await drafts.drop(ctx.services.db, COLLECTING, _key(ctx))
    await _buttons_away(ctx)
    await answer(ctx, ctx.t("common.cancelled"))
