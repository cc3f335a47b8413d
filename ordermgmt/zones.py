"""Local time: the zone each viewer sees and types times in, and how a shown time names its zone.

A person's zone is their own setting (`User.time_zone`), else their region's, else UTC. `TimeZoneMiddleware`
activates it for each page request, so `{{ dt }}`, `|date` and form fields use it; the `|local` filter adds the
zone's name, so a time never reads as if it were anybody's. The API is left in UTC (API.md's contract).
"""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo, available_timezones

from django.utils import dateformat, timezone

UTC = ZoneInfo("UTC")
DEFAULT_FORMAT = "Y-m-d H:i"  # Django date format, as the pages used before
_REGION_ZONES_TTL_SECONDS = 60
_region_zones_cache: dict[str, tuple[float, dict[str, str]]] = {}


def region_zone_names() -> dict[str, str]:
    """Region code -> IANA zone name. Cached per process for a minute: every page request reads it, regions change
    rarely (an admin edit shows within the minute)."""
    from .models import Region

    cached = _region_zones_cache.get("zones")
    if cached is None or time.monotonic() - cached[0] > _REGION_ZONES_TTL_SECONDS:
        cached = (time.monotonic(), dict(Region.objects.values_list("code", "timezone")))
        _region_zones_cache["zones"] = cached
    return cached[1]


def region_zone_names_clear() -> None:
    _region_zones_cache.clear()


def zone(name: str) -> ZoneInfo:
    """The zone called `name`; UTC for a blank or unknown name (a stale setting must not break a page)."""
    try:
        return ZoneInfo(name) if name else UTC
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return UTC


def region_zone(region_code: str | None) -> ZoneInfo:
    return zone(region_zone_names().get(region_code or "", "")) if region_code else UTC


def user_zone(user) -> ZoneInfo:
    """The zone `user` sees times in: their own setting, else their region's, else UTC."""
    if getattr(user, "time_zone", ""):
        return zone(user.time_zone)
    return region_zone(getattr(user, "region_id", None))


def zone_name(tz) -> str:
    return getattr(tz, "key", None) or str(tz)


def format_in(value: datetime | None, tz, fmt: str = DEFAULT_FORMAT) -> str:
    """`value` as wall-clock time in `tz` (`fmt`: a Django date format), then the zone's IANA name:
    "2026-12-05 09:00 Europe/London".

    The IANA name, not the abbreviation: abbreviations are ambiguous (Asia/Manila and America/Los_Angeles both
    say "PST" in December).
    """
    if value is None:
        return ""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return f"{dateformat.format(value.astimezone(tz), fmt)} {zone_name(tz)}"


def format_local(value: datetime | None, fmt: str = DEFAULT_FORMAT) -> str:
    """`value` in the active zone (the viewer's on a page), named."""
    return format_in(value, timezone.get_current_timezone(), fmt)


def zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone this machine knows, sorted, for the settings page."""
    return [(name, name) for name in sorted(available_timezones()) if "/" in name or name == "UTC"]


def format_region_and_viewer(value: datetime | None, region_tz, fmt: str = DEFAULT_FORMAT) -> tuple[str, str]:
    """(`value` in the region's zone, in the viewer's zone or "" when the two read the same), both named."""
    if value is None:
        return "", ""
    viewer_tz = timezone.get_current_timezone()
    in_region = format_in(value, region_tz, fmt)
    if zone_name(viewer_tz) == zone_name(region_tz):
        return in_region, ""
    return in_region, format_in(value, viewer_tz, fmt)
