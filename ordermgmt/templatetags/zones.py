"""Times that name their zone. Built into every template (settings `TEMPLATES` builtins), no `{% load %}` needed.

`{{ dt|local }}` -> "2026-12-05 09:00 Europe/London" in the viewer's zone; `{{ dt|local:"m-d H:i" }}` with a Django
date format; `{{ dt|in_zone:region.timezone }}` in a named zone; `{% region_and_local dt region.timezone %}` (or
`region=code`) the region's time and the viewer's beside it when they differ; `{% viewer_zone %}` the viewer's zone.
"""

from django import template
from django.utils import timezone
from django.utils.html import format_html

from ordermgmt import zones

register = template.Library()


@register.filter
def local(value, fmt: str = zones.DEFAULT_FORMAT) -> str:
    return zones.format_local(value, fmt) if value else ""


@register.filter
def in_zone(value, zone_name: str) -> str:
    return zones.format_in(value, zones.zone(zone_name)) if value else ""


@register.simple_tag
def region_and_local(value, zone_name: str = "", region: str = "", fmt: str = zones.DEFAULT_FORMAT):
    """The region's wall-clock time (`zone_name`, or the zone of the region coded `region`), then "your time" when
    the viewer's zone reads differently."""
    tz = zones.region_zone(region) if region else zones.zone(zone_name)
    in_region, in_viewer = zones.format_region_and_viewer(value, tz, fmt)
    if not in_viewer:
        return format_html('<span data-testid="time-region">{}</span>', in_region)
    return format_html(
        '<span data-testid="time-region">{}</span> <span class="text-body-secondary">(your time: '
        '<span data-testid="time-viewer">{}</span>)</span>',
        in_region,
        in_viewer,
    )


@register.simple_tag
def viewer_zone() -> str:
    """The active zone's name, for a column header that names the zone of every time below it."""
    return zones.zone_name(timezone.get_current_timezone())
