"""People and their API tokens."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from ..exceptions import NotVisibleError
from ..models import (
    NOTIFICATION_KINDS,
    ApiToken,
    DatedCoverage,
    User,
    validate_timezone,
)

logger = logging.getLogger(__name__)


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


@transaction.atomic
def user_out_of_office_set(*, user: User, start, end, backup: User | None) -> User:
    """Record a person's out-of-office window and backup (the approvals coverage service decides who may)."""
    if start and end and end <= start:
        raise ValidationError({"end": ["The end must be after the start."]})
    if end and not start:
        raise ValidationError({"start": ["Give the start of the absence."]})
    user.out_of_office_from, user.out_of_office_until, user.backup = start, end, backup
    user.save(update_fields=["out_of_office_from", "out_of_office_until", "backup"])
    return user


@transaction.atomic
def user_email_preferences_set(*, user: User, muted_kinds: list[str]) -> User:
    """The notification kinds `user` gets in product only (no email). An unknown kind is a 400 naming the field."""
    known = {kind for kind, _label in NOTIFICATION_KINDS}
    unknown = sorted(set(muted_kinds) - known)
    if unknown:
        raise ValidationError({"muted_email_kinds": [f"Unknown notification kind(s): {', '.join(unknown)}."]})
    user.muted_email_kinds = sorted(set(muted_kinds))
    user.save(update_fields=["muted_email_kinds"])
    return user


@transaction.atomic
def user_time_zone_set(*, user: User, time_zone: str) -> User:
    """The zone `user` sees and types times in on the pages; blank: their region's (no region: UTC). An unknown
    zone is a 400 naming the field."""
    time_zone = time_zone.strip()
    if time_zone:
        try:
            validate_timezone(time_zone)
        except ValidationError as exc:
            raise ValidationError({"time_zone": exc.messages}) from exc
    user.time_zone = time_zone
    user.save(update_fields=["time_zone"])
    return user


@transaction.atomic
def user_dated_coverage_add(*, user: User, regions: list[str], starts_on, ends_on) -> list[DatedCoverage]:
    """`user` covers these regions' queues from `starts_on` to `ends_on` (both included); their own region is
    skipped. The approvals coverage service decides who may."""
    if ends_on < starts_on:
        raise ValidationError({"ends_on": ["The last day must be on or after the first."]})
    rows = [
        DatedCoverage(user=user, region_id=code, starts_on=starts_on, ends_on=ends_on)
        for code in regions
        if code != user.region_id
    ]
    DatedCoverage.objects.bulk_create(rows)
    user.forget_region_codes()
    return rows


@transaction.atomic
def user_dated_coverage_remove(*, user: User, coverage_id: int) -> None:
    deleted, _ = DatedCoverage.objects.filter(user=user, pk=coverage_id).delete()
    if not deleted:
        raise NotVisibleError()
    user.forget_region_codes()
