"""Role checks shared by the API viewsets (object scope comes from the selectors: invisible means 404)."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from ordermgmt.models import User

STAFF_ROLES = {r for r in User.Role.values if r != User.Role.INTEGRATION}


class IsStaffRole(BasePermission):
    """Any signed-in person of the business (integration tokens only reach their own endpoints)."""

    message = "This endpoint is not available to integration tokens."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and (user.is_superuser or user.role in STAFF_ROLES))


class ReferenceDataPermission(IsStaffRole):
    """Everyone reads; reps, specialists, deal desk and managers maintain accounts and contacts."""

    WRITERS = {User.Role.SALES_REP, User.Role.SPECIALIST, User.Role.DEAL_DESK, User.Role.MANAGER}

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        return request.method in SAFE_METHODS or request.user.is_superuser or request.user.role in self.WRITERS


def has_role(*roles: str):
    """A permission class admitting only the given roles (superusers always)."""

    class _HasRole(BasePermission):
        message = "Your role does not allow this action."

        def has_permission(self, request, view):
            user = request.user
            return bool(user and user.is_authenticated and (user.is_superuser or user.role in roles))

    _HasRole.__name__ = "HasRole_" + "_".join(roles)
    return _HasRole
