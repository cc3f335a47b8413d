"""Measuring: timing, budgets (RESULT lines), profiles of a missed budget and peak-memory probes in a child process.

Every benchmark prints one `RESULT |` line per budget:

    RESULT | what is compared | measured | budget | PASS or MISS | baseline measured side by side in the same run

(`info` instead of PASS/MISS for a figure printed for information). run_all.py collects them into one table.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import statistics
import subprocess
import sys
import time

from common import HERE, ROOT

# --- timing -----------------------------------------------------------------------------------------------------------


def sample_ms(fn, repeat: int = 30, warmup: int = 3) -> list[float]:
    """Wall times of `repeat` calls of fn() in ms, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def median_ms(fn, repeat: int = 30, warmup: int = 3) -> float:
    return statistics.median(sample_ms(fn, repeat, warmup))


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank on the sorted samples)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def summary(seconds: list[float]) -> dict:
    return {"min": min(seconds), "median": statistics.median(seconds), "runs": len(seconds), "all": seconds}


def fmt_runs(s: dict, unit: str = "s") -> str:
    return f"min {s['min']:.2f} {unit}, median {s['median']:.2f} {unit} ({s['runs']} runs)"


# --- budgets ------------------------------------------------------------------------------------------------------


def result(what: str, measured: str, budget: str, ok: bool | None, baseline: str) -> None:
    """One RESULT line: what is compared | measured | budget | PASS/MISS (None: info) | baseline of the same run."""
    verdict = "info" if ok is None else ("PASS" if ok else "MISS")
    print(f"RESULT | {what} | {measured} | {budget} | {verdict} | {baseline}", flush=True)


def ratio_budget(what: str, job: dict, base: dict, limit: float, unit: str = "s") -> bool:
    """A job's runs against its baseline's runs: the verdict is on the medians (min printed alongside)."""
    ratio = job["median"] / base["median"] if base["median"] else float("inf")
    ok = ratio <= limit
    result(
        what,
        f"{job['median']:.2f} {unit} median (min {job['min']:.2f}) = {ratio:.2f}x",
        f"<= {limit:g}x",
        ok,
        f"hand-written {base['median']:.2f} {unit} median (min {base['min']:.2f}), {base['runs']} runs each",
    )
    return ok


# --- where the time goes -------------------------------------------------------------------------------------------


def profile(fn, repeat: int = 20, limit: int = 30, title: str = "") -> None:
    """cProfile `repeat` calls of fn() and print where the time goes (for a missed budget): the top frames by
    cumulative time, the project's own functions by cumulative time, and the top frames by own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        fn()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative").print_stats(limit)
    own = str(ROOT).replace("/", r"\/") + r"\/(?!\.venv)(?!bench)"
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(own, 20)
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(15)
    print(f"\n--- profile: {title} ({repeat} calls) ---")
    print("\n".join(line.replace(str(ROOT) + "/", "") for line in out.getvalue().splitlines() if line.strip()))
    print("--- end of profile ---\n", flush=True)


# --- peak memory of a job, in a child process -----------------------------------------------------------------------


def rss_mb() -> float:
    """Current resident set size of this process in MB (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def reset_peak_rss() -> None:
    """Reset the kernel's high-water mark of this process's RSS (VmHWM), so the next peak is the job's own."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_memory(fn) -> dict:
    """Run fn() once under tracemalloc: its peak of Python allocations and the growth of the process's peak RSS
    (which also sees the database driver's C buffers). Printed as one `MEMORY {json}` line for the parent."""
    import tracemalloc

    reset_peak_rss()
    before_rss = rss_mb()
    tracemalloc.start()
    started = time.perf_counter()
    fn()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    out = {"peak_mb": peak / 2**20, "rss_growth_mb": max(0.0, peak_rss_mb() - before_rss), "seconds": seconds}
    print("MEMORY " + json.dumps(out), flush=True)
    return out


def memory_probe(script: str, *args: str) -> dict:
    """Run `bench/<script> --memory-probe <args>` in a fresh interpreter; the job's MEMORY figures."""
    command = [sys.executable, str(HERE / script), "--memory-probe", *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    for line in done.stdout.splitlines():
        if line.startswith("MEMORY "):
            return json.loads(line[len("MEMORY ") :])
    print(done.stdout[-3000:], done.stderr[-3000:], sep="\n")
    raise RuntimeError(f"memory probe {' '.join(command[1:])} failed (exit {done.returncode})")


MEMORY_LIMIT = 1.5  # the larger data set's peak may be at most this times the smaller's: constant in the data size


def memory_budget(job: str, small: dict, large: dict, small_size: str, large_size: str) -> bool:
    ok = large["peak_mb"] <= MEMORY_LIMIT * max(small["peak_mb"], 0.01)
    result(
        f"peak memory of {job}: {large_size} vs {small_size}",
        f"{large['peak_mb']:.1f} MB at {large_size} ({large['peak_mb'] / max(small['peak_mb'], 0.01):.2f}x)",
        f"<= {MEMORY_LIMIT:g}x the smaller",
        ok,
        f"{small['peak_mb']:.1f} MB at {small_size}; peak RSS growth {small['rss_growth_mb']:.0f} -> "
        f"{large['rss_growth_mb']:.0f} MB (tracemalloc peak of Python allocations, job alone in a child process)",
    )
    return ok


def add_memory_probe_options(parser: argparse.ArgumentParser) -> None:
    """The hidden options of a script's child-process memory probe: `--memory-probe` (run the job once under
    tracemalloc) and `--seed` (build the probe's database first)."""
    parser.add_argument("--memory-probe", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seed", action="store_true", help=argparse.SUPPRESS)


def probe_or_build(args: argparse.Namespace, tables: tuple[str, ...], probe) -> bool:
    """A script's start: in a memory-probe child run `probe(args)` and return True (the child is done); otherwise
    re-create the script's database (`args.database`), give `tables` their defaults and return False."""
    from common import fill_defaults, setup_django

    if args.memory_probe:
        probe(args)
        return True
    setup_django(args.database, recreate=True)
    fill_defaults(*tables)
    return False
