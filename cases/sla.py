"""SLA arithmetic of a case: due moments, active (unpaused) business hours, and the ok / at-risk / breached state.

Pure functions over a case's stored clock fields; all hours are business hours of the case's region.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ordermgmt.calendar import add_business_hours, business_hours_between

AT_RISK_SHARE = 0.25  # at risk when less than a quarter of the target is left


def first_response_due(created_at: datetime, request_type, region) -> datetime:
    return add_business_hours(created_at, float(request_type.first_response_hours), region)


def resolution_due(created_at: datetime, request_type, region, paused_business_hours: float) -> datetime:
    """Due when the active hours reach the target: the paused hours push the deadline out by as much."""
    return add_business_hours(created_at, float(request_type.resolution_hours) + paused_business_hours, region)


def active_business_hours(case, now: datetime) -> float:
    """Business hours the resolution clock has run: creation to now (or to the pause), minus paused hours."""
    end = case.paused_at or now
    return round(business_hours_between(case.created_at, end, case.region) - case.paused_business_hours, 2)


@dataclass(frozen=True)
class SlaStatus:
    clock: str  # "first_response" | "resolution" | "stopped" | "done"
    due_at: datetime | None
    target_hours: float | None
    remaining_hours: float | None
    state: str  # "ok" | "at_risk" | "breached" | "paused" | "met" | "missed"


def sla_status(case, now: datetime) -> SlaStatus:
    """Which clock runs for the case now, how many business hours are left on it and whether it is at risk."""
    rt = case.request_type
    if not case.is_open:
        target = float(rt.resolution_hours)
        met = case.resolution_business_hours is not None and case.resolution_business_hours <= target
        return SlaStatus("done", None, target, None, "met" if met else "missed")
    if case.first_response_at is None:
        clock, due, target = "first_response", case.first_response_due_at, float(rt.first_response_hours)
    elif case.resolution_due_at is None:
        return SlaStatus("stopped", None, float(rt.resolution_hours), None, "paused")
    else:
        clock, due, target = "resolution", case.resolution_due_at, float(rt.resolution_hours)
    remaining = round(business_hours_between(now, due, case.region), 2)
    if now >= due:
        state = "breached"
    elif remaining < target * AT_RISK_SHARE:
        state = "at_risk"
    else:
        state = "ok"
    return SlaStatus(clock, due, target, remaining, state)
