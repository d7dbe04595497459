"""/collecte on Discord: one item of unused or broken equipment flagged (art. 1, 3, 4).

``/collecte materiel:<tag>`` (suggested from the person's schools only) → its condition
in a select (« hors d'usage » / « non utilisé ») → a summary naming the item, its
condition and what happens to it by its owner, with « Envoyer le signalement (1 objet) »
→ a form (modal) for where it is gathered (required, art. 4), a note and when it can be
handed over → validated on submit with the domain's messages (the form offered again by a
button when refused), then written by the same service as Telegram's /collecte; the
notices go through the router, each to its person's platform.

No state is kept between the steps but the custom ids (``colf:cond:<equipment id>``,
``colf:form:<equipment id>:<condition>``); every step checks the tag again through the
service. Free texts cannot ride in a custom id (100 characters), so the form is the last
step and its « Envoyer » sends (decision 0049).
"""

from __future__ import annotations

import html
import logging
import re
import secrets
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.cards.collections import CollectionCard
from bot.domain import collections as rules
from bot.domain.bodies import body_variant
from bot.domain.collections import Condition, Route
from bot.domain.errors import DomainError
from bot.domain.roles import Action, can
from bot.i18n import Safe
from bot.services import collection_lookup as lookup
from bot.services import collection_notices as notices
from bot.services import collections as service
from bot.services.delivery import actions
from handlers.discord.buttons import on, refuse
from handlers.discord.commands import described, name, option
from handlers.discord.context import Ctx, answer, answer_error, context_of
from handlers.discord.render import components
from handlers.discord.telling import tell

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord

log = logging.getLogger(__name__)
_TAGS = re.compile(r"<[^>]*>")

NAMESPACE = "colf"
FORM_TIMEOUT = 900.0  # seconds a form stays answerable (Discord's own limit is 15 min)
LABEL = 45  # Discord's longest text-input label


def _card(ctx: Ctx) -> CollectionCard:
    return CollectionCard(ctx.services.i18n, ctx.lang)


def _allowed(ctx: Ctx) -> bool:
    return ctx.person is not None and can(ctx.person.role, Action.FLAG_EQUIPMENT)


def _label(ctx: Ctx, type_: str | None, model: str | None) -> str:
    kind = ctx.services.i18n.equipment_type(ctx.lang, type_)
    return ", ".join(p for p in (kind, model or "") if p)


def _shown(error: DomainError) -> dict[str, Any]:
    return dict(error.params)


async def _checked(ctx: Ctx, typed: str) -> tuple[service.FlagTag, int] | None:
    """The tag's equipment and its school, if the person may flag it now; otherwise the
    domain's refusal is said and None returned."""
    assert ctx.person is not None
    db = ctx.services.db
    try:
        located = await lookup.school_of_tag(db, ctx.person.id, typed)
    except DomainError as error:
        await refuse(ctx, error.code, **_shown(error))
        return None
    if not located.known:
        await refuse(ctx, "collection.error.unknown_tag", tag=located.asset_tag)
        return None
    if located.school is None:
        await refuse(ctx, "collection.error.tag_other_school", tag=located.asset_tag)
        return None
    [check] = await service.check_tags(db, ctx.person.id, located.school.id, [located.asset_tag])
    if not check.known or check.other_school:
        await refuse(ctx, "collection.error.tag_other_school", tag=located.asset_tag)
        return None
    if check.unavailable:
        await refuse(ctx, "collection.error.tag_unavailable", tag=check.asset_tag)
        return None
    return check, located.school.id


def _item_name(ctx: Ctx, check: service.FlagTag) -> str:
    label = _label(ctx, check.type, check.model)
    return f"{check.asset_tag} ({label})" if label else check.asset_tag


# --- the command -----------------------------------------------------------------------------


async def flag(ctx: Ctx, typed: str) -> None:
    if not _allowed(ctx):
        await refuse(ctx, "common.error.forbidden")
        return
    found = await _checked(ctx, typed)
    if found is None:
        return
    check, _ = found
    select: discord.ui.Select[Any] = discord.ui.Select(
        custom_id=f"{NAMESPACE}:cond:{check.equipment_id}",
        placeholder=ctx.t("dflows.collection.condition_placeholder"),
        options=[
            discord.SelectOption(label=ctx.t("collection.flag.button.broken"), value="broken"),
            discord.SelectOption(label=ctx.t("collection.flag.button.unused"), value="unused"),
        ],
    )
    view = discord.ui.View(timeout=None)
    view.add_item(select)
    text = ctx.t("collection.flag.ask_condition", item=_item_name(ctx, check), index=1, count=1)
    await answer(ctx, text, view=view)


async def suggest(ctx: Ctx, typed: str) -> list[app_commands.Choice[str]]:
    """The person's schools' equipment in service whose tag contains what is typed."""
    if not _allowed(ctx):
        return []
    assert ctx.person is not None
    found = await lookup.flaggable(ctx.services.db, ctx.person.id, typed)
    choices = []
    for s in found:
        shown = f"{s.asset_tag} · {_label(ctx, s.type, s.model)} · {s.school_name}"
        choices.append(app_commands.Choice(name=shown[:100], value=s.asset_tag))
    return choices


# --- the buttons and the select --------------------------------------------------------------


def _summary(ctx: Ctx, preview: service.Preview, school_name: str) -> str:
    card = _card(ctx)
    [(item, tag, route)] = preview.items
    what = _label(ctx, tag.type, tag.model)
    line = ctx.t(
        "collection.flag.summary_item",
        item=f"{tag.asset_tag} ({what})" if what else tag.asset_tag,
        condition=card.condition(item.condition),
    )
    if route is Route.SEM_COLLECTS:
        key = f"collection.flag.route.sem_{item.condition.value}"
    else:
        key = body_variant(f"collection.flag.route.{route.value}", preview.body_kind)
    return ctx.t(
        "dflows.collection.summary",
        school=school_name,
        items=Safe(line + "\n" + ctx.t(key)),
        max=rules.MAX_PLACE,
    )


async def _condition_chosen(ctx: Ctx, equipment_id: int, condition: Condition) -> None:
    assert ctx.person is not None
    try:
        tag = await lookup.tag_of(ctx.services.db, ctx.person.id, equipment_id)
    except DomainError as error:
        await refuse(ctx, error.code, **_shown(error))
        return
    found = await _checked(ctx, tag)
    if found is None:
        return
    check, school_id = found
    # The route of the item by its owner, as the summary will show it (nothing written).
    cmd = service.FlagEquipment(
        reporter_id=ctx.person.id,
        school_id=school_id,
        items=(service.FlagItem(check.asset_tag, condition),),
        place="-",
    )
    try:
        preview = await service.preview_flagging(ctx.services.db, cmd)
    except DomainError as error:
        await refuse(ctx, error.code, **_shown(error))
        return
    schools = {s.id: s.name for s in await service.flagging_schools(ctx.services.db, ctx.person.id)}
    rows = [
        [
            (
                ctx.t("collection.flag.button.send", count=1),
                f"{NAMESPACE}:form:{equipment_id}:{condition.value}",
            )
        ],
        [(ctx.t("common.button.cancel"), f"{NAMESPACE}:abort")],
    ]
    await answer(
        ctx,
        _summary(ctx, preview, schools.get(school_id, "")),
        view=components(actions(rows)),
    )


async def _offer_form(ctx: Ctx, equipment_id: int, condition: Condition) -> None:
    """The form of the last step: a modal must be the first answer to the tap."""
    assert ctx.person is not None
    try:
        tag = await lookup.tag_of(ctx.services.db, ctx.person.id, equipment_id)
    except DomainError as error:
        await refuse(ctx, error.code, **_shown(error))
        return
    found = await _checked(ctx, tag)
    if found is None:
        return
    check, school_id = found
    form = FlagForm(ctx, check, school_id, condition)
    await ctx.interaction.response.send_modal(form)


@on(NAMESPACE)
async def tapped(ctx: Ctx, action: str) -> None:
    if not _allowed(ctx):
        await refuse(ctx, "common.error.forbidden")
        return
    parts = action.split(":")
    if parts[1:] == ["abort"]:
        await answer(ctx, ctx.t("common.cancelled"))
        return
    if len(parts) == 4 and parts[1] in ("cond", "form") and parts[2].isdigit():
        try:
            condition = Condition(parts[3])
        except ValueError:
            condition = None
        if condition is not None:
            if parts[1] == "cond":
                await _condition_chosen(ctx, int(parts[2]), condition)
            else:
                await _offer_form(ctx, int(parts[2]), condition)
            return
    await refuse(ctx, "common.stale_button")  # a forged or outdated id


# --- the form ----------------------------------------------------------------------------------


def _plain(html_text: str) -> str:
    """A catalog text where Discord shows plain text (a form's title, labels, hints):
    its tags dropped and its entities read (the catalogs escape their values)."""
    return html.unescape(_TAGS.sub("", html_text))


def _cut(text: str) -> str:
    return text if len(text) <= LABEL else text[: LABEL - 1] + "…"


class FlagForm(discord.ui.Modal):
    """Where the item is gathered, a note, when it can be handed over; « Envoyer » sends.

    Everything it needs is in its custom id and its fields: a restart between the form
    and its sending loses only the open form (the summary's button opens it again)."""

    def __init__(
        self, ctx: Ctx, check: service.FlagTag, school_id: int, condition: Condition
    ) -> None:
        super().__init__(
            title=_cut(_plain(ctx.t("dflows.collection.form_title", tag=check.asset_tag))),
            timeout=FORM_TIMEOUT,
            custom_id=f"{NAMESPACE}:send:{check.equipment_id}:{condition.value}:"
            + secrets.token_hex(4),
        )
        self.client = ctx.client
        self.tag = check.asset_tag
        self.equipment_id = check.equipment_id
        self.school_id = school_id
        self.condition = condition
        self.place: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=_cut(_plain(ctx.t("dflows.collection.field.place"))),
            custom_id="place",
            style=discord.TextStyle.paragraph,
            placeholder=_cut(_plain(ctx.t("dflows.collection.field.place_hint"))),
            required=True,
            max_length=rules.MAX_PLACE,
        )
        self.note: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=_cut(_plain(ctx.t("dflows.collection.field.note"))),
            custom_id="note",
            style=discord.TextStyle.paragraph,
            placeholder=_cut(_plain(ctx.t("dflows.collection.field.note_hint"))),
            required=False,
            max_length=rules.MAX_NOTE,
        )
        self.hours: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=_cut(_plain(ctx.t("dflows.collection.field.hours"))),
            custom_id="hours",
            placeholder=_cut(_plain(ctx.t("dflows.collection.field.hours_hint"))),
            required=False,
            max_length=rules.MAX_HOURS,
        )
        for field in (self.place, self.note, self.hours):
            self.add_item(field)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        ctx = await context_of(self.client, interaction)
        await sent(
            ctx,
            self.tag,
            self.equipment_id,
            self.school_id,
            self.condition,
            place=self.place.value,
            note=self.note.value,
            hours=self.hours.value,
        )

    async def on_error(  # type: ignore[override]  # discord.py: Modal drops the item
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        log.error("discord: the flagging form failed", exc_info=error)
        await answer_error(self.client, interaction)


def _again(ctx: Ctx, equipment_id: int | None, condition: Condition) -> discord.ui.View | None:
    rows = [
        [(ctx.t("dflows.form.again"), f"{NAMESPACE}:form:{equipment_id}:{condition.value}")],
        [(ctx.t("common.button.cancel"), f"{NAMESPACE}:abort")],
    ]
    return components(actions(rows))


async def sent(
    ctx: Ctx,
    tag: str,
    equipment_id: int | None,
    school_id: int,
    condition: Condition,
    *,
    place: str,
    note: str,
    hours: str,
) -> None:
    """The form sent: checked by the service (the domain's message and the form offered
    again when refused), then the flagging written and its notices sent."""
    if not _allowed(ctx):
        await refuse(ctx, "common.error.forbidden")
        return
    assert ctx.person is not None
    services = ctx.services
    cmd = service.FlagEquipment(
        reporter_id=ctx.person.id,
        school_id=school_id,
        items=(service.FlagItem(tag, condition, note.strip() or None),),
        place=place,
        availability=service.Availability(hours=hours.strip() or None),
    )
    try:
        await service.preview_flagging(services.db, cmd)
        flagged = await service.flag_equipment(services.db, cmd, services.clock.now())
    except DomainError as error:
        await answer(
            ctx, ctx.t(error.code, **_shown(error)), view=_again(ctx, equipment_id, condition)
        )
        return
    view = flagged.view
    lines = [ctx.t("collection.flag.done", number=view.number, count=len(view.items))]
    if view.by_route(Route.SEM_COLLECTS):
        lines.append(ctx.t("collection.flag.next.sem"))
    if view.by_route(Route.BODY_REMOVES):
        lines.append(ctx.t(body_variant("collection.flag.next.body_removes", view.body_kind)))
    if view.by_route(Route.BODY_KEEPS):
        lines.append(ctx.t(body_variant("collection.flag.next.body_keeps", view.body_kind)))
    await answer(
        ctx, "\n\n".join(lines), view=components(actions([[_card(ctx).view_action(view)]]))
    )
    await tell(
        ctx, await notices.after_flagging(services.db, services.i18n, services.settings, flagged)
    )


# --- registration --------------------------------------------------------------------------------


def register(client: PneDiscord) -> None:
    tree = client.tree

    @tree.command(name=name("collecte"), description=described(client, "collecte"))
    @app_commands.describe(materiel=option(client, "dflows.option.asset_tag"))
    async def collecte(interaction: discord.Interaction, materiel: str) -> None:
        await flag(await context_of(client, interaction), materiel)

    @collecte.autocomplete("materiel")
    async def _materiel(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await suggest(await context_of(client, interaction), current)
