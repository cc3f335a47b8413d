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


# SQLSTATE classes and codes that mean "the database is not reachable now", not "this statement is wrong":
# 08 connection exception, 57P01-57P03 shutdown / cannot connect now, 53300 too many connections.
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")
# SQLite's transient failures (a writer holding the file, the file gone).
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database file", "disk I/O error")


def is_connection_error(exc: BaseException) -> bool:
    """True when `exc` says the database could not be reached (answer 503, try again); False for every other database
    error, which is a bug or bad data (answer 500 with a logged error id, or the caller's own mapping)."""
    from django.db import InterfaceError, OperationalError

    if isinstance(exc, InterfaceError):  # the connection was already closed
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    pgcode = getattr(cause, "pgcode", None)
    if pgcode:
        return pgcode.startswith(_UNAVAILABLE_SQLSTATES)
    if cause is not None and type(cause).__module__.startswith("psycopg"):
        return True  # a client-side connection failure: psycopg sets no SQLSTATE ("server closed the connection")
    return any(text in str(exc) for text in _SQLITE_UNAVAILABLE)
