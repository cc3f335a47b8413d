"""The load test's server side: gunicorn as shipped (with a private redis-server as its cache and broker) on a free
loopback port, its access log read phase by phase, and where the CPU goes during a phase (Linux /proc).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import socket
import subprocess
import sys
import time
from collections import defaultdict

from common import ROOT
from load_users import HOST


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_for(port: int, path: str = "/ping", timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answers on {HOST}:{port}{path}")


@contextlib.contextmanager
def serve(workers: int):
    """Start a private redis-server and `gunicorn ordermgmt.wsgi:application --workers N` from the project root (so
    it reads ./gunicorn.conf.py, as shipped), DEBUG off, persistent connections, one Redis cache for the workers;
    yield (port, gunicorn's pid, its AccessLog) once it answers /ping; stop both and remove the log afterwards."""
    port, redis_port = free_port(), free_port()
    access_log = str(ROOT / "var" / f"bench-load-access-{port}.log")
    os.makedirs(os.path.dirname(access_log), exist_ok=True)
    log = AccessLog(access_log)
    redis = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--bind", HOST, "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ordermgmt.settings.test",  # DEBUG off; plain http on loopback
        "TEST_CELERY_BROKER_URL": f"redis://{HOST}:{redis_port}/0",
        "AXES_ENABLED": "false",
        "DJANGO_CONN_MAX_AGE": "60",
        "DJANGO_CACHE_URL": f"redis://{HOST}:{redis_port}/1",  # one KPI cache for the workers, as shipped
        "PYTHONWARNINGS": "ignore:No directory at",  # whitenoise: no collectstatic here, no static files asked for
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "ordermgmt.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"{HOST}:{port}",
            "--log-level",
            "warning",
            "--access-logfile",
            access_log,
            "--access-logformat",
            "%(m)s %(U)s %(q)s %(D)s",
        ],
        cwd=ROOT,  # gunicorn reads ./gunicorn.conf.py from here, as shipped
        env=env,
    )
    try:
        wait_for(port)
        yield port, server.pid, log
    finally:
        server.terminate()
        server.wait(timeout=30)
        redis.terminate()
        redis.wait(timeout=10)
        if os.path.exists(access_log):
            os.remove(access_log)


# --- where the CPU goes during a phase (Linux /proc) ------------------------------------------------------------


def _proc_cpu(pid: int) -> float:
    """utime + stime of one process, in seconds (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def _postgres_pids() -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    if f.read().strip() == "postgres":
                        pids.append(int(entry))
            except OSError:
                continue
    return pids


class CpuMeter:
    """CPU seconds used during a phase: the whole machine (/proc/stat), gunicorn (master and workers), every
    PostgreSQL process (all databases: the machine is shared) and this client; the rest is other processes."""

    def __init__(self, server_pid: int):
        self.server_pid = server_pid

    def snapshot(self) -> dict:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        tick = os.sysconf("SC_CLK_TCK")
        times = os.times()
        return {
            "busy": (sum(values) - values[3] - values[4]) / tick,  # all but idle and iowait
            "gunicorn": sum(_proc_cpu(p) for p in [self.server_pid, *_children(self.server_pid)]),
            "postgres": sum(_proc_cpu(p) for p in _postgres_pids()),
            "client": times.user + times.system,
            "at": time.perf_counter(),
        }

    @staticmethod
    def report(before: dict, after: dict) -> str:
        seconds = after["at"] - before["at"]
        used = {k: max(0.0, after[k] - before[k]) / seconds for k in ("busy", "gunicorn", "postgres", "client")}
        other = max(0.0, used["busy"] - used["gunicorn"] - used["postgres"] - used["client"])
        return (
            f"CPU in cores (of {os.cpu_count()}): machine busy {used['busy']:.2f}; gunicorn {used['gunicorn']:.2f},"
            f" PostgreSQL {used['postgres']:.2f}, this client {used['client']:.2f}, other processes {other:.2f}"
        )


# Which endpoint name an access-log line (method, path, query) belongs to, as the users name their requests.
ENDPOINTS = [
    ("GET", re.compile(r"^/ping$"), "GET /ping"),
    ("POST", re.compile(r"^/api/opportunities/\d+/submit/$"), "submit"),
    ("POST", re.compile(r"^/api/opportunities/\d+/recall/$"), "recall"),
    ("POST", re.compile(r"^/api/opportunities/\d+/claim/$"), "claim"),
    ("POST", re.compile(r"^/api/opportunities/\d+/approve/$"), "approve"),
    ("GET", re.compile(r"^/api/opportunities/\d+/$"), "opportunity detail"),
    ("PATCH", re.compile(r"^/api/opportunities/\d+/$"), "edit (PATCH)"),
    ("GET", re.compile(r"^/api/opportunities/$"), "my opportunities (API)"),
    ("GET", re.compile(r"^/opportunities/$"), "rep list (HTML)"),
    ("GET", re.compile(r"^/queue/$"), "queue page (HTML)"),
    ("GET", re.compile(r"^/api/kpis/$"), "kpis (API)"),
]


class AccessLog:
    """gunicorn's access log (`%(m)s %(U)s %(q)s %(D)s`: method, path, query, microseconds), read phase by phase.
    The specialists ask for `/api/queue/`, the managers for `/api/queue/?stage=om` (the same for a manager)."""

    def __init__(self, path: str):
        self.path, self.offset = path, 0

    def mark(self) -> None:
        self.offset = os.path.getsize(self.path) if os.path.exists(self.path) else 0

    def since_mark(self) -> dict[str, list[float]]:
        times: dict[str, list[float]] = defaultdict(list)
        with open(self.path) as log:
            log.seek(self.offset)
            for line in log:
                method, path, query, micros = (line.split(" ") + ["", "", "", ""])[:4]
                if path == "/api/queue/":
                    name = "queue all regions (API)" if "stage=" in query else "queue (API)"
                else:
                    name = next((n for m, p, n in ENDPOINTS if m == method and p.match(path)), None)
                if name:
                    times[name].append(int(micros) / 1000)
        return times
