"""Shared body of the CSV import commands: validate every row with the API serializer, then upsert all or none."""

import csv

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


def import_csv(command, *, path: str, serializer_class, upsert) -> None:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    valid, errors = [], []
    for line, row in enumerate(rows, start=2):
        data = {k: v for k, v in row.items() if k and v != ""}  # an empty cell means "not given"
        payload = serializer_class(data=data)
        if payload.is_valid():
            valid.append(payload.validated_data)
        else:
            errors.append(f"line {line}: {dict(payload.errors)}")
    if errors:
        raise CommandError("Nothing imported:\n" + "\n".join(errors[:50]))
    created = 0
    with transaction.atomic():
        for data in valid:
            created += upsert(data=dict(data))[1]
    command.stdout.write(f"{len(valid)} rows: {created} created, {len(valid) - created} updated")


class CsvImportCommand(BaseCommand):
    """`manage.py <command> PATH`: upsert every row of the CSV at PATH, validated by `serializer_class`."""

    serializer_class = None
    upsert = None  # a service: upsert(data=...) -> (record, created)

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        import_csv(self, path=path, serializer_class=self.serializer_class, upsert=type(self).upsert)
