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
    page = client.get("/notifications/?kind=om_rejected").content.decode()
    assert '<option value="om_rejected" selected>Your deal rejected by Order Management</option>' in page
    assert "· Your deal rejected by Order Management</small>" in page  # each kind in words, not its code

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


def test_a_muted_kind_stays_in_product_without_an_email():
    from ordermgmt.models import OutboxMessage
    from ordermgmt.services import user_email_preferences_set

    rep = RepFactory()
    user_email_preferences_set(user=rep, muted_kinds=["comment"])
    notification_send(recipient=rep, verb="comment", message="A message on your deal")
    notification_send(recipient=rep, verb="closed_won", message="Closed Won")
    assert Notification.objects.filter(recipient=rep).count() == 2
    assert OutboxMessage.objects.filter(task="ordermgmt.tasks.notification_email_send").count() == 1


def test_email_settings_page_saves_the_kinds_and_refuses_unknown_ones():
    from django.core.exceptions import ValidationError

    from ordermgmt.services import user_email_preferences_set

    rep = RepFactory()
    client = signed_in(rep)
    assert "Also send me an email for" in client.get("/notifications/settings/").content.decode()
    response = client.post("/notifications/settings/", {"email_kinds": ["closed_won", "needs_info"]})
    assert response.status_code == 302
    rep.refresh_from_db()
    assert "closed_won" not in rep.muted_email_kinds
    assert {"comment", "mention", "om_approved"} <= set(rep.muted_email_kinds)
    with pytest.raises(ValidationError) as error:
        user_email_preferences_set(user=rep, muted_kinds=["martian"])
    assert "muted_email_kinds" in error.value.message_dict
