"""/livraison and /attestation: a call's equipment delivered to a selected school, and the
body's insurance certificate it asks (convention art. 1, 2 and 6; decision 0043).

/livraison (staff): the selected application of a decided call (a button each) → the
items, typed one per line ``TAG;serial;value;dd/mm/yyyy[;room]`` or the supplier's
delivery note as a CSV document (every bad row named with its line, the step kept) →
a summary naming the school and the number of items, « ✅ Enregistrer » → the body's
agents and the school's heads are told. Buttons ``amid:…``.

/attestation: for a body's agent, the body's certificates and what is awaited → the
document → the first day it covers → the last → a summary, « ✅ Envoyer » → staff get it
with « Accepter » and « Refuser ». For staff, the certificates per body with their
validity dates and states, each one to decide with its buttons; « Refuser » asks the
reason (a short dialogue), « Accepter » a confirmation. Buttons ``cert:…``.

Every button is re-checked on arrival by the services (the application still to be
delivered, the certificate still sent, the person allowed).
"""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.cards.call_staff import StaffCallCard
from bot.cards.certificates import CertificateCard
from bot.domain.dates import ERR_UNREADABLE, parse_calendar_day
from bot.domain.errors import DomainError
from bot.domain.platforms import TELEGRAM
from bot.domain.roles import Action, Role, can
from bot.i18n import Safe
from bot.services import call_delivery, certificates
from bot.services.claims import FileRef
from bot.services.directory import ImportFailed
from handlers.telegram import steps
from handlers.telegram.app import PneContext
from handlers.telegram.common import (
    alert,
    done_with_buttons,
    keyboard,
    reply,
    send,
    tell,
)
from handlers.telegram.delivery import markup
from handlers.telegram.dialogues import dialogue
from handlers.telegram.steps import Draft

Handler = BaseHandler[Update, PneContext, Any]

DELIVERY = "call_delivery"
CERT_SEND = "certificate_send"
CERT_REFUSE = "certificate_refuse"
DIALOGUES = (DELIVERY, CERT_SEND, CERT_REFUSE)
D_APP, D_ITEMS, D_CONFIRM = "amid_app", "amid_items", "amid_confirm"
C_FILE, C_FROM, C_UNTIL, C_CONFIRM = "cert_file", "cert_from", "cert_until", "cert_confirm"
R_REASON, R_CONFIRM = "cert_reason", "cert_rconfirm"
TEXT = filters.TEXT & ~filters.COMMAND
MAX_APPLICATIONS = 20
MAX_CSV_BYTES = 1_000_000


def _chat(update: Update) -> int:
    return update.effective_chat.id if update.effective_chat else 0


def _id(update: Update) -> int | None:
    """The id at the end of a tapped button's data, if it is a sane one."""
    query = update.callback_query
    assert query is not None and query.data is not None
    tail = query.data.rsplit(":", 1)[1]
    return int(tail) if tail.isdigit() and len(tail) <= 10 else None


def _card(context: PneContext) -> CertificateCard:
    return CertificateCard(context.services.i18n, context.lang)


async def _refuse_rows(update: Update, context: PneContext, failed: ImportFailed) -> None:
    """One line per bad row: « Ligne 3 : … ; … »."""
    card = StaffCallCard(context.services.i18n, context.lang)
    await send(context, _chat(update), card.refused_rows(failed))


# --- /livraison ------------------------------------------------------------------------------


async def delivery_start(update: Update, context: PneContext) -> str | int:
    person = context.person
    if person is None or not can(person.role, Action.MANAGE_CALLS):
        await reply(update, context, "common.error.forbidden")
        return ConversationHandler.END
    steps.start_draft(context, DELIVERY)
    found = await call_delivery.deliverable(context.services.db, person.id)
    if not found:
        await reply(update, context, "amid.none")
        return steps.end(context, DELIVERY)
    rows = [
        [
            (
                context.t(
                    "amid.app_button",
                    number=d.application.number,
                    school=d.application.school_name,
                    delivered=d.delivered,
                    units=d.units,
                )[:60],
                f"amid:app:{d.application.id}",
            )
        ]
        for d in found[:MAX_APPLICATIONS]
    ]
    await reply(update, context, "amid.ask_application", reply_markup=keyboard(rows))
    return D_APP


async def application_chosen(update: Update, context: PneContext) -> str:
    assert context.person is not None
    ticket_id = _id(update)
    found = await call_delivery.deliverable(context.services.db, context.person.id)
    chosen = next((d for d in found if d.application.id == ticket_id), None)
    if chosen is None:
        await alert(update, context, "amid.error.not_selected")
        return D_APP
    await done_with_buttons(update)
    steps.draft(context, DELIVERY).update(
        ticket_id=chosen.application.id,
        number=chosen.application.number,
        school=chosen.application.school_name,
        left=chosen.units - chosen.delivered,
    )
    return await _ask_items(update, context)


async def _ask_items(update: Update, context: PneContext) -> str:
    current = steps.draft(context, DELIVERY)
    await reply(
        update,
        context,
        "amid.ask_items",
        school=current["school"],
        number=current["number"],
        count=int(current["left"]),
    )
    return D_ITEMS


async def _checked(
    update: Update, context: PneContext, items: list[call_delivery.DeliveredItem]
) -> str:
    assert context.person is not None
    current = steps.draft(context, DELIVERY)
    try:
        plan = await call_delivery.check(
            context.services.db,
            context.person.id,
            int(current["ticket_id"]),
            items,
            steps.now(context),
        )
    except ImportFailed as failed:
        await _refuse_rows(update, context, failed)
        return D_ITEMS
    except DomainError as error:
        await steps.refuse(update, context, error)
        return D_ITEMS
    current["items"] = [
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
    current["nonce"] = secrets.token_hex(steps.NONCE_BYTES)
    rows = [
        [
            (
                context.t(
                    "amid.button.record", count=len(items), school=plan.application.school_name
                )[:60],
                f"amid:ok:{current['nonce']}",
            )
        ],
        [(context.t("amid.button.fix"), "amid:fix")],
        [(context.t("common.button.cancel"), "amid:abort")],
    ]
    await send(
        context, _chat(update), _card(context).delivery_summary(plan), reply_markup=keyboard(rows)
    )
    return D_CONFIRM


async def items_typed(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None
    try:
        items = call_delivery.read_typed(update.effective_message.text or "", steps.today(context))
    except ImportFailed as failed:
        await _refuse_rows(update, context, failed)
        return D_ITEMS
    return await _checked(update, context, items)


async def items_file(update: Update, context: PneContext) -> str:
    message = update.effective_message
    assert message is not None and message.document is not None
    document = message.document
    if document.file_size is not None and document.file_size > MAX_CSV_BYTES:
        await reply(update, context, "amid.csv_too_big")
        return D_ITEMS
    try:
        file = await context.bot.get_file(document.file_id)
        data = bytes(await file.download_as_bytearray())
    except TelegramError:
        await reply(update, context, "amid.csv_unreadable")
        return D_ITEMS
    try:
        items = call_delivery.read_csv(data, steps.today(context))
    except ImportFailed as failed:
        await _refuse_rows(update, context, failed)
        return D_ITEMS
    return await _checked(update, context, items)


def _items(current: Draft) -> list[call_delivery.DeliveredItem]:
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
        for i in current.get("items", [])
    ]


async def delivery_record(update: Update, context: PneContext) -> str | int:
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    current = steps.draft(context, DELIVERY)
    if query.data.rsplit(":", 1)[1] != current.get("nonce"):
        await alert(update, context, "common.stale_button")
        return D_CONFIRM
    await done_with_buttons(update)
    services = context.services
    items = _items(current)
    ticket_id = int(current["ticket_id"])
    steps.end(context, DELIVERY)
    try:
        done = await call_delivery.record(
            services.db, services.i18n, context.person.id, ticket_id, items, steps.now(context)
        )
    except ImportFailed as failed:  # a tag entered the inventory meanwhile
        await _refuse_rows(update, context, failed)
        return ConversationHandler.END
    except DomainError as error:
        await steps.refuse(update, context, error)
        return ConversationHandler.END
    key = "amid.done.asked" if done.asked.certificate is not None else "amid.done.covered"
    await reply(
        update,
        context,
        key,
        count=done.count,
        school=done.school_name,
        number=done.application.number,
        body=done.body_name,
    )
    await tell(context, done.messages)
    return ConversationHandler.END


async def delivery_fix(update: Update, context: PneContext) -> str:
    await done_with_buttons(update)
    steps.draft(context, DELIVERY).pop("items", None)
    return await _ask_items(update, context)


async def delivery_abort(update: Update, context: PneContext) -> int:
    await done_with_buttons(update)
    await reply(update, context, "common.cancelled")
    return steps.end(context, DELIVERY)


# --- /attestation: the body's agent -----------------------------------------------------------


async def certificate_start(update: Update, context: PneContext) -> str | int:
    person = context.person
    if person is None or not can(person.role, Action.SEND_CERTIFICATE):
        await reply(update, context, "common.error.forbidden")
        return ConversationHandler.END
    services = context.services
    if person.role == Role.STAFF:
        bodies = await certificates.listing(services.db, person.id)
        card = _card(context)
        await send(context, _chat(update), card.listing(bodies))
        for body in bodies:
            for view in body.certificates:
                if view.state == certificates.SENT:
                    await send(
                        context,
                        _chat(update),
                        context.t(
                            "cert.to_decide",
                            body=view.body_name,
                            validity=Safe(card.validity(view)),
                        ),
                        reply_markup=markup(card.staff_actions(view)),
                    )
        return ConversationHandler.END
    try:
        mine = await certificates.my_certificates(services.db, person.id)
    except DomainError as error:
        await steps.refuse(update, context, error)
        return ConversationHandler.END
    steps.start_draft(context, CERT_SEND)
    card = _card(context)
    status = (
        "\n".join(card.line(v) for v in mine.certificates[:5])
        if mine.certificates
        else context.t("cert.mine.none")
    )
    await reply(
        update,
        context,
        "cert.ask_file",
        body=mine.body_name,
        status=Safe(status),
    )
    return C_FILE


async def certificate_file(update: Update, context: PneContext) -> str:
    message = update.effective_message
    assert message is not None and message.document is not None
    doc = message.document
    steps.draft(context, CERT_SEND)["file"] = {
        "kind": "document",
        "file_id": doc.file_id,
        "file_unique_id": doc.file_unique_id,
        "file_name": doc.file_name,
        "mime_type": doc.mime_type,
    }
    await reply(update, context, "cert.ask_from")
    return C_FROM


def _typed_day(context: PneContext, typed: str, *, future: bool) -> date:
    try:
        return parse_calendar_day(typed, steps.today(context), future=future)
    except DomainError as error:
        if error.code == ERR_UNREADABLE:
            raise DomainError("cert.error.date_unreadable") from None
        raise


async def from_typed(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None
    try:
        start = _typed_day(context, update.effective_message.text or "", future=False)
    except DomainError as error:
        await steps.refuse(update, context, error)
        return C_FROM
    steps.draft(context, CERT_SEND)["valid_from"] = start.isoformat()
    await reply(
        update, context, "cert.ask_until", start=context.services.i18n.date(context.lang, start)
    )
    return C_UNTIL


async def until_typed(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None
    current = steps.draft(context, CERT_SEND)
    start = date.fromisoformat(current["valid_from"])
    try:
        end = _typed_day(context, update.effective_message.text or "", future=True)
        certificates.checked_days(start, end, steps.today(context))
    except DomainError as error:
        await steps.refuse(update, context, error)
        return C_UNTIL
    current["valid_until"] = end.isoformat()
    current["nonce"] = secrets.token_hex(steps.NONCE_BYTES)
    i18n = context.services.i18n
    rows = [
        [(context.t("cert.button.send"), f"cert:send:{current['nonce']}")],
        [(context.t("common.button.cancel"), "cert:abort")],
    ]
    await reply(
        update,
        context,
        "cert.summary",
        file=current["file"].get("file_name") or context.t("cert.unnamed_file"),
        start=i18n.date(context.lang, start),
        end=i18n.date(context.lang, end),
        reply_markup=keyboard(rows),
    )
    return C_CONFIRM


async def certificate_send(update: Update, context: PneContext) -> str | int:
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    current = steps.draft(context, CERT_SEND)
    if query.data.rsplit(":", 1)[1] != current.get("nonce"):
        await alert(update, context, "common.stale_button")
        return C_CONFIRM
    await done_with_buttons(update)
    services = context.services
    file = FileRef(**current["file"], platform=TELEGRAM)
    start, end = (
        date.fromisoformat(current["valid_from"]),
        date.fromisoformat(current["valid_until"]),
    )
    steps.end(context, CERT_SEND)
    try:
        sent = await certificates.send(
            services.db,
            services.i18n,
            services.settings,
            context.person.id,
            file,
            start,
            end,
            steps.now(context),
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return ConversationHandler.END
    await reply(update, context, "cert.done", body=sent.view.body_name)
    await tell(context, sent.messages)
    return ConversationHandler.END


async def certificate_abort(update: Update, context: PneContext) -> int:
    await done_with_buttons(update)
    await reply(update, context, "common.cancelled")
    return steps.end(context, CERT_SEND)


# --- staff: « Refuser » with a reason, « Accepter » confirmed ---------------------------------


async def _sent_one(update: Update, context: PneContext) -> certificates.CertificateView | None:
    """The certificate of a tapped button, if staff may decide it now (else said)."""
    person = context.person
    certificate_id = _id(update)
    if certificate_id is None:
        await alert(update, context, "common.stale_button")
        return None
    if person is None or not can(person.role, Action.MANAGE_CALLS):
        await alert(update, context, "common.error.forbidden")
        return None
    try:
        view = await certificates.certificate(context.services.db, person.id, certificate_id)
    except DomainError as error:
        await alert(update, context, error.code)
        return None
    if view.state != certificates.SENT:
        await alert(update, context, f"cert.error.not_sent.{view.state}")
        return None
    return view


async def refuse_start(update: Update, context: PneContext) -> str | int:
    view = await _sent_one(update, context)
    if view is None:
        return ConversationHandler.END
    await done_with_buttons(update)
    steps.start_draft(context, CERT_REFUSE, certificate_id=view.id, body=view.body_name)
    await reply(
        update, context, "cert.ask_reason", body=view.body_name, max=certificates.MAX_REASON
    )
    return R_REASON


async def reason_typed(update: Update, context: PneContext) -> str:
    assert update.effective_message is not None
    current = steps.draft(context, CERT_REFUSE)
    try:
        reason = certificates.checked_reason(update.effective_message.text or "")
    except DomainError as error:
        await steps.refuse(update, context, error)
        return R_REASON
    current["reason"] = reason
    current["nonce"] = secrets.token_hex(steps.NONCE_BYTES)
    rows = [
        [(context.t("cert.button.confirm_refusal"), f"cert:rok:{current['nonce']}")],
        [(context.t("common.button.cancel"), "cert:rno")],
    ]
    await reply(
        update,
        context,
        "cert.refuse_summary",
        body=current["body"],
        reason=reason,
        reply_markup=keyboard(rows),
    )
    return R_CONFIRM


async def refusal_confirmed(update: Update, context: PneContext) -> str | int:
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    current = steps.draft(context, CERT_REFUSE)
    if query.data.rsplit(":", 1)[1] != current.get("nonce"):
        await alert(update, context, "common.stale_button")
        return R_CONFIRM
    await done_with_buttons(update)
    services = context.services
    steps.end(context, CERT_REFUSE)
    try:
        done = await certificates.refuse(
            services.db,
            services.i18n,
            context.person.id,
            int(current["certificate_id"]),
            str(current["reason"]),
            steps.now(context),
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return ConversationHandler.END
    await reply(update, context, "cert.refused.done", body=done.view.body_name)
    await tell(context, done.messages)
    return ConversationHandler.END


async def refusal_abort(update: Update, context: PneContext) -> int:
    await done_with_buttons(update)
    await reply(update, context, "common.cancelled")
    return steps.end(context, CERT_REFUSE)


async def accept_asked(update: Update, context: PneContext) -> None:
    """« Accepter »: a confirmation naming the body and the days it covers."""
    view = await _sent_one(update, context)
    if view is None:
        return
    query = update.callback_query
    assert query is not None
    await query.answer()
    rows = [
        [(context.t("cert.button.confirm_accept"), f"cert:acck:{view.id}")],
        [(context.t("common.button.cancel"), "cert:keep")],
    ]
    await reply(
        update,
        context,
        "cert.accept_summary",
        body=view.body_name,
        validity=Safe(_card(context).validity(view)),
        reply_markup=keyboard(rows),
    )


async def accept_confirmed(update: Update, context: PneContext) -> None:
    view = await _sent_one(update, context)
    if view is None:
        return
    assert context.person is not None
    await done_with_buttons(update)
    services = context.services
    try:
        done = await certificates.accept(
            services.db, services.i18n, context.person.id, view.id, steps.now(context)
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return
    await reply(
        update,
        context,
        "cert.accepted.done",
        body=done.view.body_name,
        validity=Safe(_card(context).validity(done.view)),
    )
    await tell(context, done.messages)


async def accept_kept(update: Update, context: PneContext) -> None:
    await done_with_buttons(update)
    await reply(update, context, "cert.nothing_changed")


async def show_file(update: Update, context: PneContext) -> None:
    """« Voir le document »: staff, or an agent of the body, get the file again."""
    query = update.callback_query
    assert query is not None
    person, certificate_id = context.person, _id(update)
    if certificate_id is None:
        await alert(update, context, "common.stale_button")
        return
    if person is None or not can(person.role, Action.SEND_CERTIFICATE):
        await alert(update, context, "common.error.forbidden")
        return
    try:
        view = await certificates.certificate(context.services.db, person.id, certificate_id)
    except DomainError as error:
        await alert(update, context, error.code)
        return
    if view.file_id is None or view.platform != TELEGRAM:
        await alert(update, context, "cert.error.no_file")
        return
    await query.answer()
    await context.bot.send_document(
        _chat(update),
        view.file_id,
        caption=context.t(
            "cert.file_caption", body=view.body_name, validity=Safe(_card(context).validity(view))
        ),
    )


# --- anything else ----------------------------------------------------------------------------


def _stay(hint: str) -> list[Handler]:
    async def unexpected(update: Update, context: PneContext) -> None:
        await reply(update, context, hint)

    return [MessageHandler(filters.ALL & ~filters.COMMAND, unexpected)]


def conversations() -> list[ConversationHandler[PneContext]]:
    private = filters.ChatType.PRIVATE
    delivery = dialogue(
        name=DELIVERY,
        entry_points=[CommandHandler(["livraison", "delivery"], delivery_start, filters=private)],
        states={
            D_APP: [
                CallbackQueryHandler(application_chosen, pattern=r"^amid:app:\d{1,10}$"),
                *_stay("amid.unexpected.application"),
            ],
            D_ITEMS: [
                MessageHandler(TEXT, items_typed),
                MessageHandler(filters.Document.ALL, items_file),
                *_stay("amid.unexpected.items"),
            ],
            D_CONFIRM: [
                CallbackQueryHandler(delivery_record, pattern=r"^amid:ok:[0-9a-f]{1,16}$"),
                CallbackQueryHandler(delivery_fix, pattern=r"^amid:fix$"),
                *_stay("amid.unexpected.summary"),
            ],
        },
        fallbacks=[CallbackQueryHandler(delivery_abort, pattern=r"^amid:abort$")],
    )
    send_one = dialogue(
        name=CERT_SEND,
        entry_points=[
            CommandHandler(["attestation", "certificate"], certificate_start, filters=private)
        ],
        states={
            C_FILE: [
                MessageHandler(filters.Document.ALL, certificate_file),
                *_stay("cert.unexpected.file"),
            ],
            C_FROM: [MessageHandler(TEXT, from_typed), *_stay("cert.unexpected.date")],
            C_UNTIL: [MessageHandler(TEXT, until_typed), *_stay("cert.unexpected.date")],
            C_CONFIRM: [
                CallbackQueryHandler(certificate_send, pattern=r"^cert:send:[0-9a-f]{1,16}$"),
                *_stay("cert.unexpected.summary"),
            ],
        },
        fallbacks=[CallbackQueryHandler(certificate_abort, pattern=r"^cert:abort$")],
    )
    refuse_one = dialogue(
        name=CERT_REFUSE,
        entry_points=[CallbackQueryHandler(refuse_start, pattern=r"^cert:no:\d{1,10}$")],
        states={
            R_REASON: [MessageHandler(TEXT, reason_typed), *_stay("cert.unexpected.reason")],
            R_CONFIRM: [
                CallbackQueryHandler(refusal_confirmed, pattern=r"^cert:rok:[0-9a-f]{1,16}$"),
                *_stay("cert.unexpected.summary"),
            ],
        },
        fallbacks=[CallbackQueryHandler(refusal_abort, pattern=r"^cert:rno$")],
    )
    return [delivery, send_one, refuse_one]


def handlers() -> list[Handler]:
    return [
        CallbackQueryHandler(accept_asked, pattern=r"^cert:acc:\d{1,10}$"),
        CallbackQueryHandler(accept_confirmed, pattern=r"^cert:acck:\d{1,10}$"),
        CallbackQueryHandler(accept_kept, pattern=r"^cert:keep$"),
        CallbackQueryHandler(show_file, pattern=r"^cert:file:\d{1,10}$"),
    ]


__all__ = ["DIALOGUES", "conversations", "handlers"]
