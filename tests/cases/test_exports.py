"""CSV and XLSX exports of the case lists: the same CaseFilterSet as the page, a UTF-8 BOM in the CSV, typed cells in
the XLSX, only visible cases."""

import csv
import io
from datetime import datetime

import pytest

from cases import services
from tests.xlsx_support import assert_list_sheet, assert_same_rows, open_xlsx, xlsx_rows

from .helpers import open_case

pytestmark = pytest.mark.django_db


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_case_export_matches_the_status_filter(client, opp, dd_user):
    kept = open_case(opp, subject="Café quote")
    taken = open_case(opp, subject="Other", confirm_duplicate=True)
    services.case_take(case_id=taken.pk, actor=dd_user)
    client.force_login(dd_user)

    rows = read_csv(client.get("/cases/export.csv", {"status": "new"}))

    assert rows[0][:2] == ["Number", "Subject"]
    assert [row[:2] for row in rows[1:]] == [[kept.number, "Café quote"]]


def test_my_cases_export_and_the_page_link(client, opp, other_rep):
    case = open_case(opp)
    client.force_login(opp.owner)

    mine = read_csv(client.get("/cases/mine/export.csv"))
    page = client.get("/cases/mine/", {"status": "new"}).content.decode()
    client.force_login(other_rep)
    theirs = read_csv(client.get("/cases/mine/export.csv"))

    assert [row[0] for row in mine[1:]] == [case.number]
    assert 'href="/cases/mine/export.csv?status=new"' in page
    assert theirs[1:] == []


def test_the_case_list_sorts_by_subject(client, opp, dd_user):
    open_case(opp, subject="Zulu request")
    open_case(opp, subject="Alpha request", confirm_duplicate=True)
    client.force_login(dd_user)

    up = client.get("/cases/", {"sort": "subject"}).content.decode()
    down = client.get("/cases/", {"sort": "-subject"}).content.decode()

    assert up.index("Alpha request") < up.index("Zulu request")
    assert down.index("Zulu request") < down.index("Alpha request")
    assert 'aria-sort="descending"' in down


def test_case_xlsx_has_the_csv_rows_typed_with_the_filter_and_sort(client, opp, dd_user):
    open_case(opp, subject="Café quote")
    open_case(opp, subject='=HYPERLINK("http://evil.example","x")', confirm_duplicate=True)
    taken = open_case(opp, subject="Taken", confirm_duplicate=True)
    services.case_take(case_id=taken.pk, actor=dd_user)
    client.force_login(dd_user)
    query = {"status": "new", "sort": "subject"}

    response = client.get("/cases/export.xlsx", query)
    sheet = open_xlsx(response)
    rows = xlsx_rows(sheet)

    assert 'filename="cases.xlsx"' in response["Content-Disposition"]
    assert_same_rows(rows, read_csv(client.get("/cases/export.csv", query)))
    assert_list_sheet(sheet, columns=10, rows=2)
    assert {row[1] for row in rows[1:]} == {'=HYPERLINK("http://evil.example","x")', "Café quote"}
    assert {sheet["B2"].data_type, sheet["B3"].data_type} == {"s"}  # text, never a formula
    assert isinstance(rows[1][9], datetime)
    assert sheet["J2"].is_date


def test_my_cases_xlsx_holds_only_my_cases_and_the_page_links_to_it(client, opp, other_rep):
    case = open_case(opp)
    client.force_login(opp.owner)

    mine = xlsx_rows(open_xlsx(client.get("/cases/mine/export.xlsx")))
    page = client.get("/cases/mine/", {"status": "new"}).content.decode()
    client.force_login(other_rep)
    theirs = xlsx_rows(open_xlsx(client.get("/cases/mine/export.xlsx")))

    assert [row[0] for row in mine[1:]] == [case.number]
    assert 'href="/cases/mine/export.xlsx?status=new"' in page
    assert theirs[1:] == []
