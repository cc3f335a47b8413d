"""The review page: the booking checklist, history and the decisions (Order Management and Billing)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from ordermgmt import selectors as om_selectors
from ordermgmt.calendar import business_hours_between
from ordermgmt.models import Opportunity
from ordermgmt.web import RoleRequiredMixin, run_service

from .. import requirements, selectors, services
from ..forms import (
    ApproveForm,
    ChecklistMarkForm,
    QuestionForm,
    RejectForm,
)
from ..models import Submission
from ..sla import business_hours_remaining, sla_state
from .common import QUEUE_ROLES, Role, checklist_context, visible_opportunity
from .conversation import thread_context


def _sla(submission: Submission | None, now) -> dict | None:
    """The SLA as the reviewer sees it: running (state, hours left) while in the Order Management queue, paused
    while the rep holds the item; with the business hours spent with the rep so far."""
    if submission is None or submission.om_decided_at is not None:
        return None
    region = submission.region
    if submission.state == Submission.State.NEEDS_INFO:
        held = business_hours_between(submission.info_requested_at, now, region)
        return {
            "paused": True,
            "since": submission.info_requested_at,
            "hours_remaining": business_hours_remaining(submission.sla_due_at, submission.info_requested_at, region),
            "with_rep": round(float(submission.om_rep_hours) + held, 2),
        }
    return {
        "paused": False,
        "state": sla_state(now=now, at_risk_at=submission.sla_at_risk_at, due_at=submission.sla_due_at),
        "hours_remaining": business_hours_remaining(submission.sla_due_at, now, region),
        "with_rep": float(submission.om_rep_hours),
    }


def verify_context(opp, submission: Submission | None, stage: str, can_decide: bool) -> dict:
    """The verified checklist of an item in Order Management's review (none at Billing's stage or without an open
    submission): its rows, whether it is ready to approve, and the reason choices for a failure."""
    if submission is None or stage != "om":
        return {"verify_items": []}
    rows = services.submission_checklist(opp, submission)
    failed = [row for row in rows if row.verdict == "failed"]
    return {
        "verify_items": rows,
        "verify_failed": failed,
        "verify_left": sum(1 for row in rows if not row.verdict),
        "verify_ready": all(row.verdict == "verified" for row in rows),
        "can_verify": can_decide,
        "reason_choices": requirements.rejection_reasons(),
    }


class ReviewView(RoleRequiredMixin, TemplateView):
    """Everything a reviewer checks on one page, with the decision forms of the stage the item is in."""

    roles = (Role.SPECIALIST, Role.MANAGER, Role.BILLING)
    template_name = "approvals/review.html"

    def review_stage(self, opp) -> str:
        if self.request.user.is_billing or opp.approval_status == Opportunity.ApprovalStatus.OM_APPROVED:
            return "billing"
        return "om"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        opp = visible_opportunity(user, kwargs["pk"])
        submission = selectors.open_submission(opportunity=opp)
        now = timezone.now()
        sla = _sla(submission, now)
        rejection = selectors.last_rejection(opportunity=opp)
        labels = dict(requirements.rejection_reasons())
        stage = self.review_stage(opp)
        state = submission.state if submission else None
        can_decide = (stage == "om" and state == Submission.State.SUBMITTED and not user.is_billing) or (
            stage == "billing" and state == Submission.State.OM_APPROVED and user.is_billing
        )
        verify = verify_context(opp, submission, stage, can_decide)
        failed_reasons = [row.verification.reason for row in verify.get("verify_failed", [])]
        ctx.update(
            **verify,
            can_decide=can_decide,
            opportunity=opp,
            quote=opp.primary_quote,
            account=opp.account,
            documents=om_selectors.document_list(opportunity=opp),
            **checklist_context(requirements.evaluate(requirements.Deal.of(opp))),
            history=om_selectors.opportunity_history(opportunity=opp),
            changes=selectors.changes_since_last_rejection(opportunity=opp),
            rejection=rejection,
            rejection_labels=[labels.get(code, code) for code in rejection.reasons] if rejection else [],
            submission=submission,
            sla=sla,
            stage=stage,
            approve_form=kwargs.get("approve_form") or ApproveForm(),
            question_form=QuestionForm(),
            **thread_context(user, opp),
            reject_form=kwargs.get("reject_form") or RejectForm(initial={"reasons": failed_reasons}),
            reviewers=list(selectors.reviewers()) if user.is_manager else [],
            queue_url=reverse("approvals:billing_queue" if stage == "billing" else "approvals:queue"),
        )
        return ctx


class DecisionView(ReviewView):
    """POST-only decision: form -> one service -> the next item of the same queue (or back to the queue)."""

    stage = "om"
    form_class = ApproveForm
    form_kwarg = "approve_form"
    service = None
    done = ""
    extra: dict = {}  # noqa: RUF012 - read only

    def get(self, request, *args, **kwargs):
        raise Http404

    def post(self, request, pk):
        opp = visible_opportunity(request.user, pk)
        form = self.form_class(request.POST)
        if not form.is_valid():
            messages.error(request, "The decision was not recorded: please correct the form below.")
            ctx = self.get_context_data(pk=pk, **{self.form_kwarg: form})
            return self.render_to_response(ctx, status=400)
        if not run_service(request, type(self).service, opportunity_id=opp.pk, **form.cleaned_data, **self.extra):
            return redirect("approvals:review", pk=opp.pk)
        messages.success(request, f"{opp.name}: {self.done}")
        following = selectors.next_queue_item(user=request.user, stage=self.stage)
        if following is not None:
            return redirect("approvals:review", pk=following.opportunity_id)
        messages.info(request, "The queue is empty: nothing else is waiting for you.")
        return redirect("approvals:billing_queue" if self.stage == "billing" else "approvals:queue")


class ApproveView(DecisionView):
    roles = QUEUE_ROLES
    service = services.approval_approve
    extra = {"verified": []}  # noqa: RUF012 - the page ticks item by item: every item must be verified already
    done = "approved and sent to Billing."


class RejectView(DecisionView):
    roles = QUEUE_ROLES
    form_class = RejectForm
    form_kwarg = "reject_form"
    service = services.approval_reject
    done = "rejected; the rep was told what to fix."


class BillingApproveView(DecisionView):
    roles = (Role.BILLING,)
    stage = "billing"
    service = services.approval_billing_approve
    done = "approved by Billing: Closed Won."


class BillingRejectView(DecisionView):
    roles = (Role.BILLING,)
    stage = "billing"
    form_class = RejectForm
    form_kwarg = "reject_form"
    service = services.approval_billing_reject
    done = "rejected by Billing; the rep was told what to fix."


class ChecklistMarkView(ReviewView):
    """POST one verdict on the verified checklist; htmx gets the checklist (and the approve button) back in place,
    a plain form the review page."""

    roles = QUEUE_ROLES

    def get(self, request, *args, **kwargs):
        raise Http404

    def post(self, request, pk):
        opp = visible_opportunity(request.user, pk)
        form = ChecklistMarkForm(request.POST)
        if form.is_valid():
            done = run_service(request, services.checklist_mark, opportunity_id=opp.pk, **form.cleaned_data)
        else:
            done = False
            errors = "; ".join(f"{name}: {' '.join(texts)}" for name, texts in form.errors.items())
            messages.error(request, f"The checklist was not changed ({errors}).")
        review_url = reverse("approvals:review", args=[opp.pk])
        if not request.htmx:
            return redirect(review_url)
        if not done:  # the whole page again, with the message saying why
            return HttpResponse(headers={"HX-Redirect": review_url})
        ctx = self.get_context_data(pk=pk)
        return render(request, "approvals/partials/_verify_checklist.html", {**ctx, "oob": True})
