"""The import of a Salesforce export: a dry run and the real run agree row by row, bad rows are refused with the
column and the reason, nothing of a refused row is saved, and importing the same file again changes nothing."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone

from imports import services
from imports.models import ExternalRef, ImportRow, ImportRun
from ordermgmt.models import Account, Contact, Opportunity, OpportunityEvent, Quote
from tests.imports import files
from tests.ordermgmt.factories import ManagerFactory, RepFactory, UserFactory

pytestmark = pytest.mark.django_db


def _run(actor, data: bytes, *, dry_run: bool, filename: str = "export.csv"):
    run = services.import_run_create(actor=actor, filename=filename, data=data, dry_run=dry_run, enqueue=False)
    return services.import_run_execute(run_id=run.pk)


def _outcomes(run) -> list[tuple]:
    return list(run.rows.order_by("line").values_list("line", "external_id", "outcome", "column", "reason"))


def _world_counts() -> dict[str, int]:
    """Our records, the history, and the audit trail's rows (pghistory: every insert and update of them)."""
    audits = {
        f"audit {name}": apps.get_model("ordermgmt", name).objects.count()
        for name in ("AccountAudit", "ContactAudit", "OpportunityAudit", "QuoteAudit")
    }
    return {
        **audits,
        "accounts": Account.objects.count(),
        "contacts": Contact.objects.count(),
        "opportunities": Opportunity.objects.count(),
        "quotes": Quote.objects.count(),
        "history": OpportunityEvent.objects.count(),
        "refs": ExternalRef.objects.count(),
    }


def test_a_thousand_row_file_dry_run_and_import_agree_and_a_reimport_changes_nothing(capsys):
    # given: two reps and a 1,000-row report export, one row in ten bad in one of seven ways
    reps = [RepFactory(email="ann@example.com"), RepFactory(email="bob@example.com")]
    manager = ManagerFactory()
    records, bad = files.rows(1000, [r.email for r in reps])
    data = files.to_csv(records)
    before = _world_counts()

    # when: a dry run
    started = time.perf_counter()
    dry = _run(manager, data, dry_run=True)
    dry_seconds = time.perf_counter() - started

    # then: it reports every row and writes nothing but its own report
    assert dry.status == "done"
    assert dry.total == 1000
    assert _world_counts() == before
    assert dry.counts["refused"] == len(bad) == 100
    # 50 accounts in the file; the rows of 5 of them (n % 50 in 0, 10, .., 40) are all bad ones
    assert dry.counts["created"] == 900
    assert dry.counts["accounts_created"] == 45

    # when: the real import of the same file
    started = time.perf_counter()
    real = _run(manager, data, dry_run=False)
    real_seconds = time.perf_counter() - started

    # then: the same outcome for every row, and the records exist
    assert real.status == "done"
    assert _outcomes(real) == _outcomes(dry)
    assert real.counts == dry.counts
    after = _world_counts()
    assert after["opportunities"] - before["opportunities"] == 900
    assert after["quotes"] - before["quotes"] == 900
    assert after["accounts"] - before["accounts"] == 45
    assert after["contacts"] - before["contacts"] == 45
    assert after["history"] - before["history"] == 900  # one "imported" line per opportunity

    # and: each bad row is refused naming its column
    refused = {row.line: row for row in real.rows.filter(outcome=ImportRow.Outcome.REFUSED)}
    assert set(refused) == set(bad)
    for line, kind in bad.items():
        assert refused[line].column == files.BAD[kind][2], (line, kind, refused[line].reason)
        assert refused[line].reason

    # when: the same file again (dry run, then real)
    again_dry = _run(manager, data, dry_run=True)
    again = _run(manager, data, dry_run=False)

    # then: nothing is new, nothing changed, no history line
    assert _world_counts() == after
    assert again.counts["unchanged"] == 900
    assert again.counts["refused"] == 100
    assert again.counts["created"] == again.counts["updated"] == 0
    assert _outcomes(again_dry) == _outcomes(again)
    with capsys.disabled():
        print(f"\n1,000 rows: dry run {dry_seconds:.2f} s, import {real_seconds:.2f} s")


def test_an_imported_opportunity_has_its_account_region_owner_quote_and_history():
    rep = RepFactory(email="ann@example.com")
    manager = ManagerFactory()
    record = files.good_row(7, rep.email)
    record["Stage"] = "Negotiation/Review"

    run = _run(manager, files.to_csv([record]), dry_run=False)

    opp = Opportunity.objects.get(pk=run.rows.get().opportunity_id)
    assert (opp.name, opp.stage, opp.amount, opp.owner, opp.type) == (
        "Deal 7",
        "5-negotiating",
        Decimal("1007.50"),
        rep,
        "add_on",
    )
    assert opp.region_id == opp.account.region_id == rep.region_id
    assert str(opp.close_date) == "2026-08-08"  # 8/8/2026, the US report format
    quote = opp.primary_quote
    assert (quote.number, quote.amount, quote.term_months, quote.sold_to_contact.email) == (
        "Q-SF-00007",
        Decimal("1007.50"),
        12,
        "buyer7@account7.example",
    )
    event = opp.events.get()
    assert (event.action, event.actor, event.changes["stage"]) == ("imported", manager, [None, "5-negotiating"])
    assert ExternalRef.objects.get(kind="opportunity", external_id=record["Opportunity ID"]).object_id == opp.pk


def test_a_changed_row_updates_the_opportunity_with_one_history_line():
    rep = RepFactory(email="ann@example.com")
    manager = ManagerFactory()
    record = files.good_row(3, rep.email)
    _run(manager, files.to_csv([record]), dry_run=False)
    opp = Opportunity.objects.get()

    record["Amount"] = "2500.00"
    run = _run(manager, files.to_csv([record]), dry_run=False)

    row = run.rows.get()
    assert row.outcome == "updated"
    assert row.changes["amount"] == ["1003.50", "2500.00"]
    assert row.changes["primary_quote.amount"] == ["1003.50", "2500.00"]
    opp.refresh_from_db()
    assert opp.amount == Decimal("2500.00")
    assert list(opp.events.values_list("action", flat=True)) == ["imported", "reimported"]


def test_an_opportunity_in_approval_is_not_changed_by_an_import():
    rep = RepFactory(email="ann@example.com")
    manager = ManagerFactory()
    record = files.good_row(3, rep.email)
    _run(manager, files.to_csv([record]), dry_run=False)
    Opportunity.objects.update(approval_status="submitted")

    record["Amount"] = "2500.00"
    run = _run(manager, files.to_csv([record]), dry_run=False)

    row = run.rows.get()
    assert (row.outcome, row.column) == ("refused", "Opportunity ID")
    assert "submitted" in row.reason
    assert Opportunity.objects.get().amount == Decimal("1003.50")
    assert Opportunity.objects.get().events.count() == 1


def test_a_refused_row_leaves_nothing_half_saved():
    # the account and contact are new, but the quote number is another opportunity's: the whole row goes
    rep = RepFactory(email="ann@example.com")
    manager = ManagerFactory()
    first = files.good_row(1, rep.email)
    second = files.good_row(2, rep.email, accounts=1000)
    second["Quote Number"] = first["Quote Number"]

    third = files.good_row(3, rep.email, accounts=1000)
    third["Account ID"], third["Account Name"] = second["Account ID"], second["Account Name"]

    run = _run(manager, files.to_csv([first, second, third]), dry_run=False)

    assert list(run.rows.values_list("outcome", "column")) == [
        ("created", ""),
        ("refused", "Quote Number"),
        ("created", ""),  # its account is created again: the refused row's was rolled back, mapping included
    ]
    assert Account.objects.count() == 2
    assert ExternalRef.objects.get(kind="account", external_id=third["Account ID"]).object_id == (
        Opportunity.objects.get(name="Deal 3").account_id
    )


def test_the_json_rest_shape_imports_like_the_csv():
    rep = RepFactory(email="ann@example.com")
    manager = ManagerFactory()
    records, bad = files.rows(70, [rep.email])

    from_json = _run(manager, files.to_json(records), dry_run=True, filename="export.json")
    from_csv = _run(manager, files.to_csv(records), dry_run=True)

    assert from_json.format == "json"
    json_outcomes = [(line, outcome) for line, _, outcome, _, _ in _outcomes(from_json)]
    csv_outcomes = [(line, outcome) for line, _, outcome, _, _ in _outcomes(from_csv)]
    assert json_outcomes == csv_outcomes
    refused = dict(from_json.rows.filter(outcome="refused").values_list("line", "column"))
    assert refused[10] == "Amount"
    assert refused[70] == "Owner.Email"  # a refusal names the column as the file names it


def test_a_rep_imports_only_their_own_opportunities():
    ann = RepFactory(email="ann@example.com")
    RepFactory(email="bob@example.com")
    records = [files.good_row(1, "ann@example.com"), files.good_row(2, "bob@example.com")]

    run = _run(ann, files.to_csv(records), dry_run=False)

    assert list(run.rows.values_list("outcome", "column")) == [("created", ""), ("refused", "Owner Email")]
    assert Opportunity.objects.get().owner == ann


@pytest.mark.parametrize("role", ["specialist", "billing", "support_engineering", "integration"])
def test_other_roles_may_not_import(role):
    from ordermgmt.exceptions import PermissionDeniedError

    user = UserFactory(role=role, region=None) if role != "specialist" else UserFactory(role=role)
    with pytest.raises(PermissionDeniedError):
        services.import_run_create(actor=user, filename="x.csv", data=files.to_csv([]), enqueue=False)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Name,Amount\nx,1\n", "Missing column(s): Opportunity ID, Stage, Close Date, Owner Email, Account Name."),
        (b'{"records": 5}', "Expected Salesforce REST JSON"),
        (b"{not json", "Not valid JSON"),
    ],
)
def test_an_unreadable_file_is_refused_naming_what_is_missing(data, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as raised:
        services.import_run_create(actor=ManagerFactory(), filename="x", data=data, enqueue=False)
    assert message in raised.value.message_dict["file"][0]


def test_a_second_delivery_of_a_running_imports_message_does_nothing():
    # given: a run a live worker is executing (started a moment ago)
    manager = ManagerFactory()
    run = services.import_run_create(
        actor=manager, filename="x.csv", data=files.to_csv([files.good_row(1, "a@b.example")]), enqueue=False
    )
    ImportRun.objects.filter(pk=run.pk).update(status="running", started_at=timezone.now())

    # when: the same message arrives again
    again = services.import_run_execute(run_id=run.pk)

    # then: it is left to that worker
    assert (again.status, again.attempts, again.rows.count()) == ("running", 0, 0)


def test_a_run_whose_worker_died_is_resumed_where_it_stopped():
    # given: an import whose worker died after recording its first chunk, over an hour ago
    rep = RepFactory(email="ann@example.com")
    manager = ManagerFactory()
    records = [files.good_row(n, rep.email) for n in range(1, services.CHUNK + 11)]
    run = services.import_run_create(
        actor=manager, filename="x.csv", data=files.to_csv(records), dry_run=False, enqueue=False
    )
    services.import_run_execute(run_id=run.pk)
    run.rows.filter(line__gt=services.CHUNK).delete()
    ImportRun.objects.filter(pk=run.pk).update(
        status="running", started_at=timezone.now() - timedelta(hours=1), processed=services.CHUNK
    )

    # when: the message comes back
    resumed = services.import_run_execute(run_id=run.pk)

    # then: the rest is recorded (unchanged: it had been written), the first chunk is kept as it was
    assert resumed.status == "done"
    assert resumed.counts["created"] == services.CHUNK
    assert resumed.counts["unchanged"] == 10
    assert Opportunity.objects.count() == services.CHUNK + 10


def test_a_semicolon_separated_latin1_export_reads_like_the_original():
    rep = RepFactory(email="ann@example.com")
    record = files.good_row(1, rep.email)
    record["Account Name"] = "Müller AG"
    text = files.to_csv([record], footer=False).decode("utf-8-sig").replace('","', '";"')

    run = _run(ManagerFactory(), text.encode("cp1252"), dry_run=False)

    assert run.rows.get().outcome == "created"
    assert Account.objects.get().name == "Müller AG"


@pytest.mark.parametrize(
    ("salesforce", "ours"),
    [
        ("Prospecting", "1-discovery"),
        ("Qualification", "1-discovery"),
        ("Needs Analysis", "2-scoping"),
        ("Value Proposition", "3-technical_evaluation"),
        ("Id. Decision Makers", "3-technical_evaluation"),
        ("Perception Analysis", "3-technical_evaluation"),
        ("Proposal/Price Quote", "4-proposal"),
        ("Negotiation/Review", "5-negotiating"),
        ("Closed Lost", "8-closed_lost"),
        ("0-Pending Acceptance", "0-pending_acceptance"),
        ("6-awaiting_signature", "6-awaiting_signature"),
        ("  4-PROPOSAL ", "4-proposal"),
    ],
)
def test_salesforce_stage_names_map_to_our_stages(salesforce, ours):
    assert services.STAGES[services._norm(salesforce)] == ours


@pytest.mark.parametrize("stage", ["Closed Won", "7-Closing", "10-Duplicate"])
def test_workflow_stages_are_refused_naming_the_stage_column(stage):
    rep = RepFactory(email="ann@example.com")
    record = files.good_row(1, rep.email)
    record["Stage"] = stage

    run = _run(ManagerFactory(), files.to_csv([record]), dry_run=False)

    row = run.rows.get()
    assert (row.outcome, row.column) == ("refused", "Stage")
    assert "approval workflow" in row.reason
    assert not Opportunity.objects.exists()


def test_only_an_importer_starts_the_import_of_a_dry_run():
    from ordermgmt.exceptions import PermissionDeniedError

    manager = ManagerFactory()
    dry = _run(manager, files.to_csv([files.good_row(1, "a@b.example")]), dry_run=True)

    with pytest.raises(PermissionDeniedError):
        services.import_run_start(actor=UserFactory(role="billing", region=None), dry_run_id=dry.pk, enqueue=False)
    assert services.import_run_start(actor=manager, dry_run_id=dry.pk, enqueue=False).dry_run_of == dry
