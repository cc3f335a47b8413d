"""Celery wrappers for the KPI services (the weekly digest is scheduled in settings CELERY_BEAT_SCHEDULE)."""

from celery import shared_task


@shared_task
def kpi_digest_send() -> str:
    from .services import kpi_digest_send

    return kpi_digest_send().week
