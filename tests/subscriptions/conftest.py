"""Fixtures of the subscriptions tests."""

from datetime import date
from decimal import Decimal

import pytest

from ordermgmt.models import Opportunity

from .factories import RenewalFactory, SubscriptionFactory, renewed_subscription


@pytest.fixture
def renewal_world():
    """One planted finding of each renewal kind, next to what must not be reported."""
    clean_sub, clean_opp = renewed_subscription()
    missing = SubscriptionFactory()
    SubscriptionFactory(status="cancelled")  # not current: no renewal expected
    SubscriptionFactory(term_start=date(2025, 1, 1), term_end=date(2025, 12, 31))  # ended before as_of
    orphan = RenewalFactory()
    RenewalFactory(stage=Opportunity.Stage.CLOSED_LOST)  # closed lost without subscription: fine
    dup_sub, keeper = renewed_subscription()
    duplicate = RenewalFactory(subscription=dup_sub)
    RenewalFactory(subscription=dup_sub, stage=Opportunity.Stage.DUPLICATE)  # already marked: ignored
    arr_sub = SubscriptionFactory(carr=Decimal("50000.00"))
    arr_opp = RenewalFactory(subscription=arr_sub, arr_basis=Decimal("45000.00"))
    start_sub = SubscriptionFactory()
    start_opp = RenewalFactory(subscription=start_sub, start_date=date(2026, 12, 15))
    reset_sub = SubscriptionFactory(exception="contract_reset", exception_reason="Reset at upgrade", carr=Decimal("9"))
    RenewalFactory(subscription=reset_sub, arr_basis=Decimal("1"), start_date=date(2027, 3, 1))  # suppressed
    won_sub = SubscriptionFactory()
    RenewalFactory(subscription=won_sub, stage=Opportunity.Stage.CLOSED_WON, arr_basis=Decimal("1"))  # booked
    return {
        "clean": (clean_sub, clean_opp),
        "expected": {
            ("missing_renewal", missing.pk, None, None),
            ("orphan_renewal", None, orphan.pk, None),
            ("duplicate_renewal", dup_sub.pk, duplicate.pk, None),
            ("arr_basis_mismatch", arr_sub.pk, arr_opp.pk, None),
            ("start_date_mismatch", start_sub.pk, start_opp.pk, None),
        },
        "keeper": keeper,
        "missing": missing,
        "arr_opp": arr_opp,
        "start_opp": start_opp,
        "duplicate": duplicate,
    }
