"""Thin Celery wrappers around ordermgmt.services."""

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def notification_email_send(notification_id: int) -> bool:
    from .services import notification_email_send

    return notification_email_send(notification_id=notification_id)


@shared_task
def outbox_drain() -> int:
    from .services import outbox_drain

    return outbox_drain()
