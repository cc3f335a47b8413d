"""HTML forms for cases. They check input shape only; the services enforce the rules."""

from django import forms

from ordermgmt.models import User

from .models import Case, RequestType

FIELD_PREFIX = "field_"


def _type_field(spec: dict) -> forms.Field:
    field = _type_field_for(spec, spec.get("label", spec["name"]), False)  # the service checks what is required
    field.spec_required = bool(spec.get("required"))
    return field


def _type_field_for(spec: dict, label: str, required: bool) -> forms.Field:
    kind = spec.get("type", "text")
    if kind == "textarea":
        return forms.CharField(
            label=label, required=required, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
        )
    if kind == "number":
        return forms.DecimalField(label=label, required=required, max_digits=16, decimal_places=2)
    if kind == "date":
        return forms.DateField(label=label, required=required, widget=forms.DateInput(attrs={"type": "date"}))
    if kind == "url":
        return forms.URLField(label=label, required=required, max_length=500)
    if kind == "choice":
        choices = [("", "---------")] + [(c, c) for c in spec.get("choices", [])]
        return forms.ChoiceField(label=label, required=required, choices=choices)
    return forms.CharField(label=label, required=required, max_length=500)


class CaseOpenForm(forms.Form):
    """Team -> request type -> its own fields (added from the request type's field specs)."""

    team = forms.ChoiceField(label="Team")
    request_type = forms.ChoiceField(label="Request type", required=False)
    subject = forms.CharField(label="Subject", max_length=200, required=False)
    details = forms.CharField(
        label="Details", widget=forms.Textarea(attrs={"rows": 5}), max_length=10000, required=False
    )
    attachment = forms.FileField(label="Attachment (optional)", required=False)
    confirm_duplicate = forms.BooleanField(required=False, widget=forms.HiddenInput)
    related_to = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, teams, request_types, request_type: RequestType | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "Choose a team")] + [(t.code, t.name) for t in teams]
        self.fields["request_type"].choices = [("", "Choose a request type")] + [
            (rt.code, f"{rt.name} (first response {rt.first_response_hours:g} h)") for rt in request_types
        ]
        self.request_type = request_type
        for spec in request_type.fields if request_type else []:
            self.fields[FIELD_PREFIX + spec["name"]] = _type_field(spec)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def type_field_names(self) -> list[str]:
        return [name for name in self.fields if name.startswith(FIELD_PREFIX)]

    def type_values(self) -> dict:
        return {
            name.removeprefix(FIELD_PREFIX): ("" if value is None else str(value))
            for name, value in self.cleaned_data.items()
            if name.startswith(FIELD_PREFIX)
        }


class CaseCommentForm(forms.Form):
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 4}), max_length=10000)
    internal = forms.BooleanField(label="Internal note (only the team and managers see it)", required=False)


class CaseStatusForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=[c for c in Case.Status.choices if c[0] != Case.Status.NEW])
    note = forms.CharField(label="Note", max_length=2000, required=False)


class CaseAssignForm(forms.Form):
    user = forms.ModelChoiceField(label="Assign to", queryset=User.objects.none())

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = members


class CaseAttachForm(forms.Form):
    file = forms.FileField(label="File")


class TeamMembersForm(forms.Form):
    """The people in a team by name (those whose role makes them members are in it anyway)."""

    members = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        people = User.objects.filter(is_active=True).exclude(role=User.Role.INTEGRATION).order_by("username")
        self.fields["members"].queryset = people
        self.fields["members"].widget.attrs["class"] = "form-select form-select-sm"
