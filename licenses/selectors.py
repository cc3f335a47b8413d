"""Reads of the licenses app, scoped to what the user may see."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, DateField, DurationField, Exists, ExpressionWrapper, F, OuterRef, QuerySet, Value
from django.db.models.functions import TruncMonth

from ordermgmt.models import Opportunity, User

from .models import LicenseDelivery, LicenseReviewRun, LicenseTicket

WORKLIST_STATES = ("waiting", "ticketed", "delivered")


def license_ticket_list(*, user: User) -> QuerySet[LicenseTicket]:
    """Tickets `user` may see, oldest first (pk last so pages never shuffle)."""
    return (
        LicenseTicket.objects.visible_to(user)
        .select_related("opportunity", "assignee", "region")
        .order_by("created_at", "pk")
    )


def license_delivery_list(*, user: User) -> QuerySet[LicenseDelivery]:
    return LicenseDelivery.objects.select_related("opportunity").order_by("-delivered_at", "-pk")


def license_review_run_list() -> QuerySet[LicenseReviewRun]:
    return LicenseReviewRun.objects.order_by("-as_of", "region", "-pk")


def license_worklist(*, user: User, state: str, as_of: date) -> QuerySet[Opportunity]:
    """Closed Won, self-managed opportunities in one worklist state, with `aging` (days since Closed Won).

    waiting: no delivery and no open ticket; ticketed: an open ticket; delivered: License Delivery Date set.
    """
    open_ticket = LicenseTicket.objects.filter(opportunity=OuterRef("pk"), status__in=LicenseTicket.OPEN_STATUSES)
    qs = (
        Opportunity.objects.visible_to(user)
        .filter(stage=Opportunity.Stage.CLOSED_WON, deployment=Opportunity.Deployment.SELF_MANAGED)
        .select_related("region", "account")
        .annotate(
            aging=ExpressionWrapper(
                Value(as_of, output_field=DateField()) - F("close_date"), output_field=DurationField()
            )
        )
    )
    if state == "delivered":
        return qs.filter(license_delivery_date__isnull=False).order_by("-license_delivery_date", "-pk")
    qs = qs.filter(license_delivery_date__isnull=True)
    if state == "ticketed":
        return qs.filter(Exists(open_ticket)).order_by("close_date", "pk")
    return qs.filter(~Exists(open_ticket)).order_by("close_date", "pk")


def license_failure_counts(*, user: User, tickets: QuerySet[LicenseTicket] | None = None) -> dict[str, int]:
    """Tickets by failure reason (every reason present, zero included)."""
    tickets = LicenseTicket.objects.visible_to(user) if tickets is None else tickets
    counts = dict.fromkeys(LicenseTicket.Reason.values, 0)
    for row in tickets.order_by().values("reason").annotate(n=Count("id")):
        counts[row["reason"]] = row["n"]
    return counts


def license_failure_catalogue(*, user: User, tickets: QuerySet[LicenseTicket] | None = None) -> dict:
    """The systemic-failure catalogue: counts by month x reason and by route to market x reason."""
    tickets = LicenseTicket.objects.visible_to(user) if tickets is None else tickets
    reasons = LicenseTicket.Reason.values
    by_month: dict[date, dict[str, int]] = {}
    monthly = tickets.order_by().annotate(month=TruncMonth("created_at")).values("month", "reason")
    for row in monthly.annotate(n=Count("id")):
        by_month.setdefault(row["month"].date(), dict.fromkeys(reasons, 0))[row["reason"]] = row["n"]
    by_route: dict[str, dict[str, int]] = {}
    for row in tickets.order_by().values("route_to_market", "reason").annotate(n=Count("id")):
        by_route.setdefault(row["route_to_market"], dict.fromkeys(reasons, 0))[row["reason"]] = row["n"]
    return {
        "reasons": reasons,
        "by_month": sorted(by_month.items(), reverse=True),
        "by_route": sorted(by_route.items()),
        "totals": license_failure_counts(user=user, tickets=tickets),
    }
