"""Whole model rows in hand-written statements: a model's columns under a table alias, and its instance back from a
row, through Django's documented model API (`_meta.concrete_fields`, `Model.from_db`, `Field.from_db_value`).

For the few hot single-row statements where compiling the ORM query costs more than running it: token
authentication and the workflow's locked read (~0.5 and ~1 ms of compilation, each query the same shape every
time), and the workflow's writes (`save_together`). Tests hold each equal, field for field, to what the ORM reads
or writes.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import DatabaseError, connection, models


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


def save_together(*, inserts: Sequence[models.Model] = (), updates: Sequence[tuple[models.Model, Sequence[str]]] = ()):
    """Insert new instances and update named fields of existing ones in one statement, writing what `save()` would:
    each field's `pre_save` (auto_now, auto_now_add) and database value; new primary keys are set on the instances.

    PostgreSQL: one writable CTE, so one round trip and no query compilation instead of one of each per row (~0.3 ms
    a save; the workflow's actions write three rows). Triggers fire as usual (pghistory audits, with the request's
    context); model signals are not sent (this project connects none). SQLite saves them one by one. An update that
    matches no row raises DatabaseError, as `save(update_fields=...)` does: call it inside the transaction that
    must keep nothing then (every workflow service is atomic).
    """
    if connection.vendor != "postgresql" or not _plain(inserts, updates):
        for instance in inserts:
            instance.save(force_insert=True)
        for instance, fields in updates:
            instance.save(update_fields=fields)
        return
    quote = connection.ops.quote_name
    ctes, params = [], []
    for instance in inserts:
        meta = instance._meta
        fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field or instance.pk is not None]
        params += [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
        ctes.append(
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
            f" VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {quote(meta.pk.column)}"
        )
    for instance, names in updates:
        meta = instance._meta
        fields = [f for f in meta.local_concrete_fields if f.name in names or f.attname in names]
        params += [f.get_db_prep_save(f.pre_save(instance, False), connection) for f in fields]
        params.append(meta.pk.get_db_prep_value(instance.pk, connection))
        ctes.append(
            f"UPDATE {quote(meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in fields)}"
            f" WHERE {quote(meta.pk.column)} = %s RETURNING {quote(meta.pk.column)}"
        )
    names = [f"w{index}" for index in range(len(ctes))]
    sql = (
        "WITH "
        + ", ".join(f"{name} AS ({cte})" for name, cte in zip(names, ctes, strict=True))
        + " SELECT "
        + ", ".join(f"(SELECT * FROM {name})" for name in names)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = cursor.fetchone()
    if any(key is None for key in keys[len(inserts) :]):
        raise DatabaseError("Save with update_fields did not affect any rows.")
    for instance, key in zip(inserts, keys, strict=False):
        instance.pk = key
        instance._state.adding, instance._state.db = False, connection.alias


def _plain(inserts, updates) -> bool:
    """Only fields whose values are plain parameters (no database defaults, no expressions, no custom placeholders),
    single-table models, and an update's named fields all known; anything else goes through `save()`."""
    for instance in [*inserts, *(instance for instance, _ in updates)]:
        meta = instance._meta
        if meta.parents or any(f.has_db_default() or hasattr(f, "get_placeholder") for f in meta.concrete_fields):
            return False
        if any(hasattr(getattr(instance, f.attname, None), "resolve_expression") for f in meta.concrete_fields):
            return False
    return all(
        set(names) <= {n for f in instance._meta.local_concrete_fields for n in (f.name, f.attname)}
        for instance, names in updates
    )
