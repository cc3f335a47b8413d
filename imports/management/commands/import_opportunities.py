"""`manage.py import_opportunities FILE [--dry-run] [--user USERNAME]`: import a Salesforce export synchronously."""

import csv
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ordermgmt.exceptions import ApplicationError
from ordermgmt.models import User

from ... import selectors, services
from ...models import ImportRow


class Command(BaseCommand):
    help = (
        "Import accounts, contacts and opportunities (with their primary quote) from a Salesforce report export "
        "(CSV) or REST records (JSON). --dry-run shows what would happen per row and changes nothing. Idempotent on "
        "the Salesforce Id."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV or JSON file")
        parser.add_argument("--dry-run", action="store_true", help="report what would happen; write nothing")
        parser.add_argument("--user", help="import as this person (the history names them); default: the system")
        parser.add_argument("--errors", help="write the refused rows with their reason to this CSV file")

    def handle(self, *args, file, dry_run, user, errors, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        actor = None
        if user:
            actor = User.objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"No user {user!r}.")
        try:
            run = services.import_run_create(
                actor=actor, filename=path.name, data=path.read_bytes(), dry_run=dry_run, enqueue=False
            )
        except (ApplicationError, ValidationError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
        run = services.import_run_execute(run_id=run.pk)
        if run.status != run.Status.DONE:
            raise CommandError(f"Run {run.pk} {run.status}: {run.error}")
        verbosity = options.get("verbosity", 1)
        for row in run.rows.order_by("line"):
            if row.outcome == ImportRow.Outcome.REFUSED or verbosity > 1:
                detail = f" — {row.column}: {row.reason}" if row.reason else ""
                self.stdout.write(f"line {row.line} {row.external_id} {row.outcome}{detail}")
        if errors:
            with open(errors, "w", encoding="utf-8-sig", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(selectors.ERROR_REPORT_HEADER)
                writer.writerows(selectors.error_report_rows(run))
        label = "Dry run (nothing written)" if dry_run else "Imported"
        counts = ", ".join(f"{k} {v}" for k, v in run.counts.items())
        self.stdout.write(self.style.SUCCESS(f"{label}: run {run.pk}, {run.total} rows: {counts}."))
