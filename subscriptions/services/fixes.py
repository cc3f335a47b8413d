"""What a discrepancy's fix changes on the opportunity records, and how an applied fix is undone.

Every write to an Opportunity goes through ordermgmt's services, which bump its version and append the history
line: `opportunity_fields_set` for a field, `opportunity_record_create` for a missing renewal. The caller
(`discrepancies`) holds the transaction; the rows are locked here.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from approvals.services import BOOKED_FIELDS, booking_lock_check
from ordermgmt.exceptions import Conflict
from ordermgmt.models import Opportunity, User
from ordermgmt.services import opportunity_fields_set, opportunity_record_create, opportunity_record_delete

from ..models import Discrepancy, Subscription


def _lock_opportunity(pk: int | None, discrepancy: Discrepancy) -> Opportunity:
    opp = Opportunity.objects.select_for_update(no_key=True).filter(pk=pk).first()
    if opp is None:
        raise Conflict(f"Discrepancy {discrepancy.pk}: its opportunity no longer exists; re-run the reconciliation.")
    if opp.approval_status in (
        Opportunity.ApprovalStatus.SUBMITTED,
        Opportunity.ApprovalStatus.NEEDS_INFO,
        Opportunity.ApprovalStatus.OM_APPROVED,
    ):
        raise Conflict(f"Discrepancy {discrepancy.pk}: {opp} is in approval; fix it once the decision is made.")
    return opp


def _as_field_value(field: str, value: Any) -> Any:
    if value is None:
        return None
    if field == "start_date":
        return date.fromisoformat(value)
    return Decimal(str(value))


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else (str(value) if isinstance(value, Decimal) else value)


def _set_fields(
    opp: Opportunity, values: dict[str, Any], *, actor: User | None, action: str, discrepancy: Discrepancy
) -> dict[str, list]:
    return opportunity_fields_set(
        opportunity=opp,
        values=values,
        actor=actor,
        action=action,
        comment=f"Reconciliation: {discrepancy.get_kind_display()} (discrepancy {discrepancy.pk}).",
    )


def _create_renewal(discrepancy: Discrepancy, actor: User | None) -> dict[str, Any]:
    """The subscription's missing renewal opportunity, unless the subscription moved or has a renewal now."""
    fix = discrepancy.proposed_fix
    sub = (
        Subscription.objects.select_for_update(no_key=True)
        .select_related("account")
        .get(pk=discrepancy.subscription_id)
    )
    arr_basis, start = Decimal(fix["arr_basis"]), date.fromisoformat(fix["start_date"])
    if sub.carr != arr_basis or sub.term_end != start:
        raise Conflict(f"Discrepancy {discrepancy.pk}: the subscription changed since the run; re-run it.")
    if sub.opportunities.filter(type=Opportunity.Type.RENEWAL).exclude(stage=Opportunity.Stage.DUPLICATE).exists():
        raise Conflict(f"Discrepancy {discrepancy.pk}: {sub} has a renewal opportunity now.")
    owner = actor or _renewal_owner(sub)
    if owner is None:
        raise Conflict(f"Discrepancy {discrepancy.pk}: nobody owns {sub.account}'s deals; a specialist applies it.")
    opp = opportunity_record_create(
        values={
            "name": f"{sub.name} renewal"[:255],
            "account": sub.account,
            "owner": owner,
            "region_id": sub.account.region_id,
            "type": Opportunity.Type.RENEWAL,
            "stage": Opportunity.Stage.DISCOVERY,
            "amount": Decimal("0"),
            "net_arr": Decimal("0"),
            "arr_basis": arr_basis,
            "start_date": start,
            "subscription": sub,
            "closed_won_reason": "",
            "closed_won_details": "",
        },
        actor=actor,
        action="reconciliation_created",
        recorded=("arr_basis", "start_date"),
        comment=f"Missing renewal of {sub.name} (discrepancy {discrepancy.pk}).",
    )
    return {"created_opportunity": opp.pk, "version": opp.version}


def _renewal_owner(sub: Subscription) -> User | None:
    """Who owns a renewal the run creates by itself: the rep of the subscription's latest opportunity (a renewal
    marked duplicate, the deal that sold it), else of the customer's latest deal; None if the customer has none."""
    latest = ("-created_at", "-pk")
    for deals in (sub.opportunities.all(), Opportunity.objects.filter(account_id=sub.account_id)):
        owner_id = deals.order_by(*latest).values_list("owner_id", flat=True).first()
        if owner_id is not None:
            return User.objects.get(pk=owner_id)
    return None


def fix_apply(discrepancy: Discrepancy, actor: User | None) -> dict[str, Any]:
    """Apply the proposed fix; return what it changed (for undo). Refuses if the records moved since the run."""
    fix = discrepancy.proposed_fix
    action = fix.get("action")
    if action == "create_renewal":
        return _create_renewal(discrepancy, actor)
    opp = _lock_opportunity(discrepancy.opportunity_id, discrepancy)
    if action == "mark_duplicate":
        if opp.subscription_id != discrepancy.subscription_id or opp.stage == Opportunity.Stage.DUPLICATE:
            raise Conflict(f"Discrepancy {discrepancy.pk}: {opp} changed since the run; re-run it.")
        new = {"stage": Opportunity.Stage.DUPLICATE.value, "subscription": None}
    elif action == "set":
        field = fix["field"]
        if getattr(opp, field) != _as_field_value(field, discrepancy.actual.get(field)):
            raise Conflict(f"Discrepancy {discrepancy.pk}: {opp}'s {field} changed since the run; re-run it.")
        new = {field: _as_field_value(field, fix["value"])}
        if field in BOOKED_FIELDS:
            booking_lock_check(opp)  # a locked month's booking changes through a correction
    else:
        raise Conflict(f"Discrepancy {discrepancy.pk} has no automatic fix: resolve it by hand or accept it.")
    changes = _set_fields(opp, new, actor=actor, action="reconciliation_fixed", discrepancy=discrepancy)
    return {"opportunity": opp.pk, "fields": changes}


def fix_undo(discrepancy: Discrepancy, actor: User) -> None:
    """Restore what an applied fix changed, refusing if the records moved since."""
    applied = discrepancy.applied_changes
    if "created_opportunity" in applied:
        opp = _lock_opportunity(applied["created_opportunity"], discrepancy)
        if opp.version != applied["version"]:
            raise Conflict(f"Discrepancy {discrepancy.pk}: {opp} was edited after it was created; undo it by hand.")
        opportunity_record_delete(opportunity=opp)
        return
    opp = _lock_opportunity(applied["opportunity"], discrepancy)
    restore = {}
    for field, (old, new) in applied["fields"].items():
        attname = "subscription_id" if field == "subscription" else field
        if _jsonable(getattr(opp, attname)) != new:
            raise Conflict(f"Discrepancy {discrepancy.pk}: {opp}'s {field} changed since the fix; undo by hand.")
        restore[field] = old if field in ("stage", "subscription") else _as_field_value(field, old)
    _set_fields(opp, restore, actor=actor, action="reconciliation_undone", discrepancy=discrepancy)
