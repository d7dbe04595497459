"""/attestation on Discord: a body's agent sends the insurance certificate a delivery asked
(art. 6, decision 0043) as a command's attachment with its validity days; staff list the
certificates and accept or refuse each (the notices' and the reminders' own ``cert:``
buttons work here too). The same services as Telegram's handlers/telegram/calls_delivery.py.

Between the summary and its « Envoyer », and between a refusal's reason and its
confirmation, the draft is a row under a nonce the button carries (decision 0047).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.cards.certificates import CertificateCard
from bot.domain.dates import ERR_UNREADABLE, local_date, parse_calendar_day
from bot.domain.errors import DomainError
from bot.domain.platforms import DISCORD
from bot.domain.roles import Action, Role, can
from bot.i18n import Safe
from bot.services import certificates, drafts
from bot.services.claims import FileRef
from handlers.discord.buttons import on, refuse
from handlers.discord.commands import described, name, option
from handlers.discord.context import Ctx, answer, context_of
from handlers.discord.render import components
from handlers.discord.telling import tell

if TYPE_CHECKING:
    from handlers.discord.app import PneDiscord

log = logging.getLogger(__name__)

SEND = "discord:certificate_send"
REFUSE = "discord:certificate_refuse"


def _card(ctx: Ctx) -> CertificateCard:
    return CertificateCard(ctx.services.i18n, ctx.lang)


def _today(ctx: Ctx) -> date:
    return local_date(ctx.services.clock.now(), ctx.services.settings.tz)


def _day(ctx: Ctx, typed: str, *, future: bool) -> date:
    try:
        return parse_calendar_day(typed, _today(ctx), future=future)
    except DomainError as error:
        if error.code == ERR_UNREADABLE:
            raise DomainError("cert.error.date_unreadable") from None
        raise


def _buttons(rows: list[list[tuple[str, str]]]) -> discord.ui.View | None:
    from bot.services.delivery import actions

    return components(actions(rows))


async def _listing(ctx: Ctx) -> None:
    """Staff: the certificates per body, then one message per certificate to decide."""
    assert ctx.person is not None
    bodies = await certificates.listing(ctx.services.db, ctx.person.id)
    card = _card(ctx)
    await answer(ctx, card.listing(bodies))
    for body in bodies:
        for view in body.certificates:
            if view.state == certificates.SENT:
                text = ctx.t(
                    "cert.to_decide", body=view.body_name, validity=Safe(card.validity(view))
                )
                await answer(ctx, text, view=components(card.staff_actions(view)))


async def start(
    ctx: Ctx, document: discord.Attachment | None, debut: str | None, fin: str | None
) -> None:
    person = ctx.person
    if person is None:
        await answer(ctx, ctx.t("discord.stranger"))
        return
    if not can(person.role, Action.SEND_CERTIFICATE):
        await answer(ctx, ctx.t("common.error.forbidden"))
        return
    if person.role == Role.STAFF.value:
        await _listing(ctx)
        return
    services = ctx.services
    try:
        mine = await certificates.my_certificates(services.db, person.id)
    except DomainError as error:
        await answer(ctx, ctx.t(error.code, **error.params))
        return
    card = _card(ctx)
    status = (
        "\n".join(card.line(v) for v in mine.certificates[:5])
        if mine.certificates
        else ctx.t("cert.mine.none")
    )
    if document is None or not (debut or "").strip() or not (fin or "").strip():
        await answer(ctx, ctx.t("dcert.how", body=mine.body_name, status=Safe(status)))
        return
    try:
        start_day = _day(ctx, debut or "", future=False)
        end_day = _day(ctx, fin or "", future=True)
        certificates.checked_days(start_day, end_day, _today(ctx))
    except DomainError as error:
        await answer(ctx, ctx.t(error.code, **error.params))
        return
    draft = {
        "file": {
            "kind": "document",
            "file_id": document.url,
            "file_unique_id": str(document.id),
            "file_name": document.filename,
            "mime_type": document.content_type,
        },
        "valid_from": start_day.isoformat(),
        "valid_until": end_day.isoformat(),
    }
    nonce = await drafts.save(services.db, SEND, str(person.id), draft, services.clock.now())
    i18n = services.i18n
    await answer(
        ctx,
        ctx.t(
            "cert.summary",
            file=document.filename or ctx.t("cert.unnamed_file"),
            start=i18n.date(ctx.lang, start_day),
            end=i18n.date(ctx.lang, end_day),
        ),
        view=_buttons(
            [
                [(ctx.t("cert.button.send"), f"cert:send:{nonce}")],
                [(ctx.t("common.button.cancel"), f"cert:abort:{nonce}")],
            ]
        ),
    )


async def _send(ctx: Ctx, nonce: str) -> None:
    assert ctx.person is not None
    services = ctx.services
    draft = await drafts.load(services.db, SEND, str(ctx.person.id), nonce)
    if draft is None:
        await refuse(ctx, "common.stale_button")
        return
    await drafts.drop(services.db, SEND, str(ctx.person.id))
    try:
        sent = await certificates.send(
            services.db,
            services.i18n,
            services.settings,
            ctx.person.id,
            FileRef(**draft["file"], platform=DISCORD),
            date.fromisoformat(draft["valid_from"]),
            date.fromisoformat(draft["valid_until"]),
            services.clock.now(),
        )
    except DomainError as error:
        await answer(ctx, ctx.t(error.code, **error.params))
        return
    await answer(ctx, ctx.t("cert.done", body=sent.view.body_name))
    await tell(ctx, sent.messages)


async def _sent_one(ctx: Ctx, raw: str) -> certificates.CertificateView | None:
    """The certificate of a tapped button, if staff may decide it now (else said)."""
    person = ctx.person
    if not raw.isdigit() or len(raw) > 9:
        await refuse(ctx, "common.stale_button")
        return None
    if person is None or not can(person.role, Action.MANAGE_CALLS):
        await refuse(ctx, "common.error.forbidden")
        return None
    try:
        view = await certificates.certificate(ctx.services.db, person.id, int(raw))
    except DomainError as error:
        await refuse(ctx, error.code)
        return None
    if view.state != certificates.SENT:
        await refuse(ctx, f"cert.error.not_sent.{view.state}")
        return None
    return view


class ReasonForm(discord.ui.Modal):
    def __init__(self, ctx: Ctx, view: certificates.CertificateView) -> None:
        super().__init__(title=ctx.t("dcert.reason_title")[:45], custom_id=f"cert:rf:{view.id}")
        self.certificate = view
        self.reason: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=ctx.t("dcert.reason_label")[:45],
            custom_id="reason",
            style=discord.TextStyle.paragraph,
            max_length=certificates.MAX_REASON,
        )
        self.add_item(self.reason)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        client: PneDiscord = interaction.client  # type: ignore[assignment]
        ctx = await context_of(client, interaction)
        view = await _sent_one(ctx, str(self.certificate.id))
        if view is None:
            return
        assert ctx.person is not None
        try:
            reason = certificates.checked_reason(self.reason.value)
        except DomainError as error:
            await answer(ctx, ctx.t(error.code, **error.params))
            return
        services = ctx.services
        nonce = await drafts.save(
            services.db,
            REFUSE,
            str(ctx.person.id),
            {"certificate_id": view.id, "reason": reason},
            services.clock.now(),
        )
        await answer(
            ctx,
            ctx.t("cert.refuse_summary", body=view.body_name, reason=reason),
            view=_buttons(
                [
                    [(ctx.t("cert.button.confirm_refusal"), f"cert:rok:{nonce}")],
                    [(ctx.t("common.button.cancel"), f"cert:rno:{nonce}")],
                ]
            ),
        )

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]
        from handlers.discord.context import answer_error

        log.error("discord: certificate refusal form failed", exc_info=error)
        await answer_error(interaction.client, interaction, error)  # type: ignore[arg-type]


async def _refusal(ctx: Ctx, nonce: str) -> None:
    assert ctx.person is not None
    services = ctx.services
    draft = await drafts.load(services.db, REFUSE, str(ctx.person.id), nonce)
    if draft is None:
        await refuse(ctx, "common.stale_button")
        return
    view = await _sent_one(ctx, str(draft["certificate_id"]))
    if view is None:
        return
    await drafts.drop(services.db, REFUSE, str(ctx.person.id))
    try:
        done = await certificates.refuse(
            services.db,
            services.i18n,
            ctx.person.id,
            view.id,
            str(draft["reason"]),
            services.clock.now(),
        )
    except DomainError as error:
        await answer(ctx, ctx.t(error.code, **error.params))
        return
    await answer(ctx, ctx.t("cert.refused.done", body=done.view.body_name))
    await tell(ctx, done.messages)


@on("cert")
async def dispatch(ctx: Ctx, action: str) -> None:
    parts = action.split(":")
    verb, rest = (parts[1] if len(parts) > 1 else ""), parts[2:]
    arg = rest[0] if rest else ""
    if ctx.person is None:
        await refuse(ctx, "discord.stranger")
        return
    if verb == "send":
        await _send(ctx, arg)
    elif verb in ("abort", "rno"):
        namespace = SEND if verb == "abort" else REFUSE
        if await drafts.load(ctx.services.db, namespace, str(ctx.person.id), arg) is None:
            await refuse(ctx, "common.stale_button")
            return
        await drafts.drop(ctx.services.db, namespace, str(ctx.person.id))
        await answer(ctx, ctx.t("common.cancelled"))
    elif verb == "acc":
        view = await _sent_one(ctx, arg)
        if view is None:
            return
        await answer(
            ctx,
            ctx.t(
                "cert.accept_summary",
                body=view.body_name,
                validity=Safe(_card(ctx).validity(view)),
            ),
            view=_buttons(
                [
                    [(ctx.t("cert.button.confirm_accept"), f"cert:acck:{view.id}")],
                    [(ctx.t("common.button.cancel"), "cert:keep")],
                ]
            ),
        )
    elif verb == "acck":
        view = await _sent_one(ctx, arg)
        if view is None:
            return
        services = ctx.services
        try:
            done = await certificates.accept(
                services.db, services.i18n, ctx.person.id, view.id, services.clock.now()
            )
        except DomainError as error:
            await answer(ctx, ctx.t(error.code, **error.params))
            return
        await answer(
            ctx,
            ctx.t(
                "cert.accepted.done",
                body=done.view.body_name,
                validity=Safe(_card(ctx).validity(done.view)),
            ),
        )
        await tell(ctx, done.messages)
    elif verb == "keep":
        await answer(ctx, ctx.t("cert.nothing_changed"))
    elif verb == "no":
        view = await _sent_one(ctx, arg)
        if view is None:
            return
        await ctx.interaction.response.send_modal(ReasonForm(ctx, view))
    elif verb == "rok":
        await _refusal(ctx, arg)
    elif verb == "file":
        await _file(ctx, arg)
    else:
        await refuse(ctx, "dcert.on_telegram")


async def _file(ctx: Ctx, raw: str) -> None:
    person = ctx.person
    if not raw.isdigit() or len(raw) > 9:
        await refuse(ctx, "common.stale_button")
        return
    if person is None or not can(person.role, Action.SEND_CERTIFICATE):
        await refuse(ctx, "common.error.forbidden")
        return
    try:
        view = await certificates.certificate(ctx.services.db, person.id, int(raw))
    except DomainError as error:
        await refuse(ctx, error.code)
        return
    if view.file_id is None or view.platform != DISCORD:
        await refuse(ctx, "cert.error.no_file")
        return
    await answer(ctx, ctx.t("dcert.file", body=view.body_name, url=view.file_id))


def register(client: PneDiscord) -> None:
    @client.tree.command(name=name("attestation"), description=described(client, "attestation"))
    @app_commands.describe(
        document=option(client, "dcert.option.document"),
        debut=option(client, "dcert.option.from"),
        fin=option(client, "dcert.option.until"),
    )
    async def attestation(
        interaction: discord.Interaction,
        document: discord.Attachment | None = None,
        debut: str | None = None,
        fin: str | None = None,
    ) -> None:
        ctx = await context_of(client, interaction)
        await start(ctx, document, debut, fin)
