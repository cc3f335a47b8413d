"""Customer subscriptions behind the renewal deals, with the few discrepancies the renewal reconciliation finds."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from ordermgmt.models import Opportunity
from subscriptions.models import Subscription

from .deals import BASE_DATE
from .draw import add_months


def renewed_subscriptions(rng: random.Random, opportunities: list[Opportunity]) -> list[Subscription]:
    """Insert the subscription each renewal renews and link the renewal to it (about one in fifty stays unlinked).

    A linked renewal starts on its subscription's term end with the subscription's ARR as its basis; a few
    subscriptions' ARR moved on since (ARR basis out of date) or were reset by a new master agreement (an accepted
    exception). A renewal lost after its term ended leaves the subscription cancelled."""
    taken = set(Subscription.objects.values_list("name", flat=True))
    subscriptions, renewals, number = [], [], 0
    for opp in opportunities:
        if opp.type != Opportunity.Type.RENEWAL or rng.random() < 0.02:
            continue
        number += 1
        while f"SUB-{number:06d}" in taken:
            number += 1
        carr, exception, term_end = opp.arr_basis, None, opp.start_date
        roll = rng.random()
        if roll < 0.03:
            carr = (carr * Decimal("1.05")).quantize(Decimal("0.01"))
        elif roll < 0.04:
            exception = Subscription.ExceptionKind.CONTRACT_RESET
            term_end = term_end - timedelta(days=rng.randint(30, 120))
        lapsed = opp.stage == Opportunity.Stage.CLOSED_LOST and term_end < BASE_DATE
        subscriptions.append(
            Subscription(
                name=f"SUB-{number:06d}", account_id=opp.account_id,
                status=Subscription.Status.CANCELLED if lapsed else Subscription.Status.ACTIVE,
                term_start=add_months(term_end, -12), term_end=term_end, carr=carr, exception=exception,
                exception_reason="Co-termed with a new master agreement." if exception else "",
            )
        )  # fmt: skip
        renewals.append(opp)
    Subscription.objects.bulk_create(subscriptions, batch_size=1000)
    for opp, subscription in zip(renewals, subscriptions, strict=True):
        opp.subscription = subscription
    return subscriptions
