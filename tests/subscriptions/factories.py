"""Factories for subscriptions, invoices and the opportunities reconciliation looks at."""

from datetime import date
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from ordermgmt.models import Opportunity
from subscriptions.models import Invoice
from tests.factories import AccountFactory, OpportunityFactory, SubscriptionFactory

__all__ = ["InvoiceFactory", "RenewalFactory", "SubscriptionFactory", "WonFactory", "renewed_subscription"]


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
