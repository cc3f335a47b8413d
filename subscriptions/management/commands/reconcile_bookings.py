import re

from django.core.management.base import BaseCommand, CommandError

from ._reconcile import run_now


class Command(BaseCommand):
    help = "Run the bookings reconciliation for a month now (default: last month). Safe to repeat."

    def add_arguments(self, parser):
        parser.add_argument("--month", default=None, help="YYYY-MM (default: the previous month)")

    def handle(self, *args, month=None, **options):
        if month and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
            raise CommandError("--month must be YYYY-MM")
        run_now(self, kind="bookings", month=month)
