"""Documents attached to an opportunity: size limit, content-sniffed type, random storage names."""

from __future__ import annotations

import logging

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from ..exceptions import Conflict, PermissionDeniedError
from ..models import (
    Document,
    Opportunity,
    User,
)
from .events import opportunity_event_record
from .opportunities import can_edit_opportunity

logger = logging.getLogger(__name__)


# Sniffed MIME type -> what we accept. Text-like files (emails) have no magic number and are checked by decoding.
ALLOWED_DOCUMENT_TYPES = {
    "application/pdf",
    "image/png",
    "image/jpeg",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
TEXT_EXTENSIONS = {".eml", ".txt", ".msg"}
# A zip-based office document whose content would expand past this is refused (zip bomb).
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024


def _sniff(upload: UploadedFile) -> str:
    """The real content type of the upload, or a ValidationError naming the `file` field."""
    import os
    import zipfile

    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    name = os.path.basename(upload.name or "")
    ext = os.path.splitext(name)[1].lower()
    if kind is None:
        if ext in TEXT_EXTENSIONS:
            try:
                head.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ValidationError({"file": ["This text file is not valid UTF-8."]}) from exc
            return "text/plain"
        raise ValidationError(
            {"file": ["Unsupported file type: upload a PDF, image, Word or Excel file, or an email."]}
        )
    mime = kind.mime
    if mime == "application/zip" and ext in (".docx", ".xlsx"):
        mime = ALLOWED_DOCUMENT_TYPES_BY_EXT[ext]
    if mime not in ALLOWED_DOCUMENT_TYPES:
        raise ValidationError({"file": [f"Unsupported file type {mime}: upload a PDF, image, Word or Excel file."]})
    if mime.startswith("application/vnd.openxmlformats"):
        try:
            with zipfile.ZipFile(upload) as archive:
                if sum(info.file_size for info in archive.infolist()) > MAX_UNCOMPRESSED_BYTES:
                    raise ValidationError({"file": ["This document expands to more than 100 MB; it was refused."]})
        except zipfile.BadZipFile as exc:
            raise ValidationError({"file": ["This document is damaged (not a valid Office file)."]}) from exc
        finally:
            upload.seek(0)
    return mime


ALLOWED_DOCUMENT_TYPES_BY_EXT = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _safe_name(name: str) -> str:
    import os
    import re

    base = os.path.basename((name or "").replace("\\", "/"))
    base = re.sub(r"[^\w.\- ]+", "_", base).strip(" .") or "document"
    return base[:200]


def upload_check(upload: UploadedFile) -> tuple[str, str]:
    """Size limit, emptiness and sniffed content type of an upload (documents, case attachments).

    Returns (safe display name, content type); raises ValidationError naming the `file` field.
    """
    if upload.size > settings.DOCUMENT_MAX_BYTES:
        raise ValidationError({"file": [f"The file is larger than {settings.DOCUMENT_MAX_BYTES // (1024 * 1024)} MB."]})
    if upload.size == 0:
        raise ValidationError({"file": ["The file is empty."]})
    return _safe_name(upload.name), _sniff(upload)


@transaction.atomic
def document_create(*, opportunity_id: int, actor: User, kind: str, upload: UploadedFile) -> Document:
    """Attach an uploaded file to an opportunity after checking its size and sniffed type."""
    opp = Opportunity.objects.select_for_update(no_key=True).get(pk=opportunity_id)
    if not can_edit_opportunity(actor, opp):
        raise PermissionDeniedError("You may not add documents to this opportunity.")
    if opp.is_locked:
        raise Conflict("This opportunity is locked in approval: recall it before adding documents.")
    if kind not in Document.Kind.values:
        raise ValidationError({"kind": [f"Unknown document kind {kind!r}."]})
    original_name, content_type = upload_check(upload)
    document = Document(
        opportunity=opp,
        kind=kind,
        original_name=original_name,
        content_type=content_type,
        size=upload.size,
        uploaded_by=actor,
    )
    document.file.save("upload", upload, save=False)
    document.save()
    opp.version += 1
    opp.save(update_fields=["version", "updated_at"])
    opportunity_event_record(
        opportunity=opp,
        actor=actor,
        action="document_added",
        changes={"documents": [None, f"{document.get_kind_display()}: {document.original_name}"]},
    )
    return document


def _editable_document(opportunity_id: int, actor: User, document_id: int, verb: str) -> tuple[Opportunity, Document]:
    opp = Opportunity.objects.select_for_update(no_key=True).get(pk=opportunity_id)
    if not can_edit_opportunity(actor, opp):
        raise PermissionDeniedError(f"You may not {verb} this opportunity's documents.")
    if opp.is_locked:
        raise Conflict(f"This opportunity is locked in approval: recall it before you {verb} a document.")
    document = Document.objects.select_for_update().filter(opportunity=opp, pk=document_id).first()
    if document is None:
        raise ValidationError({"document": ["No such document on this opportunity."]})
    return opp, document


def _label(document: Document) -> str:
    return f"{document.get_kind_display()}: {document.original_name}"


@transaction.atomic
def document_remove(*, opportunity_id: int, actor: User, document_id: int) -> Document:
    """Take a document off an editable opportunity. Never destructive: the row and its file are kept for the audit
    trail, and the history says who removed it."""
    opp, document = _editable_document(opportunity_id, actor, document_id, "remove")
    document.removed_at, document.removed_by = timezone.now(), actor
    document.save(update_fields=["removed_at", "removed_by"])
    opp.version += 1
    opp.save(update_fields=["version", "updated_at"])
    opportunity_event_record(
        opportunity=opp, actor=actor, action="document_removed", changes={"documents": [_label(document), None]}
    )
    return document


@transaction.atomic
def document_replace(*, opportunity_id: int, actor: User, document_id: int, upload: UploadedFile) -> Document:
    """Replace a document with a new file of the same kind (the old one is kept, removed, for the audit trail)."""
    opp, old = _editable_document(opportunity_id, actor, document_id, "replace")
    original_name, content_type = upload_check(upload)
    document = Document(
        opportunity=opp,
        kind=old.kind,
        original_name=original_name,
        content_type=content_type,
        size=upload.size,
        uploaded_by=actor,
        replaces=old,
    )
    document.file.save("upload", upload, save=False)
    document.save()
    old.removed_at, old.removed_by = timezone.now(), actor
    old.save(update_fields=["removed_at", "removed_by"])
    opp.version += 1
    opp.save(update_fields=["version", "updated_at"])
    opportunity_event_record(
        opportunity=opp,
        actor=actor,
        action="document_replaced",
        changes={"documents": [_label(old), _label(document)]},
    )
    return document
