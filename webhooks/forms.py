"""The endpoint form of the webhooks pages (input shape only; the service validates the rest)."""

from django import forms

from ordermgmt.services.integration import EVENT_KINDS


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https")
    description = forms.CharField(max_length=200, required=False)
    event_kinds = forms.MultipleChoiceField(
        label="Events",
        choices=list(EVENT_KINDS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)
