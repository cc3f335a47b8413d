"""Reads of the approval workflow: the queues (in priority order), submissions, decisions, history diffs."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from ordermgmt.models import OpportunityEvent, User

from .models import Decision, Submission

QUEUE_ORDER = ("-escalated", "start_date", "-net_arr", "submitted_at", "id")


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
        qs = qs.filter(region_id__in=user.region_codes())
    return (
        qs.select_related("opportunity__account", "opportunity__owner", "region", "claimed_by")
        .prefetch_related("region__closures")
        .order_by(*QUEUE_ORDER)
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


def priority_reason(submission, position: int | None = None) -> str:
    """Why the item stands where it stands, in the words of the queue order (a Submission or a queue row dict)."""
    get = submission.get if isinstance(submission, dict) else lambda name: getattr(submission, name)
    parts = []
    if get("escalated"):
        parts.append(f"Escalated ({get('escalation_reason')[:80]})")
    parts.append(f"start date {get('start_date'):%Y-%m-%d}")
    parts.append(f"Net ARR {get('net_arr'):,.2f}")
    parts.append(f"submitted {get('submitted_at'):%Y-%m-%d %H:%M} UTC")
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


def open_submission(*, opportunity) -> Submission | None:
    return (
        Submission.objects.filter(opportunity=opportunity, state__in=Submission.OPEN_STATES)
        .select_related("region", "claimed_by")
        .prefetch_related("region__closures")
        .first()
    )


def latest_submission(*, opportunity) -> Submission | None:
    return (
        Submission.objects.filter(opportunity=opportunity)
        .select_related("region", "claimed_by")
        .prefetch_related(Prefetch("decisions", queryset=Decision.objects.select_related("actor")))
        .order_by("-submitted_at", "-pk")
        .first()
    )


def last_rejection(*, opportunity) -> Decision | None:
    return (
        Decision.objects.filter(submission__opportunity=opportunity, outcome=Decision.Outcome.REJECTED)
        .select_related("actor", "submission")
        .order_by("-decided_at", "-pk")
        .first()
    )


def changes_since_last_rejection(*, opportunity) -> list[OpportunityEvent]:
    """The edits (fields, quote, documents) the rep made after the last rejection: what the reviewer re-checks."""
    rejection = last_rejection(opportunity=opportunity)
    if rejection is None:
        return []
    return list(
        opportunity.events.filter(at__gt=rejection.decided_at, action__in=("updated", "document_added"))
        .select_related("actor")
        .order_by("at", "pk")
    )


def escalation_counts(*, since=None) -> QuerySet:
    """Escalations per rep (the handbook warns about reps who escalate routinely)."""
    from django.db.models import Count

    qs = Submission.objects.filter(escalated=True)
    if since is not None:
        qs = qs.filter(escalated_at__gte=since)
    return (
        qs.values("opportunity__owner", "opportunity__owner__username").annotate(count=Count("id")).order_by("-count")
    )


def reviewers(*, region: str | None = None) -> QuerySet[User]:
    qs = User.objects.with_role(User.Role.SPECIALIST, User.Role.MANAGER)
    if region:
        qs = qs.filter(Q(region_id=region) | Q(covered_regions=region) | Q(role=User.Role.MANAGER)).distinct()
    return qs.order_by("username")


# --- the browser UI -----------------------------------------------------------------------------------------------


def requirements_preview(*, opportunity, quote, documents) -> list:
    """The booking checklist of an UNSAVED opportunity and quote (the rep's form as typed), with `documents` from
    the saved opportunity. Runs no query: the quote and documents are handed to the rules as prefetched rows."""
    from . import requirements

    saved_pk = opportunity.pk
    # A new opportunity has no pk, and Django refuses related managers (even prefetched ones) without one; the
    # placeholder never reaches the database because every relation the rules read is prefetched.
    opportunity.pk = saved_pk or 0
    opportunity._prefetched_objects_cache = {"quotes": [quote] if quote is not None else [], "documents": documents}
    try:
        return requirements.evaluate(opportunity)
    finally:
        opportunity.pk = saved_pk


def opportunity_actions(*, user: User, opportunity) -> set[str]:
    """The workflow actions `user` may offer on `opportunity` right now (the services still decide)."""
    from ordermgmt.models import Opportunity

    from .models import ALLOWED_TRANSITIONS

    status = opportunity.approval_status
    Status = Opportunity.ApprovalStatus
    actions: set[str] = set()
    owner = user.pk == opportunity.owner_id or user.is_superuser
    if owner and Status.SUBMITTED in ALLOWED_TRANSITIONS[status] and status != Status.SUBMITTED:
        actions.add("submit")
    if owner and status == Status.SUBMITTED:
        actions |= {"recall", "escalate"}
    if ((user.is_rep and owner) or user.is_manager) and not opportunity.is_locked:
        actions.add("edit")
    return actions


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
