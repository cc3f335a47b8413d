"""Management commands: the review by hand and the CSV back-fill."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from licenses.models import LicenseDelivery, LicenseReviewRun, LicenseTicket

from .factories import closed_won

pytestmark = pytest.mark.django_db


def test_license_review_command_runs_one_region_as_of_a_date_and_is_safe_to_repeat():
    closed_won()
    out = StringIO()

    call_command("license_review", "--as-of", "2026-09-15", "--region", "AMER", stdout=out)
    call_command("license_review", "--as-of", "2026-09-15", "--region", "AMER", stdout=out)

    assert LicenseTicket.objects.count() == 1
    run = LicenseReviewRun.objects.get()
    assert (run.region_id, run.as_of.isoformat(), run.attempts) == ("AMER", "2026-09-15", 2)
    assert "AMER 2026-09-15: done, 1 reviewed" in out.getvalue()


def test_license_review_command_without_region_reviews_every_region():
    call_command("license_review", "--as-of", "2026-09-15", stdout=StringIO())
    assert sorted(LicenseReviewRun.objects.values_list("region_id", flat=True)) == ["AMER", "APAC", "EMEA"]


def test_license_review_command_rejects_a_bad_date():
    with pytest.raises(CommandError):
        call_command("license_review", "--as-of", "15/09/2026")


def test_import_command_back_fills_and_reports_counts(tmp_path):
    opp = closed_won()
    path = tmp_path / "deliveries.csv"
    path.write_text(
        "external_id,opportunity,subscription_name,sold_to_email,delivered_at\n"
        f"B-1,{opp.pk},,buyer@customer.example,2026-09-14T18:00:00Z\n"
        "B-2,,,buyer@customer.example,2026-09-14T18:00:00Z\n"
    )
    out, err = StringIO(), StringIO()

    call_command("import_license_deliveries", str(path), stdout=out, stderr=err)

    assert "created=1 existing=0 invalid=1" in out.getvalue()
    assert "1 invalid row" in err.getvalue()
    assert list(LicenseDelivery.objects.values_list("external_id", "source")) == [("B-1", "csv")]


def test_import_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_license_deliveries", str(tmp_path / "nope.csv"))
