"""People and their roles, regions and cover."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import F, Q
from django.utils.functional import cached_property

from .regions import Region, validate_timezone


class UserQuerySet(models.QuerySet):
    def with_role(self, *roles: str) -> UserQuerySet:
        return self.filter(role__in=roles, is_active=True)

    def working_region(self, code: str, today=None) -> UserQuerySet:
        """People whose queue includes region `code` today: its members, standing cover and dated cover."""
        from django.utils import timezone

        today = today or timezone.now().date()
        dated = Q(dated_covers__region=code, dated_covers__starts_on__lte=today, dated_covers__ends_on__gte=today)
        return self.filter(Q(region_id=code) | Q(covered_regions=code) | dated).distinct()

    def away_at(self, now) -> UserQuerySet:
        """Out of office at `now` (the same rule as `User.is_away`)."""
        started = Q(out_of_office_from__lte=now)
        return self.filter(started & (Q(out_of_office_until__isnull=True) | Q(out_of_office_until__gt=now)))


class OrderUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A person (or integration) using the product. What they may see and do follows from `role` and `region`."""

    class Role(models.TextChoices):
        SALES_REP = "sales_rep", "Sales rep"
        SPECIALIST = "specialist", "Order Management specialist"
        BILLING = "billing", "Billing"
        DEAL_DESK = "deal_desk", "Deal Desk"
        SUPPORT_ENGINEERING = "support_engineering", "Support Engineering"
        MANAGER = "manager", "Manager"
        INTEGRATION = "integration", "Integration (API only)"

    REGIONAL_ROLES = (Role.SALES_REP, Role.SPECIALIST)

    role = models.CharField(max_length=24, choices=Role.choices, default=Role.SALES_REP, db_index=True)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    covered_regions = models.ManyToManyField(
        Region, blank=True, related_name="covering_specialists", help_text="Extra regions a specialist covers."
    )
    out_of_office_from = models.DateTimeField(null=True, blank=True)
    out_of_office_until = models.DateTimeField(null=True, blank=True)
    backup = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="backing_up",
        help_text="Who takes over claimed items while this person is out of office.",
    )

    muted_email_kinds = models.JSONField(
        default=list, blank=True, help_text="Notification kinds this person gets in product only, without an email."
    )
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_timezone],
        help_text="IANA time zone the pages show and read times in; blank: the region's (no region: UTC).",
    )

    objects = OrderUserManager()

    class Meta:
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(role__in=["sales_rep", "specialist"]) | Q(region__isnull=False),
                name="user_regional_role_has_region",
            ),
            models.CheckConstraint(
                condition=Q(out_of_office_from__isnull=True)
                | Q(out_of_office_until__isnull=True)
                | Q(out_of_office_until__gt=F("out_of_office_from")),
                name="user_out_of_office_order",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_rep(self) -> bool:
        return self.role == self.Role.SALES_REP

    @property
    def is_specialist(self) -> bool:
        return self.role == self.Role.SPECIALIST

    @property
    def is_manager(self) -> bool:
        return self.role == self.Role.MANAGER or self.is_superuser

    @property
    def is_billing(self) -> bool:
        return self.role == self.Role.BILLING

    def is_away(self, now) -> bool:
        """Out of office at `now` (from its start, until its end; no end: until cleared)."""
        start, end = self.out_of_office_from, self.out_of_office_until
        return start is not None and start <= now and (end is None or now < end)

    def region_codes(self) -> list[str]:
        """The regions whose queue this person works: their own first, then the ones they cover (in code order).

        Read once per loaded user (a request reads it for its scope and again for a permission check); code that
        changes the coverage calls `forget_region_codes()`.
        """
        return list(self._region_codes)

    @cached_property
    def _region_codes(self) -> tuple[str, ...]:
        # Standing coverage and dated coverage that includes today (in UTC), in one query.
        from django.utils import timezone

        today = timezone.now().date()
        dated = Q(dated_covers__user=self, dated_covers__starts_on__lte=today, dated_covers__ends_on__gte=today)
        covered = (
            Region.objects.filter(Q(covering_specialists=self) | dated)
            .distinct()
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        return tuple(dict.fromkeys([*([self.region_id] if self.region_id else []), *covered]))

    def forget_region_codes(self) -> None:
        self.__dict__.pop("_region_codes", None)


class DatedCoverage(models.Model):
    """A specialist covers another region's queue for a span of days (PTO, a month or quarter end), both included."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="dated_covers")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="dated_covers")
    starts_on = models.DateField()
    ends_on = models.DateField()

    class Meta:
        ordering = ["starts_on", "pk"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="dated_coverage_order")]

    def __str__(self) -> str:
        return f"{self.user} covers {self.region_id} {self.starts_on}..{self.ends_on}"
