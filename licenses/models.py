"""License delivery: the licensing system's delivery feed, the daily review runs and Support Engineering tickets.

The review job (`licenses.services.license_review_run`) matches Closed Won, self-managed opportunities against
`LicenseDelivery` rows; what is still undelivered after the grace period gets exactly one open `LicenseTicket`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from ordermgmt.models import TimeStampedModel, User


class LicenseDelivery(models.Model):
    """One delivery reported by the licensing system (API feed or CSV back-fill). Idempotent on `external_id`.

    It names the opportunity, or a subscription name plus the Sold To email, which the review job matches.
    `sold_to_email` is stored lower-cased so matching is a plain equality on an index.
    """

    class Source(models.TextChoices):
        API = "api", "API feed"
        CSV = "csv", "CSV import"

    external_id = models.CharField(max_length=100, unique=True)
    opportunity = models.ForeignKey(
        "ordermgmt.Opportunity", null=True, blank=True, on_delete=models.SET_NULL, related_name="license_deliveries"
    )
    subscription_name = models.CharField(max_length=100, blank=True, db_index=True)
    sold_to_email = models.EmailField()
    delivered_at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.API)
    received_at = models.DateTimeField(auto_now_add=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-delivered_at", "-pk"]
        verbose_name_plural = "license deliveries"
        indexes = [
            models.Index(fields=["opportunity", "sold_to_email"], name="lic_delivery_opp_email_idx"),
            models.Index(fields=["subscription_name", "sold_to_email"], name="lic_delivery_sub_email_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(opportunity__isnull=False) | ~Q(subscription_name=""),
                name="lic_delivery_names_opp_or_subscription",
            ),
            models.CheckConstraint(
                condition=Q(sold_to_email=Lower("sold_to_email")), name="lic_delivery_email_lowercase"
            ),
        ]

    def __str__(self) -> str:
        target = f"opportunity {self.opportunity_id}" if self.opportunity_id else self.subscription_name
        return f"{self.external_id}: {target} -> {self.sold_to_email}"


class LicenseReviewRun(models.Model):
    """One daily review of one region: the lock record, its progress and its counts.

    Unique per (region, as_of): beat firing twice, a manager's button and a re-delivered task all land on the
    same row. `last_opportunity_id` is committed together with each chunk's work, so a re-delivered task resumes.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    region = models.ForeignKey("ordermgmt.Region", on_delete=models.PROTECT, related_name="license_review_runs")
    as_of = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_opportunity_id = models.BigIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-as_of", "region", "pk"]
        constraints = [models.UniqueConstraint(fields=["region", "as_of"], name="lic_review_run_one_per_region_day")]

    def __str__(self) -> str:
        return f"License review {self.region_id} {self.as_of} ({self.status})"


class LicenseTicketQuerySet(models.QuerySet):
    def visible_to(self, user) -> LicenseTicketQuerySet:
        """Support Engineering and managers see every ticket; specialists their regions'; everyone else none.

        Reps get 403 from the API and pages before this is reached; `none()` is the safe default.
        """
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser or user.role in (User.Role.SUPPORT_ENGINEERING, User.Role.MANAGER):
            return self
        if user.role == User.Role.SPECIALIST:
            return self.filter(region_id__in=user.region_codes())
        return self.none()


class LicenseTicket(TimeStampedModel):
    """A request to Support Engineering to deliver a license by hand to the Sold To contact of the primary quote.

    At most one open (open or taken) ticket per opportunity, enforced by a partial unique constraint. Region and
    route to market are copied at creation so the systemic-failure catalogue counts what was true at the time.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        TAKEN = "taken", "Taken"
        DELIVERED = "delivered", "Delivered by hand"
        AUTO_CLOSED = "auto_closed", "Closed: delivery arrived"

    class Reason(models.TextChoices):
        NO_DELIVERY = "no_delivery", "No delivery in the feed"
        WRONG_RECIPIENT = "wrong_recipient", "Delivered to another email than the Sold To contact"
        MISSING_SOLD_TO_EMAIL = "missing_sold_to_email", "Primary quote has no Sold To email"
        NO_PRIMARY_QUOTE = "no_primary_quote", "No primary quote"
        IBM_OEM_MANUAL = "ibm_oem_manual", "IBM OEM: always delivered by hand"

    OPEN_STATUSES = (Status.OPEN, Status.TAKEN)

    opportunity = models.ForeignKey("ordermgmt.Opportunity", on_delete=models.CASCADE, related_name="license_tickets")
    run = models.ForeignKey(LicenseReviewRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    region = models.ForeignKey("ordermgmt.Region", on_delete=models.PROTECT, related_name="+")
    route_to_market = models.CharField(max_length=30)
    reason = models.CharField(max_length=30, choices=Reason.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    sold_to_email = models.EmailField(blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="license_tickets"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = LicenseTicketQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["created_at", "id"], condition=Q(status__in=["open", "taken"]), name="lic_ticket_queue_idx"
            ),
            models.Index(fields=["reason", "route_to_market", "created_at"], name="lic_ticket_catalogue_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity"], condition=Q(status__in=["open", "taken"]), name="lic_ticket_one_open_per_opp"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "taken"]) | Q(closed_at__isnull=False),
                name="lic_ticket_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"License ticket {self.pk} for opportunity {self.opportunity_id} ({self.reason}, {self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    LicenseTicket.Status.OPEN: {
        LicenseTicket.Status.TAKEN,
        LicenseTicket.Status.DELIVERED,
        LicenseTicket.Status.AUTO_CLOSED,
    },
    LicenseTicket.Status.TAKEN: {LicenseTicket.Status.DELIVERED, LicenseTicket.Status.AUTO_CLOSED},
    LicenseTicket.Status.DELIVERED: set(),
    LicenseTicket.Status.AUTO_CLOSED: set(),
}
