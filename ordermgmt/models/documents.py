"""Documents attached to an opportunity."""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models

from .opportunities import Opportunity


def document_upload_to(instance: Document, filename: str) -> str:
    # Never trust the client's file name for the path: only the opportunity and a random token.
    import uuid

    return f"documents/{instance.opportunity_id}/{uuid.uuid4().hex}"


class AttachedDocuments(models.Manager):
    """The documents still attached: a removed one is kept (file and row) for the audit trail, out of sight."""

    def get_queryset(self):
        return super().get_queryset().filter(removed_at__isnull=True)


@pghistory.track(model_name="DocumentAudit", obj_field=pghistory.ObjForeignKey(related_name="audit_events"))
class Document(models.Model):
    """An uploaded file attached to an opportunity (signed order form, PO, ...)."""

    class Kind(models.TextChoices):
        SIGNED_ORDER_FORM = "signed_order_form", "Signed order form"
        PURCHASE_ORDER = "purchase_order", "Purchase order"
        EULA_ACCEPTANCE = "eula_acceptance", "End user EULA acceptance"
        PRIVATE_OFFER_ACCEPTANCE = "private_offer_acceptance", "Private offer acceptance"
        NO_PO_EMAIL = "no_po_email", '"Accept invoice without PO" email'
        IBM_NOTIFICATION = "ibm_notification", "IBM notification"
        SOW = "sow", "Signed SOW"
        OTHER = "other", "Other"

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    file = models.FileField(upload_to=document_upload_to, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # Removal is never destructive: the row and the file stay, out of the opportunity's documents.
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="The document it replaced."
    )

    all_objects = models.Manager()  # removed ones too: the audit trail
    objects = AttachedDocuments()

    class Meta:
        ordering = ["uploaded_at", "pk"]
        default_manager_name = "objects"  # related access (opportunity.documents) sees the attached ones only
        base_manager_name = "all_objects"
        indexes = [models.Index(fields=["opportunity", "kind"], name="document_opp_kind_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"
