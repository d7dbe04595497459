"""The staff's two tools on Discord: /inviter (a single-use code, its Telegram link, how
to use it on Discord, its QR code) and /annonce (a message to an audience, previewed,
confirmed, delivered in the background to each person on their own platform).

The same services as Telegram's dialogues (``handlers/telegram/admin.py``), with Discord's
means: /inviter takes the role as a choice and the scope as options completed from the
directory (an UAI, an INSEE code, a body's code, checked by the registration service);
/annonce takes the audience as a choice (a commune or a body as a completed option), then
the text in a modal. Between the modal and the « Envoyer » tap the draft is a row under
the person (``bot.services.drafts``) and each button carries its nonce: a restart loses
nothing and an older preview's button cannot send a newer text.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import locale_str

from bot.cards.invitation import qr_png
from bot.domain.errors import DomainError
from bot.domain.invitations import deep_link, parse_validity
from bot.domain.roles import Action, Role, can
from bot.domain.text import units
from bot.services import announcements as service
from bot.services import drafts
from bot.services.announcement_delivery import message_text
from bot.services.announcements import Audience, AudienceKind
from bot.services.delivery import actions
from handlers.discord.buttons import on, refuse
from handlers.discord.commands import described, name, option
from handlers.discord.context import Ctx, answer, context_of
from handlers.discord.render import components, markdown, split

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord

log = logging.getLogger(__name__)

NAMESPACE = "discord:announce"
MAX_CHOICES = 25  # an autocomplete's suggestions


def _staff(ctx: Ctx, action: Action) -> bool:
    return ctx.person is not None and can(ctx.person.role, action)


async def _refused(ctx: Ctx, action: Action) -> bool:
    """Said to a stranger or a person without the right; True when refused."""
    if ctx.person is None:
        await answer(ctx, ctx.t("discord.stranger"), ephemeral=True)
        return True
    if not can(ctx.person.role, action):
        await answer(ctx, ctx.t("common.error.forbidden"), ephemeral=True)
        return True
    return False


async def _say_error(ctx: Ctx, error: DomainError, view: discord.ui.View | None = None) -> None:
    await answer(ctx, ctx.t(error.code, **error.params), view=view, ephemeral=True)


# --- the directory's suggestions -------------------------------------------------------------


async def _suggest(
    client: PneDiscord,
    interaction: discord.Interaction,
    action: Action,
    search: Callable[[], Awaitable[list[tuple[str, str]]]],
) -> list[app_commands.Choice[str]]:
    """Suggestions for staff only (anyone else gets none); a search too short gets none."""
    ctx = await context_of(client, interaction)
    if not _staff(ctx, action):
        return []
    try:
        found = await search()
    except DomainError:
        return []
    return [
        app_commands.Choice(name=label[:100], value=value)
        for label, value in found[:MAX_CHOICES]
        if len(value) <= 100
    ]


async def _schools(client: PneDiscord, typed: str) -> list[tuple[str, str]]:
    schools = await service.search_schools(client.services.db, typed, MAX_CHOICES)
    return [(f"{s.name} ({s.uai}) — {s.commune_name}", s.uai) for s in schools]


async def _communes(client: PneDiscord, typed: str) -> list[tuple[str, str]]:
    communes = await service.search_communes(client.services.db, typed, MAX_CHOICES)
    return [(f"{c.name} ({c.insee})", c.insee) for c in communes]


async def _bodies(client: PneDiscord, typed: str) -> list[tuple[str, str]]:
    bodies = await service.search_bodies(client.services.db, typed, MAX_CHOICES)
    return [(f"{b.name} ({b.code})", b.code) for b in bodies]


# --- /inviter --------------------------------------------------------------------------------


async def invite(
    ctx: Ctx,
    role: Role,
    *,
    school: str | None,
    commune: str | None,
    body: str | None,
    validity: str | None,
) -> None:
    if await _refused(ctx, Action.INVITE):
        return
    assert ctx.person is not None
    services = ctx.services
    try:
        lasting = (
            parse_validity(validity)
            if validity and validity.strip()
            else timedelta(days=services.settings.invitation_days)
        )
        created = await service.invite_by_code(
            services.db,
            ctx.person.id,
            role=role,
            school_uai=(school or "").strip() or None,
            commune_insee=(commune or "").strip() or None,
            body_code=(body or "").strip() or None,
            validity=lasting,
            now=services.clock.now(),
        )
    except DomainError as error:
        await _say_error(ctx, error)
        return
    link = deep_link(services.settings.bot_username, created.code)
    params: dict[str, Any] = {
        "role": ctx.t(f"role.{created.role.value}"),
        "scope": created.scope_name or ctx.t("scope.everything"),
        "until": services.i18n.datetime(ctx.lang, created.expires_at),
    }
    text = (
        ctx.t("admin.invite.done", code=created.code, link=link, **params)
        + "\n\n"
        + ctx.t("discord.admin.invite.on_discord", code=created.code)
    )
    image = discord.File(
        io.BytesIO(qr_png(link)),
        filename="invitation.png",
        description=markdown(ctx.t("admin.invite.qr_caption", **params))[:1000],
    )
    # Only the author sees the code: it is shown once, wherever the command was run.
    parts = split(markdown(text))
    response = ctx.interaction.response
    for index, part in enumerate(parts):
        extra: dict[str, Any] = {"file": image} if index == len(parts) - 1 else {}
        if not response.is_done():
            await response.send_message(part, ephemeral=True, **extra)
        else:
            await ctx.interaction.followup.send(part, ephemeral=True, **extra)


# --- /annonce --------------------------------------------------------------------------------


def _key(ctx: Ctx) -> str:
    assert ctx.person is not None
    return str(ctx.person.id)


async def _save(ctx: Ctx, draft: dict[str, Any]) -> str:
    return await drafts.save(ctx.services.db, NAMESPACE, _key(ctx), draft, ctx.services.clock.now())


def _audience(draft: dict[str, Any]) -> Audience:
    return Audience(AudienceKind(draft["audience"]), draft.get("commune_id"), draft.get("body_id"))


def _audience_label(ctx: Ctx, draft: dict[str, Any]) -> str:
    kind = draft["audience"]
    if kind == AudienceKind.COMMUNE.value:
        return ctx.t("admin.announce.to.commune", commune=draft["commune"])
    if kind == AudienceKind.BODY.value:
        return ctx.t("admin.announce.to.body", body=draft["body"])
    return ctx.t(f"admin.announce.to.{kind}")


def _people(ctx: Ctx, count: int) -> str:
    return ctx.t("admin.count.people", count=count)


def announcement_text(ctx: Ctx, lang: str, text: str, sender: str) -> str:
    """The announcement exactly as its recipients read it (Telegram's same catalog text)."""
    return message_text(ctx.services.i18n, lang, text, sender)


async def announce(ctx: Ctx, kind: AudienceKind, commune: str | None, body: str | None) -> None:
    """The audience checked and counted, then the modal for the text."""
    if await _refused(ctx, service.ANNOUNCE):
        return
    assert ctx.person is not None
    services = ctx.services
    commune, body = (commune or "").strip(), (body or "").strip()
    if kind is AudienceKind.COMMUNE and not commune:
        await answer(ctx, ctx.t("discord.admin.announce.need_commune"), ephemeral=True)
        return
    if kind is AudienceKind.BODY and not body:
        await answer(ctx, ctx.t("discord.admin.announce.need_body"), ephemeral=True)
        return
    if (kind is not AudienceKind.COMMUNE and commune) or (kind is not AudienceKind.BODY and body):
        await answer(ctx, ctx.t("discord.admin.announce.no_scope"), ephemeral=True)
        return
    draft: dict[str, Any] = {"audience": kind.value}
    try:
        if commune:
            found = await service.commune_by_insee(services.db, commune)
            draft["commune_id"], draft["commune"] = found.id, found.name
        if body:
            chosen = await service.body_by_code(services.db, body)
            draft["body_id"], draft["body"] = chosen.id, chosen.name
        size = await service.audience_size(services.db, ctx.person.id, _audience(draft))
    except DomainError as error:
        await _say_error(ctx, error)
        return
    if size == 0:
        await answer(ctx, ctx.t("admin.announce.nobody"), ephemeral=True)
        return
    nonce = await _save(ctx, draft)
    await ctx.interaction.response.send_modal(TextForm(ctx, nonce, ""))


class TextForm(discord.ui.Modal):
    """The announcement's text (a modal is Discord's means for a long free text)."""

    def __init__(self, ctx: Ctx, nonce: str, text: str) -> None:
        super().__init__(title=ctx.t("discord.admin.modal.title")[:45], timeout=None)
        self.nonce = nonce
        self.text: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=ctx.t("discord.admin.modal.text", max=service.MAX_TEXT)[:45],
            custom_id="text",
            style=discord.TextStyle.paragraph,
            default=text or None,
            max_length=service.MAX_TEXT,
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        client: PneDiscord = interaction.client  # type: ignore[assignment]
        ctx = await context_of(client, interaction)
        if await _refused(ctx, service.ANNOUNCE):
            return
        await text_written(ctx, self.nonce, self.text.value)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]
        from handlers.discord.context import answer_error

        log.error("discord: announcement form failed", exc_info=error)
        await answer_error(interaction.client, interaction, error)  # type: ignore[arg-type]


async def text_written(ctx: Ctx, nonce: str, typed: str) -> None:
    """The preview (the very message recipients will read) and what it confirms."""
    assert ctx.person is not None
    services = ctx.services
    draft = await drafts.load(services.db, NAMESPACE, _key(ctx), nonce)
    if draft is None:
        await refuse(ctx, "common.stale_button")
        return
    text = typed.strip()
    draft["text"] = text
    nonce = await _save(ctx, draft)
    again = components(actions([[(ctx.t("discord.admin.announce.fix"), f"ann:edit:{nonce}")]]))
    if not text:
        await answer(ctx, ctx.t("admin.announce.empty"), view=again, ephemeral=True)
        return
    if units(text) > service.MAX_TEXT:
        await answer(
            ctx,
            ctx.t("admin.announce.too_long", max=service.MAX_TEXT, length=len(text)),
            view=again,
            ephemeral=True,
        )
        return
    try:
        size = await service.audience_size(services.db, ctx.person.id, _audience(draft))
    except DomainError as error:
        await _say_error(ctx, error)
        return
    await answer(ctx, announcement_text(ctx, ctx.lang, text, ctx.person.full_name), ephemeral=True)
    rows = [
        [(ctx.t("admin.announce.button.send"), f"ann:send:{nonce}")],
        [(ctx.t("admin.announce.button.edit"), f"ann:edit:{nonce}")],
        [(ctx.t("common.button.cancel"), f"ann:no:{nonce}")],
    ]
    await answer(
        ctx,
        ctx.t(
            "admin.announce.confirm",
            audience=_audience_label(ctx, draft),
            people=_people(ctx, size),
        ),
        view=components(actions(rows)),
        ephemeral=True,
    )


@on("ann")
async def tapped(ctx: Ctx, action: str) -> None:
    """« Envoyer », « Modifier le texte », « Annuler »: re-checked on arrival."""
    parts = action.split(":")
    if await _refused(ctx, service.ANNOUNCE):
        return
    if len(parts) != 3 or parts[1] not in {"send", "edit", "no"}:
        await refuse(ctx, "common.stale_button")
        return
    step, nonce = parts[1], parts[2]
    services = ctx.services
    # An older preview's buttons do nothing to a newer draft (its nonce is another).
    draft = await drafts.load(services.db, NAMESPACE, _key(ctx), nonce)
    if draft is None or (step == "send" and not draft.get("text")):
        await refuse(ctx, "common.stale_button")
        return
    if step == "no":
        dropped = await drafts.drop(services.db, NAMESPACE, _key(ctx))
        await answer(
            ctx,
            ctx.t("common.cancelled" if dropped else "common.nothing_to_cancel"),
            ephemeral=True,
        )
        return
    if step == "edit":
        await ctx.interaction.response.send_modal(TextForm(ctx, nonce, draft.get("text", "")))
        return
    await send(ctx, draft)


async def send(ctx: Ctx, draft: dict[str, Any]) -> None:
    person = ctx.person
    assert person is not None
    services = ctx.services
    # The draft goes first: a second tap of the same « Envoyer » finds nothing to send.
    if not await drafts.drop(services.db, NAMESPACE, _key(ctx)):
        await refuse(ctx, "common.stale_button")
        return
    try:
        announcement = await service.record_announcement(
            services.db, person.id, _audience(draft), draft["text"], services.clock.now()
        )
    except DomainError as error:
        await _say_error(ctx, error)
        return
    count = len(announcement.recipients)
    await answer(ctx, ctx.t("admin.announce.started", people=_people(ctx, count)), ephemeral=True)
    # The paced lane sends it to each person, on their own platform, beside the deadlines'
    # reminders, within seconds; the author hears the count at the end (decision 0075).


# --- registration ----------------------------------------------------------------------------


def register(client: PneDiscord) -> None:
    tree = client.tree
    i18n = client.services.i18n

    roles = [
        app_commands.Choice(
            name=locale_str(i18n.t("fr", f"role.{role.value}"), key=f"role.{role.value}"),
            value=role.value,
        )
        for role in Role
    ]

    @tree.command(name=name("inviter"), description=described(client, "inviter"))
    @app_commands.describe(
        role=option(client, "discord.admin.option.role"),
        ecole=option(client, "discord.admin.option.school"),
        commune=option(client, "discord.admin.option.commune"),
        organisme=option(client, "discord.admin.option.body"),
        validite=option(client, "discord.admin.option.validity"),
    )
    @app_commands.choices(role=roles)
    async def inviter(
        interaction: discord.Interaction,
        role: app_commands.Choice[str],
        ecole: str | None = None,
        commune: str | None = None,
        organisme: str | None = None,
        validite: str | None = None,
    ) -> None:
        ctx = await context_of(client, interaction)
        await invite(
            ctx, Role(role.value), school=ecole, commune=commune, body=organisme, validity=validite
        )

    audiences = [
        app_commands.Choice(
            name=locale_str(
                i18n.t("fr", f"admin.announce.audience.{kind.value}"),
                key=f"admin.announce.audience.{kind.value}",
            ),
            value=kind.value,
        )
        for kind in AudienceKind
    ]

    @tree.command(name=name("annonce"), description=described(client, "annonce"))
    @app_commands.describe(
        public=option(client, "discord.admin.option.audience"),
        commune=option(client, "discord.admin.option.audience_commune"),
        organisme=option(client, "discord.admin.option.audience_body"),
    )
    @app_commands.choices(public=audiences)
    async def annonce(
        interaction: discord.Interaction,
        public: app_commands.Choice[str],
        commune: str | None = None,
        organisme: str | None = None,
    ) -> None:
        ctx = await context_of(client, interaction)
        await announce(ctx, AudienceKind(public.value), commune, organisme)

    @inviter.autocomplete("ecole")
    async def schools_typed(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await _suggest(client, interaction, Action.INVITE, lambda: _schools(client, current))

    @inviter.autocomplete("commune")
    async def communes_typed(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await _suggest(
            client, interaction, Action.INVITE, lambda: _communes(client, current)
        )

    @inviter.autocomplete("organisme")
    async def bodies_typed(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await _suggest(client, interaction, Action.INVITE, lambda: _bodies(client, current))

    @annonce.autocomplete("commune")
    async def audience_communes_typed(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await _suggest(
            client, interaction, service.ANNOUNCE, lambda: _communes(client, current)
        )

    @annonce.autocomplete("organisme")
    async def audience_bodies_typed(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await _suggest(
            client, interaction, service.ANNOUNCE, lambda: _bodies(client, current)
        )
