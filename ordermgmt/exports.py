"""List exports, CSV or XLSX from the same rows: each list declares its columns once (header and cell type) and yields
typed values (dates, Decimals, ints, aware datetimes, text); `export_response` renders them in the format the URL asks
for. CSV goes through `ordermgmt.web.csv_response`; XLSX through `xlsx_response` (XlsxWriter, constant memory)."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import xlsxwriter
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from .web import csv_response

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")

# Cell types. AUTO picks one from each value's Python type (for lists whose columns are not known in advance).
TEXT, INTEGER, NUMBER, MONEY, DATE, DATETIME, AUTO = "text", "integer", "number", "money", "date", "datetime", "auto"

EXPORT_CHUNK = 2000  # rows fetched per round trip when an export iterates its queryset (`.iterator(chunk_size=…)`)
EXCEL_MAX_ROWS = 1_048_576
TRUNCATED = "Truncated at Excel's row limit: the CSV export has every row."
_NUMBER_FORMATS = {MONEY: "#,##0.00", DATE: "yyyy-mm-dd", DATETIME: "yyyy-mm-dd hh:mm", NUMBER: "0.00"}
_WIDTHS = {DATE: 10, DATETIME: 16}  # characters the format above prints
_MAX_WIDTH = 60


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = TEXT


def text(value) -> str:
    """A value as one line of text, as both formats print non-typed cells: lists joined, JSON compact, local times."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="minutes") if timezone.is_aware(value) else str(value)
    if isinstance(value, list | tuple):
        return ", ".join(text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return str(value)


def _kind_of(value) -> str:
    if isinstance(value, bool):
        return TEXT
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, float):
        return NUMBER
    if isinstance(value, Decimal):
        return MONEY  # two decimals with thousands separators: money and business hours alike
    if isinstance(value, datetime):
        return DATETIME
    if isinstance(value, date):
        return DATE
    return TEXT


def _fits(kind: str, value) -> bool:
    """Whether `value` can be written as a `kind` cell (anything else is written as text)."""
    if kind in (INTEGER, NUMBER, MONEY):
        return isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    if kind in (DATE, DATETIME):
        return isinstance(value, date)
    return kind == TEXT


def _sheet_name(filename: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", "_", filename.rsplit(".", 1)[0])[:31] or "Export"


def xlsx_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence], types: Sequence[str] | None = None
) -> FileResponse:
    """A list export as an XLSX workbook: one sheet, typed cells (`types[i]` for column i: TEXT, INTEGER, NUMBER,
    MONEY, DATE, DATETIME or AUTO; default TEXT), the header row frozen with an autofilter, columns as wide as their
    longest cell (at most 60 characters); a DATETIME column's header names the time zone of its times.

    Memory stays constant whatever the length of `rows` (pass a generator over `.iterator()`): XlsxWriter's
    constant_memory mode flushes each row to a temporary file and writes strings inline; the workbook is zipped into
    another temporary file that the response streams. Text is only ever written with write_string, so a cell that
    looks like a formula (`=HYPERLINK(…)`) stays text: Excel never runs it. Aware datetimes are written in the current
    time zone (Excel has none; the header says which). Rows past Excel's limit are left out, with a last row saying so.
    """
    types = list(types or [TEXT] * len(header))
    out = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
    book = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_date_format": _NUMBER_FORMATS[DATE],
        },
    )
    sheet = book.add_worksheet(_sheet_name(filename))
    bold = book.add_format({"bold": True})
    formats = {kind: book.add_format({"num_format": code}) for kind, code in _NUMBER_FORMATS.items()}
    # Excel has no time zones: a date-time column says in its header which one its times are in.
    zone = timezone.get_current_timezone_name()
    types += [TEXT] * (len(header) - len(types))
    header = [f"{h} ({zone})" if kind == DATETIME else h for h, kind in zip(header, types, strict=False)]
    widths = [len(h) + 3 for h in header]  # + the autofilter's button
    for col, title in enumerate(header):
        sheet.write_string(0, col, title, bold)
    sheet.freeze_panes(1, 0)

    last = 0
    for row in rows:
        if last + 1 >= EXCEL_MAX_ROWS - 1:
            last += 1
            sheet.write_string(last, 0, TRUNCATED)
            break
        last += 1
        for col, value in enumerate(row):
            if value is None or value == "":
                continue
            kind = types[col] if col < len(types) else TEXT
            if kind == AUTO or not _fits(kind, value):
                kind = _kind_of(value)
            if kind in (DATE, DATETIME):
                if isinstance(value, datetime) and timezone.is_aware(value):
                    value = timezone.make_naive(value)
                if not isinstance(value, datetime):
                    kind = DATE
                sheet.write_datetime(last, col, value, formats[kind])
                width = _WIDTHS[kind]
            elif kind in (INTEGER, NUMBER, MONEY):
                number = float(value) if isinstance(value, Decimal) else value
                sheet.write_number(last, col, number, formats.get(kind))
                width = len(f"{number:,.2f}") if kind == MONEY else len(str(value))
            else:
                cell = text(value)
                sheet.write_string(last, col, cell)
                width = len(cell)
            if col < len(widths) and width + 1 > widths[col]:
                widths[col] = width + 1
    for col, width in enumerate(widths):
        sheet.set_column(col, col, min(width, _MAX_WIDTH))
    sheet.autofilter(0, 0, last, max(len(header) - 1, 0))
    book.close()
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


def export_response(
    export_format: str, name: str, columns: Sequence[Column], rows: Iterable[Sequence]
) -> StreamingHttpResponse | FileResponse:
    """`rows` (typed values in the order of `columns`) as `<name>.csv` or `<name>.xlsx`: the same rows either way."""
    header = [c.header for c in columns]
    if export_format == "xlsx":
        return xlsx_response(f"{name}.xlsx", header, rows, [c.kind for c in columns])
    return csv_response(f"{name}.csv", header, ([text(v) for v in row] for row in rows))


class ExportFormatMixin:
    """A list's export view serving both formats: the CSV's URL as `as_view()`, the XLSX's beside it as
    `as_view(export_format="xlsx")`, so both answer from the one view and its queryset."""

    export_format = "csv"

    def export_response(self, name: str, columns: Sequence[Column], rows: Iterable[Sequence]):
        return export_response(self.export_format, name, columns, rows)
