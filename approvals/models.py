"""The approval workflow's records: submissions (one per trip through the queue) and decisions.

The whole state machine of an opportunity's approval is `ALLOWED_TRANSITIONS` below; `approvals.services`
is the only code that moves it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from ordermgmt.models import Opportunity

Status = Opportunity.ApprovalStatus

# draft --submit--> submitted --approve--> om_approved --billing approve--> closed_won
#   ^                 |  |  ^                  |    ^   |
#   +---- recall -----+  |  +-- answer --+     |    |   billing reject
#                        |  ask -> needs_info <-ask  |   v
#                        |             +--- answer --+  billing_rejected --resubmit--> submitted
#                        reject -> om_rejected --resubmit--> submitted
# needs_info: a reviewer asked the rep a question; the rep's answer returns the item to the stage (and reviewer)
# it came from, and the SLA clock stood still meanwhile.
# booking_held: Billing approved a deal whose start date is more than 15 days out; the beat closes it as Won on its
# earliest bookable date (or a manager books it earlier, with a reason).
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFT: {Status.SUBMITTED},
    Status.SUBMITTED: {Status.DRAFT, Status.OM_APPROVED, Status.OM_REJECTED, Status.NEEDS_INFO},
    Status.NEEDS_INFO: {Status.SUBMITTED, Status.OM_APPROVED},
    Status.OM_REJECTED: {Status.SUBMITTED},
    Status.OM_APPROVED: {Status.CLOSED_WON, Status.BOOKING_HELD, Status.BILLING_REJECTED, Status.NEEDS_INFO},
    Status.BOOKING_HELD: {Status.CLOSED_WON},
    Status.BILLING_REJECTED: {Status.SUBMITTED},
    Status.CLOSED_WON: set(),
}


class SubmissionQuerySet(models.QuerySet):
    def visible_to(self, user) -> SubmissionQuerySet:
        """Specialists: their region and covered regions; reps: their own; Billing, managers: all."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser or user.role in ("manager", "billing", "deal_desk"):
            return self
        if user.role == "specialist":
            # their regions' items, and any item a manager assigned to them from another region
            return self.filter(Q(region_id__in=user.region_codes()) | Q(claimed_by=user))
        if user.role == "sales_rep":
            return self.filter(opportunity__owner=user)
        return self.none()


# The queue order, declared once: escalated first, then earliest start date, then largest Net ARR, then first
# submitted; id last so pages never shuffle. The selector orders by it, the keyset cursor seeks along it
# (approvals.pagination), the page explains it, and the partial indexes below are built from it.
QUEUE_ORDER = ("-escalated", "start_date", "-net_arr", "submitted_at", "id")
QUEUE_INDEX_KEY = tuple(models.F(f[1:]).desc() if f.startswith("-") else f for f in QUEUE_ORDER)


class Submission(models.Model):
    """One submission of an opportunity for booking approval, from submit to its last decision (or recall).

    Start date and Net ARR are snapshotted (the opportunity is locked while the submission is open) so the
    queue order is served by one partial index.
    """

    class State(models.TextChoices):
        SUBMITTED = "submitted", "In the Order Management queue"
        NEEDS_INFO = "needs_info", "Waiting for the rep's answer"
        OM_APPROVED = "om_approved", "In Billing's queue"
        BOOKING_HELD = "booking_held", "Approved, booking on its date"
        OM_REJECTED = "om_rejected", "Rejected by Order Management"
        BILLING_REJECTED = "billing_rejected", "Rejected by Billing"
        CLOSED_WON = "closed_won", "Closed Won"
        RECALLED = "recalled", "Recalled by the rep"

    OPEN_STATES = (State.SUBMITTED, State.NEEDS_INFO, State.OM_APPROVED, State.BOOKING_HELD)

    # Indexed by the (opportunity, sequence) constraint below, which leads with it.
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="submissions", db_index=False)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    # The queue it sits in: the opportunity's region, or the region it was handed to on escalation.
    region = models.ForeignKey("ordermgmt.Region", on_delete=models.PROTECT, related_name="submissions")
    state = models.CharField(max_length=20, choices=State.choices, default=State.SUBMITTED)
    sequence = models.PositiveSmallIntegerField(default=1, help_text="1 for the first submission, 2 for a resubmit…")

    start_date = models.DateField()
    net_arr = models.DecimalField(max_digits=14, decimal_places=2)
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    escalated = models.BooleanField(default=False)
    escalation_reason = models.TextField(blank=True, max_length=2000)
    escalated_at = models.DateTimeField(null=True, blank=True)
    original_region = models.ForeignKey(
        "ordermgmt.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="claimed_submissions"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Out of office: the claimer whose item their backup holds until they are back (then it returns to them).
    handed_over_from = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # SLA: the clock starts at the next business opening when submitted after the cut-off or outside hours.
    clock_started_at = models.DateTimeField()
    sla_at_risk_at = models.DateTimeField(help_text="When less than 25% of the SLA is left.")
    sla_due_at = models.DateTimeField()
    # SLA alerts, each sent once (by beat, in the queue region's business hours).
    sla_at_risk_alerted_at = models.DateTimeField(null=True, blank=True)
    sla_breach_alerted_at = models.DateTimeField(null=True, blank=True)
    held_until = models.DateField(
        null=True, blank=True, help_text="Approved but held: the start date is more than 15 days after submission."
    )

    # Needs information: who asked and since when (the SLA clock stands still until the rep answers), and the
    # business hours the item spent with the rep, per stage (not counted in the decision's business hours).
    info_requested_at = models.DateTimeField(null=True, blank=True)
    info_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    om_rep_hours = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    billing_rep_hours = models.DecimalField(max_digits=8, decimal_places=2, default=0)

    om_decided_at = models.DateTimeField(null=True, blank=True)
    om_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    om_business_hours = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    billing_decided_at = models.DateTimeField(null=True, blank=True)
    billing_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    billing_business_hours = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity"],
                condition=Q(state__in=["submitted", "needs_info", "om_approved", "booking_held"]),
                name="submission_one_open_per_opportunity",
            ),
            # Numbers an opportunity's submissions 1, 2, 3…; its index also answers "the latest one" in one probe.
            models.UniqueConstraint(fields=["opportunity", "sequence"], name="submission_sequence_per_opportunity"),
            models.CheckConstraint(
                condition=Q(sla_due_at__gte=models.F("clock_started_at")), name="submission_sla_order"
            ),
        ]
        indexes = [
            # The queue order (escalated, start date, Net ARR desc, submitted at, id): per region, across every
            # region (a manager's queue: a top-N walk instead of a sort of all items), and Billing's queue.
            models.Index("region", *QUEUE_INDEX_KEY, condition=Q(state="submitted"), name="submission_om_queue_idx"),
            models.Index(*QUEUE_INDEX_KEY, condition=Q(state="submitted"), name="submission_om_all_queue_idx"),
            models.Index(*QUEUE_INDEX_KEY, condition=Q(state="om_approved"), name="submission_billing_queue_idx"),
            models.Index(fields=["om_decided_at"], name="submission_om_decided_idx"),
            models.Index(fields=["submitted_at"], name="submission_submitted_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.opportunity_id} #{self.sequence} ({self.state})"


class Decision(models.Model):
    """Every decision, by Order Management or Billing, with its reason codes and comment. Never overwritten."""

    class Stage(models.TextChoices):
        ORDER_MANAGEMENT = "om", "Order Management"
        BILLING = "billing", "Billing"

    class Outcome(models.TextChoices):
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="decisions")
    stage = models.CharField(max_length=10, choices=Stage.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()
    reasons = models.JSONField(default=list, blank=True)
    comment = models.TextField(blank=True, max_length=5000)
    business_hours = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["decided_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "stage"], name="decision_one_per_stage_per_submission"),
        ]
        # Every KPI reads decisions by period, some of every stage or outcome (rejections, decisions per region):
        # the range leads, or PostgreSQL scans the table.
        indexes = [models.Index(fields=["decided_at"], name="decision_decided_idx")]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.outcome} {self.submission_id}"


def comment_upload_to(instance: Comment, filename: str) -> str:
    return f"comments/{instance.opportunity_id}/{uuid.uuid4().hex}"


class Comment(models.Model):
    """One message of an opportunity's thread (rep, reviewers, Billing, managers): a comment, a reviewer's question
    (the item waits for the rep) or the rep's answer; with an optional attachment, kept for the audit trail."""

    class Kind(models.TextChoices):
        COMMENT = "comment", "Comment"
        QUESTION = "question", "Question to the rep"
        ANSWER = "answer", "Rep's answer"

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="comments")
    submission = models.ForeignKey(Submission, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COMMENT)
    body = models.TextField(max_length=10000)
    created_at = models.DateTimeField()
    # Usernames @mentioned: who was notified (people who can see the opportunity) and who was not.
    mentions_notified = models.JSONField(default=list, blank=True)
    mentions_ignored = models.JSONField(default=list, blank=True)
    attachment = models.FileField(upload_to=comment_upload_to, blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    attachment_type = models.CharField(max_length=100, blank=True)
    attachment_size = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["opportunity", "created_at"], name="comment_opportunity_idx")]

    def __str__(self) -> str:
        return f"{self.opportunity_id} {self.kind} by {self.author_id}"


class Correction(models.Model):
    """A change to a Closed Won deal after the fact (Billing or a manager opens it, with a reason): field corrections
    of amount, Net ARR or dates, or a debook and rebook (a new close date). It goes through Order Management's
    approval like a submission; the original values are kept beside the new ones, and the history shows both."""

    class Kind(models.TextChoices):
        FIELDS = "fields", "Field correction"
        REBOOK = "rebook", "Debook and rebook"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for Order Management"
        APPROVED = "approved", "Approved and applied"
        REJECTED = "rejected", "Rejected"

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="corrections")
    region = models.ForeignKey("ordermgmt.Region", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FIELDS)
    reason = models.TextField(max_length=2000)
    changes = models.JSONField(help_text="{field: new value} as asked.")
    original = models.JSONField(help_text="{field: value} when the correction was opened.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True, max_length=5000)

    class Meta:
        ordering = ["opened_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity"], condition=Q(state="pending"), name="correction_one_pending_per_opportunity"
            )
        ]
        indexes = [models.Index(fields=["decided_at"], name="correction_decided_idx")]

    def __str__(self) -> str:
        return f"{self.opportunity_id} {self.kind} ({self.state})"


class Verification(models.Model):
    """The reviewer's tick on one item of a submission's checklist: a booking requirement (its code) or a document's
    kind (`document:<id>`), verified or failed with a rejection reason code. One row per item and submission, the
    latest verdict; every change is a line in the opportunity's history."""

    class Verdict(models.TextChoices):
        VERIFIED = "verified", "Verified"
        FAILED = "failed", "Failed"

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="verifications")
    item = models.CharField(max_length=64, help_text="A requirement code, or document:<id> for a document's kind.")
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    reason = models.CharField(max_length=64, blank=True, help_text="The rejection reason code of a failed item.")
    note = models.CharField(max_length=500, blank=True)
    at_approval = models.BooleanField(default=False, help_text="Ticked by an approval that did not list the items.")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["submission", "pk"]
        constraints = [models.UniqueConstraint(fields=["submission", "item"], name="verification_one_per_item")]

    def __str__(self) -> str:
        return f"{self.submission_id} {self.item}: {self.verdict}"
