"""The beat scheduler: django-celery-beat's database scheduler, seeded from settings without overwriting edits."""

from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler


class SettingsSeededScheduler(DatabaseScheduler):
    """Adds the jobs declared in `CELERY_BEAT_SCHEDULE` that the database does not have yet. A job already there is
    left as an admin set it (time, arguments, enabled): django-celery-beat's own scheduler writes the settings' values
    over it at every beat start."""

    def update_from_dict(self, mapping):
        existing = set(PeriodicTask.objects.filter(name__in=list(mapping)).values_list("name", flat=True))
        super().update_from_dict({name: fields for name, fields in mapping.items() if name not in existing})
