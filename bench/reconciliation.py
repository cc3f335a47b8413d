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

from common import execute, fill_defaults, setup_django, vacuum
from data_reconciliation import MONTH, PLANTED, TABLES, load
from measure import (
    add_memory_probe_options,
    fmt_runs,
    measure_memory,
    memory_budget,
    memory_probe,
    probe_or_build,
    profile,
    ratio_budget,
    result,
    summary,
    timed,
)

AS_OF = "2026-11-02"
LIMIT = {"renewals": 2.0, "bookings": 2.0}


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
    add_memory_probe_options(parser)
    parser.add_argument("--kind", default="renewals", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if probe_or_build(args, TABLES, memory_main):
        return 0
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
