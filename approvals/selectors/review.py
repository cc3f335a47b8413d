"""Reads of one opportunity's review: its submissions and decisions, what changed since a rejection, the actions a
user may offer, the live checklist of an unsaved form."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from ordermgmt.models import Opportunity, OpportunityEvent, User

from .. import requirements
from ..models import ALLOWED_TRANSITIONS, Comment, Correction, Decision, Submission


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
    qs = Submission.objects.filter(escalated=True)
    if since is not None:
        qs = qs.filter(escalated_at__gte=since)
    return (
        qs.values("opportunity__owner", "opportunity__owner__username").annotate(count=Count("id")).order_by("-count")
    )


def opportunity_thread(*, opportunity_id: int) -> QuerySet[Comment]:
    """An opportunity's thread (comments, questions, answers), oldest first, with their authors."""
    return Comment.objects.filter(opportunity_id=opportunity_id).select_related("author").order_by("created_at", "pk")


def correction_list(*, user: User, pending_only: bool = False, opportunity_id: int | None = None):
    """Corrections `user` may see: a specialist's regions', everything for managers, Billing and Deal Desk; the
    oldest first."""
    qs = Correction.objects.select_related("opportunity", "opened_by", "decided_by")
    if user.is_specialist:
        qs = qs.filter(region_id__in=user.region_codes())
    elif not (user.is_manager or user.is_billing or user.role == User.Role.DEAL_DESK):
        qs = qs.filter(opportunity__owner=user)
    if pending_only:
        qs = qs.filter(state=Correction.State.PENDING)
    if opportunity_id is not None:
        qs = qs.filter(opportunity_id=opportunity_id)
    return qs.order_by("opened_at", "pk")


def requirements_preview(*, opportunity, quote, documents) -> list:
    """The booking checklist of an UNSAVED opportunity and quote (the rep's form as typed), with `documents` from
    the saved opportunity. Runs no query."""
    kinds = frozenset(document.kind for document in documents)
    return requirements.evaluate(requirements.Deal(opportunity, quote, kinds))


def opportunity_actions(*, user: User, opportunity) -> set[str]:
    """The workflow actions `user` may offer on `opportunity` right now (the services still decide)."""

    status = opportunity.approval_status
    Status = Opportunity.ApprovalStatus
    actions: set[str] = set()
    owner = user.pk == opportunity.owner_id or user.is_superuser
    in_review = status in (Status.SUBMITTED, Status.NEEDS_INFO)
    if owner and Status.SUBMITTED in ALLOWED_TRANSITIONS[status] and not in_review:
        actions.add("submit")
    if owner and status == Status.SUBMITTED:
        actions |= {"recall", "escalate"}
    if owner and status == Status.NEEDS_INFO:
        actions.add("respond")
    if ((user.is_rep and owner) or user.is_manager) and not opportunity.is_locked:
        actions.add("edit")
    return actions
