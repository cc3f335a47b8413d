"""How the teams serve the field: CSAT, first response, closed won per region and member."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import (
    Avg,
    Count,
    F,
    Max,
    Q,
    Sum,
)

from ..models import CsatResponse
from .base import Scope, _num, _people, pct
from .records import closed_won_opportunities, csat_responses, first_response_cases


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
