"""Documents: a rep replaces or removes one while the opportunity is editable; removal is recorded and never
destructive (the row and the file stay for the audit trail); the booking checklist follows what is attached."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from approvals import services as approval_services
from approvals.requirements import Deal, unmet
from ordermgmt import services
from ordermgmt.exceptions import Conflict, PermissionDeniedError
from ordermgmt.models import Document, Opportunity, OpportunityEvent
from tests.ordermgmt.factories import PDF_BYTES, ready_opportunity

pytestmark = pytest.mark.django_db


def pdf(name: str = "order-form-v2.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def test_remove_keeps_the_file_and_records_it_and_the_checklist_follows(rep):
    opp = ready_opportunity(owner=rep)
    form = opp.documents.get(kind=Document.Kind.SIGNED_ORDER_FORM)
    removed = services.document_remove(opportunity_id=opp.pk, actor=rep, document_id=form.pk)

    assert not opp.documents.filter(pk=form.pk).exists()  # off the opportunity
    kept = Document.all_objects.get(pk=form.pk)  # but kept, with its file, for the audit trail
    assert (kept.removed_by, kept.file.storage.exists(kept.file.name)) == (rep, True)
    assert removed.removed_at is not None
    event = OpportunityEvent.objects.get(opportunity=opp, action="document_removed")
    assert event.changes == {"documents": [f"Signed order form: {form.original_name}", None]}
    fresh = Opportunity.objects.get(pk=opp.pk)
    assert "signed_order_form" in {r.code for r in unmet(Deal.of(fresh))}


def test_replace_uploads_a_new_file_of_the_same_kind(rep):
    opp = ready_opportunity(owner=rep)
    old = opp.documents.get(kind=Document.Kind.SIGNED_ORDER_FORM)
    new = services.document_replace(opportunity_id=opp.pk, actor=rep, document_id=old.pk, upload=pdf())

    assert (new.kind, new.replaces, new.original_name) == (old.kind, old, "order-form-v2.pdf")
    assert list(opp.documents.filter(kind=old.kind)) == [new]
    assert Document.all_objects.get(pk=old.pk).removed_at is not None
    assert not unmet(Deal.of(Opportunity.objects.get(pk=opp.pk)))


def test_documents_of_a_locked_or_someone_elses_opportunity_stay(rep, other_rep):
    opp = ready_opportunity(owner=rep)
    doc = opp.documents.first()
    with pytest.raises(PermissionDeniedError):
        services.document_remove(opportunity_id=opp.pk, actor=other_rep, document_id=doc.pk)
    approval_services.approval_submit(opportunity_id=opp.pk, actor=rep)
    with pytest.raises(Conflict):
        services.document_remove(opportunity_id=opp.pk, actor=rep, document_id=doc.pk)
    with pytest.raises(Conflict):
        services.document_replace(opportunity_id=opp.pk, actor=rep, document_id=doc.pk, upload=pdf())
    assert opp.documents.count() == Document.all_objects.filter(opportunity=opp).count()


def test_remove_and_replace_through_the_api_and_the_page(as_user, rep, client):
    opp = ready_opportunity(owner=rep)
    first = opp.documents.get()
    api = as_user(rep)
    response = api.post(
        f"/api/opportunities/{opp.pk}/documents/{first.pk}/replace/", {"file": pdf()}, format="multipart"
    )
    assert response.status_code == 201
    assert response.json()["original_name"] == "order-form-v2.pdf"
    assert api.post(f"/api/opportunities/{opp.pk}/documents/{first.pk}/remove/").status_code == 400  # already gone
    listed = api.get(f"/api/opportunities/{opp.pk}/documents/").json()
    assert [d["id"] for d in listed] == [response.json()["id"]]
    second = opp.documents.get()

    client.force_login(rep)
    page = client.get(reverse("approvals:opportunity_edit", args=[opp.pk])).content.decode()
    assert reverse("approvals:document_remove", args=[opp.pk, second.pk]) in page
    client.post(reverse("approvals:document_remove", args=[opp.pk, second.pk]))
    assert Document.all_objects.get(pk=second.pk).removed_by == rep
