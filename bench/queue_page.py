"""Queue endpoint vs raw SQL: first page of a region's queue over 1,000,000 opportunities (20,000 submitted).

    python bench/queue_page.py [--opportunities 1000000] [--submitted 20000]

Data are bulk-loaded with generate_series (audit triggers off for the load: session_replication_role=replica),
once; later runs reuse them. Prints the median time of GET /api/queue/?region=EMEA (50 rows, through the whole
Django + DRF stack in-process) next to the raw SQL of the same page (the same columns and joins, claimer's name
included), and their ratio (target: within 3x).
"""

import argparse

from common import median_ms, report, setup_django


def load(opportunities: int, submitted: int) -> None:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM ordermgmt_opportunity")
        if c.fetchone()[0] >= opportunities:
            return
        print(f"loading {opportunities:,} opportunities, {submitted:,} submitted …", flush=True)
        c.execute("SET session_replication_role = replica")
        c.execute("TRUNCATE approvals_submission, ordermgmt_opportunity, ordermgmt_account CASCADE")
        c.execute("DELETE FROM ordermgmt_user WHERE username LIKE 'bench_%%'")
        c.execute(
            """INSERT INTO ordermgmt_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                   is_active, date_joined, role, region_id)
               SELECT '!', false, 'bench_rep_' || g, 'Rep', g::text, '', false, true, now(), 'sales_rep',
                      (ARRAY['AMER','EMEA','APAC'])[1 + g % 3]
               FROM generate_series(1, 60) g"""
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
        c.execute(
            """INSERT INTO ordermgmt_opportunity (created_at, updated_at, name, account_id, owner_id, region_id, type,
                   deployment, route_to_market, stage, amount, net_arr, arr_basis, start_date, end_date,
                   closed_won_reason, closed_won_details, competitors, executed_agreement_link, po_required,
                   approval_status, version)
               SELECT now(), now(), 'Opp ' || g,
                      (SELECT min(id) FROM ordermgmt_account) + g %% 20000,
                      (SELECT min(id) FROM ordermgmt_user WHERE username LIKE 'bench_rep_%%') + g %% 60,
                      (ARRAY['AMER','EMEA','APAC'])[1 + g %% 3], 'new_business', 'self_managed', 'direct',
                      CASE WHEN g <= %s THEN '7-closing' ELSE '5-negotiating' END,
                      (g %% 97) * 1000, (g %% 89) * 1000, 0, date '2026-12-01' + (g %% 60), date '2027-12-01', '', '',
                      '', '', false, CASE WHEN g <= %s THEN 'submitted' ELSE 'draft' END, 1
               FROM generate_series(1, %s) g""",
            [submitted, submitted, opportunities],
        )
        c.execute(
            """INSERT INTO approvals_submission (opportunity_id, submitted_by_id, submitted_at, region_id, state,
                   sequence, start_date, net_arr, amount, escalated, escalation_reason, clock_started_at,
                   sla_at_risk_at, sla_due_at)
               SELECT o.id, o.owner_id, now() - (o.id % 1000) * interval '1 minute', o.region_id, 'submitted', 1,
                      o.start_date, o.net_arr, o.amount, o.id % 250 = 0, CASE WHEN o.id % 250 = 0 THEN 'urgent' ELSE '' END,
                      now() - (o.id % 1000) * interval '1 minute', now() + interval '1 day', now() + interval '2 days'
               FROM ordermgmt_opportunity o WHERE o.approval_status = 'submitted'"""
        )
        c.execute("SET session_replication_role = DEFAULT")
        c.execute("ANALYZE")


RAW_SQL = """
SELECT s.id, s.opportunity_id, o.name, a.name, s.region_id, o.owner_id, u.first_name, u.last_name, s.start_date,
       s.net_arr, s.amount, s.submitted_at, s.escalated, s.escalation_reason, s.claimed_by_id, s.sla_due_at,
       s.sla_at_risk_at, s.held_until, o.route_to_market, s.state, s.sequence, u.username,
       c.first_name, c.last_name, c.username
FROM approvals_submission s
JOIN ordermgmt_opportunity o ON o.id = s.opportunity_id
JOIN ordermgmt_account a ON a.id = o.account_id
JOIN ordermgmt_user u ON u.id = o.owner_id
LEFT JOIN ordermgmt_user c ON c.id = s.claimed_by_id
WHERE s.state = 'submitted' AND s.region_id = 'EMEA'
ORDER BY s.escalated DESC, s.start_date, s.net_arr DESC, s.submitted_at, s.id
LIMIT 51
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    parser.add_argument("--submitted", type=int, default=20_000)
    args = parser.parse_args()
    setup_django("om_bench_queue")
    load(args.opportunities, args.submitted)

    from django.db import connection
    from rest_framework.test import APIClient

    from ordermgmt.models import User

    client = APIClient()
    client.force_authenticate(User.objects.get(username="bench_manager"))

    def endpoint():
        response = client.get("/api/queue/?region=EMEA&page_size=50")
        assert response.status_code == 200
        assert len(response.json()["results"]) == 50

    def raw():
        with connection.cursor() as c:
            c.execute(RAW_SQL)
            rows = c.fetchall()
        assert len(rows) == 51

    api_ms = median_ms(endpoint)
    raw_ms = median_ms(raw)
    print(f"queue page (50 rows of {args.submitted:,} submitted, {args.opportunities:,} opportunities)")
    report("queue API first page vs raw SQL", api_ms, raw_ms, "ms", 3)


if __name__ == "__main__":
    main()
