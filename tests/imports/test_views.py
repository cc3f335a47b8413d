"""The import pages and the command: upload queues a dry run, bad files answer 400 naming the problem, the run page
shows the rows and the error report, importing a dry run queues the real run through the outbox; who may do it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from imports import services
from imports.models import ImportRun
from ordermgmt.models import Opportunity, OutboxMessage, User
from tests.imports import files
from tests.ordermgmt.factories import ManagerFactory, RepFactory, UserFactory

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(client, data: bytes, name: str = "export.csv"):
    return client.post("/imports/", {"file": SimpleUploadedFile(name, data, content_type="text/csv")})


def test_uploading_queues_a_dry_run_through_the_outbox_and_shows_its_page(django_capture_on_commit_callbacks):
    manager = ManagerFactory()
    rep = RepFactory(email="ann@example.com")
    client = _client(manager)

    with django_capture_on_commit_callbacks() as callbacks:
        response = _upload(client, files.to_csv([files.good_row(1, rep.email)]))

    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/runs/{run.pk}/"
    assert (run.dry_run, run.status, run.total, run.created_by) == (True, "queued", 1, manager)
    assert OutboxMessage.objects.filter(task="imports.tasks.import_run_execute", kwargs={"run_id": run.pk}).exists()
    assert len(callbacks) == 1
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b'data-status="queued"' in page.content
    assert b"hx-get" in page.content


def test_the_run_page_lists_refused_rows_and_the_error_report_names_column_and_reason():
    manager = ManagerFactory()
    rep = RepFactory(email="ann@example.com")
    records, bad = files.rows(20, [rep.email])
    run = services.import_run_create(actor=manager, filename="x.csv", data=files.to_csv(records), enqueue=False)
    services.import_run_execute(run_id=run.pk)
    client = _client(manager)

    page = client.get(f"/imports/runs/{run.pk}/?outcome=refused").content.decode()
    report = client.get(f"/imports/runs/{run.pk}/errors.csv")

    assert "Import 20 rows (2 will be refused)" in page
    assert page.count('data-outcome="refused"') == 2
    lines = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode("utf-8-sig"))))
    assert lines[0] == ["line", "Salesforce Id", "Opportunity Name", "column", "reason"]
    assert [(line[0], line[3]) for line in lines[1:]] == [("10", "Amount"), ("20", "Close Date")]
    assert "required" in lines[1][4]
    assert "31.02.2026" in lines[2][4]


def test_importing_a_finished_dry_run_queues_the_real_run_once():
    manager = ManagerFactory()
    rep = RepFactory(email="ann@example.com")
    dry = services.import_run_create(
        actor=manager, filename="x.csv", data=files.to_csv([files.good_row(1, rep.email)]), enqueue=False
    )
    services.import_run_execute(run_id=dry.pk)
    client = _client(manager)

    first = client.post(f"/imports/runs/{dry.pk}/import/")
    second = client.post(f"/imports/runs/{dry.pk}/import/")  # a double click

    real = ImportRun.objects.get(dry_run=False)
    assert first["Location"] == second["Location"] == f"/imports/runs/{real.pk}/"
    assert (real.dry_run_of, real.status, real.content) == (dry, "queued", dry.content)
    services.import_run_execute(run_id=real.pk)
    assert Opportunity.objects.count() == 1


def test_a_dry_run_still_checking_cannot_be_imported():
    manager = ManagerFactory()
    dry = services.import_run_create(
        actor=manager, filename="x.csv", data=files.to_csv([files.good_row(1, "a@b.example")]), enqueue=False
    )

    response = _client(manager).post(f"/imports/runs/{dry.pk}/import/", follow=True)

    assert b"Only a finished dry run can be imported." in response.content
    assert not ImportRun.objects.filter(dry_run=False).exists()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"Name,Amount\nx,1\n", "x.csv", "Missing column(s): Opportunity ID"),
        (b"{oops", "x.json", "Not valid JSON"),
        (b"", "x.csv", "The submitted file is empty."),
    ],
)
def test_a_bad_file_answers_400_naming_the_problem(data, name, message):
    response = _upload(_client(ManagerFactory()), data, name)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ImportRun.objects.exists()


def test_a_rep_sees_only_their_own_runs_and_other_roles_none():
    ann, bob = RepFactory(email="ann@example.com"), RepFactory(email="bob@example.com")
    run = services.import_run_create(
        actor=bob, filename="bob.csv", data=files.to_csv([files.good_row(1, bob.email)]), enqueue=False
    )
    services.import_run_execute(run_id=run.pk)

    assert _client(bob).get(f"/imports/runs/{run.pk}/").status_code == 200
    assert _client(ann).get(f"/imports/runs/{run.pk}/").status_code == 404
    assert _client(ann).get(f"/imports/runs/{run.pk}/errors.csv").status_code == 404
    assert _client(ann).post(f"/imports/runs/{run.pk}/import/").status_code == 404
    assert b"bob.csv" not in _client(ann).get("/imports/").content
    assert b"bob.csv" in _client(UserFactory(role=User.Role.DEAL_DESK, region=None)).get("/imports/").content
    for role in ("specialist", "billing", "support_engineering"):
        other = UserFactory(role=role) if role == "specialist" else UserFactory(role=role, region=None)
        assert _client(other).get("/imports/").status_code == 403
        assert _client(other).get(f"/imports/runs/{run.pk}/").status_code == 403


def test_the_navbar_links_the_import_page_for_the_roles_that_import():
    deal_desk = UserFactory(role=User.Role.DEAL_DESK, region=None)
    assert b'href="/imports/"' in _client(deal_desk).get("/cases/").content
    assert b'href="/imports/"' in _client(ManagerFactory()).get("/cases/").content
    assert b'href="/imports/"' in _client(RepFactory()).get("/cases/").content
    assert b'href="/imports/"' not in _client(UserFactory(role=User.Role.BILLING, region=None)).get("/cases/").content


@pytest.mark.parametrize("sample", ["opportunities.csv", "opportunities.json"])
def test_the_shipped_samples_import_with_three_refusals(sample, capsys):
    for username in ("rep_amer1", "rep_emea1", "rep_apac1"):
        region = username.split("_")[1][:4].upper()
        RepFactory(username=username, email=f"{username}@example.com", region_id=region)

    call_command("import_opportunities", str(SAMPLES / sample), "--dry-run")
    dry_out = capsys.readouterr().out
    call_command("import_opportunities", str(SAMPLES / sample))
    real_out = capsys.readouterr().out
    call_command("import_opportunities", str(SAMPLES / sample))
    again_out = capsys.readouterr().out

    assert "Dry run (nothing written)" in dry_out
    assert "created 5" in dry_out
    assert "refused 3" in dry_out
    assert "created 5" in real_out
    assert "refused 3" in real_out
    assert "unchanged 5" in again_out
    assert "created 0" in again_out
    assert "Owner" in dry_out
    assert "Close" in dry_out
    assert "Stage" in dry_out
    regions = dict(Opportunity.objects.values_list("account__name", "region_id").distinct())
    assert regions == {"Northwind Traders": "AMER", "Contoso GmbH": "EMEA", "Fabrikam Pty": "APAC"}


def test_the_command_writes_the_error_report(tmp_path):
    RepFactory(email="ann@example.com")
    records, _ = files.rows(10, ["ann@example.com"])
    source, report = tmp_path / "in.csv", tmp_path / "errors.csv"
    source.write_bytes(files.to_csv(records))

    call_command("import_opportunities", str(source), "--dry-run", "--errors", str(report))

    lines = list(csv.reader(report.open(encoding="utf-8-sig")))
    assert lines[1][0] == "10"
    assert lines[1][3] == "Amount"


def test_hostile_files_answer_400_and_the_error_report_defuses_formulas():
    client = _client(ManagerFactory())
    assert _upload(client, b"[" * 100_000, "deep.json").status_code == 400
    assert _upload(client, b"x" * (services.MAX_BYTES + 1), "big.csv").status_code == 400
    ragged = _upload(client, files.to_csv([files.good_row(1, "a@b.example")], footer=False) + b"x," * 20 + b"\n")
    assert ragged.status_code == 400
    assert b"more cells than the header row" in ragged.content
    nul = files.to_csv([files.good_row(1, "a@b.example")]).replace(b"Deal 1", b"Deal\x001")
    assert _upload(client, nul).status_code == 302  # NUL dropped, not a 500

    record = files.good_row(1, "nobody@nowhere.example")
    record["Opportunity Name"] = '=HYPERLINK("http://evil.example","click")'
    run = services.import_run_create(
        actor=ManagerFactory(), filename="x.csv", data=files.to_csv([record]), enqueue=False
    )
    services.import_run_execute(run_id=run.pk)
    report = b"".join(client.get(f"/imports/runs/{run.pk}/errors.csv").streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in report


@pytest.mark.parametrize("url", ["/admin/imports/importrun/?status__exact=done", "/admin/imports/externalref/?q=006"])
def test_the_admin_lists_runs_and_mappings_read_only(url):
    manager = ManagerFactory(is_staff=True, is_superuser=True)
    services.import_run_execute(
        run_id=services.import_run_create(
            actor=manager, filename="x.csv", data=files.to_csv([files.good_row(1, "a@b.example")]), enqueue=False
        ).pk
    )

    response = _client(manager).get(url)

    assert response.status_code == 200
    assert b" to view | " in response.content  # read-only: "Select ... to view", not "to change"
