"""Thin Celery wrappers of the approvals services run by beat (idempotent: each can run again at any time)."""

from celery import shared_task


@shared_task(acks_late=True)
def sla_alerts_send() -> dict[str, int]:
    from approvals.services import sla_alerts_send as send

    return send()


@shared_task(acks_late=True)
def coverage_sweep() -> dict[str, int]:
    from approvals.services import coverage_sweep as sweep

    return sweep()


@shared_task(acks_late=True)
def held_bookings_close() -> int:
    from approvals.services import held_bookings_close as close

    return close()
