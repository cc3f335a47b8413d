"""Side effects that survive a broker outage (the outbox), and in-product and email notifications."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..models import (
    Notification,
    Opportunity,
    OutboxMessage,
    User,
)

logger = logging.getLogger(__name__)

MENTION_RE = re.compile(r"(?<![\w@])@([\w.+-]+)")


def mentioned_usernames(body: str) -> list[str]:
    """The distinct @usernames in a text, in order of appearance (trailing punctuation dropped): the mention rule
    of every conversation (case comments, opportunity threads)."""
    seen: list[str] = []
    for raw in MENTION_RE.findall(body):
        name = raw.rstrip(".-+")
        if name and name not in seen:
            seen.append(name)
    return seen


def outbox_task_id(message_id: int) -> str:
    """The Celery task id of an outbox message: every publish of the message carries it, so a consumer can tell a
    redelivery (`self.request.id`)."""
    return f"outbox-{message_id}"


def outbox_enqueue(*, task: str, kwargs: dict[str, Any]) -> OutboxMessage:
    """Record a task to publish and try to publish it once the surrounding transaction commits.

    If the broker is down the row stays pending and `outbox_drain` publishes it later: nothing is lost. A message
    may be published more than once (a crash between publish and mark, a drain racing the after-commit publish), so
    every task published this way is idempotent: it takes effect once whatever the number of deliveries.
    """
    message = OutboxMessage.objects.create(task=task, kwargs=kwargs)
    transaction.on_commit(partial(outbox_publish, message_id=message.pk, task=task, kwargs=kwargs))
    return message


def outbox_publish(*, message_id: int, task: str | None = None, kwargs: dict[str, Any] | None = None) -> bool:
    """Publish one pending message, then mark it sent: marked only once the broker has accepted it.

    `task` and `kwargs`: the message's own, when the caller has them (the after-commit publish of
    `outbox_enqueue`), saving the read of the row; the sweeper reads them from the row.
    """
    from ordermgmt.celery import app

    if task is None:
        row = OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).values_list("task", "kwargs").first()
        if row is None:
            return False  # already sent
        task, kwargs = row
    try:
        app.send_task(task, kwargs=kwargs, task_id=outbox_task_id(message_id), retry=False)
    except Exception as exc:  # the broker is down or refused: the row stays pending for the sweeper
        logger.warning("outbox: could not publish %s (%s); will retry", task, exc)
        OutboxMessage.objects.filter(pk=message_id).update(attempts=F("attempts") + 1, last_error=str(exc)[:2000])
        return False
    # A crash here leaves the row pending: the sweeper publishes it again, and the consumer takes effect once.
    outbox_mark_sent(message_id)
    return True


def outbox_mark_sent(message_id: int) -> None:
    OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1
    )


def outbox_drain(*, older_than_seconds: int = 5, limit: int = 500) -> int:
    """Publish pending outbox messages (oldest first); returns how many went out."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        OutboxMessage.objects.filter(sent_at__isnull=True, created_at__lte=cutoff)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for message_id in ids if outbox_publish(message_id=message_id))


def notification_send(
    *, recipient: User, verb: str, message: str, opportunity: Opportunity | None = None, url: str = ""
) -> Notification:
    """Create an in-product notification and queue its email (sent after commit, through the outbox), unless the
    recipient muted email for this kind."""
    notification = Notification.objects.create(
        recipient=recipient, verb=verb, message=message, opportunity=opportunity, url=url
    )
    if recipient.email and verb not in (recipient.muted_email_kinds or ()):
        outbox_enqueue(task="ordermgmt.tasks.notification_email_send", kwargs={"notification_id": notification.pk})
    return notification


def notification_mark_read(*, user: User, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications (all, or the given ones) read; returns how many changed."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())


def absolute_url(path: str) -> str:
    """`path` on the site's public address (SITE_URL), so that a link opens from a mail client."""
    if path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def notification_email_send(*, notification_id: int) -> bool:
    """Send a notification's email once, however often the task is delivered: the row's lock serialises duplicate
    deliveries and `emailed_at` tells a later one it was sent. A crash between the send and the commit sends again,
    with the same Message-ID and idempotency key, which mail relays and clients collapse into one email."""
    from django.core.mail import EmailMessage

    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or not notification.recipient.email or notification.emailed_at is not None:
            return False
        key = f"notification-{notification.pk}"
        EmailMessage(
            subject=f"[Order Management] {notification.message[:80]}",
            body=notification.message + (f"\n\n{absolute_url(notification.url)}" if notification.url else ""),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.recipient.email],
            headers={"Message-ID": f"<{key}@{_mail_domain()}>", "X-Idempotency-Key": key},
        ).send()
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True


def _mail_domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
