"""The review conversation: a reviewer asks the rep without rejecting (the item waits for the rep and its SLA clock
stands still), the rep answers and the item returns to the same reviewer, and the comment thread every opportunity
has (rep, reviewers, Billing, managers) with the @mention rule of case comments."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ordermgmt.calendar import add_business_hours, business_hours_between
from ordermgmt.exceptions import InvalidTransition, NotVisibleError, PermissionDeniedError
from ordermgmt.models import Opportunity, User
from ordermgmt.services import mentioned_usernames, notification_send, opportunity_event_record, upload_check

from .. import selectors
from ..models import Comment, Submission
from .guards import (
    State,
    Status,
    _check_transition,
    _claim_guard,
    _lock,
    _move,
    _notify_rep,
    _open_submission,
    _require_billing,
    _require_owner,
    _require_reviewer,
)

MAX_BODY = 10000


def _text(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: ["Write something."]})
    if len(value) > MAX_BODY:
        raise ValidationError({field: [f"Keep it under {MAX_BODY:,} characters."]})
    return value


def _notify(user: User, opp: Opportunity, verb: str, message: str) -> None:
    """Reviewers land on the review page, the rep (and anyone else) on the opportunity."""
    reviewer = user.pk != opp.owner_id and (user.is_billing or user.is_specialist or user.is_manager)
    url = reverse("approvals:review" if reviewer else "approvals:opportunity_detail", args=[opp.pk])
    notification_send(recipient=user, verb=verb, message=message, opportunity=opp, url=url)


def _comment(
    opp: Opportunity,
    *,
    actor: User,
    body: str,
    kind: str = Comment.Kind.COMMENT,
    submission: Submission | None = None,
    upload: UploadedFile | None = None,
    now: datetime,
) -> tuple[Comment, set[int]]:
    """Write one message of the thread and notify the people it @mentions who can see the opportunity (never the
    author); returns the comment and who was notified."""
    names = mentioned_usernames(body)
    candidates = User.objects.filter(username__in=names, is_active=True).exclude(pk=actor.pk)
    visible = {u.username: u for u in candidates if selectors.opportunity_scope(u).filter(pk=opp.pk).exists()}
    notified = [visible[name] for name in names if name in visible]
    comment = Comment(
        opportunity=opp,
        submission=submission,
        author=actor,
        kind=kind,
        body=body,
        created_at=now,
        mentions_notified=[u.username for u in notified],
        mentions_ignored=[n for n in names if n not in {u.username for u in notified}],
    )
    if upload is not None:
        comment.attachment_name, comment.attachment_type = upload_check(upload)
        comment.attachment_size = upload.size
        comment.attachment.save("upload", upload, save=False)
    comment.save(force_insert=True)
    for user in notified:
        _notify(user, opp, "mention", f"{actor} mentioned you on {opp.name}: {body[:160]}")
    return comment, {u.pk for u in notified}


@transaction.atomic
def approval_info_request(*, opportunity_id: int, actor: User, question: str, now=None) -> Opportunity:
    """Ask the rep a question without rejecting: the item leaves the queue for the rep, its SLA clock stands still,
    and it stays claimed by the asker (Order Management) so that the answer brings it back to them.

    Order Management asks while the item waits for its decision; Billing while it is in Billing's queue.
    """
    opp = _lock(opportunity_id, actor)
    if not (actor.is_specialist or actor.is_manager or actor.is_billing or actor.is_superuser):
        raise PermissionDeniedError("Only Order Management and Billing ask the rep for information.")
    question = _text(question, "question")
    if opp.approval_status == Status.NEEDS_INFO:
        raise InvalidTransition("A question is already waiting for the rep's answer.", from_status=opp.approval_status)
    now = now or timezone.now()
    if opp.approval_status == Status.OM_APPROVED:
        _require_billing(actor)
        submission = _open_submission(opp)
    else:
        _check_transition(opp, Status.NEEDS_INFO, "ask the rep")
        submission = _open_submission(opp)
        _require_reviewer(actor, submission)
        _claim_guard(actor, submission)
        if submission.claimed_by_id is None:
            submission.claimed_by, submission.claimed_at = actor, now
    before = opp.approval_status
    submission.state = State.NEEDS_INFO
    submission.info_requested_at, submission.info_requested_by = now, actor
    moved = _move(opp, Status.NEEDS_INFO)
    opportunity_event_record(
        opportunity=opp,
        actor=actor,
        action="needs_info",
        changes={"approval_status": [before, Status.NEEDS_INFO]},
        comment=question,
    )
    submission.save(update_fields=["state", "info_requested_at", "info_requested_by", "claimed_by", "claimed_at"])
    opp.save(update_fields=moved)
    _comment(opp, actor=actor, body=question, kind=Comment.Kind.QUESTION, submission=submission, now=now)
    _notify_rep(opp, "needs_info", f"{actor} has a question about {opp.name} before deciding: {question[:300]}")
    return opp


def _shifted(moment: datetime, *, asked_at: datetime, hours: float, region) -> datetime:
    """A deadline still ahead when the question was asked moves by the business hours the rep held the item; one
    already past stays where it was."""
    return add_business_hours(moment, hours, region) if moment > asked_at else moment


@transaction.atomic
def approval_info_respond(
    *, opportunity_id: int, actor: User, answer: str, upload: UploadedFile | None = None, now=None
) -> Opportunity:
    """The rep's answer: the item returns to the stage it came from, claimed by the same reviewer, at the same queue
    position (the queue order does not depend on the pause). The business hours it spent with the rep are added to
    the SLA's at-risk and due times and recorded on the submission (time with the rep, excluded from the
    decision's business hours)."""
    opp = _lock(opportunity_id, actor)
    _require_owner(actor, opp, "answer questions about")
    answer = _text(answer, "answer")
    if opp.approval_status != Status.NEEDS_INFO:
        raise InvalidTransition("No question is waiting for your answer.", from_status=opp.approval_status)
    now = now or timezone.now()
    submission = _open_submission(opp)
    region, asked_at = submission.region, submission.info_requested_at
    paused = business_hours_between(asked_at, now, region)
    held = Decimal(f"{paused:.2f}")
    changes: dict = {"paused_business_hours": [None, str(held)]}
    if submission.om_decided_at is None:
        back = Status.SUBMITTED
        submission.om_rep_hours += held
        due_before = submission.sla_due_at
        submission.sla_at_risk_at = _shifted(submission.sla_at_risk_at, asked_at=asked_at, hours=paused, region=region)
        submission.sla_due_at = _shifted(submission.sla_due_at, asked_at=asked_at, hours=paused, region=region)
        if submission.sla_due_at != due_before:
            changes["sla_due_at"] = [due_before.isoformat(), submission.sla_due_at.isoformat()]
    else:
        back = Status.OM_APPROVED
        submission.billing_rep_hours += held
    changes["approval_status"] = [Status.NEEDS_INFO, back]
    submission.state = back
    submission.info_requested_at = None
    reviewer = submission.info_requested_by
    moved = _move(opp, back)
    opportunity_event_record(opportunity=opp, actor=actor, action="info_provided", changes=changes, comment=answer)
    timings = ["om_rep_hours", "billing_rep_hours", "sla_at_risk_at", "sla_due_at"]
    submission.save(update_fields=["state", "info_requested_at", *timings])
    opp.save(update_fields=moved)
    _, notified = _comment(
        opp, actor=actor, body=answer, kind=Comment.Kind.ANSWER, submission=submission, upload=upload, now=now
    )
    if reviewer is not None and reviewer.pk not in notified:
        _notify(reviewer, opp, "info_provided", f"{actor} answered your question on {opp.name}: {answer[:300]}")
    return opp


@transaction.atomic
def opportunity_comment_add(
    *, opportunity_id: int, actor: User, body: str, upload: UploadedFile | None = None, now=None
) -> Comment:
    """A message on the opportunity's thread, by anyone who can see it. @mentions notify the people mentioned who can
    see the opportunity; a message also tells the other side (the rep when a reviewer writes, the item's reviewer
    when the rep writes)."""
    opp = selectors.opportunity_scope(actor).select_related("owner").filter(pk=opportunity_id).first()
    if opp is None:
        raise NotVisibleError()
    body = _text(body, "body")
    comment, notified = _comment(opp, actor=actor, body=body, upload=upload, now=now or timezone.now())
    if actor.pk == opp.owner_id:
        latest = selectors.latest_submission(opportunity=opp)
        other = (latest.claimed_by or latest.info_requested_by) if latest is not None else None
    else:
        other = opp.owner
    if other is not None and other.pk != actor.pk and other.pk not in notified:
        _notify(other, opp, "comment", f"{actor} wrote on {opp.name}: {body[:160]}")
    return comment
