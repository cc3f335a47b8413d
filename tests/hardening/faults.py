"""Fault-injection helpers: a private redis-server the test may stop and restart, and `celery beat` processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis

from tests.celery_support import ROOT, worker_env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """`redis-server` on a free loopback port, without persistence (a restart loses what was queued in it)."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def point_celery_at(url: str) -> None:
    """Re-point this process's Celery app (connection and producer pools) at another broker URL."""
    from kombu import pools

    from ordermgmt.celery import app

    app.pool.force_close_all()
    pools.reset()
    app.conf.broker_url = url
    app.conf.result_backend = url
    app._pool = None
    app.amqp._producer_pool = None
    app._backend_cache = None  # the result backend too (AsyncResult.get() reads results from the broker's Redis)
    app._local.__dict__.pop("backend", None)


def pool_children(pid: int) -> list[int]:
    """The pids of a celery worker's prefork pool processes."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


class Beat:
    """A `celery beat` subprocess on the database scheduler, polling every second."""

    def __init__(self, name: str):
        self.log_path = ROOT / "var" / f"test-beat-{name}-{os.getpid()}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "ordermgmt",
                "beat",
                "-l",
                "info",
                "--max-interval",
                "1",
                "-S",
                "ordermgmt.beat:SettingsSeededScheduler",
                "--pidfile",
                "",
            ],
            cwd=ROOT,
            env=worker_env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=20)
        self._log.close()
