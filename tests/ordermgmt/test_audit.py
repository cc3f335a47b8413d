"""The database-level audit trail (django-pghistory): every write, bulk ones too, with the request's user."""

import pytest
from django.db import InternalError, transaction

from ordermgmt.models import Opportunity
from tests.ordermgmt.factories import OpportunityFactory

pytestmark = pytest.mark.django_db


def test_api_change_is_audited_with_actor_and_diff(client, rep):
    opp = OpportunityFactory(owner=rep, name="Before")
    client.force_login(rep)
    response = client.patch(f"/api/opportunities/{opp.pk}/", {"name": "After"}, content_type="application/json")
    assert response.status_code == 200
    audit = opp.audit_events.order_by("pgh_id").last()
    assert audit.name == "After"
    assert audit.pgh_label == "update"
    assert audit.pgh_context.metadata["user"] == rep.pk
    assert audit.pgh_context.metadata["url"] == f"/api/opportunities/{opp.pk}/"


def test_bulk_update_is_audited_too():
    opps = OpportunityFactory.create_batch(3)
    Opportunity.objects.filter(pk__in=[o.pk for o in opps]).update(competitors="Bulk rewrite")
    for opp in opps:
        assert opp.audit_events.filter(pgh_label="update", competitors="Bulk rewrite").count() == 1


def test_audit_rows_cannot_be_changed_or_deleted():
    opp = OpportunityFactory()
    audit = opp.audit_events.first()
    with pytest.raises(InternalError), transaction.atomic():
        type(audit).objects.filter(pk=audit.pk).update(name="forged")
    with pytest.raises(InternalError), transaction.atomic():
        type(audit).objects.filter(pk=audit.pk).delete()
    assert type(audit).objects.filter(pk=audit.pk, name=opp.name).exists()
