"""Run every benchmark in bench/ as a subprocess, stream its output, and end with one table of their RESULT lines.

    python bench/run_all.py [--quick]

--quick passes small data sizes to each script (a smoke run of a few minutes). New scripts (e.g. kpis.py) are
picked up by name; give them a --quick size in QUICK if they take arguments.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["queue_page.py", "license_review.py", "reconciliation.py", "kpis.py", "load.py"]
SKIP = {"common.py", "run_all.py"}
QUICK = {
    "queue_page.py": ["--opportunities", "50000", "--submitted", "2000"],
    "license_review.py": ["--n", "5000"],
    "reconciliation.py": ["--subscriptions", "5000", "--database", "om_bench_recon_quick"],
    "kpis.py": ["--quick"],
    "load.py": ["--quick"],
}


def scripts() -> list[Path]:
    present = sorted(p.name for p in HERE.glob("*.py") if p.name not in SKIP)
    ordered = [name for name in ORDER if name in present] + [name for name in present if name not in ORDER]
    return [HERE / name for name in ordered]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data sizes for a fast smoke run")
    args = parser.parse_args()
    results: list[tuple[str, str]] = []
    failures = []
    for script in scripts():
        command = [sys.executable, str(script), *(QUICK.get(script.name, []) if args.quick else [])]
        print(f"\n=== {script.name} {' '.join(command[2:])}", flush=True)
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
        print(f"=== {script.name}: exit {process.returncode} in {time.perf_counter() - started:.0f} s", flush=True)

    print("\n" + "=" * 40 + " summary " + "=" * 40)
    rows = [[script, *[cell.strip() for cell in line.split("|")[1:]]] for script, line in results]
    width = max((len(r) for r in rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(width)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    missed = [r for r in rows if "MISSED" in r]
    print(f"\n{len(rows)} results, {len(missed)} missed target, scripts failed: {', '.join(failures) or 'none'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
