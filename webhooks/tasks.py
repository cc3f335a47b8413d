"""Thin Celery wrappers around webhooks.services."""

from celery import shared_task


# acks_late: a killed worker's message comes back; the service's claim makes a second run harmless. The request has
# its own timeouts (WEBHOOK_TIMEOUT_SECONDS); the limits only stop a runaway.
@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def webhook_delivery_send(delivery_id: int) -> str:
    from .services import webhook_delivery_send

    return webhook_delivery_send(delivery_id=delivery_id)


@shared_task
def webhook_deliveries_sweep() -> int:
    from .services import webhook_deliveries_sweep

    return webhook_deliveries_sweep()
