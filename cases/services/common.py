"""What every case write shares: who may work a case, the event row, the SLA due times, notifications, the row
lock, attachments, and the request type's own fields."""

from __future__ import annotations

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

from ordermgmt.exceptions import PermissionDeniedError
from ordermgmt.models import User
from ordermgmt.services import notification_send, upload_check

from ..models import Case, CaseAttachment, CaseEvent, RequestType, Team

MAX_TEXT = 500
MAX_TEXTAREA = 5000


def is_team_member(user: User, team_id: int) -> bool:
    """Whether `user` belongs to the team (one query)."""
    return Team.objects.of(user).filter(pk=team_id).exists()


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
    team_obj = teams.filter(pk=int(team)).first() if str(team).isdecimal() else teams.filter(code=str(team)).first()
    if team_obj is None:
        raise ValidationError({"team": [f"Unknown team {team!r}."]})
    types = team_obj.request_types.filter(is_active=True)
    rt = (
        types.filter(pk=int(request_type)).first()
        if str(request_type).isdecimal()
        else types.filter(code=str(request_type)).first()
    )
    if rt is None:
        raise ValidationError({"request_type": [f"{team_obj.name} has no request type {request_type!r}."]})
    return team_obj, rt


def _attach(case: Case, actor: User, upload: UploadedFile) -> CaseAttachment:
    # The same size and type checks as opportunity documents (ordermgmt owns the sniffing rules).
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
def team_membership_add(*, user: User, team_codes: list[str]) -> list[Team]:
    """Add `user` to the named case teams (beyond the one their role gives); returns every team they are in. An
    unknown code is a ValidationError naming `team`, and nothing is added."""
    teams = list(Team.objects.filter(code__in=team_codes))
    unknown = sorted(set(team_codes) - {t.code for t in teams})
    if unknown:
        raise ValidationError({"team": [f"Unknown team(s): {', '.join(unknown)}."]})
    user.case_teams.add(*teams)
    return list(Team.objects.of(user).order_by("name"))


@transaction.atomic
def team_members_set(*, actor: User, team_code: str, user_ids: list[int]) -> Team:
    """A manager sets who is in a team by name, beyond everyone whose role makes them members. An unknown team is a
    ValidationError naming `team`; an unknown or inactive person, naming `members`."""
    if not actor.is_manager:
        raise PermissionDeniedError("Only managers change team membership.")
    team = Team.objects.select_for_update().filter(code=team_code).first()
    if team is None:
        raise ValidationError({"team": [f"Unknown team {team_code!r}."]})
    people = list(User.objects.filter(pk__in=user_ids, is_active=True))
    missing = sorted(set(user_ids) - {u.pk for u in people})
    if missing:
        raise ValidationError({"members": [f"Unknown or inactive user id(s): {', '.join(map(str, missing))}."]})
    team.members.set(people)
    return team
