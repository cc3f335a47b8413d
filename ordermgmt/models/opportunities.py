"""Opportunities, their quotes and their history."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import pghistory
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from .base import TimeStampedModel
from .customers import Account, Contact
from .people import User
from .regions import Region

if TYPE_CHECKING:
    from .documents import Document


class OpportunityQuerySet(models.QuerySet):
    def visible_to(self, user) -> OpportunityQuerySet:
        """Reps see their own; specialists their region and the regions they cover; everyone else all.

        The foundation's rule; the approvals app widens a specialist's scope by the items in their queues
        (`approvals.selectors.opportunity_scope`)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser or user.role in (
            User.Role.MANAGER,
            User.Role.BILLING,
            User.Role.DEAL_DESK,
            User.Role.SUPPORT_ENGINEERING,
        ):
            return self
        if user.role == User.Role.SALES_REP:
            return self.filter(owner=user)
        if user.role == User.Role.SPECIALIST:
            return self.filter(region_id__in=user.region_codes())
        return self.none()


@pghistory.track(model_name="OpportunityAudit", obj_field=pghistory.ObjForeignKey(related_name="audit_events"))
class Opportunity(TimeStampedModel):
    """A deal. Reps fill it in; `approval_status` and stage 7 / Closed Won move only through approvals.services."""

    class Type(models.TextChoices):
        NEW_BUSINESS = "new_business", "New Business"
        ADD_ON = "add_on", "Add-On"
        RENEWAL = "renewal", "Renewal"

    class Deployment(models.TextChoices):
        SELF_MANAGED = "self_managed", "Self-Managed"
        SAAS = "saas", "SaaS"

    class Route(models.TextChoices):
        DIRECT = "direct", "Direct"
        RESELLER = "reseller", "Reseller / Distributor / MSP"
        AWS_PRIVATE_OFFER = "aws_private_offer", "AWS Private Offer"
        GCP_PRIVATE_OFFER = "gcp_private_offer", "GCP Private Offer"
        IBM_OEM = "ibm_oem", "IBM OEM"
        PUBLIC_SECTOR = "public_sector", "Public Sector"
        PROFESSIONAL_SERVICES = "professional_services", "Professional Services"

    class Stage(models.TextChoices):
        PENDING_ACCEPTANCE = "0-pending_acceptance", "0-Pending Acceptance"
        DISCOVERY = "1-discovery", "1-Discovery"
        SCOPING = "2-scoping", "2-Scoping"
        TECHNICAL_EVALUATION = "3-technical_evaluation", "3-Technical Evaluation"
        PROPOSAL = "4-proposal", "4-Proposal"
        NEGOTIATING = "5-negotiating", "5-Negotiating"
        AWAITING_SIGNATURE = "6-awaiting_signature", "6-Awaiting Signature"
        CLOSING = "7-closing", "7-Closing"
        CLOSED_WON = "closed_won", "Closed Won"
        CLOSED_LOST = "8-closed_lost", "8-Closed Lost"
        DUPLICATE = "10-duplicate", "10-Duplicate"

    # Stages only the workflow or reconciliation may set.
    WORKFLOW_STAGES = (Stage.CLOSING, Stage.CLOSED_WON, Stage.DUPLICATE)

    class AgreementType(models.TextChoices):
        SIGNED_ORDER_FORM = "signed_order_form", "Signed Order Form"
        PURCHASE_ORDER = "purchase_order", "Purchase Order"
        ORDER_FORM_AND_PO = "order_form_and_po", "Signed Order Form + PO"
        CLIENT_FORM = "client_form", "Client/Prospect Form"
        AWS_PRIVATE_OFFER = "aws_private_offer", "AWS Private Offer"
        GCP_PRIVATE_OFFER = "gcp_private_offer", "GCP Private Offer"
        IBM_OEM = "ibm_oem", "IBM OEM"
        SOW = "sow", "SOW"
        OTHER = "other", "Other"

    class ApprovalStatus(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        NEEDS_INFO = "needs_info", "Waiting for the rep"
        OM_APPROVED = "om_approved", "Approved by Order Management"
        BOOKING_HELD = "booking_held", "Approved, booking on its date"
        OM_REJECTED = "om_rejected", "Rejected by Order Management"
        BILLING_REJECTED = "billing_rejected", "Rejected by Billing"
        CLOSED_WON = "closed_won", "Closed Won"

    # While in one of these the rep cannot edit the opportunity.
    LOCKED_STATUSES = (
        ApprovalStatus.SUBMITTED,
        ApprovalStatus.NEEDS_INFO,
        ApprovalStatus.OM_APPROVED,
        ApprovalStatus.BOOKING_HELD,
        ApprovalStatus.CLOSED_WON,
    )

    name = models.CharField(max_length=255)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="opportunities")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="opportunities")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="opportunities")
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.NEW_BUSINESS)
    deployment = models.CharField(max_length=20, choices=Deployment.choices, default=Deployment.SELF_MANAGED)
    route_to_market = models.CharField(max_length=30, choices=Route.choices, default=Route.DIRECT)
    stage = models.CharField(max_length=30, choices=Stage.choices, default=Stage.DISCOVERY, db_index=True)
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    net_arr = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    arr_basis = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    close_date = models.DateField(null=True, blank=True)
    closed_won_reason = models.CharField(max_length=100, blank=True)
    closed_won_details = models.TextField(blank=True, max_length=5000)
    competitors = models.CharField(max_length=500, blank=True)
    executed_agreement_type = models.CharField(max_length=30, choices=AgreementType.choices, null=True, blank=True)
    executed_agreement_link = models.URLField(max_length=500, blank=True)
    po_required = models.BooleanField(default=False)
    subscription = models.ForeignKey(
        "subscriptions.Subscription", null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    license_delivery_date = models.DateField(null=True, blank=True)
    sold_to_email_at_close = models.EmailField(
        blank=True,
        help_text="The primary quote's Sold To email when Billing closed the deal: where its licenses go, whatever "
        "the contact says later.",
    )
    approval_status = models.CharField(
        max_length=20, choices=ApprovalStatus.choices, default=ApprovalStatus.DRAFT, db_index=True
    )
    # Bumped by every write through the services: a client that sends the version it read gets 409 if it is stale.
    version = models.PositiveIntegerField(default=1)

    objects = OpportunityQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "opportunities"
        indexes = [
            # A rep's list, in its exact order (-created_at, -pk): no sort step for ties, whatever the rep's share.
            models.Index(fields=["owner", "-created_at", "-id"], name="opp_owner_recent_pk_idx"),
            models.Index(fields=["region", "stage"], name="opp_region_stage_idx"),
            models.Index(fields=["stage", "close_date"], name="opp_stage_close_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="opp_amount_non_negative"),
            models.CheckConstraint(condition=Q(arr_basis__gte=0), name="opp_arr_basis_non_negative"),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True) | Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="opp_end_not_before_start",
            ),
            models.CheckConstraint(
                condition=~Q(approval_status="closed_won") | Q(stage="closed_won"),
                name="opp_closed_won_status_matches_stage",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def booked_arr(self) -> Decimal:
        return (self.net_arr or Decimal("0")) + (self.arr_basis or Decimal("0"))

    @property
    def is_locked(self) -> bool:
        return self.approval_status in self.LOCKED_STATUSES

    @property
    def primary_quote(self) -> Quote | None:
        """The primary quote: what `opportunity_list()` or a `quotes` prefetch loaded, else one query."""
        loaded = self.__dict__.get("prefetched_primary_quotes")
        if loaded is not None:
            return loaded[0] if loaded else None
        # Read the prefetch cache itself: `self.quotes` builds a new related manager on every access (~15 us), and
        # the requirements engine asks for the quote several times per opportunity.
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("quotes")
        if prefetched is not None:
            return next((q for q in prefetched if q.is_primary), None)
        return self.quotes.filter(is_primary=True).select_related("sold_to_contact", "bill_to_contact").first()

    @property
    def attached_documents(self) -> list[Document] | models.QuerySet[Document]:
        """The documents: what `opportunity_list()` or a `documents` prefetch loaded, else one query."""
        loaded = self.__dict__.get("prefetched_documents")
        return loaded if loaded is not None else self.documents.all()

    def document_kinds(self) -> set[str]:
        """The kinds of the attached documents."""
        return {doc.kind for doc in self.attached_documents}


@pghistory.track(model_name="QuoteAudit", obj_field=pghistory.ObjForeignKey(related_name="audit_events"))
class Quote(TimeStampedModel):
    """A quote of an opportunity; only the primary one counts for booking."""

    class PaymentTerms(models.TextChoices):
        NET_30 = "net_30", "Net 30"
        NET_45 = "net_45", "Net 45"
        NET_60 = "net_60", "Net 60"
        NET_90 = "net_90", "Net 90"
        PREPAID = "prepaid", "Prepaid"

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="quotes")
    is_primary = models.BooleanField(default=True)
    number = models.CharField(max_length=40, unique=True)
    sold_to_contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    bill_to_contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)]
    )
    start_date = models.DateField(null=True, blank=True)
    term_months = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    payment_terms = models.CharField(max_length=20, choices=PaymentTerms.choices, blank=True)
    po_number = models.CharField(max_length=60, blank=True)
    po_amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Amount on the customer's or distributor's PO (Public Sector deals must match the quote).",
    )
    approved = models.BooleanField(default=False, help_text="Set by Deal Desk or a manager, never by the quote's rep.")
    approval_requested_at = models.DateTimeField(null=True, blank=True, help_text="The rep asked Deal Desk to approve.")

    class Meta:
        ordering = ["-is_primary", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity"], condition=Q(is_primary=True), name="quote_one_primary_per_opportunity"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="quote_amount_non_negative"),
            models.CheckConstraint(
                condition=Q(term_months__isnull=True) | Q(term_months__gte=1), name="quote_term_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class OpportunityEvent(models.Model):
    """One line of an opportunity's history: who did what, when, what changed and why. Append-only."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=40)
    changes = models.JSONField(default=dict, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["opportunity", "at"], name="opp_event_opp_at_idx")]

    def __str__(self) -> str:
        return f"{self.opportunity_id} {self.action} at {self.at:%Y-%m-%d %H:%M}"
