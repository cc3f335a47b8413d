"""Thin Celery wrappers around subscriptions.services (idempotent: see the services' docstrings). The services queue
these tasks by name through the outbox and never import this module."""

from datetime import date

from celery import shared_task

from ordermgmt.exceptions import Conflict

from . import services


@shared_task(acks_late=True)
def reconciliation_run_start(
    kind: str, as_of: str | None = None, month: str | None = None, region: str | None = None
) -> int | None:
    """Beat entry point: sweep a stale run of `kind`, queue a new one (none if one is active); returns its id."""
    try:
        run = services.reconciliation_run_create(
            kind=kind, as_of=date.fromisoformat(as_of) if as_of else None, month=month, region=region
        )
    except Conflict:
        return None  # one is already running: beat firing twice, or a manual run in progress
    return run.pk


@shared_task(acks_late=True)
def reconciliation_run_execute(run_id: int) -> str | None:
    run = services.reconciliation_run_execute(run_id=run_id)
    return run.status if run else None
