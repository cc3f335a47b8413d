"""Forms of the reconciliation pages: input shape only."""

from django import forms

from ordermgmt.models import Region

from .models import ReconciliationRun


class RunStartForm(forms.Form):
    kind = forms.ChoiceField(choices=ReconciliationRun.Kind.choices)
    as_of = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    month = forms.RegexField(r"^\d{4}-(0[1-9]|1[0-2])$", required=False, help_text="Bookings: YYYY-MM")
    region = forms.ChoiceField(choices=[("", "All regions"), *Region.Code.choices], required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(required=False, max_length=500)


class AcceptForm(forms.Form):
    reason = forms.CharField(max_length=500)


class BatchForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=True)
    action = forms.ChoiceField(choices=[("apply", "Apply fixes"), ("accept", "Accept as exceptions")])
    reason = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id: the service refuses unknown ones; the field only checks the shape.
        self.fields["ids"].valid_value = lambda value: str(value).isdecimal()

    def clean(self):
        data = super().clean()
        if data.get("action") == "accept" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why these are accepted exceptions.")
        return data
