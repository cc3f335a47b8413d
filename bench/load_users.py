"""The load test's clients: a small stdlib-threads HTTP client (a new TCP connection per request, paced by think
time), the demo users it plays (real API tokens, signed-in sessions), the work dealt out to them, and what each role
does in a loop.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import threading
import time
from collections import defaultdict
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from common import Wsgi, api_token

HOST = "127.0.0.1"
DEMO_PASSWORD = "demo-pass-2026"


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
