"""Writes to the shared sales records. Every function owns its transaction and records the history. Re-exported
here: callers write `from ordermgmt import services`."""

from .customers import contact_create, contact_update
from .documents import ALLOWED_DOCUMENT_TYPES, document_create, document_remove, document_replace, upload_check
from .events import opportunity_event_record, opportunity_events_record
from .messaging import (
    mentioned_usernames,
    notification_email_send,
    notification_mark_read,
    notification_send,
    outbox_drain,
    outbox_enqueue,
    outbox_publish,
)
from .opportunities import (
    EDITABLE_FIELDS,
    QUOTE_FIELDS,
    can_approve_quotes,
    can_edit_opportunity,
    opportunity_create,
    opportunity_fields_set,
    opportunity_record_create,
    opportunity_record_delete,
    opportunity_update,
    quote_approval_request,
    quote_approve,
)
from .people import (
    api_token_issue,
    api_token_revoke,
    api_token_rotate,
    user_dated_coverage_add,
    user_dated_coverage_remove,
    user_email_preferences_set,
    user_out_of_office_set,
    user_upsert,
)

__all__ = [
    "ALLOWED_DOCUMENT_TYPES",
    "EDITABLE_FIELDS",
    "QUOTE_FIELDS",
    "api_token_issue",
    "api_token_revoke",
    "api_token_rotate",
    "can_approve_quotes",
    "can_edit_opportunity",
    "contact_create",
    "contact_update",
    "document_create",
    "document_remove",
    "document_replace",
    "mentioned_usernames",
    "notification_email_send",
    "notification_mark_read",
    "notification_send",
    "opportunity_create",
    "opportunity_event_record",
    "opportunity_events_record",
    "opportunity_fields_set",
    "opportunity_record_create",
    "opportunity_record_delete",
    "opportunity_update",
    "outbox_drain",
    "outbox_enqueue",
    "outbox_publish",
    "quote_approval_request",
    "quote_approve",
    "upload_check",
    "user_dated_coverage_add",
    "user_dated_coverage_remove",
    "user_email_preferences_set",
    "user_out_of_office_set",
    "user_upsert",
]
