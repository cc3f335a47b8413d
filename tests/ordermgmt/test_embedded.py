"""`make run`'s embedded defaults (SQLite, filesystem broker): migrate, seed the demo data, sign in, use the product.

The rest of the suite runs on PostgreSQL; this guards the path a new developer takes first.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("seed_demo", verbosity=0)
from django.test import Client
client = Client()
response = client.post("/login/", {"username": "rep_amer1", "password": "demo-pass-2026"})
assert response.status_code == 302, response.status_code
assert client.get("/opportunities/").status_code == 200
opp = client.get("/api/opportunities/?page_size=1").json()["results"][0]
assert client.patch(f"/api/opportunities/{opp['id']}/", {"name": "Renamed on SQLite"},
                    content_type="application/json").status_code in (200, 409)
# Submit for approval (the locked read's extra columns are plain SQL on SQLite too).
from approvals.requirements import Deal, evaluate
from ordermgmt.models import User as U
from approvals.selectors import opportunity_list
drafts = opportunity_list(user=U.objects.get(username="rep_amer1"))
drafts = drafts.filter(approval_status="draft", stage="6-awaiting_signature")
ready = next(o for o in drafts if all(r.met for r in evaluate(Deal.of(o))))
response = client.post(f"/api/opportunities/{ready.pk}/submit/", content_type="application/json")
assert response.status_code == 200, response.content
assert ready.submissions.get().sequence == 1
spec = Client()
assert spec.post("/login/", {"username": "specialist_amer", "password": "demo-pass-2026"}).status_code == 302
assert spec.get("/queue/").status_code == 200
assert len(spec.get("/api/queue/?page_size=200").json()["results"]) > 0  # the demo queue is not empty
from ordermgmt.services import api_token_issue
key = api_token_issue(user=U.objects.get(username="specialist_amer"))[1]
assert len(Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/queue/").json()["results"]) > 0
assert Client(HTTP_AUTHORIZATION="Token not-a-token").get("/api/queue/").status_code == 401
# The scheduled jobs on SQLite: the license review runs; reconciliation fails cleanly, saying it needs PostgreSQL.
from licenses.services import license_review_run
license_review_run(region="AMER")
from ordermgmt.models import User
from subscriptions.models import ReconciliationRun
from subscriptions.services import reconciliation_run_create, reconciliation_run_execute
run = reconciliation_run_create(kind="renewals", actor=User.objects.get(username="manager"), enqueue=False)
run = reconciliation_run_execute(run_id=run.pk)
assert run.status == "failed" and "PostgreSQL" in run.error, (run.status, run.error)
print("EMBEDDED OK")
"""


def test_embedded_defaults_migrate_seed_sign_in_and_serve(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "ordermgmt.settings.local",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
            "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1",
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert "EMBEDDED OK" in result.stdout
