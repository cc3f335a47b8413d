"""The upload form: input shape only (the service reads the file and names what is wrong with it)."""

from django import forms


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="Salesforce export",
        help_text="A report export (.csv) or REST records (.json); up to 10 MiB and 20,000 records.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.json,text/csv,application/json"}),
    )
