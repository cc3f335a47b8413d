"""Bulk claim / unclaim / assign from the queue page: one service call per item, a count of what was done and why
the rest was not; the Chromium test ticks three rows, confirms and sees them claimed."""

import re

import pytest
from playwright.sync_api import expect

from approvals import services as approval_services
from approvals.models import Submission
from approvals.services.assignment import approval_unclaim
from ordermgmt.exceptions import Conflict
from ordermgmt.models import Opportunity
from tests.ordermgmt.factories import RepFactory, SpecialistFactory, ready_opportunity


def submitted(owner, **kwargs) -> Opportunity:
    opp = ready_opportunity(owner=owner, **kwargs)
    approval_services.approval_submit(opportunity_id=opp.pk, actor=owner)
    return opp


def claimer(opp):
    return Submission.objects.get(opportunity=opp, state="submitted").claimed_by


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.django_db
def test_unclaim_releases_your_claim_and_is_a_no_op_when_unclaimed(rep, specialist):
    opp = submitted(rep)
    approval_services.approval_claim(opportunity_id=opp.pk, actor=specialist)

    approval_unclaim(opportunity_id=opp.pk, actor=specialist)
    approval_unclaim(opportunity_id=opp.pk, actor=specialist)

    assert claimer(opp) is None
    assert list(opp.events.filter(action="unclaimed").values_list("changes", flat=True)) == [
        {"claimed_by": [specialist.username, None]}
    ]


@pytest.mark.django_db
def test_a_specialist_cannot_unclaim_a_colleagues_item_but_a_manager_can(rep, specialist, manager):
    opp = submitted(rep)
    colleague = SpecialistFactory()
    approval_services.approval_claim(opportunity_id=opp.pk, actor=colleague)

    with pytest.raises(Conflict):
        approval_unclaim(opportunity_id=opp.pk, actor=specialist)
    approval_unclaim(opportunity_id=opp.pk, actor=manager)

    assert claimer(opp) is None


@pytest.mark.django_db
def test_bulk_claim_counts_what_was_done_and_says_why_the_rest_was_not(client, rep, specialist):
    free = [submitted(rep, name=f"Free {i}") for i in range(2)]
    taken = submitted(rep, name="Taken one")
    approval_services.approval_claim(opportunity_id=taken.pk, actor=SpecialistFactory())
    client.force_login(specialist)

    response = client.post(
        "/queue/bulk/", {"action": "claim", "ids": [o.pk for o in (*free, taken)] + [999999]}, follow=True
    )

    assert [claimer(o) for o in free] == [specialist, specialist]
    (message,) = messages_of(response)
    assert message.startswith("Claimed 2 of 4. Not done: Taken one: Already claimed by")
    assert "#999999:" in message


@pytest.mark.django_db
def test_bulk_unclaim_and_manager_bulk_assign(client, rep, specialist, manager):
    opps = [submitted(rep) for _ in range(2)]
    for opp in opps:
        approval_services.approval_claim(opportunity_id=opp.pk, actor=specialist)

    client.force_login(specialist)
    unclaimed = client.post("/queue/bulk/", {"action": "unclaim", "ids": [o.pk for o in opps]}, follow=True)
    client.force_login(manager)
    assigned = client.post(
        "/queue/bulk/", {"action": "assign", "ids": [o.pk for o in opps], "user": specialist.pk}, follow=True
    )

    assert messages_of(unclaimed) == ["Unclaimed 2 of 2."]
    assert messages_of(assigned) == [f"Assigned 2 of 2 to {specialist}."]
    assert [claimer(o) for o in opps] == [specialist, specialist]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"action": "claim"}, "Nothing done: Tick at least one item."),
        ({"action": "assign", "ids": ["1"]}, "Nothing done: only managers assign queue items."),
        ({"action": "claim", "ids": ["x"]}, "Nothing done: Items are numbers."),
    ],
)
def test_bulk_refusals_change_nothing(client, specialist, data, expected):
    client.force_login(specialist)
    response = client.post("/queue/bulk/", data, follow=True)
    assert messages_of(response) == [expected]


@pytest.mark.django_db
def test_reps_may_not_bulk_claim(client, rep):
    client.force_login(rep)
    assert client.post("/queue/bulk/", {"action": "claim", "ids": ["1"]}).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_specialist_bulk_claims_three_items_in_chromium(browser_as, screenshot):
    # given: four unclaimed deals in AMER's queue
    rep = RepFactory()
    specialist = SpecialistFactory()
    opps = [submitted(rep, name=f"Bulk deal {i}") for i in range(4)]
    page = browser_as(specialist)
    page.goto("/queue/")

    # when: the specialist ticks three rows, applies "Claim" and confirms
    for opp in opps[:3]:
        page.locator(f'tr[data-opportunity="{opp.pk}"] [data-testid="bulk-item"]').check()
    expect(page.get_by_test_id("bulk-count")).to_have_text("3")
    page.get_by_test_id("bulk-submit").click()
    expect(page.locator("#confirm-modal [data-confirm-text]")).to_have_text("Claim 3 items?")
    expect(page.locator("#confirm-modal")).to_have_class(re.compile(r"\bshow\b"))
    page.wait_for_timeout(400)  # the modal fades in
    screenshot(page, "queue_bulk_confirm")
    page.locator("#confirm-modal [data-confirm-yes]").click()

    # then: three are claimed, the fourth is not, and the page says so
    expect(page.get_by_text("Claimed 3 of 3.")).to_be_visible()
    for opp in opps[:3]:
        expect(page.locator(f'tr[data-opportunity="{opp.pk}"] [data-testid="claimed-by"]')).to_have_text(
            str(specialist)
        )
    expect(page.locator(f'tr[data-opportunity="{opps[3].pk}"] [data-testid="claimed-by"]')).to_have_text("unclaimed")
    assert [claimer(o) for o in opps] == [specialist, specialist, specialist, None]
