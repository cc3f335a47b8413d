"""Writes of the subscriptions app, by responsibility: billing's records (`records`), reconciliation runs (`runs`),
a specialist's decisions on discrepancies (`discrepancies`) and what their fixes change (`fixes`).
Re-exported here: callers write `from subscriptions import services` or `from subscriptions.services import name`.
"""

from .discrepancies import discrepancy_accept, discrepancy_apply, discrepancy_undo
from .records import invoice_upsert, service_months_between, subscription_upsert
from .runs import reconciliation_run_create, reconciliation_run_execute, reconciliation_run_sweep, run_summary

__all__ = [
    "discrepancy_accept",
    "discrepancy_apply",
    "discrepancy_undo",
    "invoice_upsert",
    "reconciliation_run_create",
    "reconciliation_run_execute",
    "reconciliation_run_sweep",
    "run_summary",
    "service_months_between",
    "subscription_upsert",
]
