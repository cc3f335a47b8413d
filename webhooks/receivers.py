"""The webhooks app's side of the foundation's `integration_event` port."""

from __future__ import annotations

from collections.abc import Iterable


def integration_event_received(sender, *, kind: str, items: Iterable[dict], occurred_at, **kwargs) -> None:
    """Record the events and one delivery each per subscribed endpoint, in the emitting service's transaction."""
    from .services import webhook_events_record

    webhook_events_record(kind=kind, items=items, occurred_at=occurred_at)
