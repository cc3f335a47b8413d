"""The browser UI: rep pages, the specialist's queue and review page, Billing's queue, the manager's team page.

Every view follows the same shape: check the input's shape with a form, look the object up through a selector,
call one service, then redirect with a message (Post/Redirect/Get). Domain refusals become messages (or a 403
page), never a server error.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.views import View
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.generic import TemplateView
from rest_framework.exceptions import ValidationError as DRFValidationError

from ordermgmt import selectors as om_selectors
from ordermgmt import services as om_services
from ordermgmt.calendar import in_business_hours
from ordermgmt.exceptions import ApplicationError, PermissionDeniedError
from ordermgmt.filters import OpportunityFilterSet
from ordermgmt.models import Account, Opportunity, Region, User
from ordermgmt.web import RoleRequiredMixin, error_text, run_service, safe_next

from . import requirements, selectors, services
from .filters import QueueFilterSet
from .forms import (
    ApproveForm,
    AssignForm,
    ContactForm,
    CoverageForm,
    DocumentForm,
    EscalateForm,
    OpportunityForm,
    OutOfOfficeForm,
    QuoteForm,
    RejectForm,
)
from .models import Submission
from .pagination import QueueKeysetPagination as Pager
from .sla import business_hours_remaining, hours_remaining_at, period_end_flag, sla_state

Role = User.Role
QUEUE_ROLES = (Role.SPECIALIST, Role.MANAGER)
REP_ROLES = (Role.SALES_REP, Role.MANAGER)
QUEUE_PAGE_SIZE = 100


# --- shared plumbing ---------------------------------------------------------------------------------------------


def visible_opportunity(user, pk) -> Opportunity:
    try:
        return selectors.opportunity_get(user=user, pk=pk)
    except Opportunity.DoesNotExist as exc:
        raise Http404("No such opportunity, or you may not see it.") from exc


# --- rep: my opportunities -----------------------------------------------------------------------------------------

STATUS_CHIPS = [("", "All")] + list(Opportunity.ApprovalStatus.choices)


class MyOpportunitiesView(RoleRequiredMixin, TemplateView):
    roles = REP_ROLES
    template_name = "approvals/opportunity_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        queryset = selectors.opportunity_list(user=user)
        if user.is_manager and "owner" not in self.request.GET:
            queryset = queryset.filter(owner=user)
        filterset = OpportunityFilterSet(self.request.GET, queryset=queryset, request=self.request)
        page = Paginator(filterset.qs, 50).get_page(self.request.GET.get("page"))
        params = self.request.GET.copy()
        params.pop("page", None)
        chips = []
        current = self.request.GET.get("approval_status", "")
        for value, label in STATUS_CHIPS:
            chip_params = params.copy()
            chip_params["approval_status"] = value
            chips.append({"label": label, "query": chip_params.urlencode(), "active": value == current})
        ctx.update(filterset=filterset, page=page, chips=chips, query=params.urlencode())
        return ctx


# --- rep: create / edit ---------------------------------------------------------------------------------------------


def _apply_service_errors(exc: ValidationError, opp_form: OpportunityForm, quote_form: QuoteForm) -> None:
    """Put the service's field errors next to the fields the person typed in."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    for field, field_errors in errors.items():
        if field in quote_form.fields and field not in opp_form.fields:
            quote_form.add_error(field, field_errors)
        elif field in opp_form.fields:
            opp_form.add_error(field, field_errors)
        else:
            opp_form.add_error(None, field_errors)


def checklist_context(results: list) -> dict:
    return {"checklist": results, "unmet": [r for r in results if not r.met]}


def checklist_for(opp_form: OpportunityForm, quote_form: QuoteForm, documents: list) -> list:
    """The booking checklist of the records as typed in the two forms (unsaved)."""
    opportunity = opp_form.instance
    if opportunity.account_id is None:
        opportunity.account = Account(country="")  # no account chosen yet: nothing country-specific applies
    return selectors.requirements_preview(opportunity=opportunity, quote=quote_form.instance, documents=documents)


class OpportunityFormView(RoleRequiredMixin, View):
    """Create (no pk) or edit an opportunity with its primary quote; the checklist beside it updates live."""

    roles = REP_ROLES
    template_name = "approvals/opportunity_form.html"

    def get_opportunity(self, pk):
        if pk is None:
            return None
        opp = visible_opportunity(self.request.user, pk)
        if "edit" not in selectors.opportunity_actions(user=self.request.user, opportunity=opp):
            if opp.is_locked:
                messages.error(
                    self.request,
                    f"This opportunity is locked while {opp.get_approval_status_display().lower()}: "
                    "recall it (or wait for the decision) before editing.",
                )
                return redirect("approvals:opportunity_detail", pk=opp.pk)
            raise PermissionDenied("You may not edit this opportunity.")
        return opp

    def forms(self, opp, data=None):
        user = self.request.user
        quote = opp.primary_quote if opp else None
        initial = {"version": opp.version} if opp else {"stage": Opportunity.Stage.AWAITING_SIGNATURE}
        opp_form = OpportunityForm(data, instance=opp or Opportunity(), initial=initial, user=user)
        account_id = (data.get("account") if data is not None else None) or (opp.account_id if opp else None)
        quote_form = QuoteForm(data, instance=quote or None, account_id=account_id or None)
        return opp_form, quote_form

    def render_page(self, opp, opp_form, quote_form, status=200):
        documents = list(om_selectors.document_list(opportunity=opp)) if opp else []
        checklist = checklist_for(opp_form, quote_form, documents)
        ctx = {
            "opportunity": opp,
            "form": opp_form,
            "quote_form": quote_form,
            **checklist_context(checklist),
            "documents": documents,
            "contact_form": ContactForm(),
            "document_form": DocumentForm(),
        }
        return render(self.request, self.template_name, ctx, status=status)

    def get(self, request, pk=None):
        opp = self.get_opportunity(pk)
        if not (opp is None or isinstance(opp, Opportunity)):
            return opp
        opp_form, quote_form = self.forms(opp)
        return self.render_page(opp, opp_form, quote_form)

    def post(self, request, pk=None):
        opp = self.get_opportunity(pk)
        if not (opp is None or isinstance(opp, Opportunity)):
            return opp
        opp_form, quote_form = self.forms(opp, request.POST)
        if not (opp_form.is_valid() and quote_form.is_valid()):
            messages.error(request, "Please correct the fields marked below.")
            return self.render_page(opp, opp_form, quote_form, status=400)
        data = {**opp_form.service_data(), "primary_quote": quote_form.service_data()}
        try:
            if opp is None:
                opp = om_services.opportunity_create(actor=request.user, data=data)
                messages.success(request, f"{opp.name} created. Attach the executed agreement, then submit.")
            else:
                om_services.opportunity_update(
                    opportunity_id=opp.pk,
                    actor=request.user,
                    data=data,
                    expected_version=opp_form.cleaned_data.get("version"),
                )
                messages.success(request, f"{opp.name} saved.")
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from exc
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return self.render_page(opp, opp_form, quote_form, status=409)
        except ValidationError as exc:
            _apply_service_errors(exc, opp_form, quote_form)
            messages.error(request, "Please correct the fields marked below.")
            return self.render_page(opp, opp_form, quote_form, status=400)
        return redirect("approvals:opportunity_edit", pk=opp.pk)


class ChecklistView(OpportunityFormView):
    """htmx: the booking checklist for the form as typed (nothing is saved)."""

    template_name = "approvals/partials/_checklist.html"

    def get(self, request, pk=None):
        raise Http404

    def post(self, request, pk=None):
        opp = visible_opportunity(request.user, pk) if pk else None
        opp_form, quote_form = self.forms(opp, request.POST)
        opp_form.is_valid()  # builds the unsaved instance from whatever is valid so far
        quote_form.is_valid()
        documents = list(om_selectors.document_list(opportunity=opp)) if opp else []
        checklist = checklist_for(opp_form, quote_form, documents)
        return render(request, self.template_name, checklist_context(checklist))


class ContactOptionsView(RoleRequiredMixin, View):
    """htmx: the Sold To / Bill To selects for the account just chosen."""

    roles = REP_ROLES

    def get(self, request):
        account_id = request.GET.get("account")
        quote_form = QuoteForm(
            initial={
                "sold_to_contact": request.GET.get("quote-sold_to_contact"),
                "bill_to_contact": request.GET.get("quote-bill_to_contact"),
            },
            account_id=int(account_id) if account_id and account_id.isdigit() else None,
        )
        return render(request, "approvals/partials/_contact_selects.html", {"quote_form": quote_form})


class ContactCreateView(RoleRequiredMixin, View):
    roles = REP_ROLES

    def post(self, request, pk):
        opp = visible_opportunity(request.user, pk)
        form = ContactForm(request.POST)
        if form.is_valid():
            if run_service(request, om_services.contact_create, data={"account": opp.account, **form.cleaned_data}):
                messages.success(request, f"Contact {form.cleaned_data['name']} added to {opp.account}.")
        else:
            messages.error(request, f"The contact was not added: {error_text(ValidationError(form.errors))}")
        return redirect("approvals:opportunity_edit", pk=opp.pk)


class DocumentUploadView(RoleRequiredMixin, View):
    roles = REP_ROLES

    def post(self, request, pk):
        opp = visible_opportunity(request.user, pk)
        form = DocumentForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, f"The document was not uploaded: {error_text(ValidationError(form.errors))}")
        elif run_service(
            request,
            om_services.document_create,
            opportunity_id=opp.pk,
            kind=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
        ):
            messages.success(request, f"{form.cleaned_data['file'].name} attached.")
        return redirect(safe_next(request, reverse("approvals:opportunity_edit", args=[opp.pk])))


@xframe_options_sameorigin
def document_view(request, pk, document_id):
    """Serve an attached file to whoever may see its opportunity: PDFs inline (framed on the review page)."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={request.path}")
    opp = visible_opportunity(request.user, pk)
    document = om_selectors.document_list(opportunity=opp).filter(pk=document_id).first()
    if document is None:
        raise Http404("No such document.")
    inline = document.content_type == "application/pdf"
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=not inline,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- rep: detail and workflow actions ----------------------------------------------------------------------------


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
            **checklist_context(requirements.evaluate(opp)),
            history=om_selectors.opportunity_history(opportunity=opp),
            submission=selectors.open_submission(opportunity=opp),
            rejection=rejection,
            rejection_labels=[labels.get(code, code) for code in rejection.reasons] if rejection else [],
            actions=selectors.opportunity_actions(user=user, opportunity=opp),
            escalate_form=kwargs.get("escalate_form") or EscalateForm(),
        )
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


# --- queues ---------------------------------------------------------------------------------------------------------


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

    The SLA figures are computed for `now` with the same sla functions as the API's `queue_row_data`. The template
    only places these strings (no filters, URL reversing or method calls per row), and the managers' "assign to"
    options are built once per pre-selected reviewer, not once per row: that per-row work used to dominate the page.
    """
    regions = selectors.region_calendars()
    ticking = {code: SafeString("1" if in_business_hours(now, region) else "0") for code, region in regions.items()}
    tz = timezone.get_current_timezone()
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
                "priority_reason": selectors.priority_reason(row, position),
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
                "submitted_at": SafeString(f"{row['submitted_at'].astimezone(tz):%m-%d %H:%M}"),
                "escalated": row["escalated"],
                "escalation_reason": row["escalation_reason"],
                "period_end": period_end_flag(row["submitted_at"]),
                "held_until": f"{row['held_until']:%m-%d}" if row["held_until"] else "",
                "sla_state": sla_state(now=now, at_risk_at=row["sla_at_risk_at"], due_at=row["sla_due_at"]),
                "sla_due": SafeString(row["sla_due_at"].astimezone(tz).isoformat()),
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

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        tabs, default = self.tabs(user) if self.stage == "om" else ([], "")
        region = self.request.GET.get("region", default)
        if self.stage == "om" and region not in {code for code, _ in tabs}:
            region = default
        queryset = selectors.approval_queue(user=user, stage=self.stage, region=region or None)
        filterset = QueueFilterSet(self.request.GET, queryset=queryset, request=self.request)
        fields = selectors.QUEUE_PAGE_FIELDS
        try:
            filtered = filterset.qs
        except DRFValidationError:
            messages.error(self.request, "Unknown filter value: showing the whole queue.")
            filtered = queryset
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
        )
        return ctx


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


# --- review ---------------------------------------------------------------------------------------------------------


class ReviewView(RoleRequiredMixin, TemplateView):
    """Everything a reviewer checks on one page, with the decision forms of the stage the item is in."""

    roles = (Role.SPECIALIST, Role.MANAGER, Role.BILLING)
    template_name = "approvals/review.html"

    def review_stage(self, opp) -> str:
        if self.request.user.is_billing or opp.approval_status == Opportunity.ApprovalStatus.OM_APPROVED:
            return "billing"
        return "om"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        opp = visible_opportunity(user, kwargs["pk"])
        submission = selectors.open_submission(opportunity=opp)
        now = timezone.now()
        sla = None
        if submission is not None and submission.state == submission.State.SUBMITTED:
            sla = {
                "state": sla_state(now=now, at_risk_at=submission.sla_at_risk_at, due_at=submission.sla_due_at),
                "hours_remaining": business_hours_remaining(submission.sla_due_at, now, submission.region),
            }
        rejection = selectors.last_rejection(opportunity=opp)
        labels = dict(requirements.rejection_reasons())
        stage = self.review_stage(opp)
        state = submission.state if submission else None
        can_decide = (stage == "om" and state == Submission.State.SUBMITTED and not user.is_billing) or (
            stage == "billing" and state == Submission.State.OM_APPROVED and user.is_billing
        )
        ctx.update(
            can_decide=can_decide,
            opportunity=opp,
            quote=opp.primary_quote,
            account=opp.account,
            documents=om_selectors.document_list(opportunity=opp),
            **checklist_context(requirements.evaluate(opp)),
            history=om_selectors.opportunity_history(opportunity=opp),
            changes=selectors.changes_since_last_rejection(opportunity=opp),
            rejection=rejection,
            rejection_labels=[labels.get(code, code) for code in rejection.reasons] if rejection else [],
            submission=submission,
            sla=sla,
            stage=stage,
            approve_form=kwargs.get("approve_form") or ApproveForm(),
            reject_form=kwargs.get("reject_form") or RejectForm(),
            reviewers=list(selectors.reviewers()) if user.is_manager else [],
            queue_url=reverse("approvals:billing_queue" if stage == "billing" else "approvals:queue"),
        )
        return ctx


class DecisionView(ReviewView):
    """POST-only decision: form -> one service -> the next item of the same queue (or back to the queue)."""

    stage = "om"
    form_class = ApproveForm
    form_kwarg = "approve_form"
    service = None
    done = ""

    def get(self, request, *args, **kwargs):
        raise Http404

    def post(self, request, pk):
        opp = visible_opportunity(request.user, pk)
        form = self.form_class(request.POST)
        if not form.is_valid():
            messages.error(request, "The decision was not recorded: please correct the form below.")
            ctx = self.get_context_data(pk=pk, **{self.form_kwarg: form})
            return self.render_to_response(ctx, status=400)
        if not run_service(request, type(self).service, opportunity_id=opp.pk, **form.cleaned_data):
            return redirect("approvals:review", pk=opp.pk)
        messages.success(request, f"{opp.name}: {self.done}")
        following = selectors.next_queue_item(user=request.user, stage=self.stage)
        if following is not None:
            return redirect("approvals:review", pk=following.opportunity_id)
        messages.info(request, "The queue is empty: nothing else is waiting for you.")
        return redirect("approvals:billing_queue" if self.stage == "billing" else "approvals:queue")


class ApproveView(DecisionView):
    roles = QUEUE_ROLES
    service = services.approval_approve
    done = "approved and sent to Billing."


class RejectView(DecisionView):
    roles = QUEUE_ROLES
    form_class = RejectForm
    form_kwarg = "reject_form"
    service = services.approval_reject
    done = "rejected; the rep was told what to fix."


class BillingApproveView(DecisionView):
    roles = (Role.BILLING,)
    stage = "billing"
    service = services.approval_billing_approve
    done = "approved by Billing: Closed Won."


class BillingRejectView(DecisionView):
    roles = (Role.BILLING,)
    stage = "billing"
    form_class = RejectForm
    form_kwarg = "reject_form"
    service = services.approval_billing_reject
    done = "rejected by Billing; the rep was told what to fix."


# --- manager: team coverage and out of office ----------------------------------------------------------------------


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
