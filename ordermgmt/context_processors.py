from . import selectors


def navigation(request):
    """The unread-notification badge for the navigation bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": selectors.notification_unread_count(user=user)}
