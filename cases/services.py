"""Writes to cases. Every function owns its transaction, locks the case row and appends a CaseEvent."""

from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date

from ordermgmt.calendar import business_hours_between
from ordermgmt.exceptions import Conflict, InvalidTransition, PermissionDeniedError
from ordermgmt.models import Opportunity, User
from ordermgmt.services import notification_send

from . import sla
from .models import ALLOWED_TRANSITIONS, Case, CaseAttachment, CaseComment, CaseEvent, RequestType, Team

MENTION_RE = re.compile(r"(?<![\w@])@([\w.+-]+)")
MAX_TEXT = 500
MAX_TEXTAREA = 5000


# --- helpers ---------------------------------------------------------------------------------------------------------


def is_team_member(user: User, team_id: int) -> bool:
    """Whether `user` belongs to the team (one query)."""
    return Team.objects.filter(pk=team_id, members=user).exists()


def can_work(user: User, case: Case) -> bool:
    """Managers and members of the owning team work cases (take, notes, status)."""
    return user.is_manager or is_team_member(user, case.team_id)


def _event(case: Case, *, actor: User | None, action: str, from_status: str = "", to_status: str = "", **data) -> None:
    CaseEvent.objects.create(
        case=case,
        at=timezone.now(),
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        data=data,
    )


def _refresh_sla_due(case: Case) -> None:
    """The queue key: first-response due while unanswered, else resolution due (empty while stopped or closed)."""
    if not case.is_open:
        case.sla_due_at = None
    elif case.first_response_at is None:
        case.sla_due_at = case.first_response_due_at
    else:
        case.sla_due_at = case.resolution_due_at


def _case_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.pk])


def _notify(case: Case, recipient: User, verb: str, message: str) -> None:
    notification_send(
        recipient=recipient, verb=verb, message=message, opportunity=case.opportunity, url=_case_url(case)
    )


def _locked(case_id: int) -> Case:
    return Case.objects.select_for_update(no_key=True).select_related("request_type", "region").get(pk=case_id)


def _clean_field_values(request_type: RequestType, raw: dict[str, Any]) -> dict[str, Any]:
    """Check the request type's own fields; return their values as JSON-safe strings keyed by field name."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for spec in request_type.fields:
        name, kind, label = spec["name"], spec.get("type", "text"), spec.get("label", spec["name"])
        value = raw.get(name)
        value = "" if value is None else str(value).strip()
        if not value:
            if spec.get("required"):
                errors[name] = [f"{label} is required for {request_type.name}."]
            continue
        if kind == "number":
            try:
                number = Decimal(value)
            except InvalidOperation:
                errors[name] = [f"{label} must be a number."]
                continue
            if not number.is_finite():
                errors[name] = [f"{label} must be a number."]
                continue
            value = str(number)
        elif kind == "date":
            try:
                parsed = parse_date(value)
            except ValueError:
                parsed = None
            if not isinstance(parsed, date):
                errors[name] = [f"{label} must be a date (YYYY-MM-DD)."]
                continue
            value = parsed.isoformat()
        elif kind == "url":
            try:
                URLValidator()(value)
            except ValidationError:
                errors[name] = [f"{label} must be a URL."]
                continue
        elif kind == "choice" and value not in spec.get("choices", []):
            errors[name] = [f"{label} must be one of: {', '.join(spec.get('choices', []))}."]
            continue
        limit = MAX_TEXTAREA if kind == "textarea" else MAX_TEXT
        if len(value) > limit:
            errors[name] = [f"{label} is longer than {limit} characters."]
            continue
        values[name] = value
    if errors:
        raise ValidationError(errors)
    return values


def resolve_request_type(*, team: str | int, request_type: str | int) -> tuple[Team, RequestType]:
    """The active team (by code or id) and one of its active request types (by code or id); 400 naming the field."""
    teams = Team.objects.filter(is_active=True)
    team_obj = teams.filter(pk=int(team)).first() if str(team).isdigit() else teams.filter(code=str(team)).first()
    if team_obj is None:
        raise ValidationError({"team": [f"Unknown team {team!r}."]})
    types = team_obj.request_types.filter(is_active=True)
    rt = (
        types.filter(pk=int(request_type)).first()
        if str(request_type).isdigit()
        else types.filter(code=str(request_type)).first()
    )
    if rt is None:
        raise ValidationError({"request_type": [f"{team_obj.name} has no request type {request_type!r}."]})
    return team_obj, rt


# --- opening -----------------------------------------------------------------------------------------------------


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
    return case


# --- ownership -------------------------------------------------------------------------------------------------------


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


# --- the state machine -----------------------------------------------------------------------------------------------


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


# --- the conversation ------------------------------------------------------------------------------------------------


def mentioned_usernames(body: str) -> list[str]:
    """The distinct @usernames in a text, in order of appearance (trailing punctuation dropped)."""
    seen: list[str] = []
    for raw in MENTION_RE.findall(body):
        name = raw.rstrip(".-+")
        if name and name not in seen:
            seen.append(name)
    return seen


@transaction.atomic
def case_comment_add(*, case_id: int, actor: User, body: str, internal: bool = False) -> CaseComment:
    """Add a public reply or an internal note, record the first response, and send the allowed notifications.

    @mentions notify only the case owner or the requester (never the author; an internal note never reaches the
    requester); anyone else mentioned is recorded in `mentions_ignored` and not notified. A public reply also
    tells the other side (the requester, or the owner when the requester writes). The first public reply by a
    member of the owning team is the first response, measured in business hours of the case's region.
    """
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": ["Write something."]})
    if len(body) > 10000:
        raise ValidationError({"body": ["Keep it under 10,000 characters."]})
    case = _locked(case_id)
    member = is_team_member(actor, case.team_id)
    if internal and not (member or actor.is_manager):
        raise PermissionDeniedError("Only the owning team and managers write internal notes.")

    eligible = {case.owner_id} if internal else {case.owner_id, case.requester_id}
    eligible.discard(None)
    eligible.discard(actor.pk)
    names = mentioned_usernames(body)
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    notified = [users[n] for n in names if n in users and users[n].pk in eligible]
    ignored = [n for n in names if n not in {u.username for u in notified}]

    comment = CaseComment.objects.create(
        case=case,
        author=actor,
        body=body,
        internal=internal,
        mentions_notified=[u.username for u in notified],
        mentions_ignored=ignored,
    )
    now = timezone.now()
    if not internal and member and case.first_response_at is None:
        case.first_response_at = now
        case.first_response_business_hours = round(business_hours_between(case.created_at, now, case.region), 2)
        _refresh_sla_due(case)
        case.save(update_fields=["first_response_at", "first_response_business_hours", "sla_due_at", "updated_at"])
        _event(case, actor=actor, action="first_response", hours=case.first_response_business_hours)

    recipients = {u.pk: u for u in notified}
    kind = "note" if internal else "reply"
    for user in recipients.values():
        _notify(case, user, "case_mention", f"{actor} mentioned you on {case.number} ({kind}): {body[:120]}")
    if not internal:
        other = case.requester if actor.pk != case.requester_id else case.owner
        if other is not None and other.pk != actor.pk and other.pk not in recipients:
            _notify(case, other, "case_reply", f"{actor} replied on {case.number}: {body[:120]}")
    return comment


# --- attachments -----------------------------------------------------------------------------------------------------


def _attach(case: Case, actor: User, upload: UploadedFile) -> CaseAttachment:
    # The same size and type checks as opportunity documents (ordermgmt owns the sniffing rules).
    from ordermgmt.services import upload_check

    original_name, content_type = upload_check(upload)
    attachment = CaseAttachment(
        case=case,
        original_name=original_name,
        content_type=content_type,
        size=upload.size,
        uploaded_by=actor,
    )
    attachment.file.save("upload", upload, save=False)
    attachment.save()
    return attachment


@transaction.atomic
def case_attachment_add(*, case_id: int, actor: User, upload: UploadedFile) -> CaseAttachment:
    """Attach a file to a case (requester, owning team, managers), after size and content-type checks."""
    case = _locked(case_id)
    if not (actor.pk == case.requester_id or actor.pk == case.opportunity.owner_id or can_work(actor, case)):
        raise PermissionDeniedError("You may not add files to this case.")
    attachment = _attach(case, actor, upload)
    _event(case, actor=actor, action="attachment_added", name=attachment.original_name)
    return attachment
