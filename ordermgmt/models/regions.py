"""The regional teams: support hours, time zone, holidays, cut-off, and closure days."""

from __future__ import annotations

import zoneinfo

import pghistory
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"{value!r} is not a known IANA time zone.") from exc


@pghistory.track(model_name="RegionAudit", obj_field=pghistory.ObjForeignKey(related_name="audit_events"))
class Region(models.Model):
    """A regional Order Management team: its time zone, support hours, holiday calendar and cut-off."""

    class Code(models.TextChoices):
        AMER = "AMER", "AMER / LATAM"
        EMEA = "EMEA", "EMEA"
        APAC = "APAC", "APAC"

    code = models.CharField(max_length=4, primary_key=True, choices=Code.choices)
    name = models.CharField(max_length=60)
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    support_start = models.TimeField()
    support_end = models.TimeField()
    cutoff = models.TimeField(
        help_text="Submissions after this local time start their SLA clock the next business day."
    )
    holiday_country = models.CharField(max_length=2, help_text="ISO country code for the `holidays` package.")
    holiday_subdivision = models.CharField(max_length=10, blank=True)
    # Month and quarter end: on the month's last `period_end_days` business days support runs until this later
    # time (set by managers; 0 days = no extension).
    period_end_days = models.PositiveSmallIntegerField(
        default=0, help_text="How many of the month's last business days have extended hours."
    )
    period_end_support_end = models.TimeField(
        null=True, blank=True, help_text="Closing time on those days (after the usual closing time)."
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(support_start__lt=F("support_end")), name="region_support_hours_order"),
            models.CheckConstraint(
                condition=Q(cutoff__gte=F("support_start")) & Q(cutoff__lte=F("support_end")),
                name="region_cutoff_within_support_hours",
            ),
            models.CheckConstraint(
                condition=Q(period_end_support_end__isnull=True) | Q(period_end_support_end__gt=F("support_end")),
                name="region_period_end_hours_extend",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class RegionClosure(models.Model):
    """An extra non-business day for a region (company day off), on top of its public holidays."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField()
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["region", "date"]
        constraints = [models.UniqueConstraint(fields=["region", "date"], name="region_closure_unique_day")]

    def __str__(self) -> str:
        return f"{self.region_id} closed {self.date}: {self.reason}"
