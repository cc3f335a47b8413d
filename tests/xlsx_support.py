"""Reading the XLSX and CSV exports back in tests: openpyxl opens the workbook as Excel would."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

import openpyxl

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def read_csv(response) -> list[list[str]]:
    body = body_of(response)
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def open_xlsx(response):
    """The export's only worksheet (checks the answer is an XLSX attachment)."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert response["Content-Disposition"].startswith("attachment;")
    assert ".xlsx" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(body_of(response)))
    assert len(book.worksheets) == 1
    return book.worksheets[0]


def xlsx_rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def assert_list_sheet(sheet, columns: int, rows: int) -> None:
    """The header row is frozen and carries an autofilter over every column and row."""
    assert sheet.freeze_panes == "A2"
    last = openpyxl.utils.get_column_letter(columns)
    assert sheet.auto_filter.ref == f"A1:{last}{rows + 1}"
    for letter in (openpyxl.utils.get_column_letter(c) for c in range(1, columns + 1)):
        assert 5 <= sheet.column_dimensions[letter].width <= 62


def plain_header(title: str) -> str:
    """A header without the time zone an XLSX date-time column names: "Submitted (UTC)" -> "Submitted"."""
    return re.sub(r" \([\w/+-]+\)$", "", title)


def record(rows: list[list], index: int = 1) -> dict:
    """Row `index` of a sheet as {plain header: value}."""
    return dict(zip([plain_header(h) for h in rows[0]], rows[index], strict=True))


def cell_matches_csv(value, text: str) -> bool:
    """Whether an XLSX cell holds what the CSV's cell says (typed in the XLSX, text in the CSV)."""
    if value is None:
        return text == ""
    if isinstance(value, datetime):
        if len(text) == 10:  # a date column: Excel has no date without a time
            return value.time() == datetime.min.time() and value.date().isoformat() == text
        return value.strftime("%Y-%m-%dT%H:%M") == text[:16]
    if isinstance(value, int | float):
        return float(text) == value
    return text in (value, "'" + value)  # the CSV quotes formula-looking text; the XLSX cell is text anyway


def assert_same_rows(xlsx: list[list], csv_rows: list[list[str]]) -> None:
    assert len(xlsx) == len(csv_rows)
    # a date-time column's header names the time zone in the XLSX ("Submitted (UTC)"): the CSV's times carry offsets
    assert [plain_header(h) for h in xlsx[0]] == csv_rows[0]
    for x_row, c_row in zip(xlsx[1:], csv_rows[1:], strict=True):
        assert len(x_row) == len(c_row)
        mismatches = [(x, c) for x, c in zip(x_row, c_row, strict=True) if not cell_matches_csv(x, c)]
        assert not mismatches, (x_row, c_row)
