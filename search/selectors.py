"""READS for the global search: each kind through its own app's scoping selector, so nobody finds what they may
not open."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from approvals.selectors import opportunity_scope
from cases.models import Case
from cases.selectors import case_list
from ordermgmt.models import Opportunity, Quote, User

from .models import SavedFilter

MIN_LENGTH = 2


def opportunity_search(*, user: User, q: str) -> QuerySet[Opportunity]:
    """Opportunities in `user`'s scope whose name, account name or a quote number contains `q`, by name then pk."""
    quote = Quote.objects.filter(opportunity=OuterRef("pk"), number__icontains=q)
    return (
        opportunity_scope(user)
        .filter(Q(name__icontains=q) | Q(account__name__icontains=q) | Exists(quote))
        .select_related("account", "owner")
        .order_by("name", "pk")
    )


def case_search(*, user: User, q: str) -> QuerySet[Case]:
    """Cases `user` may see whose number or subject contains `q`, newest first."""
    return case_list(user=user).filter(Q(number__icontains=q) | Q(subject__icontains=q))


def saved_filter_list(*, user: User, list_name: str) -> QuerySet[SavedFilter]:
    """`user`'s saved views of one list, by name."""
    return SavedFilter.objects.filter(user=user, list=list_name).order_by("name", "pk")
