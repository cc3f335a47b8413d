"""The notifications page: pages of 50, a filter by kind and unread, mark one or all read; the bell's count; email
links that open from a mail client."""

import pytest
from django.core import mail
from django.test import Client

from ordermgmt.models import Notification
from ordermgmt.services import notification_email_send, notification_send
from tests.ordermgmt.factories import RepFactory

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pages_of_50_filter_by_kind_and_mark_one_then_all_read(rep):
    for i in range(55):
        notification_send(recipient=rep, verb="assigned" if i % 5 else "om_rejected", message=f"Note {i}")
    client = signed_in(rep)

    first = client.get("/notifications/")
    assert len(first.context["notifications"]) == 50
    assert first.context["page_obj"].has_next()
    assert client.get("/notifications/?page=2").context["page_obj"].object_list.count() == 5
    rejected = client.get("/notifications/?kind=om_rejected").context["notifications"]
    assert {n.verb for n in rejected} == {"om_rejected"}
    assert len(rejected) == 11

    one = Notification.objects.filter(recipient=rep).first()
    client.post("/notifications/read/", {"id": one.pk})
    assert Notification.objects.filter(recipient=rep, read_at__isnull=True).count() == 54
    assert client.get("/notifications/count/").content.decode().count("54") == 1
    client.post("/notifications/read/", {"next": "/notifications/?kind=assigned"})
    assert not Notification.objects.filter(recipient=rep, read_at__isnull=True).exists()
    assert 'data-testid="bell-count"' not in client.get("/notifications/count/").content.decode()


def test_one_cannot_mark_someone_elses_notifications_read(rep):
    theirs = notification_send(recipient=RepFactory(), verb="assigned", message="Not yours")
    signed_in(rep).post("/notifications/read/", {"id": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_email_links_are_absolute_on_site_url(rep, settings):
    settings.SITE_URL = "https://om.example.com"
    rep.email = "rep@example.com"
    rep.save()
    note = notification_send(recipient=rep, verb="om_rejected", message="Fix the PO", url="/opportunities/7/")

    assert notification_email_send(notification_id=note.pk)
    assert "https://om.example.com/opportunities/7/" in mail.outbox[-1].body
