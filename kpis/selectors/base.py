"""What every KPI shares: the scope, targets and health, percentages, the period filter."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import (
    Aggregate,
    CharField,
    F,
    FloatField,
    Q,
    Value,
)
from django.db.models.functions import Concat

from ordermgmt.database import is_postgresql

from ..periods import Period

# Targets (SPEC.md "KPIs"): higher is better unless `lower_is_better`.
TARGETS = {
    "approval_sla_pct": 100.0,
    "approval_accuracy_pct": 95.0,
    "csat_pct": 92.0,
    "avg_first_response_business_hours": 6.0,
}
LOWER_IS_BETTER = {"avg_first_response_business_hours"}
AGE_BUCKETS = (("0-7", 0, 7), ("8-30", 8, 30), ("31-90", 31, 90), ("90+", 91, None))


@dataclass(frozen=True)
class Scope:
    """What a KPI is computed over: a period and optionally one region, one person (user id) and one case team."""

    period: Period
    region: str | None = None
    person: int | None = None
    team: str | None = None


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate `percentile_cont(p) WITHIN GROUP (ORDER BY expr)`."""

    function = "percentile_cont"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, percentile: float, **extra):
        super().__init__(expression, percentile=float(percentile), **extra)


def has_percentiles() -> bool:
    """Only PostgreSQL has percentile_cont; on the SQLite demo database median and p90 answer None."""
    return is_postgresql()


def pct(part: int | None, whole: int | None) -> float | None:
    """`part / whole` as a percentage rounded to 2 places; None when there is nothing to divide by."""
    if not whole:
        return None
    return round(100.0 * (part or 0) / whole, 2)


def _num(value) -> float | None:
    if value is None:
        return None
    return round(float(value), 2)


def health(key: str, value: float | None) -> str:
    """Tile colour: green met, yellow missed by at most 10% of the target, red missed by more, grey no data/target."""
    target = TARGETS.get(key)
    if value is None or target is None:
        return "grey"
    if key in LOWER_IS_BETTER:
        if value <= target:
            return "green"
        return "yellow" if value <= target * 1.1 else "red"
    if value >= target:
        return "green"
    return "yellow" if value >= target * 0.9 else "red"


def _in_period(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def _name(prefix: str):
    """`First Last` of a related user, falling back to the username, computed in SQL."""
    full = Concat(F(f"{prefix}first_name"), Value(" "), F(f"{prefix}last_name"), output_field=CharField())
    return full, F(f"{prefix}username")


def _people(rows, id_key: str) -> list[dict]:
    out = []
    for row in rows:
        name = (row.pop("first") or "").strip() + " " + (row.pop("last") or "").strip()
        username = row.pop("username")
        row["person_id"] = row.pop(id_key)
        row["name"] = name.strip() or username or "—"
        out.append(row)
    return out
