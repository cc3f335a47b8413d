"""`ordermgmt.selectors.opportunity_locked`: the fixed SQL text read on PostgreSQL equals the ORM's read (which SQLite
uses), field for field, for every scope a workflow action locks within."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from approvals import services
from approvals.models import Submission
from ordermgmt.models import Document, Opportunity, RegionClosure
from ordermgmt.selectors import _opportunity_locked_orm, opportunity_locked
from tests.factories import (
    ContactFactory,
    DocumentFactory,
    ManagerFactory,
    OpportunityFactory,
    QuoteFactory,
    RepFactory,
    SpecialistFactory,
    ready_opportunity,
    region,
)

pytestmark = pytest.mark.django_db
PT = ZoneInfo("America/Los_Angeles")


def _fields(instance) -> dict | None:
    if instance is None:
        return None
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def _snapshot(opp: Opportunity | None, reads) -> dict | None:
    """Everything a locked read hands over, read without touching the database."""
    if opp is None:
        return None
    quote = opp.primary_quote
    return {
        "opportunity": _fields(opp),
        "account": _fields(opp.account),
        "region": _fields(opp.region),
        "owner": _fields(opp.owner),
        "quote": _fields(quote),
        "sold_to": _fields(quote and quote.sold_to_contact),
        "bill_to": _fields(quote and quote.bill_to_contact),
        "quote_opportunity_is_the_row": quote is None or quote.opportunity is opp,
        "reads": {name: getattr(opp, name) for name in reads},
        "adding": opp._state.adding,
    }


@pytest.fixture
def world():
    """Opportunities of every shape, and the people who act on them."""
    rep, other_rep = RepFactory(region=region("AMER")), RepFactory(region=region("EMEA"))
    full = ready_opportunity(owner=rep)
    QuoteFactory(opportunity=full, is_primary=False, number="Q-OLD")
    primary = full.quotes.get(is_primary=True)
    primary.bill_to_contact = ContactFactory(account=full.account, email="ap@customer.example")
    primary.save()
    DocumentFactory(opportunity=full, kind=Document.Kind.PURCHASE_ORDER)
    no_contacts = OpportunityFactory(owner=rep)
    QuoteFactory(opportunity=no_contacts, sold_to_contact=None, bill_to_contact=None)
    bare = OpportunityFactory(owner=rep)
    emea = ready_opportunity(owner=other_rep)
    RegionClosure.objects.create(region_id="AMER", date=date(2026, 12, 24), reason="Company day off")
    with transaction.atomic():  # an EMEA deal handed to the AMER queue on escalation: AMER may now see it
        services.approval_submit(opportunity_id=emea.pk, actor=other_rep)
    Submission.objects.filter(opportunity=emea).update(region_id="AMER", original_region_id="EMEA", escalated=True)
    amer_spec, apac_spec = SpecialistFactory(region=region("AMER")), SpecialistFactory(region=region("APAC"))
    covering = SpecialistFactory(region=region("APAC"))
    covering.covered_regions.add(region("AMER"))
    return {
        "opportunities": [full, no_contacts, bare, emea],
        "actors": [rep, other_rep, amer_spec, apac_spec, covering, ManagerFactory()],
    }


def test_the_fixed_statement_reads_what_the_orm_reads_for_every_scope(world):
    from approvals.services import _submit_reads

    seen = 0
    for actor in world["actors"]:
        owner = actor if actor.is_rep else None
        for opp in world["opportunities"]:
            for reads in ({}, _submit_reads()):
                with transaction.atomic():
                    scope = Opportunity.objects.visible_to(actor)
                    fixed = opportunity_locked(scope, opp.pk, owner=owner, reads=reads)
                    snapshot = _snapshot(fixed, reads)
                    kinds = fixed and fixed.document_kinds()
                with transaction.atomic():
                    orm = _opportunity_locked_orm(scope, opp.pk, owner=owner, reads=reads)
                    assert snapshot == _snapshot(orm, reads), (actor.username, opp.name, list(reads))
                    assert kinds == (orm and orm.document_kinds())
                seen += fixed is not None
    # Each shape was read by somebody: rep 3, other rep 1, AMER 4 (incl. the handed-over one), APAC 0, covering
    # AMER 4, manager 4; twice each (with and without the submit's reads).
    assert seen == 2 * (3 + 1 + 4 + 0 + 4 + 4)


def test_it_is_one_statement_that_locks_the_row(world):
    full = world["opportunities"][0]
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        opp = opportunity_locked(Opportunity.objects.all(), full.pk)
        assert opp.document_kinds() == {"signed_order_form", "purchase_order"}
        assert opp.primary_quote.bill_to_contact.email == "ap@customer.example"
        assert opp.primary_quote.number != "Q-OLD"
    assert len(ctx.captured_queries) == 1
    assert ctx.captured_queries[0]["sql"].endswith('FOR NO KEY UPDATE OF "ordermgmt_opportunity"')


def test_an_empty_scope_reads_nothing(django_assert_num_queries, world):
    with django_assert_num_queries(0):
        assert opportunity_locked(Opportunity.objects.none(), world["opportunities"][0].pk) is None


def test_submit_on_the_fixed_statement_counts_the_closure_and_numbers_the_submission(world):
    rep, opp = world["actors"][0], world["opportunities"][0]
    with time_machine_at(datetime(2026, 12, 23, 16, 45, tzinfo=PT)):  # Wednesday after the cut-off
        services.approval_submit(opportunity_id=opp.pk, actor=rep)
    submission = opp.submissions.get()
    assert submission.sequence == 1
    # Thursday 24th is a closure day, Friday 25th Christmas: the clock starts Monday 28th at 07:00 PT.
    assert submission.clock_started_at == datetime(2026, 12, 28, 7, 0, tzinfo=PT)


def time_machine_at(moment):
    import time_machine

    return time_machine.travel(moment, tick=False)


def test_a_scope_with_joins_is_read_through_its_ids(world):
    """`visible_to` scopes filter the opportunity table alone and lend their WHERE clause; any other scope is read
    as `id IN (its ids)`, with the same result."""
    full, emea = world["opportunities"][0], world["opportunities"][3]
    joined = Opportunity.objects.filter(account__region_id=full.account.region_id)
    for opp, expected in ((full, True), (emea, emea.account.region_id == full.account.region_id)):
        with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
            fixed = opportunity_locked(joined, opp.pk)
            snapshot = _snapshot(fixed, {})
        assert " IN (SELECT " in ctx.captured_queries[0]["sql"]
        with transaction.atomic():
            assert snapshot == _snapshot(_opportunity_locked_orm(joined, opp.pk, owner=None, reads={}), {})
        assert (fixed is not None) is expected
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        opportunity_locked(Opportunity.objects.visible_to(world["actors"][2]), full.pk)
    lock = ctx.captured_queries[-1]["sql"]  # after the specialist's regions
    assert " IN (SELECT " not in lock
    assert "EXISTS" in lock  # the handed-over items a specialist may also see
