"""The review conversation on the pages: a reviewer asks the rep, the rep answers, anyone who can see the deal writes
on its thread, and the thread's attachments are served to those who can see it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View

from ordermgmt.web import RoleRequiredMixin, run_service, safe_next

from .. import selectors, services
from ..forms import QuestionForm, ThreadForm
from .common import Role, visible_opportunity


def _errors(form) -> str:
    return " ".join(" ".join(errors) for errors in form.errors.values())


def thread_context(user, opp, *, message_form=None, answer_form=None) -> dict:
    """What the thread partial reads: the messages, and the form this user may use (the answer, when a question
    waits for them)."""
    waiting = opp.approval_status == opp.ApprovalStatus.NEEDS_INFO and user.pk == opp.owner_id
    return {
        "thread": list(selectors.opportunity_thread(opportunity_id=opp.pk)),
        "message_form": message_form or ThreadForm(),
        "answer_form": (answer_form or ThreadForm(label="Your answer")) if waiting else None,
    }


class AskRepView(RoleRequiredMixin, View):
    """A reviewer's question: the item leaves the queue for the rep, and comes back to the asker."""

    roles = (Role.SPECIALIST, Role.MANAGER, Role.BILLING)

    def post(self, request, pk):
        opp = visible_opportunity(request.user, pk)
        form = QuestionForm(request.POST)
        if not form.is_valid():
            messages.error(request, "The question was not sent: " + _errors(form))
            return redirect("approvals:review", pk=opp.pk)
        if not run_service(request, services.approval_info_request, opportunity_id=opp.pk, **form.cleaned_data):
            return redirect("approvals:review", pk=opp.pk)
        messages.success(request, f"{opp.name}: your question went to {opp.owner}; the SLA clock stands still.")
        billing = request.user.is_billing
        return redirect("approvals:billing_queue" if billing else "approvals:queue")


class RespondView(LoginRequiredMixin, View):
    """The rep's answer (with an optional file): the item returns to the reviewer who asked."""

    def post(self, request, pk):
        opp = visible_opportunity(request.user, pk)
        form = ThreadForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, "The answer was not sent: " + _errors(form))
        elif run_service(
            request,
            services.approval_info_respond,
            opportunity_id=opp.pk,
            answer=form.cleaned_data["body"],
            upload=form.cleaned_data["attachment"],
        ):
            messages.success(request, f"{opp.name}: your answer went back to the reviewer.")
        return redirect("approvals:opportunity_detail", pk=opp.pk)


class CommentCreateView(LoginRequiredMixin, View):
    """A message on the thread, then back to the page it was written on."""

    def post(self, request, pk):
        opp = visible_opportunity(request.user, pk)
        back = safe_next(request, reverse("approvals:opportunity_detail", args=[opp.pk]))
        form = ThreadForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, "The message was not sent: " + _errors(form))
        elif run_service(
            request,
            services.opportunity_comment_add,
            opportunity_id=opp.pk,
            body=form.cleaned_data["body"],
            upload=form.cleaned_data["attachment"],
        ):
            messages.success(request, "Message posted.")
        return redirect(back)


def comment_attachment(request, pk, comment_id):
    """A thread attachment, to whoever may see its opportunity, always as a download."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={request.path}")
    opp = visible_opportunity(request.user, pk)
    comment = selectors.opportunity_thread(opportunity_id=opp.pk).filter(pk=comment_id).first()
    if comment is None or not comment.attachment:
        raise Http404("No such attachment.")
    response = FileResponse(
        comment.attachment.open("rb"),
        as_attachment=True,
        filename=comment.attachment_name,
        content_type=comment.attachment_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
