from subscriptions.api.serializers import SubscriptionSerializer
from subscriptions.services import subscription_upsert

from ._import import CsvImportCommand


class Command(CsvImportCommand):
    help = "Upsert subscriptions by name from a CSV (name,account,status,term_start,term_end,carr,exception,...)."
    serializer_class = SubscriptionSerializer
    upsert = staticmethod(subscription_upsert)
