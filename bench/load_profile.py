"""Where the load test's time goes, for a missed budget: cProfile of one endpoint, or of one cycle of every role's
requests, in-process through the same WSGI stack against the same database (the server stopped)."""

from __future__ import annotations

from common import Wsgi
from load_users import Cast
from measure import profile


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
