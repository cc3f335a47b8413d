"""Celery plumbing through a real worker on real Redis, and the outbox that survives a broker outage."""

import pytest
from django.core import mail

from ordermgmt import services
from ordermgmt.models import OutboxMessage
from ordermgmt.tasks import outbox_drain
from tests.ordermgmt.factories import RepFactory


def test_a_real_worker_runs_a_task_and_returns_its_result(celery_worker):
    result = outbox_drain.delay()
    assert result.get(timeout=60) == 0
    assert "outbox_drain" in celery_worker.log()


def _point_app_at(app, url):
    """Re-point the Celery app's connection and producer pools at another broker URL."""
    from kombu import pools

    app.pool.force_close_all()
    pools.reset()
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_outbox_keeps_a_message_when_the_broker_refuses_and_drain_sends_it_later(settings):
    from ordermgmt.celery import app

    rep = RepFactory()
    original = settings.CELERY_BROKER_URL
    _point_app_at(app, "redis://127.0.0.1:1/0")  # nothing listens there: the broker is "down"
    try:
        from django.db import transaction

        with transaction.atomic():
            services.notification_send(recipient=rep, verb="test", message="hello")
        message = OutboxMessage.objects.get()
        assert message.sent_at is None
        assert message.attempts == 1
        assert message.last_error
    finally:
        _point_app_at(app, original)
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=message.created_at.replace(year=2000))
    drained = services.outbox_drain()
    message.refresh_from_db()
    assert drained == 1, message.last_error
    message.refresh_from_db()
    assert message.sent_at is not None
    assert message.attempts == 2


@pytest.mark.django_db
def test_notification_email_goes_to_the_recipient():
    rep = RepFactory(email="rep@example.com")
    notification = services.notification_send(recipient=rep, verb="approved", message="Deal approved", url="/x")
    assert services.notification_email_send(notification_id=notification.pk) is True
    assert mail.outbox[-1].to == ["rep@example.com"]
    assert "Deal approved" in mail.outbox[-1].subject


@pytest.mark.django_db
def test_the_after_commit_publish_does_not_read_the_message_back(
    django_capture_on_commit_callbacks, django_assert_num_queries
):
    """It has the task and its arguments from the enqueue: one statement (the claim), then the broker."""
    with django_capture_on_commit_callbacks() as callbacks:
        services.notification_send(recipient=RepFactory(), verb="test", message="hello")
    message = OutboxMessage.objects.get()
    assert message.task == "ordermgmt.tasks.notification_email_send"
    with django_assert_num_queries(1):
        callbacks[-1]()
    message.refresh_from_db()
    assert message.sent_at is not None
    assert message.attempts == 1
    assert not message.last_error


@pytest.mark.django_db
def test_a_notification_email_is_sent_once_with_a_stable_message_id_and_idempotency_key():
    rep = RepFactory(email="rep@example.com")
    notification = services.notification_send(recipient=rep, verb="approved", message="Deal approved")
    mail.outbox.clear()

    assert services.notification_email_send(notification_id=notification.pk) is True
    assert services.notification_email_send(notification_id=notification.pk) is False  # a redelivery

    assert len(mail.outbox) == 1
    headers = mail.outbox[0].extra_headers
    assert headers["X-Idempotency-Key"] == f"notification-{notification.pk}"
    assert headers["Message-ID"] == f"<notification-{notification.pk}@example.com>"
