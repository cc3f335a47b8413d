"""Customer subscriptions and invoices from the billing system, and their reconciliation with opportunities."""

from __future__ import annotations

from decimal import Decimal

import pghistory
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from ordermgmt.models import TimeStampedModel


def _specialist_codes(user) -> list[str] | None:
    """The regions a specialist works (own and covered); None for everyone else, who sees every region."""
    return user.region_codes() if user.is_authenticated and user.is_specialist else None


class SubscriptionQuerySet(models.QuerySet):
    def visible_to(self, user) -> SubscriptionQuerySet:
        """Specialists: their regions' customers' subscriptions; managers and Billing (the only other readers): all."""
        codes = _specialist_codes(user)
        return self if codes is None else self.filter(account__region_id__in=codes)


class InvoiceQuerySet(models.QuerySet):
    def visible_to(self, user) -> InvoiceQuerySet:
        codes = _specialist_codes(user)
        return self if codes is None else self.filter(account__region_id__in=codes)


class DiscrepancyQuerySet(models.QuerySet):
    def visible_to(self, user) -> DiscrepancyQuerySet:
        """A discrepancy belongs to the region of the opportunity it would fix, else of the subscription's (or the
        invoice's) customer. Specialists see and fix their regions'; managers and Billing all."""
        codes = _specialist_codes(user)
        return self if codes is None else self.in_regions(codes)

    def in_regions(self, codes) -> DiscrepancyQuerySet:
        """The discrepancies that belong to one of the regions `codes` (see visible_to; rules.IN_REGION in SQL)."""
        return self.filter(
            models.Q(opportunity__region_id__in=codes)
            | models.Q(opportunity__isnull=True, subscription__account__region_id__in=codes)
            | models.Q(opportunity__isnull=True, subscription__isnull=True, invoice__account__region_id__in=codes)
        )


@pghistory.track(model_name="SubscriptionAudit", obj_field=pghistory.ObjForeignKey(related_name="audit_events"))
class Subscription(TimeStampedModel):
    """A customer subscription; its renewal opportunity points at it (`Opportunity.subscription`)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    class ExceptionKind(models.TextChoices):
        CONTRACT_RESET = "contract_reset", "Contract reset"

    name = models.CharField(max_length=100, unique=True)
    account = models.ForeignKey("ordermgmt.Account", on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    term_start = models.DateField()
    term_end = models.DateField()
    carr = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)])
    exception = models.CharField(max_length=20, choices=ExceptionKind.choices, null=True, blank=True)
    exception_reason = models.CharField(max_length=500, blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(term_end__gte=F("term_start")), name="subscription_term_order"),
            models.CheckConstraint(condition=Q(carr__gte=0), name="subscription_carr_non_negative"),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track(model_name="InvoiceAudit", obj_field=pghistory.ObjForeignKey(related_name="audit_events"))
class Invoice(TimeStampedModel):
    """An invoice from the billing system; `opportunity` is the booking it bills (null when billing did not say).

    `net_arr` is optional: when billing sends it, bookings reconciliation compares it with the opportunity's Net ARR;
    otherwise it annualises `amount` over the service period (`service_months`, or the months from `service_start` to
    `service_end`; without either, the primary quote's term, else 12 months).
    """

    number = models.CharField(max_length=60, unique=True)
    account = models.ForeignKey("ordermgmt.Account", on_delete=models.PROTECT, related_name="invoices")
    opportunity = models.ForeignKey(
        "ordermgmt.Opportunity", null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices"
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    net_arr = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    invoice_date = models.DateField()
    service_start = models.DateField(null=True, blank=True, help_text="First day of the service the invoice bills.")
    service_end = models.DateField(null=True, blank=True, help_text="Last day of the service the invoice bills.")
    service_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="Months of service billed; derived from service_start/service_end when only they are sent.",
    )

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-invoice_date", "number"]
        indexes = [models.Index(fields=["invoice_date"], name="invoice_date_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="invoice_amount_non_negative"),
            models.CheckConstraint(
                condition=Q(service_start__isnull=True)
                | Q(service_end__isnull=True)
                | Q(service_end__gte=F("service_start")),
                name="invoice_service_period_order",
            ),
            models.CheckConstraint(
                condition=Q(service_months__isnull=True) | Q(service_months__gte=1),
                name="invoice_service_months_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class ReconciliationRun(models.Model):
    """One execution of a reconciliation job: its progress, what it found (counts by kind) and who started it."""

    class Kind(models.TextChoices):
        RENEWALS = "renewals", "Renewals"
        BOOKINGS = "bookings", "Bookings"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    as_of = models.DateField(help_text="Renewals: the day the check is made for. Bookings: the day the run is for.")
    period = models.CharField(max_length=7, blank=True, help_text="Bookings: the month checked (YYYY-MM).")
    region = models.ForeignKey(
        "ordermgmt.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Only this region's findings (the region of the opportunity, else of the customer); empty: all.",
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One run of a kind at a time: a second start conflicts (the API answers 409 with the running one).
            models.UniqueConstraint(
                fields=["kind"], condition=Q(status__in=["queued", "running"]), name="recon_run_one_active_per_kind"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="recon_run_progress_max_100"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} run {self.pk} ({self.status})"


RUN_ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    ReconciliationRun.Status.QUEUED: {ReconciliationRun.Status.RUNNING, ReconciliationRun.Status.FAILED},
    ReconciliationRun.Status.RUNNING: {ReconciliationRun.Status.DONE, ReconciliationRun.Status.FAILED},
    ReconciliationRun.Status.DONE: set(),
    ReconciliationRun.Status.FAILED: set(),
}


class Discrepancy(models.Model):
    """One finding of a reconciliation, identified by a stable natural key so a re-run finds the same row again.

    `key` is kind:period:subscription:opportunity:invoice. At most one open-or-accepted discrepancy per key; one
    that is no longer found is closed as `resolved` (upstream). `applied_changes` keeps what a fix changed, for undo.
    """

    class Kind(models.TextChoices):
        MISSING_RENEWAL = "missing_renewal", "Missing renewal"
        ORPHAN_RENEWAL = "orphan_renewal", "Orphan renewal"
        DUPLICATE_RENEWAL = "duplicate_renewal", "Duplicate renewal"
        ARR_BASIS_MISMATCH = "arr_basis_mismatch", "ARR basis mismatch"
        START_DATE_MISMATCH = "start_date_mismatch", "Start date mismatch"
        INVOICE_WITHOUT_OPPORTUNITY = "invoice_without_opportunity", "Invoice without opportunity"
        OPPORTUNITY_WITHOUT_INVOICE = "opportunity_without_invoice", "Opportunity without invoice"
        MULTIPLE_INVOICES = "multiple_invoices", "Multiple invoices"
        NET_ARR_MISMATCH = "net_arr_mismatch", "Net ARR mismatch"
        TERM_NOT_RENEWED = "term_not_renewed", "Renewed term not applied"

    RENEWAL_KINDS = (
        Kind.MISSING_RENEWAL,
        Kind.ORPHAN_RENEWAL,
        Kind.DUPLICATE_RENEWAL,
        Kind.ARR_BASIS_MISMATCH,
        Kind.START_DATE_MISMATCH,
        Kind.TERM_NOT_RENEWED,
    )
    BOOKING_KINDS = (
        Kind.INVOICE_WITHOUT_OPPORTUNITY,
        Kind.OPPORTUNITY_WITHOUT_INVOICE,
        Kind.MULTIPLE_INVOICES,
        Kind.NET_ARR_MISMATCH,
    )

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        FIXED = "fixed", "Fixed"
        ACCEPTED = "accepted", "Accepted as exception"
        RESOLVED = "resolved", "Resolved upstream"

    key = models.CharField(max_length=120)
    kind = models.CharField(max_length=40, choices=Kind.choices)
    period = models.CharField(max_length=7, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    run = models.ForeignKey(ReconciliationRun, on_delete=models.PROTECT, related_name="discrepancies")
    first_run = models.ForeignKey(ReconciliationRun, on_delete=models.PROTECT, related_name="+")
    subscription = models.ForeignKey(Subscription, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    opportunity = models.ForeignKey(
        "ordermgmt.Opportunity", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    expected = models.JSONField(default=dict)
    actual = models.JSONField(default=dict)
    proposed_fix = models.JSONField(default=dict)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    applied_changes = models.JSONField(default=dict, blank=True)

    objects = DiscrepancyQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "first_seen_at", "pk"]
        verbose_name_plural = "discrepancies"
        indexes = [
            models.Index(fields=["status", "kind"], name="discrepancy_status_kind_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=Q(status__in=["open", "accepted"]), name="discrepancy_one_active_per_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.key})"

    @property
    def fixable(self) -> bool:
        return self.status == self.Status.OPEN and self.proposed_fix.get("action") not in (None, "manual")

    @property
    def fix_preview(self) -> str:
        """What applying the proposed fix would do, in words (the review page shows it before anyone applies it)."""
        fix = self.proposed_fix
        action = fix.get("action")
        if action == "create_renewal":
            return (
                f"Create a renewal opportunity for subscription #{self.subscription_id} with ARR basis "
                f"{fix['arr_basis']} and start date {fix['start_date']}."
            )
        if action == "mark_duplicate":
            return (
                f"Mark opportunity #{self.opportunity_id} 10-Duplicate and disconnect it from subscription "
                f"#{self.subscription_id} (keeping #{fix['keep']})."
            )
        if action == "set":
            field = fix["field"]
            return f"Set {field} of opportunity #{self.opportunity_id}: {self.actual.get(field)} -> {fix['value']}."
        return f"No automatic fix: {fix.get('detail', 'resolve by hand')}"


DISCREPANCY_ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Discrepancy.Status.OPEN: {Discrepancy.Status.FIXED, Discrepancy.Status.ACCEPTED, Discrepancy.Status.RESOLVED},
    Discrepancy.Status.FIXED: {Discrepancy.Status.OPEN},  # undo
    Discrepancy.Status.ACCEPTED: {Discrepancy.Status.OPEN},
    Discrepancy.Status.RESOLVED: set(),
}


class DiscrepancyEvent(models.Model):
    """Audit of a discrepancy: applied, accepted, undone, with who, when, what changed and why. Append-only."""

    discrepancy = models.ForeignKey(Discrepancy, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=20)
    to_status = models.CharField(max_length=20)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.discrepancy_id} {self.action}"
