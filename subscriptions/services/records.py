"""Billing's records: subscriptions and invoices, upserted on their natural keys (billing is the source)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import Invoice, Subscription

SUBSCRIPTION_FIELDS = ("account", "status", "term_start", "term_end", "carr", "exception", "exception_reason")
INVOICE_FIELDS = ("account", "opportunity", "amount", "net_arr", "invoice_date")


def _upsert(model, *, lookup: dict[str, Any], data: dict[str, Any], fields) -> tuple[Any, bool]:
    obj = model.objects.select_for_update(no_key=True).filter(**lookup).first()
    created = obj is None
    if created:
        obj = model(**lookup)
    for name in fields:
        if name in data:
            setattr(obj, name, data[name])
    obj.full_clean(validate_unique=False)
    obj.save()
    return obj, created


@transaction.atomic
def subscription_upsert(*, data: dict[str, Any]) -> tuple[Subscription, bool]:
    """Create or update the subscription named `data["name"]` (billing is the source); returns (it, created)."""
    if data.get("exception") and not data.get("exception_reason"):
        raise ValidationError({"exception_reason": ["Give the reason for the exception."]})
    if "exception" in data and not data["exception"]:
        data = {**data, "exception": None}
    return _upsert(Subscription, lookup={"name": data["name"]}, data=data, fields=SUBSCRIPTION_FIELDS)


@transaction.atomic
def invoice_upsert(*, data: dict[str, Any]) -> tuple[Invoice, bool]:
    """Create or update the invoice numbered `data["number"]`; returns (it, created)."""
    opp = data.get("opportunity")
    if opp is not None and data.get("account") is not None and opp.account_id != data["account"].pk:
        raise ValidationError({"opportunity": ["This opportunity belongs to another account."]})
    return _upsert(Invoice, lookup={"number": data["number"]}, data=data, fields=INVOICE_FIELDS)
