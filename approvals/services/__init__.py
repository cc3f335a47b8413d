"""Every move of the approval workflow. Each service checks the actor's role and object permission, locks the
opportunity row, validates the transition against ALLOWED_TRANSITIONS, writes the submission/decision records and
the history, and queues notifications after commit. Re-exported here: callers write `from approvals import services`.
"""

from .alerts import sla_alerts_send
from .assignment import approval_assign, approval_claim, sla_recompute
from .booking import BOOKED_FIELDS, approval_book_now, booking_lock_check, held_bookings_close
from .conversation import approval_info_request, approval_info_respond, opportunity_comment_add
from .corrections import correction_approve, correction_open, correction_reject
from .coverage import coverage_sweep, specialist_set_coverage, specialist_set_out_of_office
from .decisions import approval_approve, approval_billing_approve, approval_billing_reject, approval_reject
from .guards import can_review
from .submission import approval_escalate, approval_recall, approval_submit
from .verification import checklist_mark, submission_checklist

__all__ = [
    "submission_checklist",
    "BOOKED_FIELDS",
    "approval_approve",
    "approval_assign",
    "approval_billing_approve",
    "approval_billing_reject",
    "approval_book_now",
    "approval_claim",
    "approval_escalate",
    "approval_info_request",
    "checklist_mark",
    "approval_info_respond",
    "approval_recall",
    "approval_reject",
    "approval_submit",
    "booking_lock_check",
    "can_review",
    "correction_approve",
    "correction_open",
    "correction_reject",
    "coverage_sweep",
    "held_bookings_close",
    "opportunity_comment_add",
    "sla_alerts_send",
    "sla_recompute",
    "specialist_set_coverage",
    "specialist_set_out_of_office",
]
