"""SLA arithmetic of a submission: clock start, at-risk and due moments, remaining hours, state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from ordermgmt.calendar import (
    BusinessCalendar,
    add_business_hours,
    business_days_left_in_month,
    business_hours_between,
    calendar_for,
    fiscal_quarter_end_months,
    is_period_end_day,
    sla_clock_start,
)

AT_RISK_SHARE = 0.25  # at risk when less than a quarter of the SLA is left
BOOKING_WINDOW_DAYS = 15  # a deal may close no more than 15 days before its start date
PACIFIC = ZoneInfo("America/Los_Angeles")


@dataclass(frozen=True)
class SlaTimes:
    clock_started_at: datetime
    at_risk_at: datetime
    due_at: datetime


def sla_times(submitted_at: datetime, region, hours: float | None = None) -> SlaTimes:
    """Clock start, at-risk moment and due time of a submission made at `submitted_at` in `region`."""
    hours = settings.APPROVAL_SLA_BUSINESS_HOURS if hours is None else hours
    start = sla_clock_start(submitted_at, region)
    return SlaTimes(
        clock_started_at=start,
        at_risk_at=add_business_hours(start, hours * (1 - AT_RISK_SHARE), region),
        due_at=add_business_hours(start, hours, region),
    )


def business_hours_remaining(due_at: datetime, now: datetime, region) -> float:
    """Business hours left until `due_at` (negative once breached)."""
    return round(business_hours_between(now, due_at, region), 2)


def hours_remaining_at(now: datetime) -> Callable[[datetime, object], float]:
    """`business_hours_remaining` at one instant, computed once per distinct (due time, region): the items of a
    queue page share few due times (every item whose clock started at the same opening)."""
    memo: dict[tuple, float] = {}

    def hours(due_at: datetime, region) -> float:
        key = (due_at, region.code)
        if key not in memo:
            memo[key] = business_hours_remaining(due_at, now, region)
        return memo[key]

    return hours


def sla_state(*, now: datetime, at_risk_at: datetime, due_at: datetime) -> str:
    if now >= due_at:
        return "breached"
    if now >= at_risk_at:
        return "at_risk"
    return "ok"


def held_until(start_date: date, submitted_at: datetime) -> date | None:
    """The earliest bookable date when the start date is more than 15 days after submission, else None."""
    submitted_day = submitted_at.astimezone(PACIFIC).date()
    if start_date - submitted_day > timedelta(days=BOOKING_WINDOW_DAYS):
        return start_date - timedelta(days=BOOKING_WINDOW_DAYS)
    return None


def period_end_flag(moment: datetime, *, days_before: int = 5) -> str | None:
    """ "quarter_end" / "month_end" when `moment` falls in the last days before a 23:59 Pacific period close (a fiscal
    quarter's: FISCAL_YEAR_START_MONTH)."""
    local = moment.astimezone(PACIFIC)
    next_month = (local.replace(day=28) + timedelta(days=4)).replace(day=1)
    last_day = next_month - timedelta(days=1)
    if (last_day.date() - local.date()).days >= days_before:
        return None
    return "quarter_end" if local.month in fiscal_quarter_end_months() else "month_end"


# The company's booking calendar: Pacific time, US holidays (periods close and lock there, whatever the region).
BOOKING_CALENDAR = BusinessCalendar("America/Los_Angeles", time(0, 0), time(23, 59, 59), time(23, 59, 59), "US")
LOCK_BUSINESS_DAY = 5


def month_lock_date(day_in_month: date) -> date:
    """The day after which a month's bookings are locked: the 5th business day of the next month (US holidays)."""
    first = (day_in_month.replace(day=28) + timedelta(days=4)).replace(day=1)
    seen, current = 0, first
    while True:
        if BOOKING_CALENDAR.is_business_day(current):
            seen += 1
            if seen == LOCK_BUSINESS_DAY:
                return current
        current += timedelta(days=1)


def month_locked_after(day_in_month: date) -> datetime:
    """The moment a month's bookings lock: the end of its lock day, 23:59:59 Pacific."""
    return datetime.combine(month_lock_date(day_in_month), time(23, 59, 59), PACIFIC)


def quarter_closing_days(now: datetime, region, *, within: int = 2) -> int | None:
    """Business days left in the quarter (today included) when `now` is in its last `within` business days in the
    region's calendar, else None: the escalation form warns then."""
    cal = calendar_for(region)
    today = now.astimezone(cal.tz).date()
    if today.month not in fiscal_quarter_end_months():
        return None
    left = business_days_left_in_month(cal, today)
    return left if 0 < left <= within else None


def extended_hours_today(now: datetime, region) -> str | None:
    """The later closing time ("HH:MM") when today is one of the region's extended month-end days, else None."""
    cal = calendar_for(region)
    today = now.astimezone(cal.tz).date()
    if is_period_end_day(cal, today):
        return f"{cal.period_end_support_end:%H:%M}"
    return None


def closes_this_month(start_date: date, now: datetime) -> bool:
    """A start date in the current month (Pacific, where periods close): the deal books in this month's close."""
    today = now.astimezone(PACIFIC).date()
    return (start_date.year, start_date.month) == (today.year, today.month)
