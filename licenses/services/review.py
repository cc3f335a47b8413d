"""The daily license delivery review: per region and day, set License Delivery Dates or open tickets.

The review is set-based: eligible opportunities are walked in pk-ordered chunks (keyset, never all in memory);
each chunk is one transaction that locks its opportunity rows, sets License Delivery Dates with one UPDATE,
bulk-creates tickets and history rows, and commits the run's progress with the work, so a killed worker's
re-delivered task resumes where the last committed chunk ended.
"""

from __future__ import annotations

import logging
import time as time_module
import zlib
from collections import Counter
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.lookups import IsNull
from django.utils import timezone

from ordermgmt.calendar import calendar_for
from ordermgmt.database import is_postgresql
from ordermgmt.models import Opportunity, Quote, Region, User
from ordermgmt.services import notification_send, outbox_enqueue

from .. import sql
from ..models import LicenseReviewRun, LicenseTicket
from .matching import _linked_deliveries, delivered_on, deliveries_confirm, review_candidates, sold_to_email_of
from .tickets import tickets_open

logger = logging.getLogger(__name__)

# Advisory-lock namespace ("LI"); the second key is the region, so one review per region runs at a time.
ADVISORY_LOCK_CLASS = 0x4C49
# The Celery task the managers' button queues, by name (the task module imports this package, not the reverse).
REVIEW_TASK = "licenses.tasks.license_review_run"


def review_chunk(
    *, candidates: QuerySet[Opportunity], region: Region, as_of: date, run: LicenseReviewRun | None, open_tickets: bool
) -> tuple[int, int, Counter]:
    """Review one bounded, pk-ordered set of opportunities inside the caller's transaction.

    Returns the highest pk seen (0 when empty), how many rows it looked at, and the counts. Locks the
    opportunity rows (NO KEY, so other tables may still reference them) so a hand-made change or the feed's
    immediate match cannot interleave.
    """
    tz = calendar_for(region).tz
    day_end = datetime.combine(as_of + timedelta(days=1), time.min, tz)
    delivered_expression = delivered_on(tz=tz, delivered_before=day_end)
    by_opportunity, by_subscription = _linked_deliveries(delivered_before=day_end)
    rows = list(
        candidates.select_for_update(no_key=True, of=("self",))
        .annotate(
            delivered_on=delivered_expression,
            sold_to=sold_to_email_of(),
            # "Is there one" as `(SELECT pk … LIMIT 1) IS NOT NULL`, not EXISTS: PostgreSQL turns a correlated EXISTS
            # into a hashed subplan that reads the whole quote, delivery and ticket tables for every chunk (about
            # 60 ms a chunk at 100,000 deals); a scalar subquery stays one index probe per row.
            has_quote=_any(Quote.objects.filter(opportunity=OuterRef("pk"), is_primary=True)),
            wrong_recipient=Q(_any(by_opportunity)) | Q(_any(by_subscription)),
            has_open_ticket=_any(
                LicenseTicket.objects.filter(opportunity=OuterRef("pk"), status__in=LicenseTicket.OPEN_STATUSES)
            ),
        )
        .values_list(
            "pk",
            "route_to_market",
            "close_date",
            "delivered_on",
            "sold_to",
            "has_quote",
            "wrong_recipient",
            "has_open_ticket",
            named=True,
        )
    )
    counts: Counter = Counter()
    if not rows:
        return 0, 0, counts
    # The same expression sets each row's own date in one UPDATE.
    counts["delivered"], counts["tickets_auto_closed"] = deliveries_confirm(
        delivered={row.pk: row.delivered_on for row in rows if row.delivered_on is not None},
        value=delivered_expression,
        now=timezone.now(),
    )
    if open_tickets:
        tickets = tickets_open(rows=rows, region=region, as_of=as_of, run=run)
        undelivered = [row for row in rows if row.delivered_on is None]
        counts["ticketed"] += len(tickets)
        counts.update(f"reason:{ticket.reason}" for ticket in tickets)
        counts["already_ticketed"] += sum(1 for row in undelivered if row.has_open_ticket)
        counts["waiting"] += sum(1 for row in undelivered if not row.has_open_ticket) - len(tickets)
    return rows[-1].pk, len(rows), counts


def _any(queryset: QuerySet) -> IsNull:
    """True when the correlated `queryset` has a row: its first pk IS NOT NULL (see `review_chunk`)."""
    return IsNull(Subquery(queryset.values("pk")[:1]), False)


def _advisory_key(region_code: str) -> list[int]:
    return [ADVISORY_LOCK_CLASS, zlib.crc32(region_code.encode()) & 0x7FFFFFFF]


def _advisory_lock(region_code: str) -> bool:
    if not is_postgresql():  # the SQLite development default serialises writers itself
        return True
    with connection.cursor() as cursor:
        cursor.execute(sql.TRY_ADVISORY_LOCK, _advisory_key(region_code))
        return cursor.fetchone()[0]


def _advisory_unlock(region_code: str) -> None:
    if not is_postgresql():
        return
    with connection.cursor() as cursor:
        cursor.execute(sql.ADVISORY_UNLOCK, _advisory_key(region_code))


def license_review_region(
    *,
    region: Region,
    as_of: date | None = None,
    force: bool = False,
    chunk_size: int | None = None,
    chunk_sleep: float = 0.0,
) -> LicenseReviewRun:
    """Review one region for one day. Safe to repeat, to run concurrently and to resume after a crash.

    - One `LicenseReviewRun` row per (region, as_of). A finished run is not repeated unless `force`
      (the manager's button and the command force; beat does not).
    - A session-level PostgreSQL advisory lock per region makes a second worker return at once; it is released
      by PostgreSQL when a killed worker's connection drops, so a re-delivered task can take over.
    - Each chunk commits with the run's `last_opportunity_id`, so the re-delivered task resumes after it; the
      work itself is idempotent anyway (undelivered filter, one-open-ticket constraint).
    `chunk_sleep` slows the run down between chunks; only the fault-injection test uses it.
    """
    as_of = as_of or timezone.localdate(timezone=calendar_for(region).tz)
    chunk_size = chunk_size or getattr(settings, "LICENSE_REVIEW_CHUNK_SIZE", 1000)
    run, _ = LicenseReviewRun.objects.get_or_create(region=region, as_of=as_of)
    if not _advisory_lock(region.pk):
        logger.info("license review %s %s: another worker holds the region's lock", region.pk, as_of)
        run.refresh_from_db()
        return run
    try:
        run.refresh_from_db()
        if run.status == LicenseReviewRun.Status.DONE and not force:
            return run
        _run_start(run)
        candidates = review_candidates().filter(region=region).order_by("pk")
        last = run.last_opportunity_id
        opened = 0  # by this attempt (run.counts add up every attempt of the day)
        while True:
            with transaction.atomic():
                last_seen, seen, counts = review_chunk(
                    candidates=candidates.filter(pk__gt=last)[:chunk_size],
                    region=region,
                    as_of=as_of,
                    run=run,
                    open_tickets=True,
                )
                if not last_seen:
                    break
                opened += counts["ticketed"]
                locked = LicenseReviewRun.objects.select_for_update(no_key=True).get(pk=run.pk)
                LicenseReviewRun.objects.filter(pk=run.pk).update(
                    last_opportunity_id=last_seen,
                    processed=F("processed") + seen,
                    counts=dict(Counter(locked.counts) + counts),
                    heartbeat_at=timezone.now(),
                )
                last = last_seen
            if chunk_sleep:
                time_module.sleep(chunk_sleep)
        LicenseReviewRun.objects.filter(pk=run.pk).update(
            status=LicenseReviewRun.Status.DONE, finished_at=timezone.now(), heartbeat_at=timezone.now()
        )
        run.refresh_from_db()
        _notify_support_engineering(run=run, opened=opened)
        return run
    except Exception as exc:
        LicenseReviewRun.objects.filter(pk=run.pk).update(status=LicenseReviewRun.Status.FAILED, last_error=str(exc))
        raise
    finally:
        _advisory_unlock(region.pk)


def _run_start(run: LicenseReviewRun) -> None:
    """Mark the run running (under the region's lock) and reload it.

    A killed (still "running") or failed attempt carries on after its last committed chunk. Otherwise a fresh pass,
    whose progress and counts replace the previous pass's.
    """
    now = timezone.now()
    resume = run.status in (LicenseReviewRun.Status.RUNNING, LicenseReviewRun.Status.FAILED)
    LicenseReviewRun.objects.filter(pk=run.pk).update(
        status=LicenseReviewRun.Status.RUNNING,
        attempts=F("attempts") + 1,
        started_at=run.started_at if resume and run.started_at else now,
        heartbeat_at=now,
        finished_at=None,
        last_error="",
        last_opportunity_id=run.last_opportunity_id if resume else 0,
        processed=run.processed if resume else 0,
        counts=run.counts if resume else {},
    )
    run.refresh_from_db()


def license_review_run(
    *,
    region: str | None = None,
    as_of: date | None = None,
    force: bool = False,
    chunk_size: int | None = None,
    chunk_sleep: float = 0.0,
) -> list[LicenseReviewRun]:
    """Review one region (by code) or every region, each for its own local `as_of` (default: today there)."""
    regions = Region.objects.filter(pk=region) if region else Region.objects.order_by("code")
    if region and not regions.exists():
        raise ValidationError({"region": [f"Unknown region {region!r}."]})
    return [
        license_review_region(region=r, as_of=as_of, force=force, chunk_size=chunk_size, chunk_sleep=chunk_sleep)
        for r in regions
    ]


def _notify_support_engineering(*, run: LicenseReviewRun, opened: int) -> None:
    """One summary notification per Support Engineering member when a run opened tickets (not one per ticket)."""
    if not opened:
        return
    with transaction.atomic():
        for member in User.objects.with_role(User.Role.SUPPORT_ENGINEERING):
            notification_send(
                recipient=member,
                verb="license_tickets",
                message=f"License review {run.region_id} {run.as_of}: {opened} license ticket(s) to deliver by hand.",
                url="/licenses/tickets/",
            )


@transaction.atomic
def license_review_enqueue(*, region: str | None, actor: User) -> None:
    """Queue a forced review (the managers' button) through the outbox, published once the caller commits; the task
    is idempotent."""
    outbox_enqueue(task=REVIEW_TASK, kwargs={"region": region, "force": True})
    logger.info("license review queued by %s for %s", actor, region or "all regions")
