"""Whole model rows in hand-written statements: a model's columns under a table alias, and its instance back from a
row, through Django's documented model API (`_meta.concrete_fields`, `Model.from_db`, `Field.from_db_value`).

For the few hot single-row reads where compiling the ORM query costs more than running it: token authentication
and the workflow's locked read (~0.5 and ~1 ms of compilation, each query the same shape every time). Each of them
has a test holding its instances equal, field for field, to what the ORM reads.
"""

from __future__ import annotations

from django.db import connection, models


class ModelColumns:
    """The concrete columns of `model` read under `alias`: `.sql` for the SELECT list, `.instance(row, start)` for the
    model instance from the row's values at `start` onwards (None when an outer join found no row)."""

    def __init__(self, model: type[models.Model], alias: str):
        quote = connection.ops.quote_name
        fields = model._meta.concrete_fields
        self.model, self.alias, self.width = model, alias, len(fields)
        self.sql = ", ".join(f"{quote(alias)}.{quote(field.column)}" for field in fields)
        self.attnames = [field.attname for field in fields]
        self.pk_index = fields.index(model._meta.pk)
        self.converters = [
            (index, field, converter)
            for index, field in enumerate(fields)
            for converter in field.get_db_converters(connection)
        ]

    def column(self, field_name: str) -> str:
        """`alias."column"` of one field ("pk" for the primary key), for a join or a condition."""
        quote = connection.ops.quote_name
        field = self.model._meta.pk if field_name == "pk" else self.model._meta.get_field(field_name)
        return f"{quote(self.alias)}.{quote(field.column)}"

    def instance(self, row, start: int) -> models.Model | None:
        values = list(row[start : start + self.width])
        if values[self.pk_index] is None:
            return None
        for index, field, converter in self.converters:
            values[index] = converter(values[index], field, connection)
        return self.model.from_db(connection.alias, self.attnames, values)
