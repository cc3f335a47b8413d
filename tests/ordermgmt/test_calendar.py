"""Business-calendar arithmetic: properties against a brute-force minute-by-minute reference, then the handbook's cases.

The reference classifies every UTC minute of late 2025 to early 2028 on its own (local date a weekday, not a public
holiday per the `holidays` package, not a closure, local time in [support_start, support_end)) and keeps a prefix
count, so each hypothesis example is answered in O(1) / O(log n) from an independent computation.
"""

import functools
from array import array
from bisect import bisect_left, bisect_right
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from approvals.sla import held_until, month_lock_date, period_end_flag, sla_state, sla_times
from ordermgmt.calendar import (
    BusinessCalendar,
    add_business_hours,
    business_hours_between,
    calendar_for,
    next_opening,
    sla_clock_start,
)
from ordermgmt.models import Region, RegionClosure

# The seeded regions (ordermgmt/migrations/0003_seed_regions.py), built directly: the properties need no database.
AMER = BusinessCalendar("America/Los_Angeles", time(7), time(17), time(16, 30), "US")
EMEA = BusinessCalendar("Etc/GMT", time(8), time(17), time(16, 30), "GB", "ENG")
APAC = BusinessCalendar("Asia/Manila", time(9), time(18), time(16, 30), "PH")
# AMER with company closures, some of them right after a DST change or next to a holiday.
AMER_CLOSED = BusinessCalendar(
    "America/Los_Angeles",
    time(7),
    time(17),
    time(16, 30),
    "US",
    closures=frozenset({date(2026, 3, 9), date(2026, 11, 2), date(2026, 11, 27), date(2026, 12, 24), date(2027, 7, 2)}),
)
CALENDARS = {"AMER": AMER, "EMEA": EMEA, "APAC": APAC, "AMER_CLOSED": AMER_CLOSED}

PROPERTY = settings(max_examples=150, deadline=None)
MINUTE = timedelta(minutes=1)
ORIGIN = datetime(2025, 12, 20, tzinfo=UTC)
HORIZON = datetime(2028, 1, 25, tzinfo=UTC)


def _index(moment: datetime) -> int:
    delta = moment - ORIGIN
    assert delta % MINUTE == timedelta(), f"{moment} is not minute-aligned"
    return delta // MINUTE


class MinuteReference:
    """prefix[k] = number of business minutes in [ORIGIN, ORIGIN + k minutes), every minute classified alone."""

    def __init__(self, cal: BusinessCalendar):
        tz = ZoneInfo(cal.timezone)
        public = holidays.country_holidays(cal.holiday_country, subdiv=cal.holiday_subdivision or None)
        business_day: dict[date, bool] = {}
        prefix = array("i", [0])
        count = 0
        moment = ORIGIN
        for _ in range(_index(HORIZON)):
            local = moment.astimezone(tz)
            day = local.date()
            is_day = business_day.get(day)
            if is_day is None:
                is_day = business_day[day] = day.weekday() < 5 and day not in public and day not in cal.closures
            if is_day and cal.support_start <= local.time() < cal.support_end:
                count += 1
            prefix.append(count)
            moment += MINUTE
        self.prefix = prefix
        self.tz = tz

    def moment(self, k: int) -> datetime:
        return ORIGIN + k * MINUTE

    def is_business_minute(self, k: int) -> bool:
        return self.prefix[k + 1] - self.prefix[k] == 1

    def minutes(self, i: int, j: int) -> int:
        return self.prefix[j] - self.prefix[i]

    def reach(self, i: int, n: int) -> int:
        """The earliest k with n business minutes in [i, k) (n > 0)."""
        k = bisect_left(self.prefix, self.prefix[i] + n)
        assert k < len(self.prefix), "reference horizon too short"
        return k

    def first_business_minute(self, i: int) -> int:
        """The first business minute at or after minute i."""
        return bisect_right(self.prefix, self.prefix[i]) - 1


@functools.cache
def reference(name: str) -> MinuteReference:
    return MinuteReference(CALENDARS[name])


def _utc_index(year, month, day, hour=0) -> int:
    return _index(datetime(year, month, day, hour, tzinfo=UTC))


# Weeks the properties should see often: DST changes in Los Angeles, holiday clusters of all three countries.
FOCUS = [
    _utc_index(2026, 3, 8, 10),  # spring forward 2026
    _utc_index(2026, 11, 1, 9),  # fall back 2026
    _utc_index(2027, 3, 14, 10),  # spring forward 2027
    _utc_index(2027, 11, 7, 9),  # fall back 2027
    _utc_index(2026, 11, 26),  # Thanksgiving 2026
    _utc_index(2026, 12, 25),  # Christmas / Boxing Day (observed) 2026
    _utc_index(2027, 12, 27),  # Christmas 2027, GB substitutes on 27th and 28th
    _utc_index(2026, 4, 3),  # Easter 2026 (GB Good Friday / Easter Monday, PH Holy Week)
    _utc_index(2027, 3, 26),  # Easter 2027
    _utc_index(2027, 1, 1),  # New Year 2027
]
FIRST = _utc_index(2026, 1, 1)
LAST = _utc_index(2027, 12, 20)


def _boundary_minutes(cal: BusinessCalendar):
    """Minutes exactly at (or one minute before) a local opening, closing, cut-off or midnight."""
    tz = ZoneInfo(cal.timezone)
    marks = [cal.support_start, cal.support_end, cal.cutoff, time(0)]

    def build(day_offset: int, mark: time, minus_one: bool) -> int:
        local = datetime.combine(date(2026, 1, 1) + timedelta(days=day_offset), mark, tz)
        return _index(local.astimezone(UTC)) - (1 if minus_one else 0)

    return st.builds(build, st.integers(0, 718), st.sampled_from(marks), st.booleans())


def minute_indexes(cal: BusinessCalendar):
    return st.one_of(
        st.integers(FIRST, LAST),
        st.sampled_from(FOCUS).flatmap(lambda centre: st.integers(centre - 7 * 1440, centre + 7 * 1440)),
        _boundary_minutes(cal),
    )


# The arithmetic must not depend on the time zone the caller's datetimes are expressed in.
ZONES = st.sampled_from(["UTC", "America/Los_Angeles", "Etc/GMT", "Asia/Manila", "Asia/Kolkata"])


def _as(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def _hours_equal(hours: float, minutes: int) -> bool:
    return abs(hours * 60 - minutes) < 1e-6


# --- properties against the minute reference ----------------------------------------------------------------------


@pytest.mark.parametrize("name", CALENDARS)
@PROPERTY
@given(data=st.data())
def test_business_hours_between_matches_minute_reference(name, data):
    cal, ref = CALENDARS[name], reference(name)
    i = data.draw(minute_indexes(cal), label="a")
    j = i + data.draw(st.integers(1, 10 * 1440), label="span in minutes")
    a = _as(ref.moment(i), data.draw(ZONES, label="zone of a"))
    b = _as(ref.moment(j), data.draw(ZONES, label="zone of b"))

    hours = business_hours_between(a, b, cal)

    assert _hours_equal(hours, ref.minutes(i, j)), (hours * 60, ref.minutes(i, j))
    assert business_hours_between(b, a, cal) == -hours
    assert business_hours_between(a, a, cal) == 0


@pytest.mark.parametrize("name", CALENDARS)
@PROPERTY
@given(data=st.data())
def test_add_business_hours_lands_where_the_reference_count_reaches_h(name, data):
    cal, ref = CALENDARS[name], reference(name)
    i = data.draw(minute_indexes(cal), label="start")
    n = data.draw(st.integers(1, 30 * 60), label="business minutes")
    start = _as(ref.moment(i), data.draw(ZONES, label="zone"))

    result = add_business_hours(start, n / 60, cal)

    expected = ref.reach(i, n)
    assert result == ref.moment(expected), (result.astimezone(UTC), ref.moment(expected))
    # Equivalently: exactly h business hours from start, and the minute just before the result is a business
    # minute (so no earlier moment has the same count): the result is inside or at the end of a business window.
    assert _hours_equal(business_hours_between(start, result, cal), n)
    assert ref.is_business_minute(expected - 1)
    assert result > start


@pytest.mark.parametrize("name", CALENDARS)
@PROPERTY
@given(data=st.data())
def test_calendar_arithmetic_is_monotonic(name, data):
    cal, ref = CALENDARS[name], reference(name)
    i = data.draw(minute_indexes(cal), label="start")
    i2 = i + data.draw(st.integers(0, 5 * 1440), label="later start offset")
    n1, n2 = sorted(data.draw(st.lists(st.integers(0, 30 * 60), min_size=2, max_size=2), label="minutes"))
    start, later_start = ref.moment(i), ref.moment(i2)

    # more hours never lands earlier; a later start never lands earlier
    assert add_business_hours(start, n1 / 60, cal) <= add_business_hours(start, n2 / 60, cal)
    assert add_business_hours(start, n2 / 60, cal) <= add_business_hours(later_start, n2 / 60, cal)
    # a later end never counts fewer hours; a later start never counts more
    b1 = ref.moment(i + n1 * 4)
    b2 = ref.moment(i + n2 * 4)
    assert business_hours_between(start, b1, cal) <= business_hours_between(start, b2, cal)
    assert business_hours_between(later_start, b2, cal) <= business_hours_between(start, b2, cal)


@pytest.mark.parametrize("name", CALENDARS)
@PROPERTY
@given(data=st.data())
def test_next_opening_and_sla_clock_start_match_reference(name, data):
    cal, ref = CALENDARS[name], reference(name)
    i = data.draw(minute_indexes(cal), label="submitted")
    submitted = _as(ref.moment(i), data.draw(ZONES, label="zone"))
    local = submitted.astimezone(ref.tz)

    assert next_opening(submitted, cal) == ref.moment(ref.first_business_minute(i))
    assert add_business_hours(submitted, 0, cal) == next_opening(submitted, cal)

    if local.time() >= cal.cutoff:
        # after the cut-off (business day or not): the first business minute of a later local day
        next_midnight = datetime.combine(local.date() + timedelta(days=1), time(0), ref.tz)
        expected = ref.first_business_minute(_index(next_midnight.astimezone(UTC)))
    else:
        expected = ref.first_business_minute(i)
    clock = sla_clock_start(submitted, cal)
    assert clock == ref.moment(expected)

    times = sla_times(submitted, cal, hours=12)
    assert times.clock_started_at == clock
    assert times.due_at == ref.moment(ref.reach(expected, 12 * 60))
    assert times.at_risk_at == ref.moment(ref.reach(expected, 9 * 60))


# --- handbook cases, computed by hand -----------------------------------------------------------------------------

PT = ZoneInfo("America/Los_Angeles")
GMT = ZoneInfo("Etc/GMT")
MANILA = ZoneInfo("Asia/Manila")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_friday_after_cutoff_in_amer_starts_monday_and_is_due_tuesday_nine():
    # Fri 2026-05-15 16:45 PDT is after the 16:30 cut-off -> clock starts Mon 2026-05-18 07:00 PDT.
    # 12 business hours = Mon 07:00-17:00 (10 h) + Tue 07:00-09:00 (2 h) -> due Tue 2026-05-19 09:00 PDT = 16:00 UTC.
    # At risk after 9 h (25 % left) -> Mon 16:00 PDT = 23:00 UTC.
    times = sla_times(datetime(2026, 5, 15, 16, 45, tzinfo=PT), AMER, hours=12)
    assert times.clock_started_at == datetime(2026, 5, 18, 7, 0, tzinfo=PT)
    assert times.due_at == datetime(2026, 5, 19, 9, 0, tzinfo=PT) == utc(2026, 5, 19, 16, 0)
    assert times.at_risk_at == utc(2026, 5, 18, 23, 0)


def test_default_sla_is_twelve_business_hours(settings):
    assert settings.APPROVAL_SLA_BUSINESS_HOURS == 12
    times = sla_times(datetime(2026, 5, 15, 16, 45, tzinfo=PT), AMER)
    assert times.due_at == datetime(2026, 5, 19, 9, 0, tzinfo=PT)


def test_weekday_after_cutoff_starts_next_morning_but_just_before_cutoff_starts_at_once():
    # Wed 2026-05-13 16:40 PDT (after 16:30) -> Thu 07:00; 10 h Thu + 2 h Fri -> due Fri 2026-05-15 09:00 PDT.
    late = sla_times(datetime(2026, 5, 13, 16, 40, tzinfo=PT), AMER, hours=12)
    assert late.clock_started_at == datetime(2026, 5, 14, 7, 0, tzinfo=PT)
    assert late.due_at == datetime(2026, 5, 15, 9, 0, tzinfo=PT)
    # Wed 16:29 PDT (before the cut-off) starts at once: 31 min Wed + 10 h Thu = 10 h 31, 1 h 29 left on Friday
    # -> due Fri 07:00 + 1:29 = 08:29 PDT.
    early = sla_times(datetime(2026, 5, 13, 16, 29, tzinfo=PT), AMER, hours=12)
    assert early.clock_started_at == datetime(2026, 5, 13, 16, 29, tzinfo=PT)
    assert early.due_at == datetime(2026, 5, 15, 8, 29, tzinfo=PT)
    # Exactly 16:30 is already after the cut-off.
    assert sla_clock_start(datetime(2026, 5, 13, 16, 30, tzinfo=PT), AMER) == datetime(2026, 5, 14, 7, 0, tzinfo=PT)


def test_before_opening_starts_at_the_same_days_opening():
    # Tue 2026-05-12 05:10 PDT -> clock at 07:00 the same day; 10 h Tue + 2 h Wed -> due Wed 09:00 PDT.
    times = sla_times(datetime(2026, 5, 12, 5, 10, tzinfo=PT), AMER, hours=12)
    assert times.clock_started_at == datetime(2026, 5, 12, 7, 0, tzinfo=PT)
    assert times.due_at == datetime(2026, 5, 13, 9, 0, tzinfo=PT)


def test_saturday_submission_starts_monday():
    # Sat 2026-05-16 10:00 PDT -> Mon 2026-05-18 07:00 PDT; 10 h Mon + 2 h Tue -> Tue 09:00 PDT.
    times = sla_times(datetime(2026, 5, 16, 10, 0, tzinfo=PT), AMER, hours=12)
    assert times.clock_started_at == datetime(2026, 5, 18, 7, 0, tzinfo=PT)
    assert times.due_at == datetime(2026, 5, 19, 9, 0, tzinfo=PT)


def test_thanksgiving_is_skipped_in_amer():
    # Wed 2026-11-25 15:00 PST (UTC-8): 2 h Wed (15-17), Thu 2026-11-26 Thanksgiving, Fri 07:00-17:00 10 h
    # -> 12 h reached exactly at Fri 2026-11-27 17:00 PST = Sat 01:00 UTC (the end of a window, not Monday 07:00).
    times = sla_times(datetime(2026, 11, 25, 15, 0, tzinfo=PT), AMER, hours=12)
    assert times.clock_started_at == datetime(2026, 11, 25, 15, 0, tzinfo=PT)
    assert times.due_at == utc(2026, 11, 28, 1, 0)
    # At risk after 9 h: 2 h Wed + 7 h Fri -> Fri 14:00 PST.
    assert times.at_risk_at == datetime(2026, 11, 27, 14, 0, tzinfo=PT)
    assert not AMER.is_business_day(date(2026, 11, 26))


def test_gb_christmas_and_boxing_day_substitute_in_emea():
    # `holidays` GB-ENG 2026: Fri 12-25 Christmas, Sat 12-26 Boxing Day, Mon 12-28 Boxing Day (observed).
    gb = holidays.country_holidays("GB", subdiv="ENG", years=2026)
    assert {date(2026, 12, 25), date(2026, 12, 26), date(2026, 12, 28)} <= set(gb)
    # Thu 2026-12-24 15:00 GMT: 2 h Thu (15-17), Fri/Sat/Sun/Mon closed, Tue 12-29 08:00-17:00 9 h (11 h),
    # Wed 12-30 08:00 + 1 h -> due Wed 2026-12-30 09:00 GMT = 09:00 UTC.
    times = sla_times(datetime(2026, 12, 24, 15, 0, tzinfo=GMT), EMEA, hours=12)
    assert times.clock_started_at == utc(2026, 12, 24, 15, 0)
    assert times.due_at == utc(2026, 12, 30, 9, 0)
    # Submitted on Christmas Day itself: clock at Tue 12-29 08:00; 9 h Tue + 3 h Wed -> Wed 11:00 GMT.
    times = sla_times(datetime(2026, 12, 25, 10, 0, tzinfo=GMT), EMEA, hours=12)
    assert times.clock_started_at == utc(2026, 12, 29, 8, 0)
    assert times.due_at == utc(2026, 12, 30, 11, 0)


def test_emea_is_gmt_all_year_no_british_summer_time():
    # Mon 2026-07-06 (BST in London) 08:00 Etc/GMT is 08:00 UTC, not 07:00 UTC.
    assert next_opening(utc(2026, 7, 6, 3, 0), EMEA) == utc(2026, 7, 6, 8, 0)


def test_ph_holidays_in_apac():
    # Thu 2026-06-11 17:00 PHT (after cut-off), Fri 06-12 Independence Day -> clock Mon 06-15 09:00 PHT;
    # 9 h Mon (09-18) + 3 h Tue -> due Tue 2026-06-16 12:00 PHT = 04:00 UTC.
    times = sla_times(datetime(2026, 6, 11, 17, 0, tzinfo=MANILA), APAC, hours=12)
    assert times.clock_started_at == datetime(2026, 6, 15, 9, 0, tzinfo=MANILA)
    assert times.due_at == utc(2026, 6, 16, 4, 0)
    # Holy Week: Wed 2026-04-01 10:00 PHT -> 8 h Wed (10-18); Thu 04-02 Maundy Thursday, Fri 04-03 Good Friday,
    # Sat/Sun; Mon 04-06 09:00 + 4 h -> due 13:00 PHT = 05:00 UTC.
    times = sla_times(datetime(2026, 4, 1, 10, 0, tzinfo=MANILA), APAC, hours=12)
    assert times.due_at == utc(2026, 4, 6, 5, 0)


def test_fall_back_week_in_amer_uses_pst_after_the_change():
    # Fri 2026-10-30 14:00 PDT (UTC-7) = 21:00 UTC: 3 h Fri (14-17). Sun 11-01 clocks go back to PST (UTC-8).
    # 9 h left: Mon 2026-11-02 07:00 PST + 9 h = 16:00 PST = Tue 2026-11-03 00:00 UTC (23:00 UTC if PDT were kept).
    times = sla_times(datetime(2026, 10, 30, 14, 0, tzinfo=PT), AMER, hours=12)
    assert times.clock_started_at == utc(2026, 10, 30, 21, 0)
    assert times.due_at == utc(2026, 11, 3, 0, 0)
    assert times.due_at.astimezone(PT).utcoffset() == timedelta(hours=-8)
    # Fri 16:00 PDT: 1 h Fri + 10 h Mon + 1 h Tue -> Tue 2026-11-03 08:00 PST = 16:00 UTC.
    times = sla_times(datetime(2026, 10, 30, 16, 0, tzinfo=PT), AMER, hours=12)
    assert times.due_at == utc(2026, 11, 3, 16, 0)
    # Wall-clock hours across the weekend: Fri 17:00 PDT -> Mon 07:00 PST is 63 h of real time, 0 business hours.
    assert business_hours_between(utc(2026, 10, 31, 0, 0), utc(2026, 11, 2, 15, 0), AMER) == 0
    assert business_hours_between(utc(2026, 10, 30, 21, 0), utc(2026, 11, 3, 0, 0), AMER) == 12


def test_spring_forward_week_in_amer_uses_pdt_after_the_change():
    # Fri 2026-03-06 14:00 PST (UTC-8) = 22:00 UTC: 3 h Fri. Sun 03-08 clocks go forward to PDT (UTC-7).
    # 9 h left: Mon 2026-03-09 07:00 PDT (14:00 UTC) + 9 h = 16:00 PDT = 23:00 UTC.
    times = sla_times(datetime(2026, 3, 6, 14, 0, tzinfo=PT), AMER, hours=12)
    assert times.clock_started_at == utc(2026, 3, 6, 22, 0)
    assert next_opening(utc(2026, 3, 7, 1, 0), AMER) == utc(2026, 3, 9, 14, 0)
    assert times.due_at == utc(2026, 3, 9, 23, 0)


def test_zero_hours_is_start_inside_hours_else_next_opening():
    inside = datetime(2026, 5, 12, 9, 15, tzinfo=PT)
    assert add_business_hours(inside, 0, AMER) == inside
    # the closing instant is not inside [07:00, 17:00): next opening
    assert add_business_hours(datetime(2026, 5, 12, 17, 0, tzinfo=PT), 0, AMER) == datetime(
        2026, 5, 13, 7, 0, tzinfo=PT
    )


def test_fractional_hours():
    # Tue 2026-05-12 16:45 PDT + 0.5 h: 15 min Tue, 15 min Wed -> Wed 07:15 PDT.
    assert add_business_hours(datetime(2026, 5, 12, 16, 45, tzinfo=PT), 0.5, AMER) == datetime(
        2026, 5, 13, 7, 15, tzinfo=PT
    )
    assert business_hours_between(
        datetime(2026, 5, 12, 16, 45, tzinfo=PT), datetime(2026, 5, 13, 7, 15, tzinfo=PT), AMER
    ) == pytest.approx(0.5)


# --- errors --------------------------------------------------------------------------------------------------------

NAIVE = datetime(2026, 5, 12, 9, 0)
AWARE = datetime(2026, 5, 12, 9, 0, tzinfo=PT)


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_business_hours(NAIVE, 1, AMER),
        lambda: business_hours_between(NAIVE, AWARE, AMER),
        lambda: business_hours_between(AWARE, NAIVE, AMER),
        lambda: next_opening(NAIVE, AMER),
        lambda: sla_clock_start(NAIVE, AMER),
        lambda: sla_times(NAIVE, AMER, hours=12),
    ],
    ids=["add", "between-a", "between-b", "next_opening", "clock_start", "sla_times"],
)
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


def test_negative_hours_are_refused():
    with pytest.raises(ValueError, match="negative"):
        add_business_hours(AWARE, -1, AMER)


def test_a_calendar_without_business_hours_gives_up_instead_of_looping():
    empty = BusinessCalendar("UTC", time(9), time(9), time(9), "US")
    with pytest.raises(ValueError, match="no business hours"):
        add_business_hours(AWARE, 1, empty)
    assert business_hours_between(AWARE, AWARE + timedelta(days=7), empty) == 0


# --- regions from the database ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["AMER", "EMEA", "APAC"])
def test_seeded_regions_give_the_calendars_the_properties_use(code):
    assert calendar_for(Region.objects.get(pk=code)) == CALENDARS[code]


def test_calendar_for_returns_a_calendar_as_is():
    assert calendar_for(AMER) is AMER


@pytest.mark.django_db
def test_region_closure_shifts_the_due_time_by_a_day():
    submitted = datetime(2026, 5, 15, 16, 45, tzinfo=PT)  # Friday after the cut-off
    assert sla_times(submitted, Region.objects.get(pk="AMER"), hours=12).due_at == datetime(
        2026, 5, 19, 9, 0, tzinfo=PT
    )

    RegionClosure.objects.create(region_id="AMER", date=date(2026, 5, 18), reason="Company day off")

    # Mon 05-18 closed -> clock Tue 05-19 07:00 PDT; 10 h Tue + 2 h Wed -> due Wed 2026-05-20 09:00 PDT.
    for region in (Region.objects.get(pk="AMER"), Region.objects.prefetch_related("closures").get(pk="AMER")):
        cal = calendar_for(region)
        assert cal.closures == frozenset({date(2026, 5, 18)})
        times = sla_times(submitted, region, hours=12)
        assert times.clock_started_at == datetime(2026, 5, 19, 7, 0, tzinfo=PT)
        assert times.due_at == datetime(2026, 5, 20, 9, 0, tzinfo=PT)
    # other regions are unaffected
    assert calendar_for(Region.objects.get(pk="EMEA")).closures == frozenset()


# --- sla.py helpers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start_date", "submitted_at", "expected"),
    [
        # 15 days ahead: within the booking window, nothing held
        (date(2026, 6, 16), utc(2026, 6, 1, 18, 0), None),
        # 16 days ahead: held until start - 15 days
        (date(2026, 6, 17), utc(2026, 6, 1, 18, 0), date(2026, 6, 2)),
        (date(2026, 9, 1), utc(2026, 6, 1, 18, 0), date(2026, 8, 17)),
        # start date in the past or today
        (date(2026, 5, 1), utc(2026, 6, 1, 18, 0), None),
        (date(2026, 6, 1), utc(2026, 6, 1, 18, 0), None),
        # 03:00 UTC on 06-01 is still 05-31 20:00 in Pacific: 16 days to 06-16, so held (UTC would say 15)
        (date(2026, 6, 16), utc(2026, 6, 1, 3, 0), date(2026, 6, 1)),
    ],
)
def test_held_until(start_date, submitted_at, expected):
    assert held_until(start_date, submitted_at) == expected


@pytest.mark.parametrize(
    ("moment", "kwargs", "expected"),
    [
        (datetime(2026, 3, 31, 12, 0, tzinfo=PT), {}, "quarter_end"),
        (datetime(2026, 3, 27, 0, 0, tzinfo=PT), {}, "quarter_end"),  # 4 days before the 31st
        (datetime(2026, 3, 26, 23, 59, tzinfo=PT), {}, None),  # 5 days before
        (datetime(2026, 4, 30, 9, 0, tzinfo=PT), {}, "month_end"),
        (datetime(2026, 4, 15, 9, 0, tzinfo=PT), {}, None),
        (datetime(2026, 2, 28, 9, 0, tzinfo=PT), {}, "month_end"),  # February, not a leap year
        (datetime(2028, 2, 25, 9, 0, tzinfo=PT), {}, "month_end"),  # leap year: 4 days before the 29th
        (datetime(2028, 2, 24, 9, 0, tzinfo=PT), {}, None),
        (datetime(2026, 12, 31, 23, 59, tzinfo=PT), {}, "quarter_end"),  # the year rolls over
        (datetime(2026, 6, 28, 9, 0, tzinfo=PT), {}, "quarter_end"),
        (datetime(2026, 9, 30, 9, 0, tzinfo=PT), {}, "quarter_end"),
        # Pacific, not UTC: 2026-04-01 05:00 UTC is still 03-31 22:00 PDT; 07:30 UTC is April 1st 00:30 PDT
        (utc(2026, 4, 1, 5, 0), {}, "quarter_end"),
        (utc(2026, 4, 1, 7, 30), {}, None),
        (datetime(2026, 4, 30, 9, 0, tzinfo=PT), {"days_before": 1}, "month_end"),
        (datetime(2026, 4, 29, 9, 0, tzinfo=PT), {"days_before": 1}, None),
        (datetime(2026, 4, 20, 9, 0, tzinfo=PT), {"days_before": 11}, "month_end"),
    ],
)
def test_period_end_flag(moment, kwargs, expected, settings):
    settings.FISCAL_YEAR_START_MONTH = 1  # calendar quarters here; the fiscal default is tested in tests/approvals
    assert period_end_flag(moment, **kwargs) == expected


def test_month_lock_date_is_the_fifth_business_day_of_the_next_month():
    assert month_lock_date(date(2026, 1, 31)) == date(2026, 2, 6)  # Feb 2..6 (the 1st is a Sunday)
    assert month_lock_date(date(2026, 2, 28)) == date(2026, 3, 6)
    assert month_lock_date(date(2026, 8, 15)) == date(2026, 9, 8)  # Sep 1-4, Labor Day the 7th, then the 8th
    assert month_lock_date(date(2026, 12, 31)) == date(2027, 1, 8)  # New Year's Day, a Friday, is a holiday


def test_sla_state():
    at_risk, due = utc(2026, 5, 18, 23, 0), utc(2026, 5, 19, 16, 0)
    assert sla_state(now=at_risk - MINUTE, at_risk_at=at_risk, due_at=due) == "ok"
    assert sla_state(now=at_risk, at_risk_at=at_risk, due_at=due) == "at_risk"
    assert sla_state(now=due, at_risk_at=at_risk, due_at=due) == "breached"
