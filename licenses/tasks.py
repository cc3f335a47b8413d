"""Thin Celery wrappers around licenses.services (which never import this module: they queue tasks by name)."""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import shared_task

from . import services

# Seconds before a review whose region lock is held (another worker mid-run, or a killed worker's connection
# not yet dropped by PostgreSQL) tries again; the retry finds the run done and does nothing, or resumes it.
BUSY_RETRY_SECONDS = 30


@shared_task(bind=True, acks_late=True, max_retries=10)  # acks_late + task_reject_on_worker_lost: a kill re-delivers
def license_review_run(self, region: str | None = None, as_of: str | None = None, **options: Any) -> list[dict]:
    """Run the daily license delivery review (beat: per region); returns each region's run summary.

    `options` are the service's: `force`, `chunk_size`, and `chunk_sleep` (seconds between chunks, only for the
    fault-injection test).
    """
    runs = services.license_review_run(region=region, as_of=date.fromisoformat(as_of) if as_of else None, **options)
    busy = [r for r in runs if r.status != "done"]
    if busy:
        retry_region = busy[0].region_id if len(busy) == 1 else region
        raise self.retry(
            countdown=BUSY_RETRY_SECONDS,
            kwargs={**options, "region": retry_region, "as_of": busy[0].as_of.isoformat(), "force": False},
        )
    return [
        {"id": r.pk, "region": r.region_id, "as_of": r.as_of.isoformat(), "status": r.status, "counts": r.counts}
        for r in runs
    ]
