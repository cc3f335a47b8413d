"""Builders for hand-made KPI data sets: rows are written directly so every timestamp is exactly what a test says."""

import importlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count

import pytest

from approvals.models import Decision, Submission
from cases.models import Case, RequestType, Team
from ordermgmt.models import Opportunity
from tests.ordermgmt.factories import OpportunityFactory, SpecialistFactory, region

_numbers = count(1)


@pytest.fixture(autouse=True)
def _calendar_quarters(settings):
    """These tests were written in calendar quarters (2026-Q3 = July-September 2026): a fiscal year starting in
    January makes the KPI quarters calendar quarters. test_fiscal.py sets the February default back."""
    settings.FISCAL_YEAR_START_MONTH = 1


@pytest.fixture(autouse=True)
def _clear_cache():
    """The KPI cache is process-wide; each test starts cold."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _teams(request, _regions):
    """Transactional tests flush the seeded case teams: seed them again (idempotent)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not {"db", "transactional_db", "live_server"} & set(request.fixturenames):
        return
    from django.apps import apps

    importlib.import_module("cases.migrations.0002_seed_teams").seed(apps, None)

    importlib.import_module("cases.migrations.0003_team_member_role").set_team_roles(apps, None)


def at(text: str) -> datetime:
    """`at("2026-07-01 09:00")` -> that instant in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def submission(
    *,
    owner,
    submitted: str = "2026-07-10 09:00",
    om_at: str | None = None,
    om_hours: str | None = None,
    om_outcome: str = "approved",
    om_reasons: list | None = None,
    om_by=None,
    billing_at: str | None = None,
    billing_outcome: str = "approved",
    billing_reasons: list | None = None,
    escalated_at: str | None = None,
    queue_region: str | None = None,
    state: str | None = None,
) -> Submission:
    """One submission of a fresh opportunity of `owner`, with its OM and Billing decisions when times are given."""
    opp = OpportunityFactory(owner=owner, stage=Opportunity.Stage.CLOSING)
    reviewer = om_by or SpecialistFactory(region=opp.region)
    submitted_at = at(submitted)
    if state is None:
        state = "submitted"
        if om_at:
            state = "om_rejected" if om_outcome == "rejected" else "om_approved"
        if billing_at:
            state = "billing_rejected" if billing_outcome == "rejected" else "closed_won"
    sub = Submission.objects.create(
        opportunity=opp,
        submitted_by=owner,
        submitted_at=submitted_at,
        region_id=queue_region or opp.region_id,
        state=state,
        start_date=date(2026, 12, 1),
        net_arr=opp.net_arr,
        amount=opp.amount,
        clock_started_at=submitted_at,
        sla_at_risk_at=submitted_at + timedelta(hours=9),
        sla_due_at=submitted_at + timedelta(hours=12),
        escalated=escalated_at is not None,
        escalated_at=at(escalated_at) if escalated_at else None,
        om_decided_at=at(om_at) if om_at else None,
        om_decided_by=reviewer if om_at else None,
        om_business_hours=Decimal(om_hours) if om_hours is not None else None,
        billing_decided_at=at(billing_at) if billing_at else None,
    )
    if om_at:
        Decision.objects.create(
            submission=sub,
            stage="om",
            outcome=om_outcome,
            actor=reviewer,
            decided_at=at(om_at),
            reasons=om_reasons or [],
            business_hours=sub.om_business_hours,
        )
    if billing_at:
        Decision.objects.create(
            submission=sub,
            stage="billing",
            outcome=billing_outcome,
            actor=reviewer,
            decided_at=at(billing_at),
            reasons=billing_reasons or [],
        )
    return sub


def case(*, owner, responded: str, hours: float, team: str = "deal_desk", request_type: str | None = None, **kw):
    """A case first answered at `responded` after `hours` business hours."""
    t = Team.objects.get(code=team)
    rt = RequestType.objects.get(team=t, code=request_type) if request_type else t.request_types.first()
    opp = OpportunityFactory()
    responded_at = at(responded)
    return Case.objects.create(
        number=f"CASE-K{next(_numbers):05d}",
        opportunity=opp,
        region=kw.pop("region", None) or region("AMER"),
        team=t,
        request_type=rt,
        subject="Help",
        details="Please help",
        status=Case.Status.WORK_IN_PROGRESS,
        requester=opp.owner,
        owner=owner,
        first_response_at=responded_at,
        first_response_business_hours=hours,
        first_response_due_at=responded_at,
        **kw,
    )
