"""The reviewer's ticks on a submission's checklist (`approvals.checklist`): verify an item, mark it failed with a
reason code, or clear the tick; and what an approval or a rejection takes from them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ordermgmt import selectors as om_selectors
from ordermgmt.exceptions import Conflict
from ordermgmt.models import Opportunity, User
from ordermgmt.services import opportunity_event_record

from .. import checklist, requirements
from ..models import Submission, Verification
from .guards import _claim_guard, _lock, _require_reviewer, _submitted

VERDICTS = ("verified", "failed", "clear")


def submission_checklist(opp: Opportunity, submission: Submission) -> list[checklist.Item]:
    documents = list(om_selectors.document_list(opportunity=opp))
    return checklist.items(opp, documents, Verification.objects.filter(submission=submission))


@transaction.atomic
def checklist_mark(
    *, opportunity_id: int, actor: User, item: str, verdict: str, reason: str = "", note: str = "", now=None
) -> Opportunity:
    """Tick one item of the open submission's checklist (the reviewer who may decide it: claim rules apply).

    `verified` needs the item met by the data; `failed` takes a rejection reason code (default: the item's own);
    `clear` takes the tick back. Each is a line in the opportunity's history."""
    opp = _lock(opportunity_id, actor)
    submission = _submitted(opp, "verify the checklist")
    _require_reviewer(actor, submission)
    _claim_guard(actor, submission)
    if verdict not in VERDICTS:
        raise ValidationError({"verdict": [f"One of {', '.join(VERDICTS)}."]})
    rows = {row.item: row for row in submission_checklist(opp, submission)}
    row = rows.get(item)
    if row is None:
        raise ValidationError({"item": [f"Not on this submission's checklist: {item!r}. Items: {', '.join(rows)}."]})
    changes = {"checklist_item": row.label}
    if verdict == "clear":
        Verification.objects.filter(submission=submission, item=item).delete()
        opportunity_event_record(opportunity=opp, actor=actor, action="checklist_cleared", changes=changes)
        return opp
    if verdict == Verification.Verdict.VERIFIED:
        if not row.met:
            raise ValidationError({"verdict": [f"“{row.label}” is not met, so it cannot be verified: mark it failed."]})
        reason = ""
    else:
        reason = reason or row.default_reason
        if reason not in requirements.rejection_reason_codes():
            raise ValidationError({"reason": [f"Unknown reason code: {reason!r} (see /api/rejection-reasons/)."]})
        changes["reasons"] = [reason]
    Verification.objects.update_or_create(
        submission=submission, item=item,
        defaults={"verdict": verdict, "reason": reason, "note": note.strip(), "actor": actor,
                  "at": now or timezone.now(), "at_approval": False},
    )  # fmt: skip
    opportunity_event_record(
        opportunity=opp, actor=actor, action=f"checklist_{verdict}", changes=changes, comment=note.strip()
    )
    return opp


def checklist_for_approval(opp: Opportunity, submission: Submission, actor: User, verified: list[str] | None, now):
    """Called by the approval, in its transaction. A failed item blocks it (409: reject, or clear the mark).

    `verified` lists the items the approver ticks with this call; the page sends what it holds (none): every item
    must then be ticked already. An API client that sends no list (API.md's `{"comment"}`) attests the whole
    checklist with its approval: the unticked items are recorded as verified by the approver, `at_approval`."""
    rows = submission_checklist(opp, submission)
    failed = [row.label for row in rows if row.verdict == Verification.Verdict.FAILED]
    if failed:
        raise Conflict(f"Marked failed on the checklist: {'; '.join(failed)}. Reject, or clear the mark.")
    names = {row.item for row in rows}
    unknown = sorted(set(verified or ()) - names)
    if unknown:
        raise ValidationError({"verified": [f"Not on this submission's checklist: {', '.join(unknown)}."]})
    ticking = {row.item for row in rows if not row.verdict} if verified is None else set(verified)
    missing = [row.label for row in rows if not row.verdict and (row.item not in ticking or not row.met)]
    if missing:
        raise ValidationError({"verified": [f"Verify every item before approving; not yet: {'; '.join(missing)}."]})
    Verification.objects.bulk_create(
        [
            Verification(
                submission=submission,
                item=row.item,
                verdict=Verification.Verdict.VERIFIED,
                actor=actor,
                at=now,
                at_approval=verified is None,
            )  # fmt: skip
            for row in rows
            if not row.verdict and row.item in ticking
        ]
    )


def failed_reasons(opp: Opportunity) -> list[str]:
    """The reason codes of the open submission's failed items: they join an Order Management rejection's reasons."""
    return list(
        Verification.objects.filter(
            submission__opportunity=opp,
            submission__state=Submission.State.SUBMITTED,
            verdict=Verification.Verdict.FAILED,
        )  # fmt: skip
        .order_by("pk")
        .values_list("reason", flat=True)
    )
