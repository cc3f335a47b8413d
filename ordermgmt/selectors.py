"""Reads of the shared sales records, scoped to what the user may see."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from .models import (
    Account,
    ApiToken,
    Contact,
    Document,
    Notification,
    Opportunity,
    OpportunityEvent,
    Quote,
    Region,
    User,
)


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
    and the documents."""
    return [
        _primary_quote_prefetch(),
        Prefetch("documents", queryset=Document.objects.order_by("pk"), to_attr="prefetched_documents"),
    ]


def opportunity_locked(scope: QuerySet[Opportunity], pk: int) -> Opportunity | None:
    """Opportunity `pk` if `scope` holds it (else None), its row locked for the transaction (FOR NO KEY UPDATE of the
    opportunity row only), loaded with what the serializer, the requirements engine and the SLA clock read: account,
    owner, region with its closures, the primary quote with both contacts, the documents.

    Constant queries: the locked row, then one prefetch each for quotes, documents and closures.
    """
    return (
        scope.select_for_update(no_key=True, of=("self",))
        .select_related("account", "owner", "region")
        .prefetch_related(*opportunity_prefetches(), "region__closures")
        .filter(pk=pk)
        .first()
    )


def opportunity_loaded(queryset: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    """`queryset` loaded with what a list, the detail and the requirements engine read: a constant number of queries
    whatever the page size (the page, plus one prefetch each for quotes and documents, landing in plain lists that
    `Opportunity.primary_quote` and `.attached_documents` read)."""
    return queryset.select_related("account", "owner", "region").prefetch_related(*opportunity_prefetches())


def opportunity_history(*, opportunity: Opportunity) -> QuerySet[OpportunityEvent]:
    """The opportunity's audit trail, oldest first."""
    return opportunity.events.select_related("actor", "on_behalf_of").order_by("at", "pk")


def document_list(*, opportunity: Opportunity) -> QuerySet[Document]:
    return opportunity.documents.select_related("uploaded_by").order_by("uploaded_at", "pk")


def notification_list(*, user: User, verb: str = "", unread: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first; of one kind (`verb`) and only the unread ones if asked."""
    qs = Notification.objects.filter(recipient=user)
    if verb:
        qs = qs.filter(verb=verb)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-pk")


def notification_kinds(*, user: User) -> list[str]:
    """The kinds (verbs) of the user's notifications, for the filter."""
    return list(Notification.objects.filter(recipient=user).order_by("verb").values_list("verb", flat=True).distinct())


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    """The tokens `user` may see and revoke: their own; a manager every user's. Expired ones are left out."""
    tokens = ApiToken.objects.select_related("user").filter(Q(expiry__isnull=True) | Q(expiry__gt=timezone.now()))
    if not user.is_manager:
        tokens = tokens.filter(user=user)
    return tokens.order_by("-created", "-id")
