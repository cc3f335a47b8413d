"""In-product notifications and the outbox of tasks to publish."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .opportunities import Opportunity

# Every kind of notification (its `verb`), as a person chooses which ones also come by email.
NOTIFICATION_KINDS = [
    ("submitted", "A new submission in your queue"),
    ("resubmitted", "A fixed deal resubmitted to your queue"),
    ("escalated", "Escalations"),
    ("assigned", "Items assigned to you"),
    ("sla_at_risk", "SLA at risk (75% used)"),
    ("sla_breached", "SLA breached"),
    ("needs_info", "A reviewer's question about your deal"),
    ("info_provided", "The rep's answer to your question"),
    ("comment", "Messages on a deal's conversation"),
    ("mention", "@mentions"),
    ("billing_review", "Deals approved by Order Management, for Billing"),
    ("om_approved", "Your deal approved by Order Management"),
    ("om_rejected", "Your deal rejected by Order Management"),
    ("billing_rejected", "Your deal rejected by Billing"),
    ("booking_held", "Your deal approved, booking on its date (15-day rule)"),
    ("closed_won", "Your deal Closed Won"),
    ("correction", "Corrections of Closed Won deals"),
    ("quote_approval", "A rep asks for a quote's approval"),
    ("case_new", "New cases for your team"),
    ("case_assigned", "Cases assigned to you"),
    ("case_taken", "Your case taken by the team"),
    ("case_reply", "Replies on cases"),
    ("case_mention", "@mentions on cases"),
    ("csat_invitation", "The quarterly satisfaction survey"),
    ("license_tickets", "License delivery tickets"),
]


class Notification(models.Model):
    """An in-product notification (the badge); the same message also goes out by email."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    verb = models.CharField(max_length=40)
    message = models.TextField()
    opportunity = models.ForeignKey(Opportunity, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # When its email went out: a redelivered email task finds it set and sends nothing.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notif_recipient_idx"),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notif_unread_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.verb}"

    @property
    def kind_label(self) -> str:
        return kind_label(self.verb)


def kind_label(verb: str) -> str:
    """A notification kind as people read it ("Your deal Closed Won", not "closed_won")."""
    return dict(NOTIFICATION_KINDS).get(verb) or verb.replace("_", " ").capitalize()


class OutboxMessage(models.Model):
    """A Celery task to publish, written in the same transaction as the change that needs it.

    If the broker is down at commit time the row waits; `outbox_drain` publishes it when the broker is back,
    so notifications and jobs are never lost.
    """

    task = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["created_at"], condition=Q(sent_at__isnull=True), name="outbox_pending_idx")]

    def __str__(self) -> str:
        return f"{self.task} ({'sent' if self.sent_at else 'pending'})"
