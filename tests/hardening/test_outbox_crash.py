"""The outbox publishes, then marks: a process killed after the broker accepted a message and before its row was
marked sent leaves the row pending; the sweeper publishes it again (same task id), and the consumer takes effect
once: one notification, one email. A real worker on real Redis, a real killed process; nothing mocked."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from ordermgmt import services
from ordermgmt.models import Notification, OutboxMessage
from tests.celery_support import ROOT, Worker, flush_broker, worker_env
from tests.ordermgmt.factories import RepFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Run in a child process: send a notification (autocommit, so its email task is published at once), and die by
# os._exit between the broker's acceptance and the mark; the crash is injected by replacing the mark in that process.
CRASHING_SENDER = """
import os, sys
import django
django.setup()
from ordermgmt.models import User
from ordermgmt.services import messaging
messaging.outbox_mark_sent = lambda message_id: os._exit(9)
messaging.notification_send(recipient=User.objects.get(pk=int(sys.argv[1])), verb="test", message="Crash test")
"""


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _emails(folder: Path, key: str) -> int:
    return sum(path.read_text(errors="replace").count(f"X-Idempotency-Key: {key}") for path in folder.glob("*"))


def test_a_crash_between_publish_and_mark_delivers_one_notification_and_one_email(tmp_path):
    flush_broker()
    rep = RepFactory(email="rep@example.com")
    crashed = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", CRASHING_SENDER, str(rep.pk)],
        cwd=ROOT,
        env=worker_env(),
        capture_output=True,
        timeout=60,
    )
    assert crashed.returncode == 9, crashed.stderr.decode()[-2000:]

    message = OutboxMessage.objects.get()
    assert message.sent_at is None  # the broker has it, the row does not say so
    notification = Notification.objects.get(recipient=rep)
    key = f"notification-{notification.pk}"

    mail = tmp_path / "mail"
    mail.mkdir()
    worker = Worker(
        name="outbox-crash",
        env={
            "TEST_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "TEST_EMAIL_FILE_PATH": str(mail),
        },
    )
    try:
        _wait(lambda: _emails(mail, key) == 1, 60, "the first delivery's email")
        # The sweeper finds the row pending and publishes the message again, with the same task id.
        assert services.outbox_drain(older_than_seconds=0) == 1
        task_id = services.outbox_task_id(message.pk)
        _wait(lambda: worker.log().count(f"[{task_id}] succeeded") == 2, 60, "the redelivery to be consumed")
        log = worker.log()
    finally:
        worker.stop()

    assert f"[{task_id}] succeeded" in log
    assert log.count(f"[{task_id}] received") == 2  # delivered twice ...
    assert _emails(mail, key) == 1  # ... one email
    assert Notification.objects.filter(recipient=rep).count() == 1  # ... one notification
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    message.refresh_from_db()
    assert message.sent_at is not None
    print(f"\nRESULT | outbox crash | deliveries | 2 | emails | {_emails(mail, key)} | notifications | 1")
