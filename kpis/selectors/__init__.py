"""KPI definitions: every manager KPI as one documented function of a `Scope` (period, region, person, team).

Each function answers with a fixed number of SQL aggregates (GROUP BY in the database, never a Python loop over
records) and returns plain dicts/lists ready for JSON. An empty period answers `None` ("no data"), never 0%.

Which timestamp puts a record in a period (UTC, half-open [start, end)):

| KPI | record | timestamp |
|---|---|---|
| approval SLA, median / p90 | submission | `om_decided_at` (the OM decision) |
| approval accuracy | Billing decision | `decided_at` |
| CSAT | survey answer | its `quarter` (every quarter the period touches) |
| first response | case | `first_response_at` |
| closed won, license automation | opportunity | `close_date` |
| rejections | OM or Billing rejection | `decided_at` |
| escalations | submission | `escalated_at` |
| speed to month close | submission | `submitted_at` (its month) |
| license tickets and failures | license ticket | `created_at` |
| open discrepancies | discrepancy | open now; age from `first_seen_at` |

`person` means the specialist who made the OM decision for SLA and accuracy, the rep (opportunity owner) for
closed won, rejections, escalations and license automation, the case owner for first response.

The functions live in modules by theme; they are re-exported here (`from kpis import selectors`).
"""

from .base import (
    AGE_BUCKETS,
    LOWER_IS_BETTER,
    TARGETS,
    PercentileCont,
    Scope,
    has_percentiles,
    health,
    pct,
)
from .operations import (
    discrepancies_open,
    license_delivery,
    speed_to_month_close,
)
from .records import (
    billing_decisions,
    closed_won_opportunities,
    csat_responses,
    escalated_submissions,
    first_response_cases,
    license_eligible_opportunities,
    license_tickets,
    month_submissions,
    open_discrepancies,
    rejected_decisions,
    sla_submissions,
)
from .service import (
    closed_won_by_member,
    closed_won_by_region,
    csat,
    csat_by_region,
    first_response,
    first_response_by_team,
)
from .summary import (
    LOCK_SECONDS,
    REFRESH_SHARE,
    kpi_summary,
    kpi_summary_cached,
    regions,
    trends,
)
from .workflow import (
    approval_accuracy,
    approval_accuracy_by_region,
    approval_sla,
    approval_sla_by_person,
    approval_sla_by_region,
    escalations_by_region,
    escalations_by_rep,
    rejections_by_reason,
    rejections_by_region,
    rejections_by_rep,
)

__all__ = [
    "AGE_BUCKETS",
    "LOCK_SECONDS",
    "LOWER_IS_BETTER",
    "PercentileCont",
    "REFRESH_SHARE",
    "Scope",
    "TARGETS",
    "approval_accuracy",
    "approval_accuracy_by_region",
    "approval_sla",
    "approval_sla_by_person",
    "approval_sla_by_region",
    "billing_decisions",
    "closed_won_by_member",
    "closed_won_by_region",
    "closed_won_opportunities",
    "csat",
    "csat_by_region",
    "csat_responses",
    "discrepancies_open",
    "escalated_submissions",
    "escalations_by_region",
    "escalations_by_rep",
    "first_response",
    "first_response_by_team",
    "first_response_cases",
    "has_percentiles",
    "health",
    "kpi_summary",
    "kpi_summary_cached",
    "license_delivery",
    "license_eligible_opportunities",
    "license_tickets",
    "month_submissions",
    "open_discrepancies",
    "pct",
    "regions",
    "rejected_decisions",
    "rejections_by_reason",
    "rejections_by_region",
    "rejections_by_rep",
    "sla_submissions",
    "speed_to_month_close",
    "trends",
]
