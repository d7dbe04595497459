"""The committee's reports as words: the thefts-and-damage review (/bilan and the
bimonthly push) and its equipment section, the same on every front end; the files
(chart, workbooks) are ``bot.services.report_files``'."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from bot.domain.claims import ClaimKind
from bot.i18n import I18n, Safe
from bot.services import reports as service
from bot.services.report_files import number

TEXT_MAX_LINES = 10  # communes, schools or claim numbers listed in a chat message


def short(i18n: I18n, lang: str, day: date) -> str:
    return i18n.date(lang, day, short=True)


def _numbers(numbers: Sequence[str], total: int) -> str:
    shown = ", ".join(numbers[:TEXT_MAX_LINES])
    return shown + (" …" if total > min(len(numbers), TEXT_MAX_LINES) else "")


def _moves(i18n: I18n, lang: str, counts: Mapping[str, int]) -> str:
    """« 3 signalés hors d'usage · 2 collectés … »: the movements that have items."""
    return " · ".join(
        i18n.t(lang, f"report.moves.{movement}", count=counts[movement])
        for movement in service.MOVEMENTS
        if counts[movement]
    )


def equipment_summary(i18n: I18n, lang: str, equipment: service.EquipmentMovements) -> str:
    """The review's « Matériel » section: the totals, then the bodies with most items."""
    t = i18n.t
    if not equipment.total:
        return t(lang, "report.review.equipment_none")
    lines = [t(lang, "report.review.equipment", moves=Safe(_moves(i18n, lang, equipment.totals)))]
    for body in equipment.bodies[:TEXT_MAX_LINES]:
        lines.append(
            t(
                lang,
                "report.review.equipment_line",
                body=body.name or Safe(t(lang, "report.moves.no_body")),
                moves=Safe(_moves(i18n, lang, body.counts)),
            )
        )
    if len(equipment.bodies) > TEXT_MAX_LINES:
        lines.append(t(lang, "report.review.more", count=len(equipment.bodies) - TEXT_MAX_LINES))
    return "\n".join(lines)


def review_summary(
    i18n: I18n, lang: str, review: service.ClaimsReview, *, header: str = "report.review.header"
) -> str:
    """The review as a chat message (the details are in the workbook)."""
    t = i18n.t
    money = i18n.money
    first, last = short(i18n, lang, review.first_day), short(i18n, lang, review.last_day)
    lines = [t(lang, header, first=first, last=last)]
    if review.total == 0:
        lines.append(t(lang, "report.review.none"))
    else:
        kinds = " · ".join(
            t(
                lang,
                "report.review.kind_count",
                kind=t(lang, f"claim.kind.{k.value}"),
                count=review.by_kind.get(k.value, 0),
            )
            for k in ClaimKind
        )
        lines.append(
            t(
                lang,
                "report.review.claims",
                total=review.total,
                per_month=number(lang, review.per_month),
                kinds=Safe(kinds),
            )
        )
        communes = [
            t(
                lang,
                "report.review.commune_line",
                name=c.name,
                count=c.count,
                refund=money(lang, c.refund_estimate),
            )
            for c in review.communes[:TEXT_MAX_LINES]
        ]
        if len(review.communes) > TEXT_MAX_LINES:
            communes.append(
                t(lang, "report.review.more", count=len(review.communes) - TEXT_MAX_LINES)
            )
        lines.append(t(lang, "report.review.communes", lines=Safe("\n".join(communes))))
    flagged = review.flagged_schools
    if flagged:
        schools = [
            t(
                lang,
                "report.review.school_line",
                school=s.name,
                commune=s.commune_name,
                recent=s.recent,
            )
            for s in flagged[:TEXT_MAX_LINES]
        ]
        if len(flagged) > TEXT_MAX_LINES:
            schools.append(t(lang, "report.review.more", count=len(flagged) - TEXT_MAX_LINES))
        lines.append(
            t(
                lang,
                "report.review.flagged",
                threshold=review.threshold,
                days=review.window_days,
                lines=Safe("\n".join(schools)),
            )
        )
    else:
        lines.append(
            t(
                lang,
                "report.review.no_flagged",
                threshold=review.threshold,
                days=review.window_days,
            )
        )
    refunds = review.refunds
    if refunds.count:
        lines.append(
            t(
                lang,
                "report.review.refunds",
                count=refunds.count,
                owed=money(lang, refunds.owed),
                paid=money(lang, refunds.paid),
                outstanding=money(lang, refunds.outstanding),
            )
        )
    else:
        lines.append(t(lang, "report.review.no_refunds"))
    duties = review.overdue_duties
    if duties.claims:
        lines.append(
            i18n.tn(
                lang,
                "report.review.overdue_duties",
                duties.claims,
                claims=duties.claims,
                duties=t(lang, "report.review.duties_count", count=duties.duties),
                numbers=_numbers(duties.numbers, duties.claims),
            )
        )
    else:
        lines.append(t(lang, "report.review.no_overdue_duties"))
    if duties.done_late:
        lines.append(
            t(
                lang,
                "report.review.done_late",
                count=duties.done_late,
                numbers=_numbers(duties.done_late_numbers, duties.done_late_claims),
            )
        )
    payments = review.overdue_payments
    if payments.count:
        lines.append(
            t(
                lang,
                "report.review.overdue_payments",
                count=payments.count,
                outstanding=money(lang, payments.outstanding),
                numbers=_numbers(payments.numbers, payments.count),
            )
        )
    else:
        lines.append(t(lang, "report.review.no_overdue_payments"))
    lines.append(equipment_summary(i18n, lang, review.equipment))
    return "\n\n".join(lines)


def file_name(i18n: I18n, lang: str, key: str, **params: Any) -> str:
    return html.unescape(i18n.t(lang, key, **params))
