from django import forms
from django.contrib.auth.forms import AuthenticationForm


class SignInForm(AuthenticationForm):
    """The web sign-in, closed to integration accounts (they use API tokens only)."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.role == user.Role.INTEGRATION:
            raise forms.ValidationError("Integration accounts use API tokens, not the web sign-in.", code="api_only")


class EmailPreferencesForm(forms.Form):
    """Which notification kinds also come by email (all by default); the others stay in product only."""

    email_kinds = forms.MultipleChoiceField(
        choices=(), required=False, widget=forms.CheckboxSelectMultiple, label="Also send me an email for"
    )

    def __init__(self, *args, **kwargs):
        from .models import NOTIFICATION_KINDS

        super().__init__(*args, **kwargs)
        self.fields["email_kinds"].choices = NOTIFICATION_KINDS
        self.fields["email_kinds"].widget.attrs["class"] = "form-check-input"


class TimeZoneForm(forms.Form):
    """The zone the pages show and read times in; blank follows the region's."""

    time_zone = forms.ChoiceField(
        choices=(),
        required=False,
        label="Time zone",
        help_text="Every time on the pages is shown in this zone, named beside it, and the times you type are read "
        "in it. The API always answers in UTC.",
    )

    def __init__(self, *args, default_label: str = "UTC", **kwargs):
        from .zones import zone_choices

        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [("", f"Default: {default_label}"), *zone_choices()]
        self.fields["time_zone"].widget.attrs["class"] = "form-select form-select-sm"
