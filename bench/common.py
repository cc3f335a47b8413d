"""Shared set-up for the benchmarks: Django on a dedicated PostgreSQL database, created and migrated on demand."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _server() -> tuple[str, str]:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ordermgmt")
    host = base.split("@")[-1].split("/")[0]
    hostname, _, port = host.partition(":")
    return hostname, port or "5432"


def psql(db_name: str, sql: str) -> str:
    """One statement's result as text ('' when the database or the table does not exist)."""
    hostname, port = _server()
    return subprocess.run(
        ["psql", "-h", hostname, "-p", port, "-U", "postgres", "-d", db_name, "-tAc", sql],
        capture_output=True,
        text=True,
    ).stdout.strip()


def drop_database(db_name: str) -> None:
    hostname, port = _server()
    subprocess.run(
        ["dropdb", "--if-exists", "--force", "-h", hostname, "-p", port, "-U", "postgres", db_name], check=True
    )


def setup_django(db_name: str) -> None:
    """Point Django at postgres://…/<db_name> (created if missing), migrate, and set it up."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ordermgmt")
    url = base.rsplit("/", 1)[0] + "/" + db_name
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "ordermgmt.settings.test"
    os.environ.setdefault("AXES_ENABLED", "false")
    hostname, port = _server()
    exists = psql("postgres", f"SELECT 1 FROM pg_database WHERE datname='{db_name}'")
    if exists != "1":
        subprocess.run(["createdb", "-h", hostname, "-p", port, "-U", "postgres", db_name], check=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import importlib

    from django.apps import apps

    importlib.import_module("ordermgmt.migrations.0003_seed_regions").seed(apps, None)


def median_ms(fn, repeat: int = 30, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def report(name: str, value: float, baseline: float, unit: str, target: float) -> None:
    ratio = value / baseline if baseline else float("inf")
    verdict = "ok" if ratio <= target else "MISSED"
    print(
        f"RESULT | {name} | {value:.2f} {unit} | baseline {baseline:.2f} {unit} | ratio {ratio:.2f}x | target <= {target}x | {verdict}"
    )
