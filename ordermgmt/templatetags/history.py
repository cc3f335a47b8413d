from django import template

from ordermgmt import history

register = template.Library()


@register.filter
def change_lines(event) -> list[history.ChangeLine]:
    """`{% for line in event|change_lines %}`: the event's changes as labelled lines."""
    return history.change_lines(event)


@register.filter
def action_label(action: str) -> str:
    return history.action_label(action)
