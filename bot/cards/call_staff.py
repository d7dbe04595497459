"""Staff's texts of the calls for interest, for every front end: a campaign's buttons, one
application of the selection (the school, what it holds, its answers and outcome), and a
delivery's refused rows. A campaign's questions are ``bot.cards.call_drafts``'s."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.cards.calls import CallCard
from bot.cards.claims import error_params
from bot.i18n import Safe
from bot.services.calls import CampaignState as State

if TYPE_CHECKING:
    from bot.services.calls import CampaignView, SelectionRow
    from bot.services.directory import ImportFailed

MAX_PROBLEMS = 30  # refused rows named one by one; the others counted


class StaffCallCard(CallCard):
    """What staff read of a call: its buttons, its selection, its deliveries."""

    def campaign_actions(self, view: CampaignView, now: datetime) -> list[list[tuple[str, str]]]:
        """A campaign card's buttons for its state: publish a draft, extend an open call,
        after the closing the selection, the waiting list and the results, cancel."""
        n, t = view.id, self.t
        draft, published, decided = State.DRAFT, State.PUBLISHED, State.DECIDED
        rows: list[list[tuple[str, str]]] = []
        if view.state == draft:
            rows.append([(t("ami.staff.button.publish"), f"amis:publish:{n}")])
        if view.state == published:
            rows.append([(t("ami.staff.button.extend"), f"amis:extend:{n}")])
        if view.state in (published, decided) and view.window.is_locked(now):
            rows.append([(t("ami.staff.button.selection"), f"amis:sel:{n}:0")])
            rows.append([(t("ami.staff.button.serve"), f"amis:serve:{n}")])
            if view.state == published:
                rows.append([(t("ami.staff.button.results"), f"amis:results:{n}")])
        if view.state in (draft, published):
            rows.append([(t("ami.staff.button.cancel_call"), f"amis:cancel:{n}")])
        return rows

    def selection_row(self, row: SelectionRow) -> str:
        application = row.application
        ages = [i.age_years for i in row.equipment if i.age_years is not None]
        held = self.t("ami.staff.sel.held", count=len(row.equipment))
        if ages and max(ages) == min(ages) == 0:
            held += " " + self.t("ami.staff.sel.new")
        elif ages and max(ages) == min(ages):
            held += " " + self.t("ami.staff.sel.age", count=max(ages))
        elif ages:
            held += " " + self.t("ami.staff.sel.ages", oldest=max(ages), youngest=min(ages))
        parts = [
            self.t(
                "ami.staff.sel.row",
                number=application.number,
                school=application.school_name,
                commune=row.commune,
                sent=self.i18n.datetime(self.lang, application.sent_at),
                held=held,
                claims=self.t("ami.staff.sel.claims", count=row.claims_last_year),
            )
        ]
        if application.campaign.questions:
            parts.append(self.answers(application))
        if application.outcome is not None:
            parts.append(self.result(application))
        return "\n".join(parts)

    def refused_rows(self, failed: ImportFailed) -> str:
        """Nothing recorded: one line per bad row, « Ligne 3 : … ; … »."""
        by_line: dict[int, list[str]] = {}
        for problem in failed.problems:
            by_line.setdefault(problem.line, []).append(
                self.t(problem.code, **error_params(self.i18n, self.lang, problem.params))
            )
        lines = [
            self.t("amid.row", line=line, reason=Safe(" ; ".join(reasons)))
            for line, reasons in sorted(by_line.items())[:MAX_PROBLEMS]
        ]
        if len(by_line) > MAX_PROBLEMS:
            lines.append(self.t("amid.more_rows", count=len(by_line) - MAX_PROBLEMS))
        return self.t("amid.refused", count=len(by_line)) + "\n" + "\n".join(lines)
