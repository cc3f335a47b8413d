"""Benchmark: the daily license review over 100,000 Closed Won opportunities, 90% delivered in the feed.

Run: /work/main/.venv/bin/python bench/license_review.py [--n 100000] [--keep]

Creates (drops first) its own database `om_bench_licenses` on the PostgreSQL server of DATABASE_URL (default
postgres://postgres@127.0.0.1:5432), migrates it, seeds it with set-based SQL, then prints side by side:

1. one hand-written SQL statement finding the undelivered set (the baseline);
2. one hand-written SQL transaction that finds *and fixes* (dates + tickets), rolled back;
3. the job's first run (licenses.services.license_review_run: finds, writes dates, tickets, history);
4. the job's second run (everything decided: the steady-state daily cost),
with wall time and each ratio to the baseline; then the job's output is undone and the first run repeated
under tracemalloc for its peak Python memory (timed separately: tracing slows Python down), plus max RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = "om_bench_licenses"
AS_OF = "2026-09-16"

FIND_SQL = """
SELECT o.id
FROM ordermgmt_opportunity o
LEFT JOIN ordermgmt_quote q ON q.opportunity_id = o.id AND q.is_primary
LEFT JOIN ordermgmt_contact c ON c.id = q.sold_to_contact_id
LEFT JOIN subscriptions_subscription s ON s.id = o.subscription_id
WHERE o.stage = 'closed_won' AND o.deployment = 'self_managed' AND o.license_delivery_date IS NULL
  AND NOT EXISTS (
    SELECT 1 FROM licenses_licensedelivery d
    WHERE d.sold_to_email = lower(c.email) AND d.delivered_at < %(end)s
      AND (d.opportunity_id = o.id OR (d.opportunity_id IS NULL AND d.subscription_name = s.name)))
"""

FIX_SQL = [
    """
    UPDATE ordermgmt_opportunity o SET license_delivery_date = m.day, version = o.version + 1, updated_at = now()
    FROM (
      SELECT o2.id, min(d.delivered_at AT TIME ZONE r.timezone)::date AS day
      FROM ordermgmt_opportunity o2
      JOIN ordermgmt_region r ON r.code = o2.region_id
      JOIN ordermgmt_quote q ON q.opportunity_id = o2.id AND q.is_primary
      JOIN ordermgmt_contact c ON c.id = q.sold_to_contact_id
      JOIN licenses_licensedelivery d ON d.opportunity_id = o2.id AND d.sold_to_email = lower(c.email)
      WHERE o2.stage = 'closed_won' AND o2.deployment = 'self_managed' AND o2.license_delivery_date IS NULL
        AND d.delivered_at < %(end)s
      GROUP BY o2.id
    ) m WHERE o.id = m.id
    """,
    """
    INSERT INTO licenses_licenseticket (opportunity_id, region_id, route_to_market, reason, status, sold_to_email,
                                        created_at, updated_at)
    SELECT o.id, o.region_id, o.route_to_market, 'no_delivery', 'open', coalesce(lower(c.email), ''), now(), now()
    FROM ordermgmt_opportunity o
    LEFT JOIN ordermgmt_quote q ON q.opportunity_id = o.id AND q.is_primary
    LEFT JOIN ordermgmt_contact c ON c.id = q.sold_to_contact_id
    WHERE o.stage = 'closed_won' AND o.deployment = 'self_managed' AND o.license_delivery_date IS NULL
    ON CONFLICT DO NOTHING
    """,
]


def database_urls() -> tuple[str, str]:
    base = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    admin = urlunparse(base._replace(path="/postgres"))
    bench = urlunparse(base._replace(path=f"/{DB_NAME}"))
    return admin, bench


def recreate_database(admin_url: str) -> None:
    import psycopg2

    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        cur.execute(f"CREATE DATABASE {DB_NAME}")
    conn.close()


def setup_django(bench_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = bench_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "ordermgmt.settings.test"
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(n: int) -> None:
    """n opportunities over the three regions, each with a Sold To contact; 90% with a matching delivery."""
    from django.db import connection

    delivered = int(n * 0.9)
    with connection.cursor() as cur:
        # Seed without triggers (pghistory's audit rows of seed data are not what we measure, and its per-row
        # trigger made a 100k-row INSERT take minutes); the data is consistent by construction.
        cur.execute("SET session_replication_role = replica")
        cur.execute(
            "INSERT INTO ordermgmt_user (password, is_superuser, username, first_name, last_name, email, is_staff,"
            " is_active, date_joined, role, region_id) VALUES ('!', false, 'bench_rep', '', '', '', false, true,"
            " now(), 'sales_rep', 'AMER') RETURNING id"
        )
        owner = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO ordermgmt_account (name, region_id, country, billing_address, created_at, updated_at)"
            " VALUES ('Bench Customer', 'AMER', 'US', '', now(), now()) RETURNING id"
        )
        account = cur.fetchone()[0]
        cur.execute(
            """
            INSERT INTO ordermgmt_opportunity (name, account_id, owner_id, region_id, type, deployment, route_to_market,
              stage, amount, net_arr, arr_basis, close_date, closed_won_reason, closed_won_details, competitors,
              executed_agreement_link, po_required, approval_status, version, created_at, updated_at)
            SELECT 'Bench ' || g, %s, %s, (ARRAY['AMER','EMEA','APAC'])[1 + g %% 3], 'new_business', 'self_managed',
              (ARRAY['direct','direct','direct','reseller','aws_private_offer','gcp_private_offer','ibm_oem'])[1 + g %% 7],
              'closed_won', 1000, 1000, 0, DATE '2026-09-14' - (g %% 40), '', '', '', '', false, 'closed_won', 1,
              now(), now()
            FROM generate_series(1, %s) g
            """,
            [account, owner, n],
        )
        cur.execute(
            "INSERT INTO ordermgmt_contact (account_id, name, email, created_at, updated_at)"
            " SELECT %s, 'Buyer ' || o.id, 'Buyer' || o.id || '@customer.example', now(), now()"
            " FROM ordermgmt_opportunity o ORDER BY o.id",
            [account],
        )
        cur.execute(
            "INSERT INTO ordermgmt_quote (opportunity_id, is_primary, number, sold_to_contact_id, bill_to_contact_id,"
            " amount, payment_terms, po_number, approved, created_at, updated_at)"
            " SELECT o.id, true, 'BQ-' || o.id, c.id, c.id, 1000, 'net_30', '', true, now(), now()"
            " FROM ordermgmt_opportunity o JOIN ordermgmt_contact c ON c.name = 'Buyer ' || o.id"
        )
        cur.execute(
            "INSERT INTO licenses_licensedelivery (external_id, opportunity_id, subscription_name, sold_to_email,"
            " delivered_at, source, received_at)"
            " SELECT 'BENCH-' || o.id, o.id, '', 'buyer' || o.id || '@customer.example',"
            " TIMESTAMPTZ '2026-09-14 18:00+00' - (o.id %% 30) * interval '1 day', 'csv', now()"
            " FROM ordermgmt_opportunity o ORDER BY o.id LIMIT %s",
            [delivered],
        )
        cur.execute("SET session_replication_role = DEFAULT")
        cur.execute("ANALYZE")


def measure(label: str, fn, *, trace_memory: bool = False):
    """Wall time of fn(); with trace_memory, the peak of Python allocations (tracemalloc slows Python code)."""
    if trace_memory:
        tracemalloc.start()
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace_memory else None
    if trace_memory:
        tracemalloc.stop()
    return {"label": label, "seconds": elapsed, "peak_mb": None if peak is None else peak / 2**20, "result": result}


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")


def reset_job_output() -> None:
    """Undo the job's writes so it can run once more from the same starting point (for the memory pass)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DELETE FROM licenses_licenseticket")
        cur.execute("DELETE FROM licenses_licensereviewrun")
        cur.execute("DELETE FROM ordermgmt_opportunityevent WHERE action LIKE 'license_%%'")
        cur.execute(
            "UPDATE ordermgmt_opportunity SET license_delivery_date = NULL WHERE license_delivery_date IS NOT NULL"
        )
    vacuum()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()

    admin_url, bench_url = database_urls()
    recreate_database(admin_url)
    setup_django(bench_url)

    from datetime import date, datetime, timedelta
    from zoneinfo import ZoneInfo

    from django.db import connection, transaction

    from licenses.models import LicenseTicket
    from licenses.services import license_review_run
    from ordermgmt.models import Opportunity

    t0 = time.perf_counter()
    seed(args.n)
    print(f"seeded {args.n:,} Closed Won opportunities (90% delivered in the feed) in {time.perf_counter() - t0:.1f} s")

    as_of = date.fromisoformat(AS_OF)
    # The latest end of day among the regions (Los Angeles): a superset bound, as the job uses per region.
    end = datetime.combine(as_of + timedelta(days=1), datetime.min.time(), ZoneInfo("America/Los_Angeles"))

    def find():
        with connection.cursor() as cur:
            cur.execute(FIND_SQL, {"end": end})
            return len(cur.fetchall())

    def find_and_fix():
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(FIX_SQL[0], {"end": end})
            updated = cur.rowcount
            cur.execute(FIX_SQL[1])
            transaction.set_rollback(True)  # leave the data for the job
            return updated

    find()  # warm the cache so neither side pays for the first read from disk
    baseline = measure("hand-written SQL: find the undelivered set", find)
    fix = measure("hand-written SQL: find and fix (rolled back)", find_and_fix)
    vacuum()  # the rolled-back fix left dead tuples; clean them so the job starts from the same state
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    first = measure("job, first run (find + write)", lambda: license_review_run(as_of=as_of, force=True))
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    second = measure("job, second run (all decided)", lambda: license_review_run(as_of=as_of, force=True))

    undelivered = Opportunity.objects.filter(license_delivery_date__isnull=True).count()
    tickets = LicenseTicket.objects.count()
    assert undelivered == baseline["result"], (undelivered, baseline["result"])
    assert tickets == undelivered, (tickets, undelivered)

    reset_job_output()
    traced = measure(
        "job, first run again under tracemalloc", lambda: license_review_run(as_of=as_of, force=True), trace_memory=True
    )
    assert LicenseTicket.objects.count() == tickets

    print(f"{'':52} {'time':>9} {'x SQL find':>11}")
    for row in (baseline, fix, first, second):
        print(f"{row['label']:52} {row['seconds']:8.2f}s {row['seconds'] / baseline['seconds']:10.1f}x")
    print(f"job first run vs hand-written find-and-fix: {first['seconds'] / fix['seconds']:.1f}x")
    print(f"undelivered set: {baseline['result']:,} (SQL) = {undelivered:,} (job); tickets opened: {tickets:,}")
    print(
        f"job peak Python memory (tracemalloc): {traced['peak_mb']:.1f} MB "
        f"(that pass took {traced['seconds']:.2f} s with tracing on)"
    )
    print(f"process max RSS: {rss_before:.0f} MB before the job, {rss_after:.0f} MB after its first run")
    from common import report  # bench/ is on sys.path when run as a script

    report("license review: job first run vs hand-written SQL find+fix", first["seconds"], fix["seconds"], "s", 5)
    report("license review: job second run vs hand-written SQL find", second["seconds"], baseline["seconds"], "s", 5)


if __name__ == "__main__":
    main()
