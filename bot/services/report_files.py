"""Reports as files: the review's chart (PNG) and workbook (XLSX), the staff's export of
tickets (XLSX and CSV), and a commune's yearly list of new equipment (XLSX).

Pure: everything is built in memory and returned as bytes (no file, no network); labels
come from the catalog (``report.file.*``), in French unless told otherwise. Spreadsheet
cells hold real numbers (amounts in euros with a euro format, counts as integers, dates as
dates in Paris time), so that the committee can sum and sort them.

Text that people typed (names, reasons) is written as text, never as a formula: a cell
that starts with ``=`` is forced to a string in the XLSX, and prefixed with ``'`` in the
CSV (the usual guard against spreadsheet formula injection).

These functions are CPU-bound (matplotlib takes a few hundred ms): the bot calls them
through ``asyncio.to_thread``, and draws the chart through ``review_chart``, in a
short-lived process of its own, so that matplotlib (some 50 MiB once imported) never
stays in the bot's memory (decision 0088).
"""

from __future__ import annotations

import asyncio
import copyreg
import csv
import html
import io
import logging
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from babel.numbers import format_decimal
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.domain.bodies import body_variant
from bot.domain.claims import ClaimKind
from bot.domain.dates import PARIS
from bot.i18n import I18n, normalize_language
from bot.services.reports import MOVEMENTS, ClaimsReview, ExportRow, NewEquipmentLine

log = logging.getLogger(__name__)

# The review holds read-only mappings (``MappingProxyType``), which pickle cannot send to
# the chart's process by itself: each one goes as the dict it shows, and comes back a proxy.
def _read_only(shown: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(shown)


copyreg.pickle(MappingProxyType, lambda proxy: (_read_only, (dict(proxy),)))

MONEY_FORMAT = '#,##0.00 "€"'
DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
DECIMAL_FORMAT = "0.00"
CHART_MAX_COMMUNES = 25  # more communes are grouped as "others" on the chart
KIND_COLOURS = {"theft": "#b03a2e", "loss": "#d68910", "damage": "#2e86c1"}
_NUMBER_LOCALES = {"fr": "fr_FR", "en": "en_GB"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_BOLD = Font(bold=True)
_MAX_WIDTH = 60


def number(lang: str | None, value: Decimal | float | int, pattern: str = "#,##0.##") -> str:
    """A number the way the language writes it (« 2,5 » in French, "2.5" in English)."""
    return format_decimal(value, format=pattern, locale=_NUMBER_LOCALES[normalize_language(lang)])


class _Labels:
    """Plain-text labels from the catalog (files are not Telegram HTML)."""

    def __init__(self, i18n: I18n | None, lang: str | None) -> None:
        self.i18n = i18n or I18n()
        self.lang = normalize_language(lang)

    def __call__(self, key: str, /, **params: Any) -> str:
        return html.unescape(self.i18n.t(self.lang, key, **params))

    def optional(self, key: str, fallback: str) -> str:
        return self(key) if self.i18n.has(key) else fallback

    def kind(self, kind: str) -> str:
        return self.optional(f"claim.kind.{kind}", kind)

    def cause(self, cause: str) -> str:
        return self.optional(f"claim.cause.{cause}", cause)

    def ticket_kind(self, kind: str) -> str:
        return self.optional(f"report.ticket_kind.{kind}", kind)

    def state(self, ticket_kind: str, state: str) -> str:
        return self.optional(f"{ticket_kind}.state.{state}", state)

    def date(self, value: date) -> str:
        return self.i18n.date(self.lang, value, short=True)


# ============================================================================ the chart


async def review_chart(
    review: ClaimsReview, lang: str | None = None, i18n: I18n | None = None
) -> bytes:
    """``review_chart_png`` drawn in a process started for it and ended with it (spawned,
    so that it shares nothing of the bot's state); in a thread if no process can start."""
    loop = asyncio.get_running_loop()
    try:
        pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    except (OSError, ValueError) as exc:  # no process for us here: the thread, as before
        log.warning("review chart drawn in a thread: %s", exc)
        return await asyncio.to_thread(review_chart_png, review, lang, i18n)
    try:
        return await loop.run_in_executor(pool, review_chart_png, review, lang, i18n)
    except BrokenProcessPool as exc:  # the process died or could not start
        log.warning("review chart drawn in a thread: %s", exc)
        return await asyncio.to_thread(review_chart_png, review, lang, i18n)
    finally:
        pool.shutdown(wait=False)  # the process ends on its own; the loop does not wait


def review_chart_png(
    review: ClaimsReview, lang: str | None = None, i18n: I18n | None = None
) -> bytes:
    """Claims per commune (stacked by kind) and claims by kind, as a PNG image."""
    # Imported here: matplotlib is heavy, and only the reports need it. The Agg canvas is
    # used directly (no pyplot, no global backend state), so threads are safe.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    label = _Labels(i18n, lang)
    kinds = [k.value for k in ClaimKind]
    shown = list(review.communes[:CHART_MAX_COMMUNES])
    names = [c.name for c in shown]
    counts = [{k: c.by_kind.get(k, 0) for k in kinds} for c in shown]
    rest = review.communes[CHART_MAX_COMMUNES:]
    if rest:
        names.append(label("report.file.chart.other_communes", count=len(rest)))
        counts.append({k: sum(c.by_kind.get(k, 0) for c in rest) for k in kinds})

    height = max(4.5, 1.8 + 0.42 * len(names))
    figure = Figure(figsize=(11.0, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    by_commune, by_kind = figure.subplots(1, 2, width_ratios=[3, 1])
    figure.suptitle(
        label(
            "report.file.chart.title",
            first=label.date(review.first_day),
            last=label.date(review.last_day),
            total=review.total,
        ),
        fontsize=13,
    )

    positions = list(range(len(names)))[::-1]  # the commune with most claims on top
    lefts = [0] * len(names)
    for kind in kinds:
        values = [row[kind] for row in counts]
        by_commune.barh(
            positions, values, left=lefts, color=KIND_COLOURS[kind], label=label.kind(kind)
        )
        lefts = [a + b for a, b in zip(lefts, values, strict=True)]
    for y, total in zip(positions, lefts, strict=True):
        by_commune.text(total, y, f" {total}", va="center", fontsize=9)
    by_commune.set_yticks(positions, names)
    by_commune.set_title(label("report.file.chart.by_commune"))
    by_commune.xaxis.set_major_locator(MaxNLocator(integer=True))
    by_commune.set_xlim(0, max([*lefts, 1]) * 1.12)
    if names:
        by_commune.legend(loc="lower right", fontsize=9)
    else:
        by_commune.text(
            0.5,
            0.5,
            label("report.file.chart.empty"),
            ha="center",
            va="center",
            transform=by_commune.transAxes,
        )
        by_commune.set_yticks([])

    kind_values = [review.by_kind.get(k, 0) for k in kinds]
    bars = by_kind.bar(
        [label.kind(k) for k in kinds], kind_values, color=[KIND_COLOURS[k] for k in kinds]
    )
    by_kind.bar_label(bars, fontsize=9)
    by_kind.set_title(label("report.file.chart.by_kind"))
    by_kind.yaxis.set_major_locator(MaxNLocator(integer=True))
    by_kind.set_ylim(0, max([*kind_values, 1]) * 1.15)

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


# ============================================================================ spreadsheets


def _local(value: datetime) -> datetime:
    """Spreadsheets know no time zone: Paris wall-clock time, naive."""
    return value.astimezone(PARIS).replace(tzinfo=None)


def _put(sheet: Worksheet, row: int, column: int, value: Any, fmt: str | None = None) -> None:
    """One cell: a real number, date or text (text is never read as a formula)."""
    if isinstance(value, datetime):
        value = _local(value)
        fmt = fmt or DATETIME_FORMAT
    elif isinstance(value, date):
        fmt = fmt or DATE_FORMAT
    elif isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"  # typed text starting with "=": keep it text
    if fmt is not None:
        cell.number_format = fmt


def _table(
    sheet: Worksheet,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    start_row: int = 1,
    formats: dict[int, str] | None = None,
    bold_last: bool = False,
) -> int:
    """A header row in bold, then the rows; returns the next free row."""
    formats = formats or {}
    for column, header in enumerate(headers, start=1):
        _put(sheet, start_row, column, header)
        sheet.cell(row=start_row, column=column).font = _BOLD
    row_number = start_row
    for row_number, row in enumerate(rows, start=start_row + 1):
        for column, value in enumerate(row, start=1):
            if value is not None:
                _put(sheet, row_number, column, value, formats.get(column))
    if bold_last and rows:
        for column in range(1, len(headers) + 1):
            sheet.cell(row=row_number, column=column).font = _BOLD
    return row_number + 1


def _fit_columns(sheet: Worksheet) -> None:
    widths: dict[int, int] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            value = cell.value
            length = 12 if isinstance(value, date | datetime) else len(str(value))
            column = cell.column if isinstance(cell.column, int) else 1
            widths[column] = max(widths.get(column, 0), length)
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = min(width + 2, _MAX_WIDTH)


def _new_sheet(workbook: Workbook, title: str) -> Worksheet:
    return workbook.create_sheet(title[:31])  # Excel's limit on a sheet's name


def _save(workbook: Workbook) -> bytes:
    for sheet in workbook.worksheets:
        _fit_columns(sheet)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _workbook(created: datetime | None = None) -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)  # each report adds its own named sheets
    if created is not None:
        workbook.properties.created = _local(created)
        workbook.properties.modified = _local(created)
    workbook.properties.creator = "pne-bot"
    return workbook


def review_xlsx(review: ClaimsReview, lang: str | None = None, i18n: I18n | None = None) -> bytes:
    """The review as a workbook: summary, per commune, per school, refunds, overdue duties,
    and the equipment's movements per body."""
    label = _Labels(i18n, lang)
    workbook = _workbook(review.now)
    kinds = [k.value for k in ClaimKind]
    money = MONEY_FORMAT

    # --- Synthèse: one indicator per row.
    summary = _new_sheet(workbook, label("report.file.sheet.summary"))
    indicators: list[tuple[str, Any, str | None]] = [
        (label("report.file.summary.first_day"), review.first_day, None),
        (label("report.file.summary.last_day"), review.last_day, None),
        (label("report.file.summary.generated"), review.now, None),
        (label("report.file.summary.claims"), review.total, None),
        (label("report.file.summary.per_month"), review.per_month, DECIMAL_FORMAT),
        *[(label.kind(k), review.by_kind.get(k, 0), None) for k in kinds],
        (label("report.file.summary.refund_estimate"), review.refund_estimate, money),
        (
            label(
                "report.file.summary.flagged", threshold=review.threshold, days=review.window_days
            ),
            len(review.flagged_schools),
            None,
        ),
        (label("report.file.summary.refunds_count"), review.refunds.count, None),
        (label("report.file.summary.refunds_owed"), review.refunds.owed, money),
        (label("report.file.summary.refunds_paid"), review.refunds.paid, money),
        (label("report.file.summary.refunds_outstanding"), review.refunds.outstanding, money),
        (label("report.file.summary.overdue_claims"), review.overdue_duties.claims, None),
        (label("report.file.summary.overdue_duties"), review.overdue_duties.duties, None),
        (label("report.file.summary.done_late"), review.overdue_duties.done_late, None),
        (label("report.file.summary.overdue_payments"), review.overdue_payments.count, None),
        (
            label("report.file.summary.overdue_outstanding"),
            review.overdue_payments.outstanding,
            money,
        ),
    ]
    _table(
        summary,
        [label("report.file.col.indicator"), label("report.file.col.value")],
        [(name, value) for name, value, _ in indicators],
    )
    for offset, (_, _, fmt) in enumerate(indicators, start=2):
        if fmt is not None:
            summary.cell(row=offset, column=2).number_format = fmt

    # --- Par commune.
    communes = _new_sheet(workbook, label("report.file.sheet.communes"))
    commune_rows: list[list[Any]] = [
        [
            c.name,
            c.insee,
            c.count,
            *[c.by_kind.get(k, 0) for k in kinds],
            c.recent,
            c.refund_estimate,
            c.unknown_items,
        ]
        for c in review.communes
    ]
    commune_rows.append(
        [
            label("report.file.total"),
            None,
            review.total,
            *[review.by_kind.get(k, 0) for k in kinds],
            sum(c.recent for c in review.communes),
            review.refund_estimate,
            sum(c.unknown_items for c in review.communes),
        ]
    )
    _table(
        communes,
        [
            label("report.file.col.commune"),
            label("report.file.col.insee"),
            label("report.file.col.claims"),
            *[label.kind(k) for k in kinds],
            label("report.file.col.recent", days=review.window_days),
            label("report.file.col.refund_estimate"),
            label("report.file.col.unknown_items"),
        ],
        commune_rows,
        formats={4 + len(kinds) + 1: money},
        bold_last=True,
    )

    # --- Par école.
    schools = _new_sheet(workbook, label("report.file.sheet.schools"))
    _table(
        schools,
        [
            label("report.file.col.school"),
            label("report.file.col.uai"),
            label("report.file.col.commune"),
            label("report.file.col.claims"),
            label("report.file.col.recent", days=review.window_days),
            label("report.file.col.flagged", threshold=review.threshold),
        ],
        [
            [
                s.name,
                s.uai,
                s.commune_name,
                s.count,
                s.recent,
                label("report.file.yes") if s.flagged else label("report.file.no"),
            ]
            for s in review.schools
        ],
    )

    # --- Remboursements: per commune, the claims, then the overdue payments.
    refunds = _new_sheet(workbook, label("report.file.sheet.refunds"))
    r = review.refunds
    money_cols = {3: money, 4: money, 5: money}
    next_row = _table(
        refunds,
        [
            label("report.file.col.commune"),
            label("report.file.col.files"),
            label("report.file.col.owed"),
            label("report.file.col.paid"),
            label("report.file.col.outstanding"),
        ],
        [
            *[[c.name, c.count, c.owed, c.paid, c.outstanding] for c in r.by_commune],
            [label("report.file.total"), r.count, r.owed, r.paid, r.outstanding],
        ],
        formats=money_cols,
        bold_last=True,
    )
    next_row = _table(
        refunds,
        [
            label("report.file.col.number"),
            label("report.file.col.school"),
            label("report.file.col.commune"),
            label("report.file.col.state"),
            label("report.file.col.completed_on"),
            label("report.file.col.pay_by"),
            label("report.file.col.owed"),
            label("report.file.col.paid"),
            label("report.file.col.outstanding"),
        ],
        [
            [
                c.number,
                c.school_name,
                c.commune_name,
                label.state("claim", c.state),
                c.completed_on,
                c.pay_by,
                c.owed,
                c.paid,
                c.outstanding,
            ]
            for c in r.claims
        ],
        start_row=next_row + 1,
        formats={7: money, 8: money, 9: money},
    )
    if r.truncated:
        _put(
            refunds, next_row, 1, label("report.file.truncated", shown=len(r.claims), total=r.count)
        )
        next_row += 1
    _put(refunds, next_row + 1, 1, label("report.file.overdue_payments_title"))
    refunds.cell(row=next_row + 1, column=1).font = _BOLD
    overdue_payments = review.overdue_payments
    next_row = _table(
        refunds,
        [
            label("report.file.col.number"),
            label("report.file.col.commune"),
            label("report.file.col.completed_on"),
            label("report.file.col.pay_by"),
            label("report.file.col.outstanding"),
        ],
        [
            [p.number, p.commune_name, p.completed_on, p.pay_by, p.outstanding]
            for p in overdue_payments.lines
        ],
        start_row=next_row + 2,
        formats={5: money},
    )
    if overdue_payments.truncated:
        _put(
            refunds,
            next_row,
            1,
            label(
                "report.file.truncated",
                shown=len(overdue_payments.lines),
                total=overdue_payments.count,
            ),
        )

    # --- Démarches en retard.
    late = _new_sheet(workbook, label("report.file.sheet.overdue_duties"))
    overdue = review.overdue_duties
    after = _table(
        late,
        [
            label("report.file.col.number"),
            label("report.file.col.school"),
            label("report.file.col.commune"),
            label("report.file.col.deadline"),
            label("report.file.col.pending_duties"),
        ],
        [[d.number, d.school_name, d.commune_name, d.deadline, d.pending] for d in overdue.lines],
    )
    if overdue.truncated:
        _put(
            late,
            after,
            1,
            label("report.file.truncated", shown=len(overdue.lines), total=overdue.claims),
        )

    _moves_sheet(workbook, review, label)
    return _save(workbook)


def _moves_sheet(workbook: Workbook, review: ClaimsReview, label: _Labels) -> None:
    """« Matériel »: one row per body, one column per movement, the totals last, then a
    note on how items are counted (decision 0033)."""
    sheet = _new_sheet(workbook, label("report.file.sheet.moves"))
    equipment = review.equipment
    rows: list[list[Any]] = [
        [
            line.name or label("report.moves.no_body"),
            label.optional(f"report.file.body_kind.{line.kind}", line.kind),
            line.code,
            *[line.counts[m] for m in MOVEMENTS],
        ]
        for line in equipment.bodies
    ]
    totals = equipment.totals
    rows.append([label("report.file.total"), None, None, *[totals[m] for m in MOVEMENTS]])
    after = _table(
        sheet,
        [
            label("report.file.col.body"),
            label("report.file.col.body_kind"),
            label("report.file.col.body_code"),
            *[label(f"report.file.col.move.{m}") for m in MOVEMENTS],
        ],
        rows,
        bold_last=True,
    )
    _put(
        sheet,
        after + 1,
        1,
        label(
            "report.file.moves_note",
            first=label.date(review.first_day),
            last=label.date(review.last_day),
        ),
    )


# ============================================================================ the export


def _export_columns(label: _Labels) -> list[tuple[str, Callable[[ExportRow], Any], str | None]]:
    """(header, value, XLSX format) of each column of the export, in order."""
    return [
        (label("report.file.col.number"), lambda r: r.number, None),
        (label("report.file.col.ticket_kind"), lambda r: label.ticket_kind(r.kind), None),
        (label("report.file.col.state"), lambda r: label.state(r.kind, r.state), None),
        (label("report.file.col.school"), lambda r: r.school_name, None),
        (label("report.file.col.uai"), lambda r: r.school_uai, None),
        (label("report.file.col.commune"), lambda r: r.commune_name, None),
        (label("report.file.col.insee"), lambda r: r.commune_insee, None),
        (label("report.file.col.reporter"), lambda r: r.reporter, None),
        (label("report.file.col.created"), lambda r: r.created_at, None),
        (label("report.file.col.updated"), lambda r: r.updated_at, None),
        (label("report.file.col.closed"), lambda r: r.closed_at, None),
        (label("report.file.col.close_reason"), lambda r: r.close_reason, None),
        (
            label("report.file.col.claim_kind"),
            lambda r: label.kind(r.claim_kind) if r.claim_kind else None,
            None,
        ),
        (
            label("report.file.col.damage_cause"),
            lambda r: label.cause(r.damage_cause) if r.damage_cause else None,
            None,
        ),
        (label("report.file.col.discovered"), lambda r: r.discovered_at, None),
        (label("report.file.col.refund_estimate"), lambda r: r.refund_estimate, MONEY_FORMAT),
        (label("report.file.col.owed"), lambda r: r.amount_due, MONEY_FORMAT),
        (label("report.file.col.paid"), lambda r: r.paid, MONEY_FORMAT),
    ]


def tickets_xlsx(
    rows: Sequence[ExportRow],
    lang: str | None = None,
    i18n: I18n | None = None,
    *,
    generated: datetime | None = None,
) -> bytes:
    label = _Labels(i18n, lang)
    columns = _export_columns(label)
    workbook = _workbook(generated)
    sheet = _new_sheet(workbook, label("report.file.sheet.tickets"))
    _table(
        sheet,
        [header for header, _, _ in columns],
        [[value(row) for _, value, _ in columns] for row in rows],
        formats={i: fmt for i, (_, _, fmt) in enumerate(columns, start=1) if fmt},
    )
    return _save(workbook)


def _csv_text(value: Any, lang: str) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _local(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal):
        return number(lang, value, "0.00")  # « 640,00 » for a French Excel
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def tickets_csv(
    rows: Sequence[ExportRow], lang: str | None = None, i18n: I18n | None = None
) -> bytes:
    """The export as CSV for a French Excel: UTF-8 with a BOM, ``;`` between fields,
    decimal commas, dates as dd/mm/yyyy."""
    label = _Labels(i18n, lang)
    columns = _export_columns(label)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([header for header, _, _ in columns])
    for row in rows:
        writer.writerow([_csv_text(value(row), label.lang) for _, value, _ in columns])
    return buffer.getvalue().encode("utf-8-sig")


# ============================================================================ new equipment


def new_equipment_xlsx(
    rows: Sequence[NewEquipmentLine],
    lang: str | None = None,
    i18n: I18n | None = None,
    *,
    commune_name: str = "",
    body_kind: str = "commune",
    year: int | None = None,
    generated: datetime | None = None,
) -> bytes:
    """A body's list of the equipment SEM installed in its schools during ``year``
    (``commune_name``: the body's name; ``body_kind`` words the note for an OGEC), then,
    apart, SEM's equipment whose installation date is unknown (``undated`` lines)."""
    label = _Labels(i18n, lang)
    workbook = _workbook(generated)
    sheet = _new_sheet(workbook, label("report.file.sheet.equipment"))
    dated = [r for r in rows if not r.undated]
    undated = [r for r in rows if r.undated]
    total = sum((r.value for r in dated if r.value is not None), Decimal("0.00"))
    headers = [
        label("report.file.col.school"),
        label("report.file.col.uai"),
        label("report.file.col.asset_tag"),
        label("report.file.col.type"),
        label("report.file.col.model"),
        label("report.file.col.serial"),
        label("report.file.col.installed_on"),
        label("report.file.col.acquired_on"),
        label("report.file.col.value"),
        label("report.file.col.source"),
    ]

    def line(r: NewEquipmentLine) -> list[Any]:
        if r.source == "replacement":
            source = label("report.file.source.replacement", number=r.claim_number or "")
        elif r.source == "undated":
            source = label("report.file.source.undated")
        else:
            source = label("report.file.source.new")
        return [
            r.school_name,
            r.school_uai,
            r.asset_tag,
            label.i18n.equipment_type(label.lang, r.type),
            r.model,
            r.serial,
            r.installed_on,
            r.acquired_on,
            r.value,
            source,
        ]

    body: list[list[Any]] = [line(r) for r in dated]
    body.append([label("report.file.total"), *[None] * 7, total, None])
    after = _table(sheet, headers, body, formats={9: MONEY_FORMAT}, bold_last=True)
    if year is not None:
        _put(
            sheet,
            after + 1,
            1,
            label(
                body_variant("report.file.equipment_note", body_kind),
                commune=commune_name,
                year=year,
            ),
        )
        after += 2
    if undated:
        _put(sheet, after + 1, 1, label("report.file.undated_title", count=len(undated)))
        sheet.cell(row=after + 1, column=1).font = _BOLD
        _table(
            sheet,
            headers,
            [line(r) for r in undated],
            start_row=after + 2,
            formats={9: MONEY_FORMAT},
        )
    return _save(workbook)


__all__: Sequence[str] = [
    "new_equipment_xlsx",
    "number",
    "review_chart",
    "review_chart_png",
    "review_xlsx",
    "tickets_csv",
    "tickets_xlsx",
]
