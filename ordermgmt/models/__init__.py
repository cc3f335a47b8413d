"""The shared sales records: regions, users and roles, accounts, contacts, opportunities, quotes, documents,
notifications and the outbox.

State changes of an opportunity's approval are owned by `approvals.services`; these modules only declare the
records, their invariants (as database constraints) and the foundation's visibility rule (`visible_to`).
"""

from .base import TimeStampedModel
from .customers import Account, Contact
from .documents import Document, document_upload_to
from .messaging import NOTIFICATION_KINDS, Notification, OutboxMessage
from .opportunities import Opportunity, OpportunityEvent, OpportunityQuerySet, Quote
from .people import DatedCoverage, OrderUserManager, User, UserQuerySet
from .regions import Region, RegionClosure, validate_timezone
from .tokens import ApiToken

__all__ = [
    "NOTIFICATION_KINDS",
    "Account",
    "ApiToken",
    "Contact",
    "DatedCoverage",
    "Document",
    "Notification",
    "Opportunity",
    "OpportunityEvent",
    "OpportunityQuerySet",
    "OrderUserManager",
    "OutboxMessage",
    "Quote",
    "Region",
    "RegionClosure",
    "TimeStampedModel",
    "User",
    "UserQuerySet",
    "document_upload_to",
    "validate_timezone",
]
