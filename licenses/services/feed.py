"""The licensing system's delivery feed: one delivery at a time (the API) or a CSV back-fill, each idempotent on
`external_id` and matched at once, so a waiting ticket closes itself without waiting for the daily review."""

from __future__ import annotations

import csv
import io
import logging
from collections import Counter
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ordermgmt.calendar import calendar_for
from ordermgmt.exceptions import Conflict
from ordermgmt.models import Opportunity, Region, User

from ..models import LicenseDelivery
from .matching import review_candidates
from .review import review_chunk

logger = logging.getLogger(__name__)

DELIVERY_FIELDS = ("opportunity_id", "subscription_name", "sold_to_email", "delivered_at")
CSV_COLUMNS = ("external_id", "opportunity", "subscription_name", "sold_to_email", "delivered_at")


def _match_now(*, delivery: LicenseDelivery) -> int:
    """Match a fresh delivery at once (no tickets): its opportunity gets its date and its open ticket closes."""
    if delivery.opportunity_id:
        candidates = review_candidates().filter(pk=delivery.opportunity_id)
    else:
        candidates = review_candidates().filter(subscription__name=delivery.subscription_name)
    matched = 0
    for region in Region.objects.filter(pk__in=candidates.values("region_id")):
        as_of = max(timezone.localdate(timezone=calendar_for(region).tz), delivery.delivered_at.date())
        _last, _seen, counts = review_chunk(
            candidates=candidates.filter(region=region).order_by("pk"),
            region=region,
            as_of=as_of,
            run=None,
            open_tickets=False,
        )
        matched += counts["delivered"]
    return matched


@transaction.atomic
def license_delivery_record(
    *,
    external_id: str,
    sold_to_email: str,
    delivered_at: datetime,
    opportunity: Opportunity | None = None,
    subscription_name: str = "",
    source: str = LicenseDelivery.Source.API,
    actor: User | None = None,
) -> tuple[LicenseDelivery, bool]:
    """Store one delivery from the licensing system; idempotent on `external_id`.

    The same `external_id` with the same content returns the stored row (`created` False); with different
    content it raises Conflict (409). A new delivery is matched at once, so a waiting ticket closes itself.
    """
    if opportunity is None and not subscription_name:
        raise ValidationError({"opportunity": ["Name the opportunity or a subscription_name."]})
    values = {
        "opportunity_id": opportunity.pk if opportunity else None,
        "subscription_name": subscription_name or "",
        "sold_to_email": sold_to_email.strip().lower(),
        "delivered_at": delivered_at,
    }
    try:
        with transaction.atomic():
            delivery, created = LicenseDelivery.objects.get_or_create(
                external_id=external_id, defaults={**values, "source": source, "received_by": actor}
            )
    except IntegrityError as exc:  # lost a race on the same external_id: the winner's row is there now
        delivery = LicenseDelivery.objects.filter(external_id=external_id).first()
        if delivery is None:
            raise
        created = False
        logger.debug("delivery %s inserted concurrently (%s)", external_id, exc)
    if not created:
        differing = [name for name in DELIVERY_FIELDS if getattr(delivery, name) != values[name]]
        if differing:
            raise Conflict(
                f"Delivery {external_id} was already received with different {', '.join(differing)}.",
                extra={"fields": differing},
            )
        return delivery, False
    _match_now(delivery=delivery)
    return delivery, True


def _csv_row(row: dict[str, str | None]) -> dict:
    """The keyword arguments of `license_delivery_record` for one CSV row; ValidationError/ValueError if invalid."""
    external_id = (row.get("external_id") or "").strip()
    email = (row.get("sold_to_email") or "").strip()
    delivered_at = parse_datetime((row.get("delivered_at") or "").strip())
    if not external_id:
        raise ValidationError({"external_id": ["Required."]})
    validate_email(email)
    if delivered_at is None:
        raise ValidationError({"delivered_at": ["Use ISO 8601, e.g. 2026-11-20T10:00:00+00:00."]})
    if timezone.is_naive(delivered_at):
        delivered_at = delivered_at.replace(tzinfo=UTC)
    opportunity = None
    if (row.get("opportunity") or "").strip():
        opportunity = Opportunity.objects.filter(pk=int(row["opportunity"])).first()
        if opportunity is None:
            raise ValidationError({"opportunity": ["Unknown opportunity."]})
    return {
        "external_id": external_id,
        "sold_to_email": email,
        "delivered_at": delivered_at,
        "opportunity": opportunity,
        "subscription_name": (row.get("subscription_name") or "").strip(),
    }


def license_deliveries_import_csv(*, text: str, actor: User | None = None) -> Counter:
    """Back-fill deliveries from CSV text with the API's columns; every row is idempotent on external_id.

    Returns counts (`created`, `existing`, `invalid`); invalid rows are logged with their line number and skipped.
    """
    counts: Counter = Counter()
    reader = csv.DictReader(io.StringIO(text))
    missing = {"external_id", "sold_to_email", "delivered_at"} - set(reader.fieldnames or ())
    if missing:
        raise ValidationError({"file": [f"Missing column(s): {', '.join(sorted(missing))}."]})
    for line, row in enumerate(reader, start=2):
        try:
            _delivery, created = license_delivery_record(
                **_csv_row(row), source=LicenseDelivery.Source.CSV, actor=actor
            )
            counts["created" if created else "existing"] += 1
        except (ValidationError, ValueError, Conflict) as exc:
            counts["invalid"] += 1
            logger.warning("license delivery CSV line %s skipped: %s", line, exc)
    return counts
