"""KPI pages: the dashboard (managers; specialists see their own region), drill-downs, CSV and XLSX downloads and
the CSAT survey."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from cases.models import Team
from ordermgmt.exceptions import ApplicationError
from ordermgmt.exports import EXPORT_CHUNK, Column, ExportFormatMixin
from ordermgmt.models import Region, User
from ordermgmt.web import RoleRequiredMixin, error_text

from .api.views import csv_response
from .drills import DRILLS, column_kinds, drill_records
from .exports import summary_csv, summary_xlsx
from .forms import CsatSurveyForm, scope_from_params
from .models import CsatResponse
from .periods import PeriodError, parse_period, previous_quarters, quarter_of
from .selectors import AGE_BUCKETS, TARGETS, Scope, kpi_summary_cached
from .services import CSAT_RESPONDENT_ROLES, csat_quarter_default, csat_response_create

Role = User.Role
DASHBOARD_ROLES = (Role.MANAGER, Role.SPECIALIST)
HEALTH_TEXT = {"green": "On target", "yellow": "Near target", "red": "Off target", "grey": "No data"}


def scope_query(scope: Scope, **extra) -> str:
    params = dict(scope.period.query)
    for name in ("region", "person", "team"):
        if getattr(scope, name):
            params[name] = getattr(scope, name)
    params.update({k: v for k, v in extra.items() if v not in (None, "")})
    return urlencode(params)


def drill_url(kpi: str, scope: Scope, **extra) -> str:
    return reverse("kpis:drill", args=[kpi]) + "?" + scope_query(scope, **extra)


def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "No data"
    return f"{value:g}{unit}" if isinstance(value, float) else f"{value}{unit}"


def tiles(summary: dict, scope: Scope) -> list[dict]:
    """One tile per KPI: value, target, health colour and where its number drills down to."""
    h = summary["health"]
    closed_won = sum(r["count"] for r in summary["closed_won_by_region"])
    rejections = sum(r["rejected"] for r in summary["rejections_by_region"])
    escalations = sum(r["count"] for r in summary["escalations_by_region"])
    discrepancies = sum(r["total"] for r in summary["open_discrepancies"])
    median, p90 = summary["median_decision_business_hours"], summary["p90_decision_business_hours"]
    return [
        {
            "key": "approval_sla",
            "title": "Approval SLA",
            "value": _fmt(summary["approval_sla_pct"], "%"),
            "target": "100% within 12 business hours",
            "health": h["approval_sla_pct"],
            "detail": f"{summary['approval_sla_met']} of {summary['approval_sla_decided']} decisions; "
            f"median {_fmt(median, ' h')}, p90 {_fmt(p90, ' h')}; "
            f"with the rep {_fmt(summary['avg_with_rep_business_hours'], ' h')} on average (not counted)",
        },
        {
            "key": "approval_accuracy",
            "title": "Approval accuracy",
            "value": _fmt(summary["approval_accuracy_pct"], "%"),
            "target": f"≥ {TARGETS['approval_accuracy_pct']:g}%",
            "health": h["approval_accuracy_pct"],
            "detail": f"{summary['approval_accuracy_rejected']} of {summary['approval_accuracy_decided']} "
            "rejected by Billing",
        },
        {
            "key": "csat",
            "title": "Support satisfaction (CSAT)",
            "value": _fmt(summary["csat_pct"], "%"),
            "target": f"≥ {TARGETS['csat_pct']:g}%",
            "health": h["csat_pct"],
            "detail": f"{summary['csat_positive']} of {summary['csat_responses']} answers positive",
        },
        {
            "key": "first_response",
            "title": "Average first response",
            "value": _fmt(summary["avg_first_response_business_hours"], " h"),
            "target": f"≤ {TARGETS['avg_first_response_business_hours']:g} h (Deal Desk)",
            "health": h["avg_first_response_business_hours"],
            "detail": f"{summary['first_response_cases']} cases answered",
        },
        {"key": "closed_won", "title": "Closed Won", "value": str(closed_won), "target": "", "health": "none",
         "detail": "opportunities closed in the period"},
        {"key": "rejections", "title": "Rejections", "value": str(rejections), "target": "", "health": "none",
         "detail": "by Order Management and Billing"},
        {"key": "escalations", "title": "Escalations", "value": str(escalations), "target": "", "health": "none",
         "detail": "submissions escalated"},
        {"key": "month_close", "title": "Speed to month close",
         "value": _fmt(summary["speed_to_month_close_days"], " days"), "target": "", "health": "none",
         "detail": "average over the period's closed months"},
        {"key": "license_delivery", "title": "License delivery automation",
         "value": _fmt(summary["license_automatic_pct"], "%"), "target": "", "health": "none",
         "detail": f"{summary['license_eligible']} eligible, {summary['license_tickets']} tickets"},
        {"key": "discrepancies", "title": "Open discrepancies", "value": str(discrepancies), "target": "",
         "health": "none", "detail": "reconciliation, open now"},
    ]  # fmt: skip


def tables(summary: dict, scope: Scope) -> list[dict]:
    """The dashboard's tables: columns, and rows whose numbers link to their drill-down."""

    def table(key, title, columns, drill, row_filter):
        rows = []
        for row in summary[key]:
            href = drill_url(drill, scope, **row_filter(row))
            rows.append([(_fmt(row.get(c)) if row.get(c) is not None else "—", href if link else None)
                         for c, _label, link in columns])  # fmt: skip
        return {"key": key, "title": title, "headers": [label for _c, label, _l in columns], "rows": rows}

    region = lambda field="region": lambda r: {"region": r[field]}  # noqa: E731
    person = lambda r: {"person": r["person_id"]}  # noqa: E731
    return [
        table("approval_sla_by_region", "Approval SLA by region",
              [("region", "Region", False), ("decided", "Decided", True), ("met", "Within SLA", True),
               ("pct", "SLA %", True)], "approval_sla", region()),
        table("approval_sla_by_person", "Approval SLA by specialist",
              [("name", "Specialist", False), ("decided", "Decided", True), ("pct", "SLA %", True),
               ("avg_hours", "Avg business hours", True)], "approval_sla", person),
        table("approval_accuracy_by_region", "Approval accuracy by region",
              [("region", "Region", False), ("decided", "Billing decisions", True), ("approved", "Approved", True),
               ("pct", "Accuracy %", True)], "approval_accuracy", region()),
        table("csat_by_region", "CSAT by region",
              [("region", "Region", False), ("responses", "Answers", True), ("positive", "Positive", True),
               ("pct", "CSAT %", True)], "csat", region()),
        table("first_response_by_team", "First response by team and request type",
              [("team_name", "Team", False), ("request_type_name", "Request type", False), ("cases", "Cases", True),
               ("avg", "Avg business hours", True), ("target", "Target h", False), ("met_pct", "Met %", True)],
              "first_response", lambda r: {"team": r["team"], "request_type": r["request_type"]}),
        table("closed_won_by_region", "Closed Won by region",
              [("region", "Region", False), ("count", "Opportunities", True), ("net_arr", "Net ARR", True)],
              "closed_won", region()),
        table("closed_won_by_member", "Closed Won by team member",
              [("name", "Member", False), ("region", "Region", False), ("count", "Opportunities", True),
               ("net_arr", "Net ARR", True)], "closed_won", person),
        table("rejections_by_reason", "Rejections by reason",
              [("label", "Reason", False), ("count", "Rejections", True), ("share_pct", "Share %", True)],
              "rejections", lambda r: {"reason": r["reason"]}),
        table("rejections_by_region", "Rejections by region",
              [("region", "Region", False), ("decisions", "Decisions", False), ("rejected", "Rejected", True),
               ("share_pct", "Rejected %", True)], "rejections", region()),
        table("rejections_by_rep", "Rejections by rep",
              [("name", "Rep", False), ("decisions", "Decisions", False), ("rejected", "Rejected", True),
               ("share_pct", "Rejected %", True)], "rejections", person),
        table("escalations_by_rep", "Escalations by rep",
              [("name", "Rep", False), ("region", "Region", False), ("count", "Escalations", True)],
              "escalations", person),
        table("speed_to_month_close_months", "Speed to month close",
              [("month", "Month", False), ("submitted", "Submissions", True), ("open", "Still open", True),
               ("days", "Days after month end", True)], "month_close", lambda r: {"month": r["month"]}),
        table("license_failures_by_reason", "License delivery failures by reason",
              [("label", "Reason", False), ("count", "Tickets", True)], "license_tickets",
              lambda r: {"reason": r["reason"]}),
        table("open_discrepancies", "Open discrepancies by kind and age (days)",
              [("label", "Kind", False), ("total", "Total", True)] + [(b[0], b[0], True) for b in AGE_BUCKETS],
              "discrepancies", lambda r: {"kind": r["kind"]}),
    ]  # fmt: skip


class DashboardView(RoleRequiredMixin, TemplateView):
    """GET /kpis/: tiles, trends, tables. Managers choose any region; specialists are held to their own."""

    roles = DASHBOARD_ROLES
    template_name = "kpis/dashboard.html"

    def get(self, request, *args, **kwargs):
        try:
            scope = scope_from_params(request.GET, request.user)
        except PeriodError as exc:
            messages.error(request, exc.message)
            return self.render_to_response({"error": exc.message, **self._choices(None)}, status=400)
        summary = kpi_summary_cached(scope)
        context = self.get_context_data(
            scope=scope,
            summary=summary,
            computed_at=datetime.fromisoformat(summary["computed_at"]),
            tiles=[
                t | {"href": drill_url(t["key"], scope), "health_text": HEALTH_TEXT.get(t["health"], "")}
                for t in tiles(summary, scope)
            ],  # fmt: skip
            tables=tables(summary, scope),
            trends=summary["trends"],
            export_query=scope_query(scope),
            **self._choices(scope),
        )
        return self.render_to_response(context)

    def _choices(self, scope: Scope | None) -> dict:
        current = scope.period if scope else quarter_of(parse_period({}).first)
        recent = list(reversed(previous_quarters(quarter_of(parse_period({}).first), 8)))
        return {
            "quarters": [q.key for q in recent],
            "quarter_choices": [(q.key, q.label) for q in recent],
            "regions": Region.Code.choices,
            "teams": Team.objects.filter(is_active=True).order_by("name").values_list("code", "name"),
            "can_pick_region": self.request.user.is_superuser or self.request.user.role == Role.MANAGER,
            "current_period": current,
            "custom": current.key.startswith("custom:"),
        }


class DrillView(RoleRequiredMixin, TemplateView):
    """GET /kpis/drill/<kpi>/?period=…&region=…: the records behind one number, 100 a page."""

    roles = DASHBOARD_ROLES
    template_name = "kpis/drill.html"
    page_size = 100

    def get(self, request, kpi: str):
        drill = DRILLS.get(kpi)
        if drill is None:
            raise Http404("No such KPI.")
        try:
            scope = scope_from_params(request.GET, request.user)
            records = drill_records(kpi, scope, request.GET)
            page = Paginator(records, self.page_size).get_page(request.GET.get("page"))
        except PeriodError as exc:
            messages.error(request, exc.message)
            return self.render_to_response({"error": exc.message, "drill": drill}, status=400)
        link_index = [c for _l, c in drill.columns].index(drill.link) if drill.link else None
        filters = {k: request.GET[k] for k in drill.filters if request.GET.get(k)}
        query = request.GET.copy()
        query.pop("page", None)
        return self.render_to_response(
            self.get_context_data(
                drill=drill, kpi=kpi, scope=scope, page=page, link_index=link_index, filters=filters,
                headers=[label for label, _c in drill.columns], page_query=query.urlencode(),
                back=reverse("kpis:dashboard") + "?" + scope_query(scope),
            )
        )  # fmt: skip


class DrillExportView(ExportFormatMixin, RoleRequiredMixin, View):
    """GET /kpis/drill/<kpi>/export.csv (or .xlsx)?…: every record behind the number, with the drill-down's scope and
    filters (the page's rows, all of them, not one page), read with a server-side cursor."""

    roles = DASHBOARD_ROLES

    def get(self, request, kpi: str):
        drill = DRILLS.get(kpi)
        if drill is None:
            raise Http404("No such KPI.")
        try:
            scope = scope_from_params(request.GET, request.user)
            records = drill_records(kpi, scope, request.GET)
        except ApplicationError as exc:
            return _bad_request(exc)
        kinds = column_kinds(kpi, records.model)
        columns = [Column(label, kind) for (label, _c), kind in zip(drill.columns, kinds, strict=True)]
        name = f"{kpi}-{scope.period.key.replace(':', '_')}-{scope.region or 'all'}"
        return self.export_response(name, columns, records.iterator(chunk_size=EXPORT_CHUNK))


class ExportView(RoleRequiredMixin, View):
    """GET /kpis/export.csv?…[&table=…]: the page's CSV downloads (same numbers as /api/kpis/export.csv); with
    `export_format="xlsx"` (/kpis/export.xlsx) the same rows as an XLSX workbook."""

    roles = DASHBOARD_ROLES
    export_format = "csv"

    def get(self, request):
        table = request.GET.get("table") or None
        try:
            scope = scope_from_params(request.GET, request.user)
            summary = kpi_summary_cached(scope)
            name = f"{table or 'kpis'}-{scope.period.key.replace(':', '_')}-{scope.region or 'all'}"
            if self.export_format == "xlsx":
                return summary_xlsx(summary, table, f"{name}.xlsx")
            return csv_response(summary_csv(summary, table), name)
        except ApplicationError as exc:
            return _bad_request(exc)


def _bad_request(exc: ApplicationError):
    from django.http import HttpResponseBadRequest

    return HttpResponseBadRequest(exc.message, content_type="text/plain; charset=utf-8")


class CsatSurveyView(RoleRequiredMixin, TemplateView):
    """GET/POST /kpis/csat/: a rep (or a manager, naming the region) rates Order Management's support in the last
    closed quarter, once."""

    roles = CSAT_RESPONDENT_ROLES
    template_name = "kpis/csat_survey.html"

    def _state(self):
        quarter = csat_quarter_default()
        answered = CsatResponse.objects.filter(respondent=self.request.user, quarter=quarter).exists()
        return quarter, answered

    def _form(self, data=None):
        return CsatSurveyForm(data, ask_region=not self.request.user.is_rep)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if "quarter" in context:  # as the handbook writes it, with its days: "FY27-Q3 (01 Aug 2026 – 31 Oct 2026)"
            rated = parse_period({"period": context["quarter"]})
            context["quarter_label"] = f"{rated.label} ({rated.first:%d %b %Y} – {rated.last:%d %b %Y})"
        return context

    def get(self, request, *args, **kwargs):
        quarter, answered = self._state()
        return self.render_to_response(self.get_context_data(form=self._form(), quarter=quarter, answered=answered))

    def post(self, request, *args, **kwargs):
        quarter, answered = self._state()
        form = self._form(request.POST)
        if not answered and form.is_valid():
            try:
                csat_response_create(quarter=quarter, respondent=request.user, **{"region": None, **form.cleaned_data})
                messages.success(request, f"Thank you: your {quarter} answer is recorded.")
                return redirect("kpis:csat")
            except (ApplicationError, ValidationError) as exc:
                messages.error(request, error_text(exc))
        elif answered:
            messages.error(request, f"You have already answered the {quarter} survey.")
        return self.render_to_response(self.get_context_data(form=form, quarter=quarter, answered=answered), status=400)
