"""The KPI benchmark's data, bulk-loaded with generate_series (audit triggers off: session_replication_role=replica)
once and reused: opportunities, a share of them submitted over 2025-2026 with an OM decision (90% approved, 10%
rejected with reason codes) and, when approved, a Billing decision (95% approved: Closed Won); survey answers and
license tickets so the CSAT and license KPIs have data too.
"""

from common import delete_users

# The tables this benchmark writes with hand-written SQL (see common.fill_defaults).
TABLES = (
    "ordermgmt_user",
    "ordermgmt_account",
    "ordermgmt_opportunity",
    "approvals_submission",
    "approvals_decision",
    "kpis_csatresponse",
    "licenses_licenseticket",
)


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
        c.execute(
            "TRUNCATE approvals_decision, approvals_submission, ordermgmt_opportunity, ordermgmt_account,"
            " kpis_csatresponse CASCADE"
        )
        delete_users("username LIKE 'bench_%'")
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
        # Survey answers over the eight quarters (anonymous) and license tickets on 2% of the self-managed
        # Closed Won deals, so the CSAT and license KPIs have data too.
        c.execute(
            """INSERT INTO kpis_csatresponse (quarter, rating, comment, created_at, region_id, respondent_id)
               SELECT (ARRAY['2024-Q4','2025-Q1','2025-Q2','2025-Q3','2025-Q4','2026-Q1','2026-Q2','2026-Q3'])[1 + g %% 8],
                      (ARRAY['excellent','good','good','neutral','excellent','poor','very_poor','good','neutral',
                             'excellent','good'])[1 + g %% 11], '', now(), (ARRAY['AMER','EMEA','APAC'])[1 + g %% 3], NULL
               FROM generate_series(1, %s) g""",
            [max(100, submitted // 20)],
        )
        c.execute(
            """INSERT INTO licenses_licenseticket (created_at, updated_at, route_to_market, reason, status, sold_to_email,
                   opportunity_id, region_id)
               SELECT o.close_date + time '12:00', o.close_date + time '12:00', o.route_to_market,
                      (ARRAY['no_delivery','wrong_recipient','missing_sold_to_email'])[1 + o.id % 3], 'open', '',
                      o.id, o.region_id
               FROM ordermgmt_opportunity o
               WHERE o.stage = 'closed_won' AND o.deployment = 'self_managed' AND o.id % 50 = 7"""
        )
        c.execute(
            "UPDATE ordermgmt_opportunity SET license_delivery_date = close_date + 1"
            " WHERE stage = 'closed_won' AND deployment = 'self_managed' AND id % 50 <> 7"
        )
        c.execute("SET session_replication_role = DEFAULT")
        c.execute("ANALYZE")
