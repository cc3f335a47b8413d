from datetime import date

from django.core.management.base import BaseCommand, CommandError

from licenses.services import license_review_run
from ordermgmt.models import Region


class Command(BaseCommand):
    help = "Run the daily license delivery review now: license_review [--as-of YYYY-MM-DD] [--region CODE]"

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=date.fromisoformat, help="Review as of this date (default: today there).")
        parser.add_argument("--region", choices=Region.Code.values, help="One region (default: every region).")
        parser.add_argument("--chunk-size", type=int, default=None)

    def handle(self, *args, as_of, region, chunk_size, **options):
        if chunk_size is not None and chunk_size < 1:
            raise CommandError("--chunk-size must be at least 1")
        # By hand means "again": a finished run of the same day is repeated (safe, it is idempotent).
        for run in license_review_run(region=region, as_of=as_of, force=True, chunk_size=chunk_size):
            counts = ", ".join(f"{k}={v}" for k, v in sorted(run.counts.items())) or "nothing to do"
            self.stdout.write(f"{run.region_id} {run.as_of}: {run.status}, {run.processed} reviewed ({counts})")
