"""The approval workflow's KPIs: SLA, accuracy, rejections, escalations."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
)

from approvals.models import Correction, Decision
from approvals.requirements import rejection_reasons
from ordermgmt.database import is_postgresql

from .. import sql
from .base import PercentileCont, Scope, _in_period, _num, _people, has_percentiles, pct
from .records import _decision_scope, billing_decisions, escalated_submissions, rejected_decisions, sla_submissions


def approval_sla(scope: Scope) -> dict:
    """Approval SLA: the share of OM decisions made within APPROVAL_SLA_BUSINESS_HOURS business hours, with the
    median and 90th percentile business hours from clock start to OM decision (PostgreSQL percentile_cont).

    Returns `{"pct", "decided", "met", "median", "p90", "with_rep"}`; pct/median/p90 are None for an empty period (and
    median/p90 None on SQLite). `with_rep` is the average business hours an item waited for the rep's answer (needs
    information), which the decision hours leave out. One query.
    """
    sla = settings.APPROVAL_SLA_BUSINESS_HOURS
    aggregates = {
        "decided": Count("pk"),
        "met": Count("pk", filter=Q(om_business_hours__lte=sla)),
        "with_rep": Avg("om_rep_hours"),
    }
    if has_percentiles():
        aggregates["median"] = PercentileCont("om_business_hours", 0.5)
        aggregates["p90"] = PercentileCont("om_business_hours", 0.9)
    row = sla_submissions(scope).aggregate(**aggregates)
    return {
        "pct": pct(row["met"], row["decided"]),
        "decided": row["decided"],
        "met": row["met"],
        "median": _num(row.get("median")),
        "p90": _num(row.get("p90")),
        "with_rep": _num(row["with_rep"]),
    }


def approval_sla_by_region(scope: Scope) -> list[dict]:
    """Approval SLA per queue region: `[{"region", "decided", "met", "pct"}]`, by region. One query."""
    sla = settings.APPROVAL_SLA_BUSINESS_HOURS
    rows = (
        sla_submissions(scope)
        .values("region_id")
        .annotate(decided=Count("pk"), met=Count("pk", filter=Q(om_business_hours__lte=sla)))
        .order_by("region_id")
    )
    return [
        {"region": r["region_id"], "decided": r["decided"], "met": r["met"], "pct": pct(r["met"], r["decided"])}
        for r in rows
    ]


def approval_sla_by_person(scope: Scope) -> list[dict]:
    """Approval SLA per specialist who made the OM decision, most decisions first. One query."""
    sla = settings.APPROVAL_SLA_BUSINESS_HOURS
    rows = (
        sla_submissions(scope)
        .values("om_decided_by_id")
        .annotate(
            first=F("om_decided_by__first_name"),
            last=F("om_decided_by__last_name"),
            username=F("om_decided_by__username"),
            decided=Count("pk"),
            met=Count("pk", filter=Q(om_business_hours__lte=sla)),
            avg_hours=Avg("om_business_hours"),
        )
        .order_by("-decided", "om_decided_by_id")
    )
    out = _people(list(rows), "om_decided_by_id")
    for r in out:
        r["pct"] = pct(r["met"], r["decided"])
        r["avg_hours"] = _num(r["avg_hours"])
    return out


def _with_corrections(decisions):
    """Billing decisions, each marked when its deal was later corrected (an approved correction after Closed Won):
    accuracy counts that booking as an error."""
    corrected = Correction.objects.filter(
        opportunity=OuterRef("submission__opportunity"), state=Correction.State.APPROVED
    )
    return decisions.annotate(was_corrected=Exists(corrected))


ACCURACY_COUNTS = {
    "decided": Count("pk"),
    "approved": Count("pk", filter=Q(outcome=Decision.Outcome.APPROVED)),
    "corrected": Count("pk", filter=Q(outcome=Decision.Outcome.APPROVED, was_corrected=True)),
}


def approval_accuracy(scope: Scope) -> dict:
    """Approval accuracy: of the opportunities OM approved and sent to Billing, the share Billing did not reject and
    nobody had to correct after Closed Won, counted over Billing decisions made in the period.
    `{"pct", "decided", "approved", "rejected", "corrected"}`. One query."""
    row = _with_corrections(billing_decisions(scope)).aggregate(**ACCURACY_COUNTS)
    return {
        "pct": pct(row["approved"] - row["corrected"], row["decided"]),
        "decided": row["decided"],
        "approved": row["approved"],
        "rejected": row["decided"] - row["approved"],
        "corrected": row["corrected"],
    }


def approval_accuracy_by_region(scope: Scope) -> list[dict]:
    """Approval accuracy per queue region: `[{"region", "decided", "approved", "corrected", "pct"}]`. One query."""
    rows = (
        _with_corrections(billing_decisions(scope))
        .values("submission__region_id")
        .annotate(**ACCURACY_COUNTS)
        .order_by("submission__region_id")
    )
    return [
        {
            "region": r["submission__region_id"],
            "decided": r["decided"],
            "approved": r["approved"],
            "corrected": r["corrected"],
            "pct": pct(r["approved"] - r["corrected"], r["decided"]),
        }
        for r in rows
    ]


def rejections_by_reason(scope: Scope) -> list[dict]:
    """Rejections per reason code: `[{"reason", "label", "count", "share_pct"}]`, most frequent first.

    A decision's `reasons` is a JSON list; it is unnested in SQL (PostgreSQL `jsonb_array_elements_text`, SQLite
    `json_each`). `share_pct` is the share of the period's rejections citing the reason (a rejection can cite
    several, so shares may add up to more than 100). Two queries (total, then per reason).
    """
    rejected = rejected_decisions(scope)
    total = rejected.count()
    if not total:
        return []
    inner_sql, params = rejected.values("pk").query.sql_with_params()
    statement = sql.REASON_COUNTS_POSTGRESQL if is_postgresql() else sql.REASON_COUNTS_SQLITE
    with connection.cursor() as cursor:
        cursor.execute(statement.format(decisions=inner_sql), params)
        counts = cursor.fetchall()
    labels = dict(rejection_reasons())
    return [
        {"reason": code, "label": labels.get(code, code), "count": n, "share_pct": pct(n, total)} for code, n in counts
    ]


def rejections_by_region(scope: Scope) -> list[dict]:
    """Rejections per queue region, with the rejection rate over all decisions there in the period. One query."""
    qs = _decision_scope(Decision.objects.filter(_in_period("decided_at", scope.period)), scope)
    rows = (
        qs.values("submission__region_id")
        .annotate(decisions=Count("pk"), rejected=Count("pk", filter=Q(outcome=Decision.Outcome.REJECTED)))
        .order_by("submission__region_id")
    )
    return [
        {
            "region": r["submission__region_id"],
            "decisions": r["decisions"],
            "rejected": r["rejected"],
            "share_pct": pct(r["rejected"], r["decisions"]),
        }
        for r in rows
    ]


def rejections_by_rep(scope: Scope) -> list[dict]:
    """Rejections per rep (opportunity owner), with their rejection rate over their decisions. One query."""
    qs = _decision_scope(Decision.objects.filter(_in_period("decided_at", scope.period)), scope)
    prefix = "submission__opportunity__owner"
    rows = (
        qs.values(f"{prefix}_id")
        .annotate(
            first=F(f"{prefix}__first_name"),
            last=F(f"{prefix}__last_name"),
            username=F(f"{prefix}__username"),
            decisions=Count("pk"),
            rejected=Count("pk", filter=Q(outcome=Decision.Outcome.REJECTED)),
        )
        .filter(rejected__gt=0)
        .order_by("-rejected", f"{prefix}_id")
    )
    out = _people(list(rows), f"{prefix}_id")
    for r in out:
        r["share_pct"] = pct(r["rejected"], r["decisions"])
    return out


def escalations_by_rep(scope: Scope) -> list[dict]:
    """Escalations per rep (opportunity owner) and their region, most first. One query."""
    rows = (
        escalated_submissions(scope)
        .values("opportunity__owner_id")
        .annotate(
            first=F("opportunity__owner__first_name"),
            last=F("opportunity__owner__last_name"),
            username=F("opportunity__owner__username"),
            region=F("opportunity__region_id"),
            count=Count("pk"),
        )
        .order_by("-count", "opportunity__owner_id", "region")
    )
    return _people(list(rows), "opportunity__owner_id")


def escalations_by_region(scope: Scope) -> list[dict]:
    """Escalations per opportunity region. One query."""
    rows = (
        escalated_submissions(scope)
        .values("opportunity__region_id")
        .annotate(count=Count("pk"))
        .order_by("opportunity__region_id")
    )
    return [{"region": r["opportunity__region_id"], "count": r["count"]} for r in rows]
