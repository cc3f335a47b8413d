from datetime import date

from django.core.management.base import BaseCommand

from ._reconcile import run_now


class Command(BaseCommand):
    help = "Run the bookings reconciliation for a month now (default: the month before --as-of). Safe to repeat."

    def add_arguments(self, parser):
        parser.add_argument("--month", default=None, help="YYYY-MM (default: the month before --as-of)")
        parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")
        parser.add_argument("--region", default=None, help="AMER, EMEA or APAC (default: every region)")

    def handle(self, *args, month=None, as_of=None, region=None, **options):
        run_now(self, kind="bookings", month=month, as_of=as_of, region=region)
