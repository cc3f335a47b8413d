"""List exports: the rep's opportunity list as CSV and as XLSX, through the whole view (the FilterSet's queryset read
with `.iterator()`, the row generator, the writer, the response body), timed, and the XLSX's peak memory at two sizes.

    python bench/exports.py [--rows 200000] [--small 20000] [--runs 3] [--database om_bench_exports]

Creates (drops first) its own database, migrates it and seeds two reps with `--small` and `--rows` opportunities of
one account (no quotes). Each export is requested `--runs` times in-process with the test client as the rep and its
body read to the end; the CSV is the baseline measured side by side (min and median printed; ratios on the medians).
Budgets: the XLSX's peak memory (tracemalloc, a child process each) at `--rows` at most 1.5x its peak at `--small`
(constant in the list's length); the XLSX's time at most 4x the CSV's (XlsxWriter writes an XML element per cell
and zips the sheet, the csv module a line per row in C). The CSV's peak memory is printed for comparison.
"""

from __future__ import annotations

import argparse
import sys

from common import execute, fill_defaults, setup_django
from measure import (
    add_memory_probe_options,
    fmt_runs,
    measure_memory,
    memory_budget,
    memory_probe,
    result,
    summary,
    timed,
)

TABLES = ("ordermgmt_opportunity", "ordermgmt_account", "ordermgmt_user")
LIMIT = 4.0


def seed(sizes: dict[str, int]) -> None:
    """One account in AMER and a rep per size, owning that many opportunities."""
    from ordermgmt.models import Account, Region, User

    execute("SET session_replication_role = replica")  # seed data: no audit rows, no per-row triggers
    amer = Region.objects.get(pk="AMER")
    account = Account.objects.create(name="Bench Customer", region=amer, country="US", billing_address="")
    for username, n in sizes.items():
        rep = User.objects.create_user(username=username, password="x", role=User.Role.SALES_REP, region=amer)
        execute(
            """INSERT INTO ordermgmt_opportunity (name, account_id, owner_id, region_id, type, deployment,
                   route_to_market, stage, amount, net_arr, arr_basis, start_date, close_date, closed_won_reason,
                   closed_won_details, competitors, executed_agreement_link, po_required, approval_status, version,
                   created_at, updated_at)
               SELECT 'Bench deal ' || g, %s, %s, 'AMER', 'new_business', 'saas', 'direct', '5-negotiating',
                   (g %% 97) * 1000.5, (g %% 89) * 1000.25, 0, DATE '2026-12-01' + g %% 90, NULL, '', '', '', '',
                   false, 'draft', 1, now() - g * interval '1 second', now()
               FROM generate_series(1, %s) g""",
            [account.pk, rep.pk, n],
        )
    execute("SET session_replication_role = DEFAULT")
    execute("VACUUM ANALYZE ordermgmt_opportunity")


def export(username: str, fmt: str) -> int:
    """The rep's export in `fmt`, read to the end as a browser would; its size in bytes."""
    from django.test import Client

    from ordermgmt.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    response = client.get(f"/opportunities/export.{fmt}")
    assert response.status_code == 200, response.status_code
    size = sum(len(chunk) for chunk in response.streaming_content)
    response.close()
    return size


def memory_main(args) -> None:
    setup_django(args.database)
    export(args.user, args.format)  # warm: imports, the first queries' plans
    measure_memory(lambda: export(args.user, args.format))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database", default="om_bench_exports")
    parser.add_argument("--user", help=argparse.SUPPRESS)
    parser.add_argument("--format", help=argparse.SUPPRESS)
    add_memory_probe_options(parser)
    args = parser.parse_args()
    if args.memory_probe:
        memory_main(args)
        return 0
    setup_django(args.database, recreate=True)
    fill_defaults(*TABLES)
    seconds, _ = timed(lambda: seed({"bench_small": args.small, "bench_large": args.rows}))
    print(f"seeded {args.small:,} + {args.rows:,} opportunities in {seconds:.1f} s", flush=True)

    export("bench_large", "csv"), export("bench_large", "xlsx")  # warm
    times: dict[str, list[float]] = {"csv": [], "xlsx": []}
    sizes = {}
    for _ in range(args.runs):
        for fmt in ("csv", "xlsx"):
            t, sizes[fmt] = timed(lambda fmt=fmt: export("bench_large", fmt))
            times[fmt].append(t)
        print(f"  csv {times['csv'][-1]:.2f} s, xlsx {times['xlsx'][-1]:.2f} s", flush=True)
    csv_runs, xlsx_runs = summary(times["csv"]), summary(times["xlsx"])
    print(f"CSV  {args.rows:,} rows: {fmt_runs(csv_runs)}, {sizes['csv'] / 2**20:.1f} MB")
    print(f"XLSX {args.rows:,} rows: {fmt_runs(xlsx_runs)}, {sizes['xlsx'] / 2**20:.1f} MB")
    ratio = xlsx_runs["median"] / csv_runs["median"]
    result(
        f"rep's list export of {args.rows:,} rows, XLSX vs CSV (whole view, body read)",
        f"{xlsx_runs['median']:.2f} s median (min {xlsx_runs['min']:.2f}) = {ratio:.2f}x",
        f"<= {LIMIT:g}x",
        ratio <= LIMIT,
        f"CSV {csv_runs['median']:.2f} s median (min {csv_runs['min']:.2f}), {args.runs} runs each; "
        f"{sizes['xlsx'] / 2**20:.1f} MB XLSX vs {sizes['csv'] / 2**20:.1f} MB CSV",
    )

    probe = {
        (user, fmt): memory_probe("exports.py", "--database", args.database, "--user", user, "--format", fmt)
        for user in ("bench_small", "bench_large")
        for fmt in ("csv", "xlsx")
    }
    ok = memory_budget(
        "the XLSX export",
        probe[("bench_small", "xlsx")],
        probe[("bench_large", "xlsx")],
        f"{args.small:,} rows",
        f"{args.rows:,} rows",
    )
    small_csv, large_csv = probe[("bench_small", "csv")], probe[("bench_large", "csv")]
    result(
        "peak memory of the CSV export (for comparison)",
        f"{large_csv['peak_mb']:.1f} MB at {args.rows:,} rows",
        "-",
        None,
        f"{small_csv['peak_mb']:.1f} MB at {args.small:,} rows",
    )
    return 0 if ok and ratio <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
