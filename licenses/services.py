"""Writes of the licenses app: the delivery feed, the daily review job and ticket transitions.

The review is set-based: eligible opportunities are walked in pk-ordered chunks (keyset, never all in memory);
each chunk is one transaction that locks its opportunity rows, sets License Delivery Dates with one UPDATE,
bulk-creates tickets and history rows, and commits the run's progress with the work, so a killed worker's
re-delivered task resumes where the last committed chunk ended.
"""

from __future__ import annotations

import csv
import io
import logging
import time as time_module
import zlib
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import DateField, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Least, Lower, TruncDate
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ordermgmt.calendar import calendar_for
from ordermgmt.database import is_postgresql
from ordermgmt.exceptions import Conflict, InvalidTransition
from ordermgmt.models import Opportunity, OpportunityEvent, Quote, Region, User
from ordermgmt.services import notification_send, opportunity_event_record
from subscriptions.models import Subscription

from . import sql
from .models import ALLOWED_TRANSITIONS, LicenseDelivery, LicenseReviewRun, LicenseTicket

logger = logging.getLogger(__name__)

MARKETPLACE_ROUTES = (Opportunity.Route.AWS_PRIVATE_OFFER, Opportunity.Route.GCP_PRIVATE_OFFER)
# Advisory-lock namespace ("LI"); the second key is the region, so one review per region runs at a time.
ADVISORY_LOCK_CLASS = 0x4C49


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


# --- which opportunities the review looks at -------------------------------------------------------------------------


def review_candidates() -> QuerySet[Opportunity]:
    """Closed Won, self-managed opportunities without a confirmed license delivery."""
    return Opportunity.objects.filter(
        stage=Opportunity.Stage.CLOSED_WON,
        deployment=Opportunity.Deployment.SELF_MANAGED,
        license_delivery_date__isnull=True,
    )


def _sold_to_email(outer: str | OuterRef = "pk") -> Subquery:
    """The lower-cased Sold To email of the primary quote of the opportunity `outer` points at."""
    return Subquery(
        Quote.objects.filter(opportunity=OuterRef(outer) if isinstance(outer, str) else outer, is_primary=True)
        .annotate(email=Lower("sold_to_contact__email"))
        .values("email")[:1]
    )


def _linked_deliveries(*, delivered_before: datetime) -> tuple[QuerySet, QuerySet]:
    """Deliveries naming the outer opportunity, and deliveries naming its subscription (without an opportunity)."""
    by_opportunity = LicenseDelivery.objects.filter(opportunity=OuterRef("pk"), delivered_at__lt=delivered_before)
    subscription_name = Subquery(Subscription.objects.filter(pk=OuterRef(OuterRef("subscription_id"))).values("name"))
    by_subscription = LicenseDelivery.objects.filter(
        opportunity__isnull=True, subscription_name=subscription_name, delivered_at__lt=delivered_before
    )
    return by_opportunity, by_subscription


def _delivered_on(*, tz, delivered_before: datetime) -> TruncDate:
    """The date (in the region's time zone) of the first delivery that reached the Sold To contact, else NULL.

    Only references the opportunity's own columns (pk, subscription_id), so it works inside a queryset UPDATE.
    """
    by_opportunity, by_subscription = _linked_deliveries(delivered_before=delivered_before)
    email = _sold_to_email(OuterRef(OuterRef("pk")))
    first = [
        Subquery(qs.filter(sold_to_email=email).order_by("delivered_at").values("delivered_at")[:1])
        for qs in (by_opportunity, by_subscription)
    ]
    # PostgreSQL's LEAST ignores NULLs: the earlier of the two kinds of match.
    return TruncDate(Least(*first), tzinfo=tz, output_field=DateField())


def _to_another_recipient(*, delivered_before: datetime) -> Q:
    """A delivery exists for the opportunity, but to another email than the Sold To contact's."""
    by_opportunity, by_subscription = _linked_deliveries(delivered_before=delivered_before)
    return Q(Exists(by_opportunity)) | Q(Exists(by_subscription))


# --- the review job --------------------------------------------------------------------------------------------------


def nth_business_day_back(*, region: Region, as_of: date, n: int) -> date:
    """The n-th business day of the region counting back from `as_of` (inclusive); `as_of` itself when n == 0."""
    if n <= 0:
        return as_of
    cal = calendar_for(region)
    day, seen = as_of, 0
    while True:
        if cal.is_business_day(day):
            seen += 1
            if seen == n:
                return day
        day -= timedelta(days=1)


def grace_cutoffs(*, region: Region, as_of: date) -> dict[str, date | None]:
    """Per route to market: an opportunity closed *before* this date is past its grace period on `as_of`.

    Grace is counted in business days of the region after the close date: with 1 day, a deal closed on Monday
    is ticketed by Tuesday's run. IBM OEM has no grace (`None`: ticket at once).
    """
    normal = nth_business_day_back(region=region, as_of=as_of, n=_setting("LICENSE_REVIEW_GRACE_BUSINESS_DAYS", 1))
    marketplace = nth_business_day_back(
        region=region, as_of=as_of, n=_setting("LICENSE_REVIEW_MARKETPLACE_GRACE_BUSINESS_DAYS", 2)
    )
    cutoffs: dict[str, date | None] = {route: normal for route in Opportunity.Route.values}
    cutoffs.update({route: marketplace for route in MARKETPLACE_ROUTES})
    cutoffs[Opportunity.Route.IBM_OEM] = None
    return cutoffs


def _past_grace(*, route: str, close_date: date | None, as_of: date, cutoffs: dict[str, date | None]) -> bool:
    if close_date is None:  # Closed Won without a close date: nothing to wait for.
        return True
    cutoff = cutoffs[route]
    return close_date <= as_of if cutoff is None else close_date < cutoff


def _failure_reason(*, route: str, has_quote: bool, sold_to: str | None, wrong_recipient: bool) -> str:
    if route == Opportunity.Route.IBM_OEM:
        return LicenseTicket.Reason.IBM_OEM_MANUAL
    if not has_quote:
        return LicenseTicket.Reason.NO_PRIMARY_QUOTE
    if not sold_to:
        return LicenseTicket.Reason.MISSING_SOLD_TO_EMAIL
    if wrong_recipient:
        return LicenseTicket.Reason.WRONG_RECIPIENT
    return LicenseTicket.Reason.NO_DELIVERY


def _day_end(*, region: Region, as_of: date) -> datetime:
    return datetime.combine(as_of + timedelta(days=1), time.min, calendar_for(region).tz)


def _review_chunk(
    *, candidates: QuerySet[Opportunity], region: Region, as_of: date, run: LicenseReviewRun | None, open_tickets: bool
) -> tuple[int, int, Counter]:
    """Review one bounded, pk-ordered set of opportunities inside the caller's transaction.

    Returns the highest pk seen (0 when empty), how many rows it looked at, and the counts. Locks the
    opportunity rows (NO KEY, so other tables may still reference them) so a hand-made change or the feed's
    immediate match cannot interleave.
    """
    tz = calendar_for(region).tz
    day_end = _day_end(region=region, as_of=as_of)
    delivered_on = _delivered_on(tz=tz, delivered_before=day_end)
    rows = list(
        candidates.select_for_update(no_key=True, of=("self",))
        .annotate(
            delivered_on=delivered_on,
            sold_to=_sold_to_email(),
            has_quote=Exists(Quote.objects.filter(opportunity=OuterRef("pk"), is_primary=True)),
            wrong_recipient=_to_another_recipient(delivered_before=day_end),
            has_open_ticket=Exists(
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
        )
    )
    counts: Counter = Counter()
    if not rows:
        return 0, 0, counts
    now = timezone.now()
    delivered = {pk: day for pk, _route, _close, day, *_rest in rows if day is not None}
    if delivered:
        # Opportunity belongs to ordermgmt, but License Delivery Date is this app's field to maintain. One
        # queryset UPDATE (not save()) so 1,000 rows are one statement; the audit trigger (pghistory) still
        # records each row, and the same expression picks each row's own delivery date.
        Opportunity.objects.filter(pk__in=delivered, license_delivery_date__isnull=True).update(
            license_delivery_date=delivered_on, version=F("version") + 1, updated_at=now
        )
        closed = LicenseTicket.objects.filter(
            opportunity_id__in=delivered, status__in=LicenseTicket.OPEN_STATUSES
        ).update(status=LicenseTicket.Status.AUTO_CLOSED, closed_at=now, updated_at=now)
        OpportunityEvent.objects.bulk_create(
            [
                OpportunityEvent(
                    opportunity_id=pk,
                    action="license_delivered",
                    changes={"license_delivery_date": [None, day.isoformat()]},
                    comment="Matched in the licensing system's delivery feed.",
                )
                for pk, day in delivered.items()
            ],
            batch_size=1000,
        )
        counts["delivered"] += len(delivered)
        counts["tickets_auto_closed"] += closed
    if open_tickets:
        cutoffs = grace_cutoffs(region=region, as_of=as_of)
        tickets = [
            LicenseTicket(
                opportunity_id=pk,
                run=run,
                region=region,
                route_to_market=route,
                reason=_failure_reason(route=route, has_quote=has_quote, sold_to=sold_to, wrong_recipient=wrong),
                sold_to_email=sold_to or "",
            )
            for pk, route, close, day, sold_to, has_quote, wrong, has_ticket in rows
            if day is None
            and not has_ticket
            and _past_grace(route=route, close_date=close, as_of=as_of, cutoffs=cutoffs)
        ]
        # No ignore_conflicts: the partial unique constraint is the backstop; hitting it rolls the chunk back.
        LicenseTicket.objects.bulk_create(tickets, batch_size=1000)
        OpportunityEvent.objects.bulk_create(
            [
                OpportunityEvent(
                    opportunity_id=ticket.opportunity_id,
                    action="license_ticket_opened",
                    changes={"license_ticket": [None, ticket.pk]},
                    comment=f"License ticket for Support Engineering: {ticket.reason}.",
                )
                for ticket in tickets
            ],
            batch_size=1000,
        )
        counts["ticketed"] += len(tickets)
        counts.update(f"reason:{ticket.reason}" for ticket in tickets)
        counts["already_ticketed"] += sum(1 for row in rows if row[3] is None and row[7])
        counts["waiting"] += sum(1 for row in rows if row[3] is None and not row[7]) - len(tickets)
    return rows[-1][0], len(rows), counts


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
    chunk_size = chunk_size or _setting("LICENSE_REVIEW_CHUNK_SIZE", 1000)
    run, _ = LicenseReviewRun.objects.get_or_create(region=region, as_of=as_of)
    if not _advisory_lock(region.pk):
        logger.info("license review %s %s: another worker holds the region's lock", region.pk, as_of)
        run.refresh_from_db()
        return run
    try:
        run.refresh_from_db()
        if run.status == LicenseReviewRun.Status.DONE and not force:
            return run
        now = timezone.now()
        # A killed (still "running") or failed attempt: carry on after its last committed chunk. Otherwise a fresh
        # pass, whose progress and counts replace the previous pass's.
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
        candidates = review_candidates().filter(region=region).order_by("pk")
        last = run.last_opportunity_id
        opened = 0  # by this attempt (run.counts add up every attempt of the day)
        while True:
            with transaction.atomic():
                last_seen, seen, counts = _review_chunk(
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
                total = Counter(locked.counts) + counts
                LicenseReviewRun.objects.filter(pk=run.pk).update(
                    last_opportunity_id=last_seen,
                    processed=F("processed") + seen,
                    counts=dict(total),
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


def license_review_enqueue(*, region: str | None, actor: User) -> None:
    """Queue a forced review (the managers' button) once the caller commits; the task is idempotent."""
    from .tasks import license_review_run as license_review_run_task

    transaction.on_commit(lambda: license_review_run_task.delay(region=region, force=True))
    logger.info("license review queued by %s for %s", actor, region or "all regions")


# --- the delivery feed -----------------------------------------------------------------------------------------------

DELIVERY_FIELDS = ("opportunity_id", "subscription_name", "sold_to_email", "delivered_at")


def _match_now(*, delivery: LicenseDelivery) -> int:
    """Match a fresh delivery at once (no tickets): its opportunity gets its date and its open ticket closes."""
    if delivery.opportunity_id:
        candidates = review_candidates().filter(pk=delivery.opportunity_id)
    else:
        candidates = review_candidates().filter(subscription__name=delivery.subscription_name)
    matched = 0
    for region in Region.objects.filter(pk__in=candidates.values("region_id")):
        as_of = max(timezone.localdate(timezone=calendar_for(region).tz), delivery.delivered_at.date())
        _last, _seen, counts = _review_chunk(
            candidates=candidates.filter(region=region).order_by("pk"),
            region=region,
            as_of=as_of,
            run=None,
            open_tickets=False,
        )
        matched += counts["delivered"]
    return matched


@transaction.atomic
def license_delivery_record(
    *,
    external_id: str,
    sold_to_email: str,
    delivered_at: datetime,
    opportunity: Opportunity | None = None,
    subscription_name: str = "",
    source: str = LicenseDelivery.Source.API,
    actor: User | None = None,
) -> tuple[LicenseDelivery, bool]:
    """Store one delivery from the licensing system; idempotent on `external_id`.

    The same `external_id` with the same content returns the stored row (`created` False); with different
    content it raises Conflict (409). A new delivery is matched at once, so a waiting ticket closes itself.
    """
    if opportunity is None and not subscription_name:
        raise ValidationError({"opportunity": ["Name the opportunity or a subscription_name."]})
    values = {
        "opportunity_id": opportunity.pk if opportunity else None,
        "subscription_name": subscription_name or "",
        "sold_to_email": sold_to_email.strip().lower(),
        "delivered_at": delivered_at,
    }
    try:
        with transaction.atomic():
            delivery, created = LicenseDelivery.objects.get_or_create(
                external_id=external_id, defaults={**values, "source": source, "received_by": actor}
            )
    except IntegrityError as exc:  # lost a race on the same external_id: the winner's row is there now
        delivery = LicenseDelivery.objects.filter(external_id=external_id).first()
        if delivery is None:
            raise
        created = False
        logger.debug("delivery %s inserted concurrently (%s)", external_id, exc)
    if not created:
        differing = [name for name in DELIVERY_FIELDS if getattr(delivery, name) != values[name]]
        if differing:
            raise Conflict(
                f"Delivery {external_id} was already received with different {', '.join(differing)}.",
                extra={"fields": differing},
            )
        return delivery, False
    _match_now(delivery=delivery)
    return delivery, True


CSV_COLUMNS = ("external_id", "opportunity", "subscription_name", "sold_to_email", "delivered_at")


def license_deliveries_import_csv(*, text: str, actor: User | None = None) -> Counter:
    """Back-fill deliveries from CSV text with the API's columns; every row is idempotent on external_id.

    Returns counts (`created`, `existing`, `invalid`); invalid rows are logged with their line number and skipped.
    """
    counts: Counter = Counter()
    reader = csv.DictReader(io.StringIO(text))
    missing = {"external_id", "sold_to_email", "delivered_at"} - set(reader.fieldnames or ())
    if missing:
        raise ValidationError({"file": [f"Missing column(s): {', '.join(sorted(missing))}."]})
    for line, row in enumerate(reader, start=2):
        try:
            external_id = (row.get("external_id") or "").strip()
            email = (row.get("sold_to_email") or "").strip()
            delivered_at = parse_datetime((row.get("delivered_at") or "").strip())
            if not external_id:
                raise ValidationError({"external_id": ["Required."]})
            validate_email(email)
            if delivered_at is None:
                raise ValidationError({"delivered_at": ["Use ISO 8601, e.g. 2026-11-20T10:00:00+00:00."]})
            if timezone.is_naive(delivered_at):
                delivered_at = delivered_at.replace(tzinfo=UTC)
            opportunity = None
            if (row.get("opportunity") or "").strip():
                opportunity = Opportunity.objects.filter(pk=int(row["opportunity"])).first()
                if opportunity is None:
                    raise ValidationError({"opportunity": ["Unknown opportunity."]})
            _delivery, created = license_delivery_record(
                external_id=external_id,
                sold_to_email=email,
                delivered_at=delivered_at,
                opportunity=opportunity,
                subscription_name=(row.get("subscription_name") or "").strip(),
                source=LicenseDelivery.Source.CSV,
                actor=actor,
            )
            counts["created" if created else "existing"] += 1
        except (ValidationError, ValueError, Conflict) as exc:
            counts["invalid"] += 1
            logger.warning("license delivery CSV line %s skipped: %s", line, exc)
    return counts


# --- tickets ---------------------------------------------------------------------------------------------------------


def _ticket_transition(*, ticket_id: int, to_status: str, actor: User | None) -> tuple[LicenseTicket, bool]:
    """Lock the ticket and move it; returns (ticket, changed). Same status again is a no-op."""
    ticket = LicenseTicket.objects.select_for_update(no_key=True).get(pk=ticket_id)
    if ticket.status == to_status:
        return ticket, False
    if to_status not in ALLOWED_TRANSITIONS[ticket.status]:
        raise InvalidTransition(entity="license ticket", from_status=ticket.status, to_status=to_status)
    ticket.status = to_status
    update_fields = ["status", "updated_at"]
    if to_status not in LicenseTicket.OPEN_STATUSES:
        ticket.closed_at = timezone.now()
        update_fields.append("closed_at")
    if to_status == LicenseTicket.Status.TAKEN:
        ticket.assignee = actor
        update_fields.append("assignee")
    ticket.save(update_fields=update_fields)
    return ticket, True


@transaction.atomic
def license_ticket_take(*, ticket_id: int, actor: User) -> LicenseTicket:
    """Support Engineering takes a ticket (assigns it to themselves). Taking it again is a no-op."""
    ticket, changed = _ticket_transition(ticket_id=ticket_id, to_status=LicenseTicket.Status.TAKEN, actor=actor)
    if changed:
        opportunity_event_record(
            opportunity=ticket.opportunity,
            actor=actor,
            action="license_ticket_taken",
            changes={"license_ticket": [ticket.pk, ticket.status]},
        )
    return ticket


@transaction.atomic
def license_ticket_mark_delivered(
    *, ticket_id: int, actor: User, delivered_on: date | None = None, comment: str = ""
) -> LicenseTicket:
    """Support Engineering delivered the license by hand: close the ticket and set License Delivery Date.

    Repeating it is a no-op; a ticket that closed itself (delivery arrived) raises InvalidTransition.
    """
    ticket, changed = _ticket_transition(ticket_id=ticket_id, to_status=LicenseTicket.Status.DELIVERED, actor=actor)
    if not changed:
        return ticket
    delivered_on = delivered_on or timezone.localdate()
    # Opportunity is ordermgmt's model; License Delivery Date is ours to set. A filtered queryset update keeps
    # an already confirmed date (first delivery wins) and needs no lock on the whole row's other fields.
    updated = Opportunity.objects.filter(pk=ticket.opportunity_id, license_delivery_date__isnull=True).update(
        license_delivery_date=delivered_on, version=F("version") + 1, updated_at=timezone.now()
    )
    opportunity_event_record(
        opportunity=ticket.opportunity,
        actor=actor,
        action="license_delivered",
        changes={"license_delivery_date": [None, delivered_on.isoformat()]} if updated else {},
        comment=comment or f"Delivered by hand to {ticket.sold_to_email or 'the customer'} (ticket {ticket.pk}).",
    )
    return ticket
