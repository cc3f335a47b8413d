"""Run every benchmark in bench/ as a subprocess, stream its output, and end with one table of their RESULT lines.

    python bench/run_all.py [--quick] [--only queue_page.py,kpis.py]

Each RESULT line is `what | measured | budget | PASS/MISS/info | baseline of the same run`. --quick passes small
data sizes to each script (a smoke run of about a minute on existing databases; the budgets only mean something
at full size). New scripts are picked up by name (a file with an `if __name__ == "__main__":` block; the others, such as
common.py, measure.py, data_*.py and load_*.py, are the scripts' modules); give them a --quick size in QUICK if they
take arguments. The
summary ends with the same table in Markdown (for README's Benchmarks section).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from common import wait_for_quiet

HERE = Path(__file__).resolve().parent
ORDER = ["queue_page.py", "license_review.py", "reconciliation.py", "kpis.py", "load.py"]
SKIP = {"run_all.py"}
QUICK = {
    "queue_page.py": ["--opportunities", "50000", "--submitted", "2000", "--database", "om_bench_queue_quick"],
    "license_review.py": ["--n", "5000", "--runs", "3", "--database", "om_bench_licenses_quick"],
    "reconciliation.py": ["--subscriptions", "5000", "--runs", "3", "--database", "om_bench_recon_quick"],
    "kpis.py": ["--quick"],
    "load.py": ["--quick"],
    "exports.py": ["--rows", "20000", "--small", "5000", "--runs", "1", "--database", "om_bench_exports_quick"],
}


def load_note() -> str:
    """The machine's load average: the benchmarks share 2 cores with whatever else runs (say, a test suite)."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def scripts(only: str | None) -> list[Path]:
    present = sorted(
        p.name for p in HERE.glob("*.py") if p.name not in SKIP and 'if __name__ == "__main__":' in p.read_text()
    )
    ordered = [name for name in ORDER if name in present] + [name for name in present if name not in ORDER]
    if only:
        wanted = {name.strip() for name in only.split(",")}
        ordered = [name for name in ordered if name in wanted]
    return [HERE / name for name in ordered]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data sizes for a fast smoke run")
    parser.add_argument("--only", help="comma-separated script names to run (default: all)")
    args = parser.parse_args()
    results: list[tuple[str, str]] = []
    failures = []
    began = time.perf_counter()
    for script in scripts(args.only):
        command = [sys.executable, str(script), *(QUICK.get(script.name, []) if args.quick else [])]
        print(f"\n=== {script.name} {' '.join(command[2:])} ({load_note()})", flush=True)
        if not args.quick:
            wait_for_quiet(max_wait=90, label=script.name)
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=HERE.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for line in process.stdout:
            print(line, end="", flush=True)
            if line.startswith("RESULT |"):
                results.append((script.name, line.strip()))
        if process.wait() != 0:
            failures.append(script.name)
        print(
            f"=== {script.name}: exit {process.returncode} in {time.perf_counter() - started:.0f} s ({load_note()})",
            flush=True,
        )

    print("\n" + "=" * 40 + " summary " + "=" * 40)
    rows = [[script, *[cell.strip() for cell in line.split("|")[1:]]] for script, line in results]
    width = max((len(r) for r in rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(width)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    budgets = [r for r in rows if len(r) > 4 and r[4] in ("PASS", "MISS")]
    missed = [r for r in budgets if r[4] == "MISS"]
    print(
        f"\n{len(budgets)} budgets: {len(budgets) - len(missed)} PASS, {len(missed)} MISS; {len(rows) - len(budgets)}"
        f" figures for information; scripts failed: {', '.join(failures) or 'none'};"
        f" {time.perf_counter() - began:.0f} s in all{' (--quick: small data)' if args.quick else ''}"
    )
    print(f"\nMarkdown ({datetime.now(UTC).date().isoformat()}):\n")
    print("| benchmark | what | measured | budget | verdict | baseline (same run) |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        cells = [f"`{row[0]}`", *row[1:6]] + [""] * max(0, 6 - len(row))
        print("| " + " | ".join(cell.replace("|", "/") for cell in cells[:6]) + " |")
    return 1 if failures else 0  # a missed budget is reported above, with its figure and profile


if __name__ == "__main__":
    sys.exit(main())
