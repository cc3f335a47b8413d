"""Bookings reconciliation reads the invoice: Net ARR against billing's Net ARR when the feed sends one, otherwise
against the invoice amount annualised over its service period. Expected values are computed by hand in comments."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from subscriptions import services
from subscriptions.models import Discrepancy, Invoice, ReconciliationRun
from tests.ordermgmt.factories import QuoteFactory

from .factories import InvoiceFactory, WonFactory, findings, run

pytestmark = pytest.mark.django_db


def amount_only_invoice(opp, amount: str, **period) -> Invoice:
    """An invoice as API.md shapes it (no Net ARR), upserted through the billing feed's service."""
    invoice, _ = services.invoice_upsert(
        data={
            "number": f"INV-{opp.pk}",
            "account": opp.account,
            "opportunity": opp,
            "amount": Decimal(amount),
            "invoice_date": date(2026, 10, 20),
            **period,
        }
    )
    return invoice


TWELVE_MONTHS = {"service_start": date(2026, 10, 1), "service_end": date(2027, 9, 30)}
TWENTY_FOUR_MONTHS = {"service_start": date(2026, 10, 15), "service_end": date(2028, 10, 14)}


def test_service_period_dates_are_counted_in_months():
    assert amount_only_invoice(WonFactory(), "1.00", **TWELVE_MONTHS).service_months == 12
    assert amount_only_invoice(WonFactory(), "1.00", **TWENTY_FOUR_MONTHS).service_months == 24
    # 2026-10-01..2026-11-14: one month and 14 days -> 1; ..2026-11-15: one month and 15 days -> 2
    assert services.service_months_between(date(2026, 10, 1), date(2026, 11, 14)) == 1
    assert services.service_months_between(date(2026, 10, 1), date(2026, 11, 15)) == 2
    # 2026-01-31..2027-01-30 is a year (February is short)
    assert services.service_months_between(date(2026, 1, 31), date(2027, 1, 30)) == 12


def test_amount_only_invoice_over_twelve_months_is_its_annual_value():
    # given: 30,000.00 billed for 2026-10-01..2027-09-30 (12 months): 30,000.00 * 12 / 12 = 30,000.00 a year
    agrees = WonFactory(net_arr=Decimal("30000.00"))
    amount_only_invoice(agrees, "30000.00", **TWELVE_MONTHS)
    differs = WonFactory(net_arr=Decimal("25000.00"))
    invoice = amount_only_invoice(differs, "30000.00", **TWELVE_MONTHS)

    # when
    run("bookings", month="2026-10")

    # then: only the opportunity booked at 25,000.00 is a finding, and it says how the 30,000.00 was computed
    assert findings() == {("net_arr_mismatch", None, differs.pk, invoice.pk)}
    found = Discrepancy.objects.get()
    assert found.expected == {
        "net_arr": "30000.00",
        "source": "invoice_amount",
        "invoice_amount": "30000.00",
        "service_months": 12,
        "months_from": "invoice",
        "annualised": "30000.00",
        "arr_basis": "0.00",
    }
    assert found.actual == {"net_arr": "25000.00"}
    assert found.proposed_fix == {"action": "set", "field": "net_arr", "value": "30000.00"}


def test_amount_only_invoice_over_twenty_four_months_is_halved():
    # given: 48,000.00 billed for 2026-10-15..2028-10-14 (24 months): 48,000.00 * 12 / 24 = 24,000.00 a year
    booked_the_total = WonFactory(net_arr=Decimal("48000.00"))
    invoice = amount_only_invoice(booked_the_total, "48000.00", **TWENTY_FOUR_MONTHS)
    right = WonFactory(net_arr=Decimal("24000.00"))
    amount_only_invoice(right, "48000.00", **TWENTY_FOUR_MONTHS)
    # a period sent as months only: 36,000.00 over 24 months = 18,000.00 a year, booked 18,000.40 (within $1.00)
    amount_only_invoice(WonFactory(net_arr=Decimal("18000.40")), "36000.00", service_months=24)

    run("bookings", month="2026-10")

    assert findings() == {("net_arr_mismatch", None, booked_the_total.pk, invoice.pk)}
    found = Discrepancy.objects.get()
    assert (found.expected["net_arr"], found.expected["service_months"]) == ("24000.00", 24)
    assert found.actual == {"net_arr": "48000.00"}


def test_without_a_service_period_the_quote_term_is_used_else_twelve_months():
    # 36,000.00 on a 36-month quote: 12,000.00 a year, booked 12,000.00: agrees
    on_quote = WonFactory(net_arr=Decimal("12000.00"))
    QuoteFactory(opportunity=on_quote, term_months=36)
    amount_only_invoice(on_quote, "36000.00")
    # 12,000.00 with no period and no quote: 12 months by default -> 12,000.00, booked 10,000.00: a finding
    no_term = WonFactory(net_arr=Decimal("10000.00"))
    invoice = amount_only_invoice(no_term, "12000.00")

    run("bookings", month="2026-10")

    assert findings() == {("net_arr_mismatch", None, no_term.pk, invoice.pk)}
    expected = Discrepancy.objects.get().expected
    assert (expected["net_arr"], expected["service_months"], expected["months_from"]) == ("12000.00", 12, "default")


def test_a_renewal_invoice_bills_the_whole_subscription_so_arr_basis_is_taken_off():
    # ARR basis 10,000.00 + Net ARR 2,000.00 = Booked ARR 12,000.00 = 12,000.00 billed over 12 months: agrees
    WonFactory(type="renewal", arr_basis=Decimal("10000.00"), net_arr=Decimal("2000.00"))
    renewal = WonFactory(type="renewal", arr_basis=Decimal("10000.00"), net_arr=Decimal("2000.00"))
    amount_only_invoice(renewal, "12000.00", **TWELVE_MONTHS)
    # 13,000.00 billed: Net ARR should be 13,000.00 - 10,000.00 = 3,000.00
    grown = WonFactory(type="renewal", arr_basis=Decimal("10000.00"), net_arr=Decimal("2000.00"))
    invoice = amount_only_invoice(grown, "13000.00", **TWELVE_MONTHS)

    run("bookings", month="2026-10")

    assert findings("net_arr_mismatch") == {("net_arr_mismatch", None, grown.pk, invoice.pk)}
    assert Discrepancy.objects.get(kind="net_arr_mismatch").proposed_fix["value"] == "3000.00"


def test_a_feed_that_carries_net_arr_is_compared_as_sent():
    # given: billing says 20,000.00 Net ARR; the amount (48,000.00 over 24 months = 24,000.00) would agree
    opp = WonFactory(net_arr=Decimal("24000.00"))
    invoice = InvoiceFactory(
        opportunity=opp, amount=Decimal("48000.00"), net_arr=Decimal("20000.00"), service_months=24
    )
    # billing's Net ARR agrees although the amount annualised (12,000.00 over 12 months) would not
    InvoiceFactory(opportunity=WonFactory(net_arr=Decimal("5000.00")), net_arr=Decimal("5000.00"))

    run("bookings", month="2026-10")

    assert findings() == {("net_arr_mismatch", None, opp.pk, invoice.pk)}
    found = Discrepancy.objects.get()
    assert found.expected == {"net_arr": "20000.00", "source": "billing_net_arr"}
    assert found.actual == {"net_arr": "24000.00"}


@time_machine.travel("2026-11-03 17:00Z", tick=False)  # before October's bookings lock
def test_applying_the_fix_sets_the_annualised_net_arr(specialist):
    opp = WonFactory(net_arr=Decimal("48000.00"))
    amount_only_invoice(opp, "48000.00", **TWENTY_FOUR_MONTHS)
    run("bookings", month="2026-10")

    services.discrepancy_apply(discrepancy_ids=[Discrepancy.objects.get().pk], actor=specialist)

    opp.refresh_from_db()
    assert opp.net_arr == Decimal("24000.00")
    assert run("bookings", month="2026-10").counts["net_arr_mismatch"] == 0


def test_invoice_api_takes_an_optional_service_period(as_user, manager):
    opp = WonFactory()
    client = as_user(manager)
    base = {"account": opp.account_id, "opportunity": opp.pk, "amount": "48000.00", "invoice_date": "2026-10-20"}

    plain = client.post("/api/invoices/", {"number": "INV-1", **base}, format="json")
    dated = client.post(
        "/api/invoices/",
        {"number": "INV-2", **base, "service_start": "2026-10-15", "service_end": "2028-10-14"},
        format="json",
    )
    half = client.post("/api/invoices/", {"number": "INV-3", **base, "service_start": "2026-10-15"}, format="json")
    wrong = client.post(
        "/api/invoices/",
        {"number": "INV-4", **base, "service_start": "2026-10-15", "service_end": "2028-10-14", "service_months": 12},
        format="json",
    )

    assert plain.status_code == 201, plain.data
    assert (plain.data["service_start"], plain.data["service_months"]) == (None, None)
    assert dated.status_code == 201, dated.data
    assert dated.data["service_months"] == 24
    assert half.status_code == 400
    assert "service_end" in half.data
    assert wrong.status_code == 400
    assert "service_months" in wrong.data


@pytest.mark.parametrize("month", ["0000-01", "9999-12"])
def test_a_month_out_of_range_is_a_400_naming_the_field(as_user, manager, month):
    response = as_user(manager).post("/api/reconciliation/runs/", {"kind": "bookings", "month": month}, format="json")

    assert response.status_code == 400
    assert "month" in response.data
    assert not ReconciliationRun.objects.exists()


def test_run_api_takes_a_month_and_an_as_of_date_and_says_which_month_it_covered(as_user, manager):
    client = as_user(manager)

    response = client.post(
        "/api/reconciliation/runs/", {"kind": "bookings", "month": "2026-09", "as_of": "2026-11-20"}, format="json"
    )

    assert response.status_code == 202, response.data
    assert (response.data["period"], response.data["as_of"]) == ("2026-09", "2026-11-20")
    shown = client.get(f"/api/reconciliation/runs/{response.data['id']}/").data
    assert shown["period"] == "2026-09"


def test_run_month_defaults_to_the_month_before_as_of(as_user, manager):
    response = as_user(manager).post(
        "/api/reconciliation/runs/", {"kind": "bookings", "as_of": "2026-01-05"}, format="json"
    )

    assert (response.data["period"], response.data["as_of"]) == ("2025-12", "2026-01-05")


def test_bookings_command_takes_as_of_and_defaults_to_the_month_before():
    WonFactory(close_date=date(2026, 10, 15))
    out = StringIO()

    call_command("reconcile_bookings", "--as-of", "2026-11-03", stdout=out)

    run_ = ReconciliationRun.objects.get()
    assert (run_.period, run_.as_of) == ("2026-10", date(2026, 11, 3))
    assert Discrepancy.objects.get().kind == "opportunity_without_invoice"


def test_bookings_command_refuses_a_month_out_of_range():
    with pytest.raises(CommandError, match="--month"):
        call_command("reconcile_bookings", "--month", "0000-01", stdout=StringIO())
    assert not ReconciliationRun.objects.exists()


def test_runs_page_shows_the_month_a_bookings_run_covered(client, manager):
    services.reconciliation_run_create(kind="bookings", month="2026-09", enqueue=False)
    client.force_login(manager)

    page = client.get("/reconciliation/")

    assert page.status_code == 200
    assert "2026-09" in page.content.decode()
