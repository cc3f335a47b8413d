"""The license review's hand-written SQL (PostgreSQL only; see `ordermgmt.database`)."""

# Advisory locks: one reviewer per region at a time, released with the session if a worker dies (no ORM API).
TRY_ADVISORY_LOCK = "SELECT pg_try_advisory_lock(%s, %s)"
ADVISORY_UNLOCK = "SELECT pg_advisory_unlock(%s, %s)"
