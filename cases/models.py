"""Request Support cases: teams and their request types, cases, the conversation, and the audit trail.

The whole state machine of a case is `ALLOWED_TRANSITIONS` below; `cases.services` is the only code
that moves it. SLA clocks are measured in business hours of the case's region (the opportunity's region).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from ordermgmt.models import Opportunity, Region, TimeStampedModel

FIELD_TYPES = ("text", "textarea", "number", "date", "url", "choice")


class TeamQuerySet(models.QuerySet):
    def of(self, user) -> TeamQuerySet:
        """The teams `user` belongs to: by their role, or added by name."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(Q(member_role=user.role) | Q(members=user)).distinct()


class Team(models.Model):
    """A support team with a case queue (Deal Desk, Billing Ops, ...). Admin-editable; seeded by a migration."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    member_role = models.CharField(
        max_length=24,
        blank=True,
        help_text="Everyone with this role is a member (e.g. deal_desk for Deal Desk); `members` adds others.",
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="case_teams")
    is_active = models.BooleanField(default=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class RequestType(models.Model):
    """What a team can be asked for, with the extra fields it needs and its SLA targets in business hours.

    `fields` is a list of specs: `{"name", "label", "type": one of FIELD_TYPES, "required": bool, "choices": [...]}`.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="request_types")
    code = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    fields = models.JSONField(default=list, blank=True)
    first_response_hours = models.DecimalField(max_digits=6, decimal_places=2, validators=[MinValueValidator(0.25)])
    resolution_hours = models.DecimalField(max_digits=6, decimal_places=2, validators=[MinValueValidator(0.25)])
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["team", "position", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["team", "code"], name="case_request_type_unique_code"),
            models.CheckConstraint(
                condition=Q(resolution_hours__gte=models.F("first_response_hours")),
                name="case_request_type_resolution_after_first_response",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team.name}: {self.name}"


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user) -> CaseQuerySet:
        """Managers see all; members see their teams' cases; anyone sees cases on opportunities they own."""
        if not user.is_authenticated:
            return self.none()
        if user.is_manager:
            return self
        return self.filter(Q(opportunity__owner=user) | Q(team__in=Team.objects.of(user).values("pk")))


class Case(TimeStampedModel):
    """One request for support on an opportunity, worked by one team and owned by whoever took it first."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        WORK_IN_PROGRESS = "work_in_progress", "Work in Progress"
        PENDING_RESPONSE = "pending_response", "Pending Response"
        ON_HOLD = "on_hold", "On Hold"
        CLOSED = "closed", "Closed"

    # While a case is in one of these the resolution clock does not run.
    CLOCK_STOPPED = (Status.PENDING_RESPONSE, Status.ON_HOLD, Status.CLOSED)

    number = models.CharField(max_length=20, unique=True, editable=False)
    opportunity = models.ForeignKey(Opportunity, on_delete=models.PROTECT, related_name="cases")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", help_text="The SLA calendar.")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="cases")
    request_type = models.ForeignKey(RequestType, on_delete=models.PROTECT, related_name="cases")
    subject = models.CharField(max_length=200)
    details = models.TextField(max_length=10000)
    field_values = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_cases")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="owned_cases"
    )
    possible_duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="possible_duplicates"
    )
    related_cases = models.ManyToManyField("self", blank=True, symmetrical=True)

    first_response_at = models.DateTimeField(null=True, blank=True)
    first_response_business_hours = models.FloatField(null=True, blank=True)
    first_response_due_at = models.DateTimeField()
    resolution_due_at = models.DateTimeField(null=True, blank=True, help_text="Empty while the clock is stopped.")
    # The queue key: first-response due while unanswered, then resolution due; empty when stopped or closed.
    sla_due_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_business_hours = models.FloatField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    resolution_business_hours = models.FloatField(null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["team", "sla_due_at", "created_at"], condition=~Q(status="closed"), name="case_queue_idx"
            ),
            models.Index(fields=["opportunity", "request_type"], condition=~Q(status="closed"), name="case_open_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="new") | Q(owner__isnull=False) | Q(status="closed"),
                name="case_worked_case_has_owner",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False), name="case_closed_has_closed_at"
            ),
            models.CheckConstraint(condition=Q(paused_business_hours__gte=0), name="case_paused_hours_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.number}: {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED


#   new ──take──> work_in_progress <──> pending_response <──> on_hold
#    │                 │  (every open status can close)         │
#    └─────────────────┴──────────────> closed ──reopen──> work_in_progress
S = Case.Status
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    S.NEW: {S.WORK_IN_PROGRESS, S.PENDING_RESPONSE, S.ON_HOLD, S.CLOSED},
    S.WORK_IN_PROGRESS: {S.PENDING_RESPONSE, S.ON_HOLD, S.CLOSED},
    S.PENDING_RESPONSE: {S.WORK_IN_PROGRESS, S.ON_HOLD, S.CLOSED},
    S.ON_HOLD: {S.WORK_IN_PROGRESS, S.PENDING_RESPONSE, S.CLOSED},
    S.CLOSED: {S.WORK_IN_PROGRESS},
}


def case_attachment_upload_to(instance: CaseAttachment, filename: str) -> str:
    return f"cases/{instance.case_id}/{filename}"


class CaseAttachment(models.Model):
    """A file attached to a case (type-sniffed and size-checked by the service)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=case_attachment_upload_to)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class CaseComment(models.Model):
    """A public reply (seen by the requester) or an internal note (team and managers only)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=10000)
    internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Usernames @mentioned: who was notified (owner / requester) and who was not (everyone else).
    mentions_notified = models.JSONField(default=list, blank=True)
    mentions_ignored = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["case", "created_at"], name="case_comment_case_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {'note' if self.internal else 'reply'} by {self.author_id}"


class CaseEvent(models.Model):
    """One line of a case's audit trail: every state or ownership change, appended in the same transaction."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["case", "at"], name="case_event_case_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.from_status}->{self.to_status}"
