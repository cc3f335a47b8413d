"""The specialist's and Billing's queues, with claim and a manager's assignment."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from itertools import islice
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.views import View
from django.views.generic import TemplateView
from rest_framework.exceptions import ValidationError as DRFValidationError

from ordermgmt import selectors as om_selectors
from ordermgmt.calendar import in_business_hours
from ordermgmt.exceptions import ApplicationError
from ordermgmt.exports import DATE, DATETIME, EXPORT_CHUNK, INTEGER, MONEY, Column, ExportFormatMixin
from ordermgmt.web import RoleRequiredMixin, run_service, safe_next
from ordermgmt.zones import zone, zone_name

from .. import selectors, services
from ..filters import QueueFilterSet
from ..forms import AssignForm, QueueBulkForm
from ..pagination import QueueKeysetPagination as Pager
from ..services.assignment import approval_unclaim
from ..sla import closes_this_month, extended_hours_today, hours_remaining_at, period_end_flag, sla_state
from .common import QUEUE_PAGE_SIZE, QUEUE_ROLES, Role, visible_opportunity


def _pk_url(name: str):
    """`reverse(name, args=[pk])` as a cheap function of pk: reversed once, not once per queue row."""
    marker = "2147483647"
    head, _, tail = reverse(name, args=[int(marker)]).rpartition(marker)
    return lambda pk: f"{head}{pk}{tail}"


def _one_decimal(hours: float) -> str:
    """`hours|floatformat:1` without the template machinery: rounded half up, and never "-0.0"."""
    rounded = Decimal(repr(hours)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return str(abs(rounded) if rounded.is_zero() else rounded)


def _with(params, **changes) -> str:
    """`params` (a QueryDict) as a query string with `changes` applied (None removes a key)."""
    params = params.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value is not None:
            params[key] = value
    return params.urlencode()


def queue_rows(rows, *, now, stage: str, reviewers=None, start: int = 1) -> list[dict]:
    """The queue page's rows from `selectors.queue_rows`, every cell ready to print.

    The SLA figures are computed for `now` with the same sla functions as the API's
    `queue_serializers.queue_row_data`. The template only places these strings (no filters, URL reversing or method
    calls per row), and the managers' "assign to" options are built once per pre-selected reviewer, not once per row:
    that per-row work used to dominate the page.
    """
    regions = selectors.region_calendars()
    ticking = {code: SafeString("1" if in_business_hours(now, region) else "0") for code, region in regions.items()}
    tz = timezone.get_current_timezone()
    viewer_zone = zone_name(tz)
    region_zones = {code: zone(region.timezone) for code, region in regions.items()}
    review_url, claim_url, assign_url = (_pk_url(f"approvals:{n}") for n in ("review", "claim", "assign"))
    options = [
        (
            pk,
            format_html('<option value="{}" >{}</option>', pk, name),
            format_html('<option value="{}" selected>{}</option>', pk, name),
        )
        for pk, name in reviewers or ()
    ]
    options_by_selected: dict[int | None, str] = {}
    hours_remaining = hours_remaining_at(now)
    out = []
    for position, row in enumerate(rows, start=start):
        region = regions[row["region_id"]]
        pk = SafeString(row["opportunity_id"])
        claimed = row["claimed_by_id"]
        hours = hours_remaining(row["sla_due_at"], region)
        region_tz = region_zones[row["region_id"]]
        if reviewers is not None and claimed not in options_by_selected:
            # mark_safe: joins pieces that format_html escaped
            options_by_selected[claimed] = mark_safe(
                "".join(sel if pk_ == claimed else plain for pk_, plain, sel in options)
            )
        # SafeString: values made only of digits and date/number punctuation, which need no escaping; skipping
        # Django's escape() for them saves a fifth of the rows' render time.
        out.append(
            {
                "pk": pk,
                "position": SafeString(str(position)),
                "review_url": review_url(pk),
                "claim_url": claim_url(pk) if stage == "om" and not claimed else "",
                "assign_url": assign_url(pk) if reviewers is not None else "",
                "assign_options": options_by_selected.get(claimed, ""),
                "priority_reason": selectors.priority_reason(row, position, tz=tz),
                "name": row["opportunity__name"],
                "resubmit": str(row["sequence"]) if row["sequence"] > 1 else "",
                "account": row["opportunity__account__name"],
                "owner": selectors.display_name(
                    row["opportunity__owner__first_name"],
                    row["opportunity__owner__last_name"],
                    row["opportunity__owner__username"],
                ),
                "region": row["region_id"],
                "original_region": row["original_region_id"],
                "start_date": SafeString(f"{row['start_date']:%Y-%m-%d}"),
                "net_arr": SafeString(f"{row['net_arr']:,.2f}"),
                "submitted_at": SafeString(f"{row['submitted_at'].astimezone(tz):%m-%d %H:%M} {viewer_zone}"),
                "escalated": row["escalated"],
                "escalation_reason": row["escalation_reason"],
                "period_end": period_end_flag(row["submitted_at"]),
                "held_until": f"{row['held_until']:%m-%d}" if row["held_until"] else "",
                "closes_this_month": closes_this_month(row["start_date"], now),
                "sla_state": sla_state(now=now, at_risk_at=row["sla_at_risk_at"], due_at=row["sla_due_at"]),
                "sla_due": SafeString(row["sla_due_at"].astimezone(tz).isoformat()),
                # The due time on the queue region's clock, and on the viewer's when it reads differently (#21).
                "sla_due_region": SafeString(f"{row['sla_due_at'].astimezone(region_tz):%m-%d %H:%M} {region_tz.key}"),
                "sla_due_viewer": ""
                if region_tz.key == viewer_zone
                else SafeString(f"{row['sla_due_at'].astimezone(tz):%m-%d %H:%M} {viewer_zone}"),
                "hours_remaining": SafeString(f"{hours:.2f}"),
                "hours_remaining_short": SafeString(_one_decimal(hours)),
                "ticking": ticking[row["region_id"]],
                "claimed_by": selectors.display_name(
                    row["claimed_by__first_name"], row["claimed_by__last_name"], row["claimed_by__username"]
                )
                if claimed
                else "",
                "om_decided_by": selectors.display_name(
                    row["om_decided_by__first_name"], row["om_decided_by__last_name"], row["om_decided_by__username"]
                )
                if row["om_decided_by_id"]
                else "",
            }
        )
    return out


def _pending_corrections(user) -> list:
    return list(selectors.correction_list(user=user, pending_only=True)[:50])


def _extended_hours(region: str, tabs) -> list[tuple[str, str]]:
    """(region, closing time) of the regions shown whose support runs late today for the month end."""
    regions = selectors.region_calendars()
    shown = [region] if region else [code for code, _label in tabs if code]
    now = timezone.now()
    return [(code, until) for code in shown if code in regions and (until := extended_hours_today(now, regions[code]))]


class QueueView(RoleRequiredMixin, TemplateView):
    """Order Management's queue by region, in priority order; the rows refresh in place every 30 s (htmx)."""

    roles = QUEUE_ROLES
    stage = "om"
    template_name = "approvals/queue.html"
    rows_template = "approvals/partials/_queue_rows.html"

    def tabs(self, user) -> tuple[list[tuple[str, str]], str]:
        if user.is_manager:
            tabs = [("", "All")] + [(r.pk, r.pk) for r in om_selectors.region_list()]
            default = ""
        else:
            tabs = [(code, code) for code in user.region_codes()]
            default = tabs[0][0] if tabs else ""
        return tabs, default

    def get_template_names(self):
        if self.request.htmx and self.request.htmx.target == "queue-rows":
            return [self.rows_template]
        return [self.template_name]

    def filtered_queue(self):
        """(region tabs, chosen region, the queue filtered by QueueFilterSet): what the page and its export show."""
        user = self.request.user
        tabs, default = self.tabs(user) if self.stage == "om" else ([], "")
        region = self.request.GET.get("region", default)
        if self.stage == "om" and region not in {code for code, _ in tabs}:
            region = default
        queryset = selectors.approval_queue(user=user, stage=self.stage, region=region or None)
        filterset = QueueFilterSet(self.request.GET, queryset=queryset, request=self.request)
        try:
            return tabs, region, filterset.qs
        except DRFValidationError:
            messages.error(self.request, "Unknown filter value: showing the whole queue.")
            return tabs, region, queryset

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        tabs, region, filtered = self.filtered_queue()
        fields = selectors.QUEUE_PAGE_FIELDS
        # Pages of QUEUE_PAGE_SIZE walk the queue by the keyset of the API (`cursor`: the last row's sort key), so a
        # page never repeats or skips an item when the queue moves; `from` is the first row's position, for display.
        params = self.request.GET.copy()
        start, cursor = 1, params.get("cursor")
        if cursor:
            try:
                filtered = filtered.filter(Pager.after_cursor(Pager.decode_cursor(cursor)))
                start = max(1, int(params.get("from", "1")))
            except (DRFValidationError, ValueError):
                messages.error(self.request, "That page link is broken: showing the top of the queue.")
                start = 1
        items = list(selectors.queue_rows(filtered, fields)[: QUEUE_PAGE_SIZE + 1])
        has_next, items = len(items) > QUEUE_PAGE_SIZE, items[:QUEUE_PAGE_SIZE]
        pages = {}
        if has_next:
            pages["next"] = _with(params, cursor=Pager.encode_cursor(items[-1]), **{"from": str(start + len(items))})
        if start > 1:
            pages["top"] = _with(params, cursor=None, **{"from": None})
        can_assign = user.is_manager and self.stage == "om"
        reviewers = [(r.pk, str(r)) for r in selectors.reviewers()] if can_assign else None
        ctx.update(
            stage=self.stage,
            rows=queue_rows(items, now=timezone.now(), stage=self.stage, reviewers=reviewers, start=start),
            pages=pages,
            page_size=QUEUE_PAGE_SIZE,
            tabs=[
                {"code": code, "label": label, "active": code == region, "query": urlencode({"region": code})}
                for code, label in tabs
            ],
            region=region,
            filters={
                "claimed_by": params.get("claimed_by", ""),
                "sla_state": params.get("sla_state", ""),
                "escalated": params.get("escalated", ""),
            },
            query=params.urlencode(),
            full_path=self.request.get_full_path(),
            can_assign=can_assign,
            bulk_reviewers=reviewers or [],
            waiting=list(selectors.waiting_for_rep(user=user, stage=self.stage)[:50]),
            extended_hours=_extended_hours(region, tabs),
            corrections=list(selectors.correction_list(user=user, pending_only=True)[:50])
            if self.stage == "om"
            else [],
        )
        return ctx


QUEUE_EXPORT_COLUMNS = [
    Column("Position", INTEGER),
    Column("Opportunity id", INTEGER),
    Column("Opportunity"),
    Column("Account"),
    Column("Rep"),
    Column("Region"),
    Column("Start date", DATE),
    Column("Net ARR", MONEY),
    Column("Submitted", DATETIME),
    Column("Escalated"),
    Column("SLA state"),
    Column("SLA due", DATETIME),
    Column("Claimed by"),
]


class QueueExportView(ExportFormatMixin, QueueView):
    """The queue as CSV or XLSX (`export_format`), with the page's region and filters, in queue order (every row, not
    one page)."""

    def get(self, request, *args, **kwargs):
        _tabs, region, filtered = self.filtered_queue()
        return self.export_response(f"queue-{region or 'all'}", QUEUE_EXPORT_COLUMNS, self.export_rows(filtered))

    def export_rows(self, filtered):
        """The rows, read from the database EXPORT_CHUNK at a time (a server-side cursor), so a long queue never
        sits in memory whole; each chunk gets the page's SLA figures and names from `queue_rows`."""
        now = timezone.now()
        rows = selectors.queue_rows(filtered, selectors.QUEUE_PAGE_FIELDS).iterator(chunk_size=EXPORT_CHUNK)
        position = 1
        while chunk := list(islice(rows, EXPORT_CHUNK)):
            for raw, r in zip(chunk, queue_rows(chunk, now=now, stage="om", start=position), strict=True):
                yield [
                    position,
                    raw["opportunity_id"],
                    r["name"],
                    r["account"],
                    r["owner"],
                    r["region"],
                    raw["start_date"],
                    raw["net_arr"],
                    raw["submitted_at"],
                    "yes" if r["escalated"] else "",
                    r["sla_state"],
                    raw["sla_due_at"],
                    r["claimed_by"],
                ]
                position += 1


class BillingQueueView(QueueView):
    roles = (Role.BILLING, Role.MANAGER)
    stage = "billing"
    template_name = "approvals/queue.html"


class ClaimView(RoleRequiredMixin, View):
    roles = QUEUE_ROLES

    def post(self, request, pk):
        opp = visible_opportunity(request.user, pk)
        if run_service(request, services.approval_claim, opportunity_id=opp.pk):
            messages.success(request, f"You claimed {opp.name}.")
        return redirect(safe_next(request, reverse("approvals:queue")))


class AssignView(RoleRequiredMixin, View):
    roles = (Role.MANAGER,)

    def post(self, request, pk):
        opp = visible_opportunity(request.user, pk)
        form = AssignForm(request.POST, reviewers=selectors.reviewers())
        if not form.is_valid():
            messages.error(request, "Choose a specialist or manager to assign it to.")
        elif run_service(request, services.approval_assign, opportunity_id=opp.pk, assignee=form.cleaned_data["user"]):
            messages.success(request, f"{opp.name} assigned to {form.cleaned_data['user']}.")
        return redirect(safe_next(request, reverse("approvals:queue")))


class QueueBulkView(RoleRequiredMixin, View):
    """The queue's bulk bar: claim, unclaim or (managers) assign the ticked items, one service call per item, each in
    its own transaction; the message says how many were done and why the others were not."""

    roles = QUEUE_ROLES
    done = {"claim": "Claimed", "unclaim": "Unclaimed", "assign": "Assigned"}

    def post(self, request):
        back = safe_next(request, reverse("approvals:queue"))
        if request.POST.get("action") == "assign" and not request.user.is_manager:
            messages.error(request, "Nothing done: only managers assign queue items.")
            return redirect(back)
        reviewers = selectors.reviewers() if request.user.is_manager else None
        form = QueueBulkForm(request.POST, reviewers=reviewers)
        if not form.is_valid():
            messages.error(request, "Nothing done: " + " ".join(e for errors in form.errors.values() for e in errors))
            return redirect(back)
        action, ids, assignee = form.cleaned_data["action"], form.cleaned_data["ids"], form.cleaned_data["user"]
        names = dict(selectors.opportunity_scope(request.user).filter(pk__in=ids).values_list("pk", "name"))
        succeeded, failures = 0, []
        for pk in ids:
            try:
                if action == "claim":
                    services.approval_claim(opportunity_id=pk, actor=request.user)
                elif action == "unclaim":
                    approval_unclaim(opportunity_id=pk, actor=request.user)
                else:
                    services.approval_assign(opportunity_id=pk, actor=request.user, assignee=assignee)
                succeeded += 1
            except ApplicationError as exc:
                failures.append(f"{names.get(pk, f'#{pk}')}: {exc.message}")
            except ValidationError as exc:
                failures.append(f"{names.get(pk, f'#{pk}')}: {' '.join(exc.messages)}")
        to = f" to {assignee}" if action == "assign" else ""
        summary = f"{self.done[action]} {succeeded} of {len(ids)}{to}."
        if failures:
            messages.warning(request, summary + " Not done: " + "; ".join(failures))
        else:
            messages.success(request, summary)
        return redirect(back)
