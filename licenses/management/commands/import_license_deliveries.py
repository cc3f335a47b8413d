from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from licenses.services import license_deliveries_import_csv


class Command(BaseCommand):
    help = (
        "Back-fill license deliveries from a CSV with the columns external_id, opportunity, subscription_name, "
        "sold_to_email, delivered_at (ISO 8601). Idempotent on external_id: re-importing a file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options):
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            counts = license_deliveries_import_csv(text=path.read_text(encoding="utf-8-sig"))
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"created={counts['created']} existing={counts['existing']} invalid={counts['invalid']}")
        if counts["invalid"]:
            self.stderr.write(f"{counts['invalid']} invalid row(s) skipped; see the log for their line numbers.")
