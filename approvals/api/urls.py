"""API routes of the approvals app, added to the project's one router."""

urlpatterns = []


def register(router) -> None:
    return None
