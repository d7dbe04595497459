"""A call's applications side by side as a workbook (XLSX) for the selection committee.

One row per school: the school, its commune, the application's number and the day it was
sent, one column per question of the call, the school's SEM equipment of the call's
nature in service (how many, and the age of the oldest and the youngest), its claims of
the last 12 months, then the outcome so far. Built in memory like the other reports
(``bot.services.report_files``): labels from the catalog (``ami.file.*``), dates as real
dates in Paris time, numbers as numbers, typed text never read as a formula. CPU-bound:
the bot calls it through ``asyncio.to_thread``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.domain.calls import NO, YES, QuestionKind
from bot.i18n import I18n
from bot.services.calls import Selection, SelectionRow
from bot.services.report_files import _Labels, _new_sheet, _save, _table, _workbook


def applications_xlsx(
    selection: Selection,
    lang: str | None = None,
    i18n: I18n | None = None,
    *,
    generated: datetime | None = None,
) -> bytes:
    """The applications in the order they were sent."""
    label = _Labels(i18n, lang)
    workbook = _workbook(generated)
    sheet = _new_sheet(workbook, label("ami.file.sheet"))
    questions = selection.campaign.questions
    headers = [
        label("ami.file.col.school"),
        label("ami.file.col.commune"),
        label("ami.file.col.number"),
        label("ami.file.col.sent"),
        *(q.label for q in questions),
        label("ami.file.col.equipment"),
        label("ami.file.col.oldest"),
        label("ami.file.col.youngest"),
        label("ami.file.col.claims"),
        label("ami.file.col.outcome"),
        label("ami.file.col.quantity"),
        label("ami.file.col.reason"),
    ]

    def answer(kind: QuestionKind, value: Any) -> Any:
        if kind is QuestionKind.COMMITMENT and value in (YES, NO):
            return label("ami.card.yes" if value == YES else "ami.card.no")
        return value

    def row(line: SelectionRow) -> list[Any]:
        application = line.application
        ages = [i.age_years for i in line.equipment if i.age_years is not None]
        return [
            application.school_name,
            line.commune,
            application.number,
            application.sent_at,
            *(answer(q.kind, application.answer(i)) for i, q in enumerate(questions)),
            len(line.equipment),
            max(ages) if ages else None,
            min(ages) if ages else None,
            line.claims_last_year,
            label(f"ami.state.{application.outcome}") if application.outcome else None,
            application.quantity_given,
            application.decline_reason,
        ]

    _table(sheet, headers, [row(line) for line in selection.rows])
    return _save(workbook)


__all__: Sequence[str] = ["applications_xlsx"]
