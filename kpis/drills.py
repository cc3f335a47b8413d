"""Drill-downs: for each KPI, the records behind its number (the same querysets the KPI aggregates) and columns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet

from ordermgmt import exports
from ordermgmt.database import is_postgresql

from . import selectors as s
from .models import CsatResponse
from .periods import MONTH_RE, PeriodError


@dataclass(frozen=True)
class Drill:
    title: str
    records: Callable[[s.Scope], QuerySet]
    columns: tuple[tuple[str, str], ...]
    order: tuple[str, ...]
    filters: dict[str, Callable[[QuerySet, str], QuerySet]] = field(default_factory=dict)
    link: str | None = None  # the column holding an opportunity id, linked to its page


def _flag(param: str, yes: Q) -> Callable[[QuerySet, str], QuerySet]:
    def apply(qs: QuerySet, value: str) -> QuerySet:
        if value not in ("0", "1"):
            raise PeriodError(param, "must be 0 or 1.")
        return qs.filter(yes) if value == "1" else qs.exclude(yes)

    return apply


def _eq(lookup: str) -> Callable[[QuerySet, str], QuerySet]:
    return lambda qs, value: qs.filter(**{lookup: value})


def _reason(qs: QuerySet, value: str) -> QuerySet:
    if is_postgresql():
        return qs.filter(reasons__contains=[value])
    return qs.filter(reasons__icontains=f'"{value}"')


def _month(qs: QuerySet, value: str) -> QuerySet:
    m = MONTH_RE.match(value)
    if not m:
        raise PeriodError("month", "must be YYYY-MM.")
    first = datetime(int(m[1]), int(m[2]), 1, tzinfo=UTC)
    return qs.filter(submitted_at__gte=first, submitted_at__lt=(first + timedelta(days=32)).replace(day=1))


def _bucket(qs: QuerySet, value: str) -> QuerySet:
    now = datetime.now(UTC)
    for name, low, high in s.AGE_BUCKETS:
        if name == value:
            qs = qs.filter(first_seen_at__lte=now - timedelta(days=low))
            return qs if high is None else qs.filter(first_seen_at__gt=now - timedelta(days=high + 1))
    raise PeriodError("bucket", f"must be one of {', '.join(b[0] for b in s.AGE_BUCKETS)}.")


DRILLS: dict[str, Drill] = {
    "approval_sla": Drill(
        "Approval SLA: submissions decided by Order Management",
        s.sla_submissions,
        (
            ("Opportunity", "opportunity_id"),
            ("Name", "opportunity__name"),
            ("Region", "region_id"),
            ("Submitted", "submitted_at"),
            ("OM decided", "om_decided_at"),
            ("Business hours", "om_business_hours"),
            ("Decided by", "om_decided_by__username"),
        ),
        ("om_decided_at", "pk"),
        {"met": _flag("met", Q(om_business_hours__lte=settings.APPROVAL_SLA_BUSINESS_HOURS))},
        link="opportunity_id",
    ),
    "approval_accuracy": Drill(
        "Approval accuracy: Billing decisions",
        s.billing_decisions,
        (
            ("Opportunity", "submission__opportunity_id"),
            ("Name", "submission__opportunity__name"),
            ("Region", "submission__region_id"),
            ("Decided", "decided_at"),
            ("Outcome", "outcome"),
            ("Reasons", "reasons"),
            ("OM approver", "submission__om_decided_by__username"),
        ),
        ("decided_at", "pk"),
        {"outcome": _eq("outcome")},
        link="submission__opportunity_id",
    ),
    "csat": Drill(
        "Regional support satisfaction: survey answers",
        s.csat_responses,
        (
            ("Region", "region_id"),
            ("Quarter", "quarter"),
            ("Rating", "rating"),
            ("Comment", "comment"),
            ("Respondent", "respondent__username"),
            ("Answered", "created_at"),
        ),
        ("created_at", "pk"),
        {"rating": _eq("rating"), "positive": _flag("positive", Q(rating__in=CsatResponse.POSITIVE))},
    ),
    "first_response": Drill(
        "First response: cases answered",
        s.first_response_cases,
        (
            ("Case", "number"),
            ("Subject", "subject"),
            ("Team", "team__name"),
            ("Request type", "request_type__name"),
            ("Region", "region_id"),
            ("Opened", "created_at"),
            ("First response", "first_response_at"),
            ("Business hours", "first_response_business_hours"),
            ("Owner", "owner__username"),
        ),
        ("first_response_at", "pk"),
        {"request_type": _eq("request_type__code")},
    ),
    "closed_won": Drill(
        "Closed Won opportunities",
        s.closed_won_opportunities,
        (
            ("Opportunity", "id"),
            ("Name", "name"),
            ("Region", "region_id"),
            ("Owner", "owner__username"),
            ("Close date", "close_date"),
            ("Net ARR", "net_arr"),
        ),
        ("close_date", "pk"),
        link="id",
    ),
    "rejections": Drill(
        "Rejections (Order Management and Billing)",
        s.rejected_decisions,
        (
            ("Opportunity", "submission__opportunity_id"),
            ("Name", "submission__opportunity__name"),
            ("Stage", "stage"),
            ("Region", "submission__region_id"),
            ("Rep", "submission__opportunity__owner__username"),
            ("Decided", "decided_at"),
            ("Reasons", "reasons"),
        ),
        ("decided_at", "pk"),
        {"reason": _reason, "stage": _eq("stage")},
        link="submission__opportunity_id",
    ),
    "escalations": Drill(
        "Escalated submissions",
        s.escalated_submissions,
        (
            ("Opportunity", "opportunity_id"),
            ("Name", "opportunity__name"),
            ("Region", "opportunity__region_id"),
            ("Rep", "opportunity__owner__username"),
            ("Escalated", "escalated_at"),
            ("Reason", "escalation_reason"),
        ),
        ("escalated_at", "pk"),
        link="opportunity_id",
    ),
    "month_close": Drill(
        "Speed to month close: the months' submissions",
        s.month_submissions,
        (
            ("Opportunity", "opportunity_id"),
            ("Name", "opportunity__name"),
            ("Region", "region_id"),
            ("Submitted", "submitted_at"),
            ("OM decided", "om_decided_at"),
            ("State", "state"),
        ),
        ("submitted_at", "pk"),
        {"month": _month, "open": _flag("open", Q(om_decided_at__isnull=True))},
        link="opportunity_id",
    ),
    "license_delivery": Drill(
        "License delivery: Closed Won self-managed opportunities",
        s.license_eligible_opportunities,
        (
            ("Opportunity", "id"),
            ("Name", "name"),
            ("Region", "region_id"),
            ("Owner", "owner__username"),
            ("Close date", "close_date"),
            ("License delivered", "license_delivery_date"),
            ("Ticket", "has_ticket"),
        ),
        ("close_date", "pk"),
        {"automatic": _flag("automatic", Q(has_ticket=False, license_delivery_date__isnull=False))},
        link="id",
    ),
    "license_tickets": Drill(
        "License tickets (delivery failures)",
        s.license_tickets,
        (
            ("Opportunity", "opportunity_id"),
            ("Region", "region_id"),
            ("Route", "route_to_market"),
            ("Reason", "reason"),
            ("Status", "status"),
            ("Opened", "created_at"),
        ),
        ("created_at", "pk"),
        {"reason": _eq("reason")},
        link="opportunity_id",
    ),
    "discrepancies": Drill(
        "Open reconciliation discrepancies",
        s.open_discrepancies,
        (
            ("Discrepancy", "id"),
            ("Kind", "kind"),
            ("Key", "key"),
            ("Region", "region_code"),
            ("First seen", "first_seen_at"),
            ("Opportunity", "opportunity_id"),
        ),
        ("first_seen_at", "pk"),
        {"kind": _eq("kind"), "bucket": _bucket},
    ),
}


def drill_records(kpi: str, scope: s.Scope, params) -> QuerySet:
    """The records behind `kpi` in `scope`, narrowed by the drill's own filters found in `params`, as value tuples."""
    drill = DRILLS[kpi]
    qs = drill.records(scope)
    for param, apply in drill.filters.items():
        value = (params.get(param) or "").strip()
        if value:
            qs = apply(qs, value)
    return qs.order_by(*drill.order).values_list(*(c for _label, c in drill.columns))


def column_kinds(kpi: str, model: type[models.Model]) -> list[str]:
    """The export cell type of each of the drill's columns, from the model field its path ends on (ids and counts as
    integers, dates, date-times, Net ARR as money); an annotation's type is read off each value (AUTO)."""
    kinds = []
    for _label, path in DRILLS[kpi].columns:
        current, field = model, None
        try:
            for name in path.split("__"):
                field = current._meta.get_field(name)
                current = field.related_model or current
        except FieldDoesNotExist:
            field = None
        while field is not None and field.is_relation:  # a foreign key holds its target's value: an id, a code
            field = field.target_field
        if field is None:
            kinds.append(exports.AUTO)
        elif isinstance(field, models.IntegerField | models.AutoField):
            kinds.append(exports.INTEGER)
        elif isinstance(field, models.DateTimeField):
            kinds.append(exports.DATETIME)
        elif isinstance(field, models.DateField):
            kinds.append(exports.DATE)
        elif isinstance(field, models.DecimalField):
            kinds.append(exports.MONEY if field.name.endswith("arr") else exports.NUMBER)
        else:
            kinds.append(exports.AUTO)
    return kinds
