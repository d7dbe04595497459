"""Two staff tools as dialogues: /inviter (an invitation code, its link and QR code) and
/annonce (a message to an audience, previewed, confirmed, sent in the background).

/inviter: role → school or commune (typed search, results as buttons) → validity →
summary → confirm. /annonce: audience → (commune or body) → text → preview → confirm.
Buttons carry ids that are checked again on arrival; the staff role is checked at each
step (a person may lose it in the middle of a dialogue); /annuler leaves at every step.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.cards.invitation import qr_png
from bot.domain.errors import DomainError
from bot.domain.invitations import deep_link, parse_validity
from bot.domain.roles import Action, Role, can
from bot.domain.text import units
from bot.i18n import I18n, Safe
from bot.services import announcements as service
from bot.services.announcement_delivery import message_text
from bot.services.announcements import Audience, AudienceKind
from handlers.telegram.app import PneContext, Services
from handlers.telegram.common import keyboard, reply, set_buttons
from handlers.telegram.dialogues import dialogue

log = logging.getLogger(__name__)

# /inviter
ROLE, SCHOOL, COMMUNE, VALIDITY, SUMMARY = (
    "inv_role", "inv_school", "inv_commune", "inv_validity", "inv_summary",
)  # fmt: skip
# /annonce
AUDIENCE, AUDIENCE_COMMUNE, AUDIENCE_BODY, TEXT, PREVIEW = (
    "ann_audience", "ann_commune", "ann_body", "ann_text", "ann_preview",
)  # fmt: skip
INVITE_DRAFT = "invite_draft"
ANNOUNCE_DRAFT = "announce_draft"
VALIDITY_CHOICES = (7, 14, 30)  # days, as buttons
MAX_RESULTS = 8


def _draft(context: PneContext, key: str) -> dict[str, Any]:
    assert context.user_data is not None
    draft: dict[str, Any] = context.user_data.setdefault(key, {})
    return draft


def _chat_id(update: Update) -> int:
    assert update.effective_chat is not None
    return update.effective_chat.id


async def _answer(update: Update) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()


async def _drop_buttons(update: Update) -> None:
    if update.callback_query is not None:
        await set_buttons(update.callback_query, None)


def _allowed(context: PneContext, action: Action) -> bool:
    return context.person is not None and can(context.person.role, action)


async def _refuse(update: Update, context: PneContext, *drafts: str) -> int:
    """The person is not (or no longer) staff: leave the dialogue."""
    assert context.user_data is not None
    for key in drafts:
        context.user_data.pop(key, None)
    if update.callback_query is not None:
        await update.callback_query.answer()
    await reply(update, context, "common.error.forbidden")
    return ConversationHandler.END


def _last_part(data: str | None) -> str:
    assert data is not None
    return data.rsplit(":", 1)[1]


# =========================================================================== /inviter


async def invite_start(update: Update, context: PneContext) -> str | int:
    if not _allowed(context, Action.INVITE):
        return await _refuse(update, context, INVITE_DRAFT)
    assert context.user_data is not None
    context.user_data[INVITE_DRAFT] = {}
    rows = [[(context.t(f"role.{role.value}"), f"inv:role:{role.value}")] for role in Role]
    rows.append([(context.t("common.button.cancel"), "inv:abort")])
    await reply(update, context, "admin.invite.ask_role", reply_markup=keyboard(rows))
    return ROLE


async def role_chosen(update: Update, context: PneContext) -> str | int:
    if not _allowed(context, Action.INVITE):
        return await _refuse(update, context, INVITE_DRAFT)
    query = update.callback_query
    assert query is not None
    await query.answer()
    role = Role(_last_part(query.data))
    draft = _draft(context, INVITE_DRAFT)
    draft.clear()
    draft["role"] = role.value
    await _drop_buttons(update)
    if role in (Role.TEACHER, Role.DIRECTOR):
        await reply(update, context, "admin.search.ask_school")
        return SCHOOL
    if role is Role.COMMUNE:
        await reply(update, context, "admin.search.ask_commune")
        return COMMUNE
    draft["scope"] = context.t("scope.everything")
    return await _ask_validity(update, context)


async def school_typed(update: Update, context: PneContext) -> str | int:
    if not _allowed(context, Action.INVITE):
        return await _refuse(update, context, INVITE_DRAFT)
    assert update.effective_message is not None
    text = update.effective_message.text or ""
    try:
        schools = await service.search_schools(context.services.db, text, MAX_RESULTS)
    except DomainError as error:
        await reply(update, context, error.code, **error.params)
        return SCHOOL
    if not schools:
        await reply(update, context, "admin.search.no_school", text=text.strip())
        return SCHOOL
    rows = [
        [(f"{s.name} ({s.uai}) — {s.commune_name}"[:60], f"inv:school:{s.id}")] for s in schools
    ]
    rows.append([(context.t("common.button.cancel"), "inv:abort")])
    await reply(
        update,
        context,
        "admin.search.schools_found",
        text=text.strip(),
        reply_markup=keyboard(rows),
    )
    return SCHOOL


async def school_chosen(update: Update, context: PneContext) -> str | int:
    if not _allowed(context, Action.INVITE):
        return await _refuse(update, context, INVITE_DRAFT)
    query = update.callback_query
    assert query is not None
    await query.answer()
    try:  # never trust the button: the school must exist
        school = await service.school_choice(context.services.db, int(_last_part(query.data)))
    except DomainError as error:
        await reply(update, context, error.code, **error.params)
        return SCHOOL
    draft = _draft(context, INVITE_DRAFT)
    draft["school_id"] = school.id
    draft["scope"] = context.t(
        "scope.school", school=school.name, uai=school.uai, commune=school.commune_name
    )
    await _drop_buttons(update)
    return await _ask_validity(update, context)


async def commune_typed(update: Update, context: PneContext) -> str | int:
    if not _allowed(context, Action.INVITE):
        return await _refuse(update, context, INVITE_DRAFT)
    await _offer_communes(update, context, "inv")
    return COMMUNE


async def _offer_communes(update: Update, context: PneContext, prefix: str) -> None:
    """Search communes from the typed text and offer them as buttons ``<prefix>:commune:<id>``."""
    assert update.effective_message is not None
    text = update.effective_message.text or ""
    try:
        communes = await service.search_communes(context.services.db, text, MAX_RESULTS)
    except DomainError as error:
        await reply(update, context, error.code, **error.params)
        return
    if not communes:
        await reply(update, context, "admin.search.no_commune", text=text.strip())
        return
    rows = [[(f"{c.name} ({c.insee})", f"{prefix}:commune:{c.id}")] for c in communes]
    rows.append([(context.t("common.button.cancel"), f"{prefix}:abort")])
    await reply(
        update,
        context,
        "admin.search.communes_found",
        text=text.strip(),
        reply_markup=keyboard(rows),
    )


async def commune_chosen(update: Update, context: PneContext) -> str | int:
    if not _allowed(context, Action.INVITE):
        return await _refuse(update, context, INVITE_DRAFT)
    query = update.callback_query
    assert query is not None
    await query.answer()
    try:
        commune = await service.commune_choice(context.services.db, int(_last_part(query.data)))
    except DomainError as error:
        await reply(update, context, error.code, **error.params)
        return COMMUNE
    draft = _draft(context, INVITE_DRAFT)
    draft["commune_id"] = commune.id
    draft["scope"] = context.t("scope.commune", commune=commune.name, insee=commune.insee)
    await _drop_buttons(update)
    return await _ask_validity(update, context)


async def _ask_validity(update: Update, context: PneContext) -> str:
    rows = [
        [
            (context.t("admin.invite.days", days=days), f"inv:days:{days}")
            for days in VALIDITY_CHOICES
        ],
        [(context.t("common.button.cancel"), "inv:abort")],
    ]
    await reply(update, context, "admin.invite.ask_validity", reply_markup=keyboard(rows))
    return VALIDITY


async def validity_chosen(update: Update, context: PneContext) -> str | int:
    if not _allowed(context, Action.INVITE):
        return await _refuse(update, context, INVITE_DRAFT)
    if update.callback_query is not None:
        await update.callback_query.answer()
        days = int(_last_part(update.callback_query.data))
        if days not in VALIDITY_CHOICES:  # a forged button
            return VALIDITY
        validity = timedelta(days=days)
        await _drop_buttons(update)
    else:
        assert update.effective_message is not None
        try:
            validity = parse_validity(update.effective_message.text or "")
        except DomainError as error:
            await reply(update, context, error.code, **error.params)
            return VALIDITY
    draft = _draft(context, INVITE_DRAFT)
    draft["validity_s"] = int(validity.total_seconds())
    services = context.services
    until = services.clock.now() + validity
    rows = [
        [(context.t("admin.invite.button.create"), "inv:ok")],
        [(context.t("common.button.cancel"), "inv:abort")],
    ]
    await reply(
        update,
        context,
        "admin.invite.summary",
        role=context.t(f"role.{draft['role']}"),
        scope=Safe(draft["scope"]),  # already HTML (from the catalog)
        until=services.i18n.datetime(context.lang, until),
        reply_markup=keyboard(rows),
    )
    return SUMMARY


async def invite_confirmed(update: Update, context: PneContext) -> str | int:
    if not _allowed(context, Action.INVITE):
        return await _refuse(update, context, INVITE_DRAFT)
    query = update.callback_query
    assert query is not None and context.person is not None and context.user_data is not None
    await query.answer()
    draft = _draft(context, INVITE_DRAFT)
    services = context.services
    try:
        created = await service.invite(
            services.db,
            context.person.id,
            role=Role(draft["role"]),
            school_id=draft.get("school_id"),
            commune_id=draft.get("commune_id"),
            validity=timedelta(seconds=int(draft["validity_s"])),
            now=services.clock.now(),
        )
    except DomainError as error:
        await reply(update, context, error.code, **error.params)
        return SUMMARY
    await _drop_buttons(update)
    context.user_data.pop(INVITE_DRAFT, None)
    link = deep_link(services.settings.bot_username, created.code)
    params: dict[str, Any] = {
        "role": context.t(f"role.{created.role.value}"),
        "scope": Safe(draft["scope"]),
        "until": services.i18n.datetime(context.lang, created.expires_at),
    }
    await reply(update, context, "admin.invite.done", code=created.code, link=link, **params)
    await context.bot.send_photo(
        _chat_id(update),
        qr_png(link),
        caption=context.t("admin.invite.qr_caption", **params),
        filename="invitation.png",
    )
    return ConversationHandler.END


# =========================================================================== /annonce


def _audience(draft: dict[str, Any]) -> Audience:
    return Audience(AudienceKind(draft["audience"]), draft.get("commune_id"), draft.get("body_id"))


def _audience_label(context: PneContext, draft: dict[str, Any], lang: str | None = None) -> str:
    i18n = context.services.i18n
    kind = draft["audience"]
    if kind == AudienceKind.COMMUNE.value:
        return i18n.t(lang or context.lang, "admin.announce.to.commune", commune=draft["commune"])
    if kind == AudienceKind.BODY.value:
        return i18n.t(lang or context.lang, "admin.announce.to.body", body=draft["body"])
    return i18n.t(lang or context.lang, f"admin.announce.to.{kind}")


def counted(i18n: I18n, lang: str | None, what: str, count: int) -> str:
    """« 1 personne », « 12 personnes », « 0 échec » (French counts 0 and 1 as singular)."""
    return i18n.t(lang, f"admin.count.{what}", count=count)


def _count(context: PneContext, what: str, count: int) -> str:
    return counted(context.services.i18n, context.lang, what, count)


def announcement_text(services: Services, lang: str, text: str, sender: str) -> str:
    """The announcement exactly as its recipients read it."""
    return message_text(services.i18n, lang, text, sender)


async def announce_start(update: Update, context: PneContext) -> str | int:
    if not _allowed(context, service.ANNOUNCE):
        return await _refuse(update, context, ANNOUNCE_DRAFT)
    assert context.user_data is not None
    context.user_data[ANNOUNCE_DRAFT] = {}
    rows = [
        [(context.t(f"admin.announce.audience.{kind.value}"), f"ann:to:{kind.value}")]
        for kind in AudienceKind
    ]
    rows.append([(context.t("common.button.cancel"), "ann:abort")])
    await reply(update, context, "admin.announce.ask_audience", reply_markup=keyboard(rows))
    return AUDIENCE


async def audience_chosen(update: Update, context: PneContext) -> str | int:
    if not _allowed(context, service.ANNOUNCE):
        return await _refuse(update, context, ANNOUNCE_DRAFT)
    query = update.callback_query
    assert query is not None
    await query.answer()
    kind = AudienceKind(_last_part(query.data))
    draft = _draft(context, ANNOUNCE_DRAFT)
    draft.clear()
    draft["audience"] = kind.value
    await _drop_buttons(update)
    if kind is AudienceKind.COMMUNE:
        await reply(update, context, "admin.search.ask_commune")
        return AUDIENCE_COMMUNE
    if kind is AudienceKind.BODY:
        await reply(update, context, "admin.search.ask_body")
        return AUDIENCE_BODY
    return await _ask_text(update, context)


async def audience_commune_typed(update: Update, context: PneContext) -> str | int:
    if not _allowed(context, service.ANNOUNCE):
        return await _refuse(update, context, ANNOUNCE_DRAFT)
    await _offer_communes(update, context, "ann")
    return AUDIENCE_COMMUNE


async def audience_commune_chosen(update: Update, context: PneContext) -> str | int:
    if not _allowed(context, service.ANNOUNCE):
        return await _refuse(update, context, ANNOUNCE_DRAFT)
    query = update.callback_query
    assert query is not None
    await query.answer()
    try:
        commune = await service.commune_choice(context.services.db, int(_last_part(query.data)))
    except DomainError as error:
        await reply(update, context, error.code, **error.params)
        return AUDIENCE_COMMUNE
    draft = _draft(context, ANNOUNCE_DRAFT)
    draft["commune_id"], draft["commune"] = commune.id, commune.name
    await _drop_buttons(update)
    return await _ask_text(update, context)


async def audience_body_typed(update: Update, context: PneContext) -> str | int:
    """An OGEC or an institute, searched by part of its name or its code."""
    if not _allowed(context, service.ANNOUNCE):
        return await _refuse(update, context, ANNOUNCE_DRAFT)
    assert update.effective_message is not None
    text = (update.effective_message.text or "").strip()
    try:
        bodies = await service.search_bodies(context.services.db, text, MAX_RESULTS)
    except DomainError as error:
        await reply(update, context, error.code, **error.params)
        return AUDIENCE_BODY
    if not bodies:
        await reply(update, context, "admin.search.no_body", text=text)
        return AUDIENCE_BODY
    rows = [[(f"{b.name} ({b.code})", f"ann:body:{b.id}")] for b in bodies]
    rows.append([(context.t("common.button.cancel"), "ann:abort")])
    await reply(
        update, context, "admin.search.bodies_found", text=text, reply_markup=keyboard(rows)
    )
    return AUDIENCE_BODY


async def audience_body_chosen(update: Update, context: PneContext) -> str | int:
    if not _allowed(context, service.ANNOUNCE):
        return await _refuse(update, context, ANNOUNCE_DRAFT)
    query = update.callback_query
    assert query is not None
    await query.answer()
    try:
        body = await service.body_choice(context.services.db, int(_last_part(query.data)))
    except DomainError as error:
        await reply(update, context, error.code, **error.params)
        return AUDIENCE_BODY
    draft = _draft(context, ANNOUNCE_DRAFT)
    draft["body_id"], draft["body"] = body.id, body.name
    await _drop_buttons(update)
    return await _ask_text(update, context)


async def _ask_text(update: Update, context: PneContext) -> str | int:
    assert context.person is not None
    draft = _draft(context, ANNOUNCE_DRAFT)
    size = await service.audience_size(context.services.db, context.person.id, _audience(draft))
    if size == 0:
        assert context.user_data is not None
        context.user_data.pop(ANNOUNCE_DRAFT, None)
        await reply(update, context, "admin.announce.nobody")
        return ConversationHandler.END
    await reply(
        update,
        context,
        "admin.announce.ask_text",
        audience=_audience_label(context, draft),
        people=_count(context, "people", size),
        max=service.MAX_TEXT,
    )
    return TEXT


async def text_typed(update: Update, context: PneContext) -> str | int:
    if not _allowed(context, service.ANNOUNCE):
        return await _refuse(update, context, ANNOUNCE_DRAFT)
    assert update.effective_message is not None and context.person is not None
    text = (update.effective_message.text or "").strip()
    if units(text) > service.MAX_TEXT:
        await reply(
            update, context, "admin.announce.too_long", max=service.MAX_TEXT, length=units(text)
        )
        return TEXT
    draft = _draft(context, ANNOUNCE_DRAFT)
    draft["text"] = text
    services = context.services
    size = await service.audience_size(services.db, context.person.id, _audience(draft))
    # The preview is the very message its recipients will read (in the author's language).
    preview = announcement_text(services, context.lang, text, context.person.full_name)
    await context.bot.send_message(_chat_id(update), preview)
    rows = [
        [(context.t("admin.announce.button.send"), "ann:send")],
        [(context.t("admin.announce.button.edit"), "ann:edit")],
        [(context.t("common.button.cancel"), "ann:abort")],
    ]
    await reply(
        update,
        context,
        "admin.announce.confirm",
        audience=_audience_label(context, draft),
        people=_count(context, "people", size),
        reply_markup=keyboard(rows),
    )
    return PREVIEW


async def edit_text(update: Update, context: PneContext) -> str | int:
    if not _allowed(context, service.ANNOUNCE):
        return await _refuse(update, context, ANNOUNCE_DRAFT)
    await _answer(update)
    await _drop_buttons(update)
    return await _ask_text(update, context)


async def announce_confirmed(update: Update, context: PneContext) -> str | int:
    if not _allowed(context, service.ANNOUNCE):
        return await _refuse(update, context, ANNOUNCE_DRAFT)
    query = update.callback_query
    person = context.person
    assert query is not None and person is not None and context.user_data is not None
    await query.answer()
    draft = _draft(context, ANNOUNCE_DRAFT)
    services = context.services
    try:
        announcement = await service.record_announcement(
            services.db, person.id, _audience(draft), draft.get("text", ""), services.clock.now()
        )
    except DomainError as error:
        await reply(update, context, error.code, **error.params)
        return PREVIEW
    await _drop_buttons(update)
    context.user_data.pop(ANNOUNCE_DRAFT, None)
    count = len(announcement.recipients)
    await reply(update, context, "admin.announce.started", people=_count(context, "people", count))
    # The paced lane sends it to each person, on their own platform, beside the deadlines'
    # reminders, within seconds; the author hears the count at the end (decision 0075).
    return ConversationHandler.END


# =========================================================================== leaving


async def cancel(update: Update, context: PneContext) -> int:
    assert context.user_data is not None
    had = any(
        context.user_data.pop(key, None) is not None for key in (INVITE_DRAFT, ANNOUNCE_DRAFT)
    )
    if update.callback_query is not None:
        await update.callback_query.answer()
        await set_buttons(update.callback_query, None)
    await reply(update, context, "common.cancelled" if had else "common.nothing_to_cancel")
    return ConversationHandler.END


async def unexpected(update: Update, context: PneContext) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer(context.t("common.stale_button"), show_alert=True)
        return
    await reply(update, context, "admin.unexpected")


def invite_conversation() -> ConversationHandler[PneContext]:
    text = filters.TEXT & ~filters.COMMAND
    stay: list[BaseHandler[Update, PneContext, Any]] = [
        MessageHandler(filters.ALL & ~filters.COMMAND, unexpected)
    ]
    return dialogue(
        entry_points=[
            CommandHandler(["inviter", "invite"], invite_start, filters=filters.ChatType.PRIVATE)
        ],
        states={
            ROLE: [
                CallbackQueryHandler(
                    role_chosen, pattern=r"^inv:role:(teacher|director|commune|staff)$"
                ),
                *stay,
            ],
            SCHOOL: [
                CallbackQueryHandler(school_chosen, pattern=r"^inv:school:\d{1,10}$"),
                MessageHandler(text, school_typed),
                *stay,
            ],
            COMMUNE: [
                CallbackQueryHandler(commune_chosen, pattern=r"^inv:commune:\d{1,10}$"),
                MessageHandler(text, commune_typed),
                *stay,
            ],
            VALIDITY: [
                CallbackQueryHandler(validity_chosen, pattern=r"^inv:days:\d{1,3}$"),
                MessageHandler(text, validity_chosen),
                *stay,
            ],
            SUMMARY: [CallbackQueryHandler(invite_confirmed, pattern=r"^inv:ok$"), *stay],
        },
        fallbacks=[
            CallbackQueryHandler(cancel, pattern=r"^inv:abort$"),
            CommandHandler(["inviter", "invite"], invite_start),
        ],
        name="staff_invite",
    )


def announce_conversation() -> ConversationHandler[PneContext]:
    text = filters.TEXT & ~filters.COMMAND
    stay: list[BaseHandler[Update, PneContext, Any]] = [
        MessageHandler(filters.ALL & ~filters.COMMAND, unexpected)
    ]
    audiences = "|".join(kind.value for kind in AudienceKind)
    return dialogue(
        entry_points=[
            CommandHandler(
                ["annonce", "announce"], announce_start, filters=filters.ChatType.PRIVATE
            )
        ],
        states={
            AUDIENCE: [
                CallbackQueryHandler(audience_chosen, pattern=rf"^ann:to:({audiences})$"),
                *stay,
            ],
            AUDIENCE_COMMUNE: [
                CallbackQueryHandler(audience_commune_chosen, pattern=r"^ann:commune:\d{1,10}$"),
                MessageHandler(text, audience_commune_typed),
                *stay,
            ],
            AUDIENCE_BODY: [
                CallbackQueryHandler(audience_body_chosen, pattern=r"^ann:body:\d{1,10}$"),
                MessageHandler(text, audience_body_typed),
                *stay,
            ],
            TEXT: [MessageHandler(text, text_typed), *stay],
            PREVIEW: [
                CallbackQueryHandler(announce_confirmed, pattern=r"^ann:send$"),
                CallbackQueryHandler(edit_text, pattern=r"^ann:edit$"),
                *stay,
            ],
        },
        fallbacks=[
            CallbackQueryHandler(cancel, pattern=r"^ann:abort$"),
            CommandHandler(["annonce", "announce"], announce_start),
        ],
        name="staff_announce",
    )


def handlers() -> list[BaseHandler[Update, PneContext, Any]]:
    """The two dialogues, for the main group, with the other ConversationHandlers."""
    return [invite_conversation(), announce_conversation()]
