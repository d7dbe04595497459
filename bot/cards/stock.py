"""The reusable stock's words and buttons (art. 5, decision 0031 and 0032), in one
language: the same list on Telegram's /stock and Discord's."""

from __future__ import annotations

from datetime import datetime

from bot.domain.dates import local_date
from bot.domain.stock import PAGE_SIZE
from bot.i18n import I18n
from bot.services.stock import PICK, UNDO, Offer, StockView, TypeCount

Rows = list[list[tuple[str, str]]]


class StockCard:
    def __init__(self, i18n: I18n, lang: str) -> None:
        self.i18n = i18n
        self.lang = lang

    def t(self, key: str, /, **params: object) -> str:
        return self.i18n.t(self.lang, key, **params)

    def type(self, code: str) -> str:
        return self.i18n.equipment_type(self.lang, code)

    def age(self, years: int | None) -> str:
        if years is None:
            return self.t("stock.age.unknown")
        if years == 0:
            return self.t("stock.age.new")
        return self.t("stock.age.years", count=years)

    def ages(self, kind: TypeCount) -> str:
        if kind.oldest is None or kind.youngest is None:
            return self.t("stock.age.unknown")
        ages = (
            self.age(kind.oldest)
            if kind.oldest == kind.youngest
            else self.t(
                "stock.age.range", youngest=self.age(kind.youngest), oldest=self.age(kind.oldest)
            )
        )
        if kind.undated:
            ages += ", " + self.t("stock.age.undated", count=kind.undated)
        return ages

    def day(self, at: datetime) -> str:
        return self.i18n.date(self.lang, local_date(at, self.i18n.tz))

    def ask_school(self, offer: Offer, key: str = "stock.ask_school") -> str:
        """The item to reassign (``key`` words how the front end asks for the school) and
        whether schools asked for one, some of them held."""
        item = offer.item
        notes = [
            self.t("stock.ask_school.asked")
            if offer.candidates
            else self.t("stock.ask_school.none_asked")
        ]
        if any(c.held for c in offer.candidates):
            notes.append(self.t("stock.ask_school.held"))
        head = self.t(
            key,
            tag=item.asset_tag,
            type=self.type(item.type),
            model=item.model,
            age=self.age(item.age),
            school=item.school_name,
        )
        return "\n".join([head, *notes])

    def listing(self, view: StockView) -> tuple[list[str], Rows, list[tuple[str, str]]]:
        """The lines of the list (types and ages, a page of items, those on their way),
        a button row per item (« Réattribuer », « Annuler l'envoi ») and the pages' row."""
        lines: list[str] = []
        rows: Rows = []
        if view.total:
            lines.append(self.t("stock.list.title", count=view.total))
            for kind in view.types:
                lines.append(
                    self.t(
                        "stock.list.type_line",
                        type=_capital(self.type(kind.type)),
                        count=kind.count,
                        ages=self.ages(kind),
                    )
                )
            lines += ["", self.t("stock.list.items_title", page=view.page + 1, pages=view.pages)]
            for n, item in enumerate(view.items, start=view.page * PAGE_SIZE + 1):
                lines.append(
                    self.t(
                        "stock.list.item_line",
                        n=n,
                        tag=item.asset_tag,
                        type=self.type(item.type),
                        model=item.model,
                        age=self.age(item.age),
                        school=item.school_name,
                        uai=item.school_uai,
                    )
                )
                rows.append(
                    [
                        (
                            self.t("stock.button.reassign", tag=item.asset_tag),
                            PICK.format(item.equipment_id),
                        )
                    ]
                )
        else:
            lines.append(self.t("stock.list.empty"))
        if view.sent:
            lines += ["", self.t("stock.list.sent_title", count=view.sent_total)]
            for sent in view.sent:
                lines.append(
                    self.t(
                        "stock.list.sent_line",
                        tag=sent.asset_tag,
                        type=self.type(sent.type),
                        school=sent.to_school_name,
                        uai=sent.to_school_uai,
                        since=self.day(sent.sent_at),
                    )
                )
                rows.append(
                    [
                        (
                            self.t("stock.button.undo_item", tag=sent.asset_tag),
                            UNDO.format(sent.reassignment_id),
                        )
                    ]
                )
        nav: list[tuple[str, str]] = []
        if view.page > 0:
            nav.append((self.t("stock.button.previous"), f"stk:page:{view.page - 1}"))
        if view.page + 1 < view.pages:
            nav.append((self.t("stock.button.next"), f"stk:page:{view.page + 1}"))
        return lines, rows, nav


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
