"""KPI API for one quarter over 1,000,000 opportunities, against hand-written aggregate SQL answering the same figures.

    python bench/kpis.py [--opportunities 1000000] [--submitted-share 0.1] [--database om_bench_kpis] [--quick]
    (from the repository root: Celery puts the working directory first on sys.path, and from bench/ this file would
    shadow the `kpis` app). --quick: 50,000 opportunities in om_bench_kpis_quick, 10 runs (what run_all --quick
    passes).

Data are bulk-loaded with generate_series (audit triggers off for the load: session_replication_role=replica),
once; later runs reuse them. A share of the opportunities (10% by default) has a submission spread over 2025-2026,
each with an OM decision (90% approved, 10% rejected with reason codes) and, when approved, a Billing decision (95%
approved; those are Closed Won). Prints:

- `GET /api/kpis/?period=2026-Q3` as a manager (real DRF token, through the WSGI handler), with the cache cleared
  before every call (every KPI, its tables and the 8-quarter trends computed), against hand-written aggregate SQL
  (GROUPING SETS, FILTER, percentile_cont; written from the KPI definitions, not the ORM's statements) computing the
  same figures, assembled into the same shape and checked equal to the API's answer. Budget: within 2x.
- the same request served from the cache (information; the load test has the cached KPI budget);
- the peak memory of the KPI job (the weekly digest `kpi_digest_send`, which computes the quarter's KPIs) at 0.1x
  and 1x the data, each in a child process: constant in the data size.
"""

import argparse
import json
import statistics
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from common import (
    Wsgi,
    api_token,
    delete_users,
    fill_defaults,
    measure_memory,
    memory_budget,
    memory_probe,
    pct,
    profile,
    result,
    sample_ms,
    set_password,
    setup_django,
)

LIMIT = 2.0
PERIOD = "2026-Q3"
SLA_HOURS = 12
POSITIVE = ["excellent", "good", "neutral"]

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


# --- the hand-written figures -------------------------------------------------------------------------------------

HAND_SQL = {
    "sla": """
        SELECT GROUPING(s.region_id), GROUPING(s.om_decided_by_id), s.region_id, s.om_decided_by_id,
               min(u.first_name), min(u.last_name), min(u.username),
               count(*), count(*) FILTER (WHERE s.om_business_hours <= %(sla)s), avg(s.om_business_hours),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY s.om_business_hours),
               percentile_cont(0.9) WITHIN GROUP (ORDER BY s.om_business_hours)
        FROM approvals_submission s LEFT JOIN ordermgmt_user u ON u.id = s.om_decided_by_id
        WHERE s.om_decided_at >= %(start)s AND s.om_decided_at < %(end)s AND s.om_business_hours IS NOT NULL
        GROUP BY GROUPING SETS ((), (s.region_id), (s.om_decided_by_id))""",
    "accuracy": """
        SELECT GROUPING(s.region_id), s.region_id, count(*), count(*) FILTER (WHERE d.outcome = 'approved')
        FROM approvals_decision d JOIN approvals_submission s ON s.id = d.submission_id
        WHERE d.stage = 'billing' AND d.decided_at >= %(start)s AND d.decided_at < %(end)s
        GROUP BY GROUPING SETS ((), (s.region_id))""",
    "csat": """
        SELECT GROUPING(region_id), region_id, count(*), count(*) FILTER (WHERE rating = ANY(%(positive)s))
        FROM kpis_csatresponse WHERE quarter = ANY(%(quarters)s)
        GROUP BY GROUPING SETS ((), (region_id))""",
    "first_response": """
        SELECT GROUPING(t.code), t.code, t.name, r.code, r.name, max(r.first_response_hours), count(*),
               avg(c.first_response_business_hours),
               count(*) FILTER (WHERE c.first_response_business_hours <= r.first_response_hours)
        FROM cases_case c JOIN cases_team t ON t.id = c.team_id JOIN cases_requesttype r ON r.id = c.request_type_id
        WHERE c.first_response_at >= %(start)s AND c.first_response_at < %(end)s
          AND c.first_response_business_hours IS NOT NULL
        GROUP BY GROUPING SETS ((), (t.code, t.name, r.code, r.name))""",
    "closed_won": """
        SELECT GROUPING(o.region_id), o.region_id, o.owner_id, min(u.first_name), min(u.last_name),
               min(u.username), min(u.region_id), count(*), sum(o.net_arr)
        FROM ordermgmt_opportunity o JOIN ordermgmt_user u ON u.id = o.owner_id
        WHERE o.stage = 'closed_won' AND o.close_date BETWEEN %(first)s AND %(last)s
        GROUP BY GROUPING SETS ((o.region_id), (o.owner_id))""",
    "decisions": """
        SELECT GROUPING(s.region_id), GROUPING(o.owner_id), s.region_id, o.owner_id, min(u.first_name),
               min(u.last_name), min(u.username), count(*), count(*) FILTER (WHERE d.outcome = 'rejected')
        FROM approvals_decision d JOIN approvals_submission s ON s.id = d.submission_id
        JOIN ordermgmt_opportunity o ON o.id = s.opportunity_id JOIN ordermgmt_user u ON u.id = o.owner_id
        WHERE d.decided_at >= %(start)s AND d.decided_at < %(end)s
        GROUP BY GROUPING SETS ((), (s.region_id), (o.owner_id))""",
    "reasons": """
        SELECT r.code, count(*)
        FROM approvals_decision d CROSS JOIN LATERAL jsonb_array_elements_text(d.reasons) AS r(code)
        WHERE d.outcome = 'rejected' AND d.decided_at >= %(start)s AND d.decided_at < %(end)s
        GROUP BY r.code ORDER BY count(*) DESC, r.code""",
    "escalations": """
        SELECT GROUPING(o.owner_id), o.owner_id, min(u.first_name), min(u.last_name), min(u.username), o.region_id,
               count(*)
        FROM approvals_submission s JOIN ordermgmt_opportunity o ON o.id = s.opportunity_id
        JOIN ordermgmt_user u ON u.id = o.owner_id
        WHERE s.escalated AND s.escalated_at >= %(start)s AND s.escalated_at < %(end)s
        GROUP BY GROUPING SETS ((o.owner_id, o.region_id), (o.region_id))""",
    "months": """
        SELECT date_trunc('month', submitted_at AT TIME ZONE 'UTC')::date, count(*),
               count(*) FILTER (WHERE om_decided_at IS NULL), max(om_decided_at)
        FROM approvals_submission
        WHERE submitted_at >= %(start)s AND submitted_at < %(end)s AND NOT (state = 'recalled' AND om_decided_at IS NULL)
        GROUP BY 1 ORDER BY 1""",
    "licenses": """
        SELECT count(*), count(*) FILTER (WHERE o.license_delivery_date IS NOT NULL AND NOT EXISTS (
                   SELECT 1 FROM licenses_licenseticket t WHERE t.opportunity_id = o.id))
        FROM ordermgmt_opportunity o
        WHERE o.stage = 'closed_won' AND o.deployment = 'self_managed' AND o.close_date BETWEEN %(first)s AND %(last)s""",
    "tickets": """
        SELECT reason, count(*) FROM licenses_licenseticket WHERE created_at >= %(start)s AND created_at < %(end)s
        GROUP BY reason ORDER BY count(*) DESC, reason""",
    "discrepancies": """
        SELECT kind, count(*),
               count(*) FILTER (WHERE first_seen_at <= %(now)s AND first_seen_at > %(now)s - interval '8 days'),
               count(*) FILTER (WHERE first_seen_at <= %(now)s - interval '8 days'
                                  AND first_seen_at > %(now)s - interval '31 days'),
               count(*) FILTER (WHERE first_seen_at <= %(now)s - interval '31 days'
                                  AND first_seen_at > %(now)s - interval '91 days'),
               count(*) FILTER (WHERE first_seen_at <= %(now)s - interval '91 days')
        FROM subscriptions_discrepancy WHERE status = 'open' GROUP BY kind ORDER BY kind""",
    "trends": """
        SELECT 'sla', to_char(date_trunc('quarter', om_decided_at AT TIME ZONE 'UTC'), 'YYYY-"Q"Q'), count(*),
               count(*) FILTER (WHERE om_business_hours <= %(sla)s)
        FROM approvals_submission
        WHERE om_decided_at >= %(trend_start)s AND om_decided_at < %(end)s AND om_business_hours IS NOT NULL
        GROUP BY 2
        UNION ALL
        SELECT 'accuracy', to_char(date_trunc('quarter', decided_at AT TIME ZONE 'UTC'), 'YYYY-"Q"Q'), count(*),
               count(*) FILTER (WHERE outcome = 'approved')
        FROM approvals_decision WHERE stage = 'billing' AND decided_at >= %(trend_start)s AND decided_at < %(end)s
        GROUP BY 2
        UNION ALL
        SELECT 'won', to_char(close_date, 'YYYY-"Q"Q'), count(*), 0 FROM ordermgmt_opportunity
        WHERE stage = 'closed_won' AND close_date BETWEEN %(trend_first)s AND %(last)s GROUP BY 2
        UNION ALL
        SELECT 'csat', quarter, count(*), count(*) FILTER (WHERE rating = ANY(%(positive)s))
        FROM kpis_csatresponse WHERE quarter = ANY(%(trend_quarters)s) GROUP BY 2""",
}


def share(part, whole):
    return round(100.0 * (part or 0) / whole, 2) if whole else None


def num(value):
    return None if value is None else round(float(value), 2)


def name(first, last, username):
    return f"{(first or '').strip()} {(last or '').strip()}".strip() or username or "—"


def quarter_keys(year: int, q: int, n: int = 8) -> list[str]:
    keys = []
    for _ in range(n):
        keys.append(f"{year}-Q{q}")
        year, q = (year, q - 1) if q > 1 else (year - 1, 4)
    return keys[::-1]


def params() -> dict:
    quarters = quarter_keys(2026, 3)
    return {
        "start": datetime(2026, 7, 1, tzinfo=UTC),
        "end": datetime(2026, 10, 1, tzinfo=UTC),
        "first": date(2026, 7, 1),
        "last": date(2026, 9, 30),
        "trend_start": datetime(2024, 10, 1, tzinfo=UTC),
        "trend_first": date(2024, 10, 1),
        "quarters": [PERIOD],
        "trend_quarters": quarters,
        "positive": POSITIVE,
        "sla": SLA_HOURS,
        "now": datetime.now(UTC),
    }


def hand_written() -> dict:
    """Every figure of the KPI summary (and its trends) from the hand-written statements, in the API's shape."""
    from django.db import connection

    p = params()
    rows = {}
    with connection.cursor() as cursor:
        for key, sql in HAND_SQL.items():
            cursor.execute(sql, p)
            rows[key] = cursor.fetchall()

    out = {}
    sla_total = next(r for r in rows["sla"] if r[0] and r[1])
    out.update(
        approval_sla_pct=share(sla_total[8], sla_total[7]),
        approval_sla_decided=sla_total[7],
        approval_sla_met=sla_total[8],
        median_decision_business_hours=num(sla_total[10]),
        p90_decision_business_hours=num(sla_total[11]),
        approval_sla_by_region=[
            {"region": r[2], "decided": r[7], "met": r[8], "pct": share(r[8], r[7])}
            for r in sorted((r for r in rows["sla"] if not r[0]), key=lambda r: r[2])
        ],
        approval_sla_by_person=[
            {
                "decided": r[7],
                "met": r[8],
                "avg_hours": num(r[9]),
                "person_id": r[3],
                "name": name(*r[4:7]),
                "pct": share(r[8], r[7]),
            }
            for r in sorted((r for r in rows["sla"] if not r[1]), key=lambda r: (-r[7], r[3]))
        ],  # fmt: skip
    )
    acc_total = next(r for r in rows["accuracy"] if r[0])
    out.update(
        approval_accuracy_pct=share(acc_total[3], acc_total[2]),
        approval_accuracy_decided=acc_total[2],
        approval_accuracy_rejected=acc_total[2] - acc_total[3],
        approval_accuracy_by_region=[
            {"region": r[1], "decided": r[2], "approved": r[3], "pct": share(r[3], r[2])}
            for r in sorted((r for r in rows["accuracy"] if not r[0]), key=lambda r: r[1])
        ],
    )
    csat_total = next((r for r in rows["csat"] if r[0]), (1, None, 0, 0))
    out.update(
        csat_pct=share(csat_total[3], csat_total[2]),
        csat_responses=csat_total[2],
        csat_positive=csat_total[3],
        csat_by_region=[
            {"region": r[1], "responses": r[2], "positive": r[3], "pct": share(r[3], r[2])}
            for r in sorted((r for r in rows["csat"] if not r[0]), key=lambda r: r[1])
        ],
    )
    fr_total = next((r for r in rows["first_response"] if r[0]), None)
    out.update(
        avg_first_response_business_hours=num(fr_total[7]) if fr_total else None,
        first_response_cases=fr_total[6] if fr_total else 0,
        first_response_by_team=[
            {
                "team": r[1],
                "team_name": r[2],
                "request_type": r[3],
                "request_type_name": r[4],
                "target": num(r[5]),
                "cases": r[6],
                "avg": num(r[7]),
                "met_pct": share(r[8], r[6]),
            }
            for r in sorted((r for r in rows["first_response"] if not r[0]), key=lambda r: (r[2], r[4], r[3]))
        ],  # fmt: skip
    )
    out.update(
        closed_won_by_region=[
            {"region": r[1], "count": r[7], "net_arr": str(r[8] or Decimal("0"))}
            for r in sorted((r for r in rows["closed_won"] if not r[0]), key=lambda r: r[1])
        ],
        closed_won_by_member=[
            {
                "region": r[6],
                "count": r[7],
                "net_arr": str(r[8] or Decimal("0")),
                "person_id": r[2],
                "name": name(*r[3:6]),
            }
            for r in sorted((r for r in rows["closed_won"] if r[0]), key=lambda r: (-r[7], r[2]))
        ],  # fmt: skip
    )
    dec_total = next(r for r in rows["decisions"] if r[0] and r[1])
    out.update(
        rejections_by_reason=[
            {"reason": code, "count": n, "share_pct": share(n, dec_total[8])} for code, n in rows["reasons"]
        ]
        if dec_total[8]
        else [],
        rejections_by_region=[
            {"region": r[2], "decisions": r[7], "rejected": r[8], "share_pct": share(r[8], r[7])}
            for r in sorted((r for r in rows["decisions"] if r[1] and not r[0]), key=lambda r: r[2])
        ],
        rejections_by_rep=[
            {
                "decisions": r[7],
                "rejected": r[8],
                "person_id": r[3],
                "name": name(*r[4:7]),
                "share_pct": share(r[8], r[7]),
            }
            for r in sorted((r for r in rows["decisions"] if r[0] and not r[1] and r[8]), key=lambda r: (-r[8], r[3]))
        ],  # fmt: skip
        escalations_by_rep=[
            {"region": r[5], "count": r[6], "person_id": r[1], "name": name(*r[2:5])}
            for r in sorted((r for r in rows["escalations"] if not r[0]), key=lambda r: (-r[6], r[1], r[5]))
        ],
        escalations_by_region=[
            {"region": r[5], "count": r[6]}
            for r in sorted((r for r in rows["escalations"] if r[0]), key=lambda r: r[5])
        ],
    )
    today = p["now"].date()
    months = []
    for first, submitted, still_open, last in rows["months"]:
        month_end = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        days = None
        if still_open == 0 and month_end < today:
            days = max(0, (last.astimezone(UTC).date() - month_end).days)
        months.append({"month": first.strftime("%Y-%m"), "submitted": submitted, "open": still_open, "days": days})
    closed = [m["days"] for m in months if m["days"] is not None]
    eligible, automatic = rows["licenses"][0]
    out.update(
        speed_to_month_close_days=round(sum(closed) / len(closed), 2) if closed else None,
        speed_to_month_close_months=months,
        license_automatic_pct=share(automatic, eligible),
        license_eligible=eligible,
        license_tickets=sum(n for _, n in rows["tickets"]),
        license_failures_by_reason=[{"reason": r, "count": n} for r, n in rows["tickets"]],
        open_discrepancies=[
            {"kind": kind, "total": total, "0-7": a, "8-30": b, "31-90": c, "90+": d}
            for kind, total, a, b, c, d in rows["discrepancies"]
        ],
    )
    series = {key: {} for key in ("sla", "accuracy", "won", "csat")}
    for key, quarter, n, ok in rows["trends"]:
        series[key][quarter] = (n, ok)
    labels = p["trend_quarters"]
    out["trends"] = {
        "labels": labels,
        "approval_sla_pct": [share(*series["sla"][k][::-1]) if k in series["sla"] else None for k in labels],
        "approval_accuracy_pct": [
            share(*series["accuracy"][k][::-1]) if k in series["accuracy"] else None for k in labels
        ],
        "csat_pct": [share(*series["csat"][k][::-1]) if k in series["csat"] else None for k in labels],
        "closed_won": [series["won"].get(k, (0, 0))[0] for k in labels],
    }
    return out


def differences(api: dict, hand: dict) -> list[str]:
    """Keys whose hand-written figure differs from the API's (labels, which the API adds from code lists, aside)."""
    out = []
    for key, value in hand.items():
        theirs = api.get(key)
        if isinstance(value, list) and isinstance(theirs, list):
            theirs = [
                {k: v for k, v in row.items() if k != "label"} if isinstance(row, dict) else row for row in theirs
            ]
        if json.loads(json.dumps(value, default=str)) != json.loads(json.dumps(theirs, default=str)):
            out.append(key)
    return out


# --- the KPI job's memory ----------------------------------------------------------------------------------------


def digest_job() -> None:
    """The weekly KPI digest of a week in 2026-Q3 (computes the quarter's KPIs, mails the managers)."""
    from kpis.models import KpiDigest
    from kpis.services import kpi_digest_send

    KpiDigest.objects.all().delete()
    measure_memory(lambda: kpi_digest_send(today=date(2026, 9, 28)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    parser.add_argument("--submitted-share", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--database", default="om_bench_kpis")
    parser.add_argument("--quick", action="store_true", help="50,000 opportunities in their own database, 10 runs")
    parser.add_argument("--memory-probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.opportunities, args.database, args.repeat = 50_000, "om_bench_kpis_quick", 10
    setup_django(args.database)
    fill_defaults(*TABLES)
    load(args.opportunities, args.submitted_share)
    if args.memory_probe:
        digest_job()
        return

    from django.core.cache import cache

    wsgi = Wsgi()
    set_password("bench_manager")
    token = api_token(wsgi, "bench_manager")
    url = f"/api/kpis/?period={PERIOD}"

    def uncached() -> dict:
        cache.clear()
        status, body = wsgi.get(url, token=token)
        assert status == 200, (status, body[:300])
        return json.loads(body)

    def cached():
        status, _ = wsgi.get(url, token=token)
        assert status == 200

    api_answer = uncached()
    hand_answer = hand_written()
    differ = differences(api_answer, hand_answer)

    api, hand = [], []
    for _ in range(args.repeat):  # interleaved, one of each at a time
        api += sample_ms(uncached, 1, warmup=0)
        hand += sample_ms(hand_written, 1, warmup=0)
    cached_ms = sample_ms(cached, args.repeat * 10)

    from django.db import connection

    with connection.cursor() as c:
        c.execute(
            "SELECT count(*) FROM approvals_submission WHERE om_decided_at >= '2026-07-01' AND om_decided_at < '2026-10-01'"
        )
        in_quarter = c.fetchone()[0]
    print(
        f"KPIs for {PERIOD} over {args.opportunities:,} opportunities, {in_quarter:,} OM decisions in the quarter; "
        f"SLA {api_answer['approval_sla_pct']}%, median {api_answer['median_decision_business_hours']} h, "
        f"accuracy {api_answer['approval_accuracy_pct']}%; hand-written: {len(HAND_SQL)} statements; "
        f"figures compared: {len(hand_answer)}, differing: {', '.join(differ) or 'none'}"
    )
    median, base = statistics.median(api), statistics.median(hand)
    ok = median / base <= LIMIT
    result(
        f"KPI API {PERIOD} (uncached) vs hand-written aggregate SQL",
        f"{median:.1f} ms median (min {min(api):.1f}) = {median / base:.2f}x",
        f"<= {LIMIT:g}x",
        ok,
        f"hand-written SQL {base:.1f} ms median (min {min(hand):.1f}), {args.repeat} runs each, interleaved",
    )
    result(
        "KPI hand-written figures equal the API's",
        "equal" if not differ else "differ: " + ", ".join(differ),
        "equal",
        not differ,
        f"{len(hand_answer)} figures and tables of the same request",
    )
    result(
        f"KPI API {PERIOD} (cached), in-process",
        f"{statistics.median(cached_ms):.2f} ms median, p95 {pct(cached_ms, 95):.2f} ms",
        "-",
        None,
        f"uncached {median:.1f} ms",
    )
    if not ok:
        profile(uncached, repeat=3, title="GET /api/kpis/ uncached")

    connection.close()
    small_n = max(1000, args.opportunities // 10)
    small_db = args.database + "_small"
    small = memory_probe("kpis.py", "--opportunities", str(small_n), "--database", small_db)
    large = memory_probe("kpis.py", "--opportunities", str(args.opportunities), "--database", args.database)
    memory_budget(
        "the KPI digest job (the quarter's KPIs)",
        small,
        large,
        f"{small_n:,} opportunities",
        f"{args.opportunities:,} opportunities",
    )


if __name__ == "__main__":
    sys.exit(main())
