"""Queue API first page as a specialist, in-process, at 1,000,000 opportunities / 20,000 submitted.

    python bench/queue_page.py [--opportunities 1000000] [--submitted 20000] [--repeat 200]

Data are bulk-loaded with generate_series (audit triggers off for the load: session_replication_role=replica),
once into om_bench_queue; later runs reuse them. A specialist of EMEA (`bench_specialist`, a real user with a real
DRF token) asks for `GET /api/queue/` with no region parameter, so the queue is narrowed by the specialist's own
region scope. Each request goes through Django's WSGI handler the way gunicorn calls it (every middleware, DRF's
token authentication from the `Authorization: Token …` header, persistent database connection as deployed).

Budgets (RESULT lines):
- the first page (50 rows): p95 <= 15 ms in-process (median printed too); baseline side by side: `GET /ping`
  through the same WSGI call (the framework's floor, ratio for information) and the hand-written SQL of the page;
- the query count of a 1-row page equals that of a 50-row page (no per-row query).
A missed budget prints a cProfile of the request (where the time goes).
"""

import argparse
import json
import statistics

from common import Wsgi, api_token, delete_users, fill_defaults, set_password, setup_django
from measure import pct, profile, result, sample_ms

BUDGET_MS = 15.0
SPECIALIST = "bench_specialist"

# The tables this benchmark writes with hand-written SQL (see common.fill_defaults).
TABLES = (
    "ordermgmt_user",
    "ordermgmt_account",
    "ordermgmt_opportunity",
    "approvals_submission",
)


def load(opportunities: int, submitted: int) -> None:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM ordermgmt_opportunity")
        if c.fetchone()[0] >= opportunities:
            return
        print(f"loading {opportunities:,} opportunities, {submitted:,} submitted …", flush=True)
        c.execute("SET session_replication_role = replica")
        c.execute("TRUNCATE approvals_submission, ordermgmt_opportunity, ordermgmt_account CASCADE")
        delete_users("username LIKE 'bench_%'")
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


def ensure_specialist(wsgi: Wsgi) -> str:
    """The EMEA specialist (created once; the data load keeps it) and a real API token of theirs, obtained through
    `POST /api/auth/token/` as any client does."""
    from ordermgmt.models import User

    if not User.objects.filter(username=SPECIALIST).exists():
        User.objects.create_user(
            username=SPECIALIST, first_name="Bench", last_name="Specialist", role="specialist", region_id="EMEA"
        )
    set_password(SPECIALIST)
    return api_token(wsgi, SPECIALIST)


# The same page written by hand: the specialist's region, the queue order, the columns the API shows.
RAW_SQL = """
SELECT s.id, s.opportunity_id, o.name, a.name, s.region_id, o.owner_id, u.first_name, u.last_name, u.username,
       s.start_date, s.net_arr, s.amount, s.submitted_at, s.escalated, s.escalation_reason, s.claimed_by_id,
       c.first_name, c.last_name, c.username, s.sla_at_risk_at, s.sla_due_at, s.held_until, o.route_to_market,
       s.state, s.sequence
FROM approvals_submission s
JOIN ordermgmt_opportunity o ON o.id = s.opportunity_id
JOIN ordermgmt_account a ON a.id = o.account_id
JOIN ordermgmt_user u ON u.id = o.owner_id
LEFT JOIN ordermgmt_user c ON c.id = s.claimed_by_id
WHERE s.state = 'submitted' AND s.region_id IN ('EMEA')
ORDER BY s.escalated DESC, s.start_date, s.net_arr DESC, s.submitted_at, s.id
LIMIT 51
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    parser.add_argument("--submitted", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=200, help="timed requests per figure (default 200)")
    parser.add_argument("--database", default="om_bench_queue")
    args = parser.parse_args()
    setup_django(args.database)
    fill_defaults(*TABLES)
    load(args.opportunities, args.submitted)
    wsgi = Wsgi()
    token = ensure_specialist(wsgi)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def page(size: int) -> dict:
        status, body = wsgi.get(f"/api/queue/?page_size={size}", token=token)
        assert status == 200, (status, body[:300])
        data = json.loads(body)
        assert len(data["results"]) == size, len(data["results"])
        assert {row["region"] for row in data["results"]} == {"EMEA"}, "the specialist's scope"
        return data

    def first_page():
        page(50)

    def ping():
        status, _ = wsgi.get("/ping")
        assert status == 200

    def raw():
        with connection.cursor() as c:
            c.execute(RAW_SQL)
            assert len(c.fetchall()) == 51

    queries = {}
    for size in (1, 50):
        page(size)  # warm
        with CaptureQueriesContext(connection) as captured:
            page(size)
        queries[size] = [q["sql"] for q in captured.captured_queries]

    # Interleaved in blocks, so a noisy moment of the shared machine hits every figure alike.
    api, floor, sql = [], [], []
    block = max(10, args.repeat // 10)
    for _ in range(max(1, args.repeat // block)):
        api += sample_ms(first_page, block, warmup=2)
        floor += sample_ms(ping, block, warmup=1)
        sql += sample_ms(raw, block, warmup=1)

    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM approvals_submission WHERE state = 'submitted' AND region_id = 'EMEA'")
        in_scope = c.fetchone()[0]
    print(
        f"queue: {args.opportunities:,} opportunities, {args.submitted:,} submitted, {in_scope:,} in the EMEA "
        f"specialist's queue; {len(api)} timed requests per figure; queries per request: {len(queries[50])}"
    )
    for number, statement in enumerate(queries[50], 1):
        print(f"  query {number}: {statement[:160]}")
    median, p95 = statistics.median(api), pct(api, 95)
    ok = p95 <= BUDGET_MS
    result(
        "queue API first page (50 rows), specialist via token, in-process p95",
        f"p95 {p95:.2f} ms, median {median:.2f} ms",
        f"p95 <= {BUDGET_MS:g} ms",
        ok,
        f"GET /ping p95 {pct(floor, 95):.2f} ms ({p95 / pct(floor, 95):.1f}x), median {statistics.median(floor):.2f}"
        f" ms; hand-written SQL of the page median {statistics.median(sql):.2f} ms"
        f" ({median / statistics.median(sql):.1f}x)",
    )
    same = len(queries[1]) == len(queries[50])
    result(
        "queue API query count: 1-row page vs 50-row page",
        f"{len(queries[1])} vs {len(queries[50])} queries",
        "equal",
        same,
        "the same request with page_size=1",
    )
    if not ok:
        profile(first_page, repeat=50, title="GET /api/queue/ first page as the specialist")
    if not same:
        for size, statements in queries.items():
            print(f"page_size={size}:", *statements, sep="\n  ")


if __name__ == "__main__":
    main()
