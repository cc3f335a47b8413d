"""SLA alerts (75% used, breached) sent once each, by beat, in the queue region's business hours; and who the
workflow's notifications reach (region specialists or a backup, Billing, the region's managers)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from approvals import services
from ordermgmt.models import Notification
from ordermgmt.settings.base import CELERY_BEAT_SCHEDULE
from tests.ordermgmt.factories import ManagerFactory, SpecialistFactory, ready_opportunity, region

pytestmark = pytest.mark.django_db
PT = ZoneInfo("America/Los_Angeles")

# AMER: 07:00-17:00 Pacific, cut-off 16:30, US holidays (Thanksgiving: Thursday 2026-11-26); SLA 12 business hours.
# Submitted Wednesday 15:00: Wednesday 15-17 (2) + Friday 07-17 (10) = 12 -> due Friday 17:00 (closing time);
# 75% (9 h) used at Friday 14:00.
SUBMITTED = datetime(2026, 11, 25, 15, 0, tzinfo=PT)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of November 2026, Pacific time."""
    return datetime(2026, 11, day, hour, minute, tzinfo=PT)


def _submitted(rep):
    opp = ready_opportunity(owner=rep, start_date=date(2026, 12, 1))
    services.approval_submit(opportunity_id=opp.pk, actor=rep, now=SUBMITTED)
    return opp


def _alerts(verb: str) -> list[str]:
    return sorted(Notification.objects.filter(verb=verb).values_list("recipient__username", flat=True))


def test_at_risk_and_breach_alerts_once_each_in_business_hours_across_a_holiday_and_a_weekend(rep, specialist):
    amer_manager = ManagerFactory(username="mgr_amer", region=region("AMER"))
    ManagerFactory(username="mgr_emea", region=region("EMEA"))
    _submitted(rep)

    assert services.sla_alerts_send(now=at(27, 13, 59)) == {"sla_breached": 0, "sla_at_risk": 0}
    assert services.sla_alerts_send(now=at(27, 14, 0)) == {"sla_breached": 0, "sla_at_risk": 1}
    # unclaimed: the region's specialists and its managers (not another region's)
    assert _alerts("sla_at_risk") == sorted([specialist.username, amer_manager.username])
    assert services.sla_alerts_send(now=at(27, 14, 5)) == {"sla_breached": 0, "sla_at_risk": 0}  # once

    # due Friday 17:00; at 17:05 and on Saturday AMER is closed: the breach waits for Monday's opening
    assert services.sla_alerts_send(now=at(27, 17, 5))["sla_breached"] == 0
    assert services.sla_alerts_send(now=at(28, 10, 0))["sla_breached"] == 0
    assert services.sla_alerts_send(now=at(30, 7, 0)) == {"sla_breached": 1, "sla_at_risk": 0}
    assert _alerts("sla_breached") == sorted([specialist.username, amer_manager.username])
    assert services.sla_alerts_send(now=at(30, 7, 5))["sla_breached"] == 0


def test_a_claimed_item_alerts_its_claimer_or_their_backup_while_away(rep, specialist):
    backup = SpecialistFactory(username="spec_backup")
    opp = _submitted(rep)
    services.approval_claim(opportunity_id=opp.pk, actor=specialist)
    services.specialist_set_out_of_office(
        actor=specialist, specialist=specialist, start=at(27, 7), end=at(30, 7), backup=backup, now=at(26, 12)
    )
    services.sla_alerts_send(now=at(27, 14))
    # the sweep has not handed the item over yet, but the alert already goes to whoever covers the claimer now
    assert _alerts("sla_at_risk") == [backup.username]


def test_an_item_found_breached_gets_the_breach_alert_only(rep, specialist):
    _submitted(rep)
    assert services.sla_alerts_send(now=at(30, 8)) == {"sla_breached": 1, "sla_at_risk": 0}
    assert services.sla_alerts_send(now=at(30, 9)) == {"sla_breached": 0, "sla_at_risk": 0}
    assert _alerts("sla_at_risk") == []


def test_notifications_reach_the_right_people(rep, specialist, billing, manager):
    backup = SpecialistFactory(username="spec_backup")
    away = SpecialistFactory(username="spec_away")
    services.specialist_set_out_of_office(
        actor=away, specialist=away, start=datetime(2026, 1, 1, tzinfo=PT), end=None, backup=backup
    )
    opp = _submitted(rep)
    # a first submission: the region's specialists, the absent one replaced by their backup
    assert _alerts("submitted") == sorted([specialist.username, backup.username])
    services.approval_escalate(opportunity_id=opp.pk, actor=rep, reason="Customer go-live on Monday")
    escalation = Notification.objects.get(verb="escalated", recipient=manager)
    assert "Customer go-live on Monday" in escalation.message
    services.approval_approve(opportunity_id=opp.pk, actor=specialist)
    assert _alerts("billing_review") == [billing.username]


def test_the_alert_and_cover_jobs_are_scheduled():
    tasks = {entry["task"] for entry in CELERY_BEAT_SCHEDULE.values()}
    assert {"approvals.tasks.sla_alerts_send", "approvals.tasks.coverage_sweep"} <= tasks
