"""Reads of cases, scoped to what the user may see and loaded with what lists and pages render."""

from __future__ import annotations

from django.db.models import Case as SqlCase
from django.db.models import F, Q, QuerySet, Value, When

from ordermgmt.models import User

from .models import Case, CaseAttachment, CaseComment, CaseEvent, RequestType, Team


def team_list(*, active_only: bool = True) -> QuerySet[Team]:
    """The teams with a queue, by name."""
    qs = Team.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def request_type_list(*, team: Team | None = None) -> QuerySet[RequestType]:
    """Active request types (of one team), in the team's display order."""
    qs = RequestType.objects.filter(is_active=True, team__is_active=True).select_related("team")
    return qs.filter(team=team) if team is not None else qs


def teams_of(*, user: User) -> QuerySet[Team]:
    """The teams whose queue `user` works: their own, or every team for a manager."""
    return team_list() if user.is_manager else team_list().filter(pk__in=Team.objects.of(user).values("pk"))


def case_list(*, user: User) -> QuerySet[Case]:
    """Every case `user` may see, newest first, with everything the list and the SLA columns read.

    Constant query count whatever the page size: region closures (for the business calendar) are prefetched.
    """
    return (
        Case.objects.visible_to(user)
        .select_related("opportunity", "team", "request_type", "owner", "requester", "region", "possible_duplicate_of")
        .prefetch_related("region__closures")
        .order_by("-created_at", "-pk")
    )


def case_queue(*, user: User, team: Team) -> QuerySet[Case]:
    """The open cases of a team in the order they should be worked: the earliest SLA due first.

    First-response due while unanswered, then resolution due (services.common._refresh_sla_due); cases whose clock is
    stopped come last, oldest first; pk last so pages never shuffle. Served by case_queue_idx.
    """
    return (
        case_list(user=user)
        .filter(team=team)
        .exclude(status=Case.Status.CLOSED)
        .order_by(F("sla_due_at").asc(nulls_last=True), "created_at", "pk")
    )


def case_mine(*, user: User) -> QuerySet[Case]:
    """Cases the user requested, owns, or that sit on their opportunities; open ones first, newest first."""
    return (
        case_list(user=user)
        .filter(Q(requester=user) | Q(owner=user) | Q(opportunity__owner=user))
        .annotate(_closed=SqlCase(When(status=Case.Status.CLOSED, then=Value(1)), default=Value(0)))
        .order_by("_closed", "-created_at", "-pk")
    )


def case_get(*, user: User, pk: int) -> Case:
    """One visible case (raises Case.DoesNotExist otherwise: 404, never a hint that it exists)."""
    return case_list(user=user).prefetch_related("related_cases").get(pk=pk)


def case_comments(*, case: Case, user: User) -> QuerySet[CaseComment]:
    """The conversation, oldest first; internal notes only for the owning team and managers."""
    from .services import can_work

    qs = case.comments.select_related("author").order_by("created_at", "pk")
    return qs if can_work(user, case) else qs.filter(internal=False)


def case_events(*, case: Case) -> QuerySet[CaseEvent]:
    """The case's audit trail, oldest first."""
    return case.events.select_related("actor").order_by("at", "pk")


def case_attachments(*, case: Case) -> QuerySet[CaseAttachment]:
    return case.attachments.select_related("uploaded_by").order_by("uploaded_at", "pk")


def team_members_by_role(*, team: Team) -> QuerySet[User]:
    """The active people whose role makes them members of the team."""
    if not team.member_role:
        return User.objects.none()
    return User.objects.filter(role=team.member_role, is_active=True).order_by("username")


def team_members(*, team: Team) -> QuerySet[User]:
    by_role = Q(role=team.member_role) if team.member_role else Q(pk__in=[])
    return User.objects.filter(by_role | Q(case_teams=team), is_active=True).distinct().order_by("username")
