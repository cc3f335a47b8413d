"""The live queues: a share of the ready stage-6 deals submitted now through the workflow services, a few of them
escalated, claimed or approved by Order Management (so notifications, history lines and outbox rows are real)."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from approvals import services
from approvals.requirements import Deal, unmet
from ordermgmt.models import Opportunity, User

SUBMITTED_SHARE = 0.45  # of the ready stage-6 deals


def live_queue(rng: random.Random, deals: list[Deal], users: dict[str, User]) -> tuple[dict[str, int], set[int]]:
    """Submit, escalate, claim and approve through `approvals.services`; the counts, and the ids submitted."""
    now = timezone.now()
    ready = [
        deal.opportunity
        for deal in deals
        if deal.opportunity.stage == Opportunity.Stage.AWAITING_SIGNATURE and not unmet(deal)
    ]
    chosen = [opp for opp in ready if rng.random() < SUBMITTED_SHARE]
    specialists: dict[str, list[User]] = {}
    for user in users.values():
        if user.is_specialist:
            specialists.setdefault(user.region_id, []).append(user)
    approved = 0
    for opp in chosen:
        at = now - timedelta(hours=rng.uniform(0.2, 40))
        services.approval_submit(opportunity_id=opp.pk, actor=opp.owner, now=at)
        roll = rng.random()
        if roll < 0.06:
            services.approval_escalate(opportunity_id=opp.pk, actor=opp.owner, reason="Customer go-live this week")
        elif roll < 0.30:
            services.approval_claim(opportunity_id=opp.pk, actor=rng.choice(specialists[opp.region_id]))
        elif roll < 0.42:
            specialist = rng.choice(specialists[opp.region_id])
            now_or_later = min(at + timedelta(hours=1), now)
            services.approval_approve(opportunity_id=opp.pk, actor=specialist, comment="All good", now=now_or_later)
            approved += 1
    counts = {"in the approval queues": len(chosen) - approved, "in Billing's queue": approved}
    return counts, {opp.pk for opp in chosen}
