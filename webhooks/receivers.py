"""The webhooks app's side of the foundation's `integration_event` port."""

from __future__ import annotations


def integration_event_received(sender, *, kind: str, data: dict, occurred_at, **kwargs) -> None:
    """Record the event and one delivery per subscribed endpoint, in the emitting service's transaction."""
    from .services import webhook_event_record

    webhook_event_record(kind=kind, data=data, occurred_at=occurred_at)
