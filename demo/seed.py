"""Seed the demo data: users of every role, accounts with contacts, opportunities in every stage with their primary
quote, documents and renewal subscriptions, the decided history behind every Closed Won deal and live queues.

One transaction, bulk inserts for the volume (`--scale 10` for a load test) and deterministic for a given seed:
the draws come from one seeded generator and dates hang off a fixed base date (only the live queue's submissions
are timed from now). What a deal needs comes from the owning code (see `bookings`, `history`, `queue`); on
PostgreSQL the pghistory triggers record every insert, labelled `seed_demo`.
"""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from dataclasses import dataclass

from django.db import connection, transaction

from approvals.requirements import Deal, unmet
from ordermgmt.database import is_postgresql
from ordermgmt.models import Document, Opportunity, Quote, User

from .deals import deliver_licenses, demo_deal
from .documents import deal_documents, store_files
from .history import History
from .people import BATCH, demo_accounts, demo_users
from .queue import live_queue
from .renewals import renewed_subscriptions


@dataclass(frozen=True)
class Seeded:
    counts: dict[str, int]
    users: dict[str, User]
    created_users: set[str]
    stage6: list[Deal]  # the deals still at 6-Awaiting Signature, not submitted


def seed_demo(*, seed: int, scale: float) -> Seeded:
    """Seed about 1,000 x `scale` accounts and 3,500 x `scale` opportunities (and the users) into a database that
    has no opportunities; the caller checks that."""
    rng = random.Random(seed)
    files = store_files()
    with transaction.atomic(), _audit_context():
        if is_postgresql():
            # Check foreign keys row by row: with the default deferred checks PostgreSQL keeps every pending check
            # (and the audit triggers' own) in a queue it rescans, so one big transaction grows quadratic.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        users, created = demo_users()
        accounts, contacts = demo_accounts(rng, max(1, round(1000 * scale)))
        reps: dict[str, list[User]] = {}
        for user in users.values():
            if user.is_rep:
                reps.setdefault(user.region_id, []).append(user)
        deals = []
        for _ in range(max(1, round(3500 * scale))):
            account = rng.choice(accounts)
            deals.append(demo_deal(rng, account, reps, contacts[account.pk]))
        counts = {
            "users": len(users),
            "accounts": len(accounts),
            "contacts": sum(map(len, contacts.values())),
            **_insert(rng, deals, users, files),
        }
        queue_counts, submitted = live_queue(rng, deals, users)
        counts.update(queue_counts)
    if is_postgresql():
        # Fresh planner statistics and visibility map: right after a bulk load autovacuum has not looked yet (or is
        # off), so the planner took the 2,000-item queue for 40 rows and sorted all of it, and a page's COUNT(*)
        # read the heap instead of the index. VACUUM cannot run inside a transaction (a test's).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
    stage6 = [
        deal
        for deal in deals
        if deal.opportunity.stage == Opportunity.Stage.AWAITING_SIGNATURE and deal.opportunity.pk not in submitted
    ]
    return Seeded(counts=counts, users=users, created_users=created, stage6=stage6)


def _insert(rng: random.Random, deals: list[Deal], users: dict[str, User], files) -> dict[str, int]:
    """The Closed Won deals' history and license deliveries, the renewals' subscriptions, then every row in bulk."""
    history = History(rng, users)
    for deal in deals:
        if deal.opportunity.stage == Opportunity.Stage.CLOSED_WON:
            history.book(deal)
    deliver_licenses(rng, deals)
    opportunities = [deal.opportunity for deal in deals]
    subscriptions = renewed_subscriptions(rng, opportunities)
    Opportunity.objects.bulk_create(opportunities, batch_size=BATCH)
    first_quote = Quote.objects.count() + 1
    for number, deal in enumerate(deals, start=first_quote):
        deal.quote.number = f"Q-{number:06d}"
    quotes = Quote.objects.bulk_create([deal.quote for deal in deals], batch_size=BATCH)
    documents = Document.objects.bulk_create(deal_documents(rng, deals, files), batch_size=BATCH)
    return {
        "opportunities": len(opportunities),
        "quotes": len(quotes),
        "subscriptions": len(subscriptions),
        "documents": len(documents),
        **history.save(BATCH),
    }


def readiness(stage6: list[Deal]) -> tuple[int, Counter]:
    """How many of the deals meet every booking requirement, and how often each requirement is unmet."""
    ready, reasons = 0, Counter()
    for deal in stage6:
        missing = unmet(deal)
        ready += not missing
        reasons.update(result.code for result in missing)
    return ready, reasons


def _audit_context():
    """Label the audit events of the seed (PostgreSQL only: pghistory's context rides on SQL variables)."""
    if not is_postgresql():
        return contextlib.nullcontext()
    import pghistory

    return pghistory.context(source="seed_demo")
