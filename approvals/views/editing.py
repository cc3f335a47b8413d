"""The rep's create and edit form with its live booking checklist, contacts and documents."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django.views.decorators.clickjacking import xframe_options_sameorigin

from ordermgmt import selectors as om_selectors
from ordermgmt import services as om_services
from ordermgmt.exceptions import ApplicationError, PermissionDeniedError
from ordermgmt.models import Account, Opportunity
from ordermgmt.web import RoleRequiredMixin, error_text, run_service, safe_next

from .. import selectors
from ..forms import (
    ContactForm,
    DocumentForm,
    OpportunityForm,
    QuoteForm,
)
from .common import REP_ROLES, checklist_context, visible_opportunity


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
        can_approve = om_services.can_approve_quotes(user)
        quote_form = QuoteForm(data, instance=quote or None, account_id=account_id or None, can_approve=can_approve)
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
            account_id=int(account_id) if account_id and account_id.isdecimal() else None,
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


class DocumentRemoveView(RoleRequiredMixin, View):
    """Take a document off (kept for the audit trail), then back to the edit page."""

    roles = REP_ROLES

    def post(self, request, pk, document_id):
        opp = visible_opportunity(request.user, pk)
        if run_service(request, om_services.document_remove, opportunity_id=opp.pk, document_id=document_id):
            messages.success(request, "Document removed (kept in the audit trail).")
        return redirect("approvals:opportunity_edit", pk=opp.pk)


class DocumentReplaceView(RoleRequiredMixin, View):
    """A new file for a document, same kind; the old one is kept, removed."""

    roles = REP_ROLES

    def post(self, request, pk, document_id):
        opp = visible_opportunity(request.user, pk)
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "Choose the new file.")
        elif run_service(
            request, om_services.document_replace, opportunity_id=opp.pk, document_id=document_id, upload=upload
        ):
            messages.success(request, f"Replaced with {upload.name}.")
        return redirect("approvals:opportunity_edit", pk=opp.pk)


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
