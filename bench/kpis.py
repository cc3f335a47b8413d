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
import os
import statistics
import sys
from datetime import date

from common import Wsgi, api_token, fill_defaults, set_password, setup_django
from data_kpis import TABLES, load
from kpis_hand import HAND_SQL, PERIOD, differences, hand_written
from measure import (
    add_memory_probe_options,
    measure_memory,
    memory_budget,
    memory_probe,
    pct,
    profile,
    result,
    sample_ms,
)

LIMIT = 2.0


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
    add_memory_probe_options(parser)
    args = parser.parse_args()
    if args.quick:
        args.opportunities, args.database, args.repeat = 50_000, "om_bench_kpis_quick", 10
    # Calendar quarters (a fiscal year starting in January): the hand-written SQL computes 2026-Q3 as July-September.
    os.environ["FISCAL_YEAR_START_MONTH"] = "1"
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
