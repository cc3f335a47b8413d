"""The reconciliation benchmark's data: N subscriptions with about 5% planted discrepancies of every kind (plus
contract-reset exceptions and closed-lost orphans that must NOT be reported), N/10 bookings of the month with planted
invoice mismatches, and 2N unrelated opportunities; and the planted truth, read back from the names given at load time.
"""

MONTH = "2026-10"
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
