"""WRITES of the search app: a user's saved list views."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from ordermgmt.models import User

from .models import SavedFilter

MAX_PER_LIST = 20


@transaction.atomic
def saved_filter_save(*, user: User, list_name: str, name: str, query: str) -> SavedFilter:
    """Save `query` as `user`'s view `name` of the list `list_name`; saving a name again replaces its query.

    At most 20 per user and list (the user's rows are locked while counting, so two saves cannot pass 20 together)."""
    if list_name not in SavedFilter.List.values:
        raise ValidationError({"list": ["Unknown list."]})
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["Give the view a name."]})
    existing = SavedFilter.objects.select_for_update().filter(user=user, list=list_name)
    if not existing.filter(name=name).exists() and existing.count() >= MAX_PER_LIST:
        raise ValidationError({"name": [f"At most {MAX_PER_LIST} saved views per list; delete one first."]})
    saved, _ = SavedFilter.objects.update_or_create(user=user, list=list_name, name=name, defaults={"query": query})
    return saved


@transaction.atomic
def saved_filter_delete(*, user: User, saved_filter_id: int) -> None:
    """Delete one of `user`'s saved views; somebody else's (or a missing one) is a no-op."""
    SavedFilter.objects.filter(user=user, pk=saved_filter_id).delete()
