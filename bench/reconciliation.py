"""Benchmark: renewal and bookings reconciliation over planted data, against hand-written SQL per rule.

    /work/main/.venv/bin/python bench/reconciliation.py [--subscriptions 200000] [--database om_bench_recon]

Creates (drops and re-creates) its own PostgreSQL database, runs the migrations, loads N subscriptions with about 5%
planted discrepancies of every kind (plus contract-reset exceptions and closed-lost orphans that must NOT be reported)
and 2N unrelated opportunities, then times the real run (service call: rules, upserts, counts) and one hand-written
query per rule, and checks that both find exactly the planted rows.
"""

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AS_OF = "2026-11-02"
MONTH = "2026-10"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=200_000)
    parser.add_argument("--database", default="om_bench_recon")
    parser.add_argument("--host", default=os.environ.get("PGHOST", "127.0.0.1"))
    return parser.parse_args()


def create_database(args) -> None:
    import psycopg2

    conn = psycopg2.connect(host=args.host, user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{args.database}"')
        cursor.execute(f'CREATE DATABASE "{args.database}"')
    conn.close()


def setup_django(args) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "ordermgmt.settings.test"
    os.environ["DATABASE_URL"] = f"postgres://postgres@{args.host}:5432/{args.database}"
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


OPP_COLUMNS = (
    "name, account_id, owner_id, region_id, type, deployment, route_to_market, stage, amount, net_arr, arr_basis, "
    "start_date, end_date, close_date, closed_won_reason, closed_won_details, competitors, executed_agreement_type, "
    "executed_agreement_link, po_required, subscription_id, license_delivery_date, approval_status, version, "
    "created_at, updated_at"
)


def load(n: int) -> None:
    """Planted categories by i % 100: 0 missing, 1 duplicate, 2 ARR basis, 3 start date, 4 contract reset (both
    mismatches, suppressed), 5 orphan renewal next to a clean pair, 6 closed-lost orphan (not reported)."""
    from django.db import connection

    sql = f"""
    SET session_replication_role = replica;  -- bulk load: skip the audit triggers
    INSERT INTO ordermgmt_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active,
        date_joined, role, region_id)
    VALUES ('!', false, 'bench', '', '', '', false, true, now(), 'manager', NULL);
    INSERT INTO ordermgmt_account (created_at, updated_at, name, region_id, country, billing_address)
    SELECT now(), now(), 'Bench ' || a, 'AMER', 'US', '' FROM generate_series(1, 1000) a;
    CREATE TEMP TABLE acc AS SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM ordermgmt_account;
    INSERT INTO subscriptions_subscription (created_at, updated_at, name, account_id, status, term_start, term_end,
        carr, exception, exception_reason)
    SELECT now(), now(), 'B-' || i, (SELECT id FROM acc WHERE k = i % 1000), 'active', DATE '2025-12-01',
           DATE '2026-11-30' + (i % 200), 1000 + (i % 100) * 100,
           CASE WHEN i % 100 = 4 THEN 'contract_reset' END, CASE WHEN i % 100 = 4 THEN 'reset' ELSE '' END
    FROM generate_series(1, {n}) i;
    CREATE TEMP TABLE subs AS SELECT id, substr(name, 3)::int AS i, account_id, carr, term_end
        FROM subscriptions_subscription;
    -- renewals (the keeper is older than its duplicate)
    INSERT INTO ordermgmt_opportunity ({OPP_COLUMNS})
    SELECT 'REN-' || s.i, s.account_id, u.id, 'AMER', 'renewal', 'self_managed', 'direct', '1-discovery', 0, 0,
           CASE WHEN s.i % 100 IN (2, 4) THEN s.carr + 1 ELSE s.carr END,
           CASE WHEN s.i % 100 IN (3, 4) THEN s.term_end + 10 ELSE s.term_end END,
           NULL, NULL, '', '', '', NULL, '', false, s.id, NULL, 'draft', 1, now() - interval '1 day', now()
    FROM subs s, ordermgmt_user u WHERE u.username = 'bench' AND s.i % 100 <> 0;
    INSERT INTO ordermgmt_opportunity ({OPP_COLUMNS})
    SELECT 'DUP-' || s.i, s.account_id, u.id, 'AMER', 'renewal', 'self_managed', 'direct', '2-scoping', 0, 0,
           s.carr, s.term_end, NULL, NULL, '', '', '', NULL, '', false, s.id, NULL, 'draft', 1, now(), now()
    FROM subs s, ordermgmt_user u WHERE u.username = 'bench' AND s.i % 100 = 1;
    INSERT INTO ordermgmt_opportunity ({OPP_COLUMNS})
    SELECT CASE WHEN s.i % 100 = 5 THEN 'ORPH-' ELSE 'LOST-' END || s.i, s.account_id, u.id, 'AMER', 'renewal',
           'self_managed', 'direct', CASE WHEN s.i % 100 = 5 THEN '3-technical_evaluation' ELSE '8-closed_lost' END,
           0, 0, 0, NULL, NULL, NULL, '', '', '', NULL, '', false, NULL, NULL, 'draft', 1, now(), now()
    FROM subs s, ordermgmt_user u WHERE u.username = 'bench' AND s.i % 100 IN (5, 6);
    -- unrelated opportunities (noise)
    INSERT INTO ordermgmt_opportunity ({OPP_COLUMNS})
    SELECT 'NB-' || j, (SELECT id FROM acc WHERE k = j % 1000), u.id, 'AMER', 'new_business', 'saas', 'direct',
           (ARRAY['1-discovery', '4-proposal', '8-closed_lost', 'closed_won'])[1 + j % 4], 100, 100, 0,
           DATE '2026-01-01', NULL, DATE '2026-06-01', '', '', '', NULL, '', false, NULL, NULL,
           CASE WHEN j % 4 = 3 THEN 'closed_won' ELSE 'draft' END, 1, now(), now()
    FROM generate_series(1, {2 * n}) j, ordermgmt_user u WHERE u.username = 'bench';
    -- bookings of {MONTH}: j % 100: 0 no invoice, 1 two invoices, 2 Net ARR differs, 3 invoice without opportunity,
    -- 4 invoice on an opportunity that is not Closed Won
    INSERT INTO ordermgmt_opportunity ({OPP_COLUMNS})
    SELECT CASE WHEN j % 100 = 4 THEN 'OPEN-' ELSE 'WON-' END || j, (SELECT id FROM acc WHERE k = j % 1000), u.id,
           'AMER', 'new_business', 'saas', 'direct', CASE WHEN j % 100 = 4 THEN '4-proposal' ELSE 'closed_won' END,
           5000, 5000, 0, DATE '2026-11-01', NULL, DATE '2026-10-01' + (j % 28), '', '', '', NULL, '', false, NULL,
           NULL, CASE WHEN j % 100 = 4 THEN 'draft' ELSE 'closed_won' END, 1, now(), now()
    FROM generate_series(1, {n // 10}) j, ordermgmt_user u WHERE u.username = 'bench';
    CREATE TEMP TABLE won AS SELECT id, substr(name, strpos(name, '-') + 1)::int AS j, account_id
        FROM ordermgmt_opportunity WHERE name LIKE 'WON-%%' OR name LIKE 'OPEN-%%';
    INSERT INTO subscriptions_invoice (created_at, updated_at, number, account_id, opportunity_id, amount, net_arr,
        invoice_date)
    SELECT now(), now(), 'INV-' || w.j, w.account_id, w.id, 5000, CASE WHEN w.j % 100 = 2 THEN 4000 ELSE 5000 END,
           DATE '2026-10-05' + (w.j % 20)
    FROM won w WHERE w.j % 100 <> 0
    UNION ALL
    SELECT now(), now(), 'INV2-' || w.j, w.account_id, w.id, 5000, 5000, DATE '2026-10-25' FROM won w WHERE w.j % 100 = 1
    UNION ALL
    SELECT now(), now(), 'INVX-' || w.j, w.account_id, NULL, 10, NULL, DATE '2026-10-26' FROM won w WHERE w.j % 100 = 3;
    SET session_replication_role = DEFAULT;
    ANALYZE;
    """
    with connection.cursor() as cursor:
        cursor.execute(sql)


# --- the planted truth, from the names given at load time ------------------------------------------------------

PLANTED = {
    "missing_renewal": "SELECT id, NULL::bigint, NULL::bigint FROM subscriptions_subscription "
    "WHERE substr(name, 3)::int % 100 = 0",
    "orphan_renewal": "SELECT NULL::bigint, id, NULL::bigint FROM ordermgmt_opportunity WHERE name LIKE 'ORPH-%%'",
    "duplicate_renewal": "SELECT subscription_id, id, NULL::bigint FROM ordermgmt_opportunity WHERE name LIKE 'DUP-%%'",
    "arr_basis_mismatch": "SELECT subscription_id, id, NULL::bigint FROM ordermgmt_opportunity "
    "WHERE name LIKE 'REN-%%' AND substr(name, 5)::int % 100 = 2",
    "start_date_mismatch": "SELECT subscription_id, id, NULL::bigint FROM ordermgmt_opportunity "
    "WHERE name LIKE 'REN-%%' AND substr(name, 5)::int % 100 = 3",
    "invoice_without_opportunity": "SELECT NULL::bigint, opportunity_id, id FROM subscriptions_invoice "
    "WHERE number LIKE 'INVX-%%' OR (number LIKE 'INV-%%' AND substr(number, 5)::int % 100 = 4)",
    "opportunity_without_invoice": "SELECT NULL::bigint, id, NULL::bigint FROM ordermgmt_opportunity "
    "WHERE name LIKE 'WON-%%' AND substr(name, 5)::int % 100 = 0",
    "multiple_invoices": "SELECT NULL::bigint, id, NULL::bigint FROM ordermgmt_opportunity "
    "WHERE name LIKE 'WON-%%' AND substr(name, 5)::int % 100 = 1",
    "net_arr_mismatch": "SELECT NULL::bigint, opportunity_id, id FROM subscriptions_invoice "
    "WHERE number LIKE 'INV-%%' AND substr(number, 5)::int % 100 = 2",
}

# --- hand-written SQL, one query per rule (written independently of subscriptions/rules.py) -----------------------

KEEPERS = """
    WITH k AS (
        SELECT DISTINCT ON (subscription_id) subscription_id, id FROM ordermgmt_opportunity
        WHERE type = 'renewal' AND stage <> '10-duplicate' AND subscription_id IS NOT NULL
        ORDER BY subscription_id, CASE stage WHEN 'closed_won' THEN 0 WHEN '8-closed_lost' THEN 2 ELSE 1 END,
                 created_at, id)
"""
HAND = {
    "missing_renewal": f"""
        SELECT s.id, NULL::bigint, NULL::bigint FROM subscriptions_subscription s
        LEFT JOIN ordermgmt_opportunity o
            ON o.subscription_id = s.id AND o.type = 'renewal' AND o.stage <> '10-duplicate'
        WHERE s.status = 'active' AND s.term_end >= '{AS_OF}' AND o.id IS NULL""",
    "orphan_renewal": """
        SELECT NULL::bigint, id, NULL::bigint FROM ordermgmt_opportunity
        WHERE type = 'renewal' AND subscription_id IS NULL AND stage NOT IN ('10-duplicate', '8-closed_lost')""",
    "duplicate_renewal": f"""{KEEPERS}
        SELECT o.subscription_id, o.id, NULL::bigint FROM ordermgmt_opportunity o JOIN k USING (subscription_id)
        WHERE o.type = 'renewal' AND o.stage <> '10-duplicate' AND o.id <> k.id""",
    "arr_basis_mismatch": f"""{KEEPERS}
        SELECT s.id, o.id, NULL::bigint FROM k JOIN ordermgmt_opportunity o ON o.id = k.id
        JOIN subscriptions_subscription s ON s.id = k.subscription_id
        WHERE s.status = 'active' AND s.term_end >= '{AS_OF}' AND coalesce(s.exception, '') <> 'contract_reset'
          AND o.stage NOT IN ('closed_won', '8-closed_lost') AND o.arr_basis <> s.carr""",
    "start_date_mismatch": f"""{KEEPERS}
        SELECT s.id, o.id, NULL::bigint FROM k JOIN ordermgmt_opportunity o ON o.id = k.id
        JOIN subscriptions_subscription s ON s.id = k.subscription_id
        WHERE s.status = 'active' AND s.term_end >= '{AS_OF}' AND coalesce(s.exception, '') <> 'contract_reset'
          AND o.stage NOT IN ('closed_won', '8-closed_lost') AND o.start_date IS DISTINCT FROM s.term_end""",
    "invoice_without_opportunity": """
        SELECT NULL::bigint, i.opportunity_id, i.id FROM subscriptions_invoice i
        WHERE i.invoice_date BETWEEN '2026-10-01' AND '2026-10-31'
          AND NOT EXISTS (SELECT 1 FROM ordermgmt_opportunity o WHERE o.id = i.opportunity_id AND o.stage = 'closed_won')""",
    "opportunity_without_invoice": """
        SELECT NULL::bigint, o.id, NULL::bigint FROM ordermgmt_opportunity o
        LEFT JOIN subscriptions_invoice i ON i.opportunity_id = o.id
        WHERE o.stage = 'closed_won' AND o.close_date BETWEEN '2026-10-01' AND '2026-10-31' AND i.id IS NULL""",
    "multiple_invoices": """
        SELECT NULL::bigint, o.id, NULL::bigint FROM ordermgmt_opportunity o
        JOIN subscriptions_invoice i ON i.opportunity_id = o.id
        WHERE o.stage = 'closed_won' AND o.close_date BETWEEN '2026-10-01' AND '2026-10-31'
        GROUP BY o.id HAVING count(*) > 1""",
    "net_arr_mismatch": """
        SELECT NULL::bigint, o.id, min(i.id) FROM ordermgmt_opportunity o
        JOIN subscriptions_invoice i ON i.opportunity_id = o.id
        WHERE o.stage = 'closed_won' AND o.close_date BETWEEN '2026-10-01' AND '2026-10-31'
        GROUP BY o.id HAVING count(*) = 1 AND min(i.net_arr) <> min(o.net_arr)""",
}


def rows(sql: str) -> set[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {tuple(r) for r in cursor.fetchall()}


def timed_run(kind: str, **kwargs):
    from subscriptions import services

    tracemalloc.start()
    started = time.perf_counter()
    run = services.reconciliation_run_create(kind=kind, enqueue=False, **kwargs)
    run = services.reconciliation_run_execute(run_id=run.pk)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return run, elapsed, peak


def main() -> int:
    args = parse_args()
    create_database(args)
    setup_django(args)
    started = time.perf_counter()
    load(args.subscriptions)
    print(f"loaded {args.subscriptions:,} subscriptions in {time.perf_counter() - started:.1f}s")
    from datetime import date

    from django.db import connection

    from subscriptions.models import Discrepancy

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ordermgmt_opportunity")
        print(f"opportunities: {cursor.fetchone()[0]:,}")

    ok = True
    for kind, kwargs, kinds in (
        ("renewals", {"as_of": date.fromisoformat(AS_OF)}, Discrepancy.RENEWAL_KINDS),
        ("bookings", {"month": MONTH}, Discrepancy.BOOKING_KINDS),
    ):
        rows("SELECT 1")  # warm the connection
        run, elapsed, peak = timed_run(kind, **kwargs)
        hand_total = 0.0
        print(f"\n{kind}: run {run.pk} {run.status}, {elapsed:.2f}s, Python peak memory {peak / 1e6:.1f} MB")
        print(f"  {'rule':30} {'planted':>8} {'run':>8} {'hand SQL':>9} {'hand s':>8}")
        for rule in kinds:
            planted = rows(PLANTED[rule])
            found = set(
                Discrepancy.objects.filter(run=run, kind=rule).values_list(
                    "subscription_id", "opportunity_id", "invoice_id"
                )
            )
            t0 = time.perf_counter()
            hand = rows(HAND[rule])
            hand_s = time.perf_counter() - t0
            hand_total += hand_s
            same = planted == found == hand
            ok &= same
            print(
                f"  {rule:30} {len(planted):8,} {len(found):8,} {len(hand):9,} {hand_s:8.3f} {'ok' if same else 'MISMATCH'}"
            )
        print(f"  hand-written SQL total {hand_total:.2f}s; run / hand SQL = {elapsed / hand_total:.2f}x")
        from common import report  # bench/ is on sys.path when run as a script

        report(f"reconciliation {kind}: run vs hand-written SQL", elapsed, hand_total, "s", 5)
        rerun, rerun_s, _ = timed_run(kind, **kwargs)
        stable = (
            Discrepancy.objects.filter(kind__in=kinds).count() == sum(len(rows(PLANTED[r])) for r in kinds)
            and not Discrepancy.objects.filter(kind__in=kinds, status="resolved").exists()
        )
        ok &= stable
        print(f"  re-run {rerun_s:.2f}s, same discrepancies (no duplicates, none closed): {stable}")
    print(f"\nprocess max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print("findings are exactly the planted ones" if ok else "FINDINGS DIFFER FROM THE PLANTED ONES")
    print(f"RESULT | reconciliation findings equal the planted ones | {ok} | target True | {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
