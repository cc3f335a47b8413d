"""KPI downloads as XLSX beside the CSV: the dashboard's (all, or one table), the API's, and every drill-down's (CSV
and XLSX, which had none): the same rows, typed cells, the viewer's region scope."""

import csv
import io
from datetime import datetime

import pytest

from ordermgmt.exports import XLSX_CONTENT_TYPE
from tests.ordermgmt.factories import ManagerFactory, RepFactory, SpecialistFactory, region
from tests.xlsx_support import assert_list_sheet, assert_same_rows, open_xlsx, read_csv, record, xlsx_rows

from .test_views import DRILLS, client_for, populate

pytestmark = pytest.mark.django_db


@pytest.fixture
def mgr_client():
    return client_for(ManagerFactory(username="kpi_export_mgr"))


def plain_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_dashboards_xlsx_has_the_csvs_rows_with_figures_as_numbers(mgr_client):
    populate(2)

    response = mgr_client.get("/kpis/export.xlsx?period=2026-Q3")
    sheet = open_xlsx(response)
    rows = xlsx_rows(sheet)
    csv_rows = plain_csv(mgr_client.get("/kpis/export.csv?period=2026-Q3"))

    assert response["Content-Disposition"] == 'attachment; filename="kpis-2026-Q3-all.xlsx"'
    assert_same_rows(rows, csv_rows)
    assert_list_sheet(sheet, columns=4, rows=len(csv_rows) - 1)
    assert ["kpi", None, "approval_sla_pct", 50] in rows
    assert ["kpi", None, "avg_first_response_business_hours", None] in rows  # no data is an empty cell, never 0
    net_arr = next(row for row in rows if row[0] == "closed_won_by_region" and row[2] == "net_arr")
    assert net_arr[1] == 1
    assert net_arr[3] == 12000


def test_one_tables_xlsx_has_typed_money(mgr_client):
    populate(2)

    response = mgr_client.get("/kpis/export.xlsx?period=2026-Q3&table=closed_won_by_region")
    sheet = open_xlsx(response)

    assert response["Content-Disposition"] == 'attachment; filename="closed_won_by_region-2026-Q3-all.xlsx"'
    assert xlsx_rows(sheet) == [["region", "count", "net_arr"], ["AMER", 1, 12000], ["EMEA", 1, 12000]]
    assert sheet["C2"].number_format == "#,##0.00"
    assert_list_sheet(sheet, columns=3, rows=2)
    assert mgr_client.get("/kpis/export.xlsx?period=bad").status_code == 400
    assert mgr_client.get("/kpis/export.xlsx?table=nope").status_code == 400


def test_the_dashboard_links_to_the_xlsx_downloads(mgr_client):
    page = mgr_client.get("/kpis/?period=2026-Q3").content.decode()
    assert 'href="/kpis/export.xlsx?period=2026-Q3"' in page
    assert "/kpis/export.xlsx?period=2026-Q3&amp;table=closed_won_by_member" in page


def test_the_api_xlsx_has_the_csvs_rows_and_keeps_the_csv_as_documented(as_user, mgr_client):
    populate(2)
    client = as_user(ManagerFactory())

    response = client.get("/api/kpis/export.xlsx?period=2026-Q3&region=EMEA")
    csv_response = client.get("/api/kpis/export.csv?period=2026-Q3&region=EMEA")
    asked = client.get("/api/kpis/export.xlsx?period=2026-Q3", HTTP_ACCEPT=XLSX_CONTENT_TYPE)
    asked_csv = client.get("/api/kpis/export.csv?period=2026-Q3", HTTP_ACCEPT="text/csv")

    assert response["Content-Disposition"] == 'attachment; filename="kpis-2026-Q3-EMEA.xlsx"'
    assert_same_rows(xlsx_rows(open_xlsx(response)), plain_csv(csv_response))
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert plain_csv(csv_response)[0] == ["section", "row", "metric", "value"]
    assert asked.status_code == 200  # Accept naming the file's type is no longer 406
    assert asked_csv.status_code == 200
    bad = client.get("/api/kpis/export.xlsx?table=nope")
    assert bad.status_code == 400
    assert bad["Content-Type"] == "application/json"
    assert as_user(RepFactory()).get("/api/kpis/export.xlsx").status_code == 403


@pytest.mark.parametrize(("kpi", "query", "count"), DRILLS)
def test_every_drill_down_exports_its_records_as_csv_and_xlsx(mgr_client, kpi, query, count):
    populate(3)
    url = f"/kpis/drill/{kpi}/export.%s?period=2026-Q3{query}"

    csv_response = mgr_client.get(url % "csv")
    response = mgr_client.get(url % "xlsx")
    sheet = open_xlsx(response)
    rows = xlsx_rows(sheet)
    csv_rows = read_csv(csv_response)
    page = mgr_client.get(f"/kpis/drill/{kpi}/?period=2026-Q3{query}").content.decode()

    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    region_name = "AMER" if "region=AMER" in query else "all"
    assert f'filename="{kpi}-2026-Q3-{region_name}.xlsx"' in response["Content-Disposition"]
    assert len(rows) == count + 1
    assert_same_rows(rows, csv_rows)
    assert_list_sheet(sheet, columns=len(rows[0]), rows=count)
    assert page.count('<th scope="col">') == len(rows[0])


def test_a_drill_export_has_typed_cells(mgr_client):
    populate(3)

    sheet = open_xlsx(mgr_client.get("/kpis/drill/approval_sla/export.xlsx?period=2026-Q3&met=0&region=EMEA"))
    rows = xlsx_rows(sheet)

    first = record(rows)
    assert len(rows) == 2
    assert isinstance(first["Opportunity"], int)
    assert isinstance(first["Submitted"], datetime)
    assert isinstance(first["OM decided"], datetime)
    assert first["Business hours"] == 15
    assert first["Region"] == "EMEA"


def test_a_specialists_drill_export_holds_only_their_region():
    populate(3)
    specialist = client_for(SpecialistFactory(region=region("EMEA")))

    rows = xlsx_rows(open_xlsx(specialist.get("/kpis/drill/closed_won/export.xlsx?period=2026-Q3&region=AMER")))
    csv_rows = read_csv(specialist.get("/kpis/drill/closed_won/export.csv?period=2026-Q3"))

    assert [row[2] for row in rows[1:]] == ["EMEA"]
    assert_same_rows(rows, csv_rows)
    assert client_for(RepFactory()).get("/kpis/drill/closed_won/export.xlsx").status_code == 403


def test_drill_exports_refuse_bad_input_and_unknown_kpis(mgr_client):
    assert mgr_client.get("/kpis/drill/approval_sla/export.xlsx?period=2026-Q3&met=maybe").status_code == 400
    assert mgr_client.get("/kpis/drill/approval_sla/export.csv?period=bad").status_code == 400
    assert mgr_client.get("/kpis/drill/nothing/export.xlsx").status_code == 404


def test_the_drill_page_links_to_its_exports_with_its_filters(mgr_client):
    page = mgr_client.get("/kpis/drill/approval_sla/?period=2026-Q3&met=0").content.decode()
    assert 'href="/kpis/drill/approval_sla/export.csv?period=2026-Q3&amp;met=0"' in page
    assert 'href="/kpis/drill/approval_sla/export.xlsx?period=2026-Q3&amp;met=0"' in page


def test_a_specialists_kpi_xlsx_is_held_to_their_region():
    populate(3)
    specialist = client_for(SpecialistFactory(region=region("EMEA")))

    response = specialist.get("/kpis/export.xlsx?period=2026-Q3&region=AMER&table=closed_won_by_region")
    whole = xlsx_rows(open_xlsx(specialist.get("/kpis/export.xlsx?period=2026-Q3&region=AMER")))

    assert response["Content-Disposition"] == 'attachment; filename="closed_won_by_region-2026-Q3-EMEA.xlsx"'
    assert [row[0] for row in xlsx_rows(open_xlsx(response))[1:]] == ["EMEA"]
    assert ["period", None, "region", "EMEA"] in whole
