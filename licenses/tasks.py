"""Thin Celery wrappers around licenses.services."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)  # with task_reject_on_worker_lost: a killed worker's run is re-delivered and resumes
def license_review_run(
    region: str | None = None,
    as_of: str | None = None,
    force: bool = False,
    chunk_size: int | None = None,
    chunk_sleep: float = 0.0,
) -> list[dict]:
    """Run the daily license delivery review (beat: per region); returns each region's run summary."""
    from datetime import date

    from .services import license_review_run

    runs = license_review_run(
        region=region,
        as_of=date.fromisoformat(as_of) if as_of else None,
        force=force,
        chunk_size=chunk_size,
        chunk_sleep=chunk_sleep,
    )
    return [
        {"id": r.pk, "region": r.region_id, "as_of": r.as_of.isoformat(), "status": r.status, "counts": r.counts}
        for r in runs
    ]
