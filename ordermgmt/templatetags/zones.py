"""Times that name their zone. Built into every template (settings `TEMPLATES` builtins), no `{% load %}` needed.

`{{ dt|local }}` -> "2026-12-05 09:00 Europe/London" in the viewer's zone; `{{ dt|local:"m-d H:i" }}` with a Django
date format; `{{ dt|in_zone:region.timezone }}` in a named zone; `{% region_and_local dt region.timezone %}` the
region's time and the viewer's beside it when they differ.
"""

from django import template
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
def region_and_local(value, zone_name: str, fmt: str = zones.DEFAULT_FORMAT):
    """The region's wall-clock time, then "your time" when the viewer's zone reads differently."""
    in_region, in_viewer = zones.format_region_and_viewer(value, zones.zone(zone_name), fmt)
    if not in_viewer:
        return format_html('<span data-testid="time-region">{}</span>', in_region)
    return format_html(
        '<span data-testid="time-region">{}</span> <span class="text-body-secondary">(your time: '
        '<span data-testid="time-viewer">{}</span>)</span>',
        in_region,
        in_viewer,
    )
