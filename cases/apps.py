from django.apps import AppConfig


class CasesConfig(AppConfig):
    """Request Support cases: team queues, request types, ownership, first-response and resolution SLAs."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "cases"
    label = "cases"
    verbose_name = "Request Support cases"
