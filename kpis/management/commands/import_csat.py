"""`manage.py import_csat answers.csv`: load quarterly survey answers (region,quarter,rating[,comment,respondent])."""

from django.core.management.base import BaseCommand, CommandError

from ordermgmt.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Import CSAT survey answers from a CSV file with header region,quarter,rating[,comment[,respondent]]."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        from kpis.services import csat_import_csv

        try:
            with open(path, newline="", encoding="utf-8-sig") as handle:
                count = csat_import_csv(lines=handle)
        except (OSError, ApplicationError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Imported {count} CSAT answers."))
