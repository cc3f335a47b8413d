"""CSV and XLSX exports of the queue and the opportunity list: the list's own filters, every row, a UTF-8 BOM in the
CSV, the same rows as typed cells in the XLSX."""

import csv
import io
from datetime import datetime

import pytest

from approvals import services as approval_services
from ordermgmt.models import Opportunity
from tests.ordermgmt.factories import AccountFactory, OpportunityFactory, ready_opportunity
from tests.xlsx_support import assert_list_sheet, assert_same_rows, open_xlsx, record, xlsx_rows

pytestmark = pytest.mark.django_db


def submitted(owner, **kwargs) -> Opportunity:
    opp = ready_opportunity(owner=owner, **kwargs)
    approval_services.approval_submit(opportunity_id=opp.pk, actor=owner)
    return opp


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_queue_export_follows_the_filters_in_queue_order(client, rep, specialist):
    claimed = submitted(rep, name="Ünïcode deal")
    free = submitted(rep, name="Free deal")
    approval_services.approval_claim(opportunity_id=claimed.pk, actor=specialist)
    client.force_login(specialist)

    everything = client.get("/queue/export.csv")
    mine = read_csv(client.get("/queue/export.csv", {"claimed_by": "me"}))

    assert everything["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="queue-AMER.csv"' in everything["Content-Disposition"]
    rows = read_csv(everything)
    assert rows[0][:3] == ["Position", "Opportunity id", "Opportunity"]
    assert {row[2] for row in rows[1:]} == {claimed.name, free.name}
    assert [row[2] for row in mine[1:]] == ["Ünïcode deal"]
    assert mine[1][-1] == str(specialist)


def test_the_queue_page_links_to_its_export_with_its_filters(client, specialist):
    client.force_login(specialist)
    body = client.get("/queue/", {"claimed_by": "none"}).content.decode()
    assert 'href="/queue/export.csv?claimed_by=none"' in body


def test_opportunity_export_uses_the_filterset_and_shows_only_mine(client, rep, other_rep):
    OpportunityFactory(owner=rep, name="=HYPERLINK(1)", account=AccountFactory(name="Acme"))
    OpportunityFactory(owner=rep, name="Other account deal")
    OpportunityFactory(owner=other_rep, name="Acme someone else's")
    client.force_login(rep)

    rows = read_csv(client.get("/opportunities/export.csv", {"search": "acme"}))

    assert rows[0][:3] == ["Id", "Opportunity", "Account"]
    assert [row[1:3] for row in rows[1:]] == [["'=HYPERLINK(1)", "Acme"]]  # a formula is never run by Excel


def test_specialists_cannot_export_the_rep_list(client, specialist):
    client.force_login(specialist)
    assert client.get("/opportunities/export.csv").status_code == 403


# --- XLSX: the same rows, typed -----------------------------------------------------------------------------------


def test_queue_xlsx_has_the_csv_rows_with_typed_cells_a_frozen_header_and_a_filter(client, rep, specialist):
    submitted(rep, name="Ünïcode deal")
    submitted(rep, name="Second deal")
    client.force_login(specialist)

    response = client.get("/queue/export.xlsx")
    sheet = open_xlsx(response)
    rows = xlsx_rows(sheet)

    assert 'filename="queue-AMER.xlsx"' in response["Content-Disposition"]
    assert_same_rows(rows, read_csv(client.get("/queue/export.csv")))
    assert_list_sheet(sheet, columns=13, rows=2)
    header = rows[0]
    first = record(rows)
    assert first["Position"] == 1
    assert isinstance(first["Opportunity id"], int)
    assert isinstance(first["Start date"], datetime)
    assert isinstance(first["Submitted"], datetime)
    assert header[8] == "Submitted (America/Los_Angeles)"  # the viewer's zone, an AMER specialist's
    assert isinstance(first["Net ARR"], int | float)
    assert sheet.cell(row=2, column=header.index("Net ARR") + 1).number_format == "#,##0.00"
    assert sheet.cell(row=2, column=header.index("Start date") + 1).is_date


def test_queue_xlsx_follows_the_filters_and_holds_only_the_specialists_region(client, rep, emea_rep, specialist):
    claimed = submitted(rep, name="Claimed AMER deal")
    submitted(rep, name="Free AMER deal")
    submitted(emea_rep, name="EMEA deal", region_id="EMEA")
    approval_services.approval_claim(opportunity_id=claimed.pk, actor=specialist)
    client.force_login(specialist)

    everything = xlsx_rows(open_xlsx(client.get("/queue/export.xlsx", {"region": "EMEA"})))
    mine = xlsx_rows(open_xlsx(client.get("/queue/export.xlsx", {"claimed_by": "me"})))

    assert {row[2] for row in everything[1:]} == {"Claimed AMER deal", "Free AMER deal"}
    assert {row[5] for row in everything[1:]} == {"AMER"}
    assert [row[2] for row in mine[1:]] == ["Claimed AMER deal"]


def test_the_queue_page_links_to_its_xlsx_export_with_its_filters(client, specialist):
    client.force_login(specialist)
    body = client.get("/queue/", {"claimed_by": "none"}).content.decode()
    assert 'href="/queue/export.xlsx?claimed_by=none"' in body


def test_opportunity_xlsx_has_the_csv_rows_in_the_same_sort_and_formulas_stay_text(client, rep, other_rep):
    OpportunityFactory(owner=rep, name='=HYPERLINK("http://evil.example","click")', account=AccountFactory(name="Acme"))
    OpportunityFactory(owner=rep, name="Acme second", account=AccountFactory(name="Acme 2"))
    OpportunityFactory(owner=other_rep, name="Acme someone else's")
    client.force_login(rep)
    query = {"search": "acme", "sort": "-name"}

    sheet = open_xlsx(client.get("/opportunities/export.xlsx", query))
    rows = xlsx_rows(sheet)

    assert_same_rows(rows, read_csv(client.get("/opportunities/export.csv", query)))
    assert_list_sheet(sheet, columns=11, rows=2)
    assert [row[1] for row in rows[1:]] == ["Acme second", '=HYPERLINK("http://evil.example","click")']
    formula = sheet.cell(row=3, column=2)
    assert formula.data_type == "s"  # a string cell: Excel shows the text and never runs it
    assert isinstance(rows[1][7], datetime)
    assert isinstance(rows[1][9], int | float)


def test_the_rep_list_links_to_its_xlsx_export_and_specialists_cannot_export_it(client, rep, specialist):
    client.force_login(rep)
    body = client.get("/opportunities/", {"approval_status": "draft"}).content.decode()
    client.force_login(specialist)
    assert 'href="/opportunities/export.xlsx?approval_status=draft"' in body
    assert client.get("/opportunities/export.xlsx").status_code == 403
