"""Month and quarter end: extended hours on the month's last business days (set by managers), the escalation warning
in the quarter's last 2 business days, "closes this month" on the queue; a calendar edit keeps paused time."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from approvals import services
from approvals.models import Submission
from approvals.sla import closes_this_month, extended_hours_today, period_end_flag, quarter_closing_days, sla_times
from ordermgmt.calendar import calendar_cache_clear, fiscal_quarter_end_months
from ordermgmt.models import Region
from tests.ordermgmt.factories import ready_opportunity

pytestmark = pytest.mark.django_db
PT = ZoneInfo("America/Los_Angeles")


def amer(days: int = 2, until: time | None = time(20, 0)) -> Region:
    """AMER with the month's last `days` business days open until `until`."""
    Region.objects.filter(pk="AMER").update(period_end_days=days, period_end_support_end=until)
    calendar_cache_clear()
    return Region.objects.prefetch_related("closures").get(pk="AMER")


def test_month_end_extended_hours_count_in_the_sla():
    # November 2026's last business days in AMER: Friday the 27th and Monday the 30th (Thursday 26th: Thanksgiving).
    submitted = datetime(2026, 11, 27, 15, 0, tzinfo=PT)
    assert sla_times(submitted, amer(days=0)).due_at == datetime(2026, 11, 30, 17, 0, tzinfo=PT)  # 2 h + 10 h
    # extended until 20:00: Friday 15-20 (5 h) + Monday 07-14 (7 h)
    assert sla_times(submitted, amer()).due_at == datetime(2026, 11, 30, 14, 0, tzinfo=PT)
    region = amer()
    assert extended_hours_today(datetime(2026, 11, 27, 9, 0, tzinfo=PT), region) == "20:00"
    assert extended_hours_today(datetime(2026, 11, 25, 9, 0, tzinfo=PT), region) is None  # 3rd-last business day


def test_fiscal_quarters_end_in_january_april_july_and_october_by_default():
    assert fiscal_quarter_end_months() == {1, 4, 7, 10}


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2027, 1, 29, 9, 0, tzinfo=PT), "quarter_end"),  # FY27 Q4 ends on 31 January
        (datetime(2026, 10, 30, 9, 0, tzinfo=PT), "quarter_end"),  # Q3 ends on 31 October
        (datetime(2026, 12, 29, 9, 0, tzinfo=PT), "month_end"),  # December closes a month, not a fiscal quarter
        (datetime(2026, 3, 30, 9, 0, tzinfo=PT), "month_end"),
    ],
)
def test_the_queue_flags_the_fiscal_quarters_close(moment, expected):
    assert period_end_flag(moment) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2027, 1, 27, 12, 0, tzinfo=PT), None),  # Wednesday: 3 business days left
        (datetime(2027, 1, 28, 12, 0, tzinfo=PT), 2),  # Thursday
        (datetime(2027, 1, 29, 12, 0, tzinfo=PT), 1),  # Friday, the quarter's last business day
        (datetime(2026, 12, 30, 12, 0, tzinfo=PT), None),  # December closes no fiscal quarter
    ],
)
def test_the_escalation_warning_runs_in_the_quarters_last_two_business_days(moment, expected):
    assert quarter_closing_days(moment, amer(days=0)) == expected


def test_closes_this_month_is_read_in_pacific_time():
    now = datetime(2026, 12, 1, 6, 0, tzinfo=ZoneInfo("UTC"))  # still 30 November in Los Angeles
    assert closes_this_month(date(2026, 11, 30), now)
    assert not closes_this_month(date(2026, 12, 15), now)


def test_queue_and_detail_pages_show_month_and_quarter_end(client, rep, specialist):
    amer()
    opp = ready_opportunity(owner=rep, start_date=date(2027, 1, 30))
    with time_machine.travel(datetime(2027, 1, 28, 9, 0, tzinfo=PT), tick=False):
        services.approval_submit(opportunity_id=opp.pk, actor=rep)
        client.force_login(specialist)
        queue = client.get(reverse("approvals:queue")).content.decode()
        client.force_login(rep)
        detail = client.get(reverse("approvals:opportunity_detail", args=[opp.pk])).content.decode()
    assert "month-end extended hours today, until 20:00" in queue
    assert 'data-testid="closes-this-month"' in queue
    assert "The quarter closes in 2 business days" in detail


def test_a_calendar_edit_keeps_the_time_the_item_spent_with_the_rep(rep, specialist):
    amer(days=0)
    opp = ready_opportunity(owner=rep, start_date=date(2026, 12, 1))
    services.approval_submit(opportunity_id=opp.pk, actor=rep, now=datetime(2026, 11, 23, 9, 0, tzinfo=PT))
    services.approval_info_request(
        opportunity_id=opp.pk, actor=specialist, question="PO?", now=datetime(2026, 11, 23, 13, 0, tzinfo=PT)
    )
    services.approval_info_respond(
        opportunity_id=opp.pk, actor=rep, answer="Final", now=datetime(2026, 11, 27, 10, 0, tzinfo=PT)
    )
    assert services.sla_recompute(region=Region.objects.get(pk="AMER")) == 1
    # as computed when the rep answered: 12 h + 27 h with the rep, from Monday 09:00 -> Monday 30th 08:00
    assert Submission.objects.get().sla_due_at == datetime(2026, 11, 30, 8, 0, tzinfo=PT)
