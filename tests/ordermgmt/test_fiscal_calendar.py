"""The fiscal calendar (ordermgmt/calendar.py): FISCAL_YEAR_START_MONTH, February by default as GitLab's, and fiscal
years named by the calendar year they end in (FY27 = 2026-02-01..2027-01-31). Boundaries computed by hand."""

import os
import subprocess
import sys
from datetime import date

import pytest

from ordermgmt.calendar import (
    fiscal_quarter,
    fiscal_quarter_bounds,
    fiscal_quarter_dates,
    fiscal_quarter_end_months,
    fiscal_quarter_label,
)


def test_the_default_fiscal_year_starts_in_february(settings):
    assert settings.FISCAL_YEAR_START_MONTH == 2
    assert settings.FISCAL_QUARTER_START_MONTHS == "2,5,8,11"
    csat = settings.CELERY_BEAT_SCHEDULE["csat-invitations-quarterly"]["schedule"]
    assert csat.month_of_year == {2, 5, 8, 11}  # the survey goes out as each fiscal quarter starts


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # FY27 Q4 = 2026-11-01..2027-01-31: its first and last day, and one day either side
        (date(2026, 10, 31), (2027, 3)),
        (date(2026, 11, 1), (2027, 4)),
        (date(2026, 12, 31), (2027, 4)),  # calendar year end is mid-quarter
        (date(2027, 1, 31), (2027, 4)),
        (date(2027, 2, 1), (2028, 1)),
        # FY27 starts on 2026-02-01; 2026-01-31 is the last day of FY26
        (date(2026, 1, 31), (2026, 4)),
        (date(2026, 2, 1), (2027, 1)),
        (date(2026, 4, 30), (2027, 1)),
        (date(2026, 5, 1), (2027, 2)),
        (date(2026, 7, 31), (2027, 2)),
        (date(2026, 8, 1), (2027, 3)),
    ],
)
def test_fiscal_quarter_with_the_february_fiscal_year(day, expected):
    assert fiscal_quarter(day) == expected


def test_fiscal_q4_boundaries_and_label():
    assert fiscal_quarter_dates(2027, 4) == (date(2026, 11, 1), date(2027, 1, 31))
    assert fiscal_quarter_bounds(date(2026, 12, 5)) == (date(2026, 11, 1), date(2027, 1, 31))
    assert fiscal_quarter_label(*fiscal_quarter(date(2026, 12, 5))) == "FY27-Q4"
    assert fiscal_quarter_dates(2027, 1) == (date(2026, 2, 1), date(2026, 4, 30))
    assert fiscal_quarter_dates(2028, 4) == (date(2027, 11, 1), date(2028, 1, 31))
    assert fiscal_quarter_dates(2024, 4) == (date(2023, 11, 1), date(2024, 1, 31))  # FY24: a leap January after it
    assert fiscal_quarter_end_months() == {1, 4, 7, 10}


def test_a_january_fiscal_year_is_the_calendar_year(settings):
    settings.FISCAL_YEAR_START_MONTH = 1

    assert fiscal_quarter(date(2026, 12, 31)) == (2026, 4)
    assert fiscal_quarter_dates(2026, 4) == (date(2026, 10, 1), date(2026, 12, 31))
    assert fiscal_quarter_label(2026, 1) == "FY26-Q1"
    assert fiscal_quarter_end_months() == {3, 6, 9, 12}


def test_an_october_fiscal_year_is_named_by_the_year_it_ends_in(settings):
    # The US federal convention: FY27 = 2026-10-01..2027-09-30
    settings.FISCAL_YEAR_START_MONTH = 10

    assert fiscal_quarter(date(2026, 10, 1)) == (2027, 1)
    assert fiscal_quarter(date(2026, 9, 30)) == (2026, 4)
    assert fiscal_quarter_dates(2027, 4) == (date(2027, 7, 1), date(2027, 9, 30))


@pytest.mark.parametrize("value", ["0", "13", "feb"])
def test_a_fiscal_year_start_month_out_of_range_refuses_to_start(value):
    env = {**os.environ, "FISCAL_YEAR_START_MONTH": value, "DJANGO_SETTINGS_MODULE": "ordermgmt.settings.test"}

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, check=False
    )

    assert result.returncode != 0
    assert "FISCAL_YEAR_START_MONTH" in result.stderr
