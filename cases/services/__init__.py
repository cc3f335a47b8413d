"""Writes to cases. Every function owns its transaction, locks the case row and appends a CaseEvent. Re-exported
here: callers write `from cases import services`."""

from .common import can_work, is_team_member, resolve_request_type, team_members_set, team_membership_add
from .conversation import case_attachment_add, case_comment_add, mentioned_usernames
from .lifecycle import case_assign, case_close, case_open, case_reopen, case_take, case_transition

__all__ = [
    "can_work",
    "case_assign",
    "case_attachment_add",
    "case_close",
    "case_comment_add",
    "case_open",
    "case_reopen",
    "case_take",
    "case_transition",
    "is_team_member",
    "mentioned_usernames",
    "resolve_request_type",
    "team_members_set",
    "team_membership_add",
]
