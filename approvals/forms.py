"""Forms of the browser UI. They check the shape of the input only; the services decide everything else."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone

from ordermgmt.models import Contact, Document, Opportunity, Quote, Region, User
from ordermgmt.services import EDITABLE_FIELDS, QUOTE_FIELDS

from . import requirements

EDITABLE_STAGES = [(v, label) for v, label in Opportunity.Stage.choices if v not in Opportunity.WORKFLOW_STAGES]


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def format_value(self, value):
        if hasattr(value, "strftime"):
            return value.strftime("%Y-%m-%dT%H:%M")
        return value


def _bootstrap(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.CheckboxSelectMultiple):
            continue
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select form-select-sm")
        else:
            widget.attrs.setdefault("class", "form-control form-control-sm")


class OpportunityForm(forms.ModelForm):
    """The opportunity's own fields; `version` is the one the page was rendered from (stale edits answer 409)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    stage = forms.ChoiceField(choices=EDITABLE_STAGES)

    class Meta:
        model = Opportunity
        fields = [name for name in EDITABLE_FIELDS if name != "subscription"]
        labels = {
            "net_arr": "Net ARR",
            "arr_basis": "ARR basis (renewals)",
            "closed_won_reason": "Closed-won reason",
            "closed_won_details": "Closed-won details",
            "po_required": "Customer requires a PO",
        }
        widgets = {
            "start_date": DateInput,
            "end_date": DateInput,
            "close_date": DateInput,
            "closed_won_details": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        if not user.is_manager:
            del self.fields["region"]  # a rep's opportunities belong to the rep's region
        self.fields["account"].queryset = self.fields["account"].queryset.order_by("name", "pk")
        # Choosing the account reloads the Sold To / Bill To selects with that account's contacts.
        self.fields["account"].widget.attrs.update(
            {
                "hx-get": reverse_lazy("approvals:contact_options"),
                "hx-target": "#contact-selects",
                "hx-swap": "outerHTML",
                "hx-include": "[name='account'], [name='quote-sold_to_contact'], [name='quote-bill_to_contact']",
                "hx-trigger": "change",
            }
        )
        _bootstrap(self)

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The end date cannot be before the start date.")
        return data

    def service_data(self) -> dict:
        data = {name: value for name, value in self.cleaned_data.items() if name != "version"}
        return data


class QuoteForm(forms.ModelForm):
    """The primary quote; its contacts are the chosen account's."""

    class Meta:
        model = Quote
        fields = list(QUOTE_FIELDS)
        labels = {
            "number": "Quote number",
            "amount": "Quote amount",
            "start_date": "Quote start date",
            "sold_to_contact": "Sold To contact",
            "bill_to_contact": "Bill To contact",
            "term_months": "Term (months)",
            "po_number": "PO number",
            "po_amount": "PO amount",
            "approved": "Quote approved",
        }
        widgets = {"start_date": DateInput}

    def __init__(self, *args, account_id: int | None = None, can_approve: bool = False, **kwargs):
        kwargs.setdefault("prefix", "quote")
        super().__init__(*args, **kwargs)
        if not can_approve:  # Deal Desk or a manager approves; the rep asks from the opportunity page
            self.fields["approved"].disabled = True
            self.fields["approved"].help_text = "Set by Deal Desk or a manager; ask for it on the opportunity page."
        contacts = Contact.objects.filter(account_id=account_id).order_by("name", "pk")
        self.fields["sold_to_contact"].queryset = contacts
        self.fields["bill_to_contact"].queryset = contacts
        self.fields["number"].required = True
        _bootstrap(self)

    def validate_unique(self):
        pass  # the service's full_clean checks the quote number against the database

    def service_data(self) -> dict:
        return dict(self.cleaned_data)


class ContactForm(forms.Form):
    name = forms.CharField(max_length=200, label="Contact name")
    email = forms.EmailField(required=False, label="Contact email")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "contact")
        super().__init__(*args, **kwargs)
        _bootstrap(self)


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(choices=Document.Kind.choices, label="Document kind")
    file = forms.FileField(label="File")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)


class EscalateForm(forms.Form):
    reason = forms.CharField(max_length=2000, label="Why is this urgent?", widget=forms.Textarea(attrs={"rows": 2}))
    to_region = forms.ChoiceField(
        choices=[("", "Keep in its region")] + list(Region.Code.choices), required=False, label="Hand to region"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)


class ApproveForm(forms.Form):
    comment = forms.CharField(
        max_length=5000, required=False, label="Comment (optional)", widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "approve")
        super().__init__(*args, **kwargs)
        _bootstrap(self)


class ChecklistMarkForm(forms.Form):
    item = forms.CharField(max_length=64)
    verdict = forms.ChoiceField(choices=[("verified", "Verified"), ("failed", "Failed"), ("clear", "Clear")])
    reason = forms.CharField(max_length=64, required=False)
    note = forms.CharField(max_length=500, required=False)


class RejectForm(forms.Form):
    reasons = forms.MultipleChoiceField(
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        label="Reasons",
        error_messages={"required": "Tick at least one reason."},
    )
    comment = forms.CharField(
        max_length=5000,
        label="Comment to the rep",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Tell the rep what to fix."},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "reject")
        super().__init__(*args, **kwargs)
        self.fields["reasons"].choices = requirements.rejection_reasons()
        self.fields["reasons"].widget.attrs["class"] = "form-check-input"
        _bootstrap(self)


class AssignForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none(), label="Assign to")

    def __init__(self, *args, reviewers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = reviewers if reviewers is not None else User.objects.none()
        _bootstrap(self)


class CoverageForm(forms.Form):
    regions = forms.MultipleChoiceField(
        choices=Region.Code.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        required=False,
        label="Covers",
    )
    starts_on = forms.DateField(required=False, widget=DateInput, label="From (optional)")
    ends_on = forms.DateField(required=False, widget=DateInput, label="Until")


class ZonedDateTimeField(forms.DateTimeField):
    """A date-time typed and shown in its own zone `tz`, whichever zone the request activated (the viewer's).

    Django's DateTimeField reads and shows times in the active zone; this one overrides it with `tz` for both, so a
    nonexistent or ambiguous wall-clock time (a DST change) is refused in the zone it is typed in.
    """

    widget = DateTimeInput

    def __init__(self, *, tz: ZoneInfo | None = None, **kwargs):
        self.tz = tz or ZoneInfo("UTC")
        super().__init__(**kwargs)

    def prepare_value(self, value):
        with timezone.override(self.tz):
            return super().prepare_value(value)

    def to_python(self, value):
        with timezone.override(self.tz):
            return super().to_python(value)


class OutOfOfficeForm(forms.Form):
    """An absence and its backup. Times are typed and shown in `tz` (the specialist's region, not the viewer's
    zone: the absence follows the team's working day), and named so."""

    start = ZonedDateTimeField(required=False, label="Out from")
    end = ZonedDateTimeField(required=False, label="Until")
    backup = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label="Backup")

    def __init__(self, *args, backups=None, tz: ZoneInfo | None = None, **kwargs):
        self.tz = tz or ZoneInfo("UTC")
        super().__init__(*args, **kwargs)
        self.fields["backup"].queryset = backups if backups is not None else User.objects.none()
        for name in ("start", "end"):
            self.fields[name].tz = self.tz
            self.fields[name].label = f"{self.fields[name].label} ({self.tz.key})"
        _bootstrap(self)


class QuestionForm(forms.Form):
    question = forms.CharField(
        max_length=10000,
        label="Question to the rep",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Write the question the rep must answer."},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "ask")
        super().__init__(*args, **kwargs)
        _bootstrap(self)


class ThreadForm(forms.Form):
    """A message of the opportunity's thread (or the rep's answer to a question), with an optional file."""

    body = forms.CharField(
        max_length=10000,
        label="Message",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="@username notifies somebody who can see this deal.",
    )
    attachment = forms.FileField(required=False, label="Attach a file (optional)")

    def __init__(self, *args, label: str = "Message", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].label = label
        _bootstrap(self)


class CorrectionForm(forms.Form):
    """A correction of a Closed Won deal: the reason and the corrected values (leave the others empty)."""

    kind = forms.ChoiceField(choices=(("fields", "Field correction"), ("rebook", "Debook and rebook")), label="Kind")
    reason = forms.CharField(max_length=2000, label="Reason", widget=forms.Textarea(attrs={"rows": 2}))
    amount = forms.DecimalField(required=False, min_value=0, max_digits=14, decimal_places=2, label="Amount")
    net_arr = forms.DecimalField(required=False, min_value=0, max_digits=14, decimal_places=2, label="Net ARR")
    start_date = forms.DateField(required=False, widget=DateInput, label="Start date")
    end_date = forms.DateField(required=False, widget=DateInput, label="End date")
    close_date = forms.DateField(required=False, widget=DateInput, label="Close date (rebook)")

    CHANGES = ("amount", "net_arr", "start_date", "end_date", "close_date")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "correction")
        super().__init__(*args, **kwargs)
        _bootstrap(self)

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.CHANGES if self.cleaned_data.get(name) is not None}


class _IdsField(forms.Field):
    """A list of positive integers from repeated inputs (`ids=1&ids=2`)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        try:
            return [int(v) for v in value or () if int(v) > 0]
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError("Items are numbers.") from exc


class QueueBulkForm(forms.Form):
    """The queue's bulk bar: an action and the ticked items (at most one page of the queue)."""

    action = forms.ChoiceField(choices=[("claim", "Claim"), ("unclaim", "Unclaim"), ("assign", "Assign")])
    ids = _IdsField(error_messages={"required": "Tick at least one item."})
    user = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label="Assign to")

    def __init__(self, *args, reviewers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = reviewers if reviewers is not None else User.objects.none()

    def clean_ids(self):
        ids = list(dict.fromkeys(self.cleaned_data["ids"]))
        if len(ids) > 100:
            raise forms.ValidationError("At most 100 items at once.")
        return ids

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == "assign" and not cleaned.get("user"):
            self.add_error("user", "Choose who to assign them to.")
        return cleaned
