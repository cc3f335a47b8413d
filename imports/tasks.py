"""Thin Celery wrapper around imports.services (idempotent: see import_run_execute). The services queue it by name
through the outbox and never import this module."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def import_run_execute(run_id: int) -> str:
    return services.import_run_execute(run_id=run_id).status
