"""The beat scheduler adds the jobs declared in settings and leaves an admin's edits alone."""

import pytest
from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from ordermgmt.beat import SettingsSeededScheduler
from ordermgmt.celery import app

pytestmark = pytest.mark.django_db(transaction=True)


def start_beat() -> None:
    SettingsSeededScheduler(app=app, lazy=True).setup_schedule()


def test_a_first_start_installs_every_declared_job():
    start_beat()
    assert set(settings.CELERY_BEAT_SCHEDULE) <= set(PeriodicTask.objects.values_list("name", flat=True))


def test_a_restart_keeps_what_an_admin_changed():
    start_beat()
    hourly, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.HOURS)
    PeriodicTask.objects.filter(name="outbox-drain").update(interval=hourly, enabled=False)
    PeriodicTask.objects.filter(name="outbox-drain").first().save()  # what the admin's save does: bump the change log
    removed = PeriodicTask.objects.exclude(name="outbox-drain").filter(name__in=list(settings.CELERY_BEAT_SCHEDULE))
    PeriodicTask.objects.filter(pk=removed.first().pk).delete()

    start_beat()

    edited = PeriodicTask.objects.get(name="outbox-drain")
    assert (edited.interval_id, edited.enabled) == (hourly.pk, False)
    assert set(settings.CELERY_BEAT_SCHEDULE) <= set(PeriodicTask.objects.values_list("name", flat=True))
