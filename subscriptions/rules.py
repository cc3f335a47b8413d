"""The reconciliation rules, one set-based SQL query each (no per-row Python).

Each query yields rows of (kind, subscription_id, opportunity_id, invoice_id, expected, actual, proposed_fix);
`services.reconciliation_run_execute` wraps them in one INSERT ... SELECT ... ON CONFLICT upsert per rule, so a
finding seen again updates its open (or accepted) discrepancy instead of adding a second one.

Renewal rules take %(as_of)s; bookings rules take %(start)s and %(end)s (the month, end exclusive). Every rule's
findings are kept to %(region)s when a run has one (IN_REGION, applied by UPSERT and CLOSE_RESOLVED).
"""

from __future__ import annotations

# The renewal opportunities linked to each subscription, best first: the booked one (Closed Won), then open ones,
# then Closed Lost, oldest first within each. Rank 1 is "the" renewal; ranks 2+ are duplicates.
RANKED_RENEWALS = """
    SELECT o.id, o.subscription_id, o.stage, o.arr_basis, o.start_date,
           row_number() OVER w AS rn, first_value(o.id) OVER w AS keeper_id
    FROM ordermgmt_opportunity o
    WHERE o.type = 'renewal' AND o.stage <> '10-duplicate' AND o.subscription_id IS NOT NULL
    WINDOW w AS (
        PARTITION BY o.subscription_id
        ORDER BY CASE o.stage WHEN 'closed_won' THEN 0 WHEN '8-closed_lost' THEN 2 ELSE 1 END, o.created_at, o.id
    )
"""

# A subscription is current when billing says active and its term has not ended on the as-of day.
CURRENT_SUBSCRIPTION = "s.status = 'active' AND s.term_end >= %(as_of)s"

MANUAL = "jsonb_build_object('action', 'manual', 'detail', {detail})"

MISSING_RENEWAL = f"""
    SELECT 'missing_renewal' AS kind, s.id AS subscription_id, NULL::bigint AS opportunity_id,
           NULL::bigint AS invoice_id,
           jsonb_build_object('renewal_opportunities', 1) AS expected,
           jsonb_build_object('renewal_opportunities', 0) AS actual,
           jsonb_build_object('action', 'create_renewal', 'arr_basis', s.carr::text, 'start_date', s.term_end)
               AS proposed_fix
    FROM subscriptions_subscription s
    WHERE {CURRENT_SUBSCRIPTION}
      AND NOT EXISTS (
          SELECT 1 FROM ordermgmt_opportunity o
          WHERE o.subscription_id = s.id AND o.type = 'renewal' AND o.stage <> '10-duplicate'
      )
"""

ORPHAN_RENEWAL = f"""
    SELECT 'orphan_renewal' AS kind, NULL::bigint AS subscription_id, o.id AS opportunity_id,
           NULL::bigint AS invoice_id,
           jsonb_build_object('subscription', 'linked') AS expected,
           jsonb_build_object('subscription', NULL) AS actual,
           {MANUAL.format(detail="'Link it to its subscription, or mark it 10-Duplicate.'")} AS proposed_fix
    FROM ordermgmt_opportunity o
    WHERE o.type = 'renewal' AND o.subscription_id IS NULL AND o.stage NOT IN ('10-duplicate', '8-closed_lost')
"""

DUPLICATE_RENEWAL = f"""
    WITH r AS ({RANKED_RENEWALS})
    SELECT 'duplicate_renewal' AS kind, r.subscription_id, r.id AS opportunity_id, NULL::bigint AS invoice_id,
           jsonb_build_object('renewal_opportunity', r.keeper_id) AS expected,
           jsonb_build_object('renewal_opportunity', r.id, 'stage', r.stage) AS actual,
           CASE WHEN r.stage = 'closed_won'
                THEN {MANUAL.format(detail="'Two Closed Won renewals: decide which one stands.'")}
                ELSE jsonb_build_object('action', 'mark_duplicate', 'keep', r.keeper_id)
           END AS proposed_fix
    FROM r
    WHERE r.rn > 1
"""

# Only an open renewal is corrected: changing a booked (Closed Won) one would change what was booked.
_MISMATCH = f"""
    WITH r AS ({RANKED_RENEWALS})
    SELECT '{{kind}}' AS kind, s.id AS subscription_id, r.id AS opportunity_id, NULL::bigint AS invoice_id,
           jsonb_build_object('{{field}}', {{expected}}) AS expected,
           jsonb_build_object('{{field}}', {{actual}}) AS actual,
           jsonb_build_object('action', 'set', 'field', '{{field}}', 'value', {{expected}}) AS proposed_fix
    FROM r JOIN subscriptions_subscription s ON s.id = r.subscription_id
    WHERE r.rn = 1 AND r.stage NOT IN ('closed_won', '8-closed_lost')
      AND {CURRENT_SUBSCRIPTION}
      AND s.exception IS DISTINCT FROM 'contract_reset'
      AND {{differs}}
"""

ARR_BASIS_MISMATCH = _MISMATCH.format(
    kind="arr_basis_mismatch",
    field="arr_basis",
    expected="s.carr::text",
    actual="r.arr_basis::text",
    differs="r.arr_basis <> s.carr",
)

START_DATE_MISMATCH = _MISMATCH.format(
    kind="start_date_mismatch",
    field="start_date",
    expected="s.term_end",
    actual="r.start_date",
    differs="r.start_date IS DISTINCT FROM s.term_end",
)

# A Closed Won renewal (closed, and its new term started, before the as-of day) whose subscription still ends on or
# before the renewal's start: billing has not applied the renewed term. Billing owns the subscription (manual fix).
TERM_NOT_RENEWED = f"""
    SELECT 'term_not_renewed' AS kind, s.id AS subscription_id, o.id AS opportunity_id, NULL::bigint AS invoice_id,
           jsonb_build_object('term_start', o.start_date, 'term_end', o.end_date) AS expected,
           jsonb_build_object('term_start', s.term_start, 'term_end', s.term_end) AS actual,
           {MANUAL.format(detail="'Ask Billing to apply the renewed term to the subscription.'")} AS proposed_fix
    FROM ordermgmt_opportunity o
    JOIN subscriptions_subscription s ON s.id = o.subscription_id
    WHERE o.type = 'renewal' AND o.stage = 'closed_won' AND o.close_date <= %(as_of)s AND o.start_date < %(as_of)s
      AND s.status <> 'cancelled' AND s.term_end <= o.start_date
"""

# --- bookings: invoices of the month vs Closed Won opportunities of the month, 1:1 ------------------------------

WON_IN_MONTH = "o.stage = 'closed_won' AND o.close_date >= %(start)s AND o.close_date < %(end)s"

INVOICE_WITHOUT_OPPORTUNITY = f"""
    SELECT 'invoice_without_opportunity' AS kind, NULL::bigint AS subscription_id, i.opportunity_id,
           i.id AS invoice_id,
           jsonb_build_object('opportunity', 'a Closed Won opportunity') AS expected,
           jsonb_build_object('opportunity', i.opportunity_id, 'stage', o.stage) AS actual,
           {MANUAL.format(detail="'Link the invoice to its Closed Won opportunity in the billing system.'")}
               AS proposed_fix
    FROM subscriptions_invoice i
    LEFT JOIN ordermgmt_opportunity o ON o.id = i.opportunity_id
    WHERE i.invoice_date >= %(start)s AND i.invoice_date < %(end)s
      AND (o.id IS NULL OR o.stage <> 'closed_won')
"""

OPPORTUNITY_WITHOUT_INVOICE = f"""
    SELECT 'opportunity_without_invoice' AS kind, NULL::bigint AS subscription_id, o.id AS opportunity_id,
           NULL::bigint AS invoice_id,
           jsonb_build_object('invoices', 1) AS expected,
           jsonb_build_object('invoices', 0) AS actual,
           {MANUAL.format(detail="'Ask Billing to invoice this booking, or reopen it.'")} AS proposed_fix
    FROM ordermgmt_opportunity o
    WHERE {WON_IN_MONTH}
      AND NOT EXISTS (SELECT 1 FROM subscriptions_invoice i WHERE i.opportunity_id = o.id)
"""

MULTIPLE_INVOICES = f"""
    SELECT 'multiple_invoices' AS kind, NULL::bigint AS subscription_id, o.id AS opportunity_id,
           NULL::bigint AS invoice_id,
           jsonb_build_object('invoices', 1) AS expected,
           jsonb_build_object('invoices', c.n, 'numbers', c.numbers) AS actual,
           {MANUAL.format(detail="'Have Billing credit the extra invoices or relink them.'")} AS proposed_fix
    FROM ordermgmt_opportunity o
    JOIN LATERAL (
        SELECT count(*) AS n, jsonb_agg(i.number ORDER BY i.number) AS numbers
        FROM subscriptions_invoice i WHERE i.opportunity_id = o.id
    ) c ON c.n > 1
    WHERE {WON_IN_MONTH}
"""

# Net ARR against the invoice: billing's Net ARR when the feed sends it, else the amount annualised (amount * 12 /
# months: the invoice's service months, else the primary quote's term, else 12) less the ARR basis (within $1.00).
NET_ARR_MISMATCH = f"""
    WITH c AS (
        SELECT o.id AS opportunity_id, i.id AS invoice_id, o.net_arr, o.arr_basis, i.net_arr AS fed, i.amount,
               COALESCE(i.service_months, q.term_months, 12) AS months,
               CASE WHEN i.service_months IS NOT NULL THEN 'invoice'
                    WHEN q.term_months IS NOT NULL THEN 'quote' ELSE 'default' END AS months_from
        FROM ordermgmt_opportunity o
        JOIN subscriptions_invoice i ON i.opportunity_id = o.id
        LEFT JOIN ordermgmt_quote q ON q.opportunity_id = o.id AND q.is_primary
        WHERE {WON_IN_MONTH}
          AND NOT EXISTS (SELECT 1 FROM subscriptions_invoice i2 WHERE i2.opportunity_id = o.id AND i2.id <> i.id)
    ), e AS (
        SELECT c.*, round(c.amount * 12 / c.months, 2) AS annualised,
               COALESCE(c.fed, round(c.amount * 12 / c.months, 2) - c.arr_basis) AS expected_net_arr
        FROM c
    )
    SELECT 'net_arr_mismatch' AS kind, NULL::bigint AS subscription_id, e.opportunity_id, e.invoice_id,
           CASE WHEN e.fed IS NOT NULL
                THEN jsonb_build_object('net_arr', e.fed::text, 'source', 'billing_net_arr')
                ELSE jsonb_build_object('net_arr', e.expected_net_arr::text, 'source', 'invoice_amount',
                                        'invoice_amount', e.amount::text, 'service_months', e.months,
                                        'months_from', e.months_from, 'annualised', e.annualised::text,
                                        'arr_basis', e.arr_basis::text)
           END AS expected,
           jsonb_build_object('net_arr', e.net_arr::text) AS actual,
           jsonb_build_object('action', 'set', 'field', 'net_arr', 'value', e.expected_net_arr::text) AS proposed_fix
    FROM e
    WHERE CASE WHEN e.fed IS NOT NULL THEN e.fed <> e.net_arr ELSE abs(e.expected_net_arr - e.net_arr) > 1.00 END
"""

RULES: dict[str, list[tuple[str, str]]] = {
    "renewals": [
        ("missing_renewal", MISSING_RENEWAL),
        ("orphan_renewal", ORPHAN_RENEWAL),
        ("duplicate_renewal", DUPLICATE_RENEWAL),
        ("arr_basis_mismatch", ARR_BASIS_MISMATCH),
        ("start_date_mismatch", START_DATE_MISMATCH),
        ("term_not_renewed", TERM_NOT_RENEWED),
    ],
    "bookings": [
        ("invoice_without_opportunity", INVOICE_WITHOUT_OPPORTUNITY),
        ("opportunity_without_invoice", OPPORTUNITY_WITHOUT_INVOICE),
        ("multiple_invoices", MULTIPLE_INVOICES),
        ("net_arr_mismatch", NET_ARR_MISMATCH),
    ],
}


def _in_region(row: str) -> str:
    """SQL: the finding `row` belongs to the run's region (or the run has none). A finding's region is its
    opportunity's, else its subscription's customer's, else its invoice's customer's (as Discrepancy.visible_to)."""
    return f"""(%(region)s::text IS NULL OR COALESCE(
        (SELECT ro.region_id FROM ordermgmt_opportunity ro WHERE ro.id = {row}.opportunity_id),
        (SELECT ra.region_id FROM subscriptions_subscription rs JOIN ordermgmt_account ra ON ra.id = rs.account_id
         WHERE rs.id = {row}.subscription_id),
        (SELECT ra.region_id FROM subscriptions_invoice ri JOIN ordermgmt_account ra ON ra.id = ri.account_id
         WHERE ri.id = {row}.invoice_id)
    ) = %(region)s)"""


UPSERT = (
    """
    INSERT INTO subscriptions_discrepancy
        (key, kind, period, status, run_id, first_run_id, subscription_id, opportunity_id, invoice_id,
         expected, actual, proposed_fix, first_seen_at, last_seen_at, reason, applied_changes)
    SELECT f.kind || ':' || %(period)s || ':' || COALESCE(f.subscription_id::text, '') || ':'
               || COALESCE(f.opportunity_id::text, '') || ':' || COALESCE(f.invoice_id::text, ''),
           f.kind, %(period)s, 'open', %(run_id)s, %(run_id)s, f.subscription_id, f.opportunity_id, f.invoice_id,
           f.expected, f.actual, f.proposed_fix, %(now)s, %(now)s, '', '{{}}'::jsonb
    FROM ({rule}) AS f
    WHERE """
    + _in_region("f")
    + """
    ON CONFLICT (key) WHERE status IN ('open', 'accepted') DO UPDATE SET
        run_id = EXCLUDED.run_id, last_seen_at = EXCLUDED.last_seen_at,
        expected = EXCLUDED.expected, actual = EXCLUDED.actual, proposed_fix = EXCLUDED.proposed_fix
"""
)

# Open discrepancies of this job and period that the run did not see again: resolved upstream (with an audit row).
CLOSE_RESOLVED = (
    """
    WITH closed AS (
        UPDATE subscriptions_discrepancy
        SET status = 'resolved', resolved_at = %(now)s
        WHERE kind = ANY(%(kinds)s) AND period = %(period)s AND status = 'open' AND run_id <> %(run_id)s
          AND """
    + _in_region("subscriptions_discrepancy")
    + """
        RETURNING id
    )
    INSERT INTO subscriptions_discrepancyevent (discrepancy_id, at, actor_id, action, from_status, to_status, changes,
                                                reason)
    SELECT id, %(now)s, NULL, 'resolved', 'open', 'resolved', '{}'::jsonb, %(reason)s FROM closed
"""
)

# Advisory lock per run: held while a worker executes it and released with the worker's session (no ORM API).
TRY_RUN_LOCK = "SELECT pg_try_advisory_lock(%s, %s)"
RUN_UNLOCK = "SELECT pg_advisory_unlock(%s, %s)"
