"""The daily license review over a 100,000-deal backlog against a hand-written find-and-fix that answers the same
question (find the undelivered deals and write what the job writes).

    python bench/license_review.py [--n 100000] [--runs 5] [--database om_bench_licenses]

Creates (drops first) its own database, migrates it and seeds n Closed Won self-managed opportunities over the three
regions (seven routes to market, IBM OEM among them), each with a primary quote, a Sold To contact and the Sold To
email recorded at close; 90% have a matching delivery in the feed. Then, each timed `--runs` times (min and median printed; the verdict is on the
medians):

1. first run over the whole backlog: the job (`manage.py license_review --as-of 2026-09-16`: per region, finds,
   sets License Delivery Dates, opens tickets with their reason, writes history lines) against the hand-written
   find-and-fix (two set-based statements writing the same dates, version bumps, ticket rows with their reason and
   history lines). Before every run of either side the job's output is undone and the tables vacuumed, so both
   start from the same state; afterwards both sides' writes are checked to be the same.
2. steady state (the next days: every deal decided, the undelivered tenth already ticketed): the job again
   against the same hand-written statements, which now find nothing to write.
Budgets: each <= 2x its hand-written find-and-fix. Then the job's peak memory at n/10 and n deals (a child process
each, tracemalloc): constant in the data size.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from common import fill_defaults, setup_django
from data_licenses import TABLES, reset, seed
from measure import (
    add_memory_probe_options,
    fmt_runs,
    measure_memory,
    memory_budget,
    memory_probe,
    probe_or_build,
    profile,
    ratio_budget,
    summary,
    timed,
)

AS_OF = date(2026, 9, 16)
LIMIT = 2.0  # the budget: the job within 2x of the hand-written find-and-fix, first run and steady state


# --- the hand-written find-and-fix -----------------------------------------------------------------------------------

# Per region: its time zone, the end of the as-of day there, and the grace cutoffs (a deal closed before the
# cutoff is past its grace: 1 business day, 2 for marketplace routes, none for IBM OEM).
BOUNDS = """
    bounds AS (
        SELECT * FROM unnest(%(codes)s::text[], %(tzs)s::text[], %(ends)s::timestamptz[], %(cutoffs)s::date[],
                             %(market_cutoffs)s::date[]) AS b(code, tz, day_end, cutoff, market_cutoff)
    )"""

CANDIDATES = """
    candidates AS (
        SELECT o.id, o.region_id, o.route_to_market, o.close_date, o.subscription_id, q.id IS NOT NULL AS has_quote,
               coalesce(nullif(lower(o.sold_to_email_at_close), ''), lower(c.email)) AS email
        FROM ordermgmt_opportunity o
        LEFT JOIN ordermgmt_quote q ON q.opportunity_id = o.id AND q.is_primary
        LEFT JOIN ordermgmt_contact c ON c.id = q.sold_to_contact_id
        WHERE o.stage = 'closed_won' AND o.deployment = 'self_managed' AND o.license_delivery_date IS NULL
          AND o.id > %(after)s AND o.id <= %(upto)s
    )"""

# The Sold To email is the one recorded when the deal closed, else (older deals) the primary quote's Sold To contact's.
# 1. The deals whose Sold To email got a delivery (naming the deal, or its subscription) before the end of the
# as-of day in the deal's region: the first delivery's local date, a version bump, auto-close any open ticket, and
# one history line each.
FIX_DELIVERED = f"""
    WITH {BOUNDS.strip()}, {CANDIDATES.strip()},
    matched AS (
        SELECT m.id, min(m.at AT TIME ZONE m.tz)::date AS day FROM (
            SELECT c.id, b.tz, d.delivered_at AS at
            FROM candidates c JOIN bounds b ON b.code = c.region_id
            JOIN licenses_licensedelivery d
              ON d.opportunity_id = c.id AND d.sold_to_email = c.email AND d.delivered_at < b.day_end
            UNION ALL
            SELECT c.id, b.tz, d.delivered_at
            FROM candidates c JOIN bounds b ON b.code = c.region_id
            JOIN subscriptions_subscription s ON s.id = c.subscription_id
            JOIN licenses_licensedelivery d
              ON d.opportunity_id IS NULL AND d.subscription_name = s.name AND d.sold_to_email = c.email
             AND d.delivered_at < b.day_end
        ) m GROUP BY m.id
    ),
    dated AS (
        UPDATE ordermgmt_opportunity o
        SET license_delivery_date = m.day, version = o.version + 1, updated_at = now()
        FROM matched m WHERE o.id = m.id
        RETURNING o.id, m.day
    ),
    closed AS (
        UPDATE licenses_licenseticket t SET status = 'auto_closed', closed_at = now(), updated_at = now()
        FROM dated WHERE t.opportunity_id = dated.id AND t.status IN ('open', 'taken')
        RETURNING t.id
    )
    INSERT INTO ordermgmt_opportunityevent (opportunity_id, at, action, changes, comment)
    SELECT id, now(), 'license_delivered',
           jsonb_build_object('license_delivery_date', jsonb_build_array(NULL, day::text)),
           'Matched in the licensing system''s delivery feed.'
    FROM dated
"""

# 2. The rest, past their grace and without an open ticket: a ticket with its reason, and one history line each.
OPEN_TICKETS = f"""
    WITH {BOUNDS.strip()}, {CANDIDATES.strip()},
    due AS (
        SELECT c.*, b.day_end FROM candidates c JOIN bounds b ON b.code = c.region_id
        WHERE NOT EXISTS (SELECT 1 FROM licenses_licenseticket t
                          WHERE t.opportunity_id = c.id AND t.status IN ('open', 'taken'))
          AND (c.close_date IS NULL
               OR CASE WHEN c.route_to_market = 'ibm_oem' THEN c.close_date <= %(as_of)s
                       WHEN c.route_to_market IN ('aws_private_offer', 'gcp_private_offer')
                            THEN c.close_date < b.market_cutoff
                       ELSE c.close_date < b.cutoff END)
    ),
    opened AS (
        INSERT INTO licenses_licenseticket (opportunity_id, region_id, route_to_market, reason, status, sold_to_email,
                                            created_at, updated_at)
        SELECT due.id, due.region_id, due.route_to_market,
               CASE WHEN due.route_to_market = 'ibm_oem' THEN 'ibm_oem_manual'
                    WHEN NOT due.has_quote THEN 'no_primary_quote'
                    WHEN coalesce(due.email, '') = '' THEN 'missing_sold_to_email'
                    WHEN EXISTS (SELECT 1 FROM licenses_licensedelivery d
                                 WHERE d.opportunity_id = due.id AND d.delivered_at < due.day_end)
                      OR EXISTS (SELECT 1 FROM subscriptions_subscription s
                                 JOIN licenses_licensedelivery d
                                   ON d.opportunity_id IS NULL AND d.subscription_name = s.name
                                 WHERE s.id = due.subscription_id AND d.delivered_at < due.day_end)
                         THEN 'wrong_recipient'
                    ELSE 'no_delivery' END,
               'open', coalesce(due.email, ''), now(), now()
        FROM due
        RETURNING id, opportunity_id, reason
    )
    INSERT INTO ordermgmt_opportunityevent (opportunity_id, at, action, changes, comment)
    SELECT opportunity_id, now(), 'license_ticket_opened', jsonb_build_object('license_ticket', jsonb_build_array(NULL, id)),
           'License ticket for Support Engineering: ' || reason || '.'
    FROM opened
"""


def business_day_back(day: date, n: int) -> date:
    """The n-th weekday counting back from `day` (inclusive). The seeded week has no public holiday in any region;
    the check of both sides' writes would show it if it had."""
    seen = 0
    while True:
        if day.weekday() < 5:
            seen += 1
            if seen == n:
                return day
        day -= timedelta(days=1)


def bounds(as_of: date) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT code, timezone FROM ordermgmt_region ORDER BY code")
        regions = cursor.fetchall()
    end = as_of + timedelta(days=1)
    return {
        "codes": [code for code, _ in regions],
        "tzs": [tz for _, tz in regions],
        "ends": [datetime(end.year, end.month, end.day, tzinfo=ZoneInfo(tz)) for _, tz in regions],
        "cutoffs": [business_day_back(as_of, 1)] * len(regions),
        "market_cutoffs": [business_day_back(as_of, 2)] * len(regions),
        "as_of": as_of,
    }


def hand_find_and_fix(params: dict, chunk: int) -> tuple[int, int]:
    """Both statements per window of `chunk` opportunity ids, one transaction each. Not one transaction for the whole
    backlog: the audit trigger on the opportunity table opens a subtransaction per updated row, and 90,000 of them
    in one transaction made PostgreSQL's visibility checks quadratic (one statement ran for minutes)."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(min(id), 0), coalesce(max(id), 0) FROM ordermgmt_opportunity"
            " WHERE stage = 'closed_won' AND deployment = 'self_managed' AND license_delivery_date IS NULL"
        )
        low, high = cursor.fetchone()
    delivered = opened = 0
    for after in range(low - 1, high, chunk):
        window = {**params, "after": after, "upto": after + chunk}
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(FIX_DELIVERED, window)
            delivered += cursor.rowcount
            cursor.execute(OPEN_TICKETS, window)
            opened += cursor.rowcount
    return delivered, opened


def job() -> str:
    from django.core.management import call_command

    out = io.StringIO()
    call_command("license_review", as_of=AS_OF, stdout=out)
    return out.getvalue()


def outcome() -> dict:
    """What a review wrote, to check that both sides wrote the same."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(license_delivery_date), coalesce(sum(license_delivery_date - DATE '2026-01-01'), 0),"
            " sum(version) FROM ordermgmt_opportunity"
        )
        dates, day_sum, versions = cursor.fetchone()
        cursor.execute("SELECT reason, status, count(*) FROM licenses_licenseticket GROUP BY 1, 2 ORDER BY 1, 2")
        tickets = cursor.fetchall()
        cursor.execute("SELECT action, count(*) FROM ordermgmt_opportunityevent GROUP BY 1 ORDER BY 1")
        events = cursor.fetchall()
    return {"dates": dates, "day_sum": day_sum, "versions": versions, "tickets": tickets, "events": events}


def memory_main(args) -> None:
    """Child process: (seed if asked) undo the job's output, then run the job once under tracemalloc."""
    setup_django(args.database, recreate=args.seed)
    fill_defaults(*TABLES)
    if args.seed:
        seed(args.n)
    reset()
    measure_memory(job)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--chunk",
        type=int,
        default=1000,
        help="opportunity ids per transaction of the hand-written fix (the job's 1,000)",
    )
    parser.add_argument("--database", default="om_bench_licenses")
    add_memory_probe_options(parser)
    args = parser.parse_args()
    if probe_or_build(args, TABLES, memory_main):
        return 0
    seconds, _ = timed(lambda: seed(args.n))
    print(f"seeded {args.n:,} Closed Won opportunities (90% delivered in the feed) in {seconds:.1f} s", flush=True)
    params = bounds(AS_OF)

    # 1. First run over the whole backlog, both sides from the same state, interleaved.
    hand_first, job_first, hand_out, job_out = [], [], None, None
    for _ in range(args.runs):
        reset()
        t, (delivered, opened) = timed(lambda: hand_find_and_fix(params, args.chunk))
        hand_first.append(t)
        hand_out = outcome()
        reset()
        t, _ = timed(job)
        job_first.append(t)
        job_out = outcome()
        print(f"  first run: hand-written {hand_first[-1]:.2f} s, job {job_first[-1]:.2f} s", flush=True)
    same = hand_out == job_out
    print(f"hand-written first run: {delivered:,} dated, {opened:,} tickets; writes equal the job's: {same}")
    if not same:
        print(f"  hand-written: {hand_out}\n  job:          {job_out}")

    # 2. Steady state: the job's first run is in place; every deal is decided.
    hand_steady, job_steady = [], []
    for _ in range(args.runs):
        t, _ = timed(job)
        job_steady.append(t)
        t, writes = timed(lambda: hand_find_and_fix(params, args.chunk))
        hand_steady.append(t)
        assert writes == (0, 0), writes
    assert outcome() == job_out, "a steady-state run changed something"

    first, first_base = summary(job_first), summary(hand_first)
    steady, steady_base = summary(job_steady), summary(hand_steady)
    print(f"job first run:              {fmt_runs(first)}")
    print(f"hand-written, first run:    {fmt_runs(first_base)}")
    print(f"job steady state:           {fmt_runs(steady)}")
    print(f"hand-written, steady state: {fmt_runs(steady_base)}")
    ok_first = ratio_budget(
        f"license review first run ({args.n:,}-deal backlog) vs hand-written find-and-fix", first, first_base, LIMIT
    )
    ok_steady = ratio_budget(
        f"license review steady state ({args.n:,} deals) vs hand-written find-and-fix", steady, steady_base, LIMIT
    )
    if not same:
        print("RESULT | license review: hand-written writes equal the job's | False | True | MISS | -")
    if not ok_first:
        reset()
        profile(job, repeat=1, title="license review, first run")
    if not ok_steady:
        profile(job, repeat=3, title="license review, steady state")

    # 3. Peak memory at n/10 and at n deals, each in a fresh process.
    from django.db import connection

    connection.close()
    small_n = max(100, args.n // 10)
    small = memory_probe("license_review.py", "--seed", "--n", str(small_n), "--database", args.database + "_small")
    large = memory_probe("license_review.py", "--n", str(args.n), "--database", args.database)
    memory_budget("the license review (first run)", small, large, f"{small_n:,} deals", f"{args.n:,} deals")
    return 0 if same else 1


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    print(f"license_review.py: {time.perf_counter() - started:.0f} s")
    sys.exit(code)
