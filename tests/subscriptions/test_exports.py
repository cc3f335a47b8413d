"""CSV and XLSX exports of the discrepancy list: the page's filters (open ones by default), its region scope, every
row; the XLSX with the CSV's rows as typed cells."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from ordermgmt.models import Region
from subscriptions import services
from subscriptions.models import Discrepancy
from tests.ordermgmt.factories import AccountFactory
from tests.xlsx_support import assert_list_sheet, assert_same_rows, open_xlsx, read_csv, record, xlsx_rows

from .factories import RenewalFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def found(emea_rep):
    amer = RenewalFactory(subscription=SubscriptionFactory(carr=Decimal("500.00")), arr_basis=Decimal("400.00"))
    RenewalFactory(subscription=SubscriptionFactory(), start_date=date(2027, 1, 1))
    emea_sub = SubscriptionFactory(account=AccountFactory(region=Region.objects.get(pk="EMEA")), carr=Decimal("9.00"))
    emea = RenewalFactory(subscription=emea_sub, owner=emea_rep, name="EMEA secret renewal", arr_basis=Decimal("1"))
    run = services.reconciliation_run_create(kind="renewals", as_of=date(2026, 11, 2), enqueue=False)
    services.reconciliation_run_execute(run_id=run.pk)
    return {"amer": amer, "emea": emea}


def test_discrepancy_xlsx_has_the_csv_rows_typed_and_only_the_specialists_region(client, specialist, found):
    client.force_login(specialist)

    response = client.get("/reconciliation/discrepancies/export.xlsx")
    sheet = open_xlsx(response)
    rows = xlsx_rows(sheet)
    csv_rows = read_csv(client.get("/reconciliation/discrepancies/export.csv"))

    assert 'filename="discrepancies.xlsx"' in response["Content-Disposition"]
    assert_same_rows(rows, csv_rows)
    assert len(rows) == 3  # the header and AMER's two open findings
    assert_list_sheet(sheet, columns=17, rows=2)
    first = record(rows)
    assert {row[3] for row in rows[1:]} == {"AMER"}
    assert "EMEA secret renewal" not in str(rows)
    assert isinstance(first["Discrepancy"], int)
    assert isinstance(first["First seen"], datetime)
    assert first["Status"] == "Open"
    assert rows[0][12] == "First seen (America/Los_Angeles)"  # the viewer's zone, an AMER specialist's


def test_a_manager_exports_every_region_and_the_page_filters_apply(client, manager, found):
    client.force_login(manager)

    everything = xlsx_rows(open_xlsx(client.get("/reconciliation/discrepancies/export.xlsx")))
    emea = xlsx_rows(open_xlsx(client.get("/reconciliation/discrepancies/export.xlsx", {"region": "EMEA"})))
    kind = read_csv(client.get("/reconciliation/discrepancies/export.csv", {"kind": "start_date_mismatch"}))

    assert {row[3] for row in everything[1:]} == {"AMER", "EMEA"}
    assert [row[7] for row in emea[1:]] == ["EMEA secret renewal"]
    assert [row[1] for row in kind[1:]] == ["Start date mismatch"]


def test_the_export_follows_the_status_filter_and_defaults_to_open(client, manager, found):
    accepted = Discrepancy.objects.filter(opportunity=found["amer"]).get()
    services.discrepancy_accept(discrepancy_ids=[accepted.pk], actor=manager, reason="Known")
    client.force_login(manager)

    default = read_csv(client.get("/reconciliation/discrepancies/export.csv"))
    chosen = read_csv(client.get("/reconciliation/discrepancies/export.csv", {"status": "accepted"}))

    assert str(accepted.pk) not in [row[0] for row in default[1:]]
    assert [(row[0], row[2], row[-1]) for row in chosen[1:]] == [(str(accepted.pk), "Accepted as exception", "Known")]


def test_the_discrepancy_page_links_to_both_exports_with_its_filters(client, specialist):
    client.force_login(specialist)
    body = client.get("/reconciliation/discrepancies/", {"kind": "orphan_renewal"}).content.decode()
    assert 'href="/reconciliation/discrepancies/export.csv?kind=orphan_renewal"' in body
    assert 'href="/reconciliation/discrepancies/export.xlsx?kind=orphan_renewal"' in body


def test_only_reconciliation_readers_export_discrepancies(client, rep):
    client.force_login(rep)
    assert client.get("/reconciliation/discrepancies/export.xlsx").status_code == 403
    assert client.get("/reconciliation/discrepancies/export.csv").status_code == 403
