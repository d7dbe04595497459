"""A claim's card on Telegram: the neutral card, with its actions as inline keyboards."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.cards.claims import ClaimCard
from bot.services.claims import ClaimView
from handlers.telegram.delivery import markup


class Card(ClaimCard):
    """Renders claim texts in one language; buttons as Telegram inline keyboards."""

    def duty_keyboard(self, claim: ClaimView) -> InlineKeyboardMarkup | None:
        return markup(self.duty_actions(claim))

    def staff_keyboard(self, claim: ClaimView) -> InlineKeyboardMarkup:
        keyboard = markup(self.staff_actions(claim))
        assert keyboard is not None, "a claim always offers staff at least one action"
        return keyboard

    def body_keyboard(self, claim: ClaimView) -> InlineKeyboardMarkup | None:
        return markup(self.body_actions(claim))
