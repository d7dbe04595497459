"""Registration by invitation, help, profile and language."""

from __future__ import annotations

from dataclasses import replace

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.cards.profile import ProfileCard
from bot.domain.dates import local_date
from bot.domain.errors import DomainError
from bot.domain.invitations import normalize_code
from bot.domain.platforms import TELEGRAM
from bot.domain.roles import Role
from bot.i18n import LANGUAGES, Safe
from bot.services import registration
from bot.services.access import Actor, actor_of
from handlers.telegram.app import PneContext
from handlers.telegram.common import edit_message, keyboard, reply
from handlers.telegram.menus import commands_for, set_person_menu, shown_name


async def load_person(update: Update, context: PneContext) -> None:
    """Guard (group -1): know who is talking; strangers only learn how to join.

    A stranger may use /start (with a code), /aide, /langue, /confidentialite (the privacy
    notice is owed before anyone registers), or paste a code; anything
    else gets the explanation of how to obtain an invitation, and nothing more.
    """
    user = update.effective_user
    if user is None or update.effective_chat is None:
        raise ApplicationHandlerStop
    services = context.services
    query = update.callback_query
    if update.effective_chat.type != "private" and query is None:
        # Nobody registers in a group. In the staff group, registered staff may write
        # (a reply to a ticket's message is kept as an internal note); anything else is
        # ignored.
        if update.effective_chat.id != services.settings.staff_chat_id:
            raise ApplicationHandlerStop
        person = await registration.find_actor(services.db, TELEGRAM, user.id)
        if person is None or not person.active or person.role != Role.STAFF:
            raise ApplicationHandlerStop
        context.person = person
        return
    if update.effective_chat.type != "private" and query is not None:
        # A button in a group: only registered staff may use it. Anyone else gets an alert
        # of their own, and nothing is posted in the group.
        person = await registration.find_actor(services.db, TELEGRAM, user.id)
        if person is None or not person.active or person.role != Role.STAFF:
            lang = person.language if person is not None else services.settings.language
            await query.answer(services.i18n.t(lang, "common.error.forbidden"), show_alert=True)
            raise ApplicationHandlerStop
        context.person = person
        return
    context.person = await registration.find_actor(services.db, TELEGRAM, user.id)
    if context.person is not None:
        if not context.person.active:
            await reply(update, context, "registration.deactivated")
            raise ApplicationHandlerStop
        return
    message = update.effective_message
    text = (message.text or "") if message else ""
    command = text.split(maxsplit=1)[0].split("@")[0].lower() if text.startswith("/") else ""
    if command in (
        "/start",
        "/aide",
        "/help",
        "/langue",
        "/language",
        "/confidentialite",
        "/privacy",
    ):
        return
    if update.callback_query is not None and (update.callback_query.data or "").startswith("lang:"):
        return
    if text and normalize_code(text):
        await _redeem(update, context, text)
        raise ApplicationHandlerStop
    if update.callback_query is not None:
        await update.callback_query.answer()
    await reply(update, context, "registration.stranger")
    raise ApplicationHandlerStop


async def start(update: Update, context: PneContext) -> None:
    if context.person is not None:
        await reply(update, context, "registration.already", name=context.person.full_name)
        await _send_help(update, context, context.person)
        return
    if not context.args:
        await reply(update, context, "registration.stranger")
        return
    await _redeem(update, context, " ".join(context.args))


async def _redeem(update: Update, context: PneContext, code: str) -> None:
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    services = context.services
    newcomer = registration.Newcomer(
        platform=TELEGRAM,
        external_user_id=user.id,
        chat_id=chat.id,
        full_name=user.full_name,
        username=user.username,
        language=services.settings.language,
    )
    try:
        person = await registration.redeem_invitation(
            services.db, newcomer=newcomer, code=code, now=services.clock.now()
        )
    except DomainError as error:
        params = dict(error.params)
        if "until" in params:
            params["until"] = services.i18n.datetime(context.lang, params["until"], short=True)
        await reply(update, context, error.code, **params)
        return
    # Read again as the guard reads every update: the body's kind comes with it.
    actor = context.person = await registration.find_actor(
        services.db, TELEGRAM, user.id
    ) or actor_of(person)
    await reply(
        update,
        context,
        "registration.welcome",
        name=actor.full_name,
        role=_role_label(context, actor.role, actor.body_kind),
        scope=Safe(_scope_html(context, await registration.profile(services.db, actor.id))),
    )
    await _send_help(update, context, actor)
    await set_person_menu(context.application, chat.id, actor.role, actor.language)


def _role_label(context: PneContext, role: str, body_kind: str | None) -> str:
    return ProfileCard(context.services.i18n, context.lang).role(role, body_kind)


def _scope_html(context: PneContext, profile: registration.Profile) -> str:
    return ProfileCard(context.services.i18n, context.lang).scope(profile)


async def _send_help(update: Update, context: PneContext, person: Actor | None) -> None:
    role = Role(person.role) if person else None
    lines = [
        f"/{shown_name(c, context.lang)} — {context.t(f'command.{c.name}')}"
        for c in commands_for(role)
    ]
    if person is None:
        await reply(update, context, "help.stranger", commands=Safe("\n".join(lines)))
    else:
        await reply(
            update,
            context,
            "help.person",
            role=_role_label(context, person.role, person.body_kind),
            commands=Safe("\n".join(lines)),
        )


async def help_command(update: Update, context: PneContext) -> None:
    await _send_help(update, context, context.person)


async def me(update: Update, context: PneContext) -> None:
    assert context.person is not None
    profile = await registration.profile(context.services.db, context.person.id)
    await reply(
        update,
        context,
        "profile",
        name=profile.name,
        role=_role_label(context, profile.role, profile.body_kind),
        scope=Safe(_scope_html(context, profile)),
        language=context.t(f"language.{profile.language}"),
        since=context.services.i18n.date(
            context.lang, local_date(profile.since, context.services.settings.tz)
        ),
    )


async def language(update: Update, context: PneContext) -> None:
    buttons = [[(context.t(f"language.{lang}"), f"lang:{lang}") for lang in LANGUAGES]]
    await reply(update, context, "language.choose", reply_markup=keyboard(buttons))


async def language_chosen(update: Update, context: PneContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    lang = query.data.removeprefix("lang:")
    await query.answer()
    if context.person is None:
        # Not registered: nothing to remember; answer in the chosen language once.
        await edit_message(query, context.services.i18n.t(lang, "language.stranger"))
        return
    services = context.services
    chosen = await registration.set_language(
        services.db, person_id=context.person.id, language=lang, now=services.clock.now()
    )
    context.person = replace(context.person, language=chosen)
    await edit_message(query, context.t("language.set", language=context.t(f"language.{lang}")))
    if update.effective_chat is not None and update.effective_chat.type == "private":
        await set_person_menu(
            context.application, update.effective_chat.id, context.person.role, context.lang
        )


async def preferences(update: Update, context: PneContext) -> None:
    """Where reminders go, and a button for each other platform the person is on."""
    assert context.person is not None
    found = await registration.platforms(context.services.db, context.person.id)
    others = [p for p in found.accounts if p != found.preferred]
    buttons = [
        [(context.t("preferences.button", platform=p.capitalize()), f"pref:{p}")] for p in others
    ]
    key, params = _preferences_words(found)
    await reply(update, context, key, reply_markup=keyboard(buttons) if buttons else None, **params)


def _preferences_words(found: registration.Platforms) -> tuple[str, dict[str, object]]:
    if found.preferred is None:
        return "preferences.none", {}
    return "preferences.current", {
        "platform": found.preferred.capitalize(),
        "accounts": ", ".join(p.capitalize() for p in found.accounts),
    }


async def preference_chosen(update: Update, context: PneContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    if context.person is None:
        await query.answer()
        return
    platform = query.data.removeprefix("pref:")
    services = context.services
    try:
        await registration.set_preferred_platform(
            services.db, person_id=context.person.id, platform=platform, now=services.clock.now()
        )
    except DomainError as error:
        await query.answer(context.t(error.code, **error.params), show_alert=True)
        return
    await query.answer()
    await edit_message(query, context.t("preferences.set", platform=platform.capitalize()))


async def unknown(update: Update, context: PneContext) -> None:
    """Anything no other handler took: say so, and point to /aide."""
    if update.callback_query is not None:
        await update.callback_query.answer(context.t("common.stale_button"), show_alert=True)
        return
    await reply(update, context, "common.unknown")
