"""Reads of the queues: Order Management's regional queues and Billing's, in priority order (`models.QUEUE_ORDER`)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from ordermgmt.models import User
from ordermgmt.zones import UTC, zone_name

from ..models import QUEUE_ORDER, Submission


def submission_list(*, user: User) -> QuerySet[Submission]:
    return Submission.objects.visible_to(user).select_related("opportunity", "region", "claimed_by")


def approval_queue(*, user: User, stage: str = "om", region: str | None = None) -> QuerySet[Submission]:
    """Open submissions in the order reviewers should work them.

    Escalated first, then earliest start date, then largest Net ARR, then first submitted; id last so pages never
    shuffle. `stage="om"`: Order Management's regional queues (a specialist's own and covered regions unless a
    region is asked for; managers see all). `stage="billing"`: Billing's queue of OM-approved items. Served by the
    partial indexes submission_om_queue_idx / submission_billing_queue_idx.
    """
    state = Submission.State.OM_APPROVED if stage == "billing" else Submission.State.SUBMITTED
    qs = Submission.objects.visible_to(user).filter(state=state)
    if region:
        qs = qs.filter(region_id=region)
    elif user.is_specialist:
        qs = qs.filter(Q(region_id__in=user.region_codes()) | Q(claimed_by=user))
    return (
        qs.select_related("opportunity__account", "opportunity__owner", "region", "claimed_by")
        .prefetch_related("region__closures")
        .order_by(*QUEUE_ORDER)
    )


def waiting_for_rep(*, user: User, stage: str = "om") -> QuerySet[Submission]:
    """The items of this stage a reviewer asked the rep about and that wait for the answer (out of the queue; the
    answer brings them back): a specialist's own questions, every visible one for managers and Billing."""
    qs = Submission.objects.visible_to(user).filter(
        state=Submission.State.NEEDS_INFO, om_decided_at__isnull=(stage != "billing")
    )
    if user.is_specialist:
        qs = qs.filter(Q(info_requested_by=user) | Q(claimed_by=user))
    return qs.select_related("opportunity__owner", "info_requested_by").order_by("info_requested_at", "pk")


def out_of_office_now(*, now=None) -> QuerySet[User]:
    """Who is out of office now and who covers them (the manager's "who covers whom today")."""
    return (
        User.objects.away_at(now or timezone.now()).select_related("backup", "region").order_by("region_id", "username")
    )


def dated_coverage_today(*, today=None):
    """Dated coverage that includes today: who covers which other region's queue."""
    from ordermgmt.models import DatedCoverage

    today = today or timezone.now().date()
    return (
        DatedCoverage.objects.filter(starts_on__lte=today, ends_on__gte=today)
        .select_related("user")
        .order_by("region_id", "user__username")
    )


def queue_filter_sla(qs: QuerySet[Submission], sla_state: str, now=None) -> QuerySet[Submission]:
    now = now or timezone.now()
    if sla_state == "breached":
        return qs.filter(sla_due_at__lte=now)
    if sla_state == "at_risk":
        return qs.filter(sla_at_risk_at__lte=now, sla_due_at__gt=now)
    if sla_state == "ok":
        return qs.filter(sla_at_risk_at__gt=now)
    return qs


def priority_reason(submission, position: int | None = None, tz=None) -> str:
    """Why the item stands where it stands, in the words of the queue order (a Submission or a queue row dict).

    The submitted-at time is in `tz` and names it (the page passes the viewer's zone); the API's text stays in UTC.
    """
    get = submission.get if isinstance(submission, dict) else lambda name: getattr(submission, name)
    parts = []
    if get("escalated"):
        parts.append(f"Escalated ({get('escalation_reason')[:80]})")
    parts.append(f"start date {get('start_date'):%Y-%m-%d}")
    parts.append(f"Net ARR {get('net_arr'):,.2f}")
    tz = tz or UTC
    parts.append(f"submitted {get('submitted_at').astimezone(tz):%Y-%m-%d %H:%M} {zone_name(tz)}")
    prefix = f"#{position}: " if position else ""
    return prefix + ", then ".join(parts)


QUEUE_ROW_FIELDS = (
    "id",
    "opportunity_id",
    "opportunity__name",
    "opportunity__account__name",
    "region_id",
    "opportunity__owner_id",
    "opportunity__owner__first_name",
    "opportunity__owner__last_name",
    "opportunity__owner__username",
    "start_date",
    "net_arr",
    "amount",
    "submitted_at",
    "escalated",
    "escalation_reason",
    "claimed_by_id",
    "claimed_by__first_name",
    "claimed_by__last_name",
    "claimed_by__username",
    "sla_at_risk_at",
    "sla_due_at",
    "held_until",
    "opportunity__route_to_market",
    "state",
    "sequence",
)


# The queue page also shows where a moved item came from and, in Billing's queue, who approved it for OM.
QUEUE_PAGE_FIELDS = (
    *QUEUE_ROW_FIELDS,
    "original_region_id",
    "om_decided_by_id",
    "om_decided_by__first_name",
    "om_decided_by__last_name",
    "om_decided_by__username",
)


def queue_rows(qs: QuerySet[Submission], fields: tuple[str, ...] = QUEUE_ROW_FIELDS) -> QuerySet[dict]:
    """The queue as plain row dicts with `fields`, in priority order: only the columns the queue shows, no model
    instances (the queue API and page serialise these)."""
    return qs.select_related(None).prefetch_related(None).order_by(*QUEUE_ORDER).values(*fields)


def display_name(first_name: str, last_name: str, username: str) -> str:
    """A person's name as `str(user)` shows it, from the columns of a `queue_rows` row."""
    return f"{first_name} {last_name}".strip() or username


def reviewers(*, region: str | None = None) -> QuerySet[User]:
    qs = User.objects.with_role(User.Role.SPECIALIST, User.Role.MANAGER)
    if region:
        qs = qs.filter(Q(region_id=region) | Q(covered_regions=region) | Q(role=User.Role.MANAGER)).distinct()
    return qs.order_by("username")


def next_queue_item(*, user: User, stage: str = "om", region: str | None = None) -> Submission | None:
    """The first item of the queue `user` works that they may act on now: unclaimed, or claimed by them (or by
    someone they back up); managers and Billing may act on any."""
    queue = approval_queue(user=user, stage=stage, region=region)
    if stage == "billing" or user.is_manager:
        return queue.first()
    return queue.filter(Q(claimed_by__isnull=True) | Q(claimed_by=user) | Q(claimed_by__backup=user)).first()


_REGIONS_TTL_SECONDS = 60
_regions_cache: dict = {}


def region_calendars() -> dict:
    """Regions (with their closures) by code, for the SLA arithmetic of list pages.

    Cached per process for a minute: calendars change rarely, stored due times are re-evaluated by
    `services.sla_recompute` (which clears this cache), and at worst another process shows "hours remaining"
    against a calendar a minute old.
    """
    import time

    from ordermgmt.models import Region

    cached = _regions_cache.get("regions")
    if cached is None or time.monotonic() - cached[0] > _REGIONS_TTL_SECONDS:
        cached = (time.monotonic(), {r.pk: r for r in Region.objects.prefetch_related("closures")})
        _regions_cache["regions"] = cached
    return cached[1]


def region_calendars_clear() -> None:
    _regions_cache.clear()
