"""Matching the licensing system's deliveries to opportunities, and the License Delivery Date this app sets.

The expressions here only reference the opportunity's own columns (pk, subscription_id) from inside their
subqueries, so they work in a queryset UPDATE as well as in a SELECT.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import DateField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Least, Lower, NullIf, TruncDate

from ordermgmt.models import Opportunity, Quote
from ordermgmt.services import opportunity_events_record

from ..models import LicenseDelivery, LicenseTicket


def review_candidates() -> QuerySet[Opportunity]:
    """Closed Won, self-managed opportunities without a confirmed license delivery."""
    return Opportunity.objects.filter(
        stage=Opportunity.Stage.CLOSED_WON,
        deployment=Opportunity.Deployment.SELF_MANAGED,
        license_delivery_date__isnull=True,
    )


def sold_to_email_of(outer: str | OuterRef = "pk") -> Coalesce:
    """The lower-cased Sold To email of the opportunity `outer` points at: the address recorded when the deal closed
    (a later change of the contact does not redirect its licenses), else, for deals closed before that was
    recorded, the primary quote's Sold To contact's."""
    opportunity = OuterRef(outer) if isinstance(outer, str) else outer
    # The quote subquery sits one level below where this expression is used: the row's own column is one
    # OuterRef less deep than the quote's reference to the opportunity.
    depth, ref = 0, opportunity
    while isinstance(ref, OuterRef):
        depth, ref = depth + 1, ref.name
    at_close = F("sold_to_email_at_close")
    for _ in range(depth - 1):
        at_close = OuterRef(at_close.name if isinstance(at_close, F) else at_close)
    live = Subquery(
        Quote.objects.filter(opportunity=opportunity, is_primary=True)
        .annotate(email=Lower("sold_to_contact__email"))
        .values("email")[:1]
    )
    return Coalesce(NullIf(Lower(at_close), Value("")), live)


def _linked_deliveries(*, delivered_before: datetime) -> tuple[QuerySet, QuerySet]:
    """Deliveries naming the outer opportunity, and deliveries naming its subscription (without an opportunity)."""
    by_opportunity = LicenseDelivery.objects.filter(opportunity=OuterRef("pk"), delivered_at__lt=delivered_before)
    # The subscription's name through ordermgmt's Opportunity.subscription relation (what `subscription__name` reads,
    # licenses imports no subscriptions code), correlated on the opportunity's own column so it works in an UPDATE.
    subscriptions = Opportunity._meta.get_field("subscription").related_model.objects
    subscription_name = Subquery(subscriptions.filter(pk=OuterRef(OuterRef("subscription_id"))).values("name"))
    by_subscription = LicenseDelivery.objects.filter(
        opportunity__isnull=True, subscription_name=subscription_name, delivered_at__lt=delivered_before
    )
    return by_opportunity, by_subscription


def delivered_on(*, tz, delivered_before: datetime) -> TruncDate:
    """The date (in the region's time zone) of the first delivery that reached the Sold To contact, else NULL."""
    by_opportunity, by_subscription = _linked_deliveries(delivered_before=delivered_before)
    email = sold_to_email_of(OuterRef(OuterRef("pk")))
    first = [
        Subquery(qs.filter(sold_to_email=email).order_by("delivered_at").values("delivered_at")[:1])
        for qs in (by_opportunity, by_subscription)
    ]
    # PostgreSQL's LEAST ignores NULLs: the earlier of the two kinds of match.
    return TruncDate(Least(*first), tzinfo=tz, output_field=DateField())


def to_another_recipient(*, delivered_before: datetime) -> Q:
    """A delivery exists for the opportunity, but to another email than the Sold To contact's."""
    by_opportunity, by_subscription = _linked_deliveries(delivered_before=delivered_before)
    return Q(Exists(by_opportunity)) | Q(Exists(by_subscription))


def license_delivery_date_set(*, opportunity_ids, value, now: datetime) -> int:
    """Set License Delivery Date on those of the opportunities that have none yet (first delivery wins).

    `value` is a date or an expression evaluated per row (`delivered_on`). Returns how many rows changed.
    """
    # Licenses owns License Delivery Date on ordermgmt's Opportunity: a filtered queryset UPDATE, one statement.
    return Opportunity.objects.filter(pk__in=opportunity_ids, license_delivery_date__isnull=True).update(
        license_delivery_date=value, version=F("version") + 1, updated_at=now
    )


def deliveries_confirm(*, delivered: dict[int, date], value, now: datetime) -> tuple[int, int]:
    """Record the matched deliveries {opportunity id: date}: set their dates (`value`, the same per-row expression
    that found them), close their open tickets and write their history. Returns (delivered, tickets closed)."""
    if not delivered:
        return 0, 0
    # The audit trigger (pghistory) still records each row of the UPDATE.
    license_delivery_date_set(opportunity_ids=delivered, value=value, now=now)
    closed = LicenseTicket.objects.filter(opportunity_id__in=delivered, status__in=LicenseTicket.OPEN_STATUSES).update(
        status=LicenseTicket.Status.AUTO_CLOSED, closed_at=now, updated_at=now
    )
    opportunity_events_record(
        action="license_delivered",
        lines={
            pk: ({"license_delivery_date": [None, day.isoformat()]}, "Matched in the licensing system's delivery feed.")
            for pk, day in delivered.items()
        },
    )
    return len(delivered), closed
