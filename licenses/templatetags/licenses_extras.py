from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`{{ counts|get_item:reason }}`: a dict lookup with a variable key (0 when absent)."""
    return mapping.get(key, 0)
