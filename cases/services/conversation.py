"""The conversation on a case: comments with @mentions, and attachments."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from ordermgmt.calendar import business_hours_between
from ordermgmt.exceptions import PermissionDeniedError
from ordermgmt.models import User
from ordermgmt.services import mentioned_usernames

from ..models import CaseAttachment, CaseComment
from .common import (
    _attach,
    _event,
    _locked,
    _notify,
    _refresh_sla_due,
    can_work,
    is_team_member,
)


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


@transaction.atomic
def case_attachment_add(*, case_id: int, actor: User, upload: UploadedFile) -> CaseAttachment:
    """Attach a file to a case (requester, owning team, managers), after size and content-type checks."""
    case = _locked(case_id)
    if not (actor.pk == case.requester_id or actor.pk == case.opportunity.owner_id or can_work(actor, case)):
        raise PermissionDeniedError("You may not add files to this case.")
    attachment = _attach(case, actor, upload)
    _event(case, actor=actor, action="attachment_added", name=attachment.original_name)
    return attachment
