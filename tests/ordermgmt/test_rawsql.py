"""`ordermgmt.rawsql.save_together`: one statement writes exactly what `save()` writes, row for row."""

from datetime import UTC, datetime
from decimal import Decimal

import pghistory
import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from approvals.models import Decision, Submission
from ordermgmt.models import Opportunity, OpportunityEvent
from ordermgmt.rawsql import save_together
from tests.factories import OpportunityFactory, SpecialistFactory, SubmissionFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)


def _row(model, pk, *skip) -> dict:
    """The row as the database has it, without its id and the columns named in `skip`."""
    row = model.objects.filter(pk=pk).values().get()
    return {k: v for k, v in row.items() if k not in ("id", *skip)}


def _writes(opp: Opportunity, submission: Submission, actor):
    """A decision's writes, unsaved: a Decision, a history line (JSON), the submission's and opportunity's fields."""
    decision = Decision(
        submission=submission, stage="om", outcome="rejected", actor=actor, decided_at=NOW,
        reasons=["po_number_on_quote", "other"], comment="Fix the PO", business_hours=Decimal("3.25"),
    )  # fmt: skip
    event = OpportunityEvent(
        opportunity=opp, actor=actor, action="om_rejected", changes={"approval_status": ["submitted", "om_rejected"]}
    )
    submission.state, submission.om_decided_at, submission.om_decided_by = "om_rejected", NOW, actor
    opp.approval_status, opp.stage, opp.version = "om_rejected", "6-awaiting_signature", opp.version + 1
    updates = [
        (submission, ["state", "om_decided_at", "om_decided_by"]),
        (opp, ["approval_status", "stage", "version", "updated_at"]),
    ]
    return [decision, event], updates


def test_one_statement_writes_what_save_writes():
    actor = SpecialistFactory()
    pairs = [SubmissionFactory(), SubmissionFactory()]
    written = []
    with time_machine.travel(NOW, tick=False):
        for index, submission in enumerate(pairs):
            opp = submission.opportunity
            inserts, updates = _writes(opp, submission, actor)
            with CaptureQueriesContext(connection) as ctx:
                if index == 0:
                    save_together(inserts=inserts, updates=updates)
                else:
                    for instance in inserts:
                        instance.save()
                    for instance, fields in updates:
                        instance.save(update_fields=fields)
            written.append((inserts, updates, len(ctx.captured_queries)))
    (fast, fast_updates, statements), (orm, orm_updates, orm_statements) = written
    assert (statements, orm_statements) == (1, 4)
    for mine, theirs in zip(fast, orm, strict=True):
        assert mine.pk is not None
        assert not mine._state.adding
        assert _row(type(mine), mine.pk, "submission_id", "opportunity_id") == _row(
            type(theirs), theirs.pk, "submission_id", "opportunity_id"
        )
    assert fast[0].submission_id == pairs[0].pk
    assert fast[1].opportunity_id == pairs[0].opportunity_id
    for (mine, fields), (theirs, _) in zip(fast_updates, orm_updates, strict=True):
        columns = [mine._meta.get_field(name).attname for name in fields]
        mine_row, their_row = _row(type(mine), mine.pk), _row(type(theirs), theirs.pk)
        assert {c: mine_row[c] for c in columns} == {c: their_row[c] for c in columns}
    assert Opportunity.objects.get(pk=pairs[0].opportunity_id).updated_at == NOW  # auto_now, as save() sets it


def test_the_audit_trigger_records_the_update_with_the_requests_context():
    submission, actor = SubmissionFactory(), SpecialistFactory()
    opp = submission.opportunity
    inserts, updates = _writes(opp, submission, actor)
    with pghistory.context(user=actor.pk, url="/api/opportunities/1/reject/"):
        save_together(inserts=inserts, updates=updates)
    audit = opp.audit_events.order_by("pgh_id").last()
    assert audit.approval_status == "om_rejected"
    assert audit.pgh_context.metadata == {"user": actor.pk, "url": "/api/opportunities/1/reject/"}


def test_an_update_that_matches_no_row_fails_and_the_transaction_keeps_nothing():
    submission = SubmissionFactory()
    opp = submission.opportunity
    event = OpportunityEvent(opportunity=opp, action="note")
    gone = Opportunity.objects.get(pk=opp.pk)
    gone.pk = 10**9
    with pytest.raises(DatabaseError, match="did not affect any rows"), transaction.atomic():
        save_together(inserts=[event], updates=[(gone, ["competitors"])])
    assert not OpportunityEvent.objects.filter(opportunity=opp, action="note").exists()


def test_expressions_go_through_save():
    opp = OpportunityFactory()
    version = opp.version
    opp.version = F("version") + 1
    save_together(updates=[(opp, ["version"])])
    opp.refresh_from_db()
    assert opp.version == version + 1
