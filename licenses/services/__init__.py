"""Writes of the licenses app, by responsibility: the delivery feed (`feed`), the daily review job (`review`),
matching deliveries and the License Delivery Date this app owns (`matching`), and tickets (`tickets`).
Re-exported here: callers write `from licenses import services` or `from licenses.services import name`.
"""

from .feed import license_deliveries_import_csv, license_delivery_record
from .matching import review_candidates
from .review import license_review_enqueue, license_review_region, license_review_run
from .tickets import grace_cutoffs, license_ticket_mark_delivered, license_ticket_take, nth_business_day_back

__all__ = [
    "grace_cutoffs",
    "license_deliveries_import_csv",
    "license_delivery_record",
    "license_review_enqueue",
    "license_review_region",
    "license_review_run",
    "license_ticket_mark_delivered",
    "license_ticket_take",
    "nth_business_day_back",
    "review_candidates",
]
