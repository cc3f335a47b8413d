"""Domain exceptions. The API maps them to HTTP once, in ordermgmt.api.exception_handler."""


class ApplicationError(Exception):
    """A request the domain refuses; carries a message for the person and optional extra data."""

    status_code = 400
    code = "invalid"  # machine-readable, answered beside `detail`

    def __init__(self, message: str, *, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class InvalidTransition(ApplicationError):
    """The record is in a state that does not allow this action (HTTP 409)."""

    status_code = 409
    code = "invalid_transition"

    def __init__(self, message: str | None = None, *, entity: str = "", from_status: str = "", to_status: str = ""):
        message = (
            message or f"This {entity or 'record'} is {from_status.replace('_', ' ')}: it cannot move to {to_status}."
        )
        super().__init__(message, extra={"current_status": from_status} if from_status else None)


class Conflict(ApplicationError):
    """The record changed under the caller, or somebody else won the race (HTTP 409)."""

    status_code = 409
    code = "conflict"


class PermissionDeniedError(ApplicationError):
    """The actor's role or relation to the object does not allow this action (HTTP 403)."""

    status_code = 403
    code = "permission_denied"


class NotVisibleError(PermissionDeniedError):
    """The actor may not see the record, or it does not exist: answered as 404, never a hint that it exists."""

    status_code = 404
    code = "not_found"

    def __init__(self, message: str = "Not found."):
        super().__init__(message)
