from django.core.management.base import BaseCommand

from ._import import import_csv


class Command(BaseCommand):
    help = "Upsert invoices by number from a CSV (number,account,opportunity,amount,net_arr,invoice_date)."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        from subscriptions.api.serializers import InvoiceSerializer
        from subscriptions.services import invoice_upsert

        import_csv(self, path=path, serializer_class=InvoiceSerializer, upsert=invoice_upsert)
