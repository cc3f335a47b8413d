"""Reporting periods: a fiscal quarter (`2027-Q4`, also written `FY27-Q4`), a month (`2026-07`) or a custom
`from`/`to` date range.

Quarters are fiscal (ordermgmt.calendar, FISCAL_YEAR_START_MONTH): `YYYY-Qn` is quarter n of the fiscal year named
YYYY, the calendar year it ends in. With the February default, 2027-Q4 = FY27-Q4 = 2026-11-01..2027-01-31; with
FISCAL_YEAR_START_MONTH=1 the quarters are calendar quarters.

A period is the half-open interval [start, end) of UTC instants from the first day's midnight to the midnight after
its last day. Which timestamp of a record decides its period is documented on each KPI in `kpis.selectors`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from ordermgmt.calendar import fiscal_quarter, fiscal_quarter_dates, fiscal_quarter_label
from ordermgmt.exceptions import ApplicationError

QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")
FY_QUARTER_RE = re.compile(r"^FY(\d{2})-?Q([1-4])$", re.IGNORECASE)
MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MAX_CUSTOM_DAYS = 3 * 366


class PeriodError(ApplicationError):
    """Bad period input: answers 400 naming the offending field."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}", extra={"field": field})
        self.field = field


@dataclass(frozen=True)
class Period:
    """Days `first` to `last`, both included; `key` is how the period is written in URLs and cache keys."""

    first: date
    last: date
    key: str
    label: str

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, datetime.min.time(), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the period (exclusive bound)."""
        return datetime.combine(self.last + timedelta(days=1), datetime.min.time(), tzinfo=UTC)

    @property
    def query(self) -> dict[str, str]:
        """The query-string parameters that select this period again."""
        if self.key.startswith("custom:"):
            return {"from": self.first.isoformat(), "to": self.last.isoformat()}
        return {"period": self.key}

    def quarters(self) -> list[str]:
        """Every fiscal quarter ("2027-Q3") the period touches, in order."""
        out = []
        q = quarter_of(self.first)
        while q.first <= self.last:
            out.append(q.key)
            q = next_quarter(q)
        return out

    def months(self) -> list[date]:
        """The first day of every month the period touches, in order."""
        out, d = [], self.first.replace(day=1)
        while d <= self.last:
            out.append(d)
            d = (d + timedelta(days=32)).replace(day=1)
        return out


def quarter(year: int, q: int) -> Period:
    """Quarter `q` of fiscal year `year` (named by the calendar year it ends in); key "2027-Q4", label "FY27-Q4"."""
    first, last = fiscal_quarter_dates(year, q)
    return Period(first, last, f"{year}-Q{q}", fiscal_quarter_label(year, q))


def quarter_of(day: date) -> Period:
    """The fiscal quarter `day` is in."""
    return quarter(*fiscal_quarter(day))


def quarter_key(raw: str) -> str | None:
    """The stored key ("2027-Q4") of a quarter written "2027-Q4" or "FY27-Q4"; None if it is neither."""
    raw = (raw or "").strip()
    if m := QUARTER_RE.match(raw):
        return raw
    if m := FY_QUARTER_RE.match(raw):
        return f"{2000 + int(m[1])}-Q{m[2]}"
    return None


def next_quarter(p: Period) -> Period:
    return quarter_of(p.last + timedelta(days=1))


def previous_quarters(p: Period, n: int = 8) -> list[Period]:
    """The `n` quarters ending with the one that contains the period's last day, oldest first."""
    out = [quarter_of(p.last)]
    while len(out) < n:
        out.insert(0, quarter_of(out[0].first - timedelta(days=1)))
    return out


def month(year: int, m: int) -> Period:
    first = date(year, m, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return Period(first, last, f"{year}-{m:02d}", first.strftime("%B %Y"))


def _date(field: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PeriodError(field, f"“{value}” is not a date (YYYY-MM-DD).") from None


def parse_period(params, *, today: date | None = None) -> Period:
    """Read `period` (a fiscal quarter YYYY-Qn or FYyy-Qn, or a month YYYY-MM) or `from`+`to` from a QueryDict/dict;
    default: the current fiscal quarter.

    Raises PeriodError naming the field for anything malformed, a reversed range or a range over three years.
    """
    raw = (params.get("period") or "").strip()
    start, stop = (params.get("from") or "").strip(), (params.get("to") or "").strip()
    if raw and (start or stop):
        raise PeriodError("period", "give either period or from/to, not both.")
    if raw:
        if key := quarter_key(raw):
            year, q = int(key[:4]), int(key[-1])
            if not 2 <= year <= 9998:  # its days must be real dates (FY0001 starts in year 0 when it starts in Feb)
                raise PeriodError("period", f"“{raw}” is out of range.")
            return quarter(year, q)
        if m := MONTH_RE.match(raw):
            if not 1 <= int(m[1]) <= 9998:
                raise PeriodError("period", f"“{raw}” is out of range.")
            return month(int(m[1]), int(m[2]))
        raise PeriodError("period", f"“{raw}” is neither a fiscal quarter (2027-Q4 or FY27-Q4) nor a month (2026-07).")
    if start or stop:
        if not start:
            raise PeriodError("from", "required with to.")
        if not stop:
            raise PeriodError("to", "required with from.")
        first, last = _date("from", start), _date("to", stop)
        if last < first:
            raise PeriodError("to", "must not be before from.")
        if (last - first).days > MAX_CUSTOM_DAYS:
            raise PeriodError("to", "a custom range is at most three years long.")
        return Period(first, last, f"custom:{first}:{last}", f"{first:%d %b %Y} – {last:%d %b %Y}")
    return quarter_of(today or datetime.now(UTC).date())
