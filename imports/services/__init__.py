"""Imports from Salesforce. Every write to an account, contact, opportunity or quote goes through ordermgmt's services,
which keep the history; this app writes only its own records (runs, row outcomes, the Salesforce Id mapping).
Re-exported here: callers write `from imports import services`."""

from .runs import CHUNK, MAX_BYTES, TASK, import_run_create, import_run_execute, import_run_start
from .values import STAGES, RowRefused, RowResult, _norm

__all__ = [
    "CHUNK",
    "MAX_BYTES",
    "STAGES",
    "TASK",
    "RowRefused",
    "RowResult",
    "_norm",
    "import_run_create",
    "import_run_execute",
    "import_run_start",
]
