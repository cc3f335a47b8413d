"""Pages of the licenses app: the daily worklist, Support Engineering's tickets, the systemic-failure catalogue."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from ordermgmt import web
from ordermgmt.exceptions import ApplicationError
from ordermgmt.models import User

from . import selectors, services
from .filters import LicenseTicketFilterSet
from .forms import MarkDeliveredForm, ReviewRunForm

R = User.Role


class RoleRequiredMixin(web.RoleRequiredMixin):
    roles = (R.SUPPORT_ENGINEERING, R.SPECIALIST, R.MANAGER)


class WorklistView(RoleRequiredMixin, ListView):
    """Closed Won self-managed deals by delivery state: waiting, ticketed, delivered; oldest first."""

    template_name = "licenses/worklist.html"
    context_object_name = "opportunities"
    paginate_by = 50

    def get_queryset(self):
        self.state = self.request.GET.get("state", "waiting")
        if self.state not in selectors.WORKLIST_STATES:
            self.state = "waiting"
        return selectors.license_worklist(user=self.request.user, state=self.state, as_of=timezone.localdate())

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            state=self.state,
            states=selectors.WORKLIST_STATES,
            runs=selectors.license_review_run_list()[:6],
            run_form=ReviewRunForm(),
            **kwargs,
        )


class ReviewRunView(RoleRequiredMixin, View):
    """The managers' button: queue a (forced) review now."""

    roles = (R.MANAGER,)

    def post(self, request):
        form = ReviewRunForm(request.POST)
        if form.is_valid():
            services.license_review_enqueue(region=form.cleaned_data["region"] or None, actor=request.user)
            messages.success(request, "License review queued; it appears below and updates as it runs.")
        else:
            messages.error(request, "Unknown region.")
            return redirect("licenses:worklist")
        return redirect("licenses:runs")


class ReviewRunListView(RoleRequiredMixin, ListView):
    """Recent review runs; the table polls itself, so a queued run appears and moves without a reload."""

    template_name = "licenses/run_list.html"
    context_object_name = "runs"

    def get_queryset(self):
        return selectors.license_review_run_list()[:20]


class ReviewRunDetailView(RoleRequiredMixin, DetailView):
    """One review run on its own page, which a reload finds again."""

    template_name = "licenses/run_detail.html"
    context_object_name = "run"

    def get_queryset(self):
        return selectors.license_review_run_list()


class ReviewRunProgressView(RoleRequiredMixin, View):
    """The polled fragment of one run: status, deals processed so far, counts."""

    def get(self, request, pk):
        run = get_object_or_404(selectors.license_review_run_list(), pk=pk)
        return render(request, "licenses/partials/_review_run_progress.html", {"run": run})


class TicketListView(RoleRequiredMixin, ListView):
    template_name = "licenses/ticket_list.html"
    context_object_name = "tickets"
    paginate_by = 50

    def get_queryset(self):
        params = self.request.GET.copy()
        if "status" not in params:
            params.setlist("status", ["open", "taken"])
        self.filterset = LicenseTicketFilterSet(params, queryset=selectors.license_ticket_list(user=self.request.user))
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        user = self.request.user
        can_work = user.is_superuser or user.role in (R.SUPPORT_ENGINEERING, R.MANAGER)
        return super().get_context_data(filterset=self.filterset, can_work=can_work, **kwargs)


class TicketActionView(RoleRequiredMixin, View):
    """POST-only: take a ticket or mark it delivered, then back to the list (Post/Redirect/Get)."""

    roles = (R.SUPPORT_ENGINEERING, R.MANAGER)
    action = None  # "take" or "deliver", set per URL

    def post(self, request, pk):
        ticket = get_object_or_404(selectors.license_ticket_list(user=request.user), pk=pk)
        try:
            if self.action == "take":
                services.license_ticket_take(ticket_id=ticket.pk, actor=request.user)
                messages.success(request, f"Ticket {ticket.pk} is yours.")
            else:
                form = MarkDeliveredForm(request.POST)
                if not form.is_valid():
                    messages.error(request, f"Ticket {ticket.pk}: {form.errors.as_text()}")
                    return redirect("licenses:tickets")
                services.license_ticket_mark_delivered(ticket_id=ticket.pk, actor=request.user, **form.cleaned_data)
                messages.success(
                    request, f"Ticket {ticket.pk}: license delivered to {ticket.sold_to_email or 'customer'}."
                )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("licenses:tickets")


class FailureCatalogueView(RoleRequiredMixin, TemplateView):
    template_name = "licenses/failure_catalogue.html"

    def get_context_data(self, **kwargs):
        catalogue = selectors.license_failure_catalogue(user=self.request.user)
        return super().get_context_data(catalogue=catalogue, **kwargs)
