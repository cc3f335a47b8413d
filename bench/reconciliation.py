"""Renewal and bookings reconciliation over planted data, against hand-written SQL that finds and writes the same
discrepancies.

    python bench/reconciliation.py [--subscriptions 200000] [--runs 5] [--database om_bench_recon]

Creates (drops and re-creates) its own PostgreSQL database, migrates it, loads N subscriptions with about 5%
planted discrepancies of every kind (plus contract-reset exceptions and closed-lost orphans that must NOT be
reported), N/10 bookings of the month with planted invoice mismatches, and 2N unrelated opportunities. Then, for each
job, `--runs` times interleaved (min and median printed; the verdict is on the medians), each run starting from no
discrepancies (the previous run's output deleted and the tables vacuumed):

- the job: `manage.py reconcile_renewals --as-of 2026-11-02` / `manage.py reconcile_bookings --month 2026-10`
  (queues a run, executes every rule as an upsert of its discrepancies, closes the resolved ones, counts);
- hand-written: one statement per job that finds every rule's rows and upserts them as discrepancy rows (key,
  expected, actual, proposed fix), the close of resolved ones, and the run row with its counts.
Budgets: bookings <= 2x its hand-written SQL; renewals <= 2x (as before). Both sides must find exactly the planted
rows; a re-run of the job must leave the same discrepancies (no duplicates, none closed). Then each job's peak
memory at N/10 and N subscriptions (a child process each, tracemalloc): constant in the data size.

The test settings apply no automatic fixes (RECONCILIATION_AUTO_APPLY_KINDS empty): the job here finds and records.
"""

import argparse
import io
import sys
import time
from datetime import date

from common import (
    execute,
    fill_defaults,
    fmt_runs,
    measure_memory,
    memory_budget,
    memory_probe,
    profile,
    ratio_budget,
    result,
    setup_django,
    summary,
    timed,
    vacuum,
)

AS_OF = "2026-11-02"
MONTH = "2026-10"
LIMIT = {"renewals": 2.0, "bookings": 2.0}
OPP_COLUMNS = (
    "name, account_id, owner_id, region_id, type, deployment, route_to_market, stage, amount, net_arr, arr_basis, "
    "start_date, end_date, close_date, closed_won_reason, closed_won_details, competitors, executed_agreement_type, "
    "executed_agreement_link, po_required, subscription_id, license_delivery_date, approval_status, version, "
    "created_at, updated_at"
)

# The tables this benchmark writes with hand-written SQL (see common.fill_defaults).
TABLES = (
    "ordermgmt_user",
    "ordermgmt_account",
    "ordermgmt_opportunity",
    "subscriptions_subscription",
    "subscriptions_invoice",
    "subscriptions_discrepancy",
    "subscriptions_discrepancyevent",
    "subscriptions_reconciliationrun",
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


# --- the planted truth, from the names given at load time ---------------------------------------------------------

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

# --- hand-written find-and-write, one statement per job (written independently of subscriptions/rules.py) ---------

RENEWALS_FOUND = """
    current AS (
        SELECT * FROM subscriptions_subscription s WHERE s.status = 'active' AND s.term_end >= %(as_of)s
    ),
    renewals AS (
        SELECT id, subscription_id, stage, arr_basis, start_date, created_at FROM ordermgmt_opportunity
        WHERE type = 'renewal' AND stage <> '10-duplicate' AND subscription_id IS NOT NULL
    ),
    keepers AS (
        SELECT DISTINCT ON (subscription_id) subscription_id, id FROM renewals
        ORDER BY subscription_id, CASE stage WHEN 'closed_won' THEN 0 WHEN '8-closed_lost' THEN 2 ELSE 1 END,
                 created_at, id
    ),
    open_keepers AS (
        SELECT s.id AS sid, s.carr, s.term_end, o.id AS oid, o.arr_basis, o.start_date
        FROM keepers k JOIN renewals o ON o.id = k.id JOIN current s ON s.id = k.subscription_id
        WHERE s.exception IS DISTINCT FROM 'contract_reset' AND o.stage NOT IN ('closed_won', '8-closed_lost')
    ),
    found (kind, sid, oid, iid, expected, actual, fix) AS (
        SELECT 'missing_renewal', s.id, NULL::bigint, NULL::bigint, '{"renewal_opportunities": 1}'::jsonb,
               '{"renewal_opportunities": 0}'::jsonb,
               jsonb_build_object('action', 'create_renewal', 'arr_basis', s.carr::text, 'start_date', s.term_end)
        FROM current s WHERE NOT EXISTS (SELECT 1 FROM renewals o WHERE o.subscription_id = s.id)
        UNION ALL
        SELECT 'orphan_renewal', NULL, o.id, NULL, '{"subscription": "linked"}', '{"subscription": null}',
               '{"action": "manual", "detail": "Link it to its subscription, or mark it 10-Duplicate."}'
        FROM ordermgmt_opportunity o
        WHERE o.type = 'renewal' AND o.subscription_id IS NULL AND o.stage NOT IN ('10-duplicate', '8-closed_lost')
        UNION ALL
        SELECT 'duplicate_renewal', o.subscription_id, o.id, NULL, jsonb_build_object('renewal_opportunity', k.id),
               jsonb_build_object('renewal_opportunity', o.id, 'stage', o.stage),
               CASE WHEN o.stage = 'closed_won'
                    THEN '{"action": "manual", "detail": "Two Closed Won renewals: decide which one stands."}'
                    ELSE jsonb_build_object('action', 'mark_duplicate', 'keep', k.id) END
        FROM renewals o JOIN keepers k USING (subscription_id) WHERE o.id <> k.id
        UNION ALL
        SELECT 'arr_basis_mismatch', sid, oid, NULL, jsonb_build_object('arr_basis', carr::text),
               jsonb_build_object('arr_basis', arr_basis::text),
               jsonb_build_object('action', 'set', 'field', 'arr_basis', 'value', carr::text)
        FROM open_keepers WHERE arr_basis <> carr
        UNION ALL
        SELECT 'start_date_mismatch', sid, oid, NULL, jsonb_build_object('start_date', term_end),
               jsonb_build_object('start_date', start_date),
               jsonb_build_object('action', 'set', 'field', 'start_date', 'value', term_end)
        FROM open_keepers WHERE start_date IS DISTINCT FROM term_end
    )"""

BOOKINGS_FOUND = """
    won AS (
        SELECT id, net_arr FROM ordermgmt_opportunity
        WHERE stage = 'closed_won' AND close_date >= %(start)s AND close_date < %(end)s
    ),
    billed AS (
        SELECT i.opportunity_id, count(*) AS n, min(i.id) AS iid, min(i.net_arr) AS net_arr,
               jsonb_agg(i.number ORDER BY i.number) AS numbers
        FROM subscriptions_invoice i JOIN won ON won.id = i.opportunity_id GROUP BY i.opportunity_id
    ),
    found (kind, sid, oid, iid, expected, actual, fix) AS (
        SELECT 'invoice_without_opportunity', NULL::bigint, i.opportunity_id, i.id,
               '{"opportunity": "a Closed Won opportunity"}'::jsonb,
               jsonb_build_object('opportunity', i.opportunity_id, 'stage', o.stage),
               '{"action": "manual", "detail": "Link the invoice to its Closed Won opportunity in the billing system."}'::jsonb
        FROM subscriptions_invoice i LEFT JOIN ordermgmt_opportunity o ON o.id = i.opportunity_id
        WHERE i.invoice_date >= %(start)s AND i.invoice_date < %(end)s AND (o.id IS NULL OR o.stage <> 'closed_won')
        UNION ALL
        SELECT 'opportunity_without_invoice', NULL, won.id, NULL, '{"invoices": 1}', '{"invoices": 0}',
               '{"action": "manual", "detail": "Ask Billing to invoice this booking, or reopen it."}'
        FROM won LEFT JOIN billed b ON b.opportunity_id = won.id WHERE b.n IS NULL
        UNION ALL
        SELECT 'multiple_invoices', NULL, b.opportunity_id, NULL, '{"invoices": 1}',
               jsonb_build_object('invoices', b.n, 'numbers', b.numbers),
               '{"action": "manual", "detail": "Have Billing credit the extra invoices or relink them."}'
        FROM billed b WHERE b.n > 1
        UNION ALL
        SELECT 'net_arr_mismatch', NULL, won.id, b.iid, jsonb_build_object('net_arr', b.net_arr::text),
               jsonb_build_object('net_arr', won.net_arr::text),
               jsonb_build_object('action', 'set', 'field', 'net_arr', 'value', b.net_arr::text)
        FROM billed b JOIN won ON won.id = b.opportunity_id
        WHERE b.n = 1 AND b.net_arr IS NOT NULL AND b.net_arr <> won.net_arr
    )"""

WRITE = """
    WITH {found}
    INSERT INTO subscriptions_discrepancy
        (key, kind, period, status, run_id, first_run_id, subscription_id, opportunity_id, invoice_id, expected,
         actual, proposed_fix, first_seen_at, last_seen_at, reason, applied_changes)
    SELECT kind || ':' || %(period)s || ':' || coalesce(sid::text, '') || ':' || coalesce(oid::text, '') || ':'
               || coalesce(iid::text, ''),
           kind, %(period)s, 'open', %(run)s, %(run)s, sid, oid, iid, expected, actual, fix, now(), now(), '', '{{}}'
    FROM found
    ON CONFLICT (key) WHERE status IN ('open', 'accepted') DO UPDATE SET
        run_id = EXCLUDED.run_id, last_seen_at = EXCLUDED.last_seen_at, expected = EXCLUDED.expected,
        actual = EXCLUDED.actual, proposed_fix = EXCLUDED.proposed_fix
"""

CLOSE_RESOLVED = """
    WITH closed AS (
        UPDATE subscriptions_discrepancy SET status = 'resolved', resolved_at = now()
        WHERE kind = ANY(%(kinds)s) AND period = %(period)s AND status = 'open' AND run_id <> %(run)s
        RETURNING id
    )
    INSERT INTO subscriptions_discrepancyevent (discrepancy_id, at, action, from_status, to_status, changes, reason)
    SELECT id, now(), 'resolved', 'open', 'resolved', '{}', 'No longer found.' FROM closed
"""

FINISH = """
    UPDATE subscriptions_reconciliationrun SET status = 'done', progress = 100, finished_at = now(),
        counts = (SELECT coalesce(jsonb_object_agg(kind, n), '{}') FROM (
                      SELECT kind, count(*) AS n FROM subscriptions_discrepancy WHERE run_id = %(run)s GROUP BY kind
                  ) c)
    WHERE id = %(run)s
"""


def hand_find_and_write(kind: str, params: dict) -> int:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO subscriptions_reconciliationrun (kind, status, progress, counts, as_of, period, created_at,"
            " started_at, attempts, error) VALUES (%(kind)s, 'running', 0, '{}', %(as_of)s, %(period)s, now(),"
            " now(), 1, '') RETURNING id",
            {**params, "kind": kind},
        )
        params = {**params, "run": cursor.fetchone()[0]}
        cursor.execute(WRITE.format(found=(RENEWALS_FOUND if kind == "renewals" else BOOKINGS_FOUND).strip()), params)
        written = cursor.rowcount
        cursor.execute(CLOSE_RESOLVED, {**params, "kinds": KINDS[kind]})
        cursor.execute(FINISH, params)
    return written


KINDS = {
    "renewals": ["missing_renewal", "orphan_renewal", "duplicate_renewal", "arr_basis_mismatch", "start_date_mismatch"],
    "bookings": ["invoice_without_opportunity", "opportunity_without_invoice", "multiple_invoices", "net_arr_mismatch"],
}
JOBS = {
    "renewals": (
        "reconcile_renewals",
        {"as_of": date.fromisoformat(AS_OF)},
        {"as_of": AS_OF, "period": ""},
    ),
    "bookings": (
        "reconcile_bookings",
        {"month": MONTH},
        {"as_of": "2026-10-01", "period": MONTH, "start": "2026-10-01", "end": "2026-11-01"},
    ),
}


def job(kind: str) -> str:
    from django.core.management import call_command

    command, options, _ = JOBS[kind]
    out = io.StringIO()
    call_command(command, stdout=out, **options)
    return out.getvalue()


def reset() -> None:
    execute("DELETE FROM subscriptions_discrepancyevent")
    execute("DELETE FROM subscriptions_discrepancy")
    execute("DELETE FROM subscriptions_reconciliationrun")
    vacuum("subscriptions_discrepancyevent", "subscriptions_discrepancy", "subscriptions_reconciliationrun")


def rows(sql: str) -> set[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {tuple(r) for r in cursor.fetchall()}


def found(kinds) -> dict[str, set[tuple]]:
    """The open discrepancies of `kinds`, by kind: (subscription, opportunity, invoice)."""
    from django.db import connection

    out = {kind: set() for kind in kinds}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT kind, subscription_id, opportunity_id, invoice_id FROM subscriptions_discrepancy"
            " WHERE kind = ANY(%s) AND status = 'open'",
            [list(kinds)],
        )
        for kind, *key in cursor.fetchall():
            out[kind].add(tuple(key))
    return out


def memory_main(args) -> None:
    setup_django(args.database, recreate=args.seed)
    fill_defaults(*TABLES)
    if args.seed:
        load(args.subscriptions)
    reset()
    measure_memory(lambda: job(args.kind))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", default="om_bench_recon")
    parser.add_argument("--memory-probe", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seed", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--kind", default="renewals", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_probe:
        memory_main(args)
        return 0

    setup_django(args.database, recreate=True)
    fill_defaults(*TABLES)
    seconds, _ = timed(lambda: load(args.subscriptions))
    print(f"loaded {args.subscriptions:,} subscriptions in {seconds:.1f} s")
    print(f"opportunities: {rows('SELECT count(*) FROM ordermgmt_opportunity').pop()[0]:,}")

    ok = True
    for kind, kinds in KINDS.items():
        params = JOBS[kind][2]
        planted = {rule: rows(PLANTED[rule]) for rule in kinds}
        job_runs, hand_runs = [], []
        for _ in range(args.runs):
            reset()
            t, written = timed(lambda: hand_find_and_write(kind, params))  # noqa: B023
            hand_runs.append(t)
            hand_found = found(kinds)
            reset()
            t, _ = timed(lambda: job(kind))  # noqa: B023
            job_runs.append(t)
        job_found = found(kinds)
        print(f"\n{kind}: {written:,} discrepancies written by hand")
        print(f"  {'rule':30} {'planted':>8} {'job':>8} {'by hand':>8}")
        for rule in kinds:
            same = planted[rule] == job_found[rule] == hand_found[rule]
            ok &= same
            print(
                f"  {rule:30} {len(planted[rule]):8,} {len(job_found[rule]):8,} {len(hand_found[rule]):8,}"
                f" {'ok' if same else 'MISMATCH'}"
            )
        t, _ = timed(lambda: job(kind))  # noqa: B023
        resolved = rows(
            f"SELECT count(*) FROM subscriptions_discrepancy WHERE status = 'resolved' AND kind IN {tuple(kinds)}"
        )
        stable = found(kinds) == job_found and resolved == {(0,)}
        ok &= stable
        print(
            f"  re-run of the job on its own output: {t:.2f} s, same discrepancies (none added, none closed): {stable}"
        )
        runs, base = summary(job_runs), summary(hand_runs)
        print(f"  job:          {fmt_runs(runs)}\n  hand-written: {fmt_runs(base)}")
        if not ratio_budget(f"{kind} reconciliation vs hand-written find-and-write", runs, base, LIMIT[kind]):
            reset()
            profile(lambda: job(kind), repeat=1, title=f"{kind} reconciliation")  # noqa: B023
    result(
        "reconciliation findings (job and hand-written) equal the planted ones; re-run stable",
        str(ok),
        "True",
        ok,
        "the planted rows, from the names given at load time",
    )

    from django.db import connection

    connection.close()
    small_n = max(100, args.subscriptions // 10)
    small_db = args.database + "_small"
    for index, kind in enumerate(("renewals", "bookings")):
        seed = ["--seed"] if index == 0 else []
        small = memory_probe(
            "reconciliation.py", *seed, "--kind", kind, "--subscriptions", str(small_n), "--database", small_db
        )
        large = memory_probe("reconciliation.py", "--kind", kind, "--database", args.database)
        memory_budget(
            f"the {kind} reconciliation",
            small,
            large,
            f"{small_n:,} subscriptions",
            f"{args.subscriptions:,} subscriptions",
        )
    return 0 if ok else 1


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    print(f"reconciliation.py: {time.perf_counter() - started:.0f} s")
    sys.exit(code)
