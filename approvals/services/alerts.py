"""SLA alerts: an item at risk (75% of its SLA used) or breached tells the people who can save it, once each, in
its queue region's business hours (an item that crosses the line at night is announced at the next opening)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ordermgmt.calendar import in_business_hours
from ordermgmt.models import Region, User
from ordermgmt.zones import format_in, region_zone

from ..models import Submission
from .guards import State, _notify_users, delegate

BATCH = 500


def _people_to_alert(submission: Submission, now: datetime) -> list[User]:
    """The claimer (or their backup while away); for an unclaimed item, the region's specialists (and those covering
    it) and its managers."""
    if submission.claimed_by_id:
        return [delegate(submission.claimed_by, now)]
    region = submission.region_id
    specialists = User.objects.with_role(User.Role.SPECIALIST).working_region(region)
    managers = User.objects.with_role(User.Role.MANAGER).filter(Q(region_id=region) | Q(region__isnull=True))
    return [delegate(user, now) for user in specialists.select_related("backup").distinct()] + list(managers)


def sla_alerts_send(*, now: datetime | None = None) -> dict[str, int]:
    """Send the due at-risk and breach alerts of Order Management's queues; returns how many of each were sent.

    Breaches first: an item found already breached gets the breach alert only. Each alert is claimed by stamping
    the submission in the same transaction (rows locked with SKIP LOCKED), so two schedulers never send one twice.
    """
    now = now or timezone.now()
    open_regions = [
        region.pk for region in Region.objects.prefetch_related("closures") if in_business_hours(now, region)
    ]
    sent = {"sla_breached": 0, "sla_at_risk": 0}
    for verb, due, stamp in (
        ("sla_breached", "sla_due_at", "sla_breach_alerted_at"),
        ("sla_at_risk", "sla_at_risk_at", "sla_at_risk_alerted_at"),
    ):
        with transaction.atomic():
            rows = list(
                Submission.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("opportunity", "claimed_by__backup")
                .filter(
                    state=State.SUBMITTED, region_id__in=open_regions, **{f"{due}__lte": now, f"{stamp}__isnull": True}
                )
                .order_by(due, "pk")[:BATCH]
            )
            for submission in rows:
                opp = submission.opportunity
                hours = "breached its SLA" if verb == "sla_breached" else "has used 75% of its SLA"
                # The due time on the queue region's clock, named: one message goes to people in several zones.
                due_at = format_in(submission.sla_due_at, region_zone(submission.region_id))
                message = f"{opp.name} ({submission.region_id}) {hours}: due {due_at}."
                _notify_users(_people_to_alert(submission, now), opp, verb, message)
                submission.sla_at_risk_alerted_at = submission.sla_at_risk_alerted_at or now
                if verb == "sla_breached":
                    submission.sla_breach_alerted_at = now
            Submission.objects.bulk_update(rows, ["sla_at_risk_alerted_at", "sla_breach_alerted_at"])
            sent[verb] = len(rows)
    return sent
