"""Events that integrations receive (outbound webhooks): the catalogue of kinds and the one call services make.

The foundation cannot import the apps above it, nor the `webhooks` app that delivers the events, so the call is a
port: `integration_event_emit` sends the `integration_event` signal, and whoever listens (the webhooks app's
receiver, connected in its AppConfig.ready) records what to deliver. Receivers run synchronously, inside the
caller's transaction: the event is written with the change that caused it, or not at all, and nothing goes over the
network before the commit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.dispatch import Signal
from django.utils import timezone

from ..models import Opportunity

# kind -> what happened. Endpoints subscribe to kinds; a payload's "type" is one of them.
EVENT_KINDS: dict[str, str] = {
    "opportunity.submitted": "An opportunity was submitted (or resubmitted) for approval",
    "opportunity.om_approved": "Order Management approved an opportunity",
    "opportunity.om_rejected": "Order Management rejected an opportunity",
    "opportunity.billing_approved": "Billing approved an opportunity (Closed Won, or held until its booking date)",
    "opportunity.billing_rejected": "Billing rejected an opportunity",
    "opportunity.closed_won": "An opportunity became Closed Won",
    "correction.opened": "A correction of a Closed Won deal was opened",
    "correction.decided": "Order Management approved or rejected a correction",
    "case.opened": "A support case was opened",
    "case.closed": "A support case was closed",
    "license_ticket.opened": "A license delivery ticket was opened for Support Engineering",
    "discrepancy.found": "A reconciliation run found a discrepancy for the first time (one event per discrepancy)",
}

# Sent with kind=..., items=<the events' data, one event each: read once, it may be a generator>, occurred_at=...
# Receivers must not catch and hide their own failures: an event that cannot be recorded rolls the change back
# rather than going missing.
integration_event = Signal()


def opportunity_summary(opportunity: Opportunity) -> dict[str, Any]:
    """The opportunity as events carry it: enough to act on, the rest is one API call away."""
    return {
        "id": opportunity.pk,
        "name": opportunity.name,
        "account": opportunity.account_id,
        "region": opportunity.region_id,
        "owner": opportunity.owner_id,
        "stage": opportunity.stage,
        "approval_status": opportunity.approval_status,
        "amount": opportunity.amount,
        "net_arr": opportunity.net_arr,
        "start_date": opportunity.start_date,
        "close_date": opportunity.close_date,
    }


def integration_event_emit(*, kind: str, opportunity: Opportunity | None = None, data: dict | None = None) -> None:
    """Announce that `kind` happened, inside the caller's transaction (call it from the service that made the change).

    `data` is the event's own fields; `opportunity` adds the deal's summary under "opportunity".
    """
    payload = dict(data or {})
    if opportunity is not None:
        payload["opportunity"] = opportunity_summary(opportunity)
    integration_events_emit(kind=kind, items=[payload])


def integration_events_emit(*, kind: str, items: Iterable[dict]) -> None:
    """Announce one `kind` event per item (a bulk write: tickets of a review chunk, discrepancies of a run), in one
    signal, so the receiver records them in batches whatever their number. `items` may be a lazy generator (over a
    queryset): it is read only when somebody subscribes to `kind`, so nobody listening costs nothing."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"Unknown integration event kind {kind!r}: add it to EVENT_KINDS.")
    integration_event.send(sender=kind, kind=kind, items=items, occurred_at=timezone.now())


def integration_payload(data: dict) -> dict:
    """An event's data made JSON-safe (decimals and dates as strings): what is recorded is what receivers get."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))
