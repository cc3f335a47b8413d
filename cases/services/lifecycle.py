"""A case's life: opening it, taking or assigning it, and its state machine (answer, wait, resolve, close, reopen)."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ordermgmt.calendar import business_hours_between
from ordermgmt.exceptions import Conflict, InvalidTransition, PermissionDeniedError
from ordermgmt.models import Opportunity, User
from ordermgmt.services.integration import integration_event_emit

from .. import sla
from ..models import ALLOWED_TRANSITIONS, Case
from .common import (
    _attach,
    _clean_field_values,
    _event,
    _locked,
    _notify,
    _refresh_sla_due,
    can_work,
    is_team_member,
    resolve_request_type,
)


@transaction.atomic
def case_open(
    *,
    opportunity_id: int,
    actor: User,
    team: str | int,
    request_type: str | int,
    subject: str,
    details: str,
    field_values: dict[str, Any] | None = None,
    confirm_duplicate: bool = False,
    related_to_id: int | None = None,
    attachments: list[UploadedFile] | None = None,
) -> Case:
    """Open a case on an opportunity for its owner rep (or a manager) and give it its number at once.

    A second open case of the same request type on the same opportunity raises Conflict with
    `possible_duplicate_of` unless `confirm_duplicate`; then it is created and the link stored. The opportunity
    row is locked (NO KEY) so two simultaneous opens cannot both miss each other.
    """
    opp = Opportunity.objects.select_for_update(no_key=True).select_related("region").get(pk=opportunity_id)
    if not (actor.is_manager or (actor.is_rep and opp.owner_id == actor.pk)):
        raise PermissionDeniedError("Only the opportunity's owner or a manager requests support on it.")
    team_obj, rt = resolve_request_type(team=team, request_type=request_type)
    subject, details = (subject or "").strip(), (details or "").strip()
    errors = {}
    if not subject:
        errors["subject"] = ["Say in a few words what you need."]
    if not details:
        errors["details"] = ["Give the team the details they need to act."]
    try:
        values = _clean_field_values(rt, field_values or {})
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    related = None
    if related_to_id is not None:
        related = Case.objects.filter(pk=related_to_id, opportunity=opp).first()
        if related is None:
            raise ValidationError({"related_to": ["Link only to a case on the same opportunity."]})

    duplicate = (
        Case.objects.filter(opportunity=opp, request_type=rt)
        .exclude(status=Case.Status.CLOSED)
        .order_by("created_at", "pk")
        .first()
    )
    if duplicate is not None and not confirm_duplicate:
        raise Conflict(
            f"{duplicate.number} ({duplicate.subject}) is already open for {rt.name} on this opportunity. "
            "Comment there instead, or confirm that this is a separate request.",
            extra={"possible_duplicate_of": duplicate.pk, "possible_duplicate_number": duplicate.number},
        )

    now = timezone.now()
    case = Case.objects.create(
        number=f"tmp-{uuid.uuid4().hex[:16]}",  # replaced by CS-<pk> below, same transaction
        opportunity=opp,
        region=opp.region,
        team=team_obj,
        request_type=rt,
        subject=subject[:200],
        details=details,
        field_values=values,
        requester=actor,
        possible_duplicate_of=duplicate,
        first_response_due_at=sla.first_response_due(now, rt, opp.region),
    )
    case.number = f"CS-{case.pk:06d}"
    case.first_response_due_at = sla.first_response_due(case.created_at, rt, opp.region)
    case.resolution_due_at = sla.resolution_due(case.created_at, rt, opp.region, 0)
    _refresh_sla_due(case)
    case.save(update_fields=["number", "first_response_due_at", "resolution_due_at", "sla_due_at"])
    if related is not None:
        case.related_cases.add(related)
    for upload in attachments or []:
        _attach(case, actor, upload)
    _event(
        case,
        actor=actor,
        action="opened",
        to_status=case.status,
        request_type=rt.code,
        possible_duplicate_of=duplicate.number if duplicate else None,
        related_to=related.number if related else None,
    )
    integration_event_emit(kind="case.opened", opportunity=opp, data={"case": {"id": case.pk, "number": case.number}})
    team = case.team
    members = User.objects.filter(Q(role=team.member_role) | Q(case_teams=team), is_active=True).exclude(pk=actor.pk)
    for member in members.distinct():
        _notify(case, member, "case_new", f"New {rt.name} case {case.number} for {team.name}: {case.subject[:120]}")
    return case


@transaction.atomic
def case_take(*, case_id: int, actor: User) -> Case:
    """Make `actor` the owner of an unowned open case and start work on it.

    The row lock serialises simultaneous takes: the first wins, the others get Conflict (409). Taking a case
    you already own is a no-op.
    """
    case = _locked(case_id)
    if not can_work(actor, case):
        raise PermissionDeniedError("Only members of the owning team (or a manager) take this case.")
    if case.owner_id == actor.pk:
        return case
    if case.owner_id is not None:
        raise Conflict(f"{case.number} is already owned by {case.owner}.", extra={"owner": case.owner_id})
    if not case.is_open:
        raise InvalidTransition(entity="case", from_status=case.status, to_status=Case.Status.WORK_IN_PROGRESS)
    from_status = case.status
    case.owner = actor
    if case.status == Case.Status.NEW:
        case.status = Case.Status.WORK_IN_PROGRESS
    case.save(update_fields=["owner", "status", "updated_at"])
    _event(case, actor=actor, action="taken", from_status=from_status, to_status=case.status, owner=actor.pk)
    if case.requester_id != actor.pk:
        _notify(case, case.requester, "case_taken", f"{actor} is working on {case.number}: {case.subject}")
    return case


@transaction.atomic
def case_assign(*, case_id: int, actor: User, user: User) -> Case:
    """A manager hands an open case to a member of its team (reassignment included)."""
    case = _locked(case_id)
    if not actor.is_manager:
        raise PermissionDeniedError("Only managers assign or reassign cases.")
    if not case.is_open:
        raise InvalidTransition("A closed case cannot be assigned: reopen it first.", from_status=case.status)
    if not is_team_member(user, case.team_id):
        raise ValidationError({"user": [f"{user} is not a member of {case.team.name}."]})
    if case.owner_id == user.pk:
        return case
    previous, from_status = case.owner_id, case.status
    case.owner = user
    if case.status == Case.Status.NEW:
        case.status = Case.Status.WORK_IN_PROGRESS
    case.save(update_fields=["owner", "status", "updated_at"])
    _event(
        case,
        actor=actor,
        action="assigned",
        from_status=from_status,
        to_status=case.status,
        owner=user.pk,
        previous_owner=previous,
    )
    if user.pk != actor.pk:
        _notify(case, user, "case_assigned", f"{actor} assigned {case.number} to you: {case.subject}")
    return case


@transaction.atomic
def case_transition(*, case_id: int, to_status: str, actor: User, note: str = "") -> Case:
    """Move a case to `to_status`, keeping the SLA clocks right, and append a CaseEvent.

    Owner and managers change status; the requester may also close (withdraw) their case; reopening is for the
    owning team and managers. Asking for the current status is a no-op; a move not in ALLOWED_TRANSITIONS raises
    InvalidTransition (409). Pending Response, On Hold and Closed stop the resolution clock: the business hours
    spent there are added to `paused_business_hours` when it starts again.
    """
    if to_status not in Case.Status.values:
        raise ValidationError({"status": [f"Unknown status {to_status!r}."]})
    case = _locked(case_id)
    if case.status == to_status:
        return case
    if to_status not in ALLOWED_TRANSITIONS[case.status]:
        raise InvalidTransition(entity="case", from_status=case.status, to_status=to_status)
    reopening = case.status == Case.Status.CLOSED
    withdrawing = to_status == Case.Status.CLOSED and actor.pk == case.requester_id
    if reopening:
        if not can_work(actor, case):
            raise PermissionDeniedError(
                "Only the owning team reopens a case; open a new linked case from the opportunity instead."
            )
    elif not (actor.is_manager or actor.pk == case.owner_id or withdrawing):
        raise PermissionDeniedError("Only the case owner (or a manager) changes its status.")
    if case.owner_id is None and to_status != Case.Status.CLOSED:
        raise Conflict(f"Nobody owns {case.number} yet: take it first.")

    now = timezone.now()
    from_status = case.status
    was_stopped = from_status in Case.CLOCK_STOPPED
    stops = to_status in Case.CLOCK_STOPPED
    if was_stopped and not stops:
        case.paused_business_hours = round(
            case.paused_business_hours + business_hours_between(case.paused_at, now, case.region), 4
        )
        case.paused_at = None
    elif stops and not was_stopped:
        case.paused_at = now
    if to_status == Case.Status.CLOSED:
        case.closed_at = now
        integration_event_emit(
            kind="case.closed", opportunity=case.opportunity, data={"case": {"id": case.pk, "number": case.number}}
        )
        case.resolution_business_hours = sla.active_business_hours(case, now)
    elif reopening:
        case.closed_at = None
        case.resolution_business_hours = None
    case.resolution_due_at = (
        None
        if stops
        else sla.resolution_due(case.created_at, case.request_type, case.region, case.paused_business_hours)
    )
    case.status = to_status
    _refresh_sla_due(case)
    case.save()
    action = "reopened" if reopening else ("closed" if to_status == Case.Status.CLOSED else "status_changed")
    _event(case, actor=actor, action=action, from_status=from_status, to_status=to_status, note=note[:2000])
    if actor.pk != case.requester_id:
        _notify(
            case, case.requester, f"case_{action}", f"{case.number} is now {case.get_status_display()}: {case.subject}"
        )
    elif case.owner_id and case.owner_id != actor.pk:
        _notify(case, case.owner, f"case_{action}", f"{actor} set {case.number} to {case.get_status_display()}")
    return case


def case_close(*, case_id: int, actor: User, note: str = "") -> Case:
    """Close a case (see case_transition for who may)."""
    return case_transition(case_id=case_id, to_status=Case.Status.CLOSED, actor=actor, note=note)


def case_reopen(*, case_id: int, actor: User, note: str = "") -> Case:
    """Reopen a closed case for more work by its team; the time it spent closed does not count."""
    return case_transition(case_id=case_id, to_status=Case.Status.WORK_IN_PROGRESS, actor=actor, note=note)
