"""Contacts at customers."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from ..exceptions import PermissionDeniedError
from ..models import (
    Account,
    Contact,
    Opportunity,
    User,
)
from .events import _apply, opportunity_event_record

logger = logging.getLogger(__name__)


@transaction.atomic
def account_create(*, actor: User | None, data: dict[str, Any]) -> Account:
    """Create a customer (name, region, country, billing address), validated as the model says (country ISO 3166
    alpha-2). Accounts are reference data: the audit trail (pghistory) keeps who changed what."""
    account = Account(**{k: v for k, v in data.items() if k in ACCOUNT_FIELDS})
    account.full_clean()
    account.save()
    return account


@transaction.atomic
def account_update(*, actor: User | None, account_id: int, data: dict[str, Any]) -> Account:
    """Change a customer's fields with a row lock; returns it unchanged (no write) when nothing differs."""
    account = Account.objects.select_for_update(no_key=True).get(pk=account_id)
    changes = _apply(account, data, ACCOUNT_FIELDS)
    if changes:
        account.full_clean()
        account.save(update_fields=[*changes, "updated_at"])
    return account


ACCOUNT_FIELDS = ("name", "region", "country", "billing_address")


@transaction.atomic
def contact_create(*, actor: User, data: dict[str, Any]) -> Contact:
    contact = Contact(**data)
    contact.full_clean()
    contact.save()
    return contact


def _may_change_contact_email(actor: User, contact: Contact) -> bool:
    """Deal Desk, managers, and the owner of an open opportunity on the contact's account."""
    if actor.is_manager or actor.role == User.Role.DEAL_DESK:
        return True
    return (
        Opportunity.objects.filter(account_id=contact.account_id, owner=actor)
        .exclude(approval_status=Opportunity.ApprovalStatus.CLOSED_WON)
        .exclude(stage__in=(Opportunity.Stage.CLOSED_LOST, Opportunity.Stage.DUPLICATE))
        .exists()
    )


@transaction.atomic
def contact_update(*, actor: User, contact_id: int, data: dict[str, Any]) -> Contact:
    """Change a contact's name or email. Its email becomes the Sold To address of license delivery, so changing it
    is for the owner of an open opportunity on the account, Deal Desk and managers (403 otherwise), and every open
    opportunity whose primary quote names the contact gets a history line with the old and new address."""
    contact = Contact.objects.select_for_update().get(pk=contact_id)
    if "email" in data and data["email"] != contact.email and not _may_change_contact_email(actor, contact):
        raise PermissionDeniedError(
            "Only the owner of an open opportunity on this account, Deal Desk or a manager can change a contact's "
            "email: it is where the licenses go."
        )
    if "account" in data and data["account"].pk != contact.account_id:
        raise ValidationError({"account": ["A contact stays with its account: create a new contact instead."]})
    changes = _apply(contact, data, ("name", "email"))
    if not changes:
        return contact
    contact.full_clean()
    contact.save(update_fields=[*changes, "updated_at"])
    quoting = (
        Opportunity.objects.filter(quotes__is_primary=True)
        .filter(Q(quotes__sold_to_contact=contact) | Q(quotes__bill_to_contact=contact))
        .exclude(approval_status=Opportunity.ApprovalStatus.CLOSED_WON)
        .distinct()
    )
    for opp in quoting:
        opportunity_event_record(
            opportunity=opp,
            actor=actor,
            action="contact_changed",
            changes={f"contact {field}": change for field, change in changes.items()},
            comment=f"Contact {contact.name} changed.",
        )
    return contact
