"""Billing's records: subscriptions and invoices, upserted on their natural keys (billing is the source)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import Invoice, Subscription

SUBSCRIPTION_FIELDS = ("account", "status", "term_start", "term_end", "carr", "exception", "exception_reason")
INVOICE_FIELDS = (
    "account",
    "opportunity",
    "amount",
    "net_arr",
    "invoice_date",
    "service_start",
    "service_end",
    "service_months",
)


def service_months_between(start: date, end: date) -> int:
    """Months of service from `start` to `end` (both included): whole months, plus one when 15 or more days are left
    over, and at least one. 2026-10-01..2027-09-30 is 12, 2026-10-15..2028-10-14 is 24, 2026-10-01..2026-11-14 is 1."""
    after = end + timedelta(days=1)
    months = (after.year - start.year) * 12 + after.month - start.month
    if _add_months(start, months) > after:
        months -= 1
    return max(1, months + ((after - _add_months(start, months)).days >= 15))


def _add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


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
    start, end = data.get("service_start"), data.get("service_end")
    if (start is None) != (end is None):
        raise ValidationError({"service_end" if start else "service_start": ["Send both ends of the service period."]})
    if start is not None:
        if end < start:
            raise ValidationError({"service_end": ["The service period cannot end before it starts."]})
        derived = service_months_between(start, end)
        if data.get("service_months") is not None and data["service_months"] != derived:
            raise ValidationError(
                {"service_months": [f"{start}..{end} is {derived} months, not {data['service_months']}."]}
            )
        data = {**data, "service_months": derived}
    return _upsert(Invoice, lookup={"number": data["number"]}, data=data, fields=INVOICE_FIELDS)
