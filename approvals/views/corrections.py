"""Corrections after Closed Won on the pages: Billing or a manager opens one on the deal's page; Order Management
approves or rejects it from the queue page."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View

from ordermgmt.web import RoleRequiredMixin, run_service, safe_next

from .. import services
from ..forms import CorrectionForm
from .common import QUEUE_ROLES, Role, visible_opportunity


class CorrectionOpenView(RoleRequiredMixin, View):
    roles = (Role.BILLING, Role.MANAGER)

    def post(self, request, pk):
        opp = visible_opportunity(request.user, pk)
        form = CorrectionForm(request.POST)
        if not form.is_valid():
            errors = "; ".join(f"{name}: {' '.join(e)}" for name, e in form.errors.items())
            messages.error(request, f"The correction was not opened: {errors}")
        elif run_service(
            request,
            services.correction_open,
            opportunity_id=opp.pk,
            reason=form.cleaned_data["reason"],
            kind=form.cleaned_data["kind"],
            changes=form.changes(),
        ):
            messages.success(request, f"Correction of {opp.name} sent to Order Management.")
        return redirect("approvals:opportunity_detail", pk=opp.pk)


class CorrectionDecideView(RoleRequiredMixin, View):
    """POST approve or reject (with a comment), then back where it was decided."""

    roles = QUEUE_ROLES
    approve = True

    def post(self, request, pk):
        service = services.correction_approve if self.approve else services.correction_reject
        comment = request.POST.get("comment", "")
        if run_service(request, service, correction_id=pk, comment=comment):
            messages.success(request, "Correction approved and applied." if self.approve else "Correction rejected.")
        return redirect(safe_next(request, reverse("approvals:queue")))
