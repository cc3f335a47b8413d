"""The KPI summary computed by hand-written aggregate SQL (GROUPING SETS, FILTER, percentile_cont; written from the
KPI definitions, not the ORM's statements) and assembled into the API's shape, to compare with `GET /api/kpis/`.
"""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

PERIOD = "2026-Q3"
SLA_HOURS = 12
POSITIVE = ["excellent", "good", "neutral"]

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
        SELECT GROUPING(s.region_id), s.region_id, count(*), count(*) FILTER (WHERE d.outcome = 'approved'),
               count(*) FILTER (WHERE d.outcome = 'approved' AND EXISTS (
                   SELECT 1 FROM approvals_correction c WHERE c.opportunity_id = s.opportunity_id AND c.state = 'approved'))
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
        # A booking corrected after Closed Won counts as an error of the approval.
        approval_accuracy_pct=share(acc_total[3] - acc_total[4], acc_total[2]),
        approval_accuracy_decided=acc_total[2],
        approval_accuracy_rejected=acc_total[2] - acc_total[3],
        approval_accuracy_corrected=acc_total[4],
        approval_accuracy_by_region=[
            {"region": r[1], "decided": r[2], "approved": r[3], "corrected": r[4], "pct": share(r[3] - r[4], r[2])}
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
