"""What the approvals pages share: the roles that open them, and the opportunity lookup that answers 404."""

from __future__ import annotations

from django.http import Http404

from ordermgmt.models import Opportunity, User

from .. import selectors

Role = User.Role
QUEUE_ROLES = (Role.SPECIALIST, Role.MANAGER)
REP_ROLES = (Role.SALES_REP, Role.MANAGER)
QUEUE_PAGE_SIZE = 100


def visible_opportunity(user, pk) -> Opportunity:
    try:
        return selectors.opportunity_get(user=user, pk=pk)
    except Opportunity.DoesNotExist as exc:
        raise Http404("No such opportunity, or you may not see it.") from exc


def checklist_context(results: list) -> dict:
    return {"checklist": results, "unmet": [r for r in results if not r.met]}
