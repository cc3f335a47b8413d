"""KPI definitions: every manager KPI as one documented function of a `Scope` (period, region, person, team).

Each function answers with a fixed number of SQL aggregates (GROUP BY in the database, never a Python loop over
records) and returns plain dicts/lists ready for JSON. An empty period answers `None` ("no data"), never 0%.

Which timestamp puts a record in a period (UTC, half-open [start, end)):

| KPI | record | timestamp |
|---|---|---|
| approval SLA, median / p90 | submission | `om_decided_at` (the OM decision) |
| approval accuracy | Billing decision | `decided_at` |
| CSAT | survey answer | its `quarter` (every quarter the period touches) |
| first response | case | `first_response_at` |
| closed won, license automation | opportunity | `close_date` |
| rejections | OM or Billing rejection | `decided_at` |
| escalations | submission | `escalated_at` |
| speed to month close | submission | `submitted_at` (its month) |
| license tickets and failures | license ticket | `created_at` |
| open discrepancies | discrepancy | open now; age from `first_seen_at` |

`person` means the specialist who made the OM decision for SLA and accuracy, the rep (opportunity owner) for
closed won, rejections, escalations and license automation, the case owner for first response.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    CharField,
    Count,
    Exists,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Concat, TruncMonth, TruncQuarter

from approvals.models import Decision, Submission
from approvals.requirements import rejection_reasons
from cases.models import Case
from licenses.models import LicenseTicket
from ordermgmt.database import is_postgresql
from ordermgmt.models import Opportunity, Region
from subscriptions.models import Discrepancy

from . import sql
from .models import CsatResponse
from .periods import Period, previous_quarters

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


# --- record sets (the drill-downs list exactly these) ---------------------------------------------------------------


def _scoped(qs: QuerySet, scope: Scope, *, region: str = "", person: str = "", team: str = "") -> QuerySet:
    """Narrow `qs` to the scope's region, person and team through the given lookups ("" where one does not apply)."""
    for lookup, value in ((region, scope.region), (person, scope.person), (team, scope.team)):
        if lookup and value:
            qs = qs.filter(**{lookup: value})
    return qs


def sla_submissions(scope: Scope) -> QuerySet[Submission]:
    """Submissions Order Management decided in the period (by `om_decided_at`), in the scope."""
    qs = Submission.objects.filter(_in_period("om_decided_at", scope.period), om_business_hours__isnull=False)
    return _scoped(qs, scope, region="region_id", person="om_decided_by_id")


def billing_decisions(scope: Scope) -> QuerySet[Decision]:
    """Billing decisions made in the period (by `decided_at`) on submissions of the region / OM decider."""
    qs = Decision.objects.filter(_in_period("decided_at", scope.period), stage=Decision.Stage.BILLING)
    return _scoped(qs, scope, region="submission__region_id", person="submission__om_decided_by_id")


def csat_responses(scope: Scope) -> QuerySet[CsatResponse]:
    """Survey answers for every quarter the period touches, in the region."""
    qs = CsatResponse.objects.filter(quarter__in=scope.period.quarters())
    return _scoped(qs, scope, region="region_id")


def first_response_cases(scope: Scope) -> QuerySet[Case]:
    """Cases first answered in the period (by `first_response_at`), of the region, team and owner."""
    qs = Case.objects.filter(_in_period("first_response_at", scope.period), first_response_business_hours__isnull=False)
    return _scoped(qs, scope, region="region_id", team="team__code", person="owner_id")


def closed_won_opportunities(scope: Scope) -> QuerySet[Opportunity]:
    """Closed Won opportunities whose `close_date` falls in the period, of the region and owner."""
    qs = Opportunity.objects.filter(
        stage=Opportunity.Stage.CLOSED_WON, close_date__gte=scope.period.first, close_date__lte=scope.period.last
    )
    return _scoped(qs, scope, region="region_id", person="owner_id")


def rejected_decisions(scope: Scope) -> QuerySet[Decision]:
    """Every rejection, by Order Management or Billing, made in the period; region of the queue, rep owner."""
    qs = Decision.objects.filter(_in_period("decided_at", scope.period), outcome=Decision.Outcome.REJECTED)
    return _decision_scope(qs, scope)


def _decision_scope(qs: QuerySet[Decision], scope: Scope) -> QuerySet[Decision]:
    return _scoped(qs, scope, region="submission__region_id", person="submission__opportunity__owner_id")


def escalated_submissions(scope: Scope) -> QuerySet[Submission]:
    """Submissions escalated in the period (by `escalated_at`); region of the opportunity, rep owner."""
    qs = Submission.objects.filter(_in_period("escalated_at", scope.period), escalated=True)
    return _scoped(qs, scope, region="opportunity__region_id", person="opportunity__owner_id")


def month_submissions(scope: Scope) -> QuerySet[Submission]:
    """Submissions made in the period (by `submitted_at`) that need an OM decision (recalled ones do not)."""
    qs = Submission.objects.filter(_in_period("submitted_at", scope.period)).exclude(
        state=Submission.State.RECALLED, om_decided_at__isnull=True
    )
    return _scoped(qs, scope, region="region_id")


def license_eligible_opportunities(scope: Scope) -> QuerySet[Opportunity]:
    """Closed Won self-managed opportunities closed in the period, annotated with `has_ticket` and `automatic`."""
    ticket = LicenseTicket.objects.filter(opportunity_id=OuterRef("pk"))
    return (
        closed_won_opportunities(scope)
        .filter(deployment=Opportunity.Deployment.SELF_MANAGED)
        .annotate(has_ticket=Exists(ticket))
    )


def license_tickets(scope: Scope) -> QuerySet[LicenseTicket]:
    """License tickets opened in the period (by `created_at`), of the region."""
    qs = LicenseTicket.objects.filter(_in_period("created_at", scope.period))
    return _scoped(qs, scope, region="region_id")


def open_discrepancies(scope: Scope) -> QuerySet[Discrepancy]:
    """Reconciliation discrepancies open now; region from the opportunity, else the subscription's or invoice's
    account. Not period-bound: reconciliation health is a snapshot."""
    qs = Discrepancy.objects.filter(status=Discrepancy.Status.OPEN).annotate(
        region_code=Coalesce(
            "opportunity__region_id", "subscription__account__region_id", "invoice__account__region_id"
        ),
    )
    return _scoped(qs, scope, region="region_code")


# --- the KPIs ---------------------------------------------------------------------------------------------------------


def approval_sla(scope: Scope) -> dict:
    """Approval SLA: the share of OM decisions made within APPROVAL_SLA_BUSINESS_HOURS business hours, with the
    median and 90th percentile business hours from clock start to OM decision (PostgreSQL percentile_cont).

    Returns `{"pct", "decided", "met", "median", "p90"}`; pct/median/p90 are None for an empty period (and
    median/p90 None on SQLite). One query.
    """
    sla = settings.APPROVAL_SLA_BUSINESS_HOURS
    aggregates = {"decided": Count("pk"), "met": Count("pk", filter=Q(om_business_hours__lte=sla))}
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


def approval_accuracy(scope: Scope) -> dict:
    """Approval accuracy: of the opportunities OM approved and sent to Billing, the share Billing did not reject,
    counted over Billing decisions made in the period. `{"pct", "decided", "approved", "rejected"}`. One query."""
    row = billing_decisions(scope).aggregate(
        decided=Count("pk"), approved=Count("pk", filter=Q(outcome=Decision.Outcome.APPROVED))
    )
    return {
        "pct": pct(row["approved"], row["decided"]),
        "decided": row["decided"],
        "approved": row["approved"],
        "rejected": row["decided"] - row["approved"],
    }


def approval_accuracy_by_region(scope: Scope) -> list[dict]:
    """Approval accuracy per queue region: `[{"region", "decided", "approved", "pct"}]`. One query."""
    rows = (
        billing_decisions(scope)
        .values("submission__region_id")
        .annotate(decided=Count("pk"), approved=Count("pk", filter=Q(outcome=Decision.Outcome.APPROVED)))
        .order_by("submission__region_id")
    )
    return [
        {
            "region": r["submission__region_id"],
            "decided": r["decided"],
            "approved": r["approved"],
            "pct": pct(r["approved"], r["decided"]),
        }
        for r in rows
    ]


def csat(scope: Scope) -> dict:
    """Regional support satisfaction: (Excellent + Good + Neutral) / all answers for the period's quarters.
    `{"pct", "responses", "positive"}`. One query."""
    row = csat_responses(scope).aggregate(
        responses=Count("pk"), positive=Count("pk", filter=Q(rating__in=CsatResponse.POSITIVE))
    )
    return {"pct": pct(row["positive"], row["responses"]), **row}


def csat_by_region(scope: Scope) -> list[dict]:
    """CSAT per region: `[{"region", "responses", "positive", "pct"}]`. One query."""
    rows = (
        csat_responses(scope)
        .values("region_id")
        .annotate(responses=Count("pk"), positive=Count("pk", filter=Q(rating__in=CsatResponse.POSITIVE)))
        .order_by("region_id")
    )
    return [
        {
            "region": r["region_id"],
            "responses": r["responses"],
            "positive": r["positive"],
            "pct": pct(r["positive"], r["responses"]),
        }
        for r in rows
    ]


def first_response(scope: Scope) -> dict:
    """Average first response in business hours over cases first answered in the period. `{"avg", "cases"}`."""
    row = first_response_cases(scope).aggregate(cases=Count("pk"), avg=Avg("first_response_business_hours"))
    return {"avg": _num(row["avg"]), "cases": row["cases"]}


def first_response_by_team(scope: Scope) -> list[dict]:
    """Average first response per team and request type, with the type's target and how many met it. One query."""
    rows = (
        first_response_cases(scope)
        .values("team__code", "team__name", "request_type__code", "request_type__name")
        .annotate(
            target=Max("request_type__first_response_hours"),
            cases=Count("pk"),
            avg=Avg("first_response_business_hours"),
            met=Count("pk", filter=Q(first_response_business_hours__lte=F("request_type__first_response_hours"))),
        )
        .order_by("team__name", "request_type__name", "request_type__code")
    )
    return [
        {
            "team": r["team__code"],
            "team_name": r["team__name"],
            "request_type": r["request_type__code"],
            "request_type_name": r["request_type__name"],
            "target": _num(r["target"]),
            "cases": r["cases"],
            "avg": _num(r["avg"]),
            "met_pct": pct(r["met"], r["cases"]),
        }
        for r in rows
    ]


def closed_won_by_region(scope: Scope) -> list[dict]:
    """Closed Won opportunities per region (count and Net ARR), by `close_date`. One query."""
    rows = (
        closed_won_opportunities(scope)
        .values("region_id")
        .annotate(count=Count("pk"), net_arr=Sum("net_arr"))
        .order_by("region_id")
    )
    return [{"region": r["region_id"], "count": r["count"], "net_arr": str(r["net_arr"] or Decimal("0"))} for r in rows]


def closed_won_by_member(scope: Scope) -> list[dict]:
    """Closed Won opportunities per team member (owner), most first. One query."""
    rows = (
        closed_won_opportunities(scope)
        .values("owner_id")
        .annotate(
            first=F("owner__first_name"),
            last=F("owner__last_name"),
            username=F("owner__username"),
            region=F("owner__region_id"),
            count=Count("pk"),
            net_arr=Sum("net_arr"),
        )
        .order_by("-count", "owner_id")
    )
    out = _people(list(rows), "owner_id")
    for r in out:
        r["net_arr"] = str(r["net_arr"] or Decimal("0"))
    return out


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


def trends(scope: Scope, quarters: int = 8) -> dict:
    """The last `quarters` quarters up to the period: SLA %, accuracy %, CSAT % and closed won per quarter
    (None where a quarter has no data). Four queries, each grouped by quarter."""
    qs_periods = previous_quarters(scope.period, quarters)
    span = Period(qs_periods[0].first, qs_periods[-1].last, "trend", "trend")
    wide = Scope(span, scope.region, scope.person, scope.team)
    labels = [p.key for p in qs_periods]
    sla = settings.APPROVAL_SLA_BUSINESS_HOURS

    def by_quarter(qs, field):
        rows = qs.annotate(q=TruncQuarter(field, tzinfo=UTC) if field != "close_date" else TruncQuarter(field)).values(
            "q"
        )
        return rows

    def key_of(value) -> str:
        d = value.date() if isinstance(value, datetime) else value
        return f"{d.year}-Q{(d.month - 1) // 3 + 1}"

    sla_rows = by_quarter(sla_submissions(wide), "om_decided_at").annotate(
        n=Count("pk"), ok=Count("pk", filter=Q(om_business_hours__lte=sla))
    )
    acc_rows = by_quarter(billing_decisions(wide), "decided_at").annotate(
        n=Count("pk"), ok=Count("pk", filter=Q(outcome=Decision.Outcome.APPROVED))
    )
    won_rows = by_quarter(closed_won_opportunities(wide), "close_date").annotate(n=Count("pk"))
    csat_rows = (
        csat_responses(wide)
        .values("quarter")
        .annotate(n=Count("pk"), ok=Count("pk", filter=Q(rating__in=CsatResponse.POSITIVE)))
    )
    sla_map = {key_of(r["q"]): pct(r["ok"], r["n"]) for r in sla_rows.order_by()}
    acc_map = {key_of(r["q"]): pct(r["ok"], r["n"]) for r in acc_rows.order_by()}
    won_map = {key_of(r["q"]): r["n"] for r in won_rows.order_by()}
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
        "approval_accuracy_pct": accuracy["pct"],
        "approval_accuracy_decided": accuracy["decided"],
        "approval_accuracy_rejected": accuracy["rejected"],
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


# --- cache ---------------------------------------------------------------------------------------------------------

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
