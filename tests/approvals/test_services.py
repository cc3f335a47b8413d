"""Service-level behaviour: notifications after commit, history diffs, coverage, SLA re-evaluation."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals import selectors, services
from approvals.models import Submission
from approvals.services import guards
from ordermgmt import services as om_services
from ordermgmt.exceptions import PermissionDeniedError
from ordermgmt.models import Opportunity, OutboxMessage, RegionClosure
from tests.ordermgmt.factories import SpecialistFactory, ready_opportunity, region

pytestmark = pytest.mark.django_db
PT = ZoneInfo("America/Los_Angeles")


def test_rejection_notification_email_is_queued_only_after_commit(django_capture_on_commit_callbacks, rep, specialist):
    opp = ready_opportunity(owner=rep)
    services.approval_submit(opportunity_id=opp.pk, actor=rep)
    earlier = list(OutboxMessage.objects.values_list("pk", flat=True))  # the submission's email to the specialist
    with django_capture_on_commit_callbacks() as callbacks:
        services.approval_reject(opportunity_id=opp.pk, actor=specialist, reasons=["other"], comment="Fix the PO")
    assert len(callbacks) == 1  # the outbox publish for the rep's email
    message = OutboxMessage.objects.exclude(pk__in=earlier).get(task="ordermgmt.tasks.notification_email_send")
    assert message.sent_at is None  # nothing was sent inside the transaction


def test_changes_since_last_rejection_lists_the_reps_fixes(rep, specialist):
    opp = ready_opportunity(owner=rep)
    services.approval_submit(opportunity_id=opp.pk, actor=rep)
    services.approval_reject(opportunity_id=opp.pk, actor=specialist, reasons=["competitors"], comment="Name them")
    om_services.opportunity_update(opportunity_id=opp.pk, actor=rep, data={"competitors": "Vendor X"})
    changes = selectors.changes_since_last_rejection(opportunity=opp)
    assert [(e.action, e.changes) for e in changes] == [("updated", {"competitors": ["Other Vendor", "Vendor X"]})]


def test_changes_since_rejection_api(as_user, rep, specialist, other_rep):
    opp = ready_opportunity(owner=rep)
    services.approval_submit(opportunity_id=opp.pk, actor=rep)
    services.approval_reject(opportunity_id=opp.pk, actor=specialist, reasons=["competitors"], comment="Name them")
    om_services.opportunity_update(opportunity_id=opp.pk, actor=rep, data={"competitors": "Vendor X"})
    body = as_user(specialist).get(f"/api/opportunities/{opp.pk}/changes-since-rejection/").json()
    assert [(e["action"], e["actor"]) for e in body] == [("updated", rep.username)]
    assert as_user(other_rep).get(f"/api/opportunities/{opp.pk}/changes-since-rejection/").status_code == 404


def test_coverage_is_set_by_managers_only(manager, specialist):
    with pytest.raises(PermissionDeniedError):
        services.specialist_set_coverage(actor=specialist, specialist=specialist, regions=["EMEA"])
    assert specialist.region_codes() == ["AMER"]  # read once and kept on the instance...
    services.specialist_set_coverage(actor=manager, specialist=specialist, regions=["EMEA", "AMER"])
    assert specialist.region_codes() == ["AMER", "EMEA"]  # ...until the coverage changes; own region first, once


def test_a_users_regions_are_read_once_per_loaded_user(django_assert_num_queries, specialist):
    with django_assert_num_queries(1):
        assert specialist.region_codes() == specialist.region_codes() == ["AMER"]
    specialist.region_codes().append("EMEA")  # a caller's copy: the kept list does not change
    assert specialist.region_codes() == ["AMER"]


def test_acting_on_an_opportunity_the_actor_may_not_see_is_not_found_and_writes_nothing(
    as_user, rep, other_rep, specialist
):
    """The lock reads within what the actor may see: another rep's (or another region's) opportunity is 404 in the
    API, before any role check or body validation, and the service writes nothing."""
    from ordermgmt.exceptions import NotVisibleError

    theirs = ready_opportunity(owner=other_rep)
    with pytest.raises(NotVisibleError):
        services.approval_submit(opportunity_id=theirs.pk, actor=rep)
    assert not Submission.objects.filter(opportunity=theirs).exists()
    assert as_user(rep).post(f"/api/opportunities/{theirs.pk}/submit/").status_code == 404
    services.approval_submit(opportunity_id=theirs.pk, actor=other_rep)
    emea = SpecialistFactory(region=region("EMEA"))
    for body in ({}, {"reasons": ["other"], "comment": "Fix it"}):
        response = as_user(emea).post(f"/api/opportunities/{theirs.pk}/reject/", body, format="json")
        assert response.status_code == 404, body
    response = as_user(specialist).post(f"/api/opportunities/{theirs.pk}/reject/", {}, format="json")
    assert response.status_code == 400  # visible: the body's error, naming the field
    assert "reasons" in response.json()
    assert as_user(rep).post(f"/api/opportunities/{theirs.pk}/billing-approve/", {}, format="json").status_code == 404
    assert as_user(rep).post("/api/opportunities/999999/claim/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.approval_status == "submitted"
    assert Submission.objects.filter(opportunity=theirs).count() == 1


def test_out_of_office_backup_must_be_another_reviewer(manager, specialist, rep):
    with pytest.raises(ValidationError):
        services.specialist_set_out_of_office(actor=manager, specialist=specialist, start=None, end=None, backup=rep)
    with pytest.raises(ValidationError):
        services.specialist_set_out_of_office(
            actor=manager, specialist=specialist, start=None, end=None, backup=specialist
        )


def test_a_new_closure_day_re_evaluates_open_sla_due_times(rep):
    opp = ready_opportunity(owner=rep, start_date=date(2026, 12, 20))
    with time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=PT), tick=False):
        services.approval_submit(opportunity_id=opp.pk, actor=rep)
    assert Submission.objects.get().sla_due_at == datetime(2026, 12, 2, 12, 0, tzinfo=PT)
    RegionClosure.objects.create(region=region("AMER"), date=date(2026, 12, 2), reason="Company day off")
    assert services.sla_recompute(region=region("AMER")) == 1
    assert Submission.objects.get().sla_due_at == datetime(2026, 12, 3, 12, 0, tzinfo=PT)


def test_escalation_counts_per_rep(rep):
    for _ in range(2):
        opp = ready_opportunity(owner=rep)
        services.approval_submit(opportunity_id=opp.pk, actor=rep)
        services.approval_escalate(opportunity_id=opp.pk, actor=rep, reason="urgent")
    assert list(selectors.escalation_counts()) == [
        {"opportunity__owner": rep.pk, "opportunity__owner__username": rep.username, "count": 2}
    ]


def test_notifications_api_lists_and_marks_read(as_user, rep, specialist):
    opp = ready_opportunity(owner=rep)
    services.approval_submit(opportunity_id=opp.pk, actor=rep)
    services.approval_approve(opportunity_id=opp.pk, actor=specialist, comment="ok")
    client = as_user(rep)
    items = client.get("/api/notifications/").json()["results"]
    assert [n["verb"] for n in items] == ["om_approved"]
    assert client.post("/api/notifications/mark-read/", {}, format="json").json() == {"marked": 1}
    assert client.get("/api/notifications/").json()["results"][0]["read_at"] is not None
    assert as_user(SpecialistFactory()).get("/api/notifications/").json()["results"] == []


def test_factories_build_valid_submissions_decisions_and_closures():
    from tests.approvals.factories import DecisionFactory
    from tests.ordermgmt.factories import RegionClosureFactory

    decision = DecisionFactory()
    assert decision.submission.opportunity.approval_status == "submitted"
    assert decision.submission.sla_due_at > decision.submission.clock_started_at
    assert RegionClosureFactory().region_id == "AMER"


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2026, 12, 1, 6, 59, tzinfo=PT), False),
        (datetime(2026, 12, 1, 7, 0, tzinfo=PT), True),
        (datetime(2026, 12, 1, 16, 59, tzinfo=PT), True),
        (datetime(2026, 12, 1, 17, 0, tzinfo=PT), False),
        (datetime(2026, 11, 26, 10, 0, tzinfo=PT), False),  # Thanksgiving
        (datetime(2026, 12, 5, 10, 0, tzinfo=PT), False),  # Saturday
    ],
)
def test_in_business_hours_drives_the_live_countdown(local, expected):
    from ordermgmt.calendar import in_business_hours

    assert in_business_hours(local, region("AMER")) is expected


def test_each_submission_is_numbered_after_the_earlier_ones(rep, specialist):
    opp = ready_opportunity(owner=rep)
    services.approval_submit(opportunity_id=opp.pk, actor=rep)
    services.approval_recall(opportunity_id=opp.pk, actor=rep)
    services.approval_submit(opportunity_id=opp.pk, actor=rep)
    services.approval_reject(opportunity_id=opp.pk, actor=specialist, reasons=["other"], comment="Fix the PO")
    other = ready_opportunity(owner=rep)  # another opportunity's submissions do not count
    services.approval_submit(opportunity_id=other.pk, actor=rep)
    services.approval_submit(opportunity_id=opp.pk, actor=rep)
    assert list(opp.submissions.order_by("pk").values_list("sequence", "state")) == [
        (1, "recalled"),
        (2, "om_rejected"),
        (3, "submitted"),
    ]
    assert other.submissions.get().sequence == 1


def test_submit_counts_a_region_closure_in_the_sla_clock(rep):
    RegionClosure.objects.create(region_id="AMER", date=date(2026, 5, 18), reason="Company day off")
    opp = ready_opportunity(owner=rep)
    submitted = datetime(2026, 5, 15, 16, 45, tzinfo=PT)  # Friday after the cut-off: Monday is closed, so Tuesday
    with time_machine.travel(submitted, tick=False):
        services.approval_submit(opportunity_id=opp.pk, actor=rep)
    assert opp.submissions.get().clock_started_at == datetime(2026, 5, 19, 7, 0, tzinfo=PT)


def test_sequence_follows_the_latest_submission_and_is_unique_per_opportunity(rep):
    from django.db import IntegrityError, transaction

    from tests.approvals.factories import SubmissionFactory

    opp = ready_opportunity(owner=rep)
    SubmissionFactory(opportunity=opp, sequence=4, state="recalled")  # e.g. earlier rounds imported with gaps
    services.approval_submit(opportunity_id=opp.pk, actor=rep)
    assert opp.submissions.get(state="submitted").sequence == 5
    with pytest.raises(IntegrityError), transaction.atomic():
        SubmissionFactory(opportunity=opp, sequence=5, state="recalled")


def _fresh(opp):
    """What a plain read of the database says about `opp`'s quote and documents."""
    quote = opp.quotes.filter(is_primary=True).first()
    return {
        "quote": quote and (quote.pk, quote.sold_to_contact.email, quote.bill_to_contact.email),
        "kinds": set(opp.documents.values_list("kind", flat=True)),
    }


@pytest.mark.parametrize("actor_name", ["rep", "manager"])
def test_the_locked_read_loads_quote_contacts_and_documents_as_a_plain_read_would(request, rep, actor_name):
    from approvals.requirements import Deal, evaluate
    from ordermgmt.models import Document
    from tests.ordermgmt.factories import ContactFactory, DocumentFactory, OpportunityFactory, QuoteFactory

    actor = request.getfixturevalue(actor_name)
    full = ready_opportunity(owner=rep)
    QuoteFactory(opportunity=full, is_primary=False, number="Q-OLD")  # only the primary one is read
    full_quote = full.quotes.get(is_primary=True)
    full_quote.bill_to_contact = ContactFactory(account=full.account, email="ap@customer.example")
    full_quote.save()
    DocumentFactory(opportunity=full, kind=Document.Kind.PURCHASE_ORDER)
    bare = OpportunityFactory(owner=rep)  # no quote, no documents
    for opp in (full, bare):
        from django.db import transaction

        with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
            locked = guards._lock(opp.pk, actor)
            quote = locked.primary_quote
            loaded = {
                "quote": quote and (quote.pk, quote.sold_to_contact.email, quote.bill_to_contact.email),
                "kinds": locked.document_kinds(),
            }
            owner_name, region_tz, account_name = str(locked.owner), locked.region.timezone, locked.account.name
            met = {r.code: r.met for r in evaluate(Deal.of(locked))}
        # The locked row, then one prefetch each for quotes, documents and closures: nothing read per rule.
        assert len(ctx.captured_queries) == 4, [q["sql"][:80] for q in ctx.captured_queries]
        assert "FOR NO KEY UPDATE" in ctx.captured_queries[0]["sql"]
        assert loaded == _fresh(opp)
        assert (owner_name, region_tz, account_name) == (str(rep), opp.region.timezone, opp.account.name)
        assert met == {r.code: r.met for r in evaluate(Deal.of(Opportunity.objects.get(pk=opp.pk)))}
    assert _fresh(full)["kinds"] == {"signed_order_form", "purchase_order"}
    assert _fresh(bare) == {"quote": None, "kinds": set()}
