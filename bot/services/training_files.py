"""The training needs as a workbook (XLSX) for the Education Nationale's correspondent
(art. 1: the Education Nationale trains the teachers on a new equipment, a change of
post, a change of the school's structure).

One row per need: school, UAI, commune, reason, note, the day it was recorded, the notice
it came from, and whether (and when) it was done. Built in memory like the other reports
(``bot.services.report_files``): labels from the catalog (``training.file.*``), dates as
real dates in Paris time, typed text never read as a formula. CPU-bound: the bot calls it
through ``asyncio.to_thread``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.domain.dates import PARIS, local_date
from bot.i18n import I18n
from bot.services.notices import TrainingNeedView
from bot.services.report_files import _Labels, _new_sheet, _save, _table, _workbook

COLUMNS = ("school", "uai", "commune", "reason", "note", "created_on", "notice", "done_on")


def training_needs_xlsx(
    needs: Sequence[TrainingNeedView],
    lang: str | None = None,
    i18n: I18n | None = None,
    *,
    generated: datetime | None = None,
) -> bytes:
    """The needs, in the order given (by school, oldest first), open and done alike."""
    label = _Labels(i18n, lang)
    workbook = _workbook(generated)
    sheet = _new_sheet(workbook, label("training.file.sheet"))
    headers = [label(f"training.file.col.{column}") for column in COLUMNS]

    def row(need: TrainingNeedView) -> list[Any]:
        return [
            need.school_name,
            need.school_uai,
            need.commune_name,
            label(
                f"notice.training.reason.{need.reason.value}"
                + (f"_{need.change}" if need.change else "")
            ),
            need.note,
            local_date(need.created_at, PARIS),
            need.number,
            local_date(need.done_at, PARIS) if need.done_at else label("training.file.open"),
        ]

    _table(sheet, headers, [row(n) for n in needs])
    return _save(workbook)


__all__: Sequence[str] = ["training_needs_xlsx"]
