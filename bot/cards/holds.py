"""The holds' overview (art. 6: replacements suspended until the premises are secured),
in one language: the same list on Telegram's /suspensions and Discord's."""

from __future__ import annotations

from datetime import datetime

from bot.domain.dates import local_date
from bot.i18n import I18n
from bot.services.holds import HoldsOverview


class HoldCard:
    def __init__(self, i18n: I18n, lang: str) -> None:
        self.i18n = i18n
        self.lang = lang

    def t(self, key: str, /, **params: object) -> str:
        return self.i18n.t(self.lang, key, **params)

    def day(self, at: datetime) -> str:
        return self.i18n.date(self.lang, local_date(at, self.i18n.tz))

    def overview(self, overview: HoldsOverview) -> tuple[list[str], list[list[tuple[str, str]]]]:
        """The open holds (each with « Lever ») and the flagged schools without one (each
        with « Suspendre »): the lines and one button row per school."""
        lines = [self.t("hold.list.title")]
        rows: list[list[tuple[str, str]]] = []
        if overview.open:
            lines.append(self.t("hold.list.open_title"))
            for hold in overview.open:
                lines.append(
                    self.t(
                        "hold.list.open_line",
                        school=hold.school_name,
                        uai=hold.school_uai,
                        commune=hold.commune_name,
                        since=self.day(hold.placed_at),
                        by=hold.placed_by or "—",
                        reason=hold.reason,
                    )
                )
                rows.append(
                    [
                        (
                            self.t("hold.button.lift_school", school=hold.school_name),
                            f"hold:lift:{hold.id}",
                        )
                    ]
                )
        if overview.flagged:
            lines.append(self.t("hold.list.flagged_title"))
            for school in overview.flagged:
                lines.append(
                    self.t(
                        "hold.list.flagged_line",
                        school=school.school_name,
                        uai=school.school_uai,
                        commune=school.commune_name,
                        recent=school.recent,
                    )
                )
                rows.append(
                    [
                        (
                            self.t("hold.button.place_school", school=school.school_name),
                            f"hold:place:{school.school_id}",
                        )
                    ]
                )
        return lines, rows
