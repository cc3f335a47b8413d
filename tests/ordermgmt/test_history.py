"""`ordermgmt.history`: an opportunity's history as a person reads it."""

import pytest
from django.test import Client

from approvals import services
from ordermgmt.history import action_label, change_lines
from ordermgmt.models import OpportunityEvent
from tests.ordermgmt.factories import ready_opportunity

pytestmark = pytest.mark.django_db


def lines(event) -> dict[str, str]:
    return {line.field: line.text for line in change_lines(event)}


def test_a_resubmission_shows_the_real_previous_status_and_stage_by_their_labels(rep, specialist):
    opp = ready_opportunity(owner=rep)
    services.approval_submit(opportunity_id=opp.pk, actor=rep)
    services.approval_reject(opportunity_id=opp.pk, actor=specialist, reasons=["other"], comment="Fix the PO")
    services.approval_submit(opportunity_id=opp.pk, actor=rep)

    events = OpportunityEvent.objects.filter(opportunity=opp).order_by("pk")
    first, rejected, resubmitted = (
        events.filter(action=action).get() for action in ("submitted", "om_rejected", "resubmitted")
    )

    assert lines(first)["Approval status"] == "Draft → Submitted"
    assert lines(first)["Stage"] == "6-Awaiting Signature → 7-Closing"
    assert lines(first)["Sla due at"].startswith("set to 20")
    assert action_label(rejected.action) == "Rejected by Order Management"
    assert lines(rejected)["Stage"] == "7-Closing → 6-Awaiting Signature"
    assert lines(resubmitted)["Approval status"] == "Rejected by Order Management → Submitted"
    assert action_label(resubmitted.action) == "Resubmitted"


def test_empty_values_read_as_set_cleared_or_a_dash():
    event = OpportunityEvent(
        action="updated",
        changes={
            "close_date": [None, "2026-12-01"],
            "competitors": ["Acme", ""],
            "region": "EMEA",
            "po_required": [False, True],
            "documents": ["purchase_order"],
        },
    )
    assert lines(event) == {
        "Close date": "set to 2026-12-01",
        "Competitors": "cleared (was Acme)",
        "Region": "EMEA",
        "Po required": "no → yes",
        "Documents": "purchase_order",
    }


def test_the_detail_page_shows_labels_not_codes(rep):
    opp = ready_opportunity(owner=rep)
    services.approval_submit(opportunity_id=opp.pk, actor=rep)
    client = Client()
    client.force_login(rep)

    page = client.get(f"/opportunities/{opp.pk}/").content.decode()

    assert "Approval status: Draft → Submitted" in page
    assert "6-awaiting_signature" not in page
    assert "None" not in page.split('data-testid="history"', 1)[1]
