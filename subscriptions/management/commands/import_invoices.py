from subscriptions.api.serializers import InvoiceSerializer
from subscriptions.services import invoice_upsert

from ._import import CsvImportCommand


class Command(CsvImportCommand):
    help = (
        "Upsert invoices by number from a CSV (number,account,opportunity,amount,invoice_date"
        "[,net_arr,service_start,service_end,service_months])."
    )
    serializer_class = InvoiceSerializer
    upsert = staticmethod(invoice_upsert)
