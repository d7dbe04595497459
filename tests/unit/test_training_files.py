"""The training needs' workbook for the Education Nationale's correspondent: one row per
need, labels in the reader's language, dates as dates, typed text never a formula."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from bot.domain.notices import TrainingReason
from bot.services.notices import TrainingNeedView
from bot.services.training_files import training_needs_xlsx

NOTED = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)  # already 11 March in Paris


def _need(need_id: int, note: str | None, done: datetime | None = None) -> TrainingNeedView:
    return TrainingNeedView(
        id=need_id,
        school_id=1,
        school_name="École du Soleil",
        school_uai="0420001Y",
        commune_name="Saint-Étienne",
        reason=TrainingReason.POST_CHANGE,
        note=note,
        number=None,
        created_at=NOTED,
        done_at=done,
    )


def _rows(data: bytes, sheet: str) -> list[list[object]]:
    return [[c.value for c in row] for row in load_workbook(io.BytesIO(data))[sheet].iter_rows()]


def test_each_need_is_a_row_with_its_paris_day_and_whether_it_was_done() -> None:
    done = datetime(2026, 4, 2, 8, 0, tzinfo=UTC)
    rows = _rows(
        training_needs_xlsx([_need(1, "=HYPERLINK(1)"), _need(2, None, done)], "fr"),
        "Besoins de formation",
    )
    assert rows[1][3:] == [
        "changement de poste",
        "=HYPERLINK(1)",  # typed text stays text
        datetime(2026, 3, 11),  # noqa: DTZ001 - a spreadsheet's date has no zone
        None,
        "à faire",
    ]
    assert rows[2][4:] == [None, datetime(2026, 3, 11), None, datetime(2026, 4, 2)]  # noqa: DTZ001
    book = load_workbook(io.BytesIO(training_needs_xlsx([_need(1, "=1+1")], "fr")))
    assert book.active is not None
    assert book.active.cell(row=2, column=5).data_type == "s"


def test_the_workbook_speaks_english_when_asked() -> None:
    rows = _rows(training_needs_xlsx([_need(1, "New head")], "en"), "Training needs")
    assert rows[0] == [
        "School",
        "UAI",
        "Commune",
        "Reason",
        "Note",
        "Noted on",
        "Notice",
        "Done on",
    ]
    assert rows[1][7] == "to do"
