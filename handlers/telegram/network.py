"""The school network on Telegram (art. 2: no equipment of the body on the schools'
network): staff's ``/reseau <UAI> <texte>`` (``/network``).

SEM found the body's own equipment (heating, surveillance, the town hall's computer) on a
school's network. Staff type the school's UAI and what they found; a confirmation names
the school, its body and the text (« ✅ Demander le débranchement »); then the request is
written (``notices.ask_disconnection``: a reminder to the body after 15 days, staff
alerted after 30) and the body's agents get it with « 🔌 Matériel débranché »
(``ntc:off``, handled in ``handlers.telegram.notice_card``). Without arguments, or with
a first word that is not a UAI, the usage is shown; nothing is kept.

The text is kept in the dialogue's draft (it does not fit in a button); the confirmation's
buttons carry a nonce of that draft, so a button of an older confirmation confirms
nothing.
"""

from __future__ import annotations

import secrets
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.domain.directory import normalize_uai
from bot.domain.errors import DomainError
from bot.domain.roles import Action, can
from bot.services import notice_notices
from bot.services import notices as service
from handlers.telegram import steps
from handlers.telegram.app import PneContext
from handlers.telegram.common import keyboard, reply, set_buttons, tell
from handlers.telegram.dialogues import dialogue

NETWORK = "notice_network"
NETWORK_DIALOGUES = (NETWORK,)
CONFIRM = "net_confirm"
NONCE_BYTES = 4

Handler = BaseHandler[Update, PneContext, Any]


def _arguments(text: str) -> tuple[str, str] | None:
    """« /reseau 0421234A Chaudière … » → the UAI and the text as typed; None when the
    command lacks either or its first word is not a UAI."""
    parts = text.split(maxsplit=2)
    if len(parts) < 3 or not parts[2].strip():
        return None
    try:
        uai = normalize_uai(parts[1])
    except DomainError:
        return None
    return uai, parts[2].strip()


async def network_command(update: Update, context: PneContext) -> object:
    """/reseau <UAI> <texte>: the confirmation naming the school, its body and the text."""
    person = context.person
    if person is None or not can(person.role, Action.MANAGE_NOTICES):
        await reply(update, context, "common.error.forbidden")
        return steps.end(context, NETWORK)
    assert update.effective_message is not None
    found = _arguments(update.effective_message.text or "")
    if found is None:
        await reply(update, context, "notice.network.usage")
        return steps.end(context, NETWORK)
    uai, text = found
    try:
        target = await service.network_target(context.services.db, person.id, uai, text)
    except DomainError as error:
        await steps.refuse(update, context, error)
        return steps.end(context, NETWORK)
    current = steps.start_draft(
        context, NETWORK, uai=target.school_uai, text=target.text, body=target.body_name
    )
    current["nonce"] = secrets.token_hex(NONCE_BYTES)
    rows = [
        [(context.t("notice.network.button.confirm"), f"net:ok:{current['nonce']}")],
        [(context.t("common.button.cancel"), f"net:no:{current['nonce']}")],
    ]
    await reply(
        update,
        context,
        "notice.network.confirm",
        body=target.body_name,
        school=target.school_name,
        uai=target.school_uai,
        commune=target.commune_name,
        text=target.text,
        reply_markup=keyboard(rows),
    )
    return CONFIRM


async def confirmed(update: Update, context: PneContext) -> object:
    """« ✅ Demander le débranchement »: written, the body's agents told, staff told how
    many got it; « Annuler »: nothing written."""
    query = update.callback_query
    assert query is not None and query.data is not None and context.person is not None
    _, verb, nonce = query.data.split(":")
    current = steps.draft(context, NETWORK)
    if nonce != current.get("nonce"):
        await query.answer(context.t("common.stale_button"), show_alert=True)
        return CONFIRM
    await query.answer()
    await set_buttons(query, None)
    if verb == "no":
        await reply(update, context, "common.cancelled")
        return steps.end(context, NETWORK)
    services = context.services
    try:
        view = await service.ask_disconnection(
            services.db,
            context.person.id,
            str(current["uai"]),
            str(current["text"]),
            steps.now(context),
        )
    except DomainError as error:
        await steps.refuse(update, context, error)
        return steps.end(context, NETWORK)
    told = await tell(
        context,
        await notice_notices.after_telling(services.db, services.i18n, services.settings, view),
    )
    if told:
        await reply(
            update,
            context,
            "notice.network.sent",
            number=view.number,
            body=view.body_name,
            count=told,
        )
    else:
        await reply(
            update, context, "notice.network.sent_nobody", number=view.number, body=view.body_name
        )
    return steps.end(context, NETWORK)


def conversation() -> Any:
    return dialogue(
        name=NETWORK,
        entry_points=[
            CommandHandler(
                ["reseau", "network"], network_command, filters=filters.ChatType.PRIVATE
            ),
        ],
        states={
            CONFIRM: [
                CallbackQueryHandler(confirmed, pattern=r"^net:(ok|no):[0-9a-f]{1,16}$"),
                *steps.stay(),
            ],
        },
        fallbacks=[],
    )
