"""The record sets behind the KPIs: the drill-downs list exactly these."""

from __future__ import annotations

from django.db.models import (
    Exists,
    OuterRef,
    QuerySet,
)
from django.db.models.functions import Coalesce

from approvals.models import Decision, Submission
from cases.models import Case
from licenses.models import LicenseTicket
from ordermgmt.models import Opportunity
from subscriptions.models import Discrepancy

from ..models import CsatResponse
from .base import Scope, _in_period


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
