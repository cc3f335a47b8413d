"""Shared builders for the cases tests."""

from cases import services

QUOTE_FIELDS = {"quote_number": "Q-000123"}


def open_case(opp, *, actor=None, request_type="basic_quote_assistance", team="deal_desk", fields=None, **kwargs):
    return services.case_open(
        opportunity_id=opp.pk,
        actor=actor or opp.owner,
        team=team,
        request_type=request_type,
        subject=kwargs.pop("subject", "Need a quote fixed"),
        details=kwargs.pop("details", "The discount line is wrong."),
        field_values=QUOTE_FIELDS if fields is None else fields,
        **kwargs,
    )
