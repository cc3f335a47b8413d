"""HTML pages for cases: lists and queues, the open-case form, the case page and its POST-only actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import ListView

from approvals import selectors as approval_selectors
from ordermgmt.exceptions import ApplicationError, Conflict, NotVisibleError, PermissionDeniedError
from ordermgmt.exports import DATETIME, EXPORT_CHUNK, Column, ExportFormatMixin
from ordermgmt.web import sort_by

from . import selectors, services, sla
from .filters import CaseFilterSet
from .forms import CaseAssignForm, CaseAttachForm, CaseCommentForm, CaseOpenForm, CaseStatusForm, TeamMembersForm
from .models import Case


def _with_sla(cases) -> list[Case]:
    now = timezone.now()
    rows = list(cases)
    for case in rows:
        case.sla = sla.sla_status(case, now)
    return rows


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


SORT_COLUMNS = {
    "number": "number",
    "subject": "subject",
    "opportunity": "opportunity__name",
    "status": "status",
    "opened": "created_at",
}


class CaseListView(LoginRequiredMixin, ListView):
    """All cases the user may see, filtered by the shared CaseFilterSet (`?team=&status=&owner=&opportunity=`)."""

    template_name = "cases/case_list.html"
    paginate_by = 50
    context_object_name = "cases"
    heading = "Cases"
    export_url_name = "cases:export"  # and "<name>_xlsx" beside it

    def get_base_queryset(self):
        return selectors.case_list(user=self.request.user)

    def get_queryset(self):
        self.filterset = CaseFilterSet(self.request.GET, queryset=self.get_base_queryset())
        if not self.filterset.is_valid():
            self.sort = ""
            return self.filterset.queryset.none()
        queryset, self.sort = sort_by(self.request, self.filterset.qs, SORT_COLUMNS)
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["cases"] = _with_sla(context["cases"])
        context.update(filterset=self.filterset, heading=self.heading, teams=selectors.teams_of(user=self.request.user))
        context["export_url"] = reverse(self.export_url_name)
        context["export_xlsx_url"] = reverse(self.export_url_name + "_xlsx")
        context["sort"] = self.sort
        return context


CASE_EXPORT_COLUMNS = [
    Column("Number"),
    Column("Subject"),
    Column("Opportunity"),
    Column("Team"),
    Column("Request type"),
    Column("Status"),
    Column("Owner"),
    Column("Requester"),
    Column("Region"),
    Column("Opened", DATETIME),
]


class CaseExportMixin(ExportFormatMixin):
    """The list as CSV or XLSX (`export_format`) with the same CaseFilterSet and sort (every row, not one page)."""

    def get(self, request, *args, **kwargs):
        rows = (
            [c.number, c.subject, c.opportunity.name, c.team.name, c.request_type, c.get_status_display()]
            + [c.owner or "", c.requester, c.region_id, c.created_at]
            for c in self.get_queryset().iterator(chunk_size=EXPORT_CHUNK)
        )
        return self.export_response("cases", CASE_EXPORT_COLUMNS, rows)


class MyCasesView(CaseListView):
    """The rep's cases: requested by them or on their opportunities (and, for team members, owned by them)."""

    heading = "My cases"
    export_url_name = "cases:mine_export"

    def get_base_queryset(self):
        return selectors.case_mine(user=self.request.user)


class CaseExportView(CaseExportMixin, CaseListView):
    pass


class MyCasesExportView(CaseExportMixin, MyCasesView):
    pass


class CaseQueueView(LoginRequiredMixin, ListView):
    """A team's open cases, earliest SLA due first. Members of the team and managers only."""

    template_name = "cases/case_queue.html"
    paginate_by = 50
    context_object_name = "cases"

    def get_queryset(self):
        self.team = get_object_or_404(selectors.team_list(), code=self.kwargs["team"])
        if not selectors.teams_of(user=self.request.user).filter(pk=self.team.pk).exists():
            raise PermissionDenied("Only members of this team (and managers) work its queue.")
        return selectors.case_queue(user=self.request.user, team=self.team)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["cases"] = _with_sla(context["cases"])
        context.update(team=self.team, teams=selectors.teams_of(user=self.request.user))
        return context


class CaseCreateView(LoginRequiredMixin, View):
    """The open-case form: team -> request type -> its fields (htmx reloads the form as the choices change)."""

    template_name = "cases/case_form.html"

    def _opportunity(self, request):
        raw = request.GET.get("opportunity") or request.POST.get("opportunity")
        try:
            return approval_selectors.opportunity_get(user=request.user, pk=int(raw))
        except (TypeError, ValueError, OverflowError) as exc:
            raise Http404("Choose an opportunity first.") from exc
        except Exception as exc:  # Opportunity.DoesNotExist: not visible
            raise Http404 from exc

    def _form(self, request, data=None, files=None):
        source = data if data is not None else request.GET
        teams = selectors.team_list()
        team = teams.filter(code=source.get("team", "")).first()
        types = selectors.request_type_list(team=team) if team else selectors.request_type_list().none()
        request_type = types.filter(code=source.get("request_type", "")).first()
        initial = {"team": team.code if team else "", "related_to": request.GET.get("related_to")}
        if request_type:
            initial["request_type"] = request_type.code
        return CaseOpenForm(data, files, teams=teams, request_types=types, request_type=request_type, initial=initial)

    def _render(self, request, opp, form, duplicate=None, status=200):
        template = "cases/partials/_case_form.html" if request.htmx and not duplicate else self.template_name
        context = {"opportunity": opp, "form": form, "duplicate": duplicate}
        return render(request, template, context, status=status)

    def get(self, request):
        opp = self._opportunity(request)
        return self._render(request, opp, self._form(request))

    def post(self, request):
        opp = self._opportunity(request)
        form = self._form(request, request.POST, request.FILES)
        if not form.is_valid():
            return self._render(request, opp, form, status=400)
        data = form.cleaned_data
        try:
            case = services.case_open(
                opportunity_id=opp.pk,
                actor=request.user,
                team=data["team"],
                request_type=data["request_type"] or "",
                subject=data["subject"],
                details=data["details"],
                field_values=form.type_values(),
                confirm_duplicate=data["confirm_duplicate"],
                related_to_id=data.get("related_to"),
                attachments=[data["attachment"]] if data.get("attachment") else [],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                name = field if field in form.fields else f"field_{field}"
                form.add_error(name if name in form.fields else None, errors)
            return self._render(request, opp, form, status=400)
        except Conflict as exc:
            if "possible_duplicate_of" not in exc.extra:
                raise
            duplicate = Case.objects.filter(pk=exc.extra["possible_duplicate_of"]).first()
            return self._render(request, opp, form, duplicate=duplicate, status=409)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return self._render(request, opp, form, status=exc.status_code)
        messages.success(request, f"Case {case.number} opened with {case.team.name}. Keep this number.")
        return redirect("cases:detail", pk=case.pk)


class CaseDetailView(LoginRequiredMixin, View):
    """The case with its conversation, files, history and the actions the user may take."""

    def get(self, request, pk):
        case = _visible(request, pk)
        user = request.user
        can_work = services.can_work(user, case)
        context = {
            "case": case,
            "sla": sla.sla_status(case, timezone.now()),
            "comments": selectors.case_comments(case=case, user=user),
            "events": selectors.case_events(case=case),
            "attachments": selectors.case_attachments(case=case),
            "can_work": can_work,
            "is_owner": case.owner_id == user.pk,
            "can_close": case.is_open and (user.is_manager or user.pk in (case.owner_id, case.requester_id)),
            "can_open_followup": user.is_manager or (user.is_rep and case.opportunity.owner_id == user.pk),
            "comment_form": CaseCommentForm(),
            "status_form": CaseStatusForm(initial={"status": case.status}),
            "assign_form": CaseAssignForm(members=selectors.team_members(team=case.team)) if user.is_manager else None,
            "attach_form": CaseAttachForm(),
        }
        return render(request, "cases/case_detail.html", context)


def _visible(request, pk) -> Case:
    try:
        return selectors.case_get(user=request.user, pk=pk)
    except Case.DoesNotExist as exc:
        raise Http404 from exc


class _CaseActionView(LoginRequiredMixin, View):
    """POST-only: validate the form, call one service, redirect back to the case page with a message."""

    form_class = None

    def get_form(self, request, case):
        return self.form_class(request.POST, request.FILES) if self.form_class else None

    def post(self, request, pk):
        case = _visible(request, pk)
        form = self.get_form(request, case)
        if form is not None and not form.is_valid():
            messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
            return redirect("cases:detail", pk=case.pk)
        try:
            text = self.act(request, case, form.cleaned_data if form is not None else {})
            messages.success(request, text)
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        except NotVisibleError as exc:
            raise Http404 from exc
        except PermissionDeniedError as exc:  # a role that may not act gets the 403 page, as from the API
            raise PermissionDenied(exc.message) from exc
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("cases:detail", pk=case.pk)

    def act(self, request, case, data) -> str:
        raise NotImplementedError


class CaseTakeView(_CaseActionView):
    def act(self, request, case, data):
        services.case_take(case_id=case.pk, actor=request.user)
        return f"You own {case.number} now."


class CaseAssignView(_CaseActionView):
    def get_form(self, request, case):
        return CaseAssignForm(request.POST, members=selectors.team_members(team=case.team))

    def act(self, request, case, data):
        services.case_assign(case_id=case.pk, actor=request.user, user=data["user"])
        return f"{case.number} assigned to {data['user']}."


class CaseCommentView(_CaseActionView):
    form_class = CaseCommentForm

    def act(self, request, case, data):
        comment = services.case_comment_add(
            case_id=case.pk, actor=request.user, body=data["body"], internal=data["internal"]
        )
        text = "Internal note added." if comment.internal else "Reply posted."
        if comment.mentions_ignored:
            names = ", ".join("@" + n for n in comment.mentions_ignored)
            text += f" Not notified: {names} (only the case owner and the requester are notified)."
        return text


class CaseStatusView(_CaseActionView):
    form_class = CaseStatusForm

    def act(self, request, case, data):
        updated = services.case_transition(
            case_id=case.pk, to_status=data["status"], actor=request.user, note=data["note"]
        )
        return f"{updated.number} is {updated.get_status_display()}."


class CaseReopenView(_CaseActionView):
    def act(self, request, case, data):
        services.case_reopen(case_id=case.pk, actor=request.user)
        return f"{case.number} reopened."


class CaseAttachView(_CaseActionView):
    form_class = CaseAttachForm

    def act(self, request, case, data):
        attachment = services.case_attachment_add(case_id=case.pk, actor=request.user, upload=data["file"])
        return f"Attached {attachment.original_name}."


class TeamMembershipView(LoginRequiredMixin, View):
    """Managers: who is in each case team, by role (fixed) and by name (editable)."""

    template_name = "cases/team_membership.html"

    def _require_manager(self, request) -> None:
        if not request.user.is_manager:
            raise PermissionDenied("Only managers change team membership.")

    def get(self, request):
        self._require_manager(request)
        rows = [
            {
                "team": team,
                "by_role": list(selectors.team_members(team=team).filter(role=team.member_role))
                if team.member_role
                else [],
                "form": TeamMembersForm(initial={"members": list(team.members.all())}, prefix=team.code),
            }
            for team in selectors.team_list().prefetch_related("members")
        ]
        return render(request, self.template_name, {"rows": rows})

    def post(self, request):
        self._require_manager(request)
        code = request.POST.get("team", "")
        form = TeamMembersForm(request.POST, prefix=code)
        if not form.is_valid():
            messages.error(request, "Choose people from the list.")
            return redirect("cases:teams")
        try:
            team = services.team_members_set(
                actor=request.user, team_code=code, user_ids=[u.pk for u in form.cleaned_data["members"]]
            )
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
            return redirect("cases:teams")
        messages.success(request, f"{team.name}: {len(form.cleaned_data['members'])} member(s) by name.")
        return redirect("cases:teams")
