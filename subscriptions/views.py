"""Reconciliation review pages: runs with live progress, discrepancies with filters, fix preview, apply/accept/undo."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView, ListView

from ordermgmt import web
from ordermgmt.exceptions import ApplicationError
from ordermgmt.exports import DATETIME, EXPORT_CHUNK, INTEGER, Column, ExportFormatMixin
from ordermgmt.models import User

from . import selectors, services
from .filters import DiscrepancyFilterSet
from .forms import AcceptForm, BatchForm, ReasonForm, RunStartForm

RESOLVERS = (User.Role.SPECIALIST, User.Role.MANAGER)
READERS = (*RESOLVERS, User.Role.BILLING)


class RoleRequiredMixin(web.RoleRequiredMixin):
    roles = READERS


class RunListView(RoleRequiredMixin, ListView):
    template_name = "subscriptions/run_list.html"
    context_object_name = "runs"
    paginate_by = 25

    def get_queryset(self):
        return selectors.run_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = RunStartForm()
        context["can_resolve"] = self.request.user.is_superuser or self.request.user.role in RESOLVERS
        return context


class RunStartView(RoleRequiredMixin, View):
    roles = RESOLVERS

    def post(self, request):
        form = RunStartForm(request.POST)
        if not form.is_valid():
            messages.error(request, f"Could not start the run: {form.errors.as_text()}")
            return redirect("subscriptions:runs")
        data = {k: v for k, v in form.cleaned_data.items() if v}
        try:
            run = services.reconciliation_run_create(actor=request.user, **data)
            messages.success(request, f"{run.get_kind_display()} run {run.pk} queued.")
        except (ApplicationError, ValidationError) as exc:
            messages.error(request, web.error_text(exc))
        return redirect("subscriptions:runs")


class RunDetailView(RoleRequiredMixin, DetailView):
    """One run on its own page, so a reload (or a link) finds its progress again."""

    template_name = "subscriptions/run_detail.html"
    context_object_name = "run"

    def get_queryset(self):
        return selectors.run_list()


class RunProgressView(RoleRequiredMixin, View):
    """The progress bar of one run: htmx polls it while the run is active (the fragment stops polling when done)."""

    def get(self, request, pk):
        run = get_object_or_404(selectors.run_list(), pk=pk)
        return render(request, "subscriptions/partials/_run_progress.html", {"run": run})


class DiscrepancyListView(RoleRequiredMixin, ListView):
    template_name = "subscriptions/discrepancy_list.html"
    context_object_name = "discrepancies"
    paginate_by = 50

    def get_queryset(self):
        self.filterset = DiscrepancyFilterSet(
            self.request.GET or {"status": "open"}, queryset=selectors.discrepancy_list(user=self.request.user)
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        context["can_resolve"] = self.request.user.is_superuser or self.request.user.role in RESOLVERS
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query"] = query.urlencode()
        return context


DISCREPANCY_EXPORT_COLUMNS = [
    Column("Discrepancy", INTEGER),
    Column("Kind"),
    Column("Status"),
    Column("Region"),
    Column("Period"),
    Column("Subscription"),
    Column("Opportunity id", INTEGER),
    Column("Opportunity"),
    Column("Invoice"),
    Column("Expected"),
    Column("Actual"),
    Column("Proposed fix"),
    Column("First seen", DATETIME),
    Column("Last seen", DATETIME),
    Column("Resolved", DATETIME),
    Column("Resolved by"),
    Column("Reason"),
]


class DiscrepancyExportView(ExportFormatMixin, DiscrepancyListView):
    """The discrepancy list as CSV or XLSX (`export_format`): the page's filters (open ones by default) and region
    scope, every row, not one page."""

    def get(self, request, *args, **kwargs):
        rows = (
            [d.pk, d.get_kind_display(), d.get_status_display(), d.region_code, d.period, d.subscription or ""]
            + [d.opportunity_id, d.opportunity.name if d.opportunity else "", d.invoice or ""]
            + [d.expected, d.actual, d.fix_preview, d.first_seen_at, d.last_seen_at, d.resolved_at]
            + [d.resolved_by or "", d.reason]
            for d in selectors.discrepancy_with_region(self.get_queryset()).iterator(chunk_size=EXPORT_CHUNK)
        )
        return self.export_response("discrepancies", DISCREPANCY_EXPORT_COLUMNS, rows)


class DiscrepancyDetailView(RoleRequiredMixin, DetailView):
    template_name = "subscriptions/discrepancy_detail.html"
    context_object_name = "discrepancy"

    def get_queryset(self):
        return selectors.discrepancy_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["events"] = selectors.discrepancy_events(discrepancy=self.object)
        context["can_resolve"] = self.request.user.is_superuser or self.request.user.role in RESOLVERS
        return context


class _DiscrepancyActionView(RoleRequiredMixin, View):
    roles = RESOLVERS
    form_class = ReasonForm

    def post(self, request, pk):
        discrepancy = get_object_or_404(selectors.discrepancy_list(user=request.user), pk=pk)
        form = self.form_class(request.POST)
        if not form.is_valid():
            messages.error(request, f"Not done: {form.errors.as_text()}")
        else:
            try:
                self.act(discrepancy.pk, form.cleaned_data["reason"])
                messages.success(request, f"Discrepancy {discrepancy.pk}: {self.done}.")
            except (ApplicationError, ValidationError) as exc:
                messages.error(request, web.error_text(exc))
        return redirect("subscriptions:discrepancy_detail", pk=discrepancy.pk)


class DiscrepancyApplyView(_DiscrepancyActionView):
    done = "fix applied"

    def act(self, pk, reason):
        services.discrepancy_apply(discrepancy_ids=[pk], actor=self.request.user, reason=reason)


class DiscrepancyAcceptView(_DiscrepancyActionView):
    form_class = AcceptForm
    done = "accepted as an exception"

    def act(self, pk, reason):
        services.discrepancy_accept(discrepancy_ids=[pk], actor=self.request.user, reason=reason)


class DiscrepancyUndoView(_DiscrepancyActionView):
    done = "fix undone"

    def act(self, pk, reason):
        services.discrepancy_undo(discrepancy_id=pk, actor=self.request.user, reason=reason)


class DiscrepancyBatchView(RoleRequiredMixin, View):
    """Apply or accept the selected discrepancies, all in one transaction (all or none)."""

    roles = RESOLVERS

    def post(self, request):
        form = BatchForm(request.POST)
        back = reverse("subscriptions:discrepancies") + ("?" + request.POST["next"] if request.POST.get("next") else "")
        if not form.is_valid():
            messages.error(request, f"Nothing done: {form.errors.as_text()}")
            return redirect(back)
        ids, reason = form.cleaned_data["ids"], form.cleaned_data["reason"]
        try:
            if form.cleaned_data["action"] == "apply":
                services.discrepancy_apply(discrepancy_ids=ids, actor=request.user, reason=reason)
            else:
                services.discrepancy_accept(discrepancy_ids=ids, actor=request.user, reason=reason)
            messages.success(request, f"{len(ids)} discrepancies resolved.")
        except (ApplicationError, ValidationError) as exc:
            messages.error(request, f"Nothing done: {web.error_text(exc)}")
        return redirect(back)
