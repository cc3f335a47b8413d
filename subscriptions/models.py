"""Customer subscriptions from the billing system (reconciliation lands in its own issue)."""

from decimal import Decimal

import pghistory
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from ordermgmt.models import TimeStampedModel


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

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(term_end__gte=F("term_start")), name="subscription_term_order"),
            models.CheckConstraint(condition=Q(carr__gte=0), name="subscription_carr_non_negative"),
        ]

    def __str__(self) -> str:
        return self.name
