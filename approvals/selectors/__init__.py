"""Reads of the approval workflow (re-exported here so callers write `from approvals import selectors`)."""

from .opportunities import opportunity_get, opportunity_list, opportunity_scope
from .queue import (
    QUEUE_PAGE_FIELDS,
    QUEUE_ROW_FIELDS,
    approval_queue,
    display_name,
    next_queue_item,
    priority_reason,
    queue_filter_sla,
    queue_rows,
    region_calendars,
    region_calendars_clear,
    reviewers,
    submission_list,
)
from .review import (
    changes_since_last_rejection,
    escalation_counts,
    last_rejection,
    latest_submission,
    open_submission,
    opportunity_actions,
    requirements_preview,
)

__all__ = [
    "QUEUE_PAGE_FIELDS",
    "QUEUE_ROW_FIELDS",
    "approval_queue",
    "changes_since_last_rejection",
    "display_name",
    "escalation_counts",
    "last_rejection",
    "latest_submission",
    "next_queue_item",
    "open_submission",
    "opportunity_actions",
    "opportunity_get",
    "opportunity_list",
    "opportunity_scope",
    "priority_reason",
    "queue_filter_sla",
    "queue_rows",
    "region_calendars",
    "region_calendars_clear",
    "requirements_preview",
    "reviewers",
    "submission_list",
]
