"""Business calendar per region: support hours on business days, in the region's own time zone; and the company's
fiscal calendar (quarters of the fiscal year set by FISCAL_YEAR_START_MONTH).

Pure functions over a `BusinessCalendar` (built from a Region by `calendar_for`). Public holidays come from
the maintained `holidays` package; extra closures (company days off) from RegionClosure rows. Wall-clock
support hours are converted through zoneinfo day by day, so DST changes (America/Los_Angeles) are exact.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

# How far ahead add_business_hours looks for an opening before giving up (guards a calendar with no business days).
_MAX_DAYS_AHEAD = 366 * 3


@functools.lru_cache(maxsize=64)
def _public_holidays(country: str, subdivision: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision or None, years=year).keys())


@dataclass(frozen=True)
class BusinessCalendar:
    """Everything the arithmetic needs about a region, detached from the database."""

    timezone: str
    support_start: time
    support_end: time
    cutoff: time
    holiday_country: str
    holiday_subdivision: str = ""
    closures: frozenset[date] = field(default_factory=frozenset)
    # Month end: the month's last `period_end_days` business days close at `period_end_support_end` instead.
    period_end_days: int = 0
    period_end_support_end: time | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_business_day(self, day: date) -> bool:
        return _is_business_day(self, day)

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The support-hours window of a local day, as aware datetimes."""
        return _window(self, day)

    def windows_from(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        for offset in range(_MAX_DAYS_AHEAD):
            current = day + timedelta(days=offset)
            if self.is_business_day(current):
                yield self.window(current)


# Hot path of every queue row's "business hours remaining": memoised per (calendar, day). Calendars are immutable
# values, so an edited region simply makes a new key.
@functools.lru_cache(maxsize=16384)
def _is_business_day(cal: BusinessCalendar, day: date) -> bool:
    return (
        day.weekday() < 5
        and day not in _public_holidays(cal.holiday_country, cal.holiday_subdivision, day.year)
        and day not in cal.closures
    )


@functools.lru_cache(maxsize=16384)
def _window(cal: BusinessCalendar, day: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(cal.timezone)
    end = cal.period_end_support_end if is_period_end_day(cal, day) else cal.support_end
    return datetime.combine(day, cal.support_start, tz), datetime.combine(day, end, tz)


def is_period_end_day(cal: BusinessCalendar, day: date) -> bool:
    """Whether `day` is one of its month's last `period_end_days` business days (extended hours, when set)."""
    if not (cal.period_end_days and cal.period_end_support_end) or not cal.is_business_day(day):
        return False
    following = 0
    current = day + timedelta(days=1)
    while current.month == day.month:
        following += cal.is_business_day(current)
        current += timedelta(days=1)
    return following < cal.period_end_days


def business_days_left_in_month(cal: BusinessCalendar, day: date) -> int:
    """Business days of `day`'s month from `day` on (itself included when it is one)."""
    count, current = 0, day
    while current.month == day.month:
        count += cal.is_business_day(current)
        current += timedelta(days=1)
    return count


def calendar_for(region) -> BusinessCalendar:
    """The calendar of a Region (or a BusinessCalendar, returned as is)."""
    if isinstance(region, BusinessCalendar):
        return region
    return _region_calendar(
        region.pk,
        region.timezone,
        region.support_start,
        region.support_end,
        region.cutoff,
        region.holiday_country,
        region.holiday_subdivision,
        _closure_stamp(region),
        getattr(region, "period_end_days", 0),
        getattr(region, "period_end_support_end", None),
    )


def _closure_stamp(region) -> tuple[date, ...]:
    # The closures a selector prefetched with the region (`prefetch_related("region__closures")`), else one query.
    return tuple(sorted(closure.date for closure in region.closures.all()))


@functools.lru_cache(maxsize=64)
def _region_calendar(
    code, tz, start, end, cutoff, country, subdivision, closures, period_end_days=0, period_end_support_end=None
) -> BusinessCalendar:
    return BusinessCalendar(
        tz, start, end, cutoff, country, subdivision, frozenset(closures), period_end_days, period_end_support_end
    )


def calendar_cache_clear() -> None:
    """Forget the calendars built so far (after a region's hours or closures were edited)."""
    _region_calendar.cache_clear()


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None:
        raise ValueError("business calendar arithmetic needs timezone-aware datetimes")


def add_business_hours(start: datetime, hours: float, region) -> datetime:
    """The moment `hours` business hours after `start`.

    Time outside support hours does not count; with `hours == 0` the answer is `start` itself when it lies in
    business hours, else the next opening.
    """
    _require_aware(start)
    if hours < 0:
        raise ValueError("hours must not be negative")
    cal = calendar_for(region)
    remaining = timedelta(hours=hours)
    for opening, closing in cal.windows_from(start.astimezone(cal.tz).date() - timedelta(days=1)):
        if closing <= start:
            continue
        begin = max(opening, start)
        available = closing - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise ValueError("no business hours in the next three years: check the region's calendar")


def business_hours_between(a: datetime, b: datetime, region) -> float:
    """Business hours from `a` to `b` (negative when `b` is before `a`)."""
    _require_aware(a)
    _require_aware(b)
    if b < a:
        return -business_hours_between(b, a, region)
    cal = calendar_for(region)
    total = timedelta()
    day = a.astimezone(cal.tz).date() - timedelta(days=1)
    last = b.astimezone(cal.tz).date() + timedelta(days=1)
    while day <= last:
        if cal.is_business_day(day):
            opening, closing = cal.window(day)
            overlap = min(closing, b) - max(opening, a)
            if overlap > timedelta():
                total += overlap
        day += timedelta(days=1)
    return total.total_seconds() / 3600


def in_business_hours(moment: datetime, region) -> bool:
    """Whether `moment` lies inside the region's support hours on a business day (the SLA clock is running)."""
    _require_aware(moment)
    cal = calendar_for(region)
    local = moment.astimezone(cal.tz)
    if not cal.is_business_day(local.date()):
        return False
    opening, closing = cal.window(local.date())
    return opening <= moment < closing


def next_opening(moment: datetime, region) -> datetime:
    """`moment` itself if it is inside business hours, else the start of the next business window."""
    return add_business_hours(moment, 0, region)


def sla_clock_start(submitted_at: datetime, region) -> datetime:
    """When the SLA clock of a submission starts.

    Inside support hours and before the cut-off: at once. After the cut-off, outside hours or on a non-business
    day: at the next business opening (the handbook's "reviewed the following business day").
    """
    _require_aware(submitted_at)
    cal = calendar_for(region)
    local = submitted_at.astimezone(cal.tz)
    if cal.is_business_day(local.date()) and cal.support_start <= local.time() < cal.cutoff:
        return submitted_at
    if cal.is_business_day(local.date()) and local.time() < cal.support_start:
        return cal.window(local.date())[0]
    for opening, _closing in cal.windows_from(local.date() + timedelta(days=1)):
        return opening
    raise ValueError("no business day in the next three years: check the region's calendar")


# --- fiscal calendar -------------------------------------------------------------------------------------------------


def fiscal_year_start_month() -> int:
    """The month the fiscal year starts in (settings.FISCAL_YEAR_START_MONTH; February, as GitLab's, by default)."""
    return getattr(settings, "FISCAL_YEAR_START_MONTH", 2)


def fiscal_quarter(day: date) -> tuple[int, int]:
    """(fiscal year, quarter 1-4) of `day`. A fiscal year is named by the calendar year it ends in, as GitLab does:
    starting in February, 2027-01-31 is (2027, 4) and 2026-02-01 is (2027, 1); starting in January it is the
    calendar year and quarter."""
    start = fiscal_year_start_month()
    months_in = (day.month - start) % 12
    first_year = day.year if day.month >= start else day.year - 1
    return first_year + (start != 1), months_in // 3 + 1


def fiscal_quarter_dates(fiscal_year: int, q: int) -> tuple[date, date]:
    """First and last day of quarter `q` of `fiscal_year`: FY27-Q4 (February start) is 2026-11-01..2027-01-31."""
    start = fiscal_year_start_month()
    month_index = (start - 1) + 3 * (q - 1)  # months after January of the year the fiscal year starts in
    first = date(fiscal_year - (start != 1) + month_index // 12, month_index % 12 + 1, 1)
    after = date(first.year + (first.month + 2) // 12, (first.month + 2) % 12 + 1, 1)
    return first, after - timedelta(days=1)


def fiscal_quarter_bounds(day: date) -> tuple[date, date]:
    """First and last day of the fiscal quarter `day` is in."""
    return fiscal_quarter_dates(*fiscal_quarter(day))


def fiscal_quarter_label(fiscal_year: int, q: int) -> str:
    """How the handbook writes a fiscal quarter: "FY27-Q4"."""
    return f"FY{fiscal_year % 100:02d}-Q{q}"


def fiscal_quarter_end_months() -> set[int]:
    """The months that close a fiscal quarter (February start: January, April, July, October)."""
    start = fiscal_year_start_month()
    return {(start - 2 + 3 * k) % 12 + 1 for k in range(4)}
