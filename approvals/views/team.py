"""The manager's team page: coverage of other regions and out-of-office hand-over."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from ordermgmt.exceptions import PermissionDeniedError
from ordermgmt.models import Region, User
from ordermgmt.web import RoleRequiredMixin, error_text, run_service

from .. import selectors, services
from ..forms import (
    CoverageForm,
    OutOfOfficeForm,
)
from .common import Role


class TeamView(RoleRequiredMixin, TemplateView):
    roles = (Role.MANAGER,)
    template_name = "approvals/team.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        backups = selectors.reviewers()
        specialists = (
            User.objects.with_role(Role.SPECIALIST)
            .select_related("region", "backup")
            .prefetch_related("covered_regions")
            .order_by("region_id", "username")
        )
        invalid = kwargs.get("invalid", {})
        rows = []
        for person in specialists:
            coverage = CoverageForm(
                initial={"regions": [r.pk for r in person.covered_regions.all()]}, prefix=f"c{person.pk}"
            )
            ooo = invalid.get(person.pk) or OutOfOfficeForm(
                initial={
                    "start": person.out_of_office_from,
                    "end": person.out_of_office_until,
                    "backup": person.backup_id,
                },
                backups=backups.exclude(pk=person.pk),
                prefix=f"o{person.pk}",
            )
            rows.append({"person": person, "coverage": coverage, "ooo": ooo})
        ctx.update(rows=rows, regions=Region.Code.choices)
        return ctx


def _specialist(pk) -> User:
    person = User.objects.with_role(Role.SPECIALIST).filter(pk=pk).first()
    if person is None:
        raise Http404("No such specialist.")
    return person


class CoverageView(RoleRequiredMixin, View):
    roles = (Role.MANAGER,)

    def post(self, request, pk):
        person = _specialist(pk)
        form = CoverageForm(request.POST, prefix=f"c{person.pk}")
        if not form.is_valid():
            messages.error(request, "Choose regions from the list.")
        elif run_service(
            request, services.specialist_set_coverage, specialist=person, regions=form.cleaned_data["regions"]
        ):
            covered = ", ".join(form.cleaned_data["regions"]) or "no other region"
            messages.success(request, f"{person} now covers {covered}.")
        return redirect("approvals:team")


class OutOfOfficeView(TeamView):
    def get(self, request, *args, **kwargs):
        raise Http404

    def post(self, request, pk):
        person = _specialist(pk)
        form = OutOfOfficeForm(
            request.POST, backups=selectors.reviewers().exclude(pk=person.pk), prefix=f"o{person.pk}"
        )
        if not form.is_valid():
            messages.error(request, f"Out of office for {person} was not saved: please correct the form.")
            return self.render_to_response(self.get_context_data(invalid={person.pk: form}), status=400)
        data = form.cleaned_data
        try:
            moved = services.specialist_set_out_of_office(
                actor=request.user, specialist=person, start=data["start"], end=data["end"], backup=data["backup"]
            )
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from exc
        except ValidationError as exc:
            messages.error(request, error_text(exc))
            return redirect("approvals:team")
        messages.success(request, f"Out of office saved for {person}; {moved} claimed item(s) moved to the backup.")
        return redirect("approvals:team")
