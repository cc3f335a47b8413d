"""Load: gunicorn (3 sync workers, DEBUG off) on PostgreSQL with the demo data at 10x, driven over loopback by a
small stdlib-threads HTTP client, next to the same client against GET /ping (no database: the framework's floor).

    python bench/load.py [--quick] [--seconds 120] [--threads 8] [--rate 20]

The mix: reps submit, recall and edit their own opportunities; specialists read their region's queue, claim and
approve; managers read the queue page, every region's queue and /api/kpis/. After an unmeasured warm-up, two runs:

- paced: the users think between requests (uniform jitter around threads/rate s) so together they offer `--rate`
  requests/s (default 20: every person of a ~200-person sales and Order Management team clicking every 10 s, far
  above the handbook's ~60 approvals a day). The floor is measured with the same users and the same pacing. This
  is the latency a person sees, and the target: queue and submit p95 within 5x of the floor's p95, 0 errors.
- saturation: the same users back to back. Printed for information: throughput, and p95 that is mostly waiting.

Prints req/s, p50/p95/p99 and errors per endpoint and RESULT lines. Data: `seed_demo --scale 10` into
om_bench_load (--quick: scale 1 into om_bench_load_quick), seeded once and reused. Everything listens on 127.0.0.1
only; the server gets a private redis-server as its broker, stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from common import ROOT, drop_database, psql, report, setup_django

HOST = "127.0.0.1"


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


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)

    def add(self, name: str, ms: float, error: str | None) -> None:
        with self.lock:
            self.samples[name].append(ms)
            if error:
                self.errors[name].append(error)


class Http:
    """One virtual user: a token or a session cookie, a new connection per request (sync workers close them)."""

    def __init__(self, port: int, recorder: Recorder, token: str | None = None):
        self.port, self.recorder, self.token, self.cookies = port, recorder, token, {}
        self.interval = 0.0  # seconds between this user's requests (0: back to back)
        self.next_at = 0.0
        self.random = random.Random(port)

    def pace(self, interval: float, seed: int) -> None:
        """Think time: send at most one request every `interval` s on average (uniform 0.5x-1.5x jitter), so the
        users do not move in lockstep. A request that is late is sent at once, never in a burst to catch up."""
        self.interval, self.random, self.next_at = interval, random.Random(seed), 0.0

    def _wait_turn(self) -> None:
        if not self.interval:
            return
        now = time.perf_counter()
        if self.next_at > now:
            time.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = now + self.interval * self.random.uniform(0.5, 1.5)

    def call(self, name: str, method: str, path: str, body=None, expect=(200,)):
        if name:
            self._wait_turn()
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = json.dumps(body) if self.token else urlencode(body)
            headers["Content-Type"] = "application/json" if self.token else "application/x-www-form-urlencoded"
            if not self.token:
                headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
                headers["Referer"] = f"http://{HOST}:{self.port}/login/"
        start = time.perf_counter()
        error = None
        try:
            conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                for key, morsel in SimpleCookie(header).items():
                    self.cookies[key] = morsel.value
            if response.status not in expect:
                error = f"{method} {path} -> {response.status} {payload[:200]!r}"
        except OSError as exc:
            payload, error = b"", f"{method} {path} -> {exc}"
        if name:
            self.recorder.add(name, (time.perf_counter() - start) * 1000, error)
        return payload

    def login(self, username: str, password: str) -> None:
        page = self.call("", "GET", "/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        self.call(
            "", "POST", "/login/", {"username": username, "password": password, "csrfmiddlewaretoken": token}, (302,)
        )


def prepare(scale: float) -> dict:
    """Seed once; pick per virtual user the objects it works on (disjoint, so no user waits on another's row)."""
    from django.db.models import Count
    from rest_framework.authtoken.models import Token

    from approvals.models import Submission
    from approvals.requirements import evaluate
    from ordermgmt.models import Opportunity, User
    from ordermgmt.selectors import opportunity_list

    if not Opportunity.objects.exists():
        from django.core.management import call_command

        print(f"seeding the demo data at scale {scale} …", flush=True)
        call_command("seed_demo", "--scale", str(scale))
    token = lambda user: Token.objects.get_or_create(user=user)[0].key  # noqa: E731

    reps = []
    for rep in User.objects.with_role("sales_rep").annotate(n=Count("opportunities")).filter(n__gt=2)[:40]:
        drafts = opportunity_list(user=rep).filter(approval_status="draft", stage="6-awaiting_signature")
        ready = [o.pk for o in drafts[:30] if all(r.met for r in evaluate(o))]
        editable = opportunity_list(user=rep).filter(approval_status="draft").exclude(pk__in=ready).first()
        if ready and editable:
            reps.append({"token": token(rep), "submit": ready[0], "edit": editable.pk})
    specialists = []
    ordered = list(User.objects.with_role("specialist").order_by("pk"))
    firsts = list({spec.region_id: spec for spec in reversed(ordered)}.values())[::-1]  # one per region first
    for spec in firsts + [s for s in ordered if s not in firsts]:
        waiting = list(
            Submission.objects.filter(region_id=spec.region_id, state="submitted", claimed_by__isnull=True)
            .order_by("pk")
            .values_list("opportunity_id", flat=True)[:400]
        )
        specialists.append({"token": token(spec), "region": spec.region_id, "decide": waiting})
    # Two specialists of one region must not decide the same item: deal each region's items out between them.
    by_region = defaultdict(list)
    for spec in specialists:
        by_region[spec["region"]].append(spec)
    for members in by_region.values():
        for index, spec in enumerate(members):
            spec["decide"] = spec["decide"][index :: len(members)]
    managers = [
        {"token": token(m), "username": m.username} for m in User.objects.with_role("manager").order_by("pk")[:3]
    ]
    return {"reps": reps, "specialists": specialists, "managers": managers}


def rep_user(http: Http, rep: dict, stop: threading.Event) -> None:
    edit = 0
    while not stop.is_set():
        http.call("submit", "POST", f"/api/opportunities/{rep['submit']}/submit/", {})
        http.call("opportunity detail", "GET", f"/api/opportunities/{rep['submit']}/")
        http.call("recall", "POST", f"/api/opportunities/{rep['submit']}/recall/", {})
        edit += 1
        http.call("edit (PATCH)", "PATCH", f"/api/opportunities/{rep['edit']}/", {"competitors": f"Load {edit}"})
        http.call("my opportunities", "GET", "/api/opportunities/?page_size=50")


def specialist_user(http: Http, spec: dict, stop: threading.Event) -> None:
    todo = list(spec["decide"])
    while not stop.is_set():
        http.call("queue (API)", "GET", f"/api/queue/?region={spec['region']}")
        if todo:
            pk = todo.pop(0)
            http.call("claim", "POST", f"/api/opportunities/{pk}/claim/", {})
            http.call("approve", "POST", f"/api/opportunities/{pk}/approve/", {"comment": "ok"})


def manager_user(http: Http, manager: dict, stop: threading.Event, kpis: bool) -> None:
    while not stop.is_set():
        http.call("queue page (HTML)", "GET", "/queue/")
        http.call("queue all regions (API)", "GET", "/api/queue/")
        if kpis:
            http.call("kpis (API)", "GET", "/api/kpis/")


def ping_user(http: Http, stop: threading.Event, name: str = "GET /ping (floor)") -> None:
    while not stop.is_set():
        http.call(name, "GET", "/ping")


def run_phase(target, users: list, seconds: float) -> float:
    stop = threading.Event()
    threads = [threading.Thread(target=target, args=(*u, stop), daemon=True) for u in users]
    start = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    return time.perf_counter() - start


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def table(recorder: Recorder, elapsed: float, server: dict[str, list[float]] | None = None) -> dict[str, dict]:
    """Client-side figures per endpoint; with `server`, gunicorn's own time for the same requests next to them (from
    reading the request to writing the response: the difference is the client and the loopback)."""
    rows = {}
    head = f"{'endpoint':28} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6}"
    print(head + ("   server p50 ms  p95 ms" if server else ""))
    for name, samples in sorted(recorder.samples.items()):
        row = {
            "n": len(samples),
            "rps": len(samples) / elapsed,
            "p50": statistics.median(samples),
            "p95": pct(samples, 95),
            "p99": pct(samples, 99),
            "errors": len(recorder.errors[name]),
        }
        rows[name] = row
        line = (
            f"{name:28} {row['n']:>8} {row['rps']:>7.1f} {row['p50']:>7.1f} {row['p95']:>7.1f} {row['p99']:>7.1f}"
            f" {row['errors']:>6}"
        )
        if server and server.get(name):
            row["server_p50"], row["server_p95"] = statistics.median(server[name]), pct(server[name], 95)
            line += f"   {row['server_p50']:>13.1f} {row['server_p95']:>7.1f}"
        print(line)
    return rows


# Which endpoint name an access-log line (method, path, query) belongs to, as the users name their requests.
ENDPOINTS = [
    ("GET", re.compile(r"^/ping$"), None, "GET /ping"),
    ("POST", re.compile(r"^/api/opportunities/\d+/submit/$"), None, "submit"),
    ("POST", re.compile(r"^/api/opportunities/\d+/recall/$"), None, "recall"),
    ("POST", re.compile(r"^/api/opportunities/\d+/claim/$"), None, "claim"),
    ("POST", re.compile(r"^/api/opportunities/\d+/approve/$"), None, "approve"),
    ("GET", re.compile(r"^/api/opportunities/\d+/$"), None, "opportunity detail"),
    ("PATCH", re.compile(r"^/api/opportunities/\d+/$"), None, "edit (PATCH)"),
    ("GET", re.compile(r"^/api/opportunities/$"), None, "my opportunities"),
    ("GET", re.compile(r"^/api/queue/$"), "region=", "queue (API)"),
    ("GET", re.compile(r"^/api/queue/$"), None, "queue all regions (API)"),  # the rest: first match wins
    ("GET", re.compile(r"^/queue/$"), None, "queue page (HTML)"),
    ("GET", re.compile(r"^/api/kpis/$"), None, "kpis (API)"),
]


class AccessLog:
    """gunicorn's access log (`%(m)s %(U)s %(q)s %(D)s`: method, path, query, microseconds), read phase by phase."""

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
                query = "" if query == "-" else query
                for want, pattern, query_has, name in ENDPOINTS:
                    if (
                        method == want
                        and pattern.match(path)
                        and (query_has is None or (query_has in query) == bool(query_has))
                    ):
                        times[name].append(int(micros) / 1000)
                        break
        return times


def build_mix(port: int, data: dict, threads: int, recorder: Recorder, kpis: bool) -> list:
    """Half reps, a quarter specialists, a quarter managers; every rep thread works on its own rep's records."""
    users, reps = [], iter(data["reps"])
    for i in range(threads):
        kind = i % 4
        if kind in (0, 1) and data["reps"]:
            rep = next(reps)
            users.append((rep_user, Http(port, recorder, rep["token"]), rep))
        elif kind == 2:
            spec = data["specialists"][(i // 4) % len(data["specialists"])]
            users.append((specialist_user, Http(port, recorder, spec["token"]), spec))
        else:
            manager = data["managers"][(i // 4) % len(data["managers"])]
            http = Http(port, recorder)
            http.login(manager["username"], "demo-pass-2026")
            users.append((lambda h, m, stop: manager_user(h, m, stop, kpis), http, manager))
    return users


def measure(port: int, data: dict, threads: int, seconds: float, rate: float, kpis: bool, log: AccessLog) -> dict:
    """One floor phase (GET /ping) and one mix phase with the same users and pacing; `rate` is the total requests/s
    all users aim at together (0: back to back, i.e. saturation). The mix phase has one more user sending GET /ping
    at the same pace, to show what the mix's own traffic does to a trivial request (information only)."""
    interval = threads / rate if rate else 0.0
    floor = Recorder()
    pingers = [Http(port, floor) for _ in range(threads)]
    for index, client in enumerate(pingers):
        client.pace(interval, seed=index)
    log.mark()
    elapsed = run_phase(lambda http, stop: ping_user(http, stop), [(h,) for h in pingers], seconds)
    server = log.since_mark()
    server["GET /ping (floor)"] = server.pop("GET /ping", [])
    label = f"{rate:.0f} req/s offered" if rate else "back to back (saturation)"
    print(f"\nfloor: GET /ping, {threads} users, {label}, {elapsed:.0f} s")
    floor_rows = table(floor, elapsed, server)

    mix = Recorder()
    users = build_mix(port, data, threads, mix, kpis)
    users.append((lambda http, _arg, stop: ping_user(http, stop, "GET /ping (in the mix)"), Http(port, mix), None))
    for index, (_fn, client, _arg) in enumerate(users):
        client.pace(interval, seed=100 + index)
    log.mark()
    elapsed = run_phase(lambda fn, http, arg, stop: fn(http, arg, stop), users, seconds)
    server = log.since_mark()
    server["GET /ping (in the mix)"] = server.pop("GET /ping", [])
    reps = sum(1 for u in users if u[0] is rep_user)
    print(
        f"\nmix: {len(users) - 1} users ({reps} reps) + 1 sending GET /ping, {label}, {elapsed:.0f} s,"
        f" /api/kpis/ {'in' if kpis else 'absent'}"
    )
    rows = table(mix, elapsed, server)
    for name, messages in mix.errors.items():
        for message in messages[:3]:
            print(f"  error {name}: {message}")
    in_mix = rows.pop("GET /ping (in the mix)")
    return {
        "floor": floor_rows["GET /ping (floor)"],
        "ping_in_mix": in_mix,
        "rows": rows,
        "errors": sum(len(v) for v in mix.errors.values()) + sum(len(v) for v in floor.errors.values()),
        "rps": sum(r["rps"] for r in rows.values()),
    }


TARGETS = {"queue (API)": 5, "submit": 5}  # the target; every other endpoint is printed for information


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="scale 1 data, 5 s phases")
    parser.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="length of each phase (default: paced 120, saturation 30; quick 5). At 20 req/s, 120 s gives ~200"
        " samples per endpoint: with 30 s (~50), a p95 was the third-slowest request and moved 5.8x-9x between runs",
    )
    parser.add_argument("--threads", type=int, default=8, help="concurrent virtual users per phase")
    parser.add_argument(
        "--rate", type=float, default=20, help="total requests/s the users offer in the paced phases (default 20)"
    )
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (default 3, as deployed)")
    parser.add_argument("--paced-only", action="store_true", help="skip the saturation run")
    args = parser.parse_args()
    seconds = args.seconds or (5 if args.quick else 120)
    saturation_seconds = args.seconds or (5 if args.quick else 30)
    db_name = "om_bench_load_quick" if args.quick else "om_bench_load"
    # Every run approves a few hundred queue items: start from a fresh seed once a region's queue runs low.
    left = psql(
        db_name,
        "SELECT min(n) FROM (SELECT count(*) FILTER (WHERE state = 'submitted' AND claimed_by_id IS NULL) AS n "
        "FROM ordermgmt_region r LEFT JOIN approvals_submission s ON s.region_id = r.code GROUP BY r.code) q",
    )
    if left and int(left) < (60 if args.quick else 400):
        print(f"a region's queue is down to {left} unclaimed items: re-seeding {db_name}", flush=True)
        drop_database(db_name)
    setup_django(db_name)
    data = prepare(scale=1 if args.quick else 10)
    from django.urls import Resolver404, resolve

    try:
        resolve("/api/kpis/")
        kpis = True
    except Resolver404:
        kpis = False

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
        "DJANGO_CACHE_URL": f"redis://{HOST}:{redis_port}/1",  # one KPI cache for the workers, as deployed
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "ordermgmt.wsgi",
            "-w",
            str(args.workers),
            "-b",
            f"{HOST}:{port}",
            "--log-level",
            "warning",
            "--access-logfile",
            access_log,
            "--access-logformat",
            "%(m)s %(U)s %(q)s %(D)s",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for(port)
        # Warm-up, not measured: every gunicorn worker imports, compiles templates and fills its per-process caches
        # on its first requests of each kind; with ~50 samples per endpoint those few would be the p95.
        run_phase(
            lambda fn, http, arg, stop: fn(http, arg, stop),
            build_mix(port, data, args.threads, Recorder(), kpis),
            2 if args.quick else 6,
        )
        data = prepare(scale=1 if args.quick else 10)
        paced = measure(port, data, args.threads, seconds, args.rate, kpis, log)
        saturated = None
        if not args.paced_only:
            # The specialists' items were claimed and approved in the paced phase: deal fresh ones for saturation.
            data = prepare(scale=1 if args.quick else 10)
            saturated = measure(port, data, args.threads, saturation_seconds, 0, kpis, log)
        print()
        for name in sorted(paced["rows"]):
            target = TARGETS.get(name)
            if target:
                report(
                    f"load p95 {name} vs /ping p95, {args.rate:.0f} req/s",
                    paced["rows"][name]["p95"],
                    paced["floor"]["p95"],
                    "ms",
                    target,
                )
            else:
                ratio = paced["rows"][name]["p95"] / paced["floor"]["p95"]
                print(
                    f"RESULT | load p95 {name} vs /ping p95, {args.rate:.0f} req/s | {paced['rows'][name]['p95']:.2f}"
                    f" ms | baseline {paced['floor']['p95']:.2f} ms | ratio {ratio:.2f}x | info"
                )
        # Where the time goes (information): the same p95 against GET /ping sent alongside the mix (the mix's own
        # contention on 2 shared cores), and gunicorn's time for the request (without the client and loopback).
        in_mix = paced["ping_in_mix"]
        for name in TARGETS:
            row = paced["rows"][name]
            print(
                f"RESULT | load p95 {name} vs /ping p95 in the mix | {row['p95']:.2f} ms | baseline"
                f" {in_mix['p95']:.2f} ms | ratio {row['p95'] / in_mix['p95']:.2f}x | info"
            )
            if "server_p95" in row and "server_p95" in paced["floor"]:
                print(
                    f"RESULT | server-side p95 {name} vs /ping | {row['server_p95']:.2f} ms | baseline"
                    f" {paced['floor']['server_p95']:.2f} ms | ratio {row['server_p95'] / paced['floor']['server_p95']:.2f}x"
                    " | info"
                )
        errors = paced["errors"] + (saturated["errors"] if saturated else 0)
        print(f"RESULT | load errors (all phases) | {errors} | target 0 | {'ok' if errors == 0 else 'MISSED'}")
        if saturated is None:
            return
        for name in ("queue (API)", "submit"):
            ratio = saturated["rows"][name]["p95"] / saturated["floor"]["p95"]
            print(
                f"RESULT | saturation p95 {name} vs /ping p95 | {saturated['rows'][name]['p95']:.2f} ms | baseline "
                f"{saturated['floor']['p95']:.2f} ms | ratio {ratio:.2f}x | info"
            )
        print(
            f"RESULT | saturation throughput mix vs /ping | {saturated['rps']:.0f} req/s | floor "
            f"{saturated['floor']['rps']:.0f} req/s | ratio {saturated['floor']['rps'] / max(saturated['rps'], 1):.1f}x"
            " slower | info"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        redis.terminate()
        redis.wait(timeout=10)
        if os.path.exists(access_log):
            os.remove(access_log)


if __name__ == "__main__":
    random.seed(2026)
    main()
