"""An opportunity's history as a person reads it: labels instead of codes, "—" instead of None."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.utils.dateparse import parse_datetime

from .models import Opportunity, OpportunityEvent, Quote
from .zones import format_local

EMPTY = "—"


@dataclass(frozen=True)
class ChangeLine:
    field: str  # the field's label, e.g. "Approval status"
    text: str  # "Draft → Submitted", "set to 2026-12-01", "cleared (was 5)"


# Workflow actions whose words are not their status's label.
ACTION_LABELS = {
    "needs_info": "Asked the rep (needs information)",
    "info_provided": "Rep answered; back with the reviewer",
    "checklist_verified": "Verified on the checklist",
    "checklist_failed": "Marked failed on the checklist",
    "checklist_cleared": "Cleared a checklist tick",
}


def action_label(action: str) -> str:
    """An event's action as shown: a status move by its status label, anything else in words."""
    statuses = dict(Opportunity.ApprovalStatus.choices)
    return ACTION_LABELS.get(action) or statuses.get(action) or action.replace("_", " ").capitalize()


def change_lines(event: OpportunityEvent) -> list[ChangeLine]:
    """The event's changes, one line per field: the field's label and its before and after values as labels."""
    lines = []
    for name, change in (event.changes or {}).items():
        label, display = _field(name)
        if isinstance(change, list) and len(change) == 2:
            before, after = (display(value) for value in change)
            if before == EMPTY:
                text = f"set to {after}"
            elif after == EMPTY:
                text = f"cleared (was {before})"
            else:
                text = f"{before} → {after}"
        else:
            text = display(change)
        lines.append(ChangeLine(field=label, text=text))
    return lines


def _field(name: str):
    """(label, value formatter) of a changed field: an opportunity's field, a primary quote's ("primary_quote.x"),
    or a workflow key that is no model field (queue region, SLA due time...)."""
    model, field_name = (Quote, name.split(".", 1)[1]) if name.startswith("primary_quote.") else (Opportunity, name)
    try:
        field = model._meta.get_field(field_name)
    except FieldDoesNotExist:
        field = None
    if field is None or not field.concrete:  # a workflow key, or a relation such as "documents"
        return field_name.replace("_", " ").capitalize(), _plain
    prefix = "Quote " if model is Quote else ""
    label = prefix + str(field.verbose_name)
    label = label[0].upper() + label[1:]
    choices = dict(field.flatchoices) if field.choices else None
    return label, (lambda value: _plain(choices.get(value, value) if choices and value is not None else value))


def _plain(value) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value) or EMPTY
    if isinstance(value, str) and "T" in value and (moment := _aware_datetime(value)) is not None:
        return format_local(moment)  # a time recorded with its UTC offset, read on the viewer's clock (#21)
    return str(value)


def _aware_datetime(text: str):
    try:
        moment = parse_datetime(text)
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None
