"""Opportunities and their primary quote: create, edit, and the writes other apps' processes make."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ..exceptions import Conflict, PermissionDeniedError
from ..models import (
    Opportunity,
    Quote,
    User,
)
from .events import _apply, _full_clean_changed, _jsonable, opportunity_event_record

logger = logging.getLogger(__name__)


QUOTE_FIELDS = (
    "number",
    "sold_to_contact",
    "bill_to_contact",
    "amount",
    "start_date",
    "term_months",
    "payment_terms",
    "po_number",
    "po_amount",
    "approved",
)


EDITABLE_FIELDS = (
    "name",
    "account",
    "region",
    "type",
    "deployment",
    "route_to_market",
    "stage",
    "amount",
    "net_arr",
    "arr_basis",
    "start_date",
    "end_date",
    "close_date",
    "closed_won_reason",
    "closed_won_details",
    "competitors",
    "executed_agreement_type",
    "executed_agreement_link",
    "po_required",
    "subscription",
)


def can_edit_opportunity(user: User, opp: Opportunity) -> bool:
    """Owner reps edit their own; managers edit any. Nobody edits through this path while it is locked."""
    return user.is_manager or (user.is_rep and opp.owner_id == user.pk)


def _check_stage(stage: str | None) -> None:
    if stage in Opportunity.WORKFLOW_STAGES:
        raise ValidationError({"stage": [f"Stage {stage} is set by the approval workflow, not by editing."]})


def _check_links(opp: Opportunity) -> None:
    """Records an opportunity points at must be its account's: a rep cannot attach a deal to another customer's
    subscription."""
    if opp.subscription_id is not None and opp.subscription.account_id != opp.account_id:
        raise ValidationError({"subscription": ["The subscription must belong to the opportunity's account."]})


def can_approve_quotes(user: User | None) -> bool:
    """Deal Desk and managers approve quotes; a rep may only ask for it (and the system, with no actor, never)."""
    return user is not None and (user.is_manager or user.role == User.Role.DEAL_DESK)


# A change to these after approval sends the quote back for approval.
QUOTE_COMMERCIAL_FIELDS = ("amount", "start_date", "term_months", "payment_terms", "po_number", "po_amount")


def _save_quote(*, opp: Opportunity, data: dict[str, Any] | None, actor: User) -> dict[str, list]:
    if data is None:
        return {}
    quote = Quote.objects.filter(opportunity=opp, is_primary=True).first()
    if quote is None:
        quote = Quote(opportunity=opp, is_primary=True)
    data = dict(data)
    if "approved" in data and bool(data["approved"]) != quote.approved and not can_approve_quotes(actor):
        raise ValidationError(
            {"primary_quote.approved": ["Deal Desk or a manager approves a quote: request approval instead."]}
        )
    changes = _apply(quote, data, QUOTE_FIELDS)
    if quote.approved and set(changes) & set(QUOTE_COMMERCIAL_FIELDS) and not can_approve_quotes(actor):
        quote.approved = False  # the approved terms changed: Deal Desk approves again
        changes["approved"] = [True, False]
    for contact_field in ("sold_to_contact", "bill_to_contact"):
        contact = getattr(quote, contact_field)
        if contact is not None and contact.account_id != opp.account_id:
            raise ValidationError(
                {f"primary_quote.{contact_field}": ["The contact must belong to the opportunity's account."]}
            )
    if not quote.number:
        raise ValidationError({"primary_quote": {"number": ["A quote number is required."]}})
    if quote.pk is None:
        quote.full_clean(exclude=["opportunity"])
        quote.save()
    elif changes:
        _full_clean_changed(quote, changes)
        quote.save(update_fields=[*changes, "updated_at"])
    return {f"primary_quote.{k}": v for k, v in changes.items()}


@transaction.atomic
def opportunity_create(*, actor: User, data: dict[str, Any]) -> Opportunity:
    """Create an opportunity owned by `actor` (a rep, or a manager creating on their own behalf)."""
    if not (actor.is_rep or actor.is_manager):
        raise PermissionDeniedError("Only sales reps and managers create opportunities.")
    data = dict(data)
    quote_data = data.pop("primary_quote", None)
    _check_stage(data.get("stage"))
    if actor.is_rep:
        data["region"] = actor.region
    opp = Opportunity(owner=actor, **{k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    opp.full_clean(exclude=["owner"])
    _check_links(opp)
    opp.save()
    _save_quote(opp=opp, data=quote_data, actor=actor)
    opportunity_event_record(opportunity=opp, actor=actor, action="created", changes={"name": [None, opp.name]})
    return opp


@transaction.atomic
def opportunity_update(
    *, opportunity_id: int, actor: User, data: dict[str, Any], expected_version: int | None = None
) -> Opportunity:
    """Change an opportunity's fields (and its primary quote) with a row lock.

    Refuses (409) while the opportunity is locked in approval, or when `expected_version` is stale.
    """
    opp = Opportunity.objects.select_for_update(no_key=True).get(pk=opportunity_id)
    if not can_edit_opportunity(actor, opp):
        raise PermissionDeniedError("You may not edit this opportunity.")
    if opp.is_locked:
        raise Conflict(
            f"This opportunity is locked while {opp.get_approval_status_display().lower()}: "
            "recall it (or wait for the decision) before editing.",
            extra={"approval_status": opp.approval_status},
        )
    if expected_version is not None and expected_version != opp.version:
        raise Conflict(
            "This opportunity changed since you loaded it; reload to see the latest version.",
            extra={"version": opp.version},
        )
    data = dict(data)
    quote_data = data.pop("primary_quote", None)
    _check_stage(data.get("stage"))
    if actor.is_rep:
        data.pop("region", None)
    changed = _apply(opp, data, EDITABLE_FIELDS)
    changes = {**changed, **_save_quote(opp=opp, data=quote_data, actor=actor)}
    if changes:
        _full_clean_changed(opp, changed)
        if {"account", "subscription"} & set(changed):
            _check_links(opp)
        opp.version += 1
        opp.save(update_fields=[*changed, "version", "updated_at"])
        opportunity_event_record(opportunity=opp, actor=actor, action="updated", changes=changes)
    return opp


def opportunity_fields_set(
    *,
    opportunity: Opportunity,
    values: dict[str, Any],
    actor: User | None,
    action: str,
    comment: str = "",
    primary_quote: dict[str, Any] | None = None,
) -> dict[str, list]:
    """Write fields of an opportunity on behalf of a process another app owns (a reconciliation fix or its undo, an
    import): the one path for such writes. The caller holds the row lock and the transaction.

    `primary_quote` (optional) creates or changes the primary quote in the same write. Bumps the version and appends
    one history line with each changed field's old and new value; returns those changes ({field: [old, new]}; a
    foreign key by its `<name>_id`; quote fields as `primary_quote.<name>`). Nothing changed: no write, no line.
    """
    changes = {}
    for field, value in values.items():
        attname = Opportunity._meta.get_field(field).attname
        old = getattr(opportunity, attname)
        if old != value:
            changes[field] = [_jsonable(old), _jsonable(value)]
            setattr(opportunity, attname, value)
    quote_changes = _save_quote(opp=opportunity, data=primary_quote, actor=actor)
    if changes or quote_changes:
        opportunity.version += 1
        opportunity.save(
            update_fields=[*(Opportunity._meta.get_field(f).attname for f in changes), "version", "updated_at"]
        )
        changes.update(quote_changes)
        opportunity_event_record(opportunity=opportunity, actor=actor, action=action, changes=changes, comment=comment)
    return changes


def opportunity_record_create(
    *,
    values: dict[str, Any],
    actor: User | None,
    action: str,
    recorded: tuple[str, ...] = (),
    comment: str = "",
    primary_quote: dict[str, Any] | None = None,
) -> Opportunity:
    """Create an opportunity on behalf of a process another app owns (a reconciliation's missing renewal, an
    import): the one path for such creations. The caller holds the transaction.

    `primary_quote` (optional) creates its primary quote too. Appends one history line with the `recorded` fields'
    values ({field: [None, value]}) and the quote's.
    """
    opportunity = Opportunity.objects.create(**values)
    changes = {field: [None, _jsonable(values[field])] for field in recorded}
    changes.update(_save_quote(opp=opportunity, data=primary_quote, actor=actor))
    opportunity_event_record(opportunity=opportunity, actor=actor, action=action, changes=changes, comment=comment)
    return opportunity


def opportunity_record_delete(*, opportunity: Opportunity) -> None:
    """Delete an opportunity that a process another app owns created and now takes back (undoing a reconciliation's
    missing renewal before anyone edited it). The caller holds the row lock; the audit trail keeps the row."""
    if opportunity.approval_status != Opportunity.ApprovalStatus.DRAFT:
        raise Conflict(f"{opportunity} is in the approval workflow: it cannot be taken back.")
    opportunity.delete()


@transaction.atomic
def quote_approval_request(*, opportunity_id: int, actor: User) -> Quote:
    """The owner rep asks Deal Desk to approve the primary quote (Deal Desk is notified)."""
    from .messaging import notification_send

    opp = Opportunity.objects.select_for_update(no_key=True).get(pk=opportunity_id)
    if not can_edit_opportunity(actor, opp):
        raise PermissionDeniedError("Only the opportunity's owner asks for its quote's approval.")
    quote = Quote.objects.select_for_update().filter(opportunity=opp, is_primary=True).first()
    if quote is None:
        raise ValidationError({"primary_quote": ["Add the primary quote first."]})
    if quote.approved:
        raise Conflict("The quote is already approved.")
    quote.approval_requested_at = timezone.now()
    quote.save(update_fields=["approval_requested_at", "updated_at"])
    opportunity_event_record(opportunity=opp, actor=actor, action="quote_approval_requested", changes={})
    for person in User.objects.with_role(User.Role.DEAL_DESK):
        notification_send(
            recipient=person, verb="quote_approval", message=f"{actor} asks you to approve quote {quote.number}.",
            opportunity=opp, url=reverse("approvals:opportunity_detail", args=[opp.pk]),
        )  # fmt: skip
    return quote


@transaction.atomic
def quote_approve(*, opportunity_id: int, actor: User) -> Quote:
    """Deal Desk or a manager approves the primary quote (recorded in the history)."""
    if not can_approve_quotes(actor):
        raise PermissionDeniedError("Only Deal Desk and managers approve quotes.")
    opp = Opportunity.objects.select_for_update(no_key=True).get(pk=opportunity_id)
    if opp.is_locked:
        raise Conflict("This opportunity is locked in approval: its quote cannot change now.")
    quote = Quote.objects.select_for_update().filter(opportunity=opp, is_primary=True).first()
    if quote is None:
        raise ValidationError({"primary_quote": ["There is no primary quote to approve."]})
    if not quote.approved:
        quote.approved, quote.approval_requested_at = True, None
        quote.save(update_fields=["approved", "approval_requested_at", "updated_at"])
        opp.version += 1
        opp.save(update_fields=["version", "updated_at"])
        opportunity_event_record(
            opportunity=opp, actor=actor, action="quote_approved", changes={"primary_quote.approved": [False, True]}
        )
    return quote
