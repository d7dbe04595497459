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
step and its « Envoyer » sends (decision 0049). A photo (the command's optional ``photo``,
an image) is kept as a draft row under the person, its nonce added to the ids
(``colf:cond:<id>:<nonce>``, ``colf:form:<id>:<condition>:<nonce>``), and sent with the
flagging as Telegram's photos are (decision 0056).
"""

from __future__ import annotations

import dataclasses
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
from bot.services import drafts
from bot.services.claims import FileRef
from bot.services.delivery import actions
from handlers.discord.buttons import on, refuse
from handlers.discord.commands import described, name, option
from handlers.discord.context import Ctx, answer, answer_error, context_of
from handlers.discord.files import file_ref
from handlers.discord.render import components
from handlers.discord.telling import tell

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord

log = logging.getLogger(__name__)
_TAGS = re.compile(r"<[^>]*>")

NAMESPACE = "colf"
PHOTO = "discord:collection_photo"  # the draft of a photo given with /collecte
_NONCE = re.compile(r"[0-9a-f]{1,16}")
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


def photo_ref(attachment: discord.Attachment) -> FileRef | None:
    """An attachment given as a photo: a file of platform ``discord`` if it is an image
    (Telegram's flow takes photos and image documents only), else None."""
    ref = file_ref(attachment)
    return ref if ref.kind == "photo" else None


async def keep_photo(
    ctx: Ctx, namespace: str, attachment: discord.Attachment | None
) -> tuple[bool, str]:
    """The photo kept as the person's draft under ``namespace``: (accepted, nonce); the
    nonce is empty without a photo. Not an image: said, and (False, "")."""
    if attachment is None:
        return True, ""
    ref = photo_ref(attachment)
    if ref is None:
        await refuse(ctx, "drnd.photo.not_image", name=attachment.filename)
        return False, ""
    assert ctx.person is not None
    services = ctx.services
    draft = {"file": dataclasses.asdict(ref)}
    return True, await drafts.save(
        services.db, namespace, str(ctx.person.id), draft, services.clock.now()
    )


async def kept_photo(ctx: Ctx, namespace: str, nonce: str) -> tuple[FileRef, ...] | None:
    """The photo a nonce names (none without a nonce); a stale one is said, None."""
    if not nonce:
        return ()
    assert ctx.person is not None
    found = (
        await drafts.load(ctx.services.db, namespace, str(ctx.person.id), nonce)
        if _NONCE.fullmatch(nonce)
        else None
    )
    if found is None or not isinstance(found.get("file"), dict):
        await refuse(ctx, "common.stale_button")
        return None
    try:
        return (FileRef(**found["file"]),)
    except TypeError:
        await refuse(ctx, "common.stale_button")
        return None


def _tail(nonce: str) -> str:
    return f":{nonce}" if nonce else ""


# --- the command -----------------------------------------------------------------------------


async def flag(ctx: Ctx, typed: str, photo: discord.Attachment | None = None) -> None:
    if not _allowed(ctx):
        await refuse(ctx, "common.error.forbidden")
        return
    found = await _checked(ctx, typed)
    if found is None:
        return
    check, _ = found
    accepted, nonce = await keep_photo(ctx, PHOTO, photo)
    if not accepted:
        return
    select: discord.ui.Select[Any] = discord.ui.Select(
        custom_id=f"{NAMESPACE}:cond:{check.equipment_id}{_tail(nonce)}",
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


def _summary(ctx: Ctx, preview: service.Preview, school_name: str, photos: int = 0) -> str:
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
    text = ctx.t(
        "dflows.collection.summary",
        school=school_name,
        items=Safe(line + "\n" + ctx.t(key)),
        max=rules.MAX_PLACE,
    )
    if photos:
        text += "\n\n" + ctx.t("collection.card.attachments", count=photos)
    return text


async def _condition_chosen(
    ctx: Ctx, equipment_id: int, condition: Condition, nonce: str = ""
) -> None:
    assert ctx.person is not None
    photos = await kept_photo(ctx, PHOTO, nonce)
    if photos is None:
        return
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
                f"{NAMESPACE}:form:{equipment_id}:{condition.value}{_tail(nonce)}",
            )
        ],
        [(ctx.t("common.button.cancel"), f"{NAMESPACE}:abort")],
    ]
    await answer(
        ctx,
        _summary(ctx, preview, schools.get(school_id, ""), len(photos)),
        view=components(actions(rows)),
    )


async def _offer_form(ctx: Ctx, equipment_id: int, condition: Condition, nonce: str = "") -> None:
    """The form of the last step: a modal must be the first answer to the tap."""
    assert ctx.person is not None
    if await kept_photo(ctx, PHOTO, nonce) is None:
        return
    try:
        tag = await lookup.tag_of(ctx.services.db, ctx.person.id, equipment_id)
    except DomainError as error:
        await refuse(ctx, error.code, **_shown(error))
        return
    found = await _checked(ctx, tag)
    if found is None:
        return
    check, school_id = found
    form = FlagForm(ctx, check, school_id, condition, nonce)
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
    # colf:cond:<id>[:<nonce>]:<condition> (the select's value last);
    # colf:form:<id>:<condition>[:<nonce>].
    if len(parts) in (4, 5) and parts[1] in ("cond", "form") and parts[2].isdigit():
        if parts[1] == "cond":
            value, nonce = parts[-1], parts[3] if len(parts) == 5 else ""
        else:
            value, nonce = parts[3], parts[4] if len(parts) == 5 else ""
        try:
            condition = Condition(value)
        except ValueError:
            condition = None
        if condition is not None and len(parts[2]) <= 10:
            if parts[1] == "cond":
                await _condition_chosen(ctx, int(parts[2]), condition, nonce)
            else:
                await _offer_form(ctx, int(parts[2]), condition, nonce)
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
        self,
        ctx: Ctx,
        check: service.FlagTag,
        school_id: int,
        condition: Condition,
        nonce: str = "",
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
        self.nonce = nonce
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
            nonce=self.nonce,
        )

    async def on_error(  # type: ignore[override]  # discord.py: Modal drops the item
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        log.error("discord: the flagging form failed", exc_info=error)
        await answer_error(self.client, interaction, error)


def _again(
    ctx: Ctx, equipment_id: int | None, condition: Condition, nonce: str = ""
) -> discord.ui.View | None:
    form = f"{NAMESPACE}:form:{equipment_id}:{condition.value}{_tail(nonce)}"
    rows = [
        [(ctx.t("dflows.form.again"), form)],
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
    nonce: str = "",
) -> None:
    """The form sent: checked by the service (the domain's message and the form offered
    again when refused), then the flagging written (with its photo) and its notices sent."""
    if not _allowed(ctx):
        await refuse(ctx, "common.error.forbidden")
        return
    assert ctx.person is not None
    services = ctx.services
    photos = await kept_photo(ctx, PHOTO, nonce)
    if photos is None:
        return
    cmd = service.FlagEquipment(
        reporter_id=ctx.person.id,
        school_id=school_id,
        items=(service.FlagItem(tag, condition, note.strip() or None),),
        place=place,
        availability=service.Availability(hours=hours.strip() or None),
        files=photos,
    )
    try:
        await service.preview_flagging(services.db, cmd)
        flagged = await service.flag_equipment(services.db, cmd, services.clock.now())
    except DomainError as error:
        await answer(
            ctx,
            ctx.t(error.code, **_shown(error)),
            view=_again(ctx, equipment_id, condition, nonce),
        )
        return
    if nonce:
        await drafts.drop(services.db, PHOTO, str(ctx.person.id))
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
    @app_commands.describe(
        materiel=option(client, "dflows.option.asset_tag"),
        photo=option(client, "drnd.option.photo"),
    )
    async def collecte(
        interaction: discord.Interaction, materiel: str, photo: discord.Attachment | None = None
    ) -> None:
        await flag(await context_of(client, interaction), materiel, photo)

    @collecte.autocomplete("materiel")
    async def _materiel(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await suggest(await context_of(client, interaction), current)
