"""The review conversation: needs information (the SLA clock pauses while the rep holds the item), the rep's answer
(back to the same reviewer, same queue position), the thread with @mentions and attachments; API, pages, Chromium."""

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from playwright.sync_api import expect

from approvals import selectors, services
from approvals.models import Comment, Decision, Submission
from kpis import selectors as kpi
from kpis.periods import month
from ordermgmt.exceptions import Conflict, InvalidTransition, NotVisibleError, PermissionDeniedError
from ordermgmt.models import Notification, Opportunity, OpportunityEvent
from tests.approvals.factories import verify_checklist_in_browser
from tests.ordermgmt.factories import PDF_BYTES, SpecialistFactory, ready_opportunity, region

PT = ZoneInfo("America/Los_Angeles")
Status = Opportunity.ApprovalStatus

# AMER: 07:00-17:00 America/Los_Angeles, US holidays (Thursday 2026-11-26 is Thanksgiving); SLA 12 business hours,
# at risk after 9. Submitted Monday 2026-11-23 09:00: due Tuesday 11:00 (8 h Monday + 4 h), at risk Tuesday 08:00.
SUBMITTED = datetime(2026, 11, 23, 9, 0, tzinfo=PT)
ASKED = datetime(2026, 11, 23, 13, 0, tzinfo=PT)  # 4 business hours used
# With the rep: Monday 13-17 (4) + Tuesday (10) + Wednesday (10) + Thanksgiving (0) + Friday 07-10 (3) = 27 h.
ANSWERED = datetime(2026, 11, 27, 10, 0, tzinfo=PT)


def _submitted(rep, **kwargs) -> Opportunity:
    opp = ready_opportunity(owner=rep, start_date=date(2026, 12, 1), **kwargs)
    services.approval_submit(opportunity_id=opp.pk, actor=rep, now=SUBMITTED)
    return opp


@pytest.mark.django_db
def test_the_sla_clock_stands_still_while_the_rep_holds_the_item_across_a_weekend_and_a_holiday(rep, specialist):
    opp = _submitted(rep)
    submission = Submission.objects.get(opportunity=opp)
    assert submission.sla_due_at == datetime(2026, 11, 24, 11, 0, tzinfo=PT)
    assert submission.sla_at_risk_at == datetime(2026, 11, 24, 8, 0, tzinfo=PT)

    services.approval_info_request(opportunity_id=opp.pk, actor=specialist, question="Is the PO final?", now=ASKED)
    opp.refresh_from_db()
    submission.refresh_from_db()
    assert (opp.approval_status, submission.state) == (Status.NEEDS_INFO, Submission.State.NEEDS_INFO)
    assert submission.claimed_by == specialist  # the asker holds it, so the answer comes back to them
    assert not selectors.approval_queue(user=specialist).exists()  # out of the queue while the rep holds it
    assert [s.pk for s in selectors.waiting_for_rep(user=specialist)] == [submission.pk]

    services.approval_info_respond(opportunity_id=opp.pk, actor=rep, answer="Yes, PO 4500012345.", now=ANSWERED)
    submission.refresh_from_db()
    assert submission.state == Submission.State.SUBMITTED
    assert submission.om_rep_hours == Decimal("27.00")
    # 8 business hours were left when asked: Friday 10-17 (7) + Monday 07-08 (1).
    assert submission.sla_due_at == datetime(2026, 11, 30, 8, 0, tzinfo=PT)
    # 5 hours were left before "at risk": Friday 10:00 + 5 = 15:00.
    assert submission.sla_at_risk_at == datetime(2026, 11, 27, 15, 0, tzinfo=PT)
    assert submission.claimed_by == specialist
    assert list(selectors.approval_queue(user=specialist)) == [submission]

    services.approval_approve(opportunity_id=opp.pk, actor=specialist, now=datetime(2026, 11, 30, 7, 30, tzinfo=PT))
    decision = Decision.objects.get(submission=submission)
    # Monday 09-13 (4) + Friday 10-17 (7) + Monday 07:00-07:30 (0.5): the time with the rep is not counted.
    assert decision.business_hours == Decimal("11.50")
    actions = list(OpportunityEvent.objects.filter(opportunity=opp).values_list("action", flat=True))
    assert actions[-3:] == ["needs_info", "info_provided", "om_approved"]
    info = OpportunityEvent.objects.get(opportunity=opp, action="info_provided")
    assert info.changes["paused_business_hours"] == [None, "27.00"]
    # The KPIs count it as time with the rep, beside the decision hours.
    sla = kpi.approval_sla(kpi.Scope(month(2026, 11), None, None, None))
    assert (sla["decided"], sla["met"], sla["median"], sla["with_rep"]) == (1, 1, 11.5, 27.0)


@pytest.mark.django_db
def test_the_answer_keeps_the_items_queue_position(rep, other_rep, specialist):
    first = _submitted(rep, net_arr=Decimal("90000"))
    second = _submitted(other_rep, net_arr=Decimal("50000"))
    services.approval_info_request(opportunity_id=first.pk, actor=specialist, question="Which PO?", now=ASKED)
    assert [s.opportunity_id for s in selectors.approval_queue(user=specialist)] == [second.pk]
    services.approval_info_respond(opportunity_id=first.pk, actor=rep, answer="PO 1", now=ANSWERED)
    assert [s.opportunity_id for s in selectors.approval_queue(user=specialist)] == [first.pk, second.pk]


@pytest.mark.django_db
def test_a_deadline_already_past_when_asked_does_not_move(rep, specialist):
    opp = _submitted(rep)
    late = datetime(2026, 11, 24, 12, 0, tzinfo=PT)  # an hour after the due time
    services.approval_info_request(opportunity_id=opp.pk, actor=specialist, question="Why so late?", now=late)
    services.approval_info_respond(opportunity_id=opp.pk, actor=rep, answer="Sorry", now=ANSWERED)
    submission = Submission.objects.get(opportunity=opp)
    assert submission.sla_due_at == datetime(2026, 11, 24, 11, 0, tzinfo=PT)  # still breached


@pytest.mark.django_db
def test_billing_asks_and_the_answer_returns_the_item_to_billings_queue(rep, specialist, billing):
    opp = _submitted(rep)
    services.approval_approve(opportunity_id=opp.pk, actor=specialist, now=ASKED)
    services.approval_info_request(
        opportunity_id=opp.pk, actor=billing, question="Invoice address?", now=datetime(2026, 11, 24, 9, 0, tzinfo=PT)
    )
    assert not selectors.approval_queue(user=billing, stage="billing").exists()
    assert selectors.waiting_for_rep(user=billing, stage="billing").count() == 1
    services.approval_info_respond(
        opportunity_id=opp.pk, actor=rep, answer="HQ", now=datetime(2026, 11, 24, 11, 0, tzinfo=PT)
    )
    opp.refresh_from_db()
    submission = Submission.objects.get(opportunity=opp)
    assert (opp.approval_status, submission.state) == (Status.OM_APPROVED, Submission.State.OM_APPROVED)
    assert submission.billing_rep_hours == Decimal("2.00")
    services.approval_billing_approve(
        opportunity_id=opp.pk, actor=billing, now=datetime(2026, 11, 24, 12, 0, tzinfo=PT)
    )
    billing_decision = Decision.objects.get(submission=submission, stage=Decision.Stage.BILLING)
    # Monday 13-17 (4) + Tuesday 07-12 (5) = 9 business hours, less the 2 with the rep.
    assert billing_decision.business_hours == Decimal("7.00")


@pytest.mark.django_db
def test_who_may_ask_and_answer(rep, other_rep, specialist, billing, emea_specialist):
    opp = _submitted(rep)
    with pytest.raises(NotVisibleError):  # another region's specialist does not even see it
        services.approval_info_request(opportunity_id=opp.pk, actor=emea_specialist, question="?", now=ASKED)
    with pytest.raises(PermissionDeniedError):
        services.approval_info_request(opportunity_id=opp.pk, actor=rep, question="?", now=ASKED)
    colleague = SpecialistFactory(username="spec_amer_2")
    services.approval_claim(opportunity_id=opp.pk, actor=colleague)
    with pytest.raises(Conflict):  # claimed by somebody else
        services.approval_info_request(opportunity_id=opp.pk, actor=specialist, question="?", now=ASKED)
    services.approval_info_request(opportunity_id=opp.pk, actor=colleague, question="Which PO?", now=ASKED)
    with pytest.raises(InvalidTransition):
        services.approval_info_request(opportunity_id=opp.pk, actor=colleague, question="Again?", now=ASKED)
    with pytest.raises(InvalidTransition):  # a question waits: the rep answers instead of submitting again
        services.approval_submit(opportunity_id=opp.pk, actor=rep)
    with pytest.raises(NotVisibleError):
        services.approval_info_respond(opportunity_id=opp.pk, actor=other_rep, answer="Me?", now=ANSWERED)
    with pytest.raises(PermissionDeniedError):
        services.approval_info_respond(opportunity_id=opp.pk, actor=specialist, answer="Me?", now=ANSWERED)
    with pytest.raises(InvalidTransition):  # nothing to approve while the rep holds it
        services.approval_approve(opportunity_id=opp.pk, actor=colleague)
    services.approval_info_respond(opportunity_id=opp.pk, actor=rep, answer="PO 1", now=ANSWERED)
    with pytest.raises(InvalidTransition):
        services.approval_info_respond(opportunity_id=opp.pk, actor=rep, answer="PO 1 again", now=ANSWERED)
    assert Notification.objects.filter(recipient=colleague, verb="info_provided").count() == 1
    assert Notification.objects.filter(recipient=rep, verb="needs_info").count() == 1


@pytest.mark.django_db
def test_thread_mentions_notify_only_people_who_can_see_the_deal(rep, specialist, emea_specialist, manager):
    opp = _submitted(rep)
    comment = services.opportunity_comment_add(
        opportunity_id=opp.pk, actor=rep, body="@spec_amer @spec_emea @mgr @nobody the PO is attached."
    )
    assert comment.mentions_notified == ["spec_amer", "mgr"]
    assert comment.mentions_ignored == ["spec_emea", "nobody"]
    assert Notification.objects.filter(verb="mention").count() == 2
    assert not Notification.objects.filter(recipient=emea_specialist).exists()
    services.opportunity_comment_add(opportunity_id=opp.pk, actor=specialist, body="Thanks, checking.")
    assert Notification.objects.filter(recipient=rep, verb="comment").count() == 1  # the other side hears
    with pytest.raises(NotVisibleError):
        services.opportunity_comment_add(opportunity_id=opp.pk, actor=emea_specialist, body="Hello")
    assert Comment.objects.filter(opportunity=opp).count() == 2


@pytest.mark.django_db
def test_api_ask_answer_and_thread(as_user, rep, specialist, other_rep):
    opp = _submitted(rep)
    ask = f"/api/opportunities/{opp.pk}/needs-info/"
    response = as_user(specialist).post(ask, {"question": ""}, format="json")
    assert response.status_code == 400
    assert "question" in response.json()
    assert Opportunity.objects.get(pk=opp.pk).approval_status == Status.SUBMITTED  # nothing half-saved
    response = as_user(specialist).post(ask, {"question": "Is the PO final?"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["approval_status"] == "needs_info"
    assert as_user(specialist).post(ask, {"question": "Again?"}, format="json").status_code == 409
    assert as_user(rep).post(ask, {"question": "Me?"}, format="json").status_code == 403

    respond = f"/api/opportunities/{opp.pk}/respond/"
    assert as_user(other_rep).post(respond, {"answer": "Me?"}, format="json").status_code == 404
    upload = SimpleUploadedFile("po.pdf", PDF_BYTES, content_type="application/pdf")
    response = as_user(rep).post(respond, {"answer": "Yes, see the PO.", "attachment": upload}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["approval_status"] == "submitted"

    thread = as_user(specialist).get(f"/api/opportunities/{opp.pk}/comments/").json()
    assert [(m["kind"], m["author"]) for m in thread] == [("question", specialist.pk), ("answer", rep.pk)]
    assert thread[1]["attachment_name"] == "po.pdf"
    download = as_user(specialist).get(thread[1]["attachment_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert as_user(other_rep).get(thread[1]["attachment_url"]).status_code == 404
    posted = as_user(specialist).post(f"/api/opportunities/{opp.pk}/comments/", {"body": "Thanks"}, format="json")
    assert posted.status_code == 201
    assert posted.json()["kind"] == "comment"
    assert as_user(other_rep).get(f"/api/opportunities/{opp.pk}/comments/").status_code == 404
    bad = as_user(rep).post(f"/api/opportunities/{opp.pk}/comments/", {"body": " "}, format="json")
    assert bad.status_code == 400
    assert "body" in bad.json()


@pytest.mark.django_db
def test_schema_documents_the_conversation_endpoints_with_examples(api):
    schema = api.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for suffix in ("needs-info/", "respond/", "comments/"):
        path = next(p for p in paths if p.endswith("/{id}/" + suffix))
        post = paths[path]["post"]
        content = post["requestBody"]["content"]["application/json"]
        assert content.get("examples"), suffix
    comments = next(p for p in paths if p.endswith("/{id}/comments/"))
    assert "201" in paths[comments]["post"]["responses"]
    assert "multipart/form-data" in paths[comments]["post"]["requestBody"]["content"]


@pytest.mark.django_db
def test_pages_show_the_paused_clock_the_question_and_the_thread(client, rep, specialist):
    opp = _submitted(rep)
    services.approval_info_request(opportunity_id=opp.pk, actor=specialist, question="Is the PO final?", now=ASKED)
    client.force_login(specialist)
    with time_machine.travel(datetime(2026, 11, 24, 9, 0, tzinfo=PT), tick=False):
        page = client.get(reverse("approvals:review", args=[opp.pk])).content.decode()
    assert 'data-sla-state="paused"' in page
    assert "6.0h with the rep" in page  # Monday 13-17 (4) + Tuesday 07-09 (2)
    assert "Is the PO final?" in page
    client.force_login(rep)
    detail = client.get(reverse("approvals:opportunity_detail", args=[opp.pk])).content.decode()
    assert 'data-testid="question"' in detail
    assert 'data-testid="answer-form"' in detail
    response = client.post(reverse("approvals:respond", args=[opp.pk]), {"body": "Final."})
    assert response.status_code == 302
    assert Opportunity.objects.get(pk=opp.pk).approval_status == Status.SUBMITTED


@pytest.mark.django_db(transaction=True)
def test_specialist_asks_rep_answers_in_the_thread_and_the_item_returns_and_is_approved(browser_as, rep, screenshot):
    specialist = SpecialistFactory(username="spec_thread", region=region("AMER"))
    opp = ready_opportunity(owner=rep, name="Question deal", start_date=date(2026, 12, 20))
    page, rep_page = browser_as(specialist), browser_as(rep)
    # Monday 2026-11-30 09:00 in AMER's business hours; the clock runs (tick) and jumps two hours while the rep
    # holds the item.
    with time_machine.travel(datetime(2026, 11, 30, 9, 0, tzinfo=PT), tick=True) as clock:
        services.approval_submit(opportunity_id=opp.pk, actor=rep)
        page.goto(reverse("approvals:review", args=[opp.pk]))
        page.fill("#id_ask-question", "Is PO 4500012345 final?")
        page.get_by_role("button", name=re.compile("Ask the rep")).click()
        expect(page.get_by_text("your question went to")).to_be_visible()
        expect(page.locator('[data-testid="waiting-for-rep"]')).to_contain_text("Question deal")

        clock.move_to(datetime(2026, 11, 30, 11, 0, tzinfo=PT))
        rep_page.goto(reverse("approvals:opportunity_detail", args=[opp.pk]))
        expect(rep_page.locator('[data-testid="question"]')).to_contain_text("Is PO 4500012345 final?")
        rep_page.locator('[data-testid="answer-form"] textarea').fill("Yes, @spec_thread: it is final.")
        rep_page.locator('[data-testid="answer-form"] input[type="file"]').set_input_files(
            files=[{"name": "po.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
        )
        rep_page.get_by_role("button", name="Send answer").click()
        expect(rep_page.get_by_text("your answer went back to the reviewer")).to_be_visible()
        expect(rep_page.locator('[data-testid="approval-status"]')).to_have_text("Submitted")

        page.goto(reverse("approvals:queue"))
        row = page.locator(f'[data-testid="queue-row"][data-opportunity="{opp.pk}"]')
        expect(row).to_contain_text(str(specialist))  # back with the reviewer who asked
        page.goto(reverse("approvals:review", args=[opp.pk]))
        expect(page.locator('[data-testid="thread-message"]')).to_have_count(2)
        expect(page.locator('[data-testid="thread"]')).to_contain_text("po.pdf")
        expect(page.locator('[data-testid="sla-with-rep"]')).to_contain_text("2.0h with the rep")
        screenshot(page, "review-conversation")
        verify_checklist_in_browser(page)
        page.get_by_role("button", name="Approve", exact=True).click()
        expect(page.get_by_text("approved and sent to Billing")).to_be_visible()
    assert Opportunity.objects.get(pk=opp.pk).approval_status == Status.OM_APPROVED
