"""Load: gunicorn as shipped on PostgreSQL with the demo data at 10x, 20 concurrent users in a mix of reps,
specialists and managers, first paced and then open-loop, next to the same users sending `GET /ping`.

    python bench/load.py [--quick] [--users 20] [--rate 20] [--paced-seconds 120] [--open-seconds 30]

Server: `gunicorn ordermgmt.wsgi:application --workers 3` started from the project root, so it reads the shipped
`gunicorn.conf.py` (as the Dockerfile and docker-compose.yml run it), with DEBUG off, persistent database
connections (`DJANGO_CONN_MAX_AGE=60`, the production default) and one Redis cache for the workers
(`DJANGO_CACHE_URL`, as docker-compose.yml ships it); a private redis-server is its cache and broker. The client is
a small stdlib-threads HTTP client on loopback, a new TCP connection per request. Everything listens on 127.0.0.1.

Data: `manage.py seed_demo --scale 10` into om_bench_load (--quick: scale 1 into om_bench_load_quick), seeded once
and reused (re-seeded when a region's queue runs low). Each virtual user is a real demo user: API calls carry a real
token from `POST /api/auth/token/`, pages a session from signing in at /login/ (each once per run: both are
throttled per client address).

The mix (`--users`, default 20: half reps, a quarter specialists, a quarter managers):
- reps: submit, opportunity detail, recall, edit (PATCH), my opportunities (API, 50 rows), rep list (the HTML
  page /opportunities/), each rep on their own records;
- specialists: their queue (`GET /api/queue/`: the region scope of the specialist), claim, approve;
- managers: the queue page (HTML), every region's queue (API), the KPI API (cached: at most 60 s old as shipped,
  so about one request in a few hundred recomputes).

Phases (each preceded by its floor: the same users, the same pacing, sending `GET /ping`, no database):
- warm-up, 6 s, not measured (every worker imports, compiles templates, fills its caches);
- paced, `--paced-seconds` (default 120; floor 60): each user thinks between requests (uniform jitter around
  users/rate s), `--rate` requests/s offered in all (default 20: every person of a ~200-person sales and Order
  Management team clicking every 10 s). ~200 samples per endpoint. This is the latency a person sees: the p95
  budgets are on this phase;
- open-loop, `--open-seconds` (default 30; floor 20): no think time, every user sends its next request as soon as
  the previous answers (with 20 users that is what the machine can serve): the saturation throughput of the mix.
Before each measured phase the script waits (up to 60 s) for other work on the machine to drop below half a core,
and each mix phase prints how the CPU was shared (gunicorn, PostgreSQL, this client, other processes). With the
seeding of a fresh database (~1 minute at 10x), the whole script takes about 6-10 minutes.

Budgets (the issue's; absolute times hold for this 2-core machine only, so each prints its ratio to the floor's
`GET /ping` p95 alongside, for information): 0 errors in all phases; paced p95 of submit, approve and the queue
API <= 75 ms; of the queue page and the rep list <= 150 ms; of the KPI API (cached) <= 50 ms; open-loop throughput
of the mix >= 150 req/s. A missed latency budget prints a cProfile of that request in-process afterwards.
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

from common import ROOT, Wsgi, api_token, drop_database, pct, profile, psql, result, setup_django, wait_for_quiet

HOST = "127.0.0.1"
DEMO_PASSWORD = "demo-pass-2026"

# endpoint -> (p95 budget in ms, what it is): the budgets, on the paced phase.
BUDGETS = {
    "submit": (75, "submit (API, rep)"),
    "approve": (75, "approve (API, specialist)"),
    "queue (API)": (75, "queue API (specialist, own region scope)"),
    "queue page (HTML)": (150, "queue page (HTML, manager)"),
    "rep list (HTML)": (150, "rep list (HTML /opportunities/, rep)"),
    "kpis (API)": (50, "KPI API (cached, manager)"),
}
THROUGHPUT_BUDGET = 150  # req/s of the mix, open-loop


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
    """One virtual user: an API token for /api/ and a session cookie for pages, a new connection per request."""

    def __init__(self, port: int, recorder: Recorder, token: str | None = None):
        self.port, self.recorder, self.token, self.cookies = port, recorder, token, {}
        self.stop: threading.Event | None = None  # the phase's end: a user stops at once, even mid-way a cycle
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
            if self.stop is not None and self.stop.is_set():
                return b"{}"
        api = path.startswith("/api/") and self.token
        headers = {"Accept": "application/json" if api else "text/html"}
        if api:
            headers["Authorization"] = f"Token {self.token}"
        elif self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = json.dumps(body) if api else urlencode(body)
            headers["Content-Type"] = "application/json" if api else "application/x-www-form-urlencoded"
            if not api:
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

    def login(self, username: str, password: str = DEMO_PASSWORD) -> None:
        page = self.call("", "GET", "/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        self.call(
            "", "POST", "/login/", {"username": username, "password": password, "csrfmiddlewaretoken": token}, (302,)
        )
        assert "sessionid" in self.cookies, f"{username} could not sign in"


# --- who does what -------------------------------------------------------------------------------------------------


def seed(scale: float) -> None:
    from django.core.management import call_command

    from ordermgmt.models import Opportunity

    if not Opportunity.objects.exists():
        print(f"seeding the demo data at scale {scale:g} …", flush=True)
        started = time.perf_counter()
        call_command("seed_demo", "--scale", str(scale))
        print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)


class Cast:
    """The demo users of the mix, each with a real API token (fetched once: the sign-in is throttled)."""

    def __init__(self, wsgi: Wsgi):
        from ordermgmt.models import User

        self.wsgi = wsgi
        self.tokens: dict[str, str] = {}
        self.sessions: dict[str, dict] = {}
        by_role = defaultdict(list)
        for username, role, region in (
            User.objects.filter(is_active=True).order_by("pk").values_list("username", "role", "region_id")
        ):
            by_role[role].append((username, region))
        self.reps, self.specialists, self.managers = by_role["sales_rep"], by_role["specialist"], by_role["manager"]

    def token(self, username: str) -> str:
        if username not in self.tokens:
            self.tokens[username] = api_token(self.wsgi, username, DEMO_PASSWORD)
        return self.tokens[username]

    def session(self, port: int, username: str) -> dict:
        """A signed-in session's cookies (one sign-in per person for the whole run: /login/ is throttled)."""
        if username not in self.sessions:
            http = Http(port, Recorder())
            http.login(username)
            self.sessions[username] = dict(http.cookies)
        return dict(self.sessions[username])

    def get(self, username: str, path: str) -> dict:
        status, body = self.wsgi.get(path, token=self.token(username))
        assert status == 200, (path, status, body[:300])
        return json.loads(body)


def prepare(cast: Cast, reps_wanted: int) -> dict:
    """Per virtual user, the objects it works on (disjoint, so no user waits on another's row), read through the API
    as the user: a rep's drafts ready to submit (every booking requirement met) and one to edit; a specialist's
    unclaimed items of their region, dealt out between the specialists of a region."""
    work = []  # per rep: (username, drafts ready to submit, other drafts to edit)
    for username, _region in cast.reps:
        drafts = cast.get(username, "/api/opportunities/?approval_status=draft&page_size=100")["results"]
        ready = [
            o["id"]
            for o in drafts
            if o["stage"] == "6-awaiting_signature" and all(r["met"] for r in o["booking_requirements"])
        ]
        work.append((username, ready, [o["id"] for o in drafts if o["id"] not in ready]))
    reps = []
    for nth in (0, 1):  # a second thread per rep only when there are not enough reps with work
        for username, ready, others in work:
            if len(reps) < reps_wanted and len(ready) > nth and len(others) > nth:
                reps.append({"username": username, "submit": ready[nth], "edit": others[nth]})
    specialists = []
    for username, region in cast.specialists:
        waiting, url = [], "/api/queue/?page_size=200"
        while url and len(waiting) < 600:
            page = cast.get(username, url)
            waiting += [r["opportunity"] for r in page["results"] if r["claimed_by"] is None and r["region"] == region]
            url = page["next"] and page["next"].split(f"{HOST}:8000", 1)[-1]
        specialists.append({"username": username, "region": region, "decide": waiting})
    by_region = defaultdict(list)
    for spec in specialists:
        by_region[spec["region"]].append(spec)
    for members in by_region.values():
        for index, spec in enumerate(members):
            spec["decide"] = spec["decide"][index :: len(members)]
    return {"reps": reps, "specialists": specialists, "managers": [{"username": u} for u, _ in cast.managers[:3]]}


def rep_user(http: Http, rep: dict, stop: threading.Event) -> None:
    """submit, detail, recall, edit, list (API), list (page); each rep starts at another of the steps that keep the
    opportunity's state consistent, so a short phase still samples every endpoint."""
    steps = [
        lambda n: http.call("submit", "POST", f"/api/opportunities/{rep['submit']}/submit/", {}),
        lambda n: http.call("opportunity detail", "GET", f"/api/opportunities/{rep['submit']}/"),
        lambda n: http.call("recall", "POST", f"/api/opportunities/{rep['submit']}/recall/", {}),
        lambda n: http.call(
            "edit (PATCH)", "PATCH", f"/api/opportunities/{rep['edit']}/", {"competitors": f"Load {n}"}
        ),
        lambda n: http.call("my opportunities (API)", "GET", "/api/opportunities/?page_size=50"),
        lambda n: http.call("rep list (HTML)", "GET", "/opportunities/"),
    ]
    n = (0, 3, 4, 5)[rep.get("offset", 0) % 4]
    while not stop.is_set():
        steps[n % len(steps)](n)
        n += 1
    if n % len(steps) in (1, 2):  # stopped between submit and recall: leave the draft as it was (not measured)
        http.call("", "POST", f"/api/opportunities/{rep['submit']}/recall/", {}, expect=(200, 409))


def specialist_user(http: Http, spec: dict, stop: threading.Event) -> None:
    todo = list(spec["decide"])
    while not stop.is_set():
        http.call("queue (API)", "GET", "/api/queue/")
        if todo:
            pk = todo.pop(0)
            http.call("claim", "POST", f"/api/opportunities/{pk}/claim/", {})
            http.call("approve", "POST", f"/api/opportunities/{pk}/approve/", {"comment": "ok"})


def manager_user(http: Http, manager: dict, stop: threading.Event) -> None:
    while not stop.is_set():
        http.call("queue page (HTML)", "GET", "/queue/")
        http.call("queue all regions (API)", "GET", "/api/queue/?stage=om")
        http.call("kpis (API)", "GET", "/api/kpis/")


def ping_user(http: Http, _arg, stop: threading.Event, name: str = "GET /ping (floor)") -> None:
    while not stop.is_set():
        http.call(name, "GET", "/ping")


def build_mix(port: int, data: dict, cast: Cast, users: int, recorder: Recorder) -> list:
    """Half reps, a quarter specialists, a quarter managers (20 users: 10, 5, 5); every rep thread works on its own
    records, every specialist thread on its own items; reps and managers sign in for the pages."""
    n_specialists = users // 4
    n_managers = users // 4
    n_reps = users - n_specialists - n_managers
    mix = []
    for index, rep in enumerate(data["reps"][:n_reps]):
        rep = {**rep, "offset": index}
        http = Http(port, recorder, cast.token(rep["username"]))
        http.cookies = cast.session(port, rep["username"])
        mix.append((rep_user, http, rep))
    for i in range(n_specialists):
        spec = data["specialists"][i % len(data["specialists"])]
        if i >= len(data["specialists"]):
            spec = {**spec, "decide": []}  # a second thread of the same person only reads
        mix.append((specialist_user, Http(port, recorder, cast.token(spec["username"])), spec))
    for i in range(n_managers):
        manager = data["managers"][i % len(data["managers"])]
        http = Http(port, recorder, cast.token(manager["username"]))
        http.cookies = cast.session(port, manager["username"])
        mix.append((manager_user, http, manager))
    return mix


def run_phase(users: list, seconds: float) -> float:
    stop = threading.Event()
    for _fn, client, _arg in users:
        client.stop = stop
    threads = [threading.Thread(target=fn, args=(http, arg, stop), daemon=True) for fn, http, arg in users]
    start = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    return time.perf_counter() - start


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


# --- figures -----------------------------------------------------------------------------------------------------


def table(recorder: Recorder, elapsed: float, server: dict[str, list[float]]) -> dict[str, dict]:
    """Client-side figures per endpoint, with gunicorn's own time for the same requests next to them (from reading
    the request to writing the response: the difference is the client and the loopback)."""
    rows = {}
    print(
        f"{'endpoint':28} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6}"
        "   server p50 ms  p95 ms  share of server time"
    )
    total_server = sum(sum(v) for v in server.values()) or 1.0
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
        if server.get(name):
            row["server_p50"], row["server_p95"] = statistics.median(server[name]), pct(server[name], 95)
            row["server_share"] = sum(server[name]) / total_server
            line += f"   {row['server_p50']:>13.1f} {row['server_p95']:>7.1f} {100 * row['server_share']:>20.0f}%"
        print(line)
    return rows


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


def measure(
    port,
    data,
    cast,
    users: int,
    seconds: float,
    floor_seconds: float,
    rate: float,
    log: AccessLog,
    cpu: CpuMeter,
    quiet_wait: float = 60,
) -> dict:
    """One floor phase (GET /ping) and one mix phase with the same number of users and pacing; `rate` is the total
    requests/s all users aim at together (0: open loop, back to back). The mix phase has one more user sending
    GET /ping at the same pace, to show what the mix's own traffic does to a trivial request (information)."""
    interval = users / rate if rate else 0.0
    label = f"paced, {rate:.0f} req/s offered" if rate else "open loop (back to back)"
    floor = Recorder()
    pingers = [(ping_user, Http(port, floor), None) for _ in range(users)]
    for index, (_fn, client, _arg) in enumerate(pingers):
        client.pace(interval, seed=index)
    wait_for_quiet(max_wait=quiet_wait, label="the floor phase")
    log.mark()
    elapsed = run_phase(pingers, floor_seconds)
    server = log.since_mark()
    server["GET /ping (floor)"] = server.pop("GET /ping", [])
    print(f"\nfloor: GET /ping, {users} users, {label}, {elapsed:.0f} s")
    floor_rows = table(floor, elapsed, server)

    mix = Recorder()
    clients = build_mix(port, data, cast, users, mix)
    clients.append(
        (lambda http, arg, stop: ping_user(http, arg, stop, "GET /ping (in the mix)"), Http(port, mix), None)
    )
    for index, (_fn, client, _arg) in enumerate(clients):
        client.pace(interval, seed=100 + index)
    wait_for_quiet(max_wait=quiet_wait, label="the mix phase")
    log.mark()
    before = cpu.snapshot()
    elapsed = run_phase(clients, seconds)
    cpu_note = CpuMeter.report(before, cpu.snapshot())
    server = log.since_mark()
    server["GET /ping (in the mix)"] = server.pop("GET /ping", [])
    kinds = defaultdict(int)
    for fn, _http, _arg in clients[:-1]:
        kinds[fn.__name__] += 1
    print(
        f"\nmix: {len(clients) - 1} users ({kinds['rep_user']} reps, {kinds['specialist_user']} specialists,"
        f" {kinds['manager_user']} managers) + 1 sending GET /ping, {label}, {elapsed:.0f} s"
    )
    rows = table(mix, elapsed, server)
    print(cpu_note)
    for name, messages in mix.errors.items():
        for message in messages[:3]:
            print(f"  error {name}: {message}")
    in_mix = rows.pop("GET /ping (in the mix)")
    return {
        "floor": floor_rows["GET /ping (floor)"],
        "ping_in_mix": in_mix,
        "rows": rows,
        "requests": sum(r["n"] for r in rows.values()) + in_mix["n"] + floor_rows["GET /ping (floor)"]["n"],
        "errors": sum(len(v) for v in mix.errors.values()) + sum(len(v) for v in floor.errors.values()),
        "rps": sum(r["rps"] for r in rows.values()),
        "cpu": cpu_note,
    }


# --- where the time goes, for a missed budget ---------------------------------------------------------------------


def undecided(cast: Cast, spec: dict, n: int) -> list[int]:
    """`n` unclaimed items of the specialist's region, read from their queue now (for a profile after the phases)."""
    page = cast.get(spec["username"], "/api/queue/?page_size=200")
    return [r["opportunity"] for r in page["results"] if r["claimed_by"] is None and r["region"] == spec["region"]][:n]


def profile_endpoint(name: str, wsgi: Wsgi, cast: Cast, data: dict) -> None:
    """cProfile the endpoint in this process, through the same WSGI stack (against the same database, server
    stopped): the top frames say where its time goes."""
    rep, spec, manager = data["reps"][0], data["specialists"][0], data["managers"][0]["username"]
    title = f"{name}, in-process"
    if name == "submit":
        token = cast.token(rep["username"])

        def submit_recall():
            wsgi.call("POST", f"/api/opportunities/{rep['submit']}/submit/", token=token, body={})
            wsgi.call("POST", f"/api/opportunities/{rep['submit']}/recall/", token=token, body={})

        profile(submit_recall, repeat=20, title=title + " (submit + recall)")
    elif name == "approve":
        token, items = cast.token(spec["username"]), undecided(cast, spec, 20)

        def claim_approve():
            pk = items.pop()
            wsgi.call("POST", f"/api/opportunities/{pk}/claim/", token=token, body={})
            wsgi.call("POST", f"/api/opportunities/{pk}/approve/", token=token, body={"comment": "ok"})

        profile(claim_approve, repeat=len(items), title=title + " (claim + approve)")
    elif name == "queue (API)":
        token = cast.token(spec["username"])
        profile(lambda: wsgi.get("/api/queue/", token=token), repeat=30, title=title)
    elif name == "kpis (API)":
        token = cast.token(manager)
        profile(lambda: wsgi.get("/api/kpis/", token=token), repeat=30, title=title)
    elif name == "queue page (HTML)":
        cookie = Wsgi.session_cookie(manager)
        profile(lambda: wsgi.get("/queue/", cookie=cookie), repeat=20, title=title)
    elif name == "rep list (HTML)":
        cookie = Wsgi.session_cookie(rep["username"])
        profile(lambda: wsgi.get("/opportunities/", cookie=cookie), repeat=20, title=title)


def profile_mix(wsgi: Wsgi, cast: Cast, data: dict) -> None:
    """For a missed throughput: cProfile one cycle of every role's requests (a rep's six, a specialist's three, a
    manager's three), in-process through the WSGI stack, repeated: where the mix's server time goes."""
    rep, spec, manager = data["reps"][0], data["specialists"][0], data["managers"][0]["username"]
    rep_token, spec_token, manager_token = (cast.token(u) for u in (rep["username"], spec["username"], manager))
    rep_cookie, manager_cookie = Wsgi.session_cookie(rep["username"]), Wsgi.session_cookie(manager)
    items = undecided(cast, spec, 10)

    def cycle():
        wsgi.call("POST", f"/api/opportunities/{rep['submit']}/submit/", token=rep_token, body={})
        wsgi.get(f"/api/opportunities/{rep['submit']}/", token=rep_token)
        wsgi.call("POST", f"/api/opportunities/{rep['submit']}/recall/", token=rep_token, body={})
        wsgi.call("PATCH", f"/api/opportunities/{rep['edit']}/", token=rep_token, body={"competitors": "Profile"})
        wsgi.get("/api/opportunities/?page_size=50", token=rep_token)
        wsgi.get("/opportunities/", cookie=rep_cookie)
        wsgi.get("/api/queue/", token=spec_token)
        pk = items.pop()
        wsgi.call("POST", f"/api/opportunities/{pk}/claim/", token=spec_token, body={})
        wsgi.call("POST", f"/api/opportunities/{pk}/approve/", token=spec_token, body={"comment": "ok"})
        wsgi.get("/queue/", cookie=manager_cookie)
        wsgi.get("/api/queue/?stage=om", token=manager_token)
        wsgi.get("/api/kpis/", token=manager_token)

    profile(cycle, repeat=min(10, len(items)), limit=40, title="the mix: one cycle of each role (12 requests)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="scale 1 data, 3-4 s phases")
    parser.add_argument("--users", type=int, default=20, help="concurrent virtual users (default 20)")
    parser.add_argument("--rate", type=float, default=20, help="total requests/s offered in the paced phase")
    parser.add_argument("--paced-seconds", type=float, default=None, help="paced mix phase (default 120; quick 4)")
    parser.add_argument("--open-seconds", type=float, default=None, help="open-loop mix phase (default 30; quick 4)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3, as shipped)")
    args = parser.parse_args()
    paced_seconds = args.paced_seconds or (4 if args.quick else 120)
    open_seconds = args.open_seconds or (4 if args.quick else 30)
    floor_paced, floor_open = (3, 3) if args.quick else (60, 20)
    scale = 1 if args.quick else 10
    db_name = "om_bench_load_quick" if args.quick else "om_bench_load"
    # Every run approves a few hundred queue items: start from a fresh seed once a region's queue runs low.
    left = psql(
        db_name,
        "SELECT min(n) FROM (SELECT count(*) FILTER (WHERE state = 'submitted' AND claimed_by_id IS NULL) AS n "
        "FROM ordermgmt_region r LEFT JOIN approvals_submission s ON s.region_id = r.code GROUP BY r.code) q",
    )
    if left and int(left) < (20 if args.quick else 150):
        print(f"a region's queue is down to {left} unclaimed items: re-seeding {db_name}", flush=True)
        drop_database(db_name)
    setup_django(db_name)
    seed(scale)
    wsgi = Wsgi()
    cast = Cast(wsgi)
    n_reps = args.users - 2 * (args.users // 4)
    data = prepare(cast, n_reps)
    print(
        f"users: {len(data['reps'])} rep threads with work, {len(data['specialists'])} specialists "
        f"({sum(len(s['decide']) for s in data['specialists'])} items to decide), {len(data['managers'])} managers",
        flush=True,
    )

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
            str(args.workers),
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
    missed, open_loop = [], {"rps": THROUGHPUT_BUDGET}
    try:
        wait_for(port)
        run_phase(build_mix(port, data, cast, args.users, Recorder()), 2 if args.quick else 6)  # warm-up
        data = prepare(cast, n_reps)
        cpu = CpuMeter(server.pid)
        quiet = 0 if args.quick else 60  # wait up to this long for other work on the machine to calm down
        paced = measure(port, data, cast, args.users, paced_seconds, floor_paced, args.rate, log, cpu, quiet)
        data = prepare(cast, n_reps)  # the paced phase decided the specialists' items: deal fresh ones
        open_loop = measure(port, data, cast, args.users, open_seconds, floor_open, 0, log, cpu, quiet)
        print()
        floor = paced["floor"]
        for name, (budget, what) in BUDGETS.items():
            row = paced["rows"].get(name)
            if row is None:
                result(f"load p95 {what}, paced", "no requests", f"<= {budget} ms", False, "-")
                missed.append(name)
                continue
            ok = row["p95"] <= budget
            if not ok:
                missed.append(name)
            result(
                f"load p95 {what}, paced {args.rate:.0f} req/s, {args.users} users",
                f"{row['p95']:.1f} ms",
                f"<= {budget} ms",
                ok,
                f"GET /ping p95 {floor['p95']:.1f} ms ({row['p95'] / floor['p95']:.1f}x); server-side p95 "
                f"{row.get('server_p95', float('nan')):.1f} ms; {row['n']} requests",
            )
        errors = paced["errors"] + open_loop["errors"]
        result(
            "load errors, all phases",
            str(errors),
            "0",
            errors == 0,
            f"{paced['requests'] + open_loop['requests']:,} requests",
        )
        result(
            f"load open-loop throughput of the mix, {args.users} users back to back",
            f"{open_loop['rps']:.0f} req/s",
            f">= {THROUGHPUT_BUDGET} req/s",
            open_loop["rps"] >= THROUGHPUT_BUDGET,
            f"GET /ping {open_loop['floor']['rps']:.0f} req/s with the same users"
            f" ({open_loop['floor']['rps'] / max(open_loop['rps'], 1):.0f}x)",
        )
        for name, row in sorted(paced["rows"].items()):
            if name not in BUDGETS:
                result(
                    f"load p95 {name}, paced",
                    f"{row['p95']:.1f} ms",
                    "-",
                    None,
                    f"GET /ping p95 {floor['p95']:.1f} ms ({row['p95'] / floor['p95']:.1f}x)",
                )
        in_mix = paced["ping_in_mix"]
        result(
            "load p95 GET /ping sent during the paced mix",
            f"{in_mix['p95']:.1f} ms",
            "-",
            None,
            f"floor p95 {floor['p95']:.1f} ms (the mix's own contention on 2 cores)",
        )
        for name in ("submit", "approve", "queue (API)"):
            row = open_loop["rows"].get(name)
            if row:
                result(
                    f"load p95 {name}, open loop",
                    f"{row['p95']:.1f} ms",
                    "-",
                    None,
                    f"GET /ping p95 {open_loop['floor']['p95']:.1f} ms",
                )
    finally:
        server.terminate()
        server.wait(timeout=30)
        redis.terminate()
        redis.wait(timeout=10)
        if os.path.exists(access_log):
            os.remove(access_log)
    for name in missed:
        if name in paced["rows"]:
            profile_endpoint(name, wsgi, cast, data)
    if open_loop["rps"] < THROUGHPUT_BUDGET:
        print(f"open loop: {open_loop['cpu']}")
        shares = sorted(open_loop["rows"].items(), key=lambda kv: -kv[1].get("server_share", 0))
        print(
            "open loop, share of gunicorn's time by endpoint: "
            + ", ".join(f"{name} {100 * row.get('server_share', 0):.0f}%" for name, row in shares)
        )
        profile_mix(wsgi, cast, data)


if __name__ == "__main__":
    random.seed(2026)
    main()
