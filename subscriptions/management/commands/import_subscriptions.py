from django.core.management.base import BaseCommand

from ._import import import_csv


class Command(BaseCommand):
    help = "Upsert subscriptions by name from a CSV (name,account,status,term_start,term_end,carr,exception,...)."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        from subscriptions.api.serializers import SubscriptionSerializer
        from subscriptions.services import subscription_upsert

        import_csv(self, path=path, serializer_class=SubscriptionSerializer, upsert=subscription_upsert)
