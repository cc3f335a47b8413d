"""Celery wrappers for the KPI services (the weekly digest is scheduled in settings CELERY_BEAT_SCHEDULE)."""

from celery import shared_task


@shared_task
def kpi_digest_send() -> str:
    from .services import kpi_digest_send

    return kpi_digest_send().week


@shared_task
def csat_invitations_send() -> int:
    """At a quarter's start (beat): invite reps and managers to rate the quarter that closed. Once per quarter."""
    from .services import csat_invitations_send

    invitation = csat_invitations_send()
    return invitation.recipients if invitation else 0
