"""Month close, license automation and open discrepancies."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.db.models import (
    Count,
    Max,
    Q,
)
from django.db.models.functions import TruncMonth

from licenses.models import LicenseTicket
from subscriptions.models import Discrepancy

from .base import AGE_BUCKETS, Scope, pct
from .records import license_eligible_opportunities, license_tickets, month_submissions, open_discrepancies


def speed_to_month_close(scope: Scope, *, today: date | None = None) -> dict:
    """Speed to month close: for each month of the period that has ended, the days after its last day until every
    submission made in it had its OM decision (0 when all were decided by month end).

    A month still waiting on a decision (or not over yet) has `days` None and `open` > 0. `days` of the KPI is the
    average over the months that did close; None if none did. One query (grouped by month).
    """
    today = today or datetime.now(UTC).date()
    rows = (
        month_submissions(scope)
        .annotate(month=TruncMonth("submitted_at", tzinfo=UTC))
        .values("month")
        .annotate(
            submitted=Count("pk"), open=Count("pk", filter=Q(om_decided_at__isnull=True)), last=Max("om_decided_at")
        )
        .order_by("month")
    )
    months = []
    for r in rows:  # at most one row per month of the period
        first = r["month"].date() if isinstance(r["month"], datetime) else r["month"]
        month_end = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        days = None
        if r["open"] == 0 and month_end < today:
            days = max(0, (r["last"].astimezone(UTC).date() - month_end).days)
        months.append({"month": first.strftime("%Y-%m"), "submitted": r["submitted"], "open": r["open"], "days": days})
    closed = [m["days"] for m in months if m["days"] is not None]
    return {"days": round(sum(closed) / len(closed), 2) if closed else None, "months": months}


def license_delivery(scope: Scope) -> dict:
    """License delivery automation: of Closed Won self-managed opportunities closed in the period, the share
    delivered without a ticket (a delivery date and never a ticket); plus tickets opened in the period and the
    failures by reason. `{"automatic_pct", "eligible", "automatic", "tickets", "failures_by_reason"}`. Two queries.
    """
    row = license_eligible_opportunities(scope).aggregate(
        eligible=Count("pk"),
        automatic=Count("pk", filter=Q(has_ticket=False, license_delivery_date__isnull=False)),
    )
    labels = dict(LicenseTicket.Reason.choices)
    reasons = list(license_tickets(scope).values("reason").annotate(count=Count("pk")).order_by("-count", "reason"))
    return {
        "automatic_pct": pct(row["automatic"], row["eligible"]),
        "eligible": row["eligible"],
        "automatic": row["automatic"],
        "tickets": sum(r["count"] for r in reasons),
        "failures_by_reason": [
            {"reason": r["reason"], "label": labels.get(r["reason"], r["reason"]), "count": r["count"]} for r in reasons
        ],
    }


def discrepancies_open(scope: Scope, *, now: datetime | None = None) -> list[dict]:
    """Open reconciliation discrepancies by kind and age bucket (days since first seen: 0-7, 8-30, 31-90, 90+).
    `[{"kind", "label", "total", "0-7", "8-30", "31-90", "90+"}]`. One query."""
    now = now or datetime.now(UTC)
    buckets = {}
    for name, low, high in AGE_BUCKETS:
        cond = Q(first_seen_at__lte=now - timedelta(days=low))
        if high is not None:
            cond &= Q(first_seen_at__gt=now - timedelta(days=high + 1))
        buckets[name] = Count("pk", filter=cond)
    labels = dict(Discrepancy.Kind.choices)
    rows = open_discrepancies(scope).values("kind").annotate(total=Count("pk"), **buckets).order_by("kind")
    return [
        {"kind": r["kind"], "label": labels.get(r["kind"], r["kind"]), **{k: v for k, v in r.items() if k != "kind"}}
        for r in rows
    ]
