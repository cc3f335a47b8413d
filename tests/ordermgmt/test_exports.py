"""The shared list export: one row generator rendered as CSV or as an XLSX with typed cells."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from ordermgmt import exports
from ordermgmt.exports import AUTO, DATE, DATETIME, INTEGER, MONEY, TEXT, Column, export_response, xlsx_response
from tests.xlsx_support import assert_list_sheet, assert_same_rows, open_xlsx, read_csv, xlsx_rows

COLUMNS = [
    Column("Id", INTEGER),
    Column("Name"),
    Column("Start", DATE),
    Column("Net ARR", MONEY),
    Column("Submitted", DATETIME),
    Column("Anything", AUTO),
]
ROWS = [
    [1, "Café", date(2026, 12, 1), Decimal("1234.50"), datetime(2026, 12, 5, 14, 3, tzinfo=UTC), Decimal("7.25")],
    [2, '=HYPERLINK("http://evil.example","x")', None, Decimal("-3"), None, ["a", "b"]],
    [3, "+1 (555) 0100", date(2027, 1, 31), 0, datetime(2026, 12, 6, 9, 0, tzinfo=UTC), date(2026, 1, 2)],
]


def test_xlsx_cells_are_typed_with_formats_a_frozen_header_an_autofilter_and_widths():
    sheet = open_xlsx(export_response("xlsx", "things", COLUMNS, iter(ROWS)))
    rows = xlsx_rows(sheet)

    assert rows[0] == ["Id", "Name", "Start", "Net ARR", "Submitted (UTC)", "Anything"]  # Excel has no time zones
    assert rows[1] == [1, "Café", datetime(2026, 12, 1), 1234.5, datetime(2026, 12, 5, 14, 3), 7.25]
    assert rows[2][2] is None
    assert rows[2][4] is None
    assert rows[2][5] == "a, b"
    assert sheet["C2"].number_format == "yyyy-mm-dd"
    assert sheet["E2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["D2"].number_format == "#,##0.00"
    assert sheet["F4"].is_date
    assert_list_sheet(sheet, columns=6, rows=3)
    assert sheet.column_dimensions["B"].width > len('=HYPERLINK("http://evil.example","x")')


@pytest.mark.parametrize("text", ['=HYPERLINK("http://evil.example","x")', "+1 (555) 0100", "@SUM(A1)", "-2+3"])
def test_formula_looking_text_lands_as_a_string_cell(text):
    sheet = open_xlsx(xlsx_response("x.xlsx", ["Name"], [[text]]))
    assert sheet["A2"].value == text
    assert sheet["A2"].data_type == "s"


def test_csv_and_xlsx_hold_the_same_rows():
    csv_rows = read_csv(export_response("csv", "things", COLUMNS, iter(ROWS)))
    sheet = open_xlsx(export_response("xlsx", "things", COLUMNS, iter(ROWS)))

    assert csv_rows[2][1] == '\'=HYPERLINK("http://evil.example","x")'  # quoted in the CSV
    assert_same_rows(xlsx_rows(sheet), csv_rows)


def test_aware_datetimes_are_written_in_the_current_time_zone_which_the_header_names():
    with timezone.override("America/Los_Angeles"):
        sheet = open_xlsx(xlsx_response("x.xlsx", ["At"], [[datetime(2026, 12, 5, 14, 3, tzinfo=UTC)]], [DATETIME]))
        csv_rows = read_csv(
            export_response("csv", "x", [Column("At", DATETIME)], [[datetime(2026, 12, 5, 14, 3, tzinfo=UTC)]])
        )
    assert sheet["A1"].value == "At (America/Los_Angeles)"
    assert sheet["A2"].value == datetime(2026, 12, 5, 6, 3)
    assert csv_rows == [["At"], ["2026-12-05T06:03-08:00"]]


def test_a_value_that_does_not_fit_its_column_type_is_written_as_text():
    sheet = open_xlsx(xlsx_response("x.xlsx", ["Money"], [["n/a"], [True]], [MONEY]))
    assert [sheet["A2"].value, sheet["A3"].value] == ["n/a", "yes"]


def test_rows_past_excels_limit_are_cut_with_a_last_row_saying_so(monkeypatch):
    monkeypatch.setattr(exports, "EXCEL_MAX_ROWS", 5)
    sheet = open_xlsx(xlsx_response("x.xlsx", ["N"], ([n] for n in range(10)), [INTEGER]))
    assert [row[0] for row in xlsx_rows(sheet)] == ["N", 0, 1, 2, exports.TRUNCATED]


def test_the_sheet_is_named_after_the_file_within_excels_rules():
    sheet = open_xlsx(xlsx_response("queue-[all]:2026/12*?.xlsx", ["A"], [], [TEXT]))
    assert sheet.title == "queue-_all__2026_12__"
    assert sheet.auto_filter.ref == "A1"  # the header alone
