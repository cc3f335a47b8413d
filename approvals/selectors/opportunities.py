"""Which opportunities a person may see and work, loaded for lists, the detail page and the workflow."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from ordermgmt.models import Opportunity, User
from ordermgmt.selectors import opportunity_loaded

from ..models import Submission


def opportunity_scope(user: User) -> QuerySet[Opportunity]:
    """The opportunities `user` may see: the foundation's rule (reps their own, specialists their own and covered
    regions, everyone else all), plus, for a specialist, the open items handed to one of their regions on
    escalation and those a manager assigned to them from another region. Anything else answers 404."""
    scope = Opportunity.objects.visible_to(user)
    if not (user.is_authenticated and user.is_specialist):
        return scope
    in_their_queue = Submission.objects.filter(
        Q(region_id__in=user.region_codes()) | Q(claimed_by=user),
        opportunity=OuterRef("pk"),
        state__in=Submission.OPEN_STATES,
    )
    return scope | Opportunity.objects.filter(Exists(in_their_queue))


def opportunity_list(*, user: User) -> QuerySet[Opportunity]:
    """Every opportunity `user` may see, newest first, loaded with what the list and the detail read."""
    return opportunity_loaded(opportunity_scope(user)).order_by("-created_at", "-pk")


def opportunity_get(*, user: User, pk: int) -> Opportunity:
    """One visible opportunity (raises Opportunity.DoesNotExist otherwise: 404, never a hint it exists)."""
    return opportunity_list(user=user).get(pk=pk)
