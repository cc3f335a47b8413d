"""Reads of the shared sales records, scoped to what the user may see."""

from __future__ import annotations

import functools

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import FilteredRelation, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL

from .models import Account, Contact, Document, Notification, Opportunity, OpportunityEvent, Quote, Region, User
from .rawsql import ModelColumns


def region_list() -> QuerySet[Region]:
    return Region.objects.order_by("code")


def account_list(*, user: User) -> QuerySet[Account]:
    """Accounts are customer reference data, visible to every signed-in person."""
    return Account.objects.select_related("region").order_by("name", "pk")


def contact_list(*, user: User) -> QuerySet[Contact]:
    return Contact.objects.select_related("account").order_by("name", "pk")


def _primary_quote_prefetch() -> Prefetch:
    return Prefetch(
        "quotes",
        queryset=Quote.objects.filter(is_primary=True).select_related("sold_to_contact", "bill_to_contact"),
        to_attr="prefetched_primary_quotes",
    )


def opportunity_prefetches() -> list[Prefetch]:
    """What the serializer and the requirements engine read besides the row: the primary quote with its contacts,
    and the documents. The list prefetches them; the workflow's locked read joins them into its own statement
    (`opportunity_locked`), so an action answers without re-reading.
    """
    return [
        _primary_quote_prefetch(),
        Prefetch("documents", queryset=Document.objects.order_by("pk"), to_attr="prefetched_documents"),
    ]


def opportunity_locked(
    scope: QuerySet[Opportunity], pk: int, *, owner: User | None = None, reads: dict[str, RawSQL] | None = None
) -> Opportunity | None:
    """Opportunity `pk` if `scope` holds it (else None), its row locked for the transaction (FOR NO KEY UPDATE), read
    in one statement with what the serializer and the requirements engine read for it: account, owner and region,
    the primary quote with both contacts, the documents' kinds. Two queries less per workflow action than reading
    the quote and documents after the lock.

    `owner`: the user the row is expected to belong to (a rep acting on their own), not read again; any other
    row's owner is read when asked for. `reads`: extra columns (RawSQL over the "ordermgmt_opportunity" row), set
    as attributes of the same names.

    PostgreSQL: the ORM compiles only the scope's condition (`_scope_condition`), inside a fixed SQL text built once
    from the models' metadata (`ordermgmt.rawsql`): compiling the whole seven-table query cost ~1.4 ms, more than
    running it. SQLite, the embedded default, reads it with the ORM (`_opportunity_locked_orm`); a test holds the
    two equal, field for field.
    """
    reads = reads or {}
    if connection.vendor != "postgresql":
        return _opportunity_locked_orm(scope, pk, owner=owner, reads=reads)
    condition = _scope_condition(scope.filter(pk=pk))
    if condition is None:
        return None
    sql, parts = _locked_statement(with_owner=owner is None)
    extra_sql = "".join(f", ({read.sql}) AS {connection.ops.quote_name(name)}" for name, read in reads.items())
    with connection.cursor() as cursor:
        cursor.execute(
            sql.format(reads=extra_sql, condition=condition[0]),
            [p for read in reads.values() for p in read.params] + list(condition[1]),
        )
        row = cursor.fetchone()
    if row is None:
        return None
    start, loaded = 0, {}
    for name, columns in parts.items():
        loaded[name] = columns.instance(row, start)
        start += columns.width
    opportunity = loaded["opportunity"]
    opportunity.account, opportunity.region = loaded["account"], loaded["region"]
    if owner is None:
        opportunity.owner = loaded["owner"]
    quote = loaded["quote"]
    if quote is not None:
        quote.sold_to_contact, quote.bill_to_contact = loaded["sold_to"], loaded["bill_to"]
    opportunity.loaded_document_kinds = row[start]
    for offset, name in enumerate(reads, start=start + 1):
        setattr(opportunity, name, row[offset])
    return _attach(opportunity, quote, owner)


def _scope_condition(scope: QuerySet[Opportunity]) -> tuple[str, tuple] | None:
    """`scope`'s WHERE clause as SQL over the unaliased opportunity table (None when it can match nothing).

    The ORM's own clause when the scope filters the opportunity table alone (every `visible_to` scope: columns and
    EXISTS subqueries), else `id IN (the scope's ids)`: correct for any scope, but a semi-join costs PostgreSQL
    ~0.35 ms more to plan.
    """
    query = scope.query
    try:
        if {alias for alias, refs in query.alias_refcount.items() if refs} == {Opportunity._meta.db_table}:
            return query.get_compiler(connection.alias).compile(query.where)
        sql, params = scope.values("pk").query.sql_with_params()
    except EmptyResultSet:  # e.g. QuerySet.none()
        return None
    return f"{ModelColumns(Opportunity, Opportunity._meta.db_table).column('pk')} IN ({sql})", params


@functools.cache
def _locked_statement(*, with_owner: bool) -> tuple[str, dict[str, ModelColumns]]:
    """The SQL text of `opportunity_locked` (with {reads} and {condition} to fill in) and the models it reads, in
    order."""
    quote = connection.ops.quote_name
    opportunity = ModelColumns(Opportunity, Opportunity._meta.db_table)  # unaliased: `reads` name the table
    parts = {
        "opportunity": opportunity,
        "account": ModelColumns(Account, "lock_account"),
        "region": ModelColumns(Region, "lock_region"),
        **({"owner": ModelColumns(User, "lock_owner")} if with_owner else {}),
        "quote": ModelColumns(Quote, "lock_quote"),
        "sold_to": ModelColumns(Contact, "lock_sold_to"),
        "bill_to": ModelColumns(Contact, "lock_bill_to"),
    }

    def join(kind: str, part: str, on: str) -> str:
        columns = parts[part]
        return f" {kind} JOIN {quote(columns.model._meta.db_table)} {quote(columns.alias)} ON {on}"

    def to(part: str, source: ModelColumns, field: str) -> str:
        return f"{parts[part].column('pk')} = {source.column(field)}"

    quote_row = parts["quote"]
    documents = Document._meta
    document_kinds = (
        f"ARRAY(SELECT d.{quote(documents.get_field('kind').column)} FROM {quote(documents.db_table)} d"
        f" WHERE d.{quote(documents.get_field('opportunity').column)} = {opportunity.column('pk')}"
        f" ORDER BY d.{quote(documents.pk.column)})"
    )
    sql = (
        f"SELECT {', '.join(columns.sql for columns in parts.values())}, {document_kinds}{{reads}}"
        f" FROM {quote(opportunity.alias)}"
        + join("INNER", "account", to("account", opportunity, "account"))
        + join("INNER", "region", to("region", opportunity, "region"))
        + (join("INNER", "owner", to("owner", opportunity, "owner")) if with_owner else "")
        + join(
            "LEFT OUTER",
            "quote",
            f"{quote_row.column('opportunity')} = {opportunity.column('pk')} AND {quote_row.column('is_primary')}",
        )
        + join("LEFT OUTER", "sold_to", to("sold_to", quote_row, "sold_to_contact"))
        + join("LEFT OUTER", "bill_to", to("bill_to", quote_row, "bill_to_contact"))
        + f" WHERE {{condition}} FOR NO KEY UPDATE OF {quote(opportunity.alias)}"
    )
    return sql, parts


def _opportunity_locked_orm(
    scope: QuerySet[Opportunity], pk: int, *, owner: User | None, reads: dict[str, RawSQL]
) -> Opportunity | None:
    """`opportunity_locked` with the ORM: a filtered join for the primary quote (one per opportunity at most)."""
    opportunity = (
        scope.select_for_update(no_key=True, of=("self",))
        .annotate(with_primary_quote=FilteredRelation("quotes", condition=Q(quotes__is_primary=True)), **reads)
        .select_related(
            "account",
            *([] if owner is not None else ["owner"]),
            "region",
            "with_primary_quote__sold_to_contact",
            "with_primary_quote__bill_to_contact",
        )
        .filter(pk=pk)
        .first()
    )
    if opportunity is None:
        return None
    # Not set at all when the outer join found no quote. The documents' kinds come from `attached_documents`.
    return _attach(opportunity, opportunity.__dict__.get("with_primary_quote"), owner)


def _attach(opportunity: Opportunity, quote: Quote | None, owner: User | None) -> Opportunity:
    """Hand the quote to `Opportunity.primary_quote` as a list's prefetch leaves it, and `owner` if the row is
    theirs."""
    if owner is not None and opportunity.owner_id == owner.pk:
        opportunity.owner = owner
    if quote is not None:
        quote.opportunity = opportunity  # no query to walk back
    opportunity.prefetched_primary_quotes = [quote] if quote is not None else []
    return opportunity


def opportunity_list(*, user: User) -> QuerySet[Opportunity]:
    """Every opportunity `user` may see, loaded with what the list, the detail and the requirements engine read.

    A constant number of queries whatever the page size: the page, plus one prefetch each for quotes and documents.
    Both land in plain lists (`Opportunity.primary_quote`, `.attached_documents` read them): a classic prefetch
    clones a filtered queryset per row, ~1.7 ms of a 50-row page.
    """
    return (
        Opportunity.objects.visible_to(user)
        .select_related("account", "owner", "region")
        .prefetch_related(*opportunity_prefetches())
        .order_by("-created_at", "-pk")
    )


def opportunity_get(*, user: User, pk: int) -> Opportunity:
    """One visible opportunity (raises Opportunity.DoesNotExist otherwise: 404, never a hint it exists)."""
    return opportunity_list(user=user).get(pk=pk)


def opportunity_history(*, opportunity: Opportunity) -> QuerySet[OpportunityEvent]:
    """The opportunity's audit trail, oldest first."""
    return opportunity.events.select_related("actor", "on_behalf_of").order_by("at", "pk")


def document_list(*, opportunity: Opportunity) -> QuerySet[Document]:
    return opportunity.documents.select_related("uploaded_by").order_by("uploaded_at", "pk")


def notification_list(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
