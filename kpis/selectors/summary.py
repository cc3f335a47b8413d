"""The whole dashboard: trends, the summary, and its cached copy."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from django.conf import settings
from django.db.models import (
    Count,
    Q,
)
from django.db.models.functions import TruncMonth

from approvals.models import Decision
from ordermgmt.models import Region

from ..models import CsatResponse
from ..periods import Period, previous_quarters, quarter_of
from .base import TARGETS, Scope, health, pct
from .operations import discrepancies_open, license_delivery, speed_to_month_close
from .records import (
    billing_decisions,
    closed_won_opportunities,
    csat_responses,
    sla_submissions,
)
from .service import (
    closed_won_by_member,
    closed_won_by_region,
    csat,
    csat_by_region,
    first_response,
    first_response_by_team,
)
from .workflow import (
    approval_accuracy,
    approval_accuracy_by_region,
    approval_sla,
    approval_sla_by_person,
    approval_sla_by_region,
    escalations_by_region,
    escalations_by_rep,
    rejections_by_reason,
    rejections_by_region,
    rejections_by_rep,
)


def trends(scope: Scope, quarters: int = 8) -> dict:
    """The last `quarters` quarters up to the period: SLA %, accuracy %, CSAT % and closed won per quarter
    (None where a quarter has no data). Four queries, each grouped by quarter."""
    qs_periods = previous_quarters(scope.period, quarters)
    span = Period(qs_periods[0].first, qs_periods[-1].last, "trend", "trend")
    wide = Scope(span, scope.region, scope.person, scope.team)
    labels = [p.key for p in qs_periods]
    sla = settings.APPROVAL_SLA_BUSINESS_HOURS

    # Grouped by month in SQL, then summed into fiscal quarters (which need not start in Jan/Apr/Jul/Oct).
    def by_month(qs, field):
        return qs.annotate(m=TruncMonth(field, tzinfo=UTC) if field != "close_date" else TruncMonth(field)).values("m")

    def per_quarter(rows) -> dict[str, list[int]]:
        totals: dict[str, list[int]] = {}
        for row in rows.order_by():
            day = row["m"].date() if isinstance(row["m"], datetime) else row["m"]
            counts = totals.setdefault(quarter_of(day).key, [0, 0])
            counts[0] += row["n"]
            counts[1] += row.get("ok", 0)
        return totals

    sla_rows = by_month(sla_submissions(wide), "om_decided_at").annotate(
        n=Count("pk"), ok=Count("pk", filter=Q(om_business_hours__lte=sla))
    )
    acc_rows = by_month(billing_decisions(wide), "decided_at").annotate(
        n=Count("pk"), ok=Count("pk", filter=Q(outcome=Decision.Outcome.APPROVED))
    )
    won_rows = by_month(closed_won_opportunities(wide), "close_date").annotate(n=Count("pk"))
    csat_rows = (
        csat_responses(wide)
        .values("quarter")
        .annotate(n=Count("pk"), ok=Count("pk", filter=Q(rating__in=CsatResponse.POSITIVE)))
    )
    sla_map = {key: pct(ok, n) for key, (n, ok) in per_quarter(sla_rows).items()}
    acc_map = {key: pct(ok, n) for key, (n, ok) in per_quarter(acc_rows).items()}
    won_map = {key: n for key, (n, _) in per_quarter(won_rows).items()}
    csat_map = {r["quarter"]: pct(r["ok"], r["n"]) for r in csat_rows.order_by()}
    return {
        "labels": labels,
        "approval_sla_pct": [sla_map.get(k) for k in labels],
        "approval_accuracy_pct": [acc_map.get(k) for k in labels],
        "csat_pct": [csat_map.get(k) for k in labels],
        "closed_won": [won_map.get(k, 0) for k in labels],
    }


def kpi_summary(scope: Scope) -> dict:
    """Every KPI of the scope: the API payload (`GET /api/kpis/`) and the dashboard's tiles and tables."""
    sla = approval_sla(scope)
    accuracy = approval_accuracy(scope)
    satisfaction = csat(scope)
    response = first_response(scope)
    month_close = speed_to_month_close(scope)
    licenses = license_delivery(scope)
    summary = {
        "period": scope.period.key,
        "period_start": scope.period.first.isoformat(),
        "period_end": scope.period.last.isoformat(),
        "region": scope.region,
        "person": scope.person,
        "team": scope.team,
        "approval_sla_pct": sla["pct"],
        "approval_sla_decided": sla["decided"],
        "approval_sla_met": sla["met"],
        "median_decision_business_hours": sla["median"],
        "p90_decision_business_hours": sla["p90"],
        "avg_with_rep_business_hours": sla["with_rep"],
        "approval_accuracy_pct": accuracy["pct"],
        "approval_accuracy_decided": accuracy["decided"],
        "approval_accuracy_rejected": accuracy["rejected"],
        "approval_accuracy_corrected": accuracy["corrected"],
        "csat_pct": satisfaction["pct"],
        "csat_responses": satisfaction["responses"],
        "csat_positive": satisfaction["positive"],
        "avg_first_response_business_hours": response["avg"],
        "first_response_cases": response["cases"],
        "closed_won_by_region": closed_won_by_region(scope),
        "closed_won_by_member": closed_won_by_member(scope),
        "rejections_by_reason": rejections_by_reason(scope),
        "rejections_by_region": rejections_by_region(scope),
        "rejections_by_rep": rejections_by_rep(scope),
        "escalations_by_rep": escalations_by_rep(scope),
        "escalations_by_region": escalations_by_region(scope),
        "speed_to_month_close_days": month_close["days"],
        "speed_to_month_close_months": month_close["months"],
        "license_automatic_pct": licenses["automatic_pct"],
        "license_eligible": licenses["eligible"],
        "license_tickets": licenses["tickets"],
        "license_failures_by_reason": licenses["failures_by_reason"],
        "open_discrepancies": discrepancies_open(scope),
        "approval_sla_by_region": approval_sla_by_region(scope),
        "approval_sla_by_person": approval_sla_by_person(scope),
        "approval_accuracy_by_region": approval_accuracy_by_region(scope),
        "csat_by_region": csat_by_region(scope),
        "first_response_by_team": first_response_by_team(scope),
    }
    summary["targets"] = TARGETS
    summary["health"] = {key: health(key, summary[key]) for key in TARGETS}
    return summary


def regions() -> list[str]:
    return list(Region.objects.order_by("code").values_list("code", flat=True))


REFRESH_SHARE = 0.75  # from this share of the max age on, one caller recomputes while the others keep the copy
LOCK_SECONDS = 30  # a recompute that dies without releasing the lock blocks the others' refresh for this long


def kpi_summary_cached(scope: Scope) -> dict:
    """`kpi_summary` with trends, at most `settings.KPI_MAX_AGE_SECONDS` old, keyed on the scope only.

    A hit costs no query. The payload says how old it is: `computed_at` (UTC, ISO 8601) and `max_age_seconds`.
    Writes do not invalidate it: under a steady stream of decisions that would mean recomputing on nearly every
    read. From REFRESH_SHARE of the max age on, the one caller that takes a lock (`cache.add`) recomputes and the
    others get the copy they have; past the max age nobody gets it. A cold scope is computed by whoever asks.
    """
    from django.core.cache import cache

    max_age = settings.KPI_MAX_AGE_SECONDS
    raw = "|".join(str(part) for part in (scope.period.key, scope.region, scope.person, scope.team))
    key = "kpis:v2:" + hashlib.sha256(raw.encode()).hexdigest()
    now = datetime.now(UTC)
    summary = cache.get(key)
    age = (now - datetime.fromisoformat(summary["computed_at"])).total_seconds() if summary else None
    if age is not None and age < max_age * REFRESH_SHARE:
        return summary
    if age is not None and age < max_age and not cache.add(f"{key}:lock", 1, LOCK_SECONDS):
        return summary  # another process is recomputing this scope
    try:
        summary = kpi_summary(scope)
        summary["trends"] = trends(scope)
        summary["computed_at"] = now.isoformat()
        summary["max_age_seconds"] = max_age
        cache.set(key, summary, max_age)
    finally:
        if age is not None and age < max_age:
            cache.delete(f"{key}:lock")
    return summary
