from django import forms

from ordermgmt.models import Region


class MarkDeliveredForm(forms.Form):
    delivered_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    comment = forms.CharField(required=False, max_length=2000)


class ReviewRunForm(forms.Form):
    region = forms.ChoiceField(choices=[("", "All regions"), *Region.Code.choices], required=False)
