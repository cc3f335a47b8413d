"""The manager's team page (coverage of other regions, out of office, who covers whom today) and a specialist's own
out of office."""

from __future__ import annotations

from zoneinfo import ZoneInfo

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
            .prefetch_related("covered_regions", "dated_covers")
            .order_by("region_id", "username")
        )
        invalid = kwargs.get("invalid", {})
        rows = []
        for person in specialists:
            coverage = CoverageForm(
                initial={"regions": [r.pk for r in person.covered_regions.all()]}, prefix=f"c{person.pk}"
            )
            ooo = invalid.get(person.pk) or OutOfOfficeForm(
                initial=_absence(person),
                backups=backups.exclude(pk=person.pk),
                tz=_zone(person),
                prefix=f"o{person.pk}",
            )
            rows.append({"person": person, "coverage": coverage, "ooo": ooo})
        ctx.update(
            rows=rows,
            regions=Region.Code.choices,
            away=list(selectors.out_of_office_now()),
            covering_today=list(selectors.dated_coverage_today()),
        )
        return ctx


def _zone(person: User) -> ZoneInfo:
    """The zone a specialist's absence is typed and shown in: their region's."""
    return ZoneInfo(person.region.timezone) if person.region_id else ZoneInfo("UTC")


def _absence(person: User) -> dict:
    return {"start": person.out_of_office_from, "end": person.out_of_office_until, "backup": person.backup_id}


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
        elif run_service(request, services.specialist_set_coverage, specialist=person, **form.cleaned_data):
            data = form.cleaned_data
            covered = ", ".join(data["regions"]) or "no other region"
            span = f" from {data['starts_on']} to {data['ends_on']}" if data["starts_on"] else ""
            messages.success(request, f"{person} now covers {covered}{span}.")
        return redirect("approvals:team")


class OutOfOfficeView(TeamView):
    def get(self, request, *args, **kwargs):
        raise Http404

    def post(self, request, pk):
        person = _specialist(pk)
        form = OutOfOfficeForm(
            request.POST, backups=selectors.reviewers().exclude(pk=person.pk), tz=_zone(person), prefix=f"o{person.pk}"
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
        messages.success(request, f"Out of office saved for {person}; {moved} claimed item(s) moved now.")
        return redirect("approvals:team")


class MyOutOfOfficeView(RoleRequiredMixin, TemplateView):
    """A specialist's own out of office: dates and times in their region's zone, and who takes over."""

    roles = (Role.SPECIALIST,)
    template_name = "approvals/out_of_office.html"

    def form(self, data=None) -> OutOfOfficeForm:
        me = self.request.user
        backups = selectors.reviewers().exclude(pk=me.pk)
        return OutOfOfficeForm(data, initial=_absence(me), backups=backups, tz=_zone(me))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(form=kwargs.get("form") or self.form(), zone=_zone(self.request.user).key)
        return ctx

    def post(self, request):
        form = self.form(request.POST)
        if not form.is_valid():
            messages.error(request, "Your out of office was not saved: please correct the form.")
            return self.render_to_response(self.get_context_data(form=form), status=400)
        data = form.cleaned_data
        if run_service(
            request,
            services.specialist_set_out_of_office,
            specialist=request.user,
            start=data["start"],
            end=data["end"],
            backup=data["backup"],
        ):
            messages.success(request, "Out of office saved: your claimed items and notifications follow it.")
        return redirect("approvals:my_out_of_office")
