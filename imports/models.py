"""Imports from Salesforce: each run (a dry run or the real one) with its per-row outcomes, and the mapping from a
Salesforce Id to our record, kept here so the foundation's models need no column for it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ordermgmt.models import User

# Who imports: managers and Deal Desk any owner's opportunities; a sales rep only their own (each other row refused).
IMPORTER_ROLES = (User.Role.MANAGER, User.Role.DEAL_DESK, User.Role.SALES_REP)
ALL_RUNS_ROLES = (User.Role.MANAGER, User.Role.DEAL_DESK)


def may_import(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.role in IMPORTER_ROLES))


class ImportRunQuerySet(models.QuerySet):
    def visible_to(self, user) -> ImportRunQuerySet:
        """Managers and Deal Desk see every run; a rep their own; everyone else none."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser or user.role in ALL_RUNS_ROLES:
            return self
        if user.role == User.Role.SALES_REP:
            return self.filter(created_by=user)
        return self.none()


class ImportRun(models.Model):
    """One pass over an uploaded file: a dry run (everything rolled back, outcomes kept) or the real import, which a
    Celery worker executes row by row, committing each row and its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)

    class Format(models.TextChoices):
        CSV = "csv", "CSV (Salesforce report export)"
        JSON = "json", "JSON (Salesforce REST records)"

    filename = models.CharField(max_length=255)
    format = models.CharField(max_length=10, choices=Format.choices)
    # The file itself, as text: the worker reads it from here (no shared file system needed).
    content = models.TextField()
    dry_run = models.BooleanField(default=True)
    dry_run_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="imports",
        help_text="The dry run this import carries out.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(processed__lte=models.F("total")), name="import_run_processed_max"),
        ]

    def __str__(self) -> str:
        return f"{'Dry run' if self.dry_run else 'Import'} {self.pk} of {self.filename} ({self.status})"

    @property
    def progress(self) -> int:
        """Percent of the rows processed (0..100)."""
        if self.status == self.Status.DONE:
            return 100
        return (self.processed * 100) // self.total if self.total else 0

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class ImportRow(models.Model):
    """What one row of a run did (or would do): created, updated, unchanged, or refused with the reason."""

    class Outcome(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        UNCHANGED = "unchanged", "Unchanged"
        REFUSED = "refused", "Refused"

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField(help_text="The row's number in the file (1 = the first record).")
    external_id = models.CharField(max_length=40, blank=True)
    name = models.CharField(max_length=255, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    column = models.CharField(max_length=100, blank=True, help_text="The column a refusal is about.")
    reason = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True)
    opportunity_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["run", "line"]
        constraints = [models.UniqueConstraint(fields=["run", "line"], name="import_row_one_per_line")]
        indexes = [models.Index(fields=["run", "outcome", "line"], name="import_row_outcome_idx")]

    def __str__(self) -> str:
        return f"run {self.run_id} line {self.line}: {self.outcome}"


class ExternalRef(models.Model):
    """A record of another system (a Salesforce Id) mapped to ours: the key that makes a re-import an update."""

    class Kind(models.TextChoices):
        ACCOUNT = "account", "Account"
        CONTACT = "contact", "Contact"
        OPPORTUNITY = "opportunity", "Opportunity"

    source = models.CharField(max_length=20, default="salesforce")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    external_id = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source", "kind", "external_id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "kind", "external_id"], name="external_ref_unique"),
        ]
        indexes = [models.Index(fields=["kind", "object_id"], name="external_ref_object_idx")]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.external_id} -> {self.object_id}"
