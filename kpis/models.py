"""KPI inputs that no other app records (CSAT survey answers) and the weekly digest's idempotency rows."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class CsatResponse(models.Model):
    """One answer to the quarterly regional support satisfaction survey.

    The survey is for the people Order Management serves: sales reps and their managers. Each answers once per
    quarter (unique constraint); imported answers may be anonymous (`respondent` empty), and those are not limited.
    """

    class Rating(models.TextChoices):
        EXCELLENT = "excellent", "Excellent"
        GOOD = "good", "Good"
        NEUTRAL = "neutral", "Neutral"
        POOR = "poor", "Poor"
        VERY_POOR = "very_poor", "Very poor"

    # The handbook counts Excellent, Good and Neutral as satisfied.
    POSITIVE = (Rating.EXCELLENT, Rating.GOOD, Rating.NEUTRAL)

    region = models.ForeignKey("ordermgmt.Region", on_delete=models.PROTECT, related_name="+")
    quarter = models.CharField(max_length=7, help_text='The quarter asked about, e.g. "2026-Q3".')
    rating = models.CharField(max_length=10, choices=Rating.choices)
    comment = models.TextField(blank=True, max_length=5000)
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["respondent", "quarter"],
                condition=Q(respondent__isnull=False),
                name="csat_one_answer_per_person_quarter",
            ),
            models.CheckConstraint(condition=Q(quarter__regex=r"^\d{4}-Q[1-4]$"), name="csat_quarter_format"),
        ]
        indexes = [models.Index(fields=["quarter", "region"], name="csat_quarter_region_idx")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.quarter}: {self.rating}"


class CsatInvitation(models.Model):
    """The survey invitation of one quarter ("2026-Q3", the quarter rated): one row per quarter makes the beat task
    that sends it at the next quarter's start idempotent."""

    quarter = models.CharField(max_length=7, unique=True)
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"CSAT invitation {self.quarter}"


class KpiDigest(models.Model):
    """The weekly KPI digest for one ISO week ("2026-W48"): one row per week makes the beat task idempotent."""

    week = models.CharField(max_length=8, unique=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.JSONField(default=list, blank=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-week"]

    def __str__(self) -> str:
        return f"KPI digest {self.week}"
