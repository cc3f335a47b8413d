"""CSAT import and the weekly digest."""

from datetime import date
from unittest import mock

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from kpis import services, tasks
from kpis.models import CsatResponse, KpiDigest
from tests.ordermgmt.factories import ManagerFactory, RepFactory, region

from .conftest import submission

pytestmark = pytest.mark.django_db


def test_import_csat_command_loads_every_row(tmp_path):
    rep = RepFactory(username="csv_rep", region=region("EMEA"))
    path = tmp_path / "answers.csv"
    path.write_text(
        "region,quarter,rating,comment,respondent\n"
        "emea,2026-q3,Excellent,Great,csv_rep\n"
        "EMEA,2026-Q3,Very Poor,,\n"
        "APAC,2026-Q3,neutral,,\n"
    )

    call_command("import_csat", str(path))

    assert CsatResponse.objects.count() == 3
    assert CsatResponse.objects.get(respondent=rep).rating == "excellent"
    assert sorted(CsatResponse.objects.values_list("rating", flat=True)) == ["excellent", "neutral", "very_poor"]


def test_import_csat_is_all_or_nothing_and_names_the_line(tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text("region,quarter,rating\nEMEA,2026-Q3,good\nEMEA,2026-Q3,meh\n")

    with pytest.raises(CommandError, match="line 3"):
        call_command("import_csat", str(path))

    assert not CsatResponse.objects.exists()


def test_digest_is_sent_once_per_iso_week():
    ManagerFactory(email="boss@example.com")
    ManagerFactory(email="boss2@example.com")
    rep = RepFactory(region=region("EMEA"))
    submission(owner=rep, om_at="2026-11-16 10:00", om_hours="4")

    first = services.kpi_digest_send(today=date(2026, 11, 23))
    again = services.kpi_digest_send(today=date(2026, 11, 26))  # same ISO week 48
    next_week = services.kpi_digest_send(today=date(2026, 11, 30))

    assert first.week == "2026-W48"
    assert again.pk == first.pk
    assert next_week.week == "2026-W49"
    assert len(mail.outbox) == 2
    assert sorted(mail.outbox[0].to) == ["boss2@example.com", "boss@example.com"]
    assert "Approval SLA (target 100%): 100.0%" in mail.outbox[0].body
    assert first.payload["approval_sla_pct"] == 100.0
    assert KpiDigest.objects.filter(sent_at__isnull=False).count() == 2


def test_a_failed_send_releases_the_claim_so_a_retry_sends():
    ManagerFactory(email="boss@example.com")

    with (
        mock.patch("kpis.services.send_mail", side_effect=OSError("smtp down")),
        pytest.raises(OSError, match="smtp down"),
    ):
        services.kpi_digest_send(today=date(2026, 11, 23))
    assert KpiDigest.objects.get().claimed_at is None

    services.kpi_digest_send(today=date(2026, 11, 23))
    assert len(mail.outbox) == 1


def test_beat_task_runs_the_service():
    ManagerFactory(email="boss@example.com")

    week = tasks.kpi_digest_send.apply().get()

    assert KpiDigest.objects.get().week == week
    assert len(mail.outbox) == 1
