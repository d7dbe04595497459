"""Which commands each role sees, in /aide and in Telegram's command menu."""

from __future__ import annotations

from typing import Any

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.ext import Application

from bot.domain.roles import Role
from bot.i18n import LANGUAGES
from bot.services.commands import COMMANDS, UNREGISTERED, Command, commands_for, shown_name


def bot_commands(i18n: Any, lang: str, role: Role | str | None) -> list[BotCommand]:
    shown = commands_for(role) if role is not None else [Command("start"), *commands_for(None)]
    return [BotCommand(shown_name(c, lang), i18n.t(lang, f"command.{c.name}")) for c in shown]


async def set_default_menus(application: Application) -> None:
    """The menu of people not registered yet, in each language."""
    services = application.bot_data["services"]
    for lang in LANGUAGES:
        await application.bot.set_my_commands(
            bot_commands(services.i18n, lang, None),
            scope=BotCommandScopeDefault(),
            language_code=None if lang == services.settings.language else lang,
        )


async def set_person_menu(
    application: Application,
    chat_id: int,
    role: Role | str,
    lang: str,
) -> None:
    """A registered person's menu: their role's commands, in their language."""
    services = application.bot_data["services"]
    await application.bot.set_my_commands(
        bot_commands(services.i18n, lang, role), scope=BotCommandScopeChat(chat_id)
    )


__all__ = [
    "COMMANDS",
    "UNREGISTERED",
    "Command",
    "bot_commands",
    "commands_for",
    "set_default_menus",
    "set_person_menu",
    "shown_name",
]
