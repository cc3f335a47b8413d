"""KPI API for one quarter vs the raw SQL of the same aggregates, over 1,000,000 opportunities.

    python bench/kpis.py [--opportunities 1000000] [--submitted-share 0.1] [--database om_bench_kpis] [--quick]
    (from the repository root: Celery puts the working directory first on sys.path, and from bench/ this file would
    shadow the `kpis` app). --quick: 50,000 opportunities in om_bench_kpis_quick, 20 runs (what run_all --quick passes).

Data are bulk-loaded with generate_series (audit triggers off for the load: session_replication_role=replica),
once; later runs reuse them. A share of the opportunities (10% by default) has a submission spread over 2025-2026,
each with an OM decision (90% approved, 10% rejected with reason codes) and, when approved, a Billing decision (95%
approved; those are Closed Won). Prints:

- GET /api/kpis/?period=2026-Q3 with the cache cleared before every call (every KPI, tables and 8-quarter trends
  computed), next to the same SQL statements run raw through a cursor: the ORM + DRF overhead (target: within 2x);
- the same request served from the cache (no query);
- the SLA KPI (count, share, median and p90) through `approval_sla` next to hand-written SQL.
"""

import argparse

from common import median_ms, report, setup_django


def load(opportunities: int, share: float) -> None:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT (SELECT count(*) FROM ordermgmt_opportunity), (SELECT count(*) FROM approvals_decision)")
        loaded, decisions = c.fetchone()
        if loaded >= opportunities and decisions:
            return
        submitted = int(opportunities * share)
        print(f"loading {opportunities:,} opportunities, {submitted:,} submitted and decided …", flush=True)
        c.execute("SET session_replication_role = replica")
        c.execute("TRUNCATE approvals_decision, approvals_submission, ordermgmt_opportunity, ordermgmt_account CASCADE")
        c.execute("DELETE FROM ordermgmt_user WHERE username LIKE 'bench_%%'")
        c.execute(
            """INSERT INTO ordermgmt_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                   is_active, date_joined, role, region_id)
               SELECT '!', false, 'bench_' || r || '_' || g, 'Bench', g::text, '', false, true, now(), r,
                      (ARRAY['AMER','EMEA','APAC'])[1 + g % 3]
               FROM generate_series(1, 60) g, unnest(ARRAY['sales_rep', 'specialist']) r
               WHERE r = 'sales_rep' OR g <= 12"""
        )
        c.execute(
            """INSERT INTO ordermgmt_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                   is_active, date_joined, role, region_id)
               VALUES ('!', false, 'bench_manager', 'Bench', 'Manager', '', false, true, now(), 'manager', NULL)"""
        )
        c.execute(
            """INSERT INTO ordermgmt_account (created_at, updated_at, name, region_id, country, billing_address)
               SELECT now(), now(), 'Account ' || g, (ARRAY['AMER','EMEA','APAC'])[1 + g % 3], 'US', ''
               FROM generate_series(1, 20000) g"""
        )
        c.execute("SELECT min(id) FROM ordermgmt_user WHERE username LIKE 'bench_sales_rep_%%'")
        rep0 = c.fetchone()[0]
        c.execute("SELECT min(id) FROM ordermgmt_user WHERE username LIKE 'bench_specialist_%%'")
        spec0 = c.fetchone()[0]
        c.execute("SELECT min(id) FROM ordermgmt_account")
        account0 = c.fetchone()[0]
        # Submitted opportunities are the first `submitted` ids; one in 19 of them is rejected by Billing
        # (g % 19 = 0), one in 10 by OM (g % 10 = 0); the rest are Closed Won on their Billing decision day.
        c.execute(
            """INSERT INTO ordermgmt_opportunity (created_at, updated_at, name, account_id, owner_id, region_id, type,
                   deployment, route_to_market, stage, amount, net_arr, arr_basis, start_date, end_date, close_date,
                   closed_won_reason, closed_won_details, competitors, executed_agreement_link, po_required,
                   approval_status, version)
               SELECT now(), now(), 'Opp ' || g, %s + g %% 20000, %s + g %% 60, (ARRAY['AMER','EMEA','APAC'])[1 + g %% 3],
                      'new_business', CASE WHEN g %% 4 = 0 THEN 'saas' ELSE 'self_managed' END, 'direct',
                      CASE WHEN g > %s THEN '5-negotiating' WHEN g %% 10 = 0 OR g %% 19 = 0 THEN '7-closing'
                           ELSE 'closed_won' END,
                      (g %% 97) * 1000, (g %% 89) * 1000, 0, date '2026-12-01', date '2027-12-01',
                      CASE WHEN g <= %s AND g %% 10 <> 0 AND g %% 19 <> 0
                           THEN (timestamp '2025-01-01' + (g %% 728) * interval '1 day' + interval '2 days')::date END,
                      '', '', '', '', false,
                      CASE WHEN g > %s THEN 'draft' WHEN g %% 10 = 0 THEN 'om_rejected'
                           WHEN g %% 19 = 0 THEN 'billing_rejected' ELSE 'closed_won' END, 1
               FROM generate_series(1, %s) g""",
            [account0, rep0, submitted, submitted, submitted, opportunities],
        )
        c.execute(
            """INSERT INTO approvals_submission (opportunity_id, submitted_by_id, submitted_at, region_id, state,
                   sequence, start_date, net_arr, amount, escalated, escalation_reason, escalated_at, clock_started_at,
                   sla_at_risk_at, sla_due_at, om_decided_at, om_decided_by_id, om_business_hours,
                   billing_decided_at, billing_decided_by_id, billing_business_hours)
               SELECT o.id, o.owner_id, t.at, o.region_id, o.approval_status, 1, o.start_date, o.net_arr, o.amount,
                      o.id %% 50 = 0, '', CASE WHEN o.id %% 50 = 0 THEN t.at + interval '1 hour' END, t.at,
                      t.at + interval '9 hours', t.at + interval '12 hours', t.at + interval '1 day',
                      %s + o.id %% 12, ((o.id * 7) %% 200) / 10.0,
                      CASE WHEN o.id %% 10 <> 0 THEN t.at + interval '2 days' END,
                      CASE WHEN o.id %% 10 <> 0 THEN %s END, CASE WHEN o.id %% 10 <> 0 THEN 3 END
               FROM ordermgmt_opportunity o,
                    LATERAL (SELECT timestamptz '2025-01-01 09:00+00' + (o.id %% 728) * interval '1 day' AS at) t
               WHERE o.approval_status <> 'draft'""",
            [spec0, spec0],
        )
        c.execute(
            """INSERT INTO approvals_decision (submission_id, stage, outcome, actor_id, decided_at, reasons, comment,
                   business_hours)
               SELECT s.id, 'om', CASE WHEN s.opportunity_id % 10 = 0 THEN 'rejected' ELSE 'approved' END,
                      s.om_decided_by_id, s.om_decided_at,
                      CASE WHEN s.opportunity_id % 10 = 0
                           THEN (ARRAY['["primary_quote_approved"]', '["quote_contacts", "competitors"]',
                                       '["signed_order_form"]'])[1 + s.opportunity_id % 3]::jsonb
                           ELSE '[]'::jsonb END, '', s.om_business_hours
               FROM approvals_submission s"""
        )
        c.execute(
            """INSERT INTO approvals_decision (submission_id, stage, outcome, actor_id, decided_at, reasons, comment,
                   business_hours)
               SELECT s.id, 'billing', CASE WHEN s.opportunity_id % 19 = 0 THEN 'rejected' ELSE 'approved' END,
                      s.billing_decided_by_id, s.billing_decided_at,
                      CASE WHEN s.opportunity_id % 19 = 0 THEN '["po_number_on_quote"]'::jsonb ELSE '[]'::jsonb END,
                      '', 3
               FROM approvals_submission s WHERE s.billing_decided_at IS NOT NULL"""
        )
        c.execute("SET session_replication_role = DEFAULT")
        c.execute("ANALYZE")


SLA_SQL = """
SELECT count(*), count(*) FILTER (WHERE om_business_hours <= 12),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY om_business_hours),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY om_business_hours)
FROM approvals_submission
WHERE om_decided_at >= '2026-07-01 00:00+00' AND om_decided_at < '2026-10-01 00:00+00'
  AND om_business_hours IS NOT NULL
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    parser.add_argument("--submitted-share", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--database", default="om_bench_kpis")
    parser.add_argument("--quick", action="store_true", help="50,000 opportunities in their own database, 20 runs")
    args = parser.parse_args()
    if args.quick:
        args.opportunities, args.database, args.repeat = 50_000, "om_bench_kpis_quick", 20
    setup_django(args.database)
    load(args.opportunities, args.submitted_share)

    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from kpis.periods import quarter
    from kpis.selectors import Scope, approval_sla
    from ordermgmt.models import User

    client = APIClient()
    client.force_authenticate(User.objects.get(username="bench_manager"))
    url = "/api/kpis/?period=2026-Q3"

    def uncached():
        cache.clear()
        response = client.get(url)
        assert response.status_code == 200
        return response

    first = uncached().json()
    with CaptureQueriesContext(connection) as captured:
        uncached()
    statements = [q["sql"] for q in captured.captured_queries]

    def raw():
        with connection.cursor() as c:
            for sql in statements:
                c.execute(sql)
                c.fetchall()

    def cached():
        assert client.get(url).status_code == 200

    api_ms = median_ms(uncached, repeat=args.repeat, warmup=1)
    raw_ms = median_ms(raw, repeat=args.repeat, warmup=1)
    client.get(url)
    cached_ms = median_ms(cached, repeat=args.repeat * 3)

    scope = Scope(quarter(2026, 3))

    def sla_orm():
        approval_sla(scope)

    def sla_raw():
        with connection.cursor() as c:
            c.execute(SLA_SQL)
            c.fetchone()

    sla_ms = median_ms(sla_orm, repeat=args.repeat * 3)
    sla_raw_ms = median_ms(sla_raw, repeat=args.repeat * 3)

    with connection.cursor() as c:
        c.execute(
            "SELECT count(*) FROM approvals_submission WHERE om_decided_at >= '2026-07-01' AND om_decided_at < '2026-10-01'"
        )
        in_quarter = c.fetchone()[0]
    print(
        f"KPIs for 2026-Q3 over {args.opportunities:,} opportunities, {in_quarter:,} OM decisions in the quarter; "
        f"SLA {first['approval_sla_pct']}%, median {first['median_decision_business_hours']} h, "
        f"accuracy {first['approval_accuracy_pct']}%; {len(statements)} SQL statements per uncached request"
    )
    report("KPI API (uncached) vs the same SQL run raw", api_ms, raw_ms, "ms", 2)
    report("KPI API (cached) vs the same SQL run raw", cached_ms, raw_ms, "ms", 2)
    report("approval_sla() vs hand-written SQL", sla_ms, sla_raw_ms, "ms", 2)


if __name__ == "__main__":
    main()
