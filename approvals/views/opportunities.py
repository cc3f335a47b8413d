"""The rep's pages: their opportunities (with a manager's view of the team's), one opportunity's detail, and the
workflow actions on it (submit, recall, escalate)."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from ordermgmt import selectors as om_selectors
from ordermgmt import services as om_services
from ordermgmt.exports import DATE, EXPORT_CHUNK, INTEGER, MONEY, Column, ExportFormatMixin
from ordermgmt.filters import OpportunityFilterSet
from ordermgmt.models import Opportunity
from ordermgmt.web import RoleRequiredMixin, run_service, sort_by

from .. import requirements, selectors, services
from ..forms import (
    CorrectionForm,
    EscalateForm,
)
from ..sla import month_lock_date, month_locked_after, quarter_closing_days
from .common import REP_ROLES, Role, checklist_context, visible_opportunity
from .conversation import thread_context

Status = Opportunity.ApprovalStatus


def _locked_since(opp) -> date | None:
    """The day a Closed Won deal's booking month locked (None while it is open to changes)."""
    if opp.approval_status != Status.CLOSED_WON or opp.close_date is None:
        return None
    return month_lock_date(opp.close_date) if timezone.now() > month_locked_after(opp.close_date) else None


def _open_question(thread):
    """The last question of the thread: what the rep must answer now."""
    return next((message for message in reversed(thread) if message.kind == message.Kind.QUESTION), None)


STATUS_CHIPS = [("", "All")] + list(Opportunity.ApprovalStatus.choices)


SORT_COLUMNS = {
    "name": "name",
    "account": "account__name",
    "stage": "stage",
    "amount": "amount",
    "start": "start_date",
    "approval": "approval_status",
}


class MyOpportunitiesView(RoleRequiredMixin, TemplateView):
    roles = REP_ROLES
    template_name = "approvals/opportunity_list.html"

    def filterset(self) -> OpportunityFilterSet:
        user = self.request.user
        queryset = selectors.opportunity_list(user=user)
        if user.is_manager and "owner" not in self.request.GET:
            queryset = queryset.filter(owner=user)
        return OpportunityFilterSet(self.request.GET, queryset=queryset, request=self.request)

    def rows(self):
        """The filtered list in the order of its sortable columns (`?sort=`), and the applied sort key."""
        return sort_by(self.request, self.filterset().qs, SORT_COLUMNS)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        filterset = self.filterset()
        rows, sort = sort_by(self.request, filterset.qs, SORT_COLUMNS)
        page = Paginator(rows, 50).get_page(self.request.GET.get("page"))
        params = self.request.GET.copy()
        params.pop("page", None)
        chips = []
        current = self.request.GET.get("approval_status", "")
        for value, label in STATUS_CHIPS:
            chip_params = params.copy()
            chip_params["approval_status"] = value
            chips.append({"label": label, "query": chip_params.urlencode(), "active": value == current})
        ctx.update(filterset=filterset, page=page, chips=chips, query=params.urlencode(), sort=sort)
        return ctx


OPPORTUNITY_EXPORT_COLUMNS = [
    Column("Id", INTEGER),
    Column("Opportunity"),
    Column("Account"),
    Column("Owner"),
    Column("Region"),
    Column("Stage"),
    Column("Approval status"),
    Column("Start date", DATE),
    Column("Close date", DATE),
    Column("Net ARR", MONEY),
    Column("Primary quote"),
]


class MyOpportunitiesExportView(ExportFormatMixin, MyOpportunitiesView):
    """The list as CSV or XLSX (`export_format`) with the same filters and sort (every row, not one page)."""

    def get(self, request, *args, **kwargs):
        # the labels looked up once: get_FOO_display() rebuilds the choices on every call (a fifth of a row's time)
        stages, statuses = dict(Opportunity.Stage.choices), dict(Opportunity.ApprovalStatus.choices)
        rows = (
            [o.pk, o.name, o.account.name, o.owner, o.region_id, stages.get(o.stage, o.stage)]
            + [statuses.get(o.approval_status, o.approval_status), o.start_date, o.close_date, o.net_arr]
            + [o.primary_quote.number if o.primary_quote else ""]
            for o in self.rows()[0].iterator(chunk_size=EXPORT_CHUNK)
        )
        return self.export_response("opportunities", OPPORTUNITY_EXPORT_COLUMNS, rows)


class OpportunityDetailView(LoginRequiredMixin, TemplateView):
    template_name = "approvals/opportunity_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        opp = visible_opportunity(user, kwargs["pk"])
        rejection = None
        if opp.approval_status in (Opportunity.ApprovalStatus.OM_REJECTED, Opportunity.ApprovalStatus.BILLING_REJECTED):
            rejection = selectors.last_rejection(opportunity=opp)
        labels = dict(requirements.rejection_reasons())
        ctx.update(
            opportunity=opp,
            quote=opp.primary_quote,
            documents=om_selectors.document_list(opportunity=opp),
            **checklist_context(requirements.evaluate(requirements.Deal.of(opp))),
            history=om_selectors.opportunity_history(opportunity=opp),
            submission=selectors.open_submission(opportunity=opp),
            rejection=rejection,
            rejection_labels=[labels.get(code, code) for code in rejection.reasons] if rejection else [],
            actions=selectors.opportunity_actions(user=user, opportunity=opp),
            escalate_form=kwargs.get("escalate_form") or EscalateForm(),
            **thread_context(user, opp),
        )
        ctx["question"] = _open_question(ctx["thread"]) if opp.approval_status == Status.NEEDS_INFO else None
        ctx["locked_since"] = _locked_since(opp)
        ctx["can_approve_quote"] = om_services.can_approve_quotes(user)
        ctx["corrections"] = list(selectors.correction_list(user=user, opportunity_id=opp.pk))
        can_correct = opp.approval_status == Status.CLOSED_WON and (user.is_billing or user.is_manager)
        ctx["correction_form"] = CorrectionForm() if can_correct else None
        escalating = "escalate" in ctx["actions"]
        ctx["quarter_closing"] = quarter_closing_days(timezone.now(), opp.region) if escalating else None
        return ctx


class OpportunityActionView(LoginRequiredMixin, View):
    """POST-only rep action (submit, recall) -> service -> back to the opportunity."""

    service = None
    done = ""

    def post(self, request, pk):
        opp = visible_opportunity(request.user, pk)
        if run_service(request, type(self).service, opportunity_id=opp.pk):
            messages.success(request, f"{opp.name}: {self.done}")
        return redirect("approvals:opportunity_detail", pk=opp.pk)


class SubmitView(OpportunityActionView):
    service = services.approval_submit
    done = "submitted for booking approval."


class RecallView(OpportunityActionView):
    service = services.approval_recall
    done = "recalled; you can edit it again."


class EscalateView(OpportunityDetailView):
    def get(self, request, *args, **kwargs):
        raise Http404

    def post(self, request, pk):
        opp = visible_opportunity(request.user, pk)
        form = EscalateForm(request.POST)
        if not form.is_valid():
            messages.error(request, "The escalation was not sent: say why this is urgent.")
            return self.render_to_response(self.get_context_data(pk=pk, escalate_form=form), status=400)
        if run_service(
            request,
            services.approval_escalate,
            opportunity_id=opp.pk,
            reason=form.cleaned_data["reason"],
            to_region=form.cleaned_data["to_region"] or None,
        ):
            messages.success(request, f"{opp.name} escalated.")
        return redirect("approvals:opportunity_detail", pk=opp.pk)


class BookNowView(RoleRequiredMixin, View):
    """A manager books a held deal before its date, with a reason."""

    roles = (Role.MANAGER,)

    def post(self, request, pk):
        opp = visible_opportunity(request.user, pk)
        reason = request.POST.get("reason", "")
        if run_service(request, services.approval_book_now, opportunity_id=opp.pk, reason=reason):
            messages.success(request, f"{opp.name} is booked: Closed Won today.")
        return redirect("approvals:opportunity_detail", pk=opp.pk)


class QuoteApprovalRequestView(OpportunityActionView):
    service = om_services.quote_approval_request
    done = "Deal Desk is asked to approve the quote."


class QuoteApproveView(OpportunityActionView):
    service = om_services.quote_approve
    done = "quote approved."
