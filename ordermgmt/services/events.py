"""The opportunity's history, and the helpers that record what an edit changed."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from ..models import (
    Opportunity,
    OpportunityEvent,
    User,
)

logger = logging.getLogger(__name__)


def opportunity_event_record(
    *,
    opportunity: Opportunity,
    actor: User | None,
    action: str,
    changes: dict[str, Any] | None = None,
    comment: str = "",
    on_behalf_of: User | None = None,
) -> OpportunityEvent:
    """Append one line to the opportunity's history (inside the caller's transaction)."""
    return OpportunityEvent.objects.create(
        opportunity=opportunity,
        actor=actor,
        action=action,
        changes=changes or {},
        comment=comment,
        on_behalf_of=on_behalf_of,
    )


def opportunity_events_record(*, action: str, lines: dict[int, tuple[dict[str, Any], str]]) -> int:
    """Append one history line per opportunity for a batch job (no actor: the system), in bulk: `lines` maps an
    opportunity id to (changes, comment). Returns how many were written."""
    events = [
        OpportunityEvent(opportunity_id=pk, action=action, changes=changes, comment=comment)
        for pk, (changes, comment) in lines.items()
    ]
    OpportunityEvent.objects.bulk_create(events, batch_size=1000)
    return len(events)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def _full_clean_changed(instance, changed) -> None:
    """`full_clean()` of what an edit touched: the changed fields, and every check constraint over one of them.

    The rest was read under the row lock and already satisfies the database's own constraints; checking it again
    costs a query per foreign key and a savepoint plus a query per check constraint (17 of a PATCH's 27 queries).
    """
    model = type(instance)
    checked = set(changed)
    for constraint in model._meta.constraints:
        condition = getattr(constraint, "condition", None)
        fields = set(getattr(constraint, "fields", ()))
        if condition is not None:
            fields |= condition.referenced_base_fields
        if fields & checked:
            checked |= fields
    instance.full_clean(exclude={field.name for field in model._meta.concrete_fields} - checked)


def _apply(instance, data: dict[str, Any], fields) -> dict[str, list]:
    """Set the given fields on `instance`; return {field: [old, new]} for the ones that changed."""
    changes = {}
    for name in fields:
        if name not in data:
            continue
        old, new = getattr(instance, name), data[name]
        if old != new:
            changes[name] = [_jsonable(old), _jsonable(new)]
            setattr(instance, name, new)
    return changes
