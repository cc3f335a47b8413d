"""axe-core in real (Debian) headless Chromium on the main pages of every role: no serious or critical violation."""

import importlib
from collections import Counter
from datetime import date

import pytest
from django.utils import timezone

from approvals import services as approval_services
from cases import services as case_services
from ordermgmt.services import notification_send
from subscriptions.models import ReconciliationRun
from tests.approvals.factories import verify_checklist
from tests.browser import axe_violations
from tests.ordermgmt.factories import (
    BillingFactory,
    ManagerFactory,
    OpportunityFactory,
    RepFactory,
    SpecialistFactory,
    UserFactory,
    ready_opportunity,
)

pytestmark = pytest.mark.django_db(transaction=True)

BLOCKING = {"serious", "critical"}


@pytest.fixture
def _case_teams(transactional_db):
    """The flush of a transactional test removes the seeded case teams and request types: seed them again."""
    from django.apps import apps

    importlib.import_module("cases.migrations.0002_seed_teams").seed(apps, None)
    importlib.import_module("cases.migrations.0003_team_member_role").set_team_roles(apps, None)


def seed() -> dict:
    """One deal at each step a page shows (draft, in the queue, at Billing), a case, a run and notifications."""
    rep = RepFactory(username="a11y_rep", first_name="Rita", last_name="Rep")
    specialist = SpecialistFactory(username="a11y_spec", first_name="Sam", last_name="Reviewer")
    draft = ready_opportunity(owner=rep, name="Initech platform")
    waiting = ready_opportunity(owner=rep, name="Globex renewal")
    approval_services.approval_submit(opportunity_id=waiting.pk, actor=rep)
    approval_services.approval_claim(opportunity_id=waiting.pk, actor=specialist)
    billed = ready_opportunity(owner=rep, name="Umbrella expansion")
    approval_services.approval_submit(opportunity_id=billed.pk, actor=rep)
    verify_checklist(billed, specialist)
    approval_services.approval_approve(opportunity_id=billed.pk, actor=specialist)
    OpportunityFactory(owner=rep, name="Hooli closed", stage="closed_won", close_date=timezone.localdate())
    desk = UserFactory(username="a11y_desk", role="deal_desk")
    case = case_services.case_open(
        opportunity_id=draft.pk,
        actor=rep,
        team="deal_desk",
        request_type="basic_quote_assistance",
        subject="Discount line is wrong",
        details="The second line should be 10% off.",
        field_values={"quote_number": "Q-000123"},
    )
    case_services.case_take(case_id=case.pk, actor=desk)
    run = ReconciliationRun.objects.create(kind="renewals", as_of=date(2026, 11, 2), status="running", progress=40)
    for i in range(3):
        notification_send(recipient=rep, verb="om_rejected", message=f"Deal {i} needs a fix", url="/opportunities/")
    return {"rep": rep, "specialist": specialist, "draft": draft, "waiting": waiting, "billed": billed,
            "desk": desk, "case": case, "run": run}  # fmt: skip


def report(found: dict[str, list[dict]]) -> str:
    lines = []
    for where, violations in found.items():
        for v in violations:
            lines.append(f"{where}: [{v['impact']}] {v['id']}: {v['help']}")
            for target, summary in v["nodes"][:5]:
                lines.append(f"    {target}: {summary.splitlines()[-1] if summary else ''}")
    return "\n".join(lines)


@pytest.mark.usefixtures("_case_teams")
def test_the_main_pages_of_every_role_have_no_serious_or_critical_axe_violation(browser_as):
    data = seed()
    rep, specialist = data["rep"], data["specialist"]
    billing = BillingFactory(username="a11y_billing")
    manager = ManagerFactory(username="a11y_mgr", first_name="Maya", last_name="Manager")
    pages = [
        (None, "/login/"),
        (rep, "/"),  # the rep's opportunity list
        (rep, "/opportunities/new/"),
        (rep, f"/opportunities/{data['draft'].pk}/edit/"),
        (rep, f"/opportunities/{data['draft'].pk}/"),
        (rep, "/notifications/"),
        (rep, "/tokens/"),
        (specialist, "/queue/"),
        (specialist, f"/review/{data['waiting'].pk}/"),
        (data["desk"], "/cases/"),
        (data["desk"], f"/cases/{data['case'].pk}/"),
        (specialist, "/search/?q=initech"),
        (specialist, "/reconciliation/"),
        (specialist, f"/reconciliation/runs/{data['run'].pk}/"),
        (billing, "/billing/"),
        (billing, f"/review/{data['billed'].pk}/"),
        (manager, "/queue/"),  # every region, with the reviewer select on each row
        (manager, "/kpis/"),
        (manager, "/team/"),
    ]

    found, tabs = {}, {}
    for user, url in pages:
        key = user.username if user else "anonymous"
        if key not in tabs:
            tabs[key] = browser_as(user)  # one page per role, reused
        page = tabs[key]
        response = page.goto(url)
        assert response.ok, f"{url} as {key}: {response.status}"
        page.wait_for_load_state("networkidle")  # htmx fragments (checklists, saved views) are in
        found[f"{key} {url}"] = axe_violations(page)

    by_impact = Counter(v["impact"] for violations in found.values() for v in violations)
    nodes = Counter(v["impact"] for violations in found.values() for v in violations for _ in v["nodes"])
    print(f"axe-core on {len(pages)} pages: rules violated by impact {dict(by_impact)}, elements {dict(nodes)}")
    print(report(found))
    blocking = {where: [v for v in vs if v["impact"] in BLOCKING] for where, vs in found.items()}
    assert not any(blocking.values()), "serious or critical accessibility violations:\n" + report(blocking)
