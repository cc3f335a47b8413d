"""The one place that says what needs PostgreSQL. Everything else is the ORM and runs the same on the embedded
SQLite default (`make run`) and on PostgreSQL (production, the test suite).

PostgreSQL-only, and what SQLite does instead:

- the audit trail's triggers (django-pghistory) and its request context: not installed on SQLite; the domain
  history (`OpportunityEvent`) works everywhere;
- advisory locks (`licenses/sql.py`, `subscriptions/rules.py`): SQLite serialises writers itself, so a job there
  takes no lock;
- the set-based reconciliation rules (`subscriptions/rules.py`): a run on SQLite fails at once, saying so;
- KPI percentiles (`percentile_cont`): median and p90 answer "no data" on SQLite;
- JSON array containment and unnesting (`kpis/sql.py`, the drill-down by reason): SQLite uses `json_each` and a
  text match;
- bulk-load tuning in the demo seeder (immediate constraint checks, ANALYZE).
"""

from django.db import connection


def is_postgresql() -> bool:
    """True on PostgreSQL; False on the SQLite development default."""
    return connection.vendor == "postgresql"
