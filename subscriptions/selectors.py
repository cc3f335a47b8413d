"""Reads of the subscriptions app: scoped, optimised, deterministically ordered QuerySets."""

from __future__ import annotations

from django.db.models import Case, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from ordermgmt.models import Opportunity

from .models import Discrepancy, DiscrepancyEvent, Invoice, ReconciliationRun, Subscription


def renewal_rank_order() -> list:
    """The order that picks a subscription's renewal among several: Closed Won, then open, then Closed Lost."""
    rank = Case(
        When(stage=Opportunity.Stage.CLOSED_WON, then=Value(0)),
        When(stage=Opportunity.Stage.CLOSED_LOST, then=Value(2)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return [rank, "created_at", "pk"]


def subscription_list(*, user) -> QuerySet[Subscription]:
    """Every subscription with `renewal_opportunity_id`: its one non-duplicate renewal (the best one if several)."""
    renewal = (
        Opportunity.objects.filter(subscription=OuterRef("pk"), type=Opportunity.Type.RENEWAL)
        .exclude(stage=Opportunity.Stage.DUPLICATE)
        .order_by(*renewal_rank_order())
        .values("pk")[:1]
    )
    return (
        Subscription.objects.visible_to(user).annotate(renewal_opportunity_id=Subquery(renewal)).order_by("name", "pk")
    )


def invoice_list(*, user) -> QuerySet[Invoice]:
    return Invoice.objects.visible_to(user).order_by("-invoice_date", "number", "pk")


def run_list() -> QuerySet[ReconciliationRun]:
    """Runs, newest first."""
    return ReconciliationRun.objects.select_related("started_by").order_by("-created_at", "-pk")


def discrepancy_list(*, user) -> QuerySet[Discrepancy]:
    """The discrepancies `user` may see and fix, with the records they involve, oldest finding first within a
    kind."""
    return (
        Discrepancy.objects.visible_to(user)
        .select_related("subscription", "opportunity", "invoice", "run", "resolved_by")
        .order_by("kind", "first_seen_at", "pk")
    )


def discrepancy_with_region(queryset: QuerySet[Discrepancy]) -> QuerySet[Discrepancy]:
    """`queryset` with `region_code`: the region a discrepancy belongs to (Discrepancy.objects.in_regions' rule)."""
    return queryset.annotate(
        region_code=Coalesce(
            "opportunity__region_id", "subscription__account__region_id", "invoice__account__region_id"
        )
    )


def discrepancy_events(*, discrepancy: Discrepancy) -> QuerySet[DiscrepancyEvent]:
    return discrepancy.events.select_related("actor").order_by("at", "pk")
