from datetime import date

from django.core.management.base import BaseCommand

from ._reconcile import run_now


class Command(BaseCommand):
    help = "Run the renewal reconciliation now (safe to repeat; refuses while another renewals run is active)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")
        parser.add_argument("--region", default=None, help="AMER, EMEA or APAC (default: every region)")

    def handle(self, *args, as_of=None, region=None, **options):
        run_now(self, kind="renewals", as_of=as_of, region=region)
