"""Writes to the shared sales records. Every function owns its transaction and records the history."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .exceptions import Conflict, NotVisibleError, PermissionDeniedError
from .models import ApiToken, Contact, Document, Notification, Opportunity, OpportunityEvent, OutboxMessage, Quote, User

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


# --- outbox: side effects that survive a broker outage -------------------------------------------------------


def outbox_enqueue(*, task: str, kwargs: dict[str, Any]) -> OutboxMessage:
    """Record a task to publish and try to publish it once the surrounding transaction commits.

    If the broker is down the row stays pending and `outbox_drain` publishes it later: nothing is lost.
    Tasks published this way must be idempotent (a drain racing a publish may send twice).
    """
    message = OutboxMessage.objects.create(task=task, kwargs=kwargs)
    transaction.on_commit(partial(outbox_publish, message_id=message.pk, task=task, kwargs=kwargs))
    return message


def outbox_publish(*, message_id: int, task: str | None = None, kwargs: dict[str, Any] | None = None) -> bool:
    """Claim one pending message, send it to the broker, and release the claim if the broker refuses.

    `task` and `kwargs`: the message's own, when the caller has them (the after-commit publish of
    `outbox_enqueue`), saving the read of the row; the sweeper reads them from the row.
    """
    from ordermgmt.celery import app

    now = timezone.now()
    claimed = OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).update(
        sent_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    if task is None:
        message = OutboxMessage.objects.get(pk=message_id)
        task, kwargs = message.task, message.kwargs
    try:
        app.send_task(task, kwargs=kwargs, retry=False)
    except Exception as exc:  # the broker is down or refused: keep the row pending for the sweeper
        logger.warning("outbox: could not publish %s (%s); will retry", task, exc)
        OutboxMessage.objects.filter(pk=message_id).update(sent_at=None, last_error=str(exc)[:2000])
        return False
    return True


def outbox_drain(*, older_than_seconds: int = 5, limit: int = 500) -> int:
    """Publish pending outbox messages (oldest first); returns how many went out."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        OutboxMessage.objects.filter(sent_at__isnull=True, created_at__lte=cutoff)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for message_id in ids if outbox_publish(message_id=message_id))


# --- notifications -----------------------------------------------------------------------------------------------


def notification_send(
    *, recipient: User, verb: str, message: str, opportunity: Opportunity | None = None, url: str = ""
) -> Notification:
    """Create an in-product notification and queue its email (sent after commit, through the outbox)."""
    notification = Notification.objects.create(
        recipient=recipient, verb=verb, message=message, opportunity=opportunity, url=url
    )
    if recipient.email:
        outbox_enqueue(task="ordermgmt.tasks.notification_email_send", kwargs={"notification_id": notification.pk})
    return notification


def notification_mark_read(*, user: User, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications (all, or the given ones) read; returns how many changed."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())


def notification_email_send(*, notification_id: int) -> bool:
    """Send a notification's email. Idempotent enough: a missing notification is ignored."""
    from django.core.mail import send_mail

    notification = Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    if notification is None or not notification.recipient.email:
        return False
    send_mail(
        subject=f"[Order Management] {notification.message[:80]}",
        message=notification.message + (f"\n\n{notification.url}" if notification.url else ""),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[notification.recipient.email],
    )
    return True


# --- history ---------------------------------------------------------------------------------------------------------


def opportunity_event_record(
    *,
    opportunity: Opportunity,
    actor: User | None,
    action: str,
    changes: dict[str, Any] | None = None,
    comment: str = "",
    on_behalf_of: User | None = None,
) -> OpportunityEvent:
    """Append one line to the opportunity's history (inside the caller's transaction)."""
    return OpportunityEvent.objects.create(
        opportunity=opportunity,
        actor=actor,
        action=action,
        changes=changes or {},
        comment=comment,
        on_behalf_of=on_behalf_of,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def _full_clean_changed(instance, changed) -> None:
    """`full_clean()` of what an edit touched: the changed fields, and every check constraint over one of them.

    The rest was read under the row lock and already satisfies the database's own constraints; checking it again
    costs a query per foreign key and a savepoint plus a query per check constraint (17 of a PATCH's 27 queries).
    """
    model = type(instance)
    checked = set(changed)
    for constraint in model._meta.constraints:
        condition = getattr(constraint, "condition", None)
        fields = set(getattr(constraint, "fields", ()))
        if condition is not None:
            fields |= condition.referenced_base_fields
        if fields & checked:
            checked |= fields
    instance.full_clean(exclude={field.name for field in model._meta.concrete_fields} - checked)


def _apply(instance, data: dict[str, Any], fields) -> dict[str, list]:
    """Set the given fields on `instance`; return {field: [old, new]} for the ones that changed."""
    changes = {}
    for name in fields:
        if name not in data:
            continue
        old, new = getattr(instance, name), data[name]
        if old != new:
            changes[name] = [_jsonable(old), _jsonable(new)]
            setattr(instance, name, new)
    return changes


# --- opportunities ---------------------------------------------------------------------------------------------------

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


def _save_quote(*, opp: Opportunity, data: dict[str, Any] | None) -> dict[str, list]:
    if data is None:
        return {}
    quote = Quote.objects.filter(opportunity=opp, is_primary=True).first()
    if quote is None:
        quote = Quote(opportunity=opp, is_primary=True)
    changes = _apply(quote, data, QUOTE_FIELDS)
    for contact_field in ("sold_to_contact", "bill_to_contact"):
        contact = getattr(quote, contact_field)
        if contact is not None and contact.account_id != opp.account_id:
            raise ValidationError(
                {"primary_quote": {contact_field: ["The contact must belong to the opportunity's account."]}}
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
    _save_quote(opp=opp, data=quote_data)
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
    changes = {**changed, **_save_quote(opp=opp, data=quote_data)}
    if changes:
        _full_clean_changed(opp, changed)
        if {"account", "subscription"} & set(changed):
            _check_links(opp)
        opp.version += 1
        opp.save(update_fields=[*changed, "version", "updated_at"])
        opportunity_event_record(opportunity=opp, actor=actor, action="updated", changes=changes)
    return opp


def opportunity_fields_set(
    *, opportunity: Opportunity, values: dict[str, Any], actor: User | None, action: str, comment: str = ""
) -> dict[str, list]:
    """Write fields of an opportunity on behalf of a process another app owns (a reconciliation fix or its undo):
    the one path for such writes. The caller holds the row lock and the transaction.

    Bumps the version and appends one history line with each changed field's old and new value; returns those
    changes ({field: [old, new]}; a foreign key by its `<name>_id`). Nothing changed: no write, no line.
    """
    changes = {}
    for field, value in values.items():
        attname = Opportunity._meta.get_field(field).attname
        old = getattr(opportunity, attname)
        if old != value:
            changes[field] = [_jsonable(old), _jsonable(value)]
            setattr(opportunity, attname, value)
    if changes:
        opportunity.version += 1
        opportunity.save(
            update_fields=[*(Opportunity._meta.get_field(f).attname for f in changes), "version", "updated_at"]
        )
        opportunity_event_record(opportunity=opportunity, actor=actor, action=action, changes=changes, comment=comment)
    return changes


def opportunity_record_create(
    *, values: dict[str, Any], actor: User | None, action: str, recorded: tuple[str, ...] = (), comment: str = ""
) -> Opportunity:
    """Create an opportunity on behalf of a process another app owns (a reconciliation's missing renewal): the one
    path for such creations. The caller holds the transaction.

    Appends one history line with the `recorded` fields' values ({field: [None, value]}).
    """
    opportunity = Opportunity.objects.create(**values)
    changes = {field: [None, _jsonable(values[field])] for field in recorded}
    opportunity_event_record(opportunity=opportunity, actor=actor, action=action, changes=changes, comment=comment)
    return opportunity


# --- documents -------------------------------------------------------------------------------------------------------

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


# --- people ----------------------------------------------------------------------------------------------------------


@transaction.atomic
def user_upsert(
    *, username: str, role: str, region_code: str | None, password: str, email: str = "", superuser: bool = False
) -> User:
    """Create the user, or update their role, region, email and password (`manage.py add_user`). A superuser stays
    one; `superuser=True` also gives Django admin access."""
    if role in User.REGIONAL_ROLES and not region_code:
        raise ValidationError({"region": [f"The {role} role needs a region."]})
    user = User.objects.select_for_update().filter(username=username).first() or User(username=username)
    user.role = role
    user.region_id = region_code or None
    user.email = email or user.email
    user.is_staff = user.is_superuser = superuser or user.is_superuser
    user.set_password(password)
    user.save()
    user.forget_region_codes()
    return user


# --- API tokens ------------------------------------------------------------------------------------------------------


def api_token_issue(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new API token for `user`: its row and the plain token, which is shown once and never stored. An
    integration user's token never expires (rotate it instead); everyone else's after API_TOKEN_TTL_DAYS."""
    ttl = None if user.role == User.Role.INTEGRATION else timedelta(days=settings.API_TOKEN_TTL_DAYS)
    return ApiToken.objects.create(user=user, expiry=ttl, name=name.strip()[:100])


def _owned_token(*, actor: User, token_id: int) -> ApiToken:
    """The token, locked, if `actor` owns it or is a manager; NotVisibleError (404) otherwise."""
    token = ApiToken.objects.select_for_update().select_related("user").filter(pk=token_id).first()
    if token is None or not (token.user_id == actor.pk or actor.is_manager):
        raise NotVisibleError()
    return token


@transaction.atomic
def api_token_revoke(*, actor: User, token_id: int) -> ApiToken:
    """Revoke a token (its owner or a manager): requests with it answer 401 from now on."""
    token = _owned_token(actor=actor, token_id=token_id)
    token.delete()
    logger.info("api token %s of %s revoked by %s", token.token_key, token.user, actor)
    return token


@transaction.atomic
def api_token_rotate(*, actor: User, token_id: int) -> tuple[ApiToken, str]:
    """Replace a token by a new one with the same name and expiry rule; the old one stops working at once."""
    old = _owned_token(actor=actor, token_id=token_id)
    old.delete()
    return api_token_issue(user=old.user, name=old.name)
