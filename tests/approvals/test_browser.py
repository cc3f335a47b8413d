"""Each role's main path in real (Debian) headless Chromium against a live server on PostgreSQL."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from approvals import services as approval_services
from ordermgmt.models import Opportunity, User
from tests.approvals.factories import verify_checklist, verify_checklist_in_browser
from tests.ordermgmt.factories import (
    PASSWORD,
    PDF_BYTES,
    AccountFactory,
    BillingFactory,
    ContactFactory,
    RepFactory,
    SpecialistFactory,
    UserFactory,
    ready_opportunity,
)

pytestmark = pytest.mark.django_db(transaction=True)

Status = Opportunity.ApprovalStatus


def submitted(owner, **kwargs) -> Opportunity:
    opp = ready_opportunity(owner=owner, **kwargs)
    approval_services.approval_submit(opportunity_id=opp.pk, actor=owner)
    return opp


def queue_order(page) -> list[int]:
    rows = page.locator('[data-testid="queue-row"]')
    return [int(rows.nth(i).get_attribute("data-opportunity")) for i in range(rows.count())]


def test_rep_specialist_and_billing_take_a_deal_from_form_to_closed_won(browser_as, screenshot):
    # given: a rep with a customer contact, and two other deals already waiting in AMER's queue
    rep = RepFactory(username="rep_ui")
    specialist = SpecialistFactory(username="spec_ui", first_name="Sam", last_name="Reviewer")
    billing = BillingFactory(username="billing_ui")
    account = AccountFactory(name="Initech Corp")
    contact = ContactFactory(account=account, name="Peter Gibbons", email="peter@initech.example")
    colleague = RepFactory(username="rep_ui_colleague")
    earlier = submitted(colleague, name="Earlier start deal", start_date=date(2026, 11, 20))
    later = submitted(colleague, name="Later start deal", start_date=date(2027, 2, 1))

    # the rep signs in on the login page and lands on "My opportunities"
    page = browser_as()
    page.goto("/login/")
    page.fill("#id_username", rep.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/opportunities/$"))
    page.get_by_role("link", name="New opportunity").click()

    # fills the form; the Sold To / Bill To selects load the chosen account's contacts
    page.fill("#id_name", "Initech platform")
    page.select_option("#id_account", str(account.pk))
    expect(page.locator(f'#id_quote-sold_to_contact option[value="{contact.pk}"]')).to_be_attached()
    page.select_option("#id_route_to_market", "direct")
    page.fill("#id_amount", "48000.00")
    page.fill("#id_net_arr", "48000.00")
    page.fill("#id_start_date", "2026-12-15")
    page.fill("#id_end_date", "2027-12-14")
    page.fill("#id_closed_won_reason", "Product fit")
    page.fill("#id_closed_won_details", "Faster pipelines")
    page.select_option("#id_executed_agreement_type", "signed_order_form")
    page.fill("#id_quote-number", "Q-INITECH-1")
    page.select_option("#id_quote-sold_to_contact", str(contact.pk))
    page.select_option("#id_quote-bill_to_contact", str(contact.pk))
    page.fill("#id_quote-amount", "48000.00")
    page.fill("#id_quote-start_date", "2026-12-15")
    page.fill("#id_quote-term_months", "12")
    page.select_option("#id_quote-payment_terms", "net_30")
    expect(page.locator("#id_quote-approved")).to_be_disabled()  # Deal Desk approves quotes, not the rep

    # the checklist beside the form says exactly what is missing, live
    checklist = page.locator("#checklist")
    expect(checklist.locator('li[data-code="competitors"]')).to_have_attribute("data-met", "false")
    expect(checklist.locator('li[data-code="quote_contacts"]')).to_have_attribute("data-met", "true")
    page.fill("#id_competitors", "Other Vendor")
    expect(checklist.locator('li[data-code="competitors"]')).to_have_attribute("data-met", "true")
    page.fill("#id_quote-amount", "47000.00")
    expect(checklist.locator('li[data-code="amount_matches_quote"]')).to_have_attribute("data-met", "false")
    page.fill("#id_quote-amount", "48000.00")
    expect(checklist.locator('li[data-code="amount_matches_quote"]')).to_have_attribute("data-met", "true")
    expect(checklist.locator('li[data-code="signed_order_form"]')).to_have_attribute("data-met", "false")
    page.locator("h1").scroll_into_view_if_needed()
    screenshot(page, "rep_form")
    page.get_by_role("button", name="Create opportunity").click()

    # attaches the signed order form: the checklist turns complete
    expect(page).to_have_url(re.compile(r"/opportunities/\d+/edit/$"))
    opp = Opportunity.objects.get(name="Initech platform")
    page.select_option("#id_kind", "signed_order_form")
    page.set_input_files(
        "#id_file", files=[{"name": "order-form.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.locator('[data-testid="documents"]')).to_contain_text("order-form.pdf")
    expect(page.locator('li[data-code="primary_quote_approved"]')).to_have_attribute("data-met", "false")

    # asks Deal Desk to approve the quote; Deal Desk approves it from the same page
    page.get_by_role("link", name="Review and submit").click()
    page.get_by_test_id("request-quote-approval").click()
    expect(page.get_by_text("Deal Desk is asked to approve the quote")).to_be_visible()
    desk = browser_as(UserFactory(username="deal_desk_ui", role=User.Role.DEAL_DESK))
    desk.goto(f"/opportunities/{opp.pk}/")
    desk.get_by_test_id("approve-quote").click()
    expect(desk.get_by_test_id("message")).to_contain_text("quote approved")

    # the checklist is complete: the rep submits it from the detail page
    page.reload()
    expect(page.locator('[data-testid="checklist"]')).to_have_attribute("data-complete", "true")
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.locator('[data-testid="approval-status"]')).to_have_text("Submitted")

    # the specialist finds it second in the queue: earlier start date first, later start date last
    spec = browser_as(specialist)
    spec.goto("/queue/")
    assert queue_order(spec) == [earlier.pk, opp.pk, later.pk]
    ours = spec.locator(f'[data-testid="queue-row"][data-opportunity="{opp.pk}"]')
    expect(ours.locator("[data-countdown]")).to_have_text(re.compile(r"^-?\d+h \d\dm$"))  # live SLA countdown
    expect(ours.locator('[data-testid="sla"]')).to_have_attribute("data-sla-state", re.compile("ok|at_risk|breached"))
    screenshot(spec, "queue")

    # claims it, then opens it with the keyboard (j, j, Enter)
    ours.get_by_role("button", name="Claim Initech platform").click()
    expect(spec.locator('[data-testid="message"]')).to_contain_text("You claimed Initech platform")
    expect(spec.locator(f'[data-opportunity="{opp.pk}"] [data-testid="claimed-by"]')).to_have_text("Sam Reviewer")
    spec.keyboard.press("j")
    spec.keyboard.press("j")
    spec.keyboard.press("Enter")
    expect(spec).to_have_url(re.compile(rf"/review/{opp.pk}/$"))
    expect(spec.locator('[data-testid="verify-checklist"]')).to_have_attribute("data-ready", "false")
    expect(spec.locator('[data-testid="verify-checklist"] li[data-verdict=""]').first).to_be_visible()
    expect(spec.locator('[data-testid="document-frame"]')).to_be_visible()

    # rejects it with a reason and a comment, and is taken straight to the next item
    spec.get_by_role("checkbox", name="Closed-won reason and details filled in").check()
    spec.fill("#id_reject-comment", "Say why the customer chose us, in a sentence.")
    spec.get_by_role("button", name="Reject", exact=True).click()
    # a destructive action asks first, saying what will happen; cancelling leaves the page as it was
    modal = spec.locator("#confirm-modal")
    expect(modal).to_be_visible()
    expect(modal).to_contain_text("goes back to the rep")
    modal.get_by_role("button", name="Cancel").click()
    expect(modal).to_be_hidden()
    expect(spec).to_have_url(re.compile(rf"/review/{opp.pk}/$"))
    spec.get_by_role("button", name="Reject", exact=True).click()
    modal.get_by_role("button", name="Yes, go ahead").click()
    expect(spec).to_have_url(re.compile(rf"/review/{earlier.pk}/$"))
    expect(spec.locator('[data-testid="message"]')).to_contain_text("Initech platform: rejected")

    # the rep sees the reason and comment at the top, fixes and resubmits
    page.reload()
    rejection = page.locator('[data-testid="rejection"]')
    expect(rejection).to_contain_text("Closed-won reason and details filled in")
    expect(rejection).to_contain_text("Say why the customer chose us, in a sentence.")
    rejection.get_by_role("link", name="fix the opportunity").click()
    page.fill("#id_closed_won_details", "Cut build times in half in the proof of concept.")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator('[data-testid="message"]')).to_contain_text("Initech platform saved")
    page.get_by_role("link", name="Review and submit").click()
    page.get_by_role("button", name="Resubmit").click()
    expect(page.locator('[data-testid="approval-status"]')).to_have_text("Submitted")

    # the specialist sees what changed since the rejection and approves
    spec.goto(f"/review/{opp.pk}/")
    expect(spec.locator('[data-testid="changes-since-rejection"]')).to_contain_text("Cut build times in half")
    expect(spec.get_by_role("button", name="Approve", exact=True)).to_be_disabled()  # nothing verified yet
    assert verify_checklist_in_browser(spec) >= 5
    spec.evaluate("window.scrollTo(0, 0)")  # the Verify clicks scrolled down; the screenshot shows the top
    screenshot(spec, "review")
    spec.fill("#id_approve-comment", "All good now.")
    spec.get_by_role("button", name="Approve", exact=True).click()
    expect(spec.locator('[data-testid="message"]').first).to_contain_text("approved and sent to Billing")

    # Billing approves from its own queue, and the deal shows Closed Won
    bill = browser_as(billing)
    bill.goto("/billing/")
    assert queue_order(bill) == [opp.pk]
    bill.get_by_role("link", name="Initech platform").click()
    bill.get_by_role("button", name="Billing approve (Closed Won)").click()
    expect(bill.locator('[data-testid="message"]').first).to_contain_text("Closed Won")
    page.reload()
    expect(page.locator('[data-testid="approval-status"]')).to_have_text("Closed Won")
    expect(page.locator('[data-testid="stage"]')).to_have_text("Closed Won")
    opp.refresh_from_db()
    assert (opp.approval_status, opp.stage) == (Status.CLOSED_WON, Opportunity.Stage.CLOSED_WON)


def test_a_stale_review_page_gets_a_clear_message_not_a_server_error(browser_as):
    rep = RepFactory()
    specialist = SpecialistFactory()
    opp = submitted(rep, name="Contested deal")
    verify_checklist(opp, specialist)
    first = browser_as(specialist)
    second = first.context.new_page()
    first.goto(f"/review/{opp.pk}/")
    second.goto(f"/review/{opp.pk}/")

    first.get_by_role("button", name="Approve", exact=True).click()
    second.get_by_role("checkbox", name="Competitors named (New Business)").check()
    second.fill("#id_reject-comment", "Too late")
    second.get_by_role("button", name="Reject", exact=True).click()
    second.locator("#confirm-modal").get_by_role("button", name="Yes, go ahead").click()

    error = second.locator('[data-testid="message"].alert-danger')
    expect(error).to_contain_text("Cannot reject: this opportunity is approved by order management")
    expect(second.locator("body")).not_to_contain_text("Server Error")
    opp.refresh_from_db()
    assert opp.approval_status == Status.OM_APPROVED


def test_reject_asks_first_saying_what_happens_and_cancel_changes_nothing(browser_as):
    # given: a specialist on a waiting deal's review page, reasons ticked and a comment typed
    opp = submitted(RepFactory(), name="Confirm-me deal")
    page = browser_as(SpecialistFactory())
    page.goto(f"/review/{opp.pk}/")
    page.get_by_role("checkbox", name="Competitors named (New Business)").check()
    page.fill("#id_reject-comment", "Name the competitors.")

    # when: they click Reject, a dialog says what rejecting does
    page.get_by_role("button", name="Reject", exact=True).click()
    dialog = page.get_by_role("dialog", name="Are you sure?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("It goes back to the rep with your reasons and comment")

    # then: Cancel closes it, leaves the page as typed and changes nothing
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(re.compile(rf"/review/{opp.pk}/$"))
    expect(page.locator("#id_reject-comment")).to_have_value("Name the competitors.")
    opp.refresh_from_db()
    assert opp.approval_status == Status.SUBMITTED
    assert not opp.events.filter(action="om_rejected").exists()

    # and: Reject again, then "Yes, go ahead", rejects it
    page.get_by_role("button", name="Reject", exact=True).click()
    dialog.get_by_role("button", name="Yes, go ahead").click()
    expect(page.get_by_test_id("message").first).to_contain_text("Confirm-me deal: rejected")
    opp.refresh_from_db()
    assert opp.approval_status == Status.OM_REJECTED


def test_forbidden_pages_and_actions_show_the_403_page(browser_as):
    rep = RepFactory()
    stranger_opp = submitted(RepFactory(), name="Someone else's deal")
    specialist = SpecialistFactory()

    rep_page = browser_as(rep)
    response = rep_page.goto(f"/review/{stranger_opp.pk}/")
    assert response.status == 403
    expect(rep_page.get_by_role("heading", name=re.compile("You may not do this"))).to_be_visible()
    response = rep_page.goto(f"/opportunities/{stranger_opp.pk}/")
    assert response.status == 404

    approval_services.approval_approve(opportunity_id=stranger_opp.pk, actor=specialist)
    spec = browser_as(specialist)
    spec.goto(f"/review/{stranger_opp.pk}/")
    expect(spec.get_by_role("button", name=re.compile("Billing approve"))).to_have_count(0)
    # a hand-made form (as from a stale or forged page) posting Billing's approval
    with spec.expect_navigation():
        spec.evaluate(
            """(url) => {
                const form = document.createElement("form");
                form.method = "post";
                form.action = url;
                const token = document.createElement("input");
                token.type = "hidden";
                token.name = "csrfmiddlewaretoken";
                token.value = document.body.dataset.csrf;
                form.appendChild(token);
                document.body.appendChild(form);
                form.submit();
            }""",
            f"/review/{stranger_opp.pk}/billing-approve/",
        )
    expect(spec.get_by_role("heading", name=re.compile(r"You may not do this \(403\)"))).to_be_visible()
    stranger_opp.refresh_from_db()
    assert stranger_opp.approval_status == Status.OM_APPROVED


def test_sla_countdown_runs_down_in_the_browser_while_support_hours_run(browser_as):
    # given: a waiting submission whose countdown the page rendered as ticking, 2 h ago
    specialist = SpecialistFactory()
    submitted(RepFactory(), name="Ticking deal")
    page = browser_as(specialist)
    page.goto("/queue/")
    countdown = page.locator("[data-countdown]").first
    expect(countdown).to_have_text(re.compile(r"^-?\d+h \d\dm$"))
    # when: the page pretends the values were rendered 2 hours ago with the clock running, and ticks
    remaining = page.evaluate(
        """() => { const el = document.querySelector('[data-countdown]');
                   el.setAttribute('data-ticking', '1');
                   el.setAttribute('data-remaining-hours', '1.5');
                   el.setAttribute('data-rendered-at', String(Date.now() - 2 * 3600000));
                   document.dispatchEvent(new Event('htmx:afterSwap'));
                   return el.textContent; }"""
    )
    # then: 1.5 h - 2 h = -0.5 h, shown as breached
    assert remaining == "-0h 30m"
    expect(page.locator("[data-sla-state]").first).to_have_attribute("data-sla-state", "breached")
