"""Management commands: reconcile by hand, and CSV imports (all rows or none)."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from subscriptions.models import Discrepancy, ReconciliationRun, Subscription
from tests.ordermgmt.factories import AccountFactory

from .factories import SubscriptionFactory, WonFactory

pytestmark = pytest.mark.django_db


def test_reconcile_renewals_as_of_a_date():
    SubscriptionFactory(term_end=date(2026, 11, 30))
    out = StringIO()

    call_command("reconcile_renewals", "--as-of", "2026-11-02", stdout=out)
    call_command("reconcile_renewals", "--as-of", "2026-12-15", stdout=out)  # the term has ended by then

    runs = ReconciliationRun.objects.order_by("pk")
    assert [r.as_of for r in runs] == [date(2026, 11, 2), date(2026, 12, 15)]
    assert Discrepancy.objects.get().status == "resolved"
    assert "'missing_renewal': 1" in out.getvalue()


def test_reconcile_bookings_for_a_month():
    WonFactory()
    call_command("reconcile_bookings", "--month", "2026-10", stdout=StringIO())
    assert Discrepancy.objects.get().kind == "opportunity_without_invoice"


def test_reconcile_refuses_while_a_run_is_active():
    ReconciliationRun.objects.create(kind="bookings", as_of=date(2026, 10, 1), status="queued")
    with pytest.raises(CommandError, match="already queued"):
        call_command("reconcile_bookings", "--month", "2026-10")


def test_import_subscriptions_upserts_and_refuses_a_file_with_a_bad_row(tmp_path):
    account = AccountFactory()
    good = tmp_path / "subs.csv"
    good.write_text(
        "name,account,status,term_start,term_end,carr,exception,exception_reason\n"
        f"A-1,{account.pk},active,2025-12-01,2026-11-30,100.00,,\n"
        f"A-2,{account.pk},active,2025-12-01,2026-11-30,200.00,contract_reset,Reset in 2025\n"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "name,account,status,term_start,term_end,carr,exception,exception_reason\n"
        f"A-1,{account.pk},active,2025-12-01,2026-11-30,999.00,,\n"
        f"A-3,{account.pk},active,2025-12-01,2024-01-01,1.00,,\n"
    )

    call_command("import_subscriptions", str(good), stdout=StringIO())
    with pytest.raises(CommandError, match="line 3"):
        call_command("import_subscriptions", str(bad), stdout=StringIO())

    assert dict(Subscription.objects.values_list("name", "carr")) == {"A-1": 100, "A-2": 200}
    assert Subscription.objects.get(name="A-2").exception == "contract_reset"


def test_import_invoices(tmp_path):
    opp = WonFactory()
    path = tmp_path / "inv.csv"
    path.write_text(
        f"number,account,opportunity,amount,net_arr,invoice_date\nINV-9,{opp.account_id},{opp.pk},10.00,,2026-10-01\n"
    )
    out = StringIO()
    call_command("import_invoices", str(path), stdout=out)
    assert "1 created" in out.getvalue()
