"""Factories for subscriptions, invoices and the opportunities reconciliation looks at, and the runs and decisions
as the tests drive them."""

from datetime import date
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from ordermgmt.models import Opportunity
from subscriptions import services
from subscriptions.models import Discrepancy, Invoice, ReconciliationRun, Subscription
from tests.ordermgmt.factories import AccountFactory, OpportunityFactory

__all__ = [
    "AS_OF",
    "InvoiceFactory",
    "RenewalFactory",
    "SubscriptionFactory",
    "WonFactory",
    "apply",
    "findings",
    "renewed_subscription",
    "run",
]


class SubscriptionFactory(DjangoModelFactory):
    class Meta:
        model = Subscription

    name = factory.Sequence(lambda n: f"A-S{n:07d}")
    account = factory.SubFactory(AccountFactory)
    term_start = date(2025, 12, 1)
    term_end = date(2026, 11, 30)
    carr = Decimal("12000.00")


AS_OF = date(2026, 11, 2)


class RenewalFactory(OpportunityFactory):
    """An open renewal opportunity; pass `subscription=` to link it (ARR basis and start taken from it)."""

    type = Opportunity.Type.RENEWAL
    stage = Opportunity.Stage.DISCOVERY
    subscription = None
    account = factory.LazyAttribute(lambda o: o.subscription.account if o.subscription else AccountFactory())
    arr_basis = factory.LazyAttribute(lambda o: o.subscription.carr if o.subscription else Decimal("0"))
    start_date = factory.LazyAttribute(lambda o: o.subscription.term_end if o.subscription else date(2026, 12, 1))


class WonFactory(OpportunityFactory):
    """A Closed Won opportunity closed in October 2026."""

    stage = Opportunity.Stage.CLOSED_WON
    approval_status = Opportunity.ApprovalStatus.CLOSED_WON
    close_date = date(2026, 10, 15)
    net_arr = Decimal("12000.00")


class InvoiceFactory(DjangoModelFactory):
    class Meta:
        model = Invoice

    number = factory.Sequence(lambda n: f"INV-{n:07d}")
    opportunity = factory.SubFactory(WonFactory)
    account = factory.LazyAttribute(lambda i: i.opportunity.account if i.opportunity else AccountFactory())
    amount = Decimal("12000.00")
    net_arr = factory.LazyAttribute(lambda i: i.opportunity.net_arr if i.opportunity else None)
    invoice_date = date(2026, 10, 20)


def renewed_subscription(**kwargs):
    """A clean pair: an active subscription and its matching open renewal."""
    sub = SubscriptionFactory(**kwargs)
    return sub, RenewalFactory(subscription=sub)


def run(kind: str = "renewals", **kwargs) -> ReconciliationRun:
    """Create a run of `kind` (as of AS_OF unless given) and execute it here, as a worker would."""
    kwargs.setdefault("as_of", AS_OF)
    created = services.reconciliation_run_create(kind=kind, enqueue=False, **kwargs)
    return services.reconciliation_run_execute(run_id=created.pk)


def findings(kind: str | None = None) -> set[tuple]:
    """The open discrepancies as (kind, subscription id, opportunity id, invoice id)."""
    qs = Discrepancy.objects.filter(status=Discrepancy.Status.OPEN)
    if kind:
        qs = qs.filter(kind=kind)
    return {(d.kind, d.subscription_id, d.opportunity_id, d.invoice_id) for d in qs}


def apply(kind: str, actor) -> Discrepancy:
    """Apply the fix of the one discrepancy of `kind`; returns it reloaded."""
    discrepancy = Discrepancy.objects.get(kind=kind)
    services.discrepancy_apply(discrepancy_ids=[discrepancy.pk], actor=actor)
    discrepancy.refresh_from_db()
    return discrepancy
