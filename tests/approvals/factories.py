"""factory_boy factories of the approval workflow: submissions and decisions."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from tests.ordermgmt.factories import OpportunityFactory, SpecialistFactory


class SubmissionFactory(DjangoModelFactory):
    """A submission waiting in its region's queue (prefer `approvals.services.approval_submit` in workflow tests)."""

    class Meta:
        model = "approvals.Submission"

    opportunity = factory.SubFactory(OpportunityFactory, stage="7-closing", approval_status="submitted")
    submitted_by = factory.SelfAttribute("opportunity.owner")
    submitted_at = factory.LazyFunction(lambda: datetime(2026, 12, 1, 18, 0, tzinfo=UTC))
    region = factory.SelfAttribute("opportunity.region")
    start_date = factory.SelfAttribute("opportunity.start_date")
    net_arr = factory.SelfAttribute("opportunity.net_arr")
    amount = factory.SelfAttribute("opportunity.amount")
    clock_started_at = factory.SelfAttribute("submitted_at")
    sla_at_risk_at = factory.LazyAttribute(lambda s: s.submitted_at + timedelta(hours=9))
    sla_due_at = factory.LazyAttribute(lambda s: s.submitted_at + timedelta(hours=12))


class DecisionFactory(DjangoModelFactory):
    class Meta:
        model = "approvals.Decision"

    submission = factory.SubFactory(SubmissionFactory, state="om_approved")
    stage = "om"
    outcome = "approved"
    actor = factory.SubFactory(SpecialistFactory)
    decided_at = factory.LazyAttribute(lambda d: d.submission.submitted_at + timedelta(hours=3))
    business_hours = Decimal("3.00")


def verify_checklist(opportunity, actor) -> int:
    """Tick every item of the open submission's checklist as `actor` (a reviewer who may decide it); the count."""
    from approvals import selectors, services

    submission = selectors.open_submission(opportunity=opportunity)
    rows = services.submission_checklist(opportunity, submission)
    for row in rows:
        services.checklist_mark(opportunity_id=opportunity.pk, actor=actor, item=row.item, verdict="verified")
    return len(rows)


def verify_checklist_in_browser(page) -> int:
    """Click Verify on every item of the review page's checklist, waiting for each htmx swap; the count."""
    from playwright.sync_api import expect

    buttons = page.locator('[data-testid="verify-checklist"] button[value="verified"]:not([disabled])')
    clicked = 0
    while (left := buttons.count()) > 0:
        buttons.first.click()
        expect(buttons).to_have_count(left - 1)
        clicked += 1
    expect(page.locator('[data-testid="verify-checklist"]')).to_have_attribute("data-ready", "true")
    return clicked
