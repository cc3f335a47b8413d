"""Input shape of the KPI pages and API: the scope (period, region, person, team) and the CSAT survey form."""

from __future__ import annotations

from django import forms

from cases.models import Team
from ordermgmt.exceptions import PermissionDeniedError
from ordermgmt.models import Region, User

from .models import CsatResponse
from .periods import PeriodError, parse_period
from .selectors import Scope


def scope_from_params(params, user) -> Scope:
    """Parse `period`|`from`+`to`, `region`, `person`, `team`; 400 (PeriodError) naming the bad field.

    Specialists are held to their own region whatever they ask for; other non-manager roles are refused.
    """
    period = parse_period(params)
    region = (params.get("region") or "").strip().upper() or None
    if region and not Region.objects.filter(pk=region).exists():
        raise PeriodError("region", f"“{region}” is not a region.")
    person = (params.get("person") or "").strip() or None
    if person is not None:
        if not person.isdecimal():
            raise PeriodError("person", f"“{person}” is not a user id.")
        person = int(person)
    team = (params.get("team") or "").strip() or None
    if team and not Team.objects.filter(code=team).exists():
        raise PeriodError("team", f"“{team}” is not a team.")
    if not (user.is_superuser or user.role == User.Role.MANAGER):
        if user.role != User.Role.SPECIALIST:
            raise PermissionDeniedError("KPI dashboards are for managers.")
        region = user.region_id
    return Scope(period, region, person, team)


class CsatSurveyForm(forms.Form):
    rating = forms.ChoiceField(
        label="How would you describe the support you received from Order Management that quarter?",
        choices=CsatResponse.Rating.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, ask_region: bool = False, **kwargs):
        """A rep rates their own region; a manager names the region they rate."""
        super().__init__(*args, **kwargs)
        if ask_region:
            self.fields["region"] = forms.ChoiceField(label="Region rated", choices=Region.Code.choices)
