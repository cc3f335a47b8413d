"""Customers and the people at them."""

from __future__ import annotations

import pghistory
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from .base import TimeStampedModel
from .regions import Region


@pghistory.track(model_name="AccountAudit", obj_field=pghistory.ObjForeignKey(related_name="audit_events"))
class Account(TimeStampedModel):
    """A customer."""

    name = models.CharField(max_length=255, db_index=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="accounts")
    country = models.CharField(
        max_length=2, validators=[RegexValidator(r"^[A-Z]{2}$", "Use an ISO 3166 alpha-2 code such as US or DE.")]
    )
    billing_address = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(country__regex=r"^[A-Z]{2}$"), name="account_country_iso2"),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track(model_name="ContactAudit", obj_field=pghistory.ObjForeignKey(related_name="audit_events"))
class Contact(TimeStampedModel):
    """A person at a customer (Sold To and Bill To contacts of quotes)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else self.name
