"""Managing endpoints through the API and the pages: managers only, the secret shown once, the test button, the log."""

import pytest
from django.urls import reverse

from tests.ordermgmt.factories import BillingFactory, ManagerFactory, RepFactory, SpecialistFactory, UserFactory
from tests.webhooks.receiver import Receiver
from webhooks import services, signing
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

BODY = {"url": "https://hooks.example.com/om", "event_kinds": ["case.opened", "opportunity.closed_won"]}


def test_a_manager_registers_an_endpoint_and_sees_its_secret_once(as_user):
    manager = ManagerFactory()
    created = as_user(manager).post("/api/webhooks/endpoints/", BODY, format="json")

    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    assert created.json()["secret_hint"] == "…" + secret[-4:]
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.url, endpoint.event_kinds, endpoint.created_by) == (
        BODY["url"],
        sorted(BODY["event_kinds"]),
        manager,
    )
    listed = as_user(manager).get("/api/webhooks/endpoints/").json()["results"]
    assert [e["id"] for e in listed] == [endpoint.pk]
    assert "secret" not in listed[0]
    assert "secret" not in as_user(manager).get(f"/api/webhooks/endpoints/{endpoint.pk}/").json()


def test_rotate_edit_and_delete_through_the_api(as_user):
    client = as_user(ManagerFactory())
    endpoint_id = client.post("/api/webhooks/endpoints/", BODY, format="json").json()["id"]
    old = WebhookEndpoint.objects.get().secret

    rotated = client.post(f"/api/webhooks/endpoints/{endpoint_id}/rotate-secret/", {}, format="json")
    assert rotated.status_code == 200
    assert rotated.json()["secret"] == WebhookEndpoint.objects.get().secret != old

    patched = client.patch(f"/api/webhooks/endpoints/{endpoint_id}/", {"is_active": False}, format="json")
    assert patched.status_code == 200
    assert patched.json()["is_active"] is False
    assert patched.json()["event_kinds"] == sorted(BODY["event_kinds"])

    assert client.delete(f"/api/webhooks/endpoints/{endpoint_id}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://hooks.example.com", "event_kinds": ["case.opened"]},
        {"url": "https://hooks.example.com", "event_kinds": []},
        {"url": "https://hooks.example.com", "event_kinds": ["nope"]},
        {"url": "not a url", "event_kinds": ["case.opened"]},
    ],
)
def test_bad_endpoints_are_refused_with_400_and_nothing_saved(as_user, body):
    response = as_user(ManagerFactory()).post("/api/webhooks/endpoints/", body, format="json")
    assert response.status_code == 400, response.content
    assert not WebhookEndpoint.objects.exists()


def test_only_json_bodies_are_accepted(as_user):
    response = as_user(ManagerFactory()).post("/api/webhooks/endpoints/", BODY, format="multipart")
    assert response.status_code == 415


@pytest.mark.parametrize("factory", [RepFactory, SpecialistFactory, BillingFactory])
def test_other_roles_get_403_and_see_nothing(as_user, factory):
    endpoint, _ = services.webhook_endpoint_create(actor=ManagerFactory(), **BODY)
    client = as_user(factory())
    assert client.get("/api/webhooks/endpoints/").status_code == 403
    assert client.post("/api/webhooks/endpoints/", BODY, format="json").status_code == 403
    assert client.post(f"/api/webhooks/endpoints/{endpoint.pk}/rotate-secret/", {}, format="json").status_code == 403
    assert client.delete(f"/api/webhooks/endpoints/{endpoint.pk}/").status_code == 403
    assert WebhookEndpoint.objects.get().secret == endpoint.secret


def test_integration_tokens_cannot_manage_webhooks(as_user):
    client = as_user(UserFactory(role="integration"))
    assert client.get("/api/webhooks/endpoints/").status_code == 403


def test_the_test_event_and_the_delivery_log_through_the_api(as_user):
    client = as_user(ManagerFactory())
    with Receiver() as receiver:
        created = client.post(
            "/api/webhooks/endpoints/", {"url": receiver.url, "event_kinds": ["case.opened"]}, format="json"
        ).json()
        queued = client.post(f"/api/webhooks/endpoints/{created['id']}/test/", {}, format="json")
        assert queued.status_code == 202
        delivery = WebhookDelivery.objects.get(pk=queued.json()["id"])
        services.webhook_delivery_send(delivery_id=delivery.pk)  # what the worker does

    [request] = receiver.requests
    assert request.headers[signing.EVENT_TYPE_HEADER] == "webhook.test"
    assert signing.verify(secret=created["secret"], header=request.headers[signing.SIGNATURE_HEADER], body=request.body)
    log = client.get(f"/api/webhooks/deliveries/?endpoint={created['id']}").json()["results"]
    assert [(d["event_kind"], d["status"], d["attempts"]) for d in log] == [("webhook.test", "delivered", 1)]
    assert [(a["number"], a["status_code"], a["error"]) for a in log[0]["attempt_log"]] == [(1, 200, "")]
    assert log[0]["event_id"] == request.headers[signing.EVENT_ID_HEADER]

    assert client.get("/api/webhooks/deliveries/?endpoint=987654").status_code == 400  # not an endpoint
    again = client.post(f"/api/webhooks/deliveries/{delivery.pk}/redeliver/", {}, format="json")
    assert again.status_code == 202
    assert again.json()["status"] == "pending"
    assert again.json()["event_id"] == log[0]["event_id"]
    assert client.post("/api/webhooks/deliveries/987654/redeliver/").status_code == 404


def test_the_pages_register_show_the_secret_once_test_and_log(client, django_capture_on_commit_callbacks):
    manager = ManagerFactory()
    client.force_login(manager)
    assert 'data-testid="webhooks-link"' in client.get(reverse("tokens")).content.decode()

    with Receiver() as receiver:
        page = client.post(
            reverse("webhooks:list"), {"url": receiver.url, "event_kinds": ["case.opened"], "is_active": "on"}
        )
        assert page.status_code == 200
        endpoint = WebhookEndpoint.objects.get()
        assert endpoint.secret in page.content.decode()  # shown in the answer to the POST that made it...
        assert endpoint.secret not in client.get(reverse("webhooks:list")).content.decode()  # ...and never again
        detail = client.get(reverse("webhooks:detail", args=[endpoint.pk])).content.decode()
        assert endpoint.secret not in detail
        assert endpoint.secret_hint in detail

        response = client.post(reverse("webhooks:test", args=[endpoint.pk]))
        assert response.status_code == 302
        services.webhook_delivery_send(delivery_id=WebhookDelivery.objects.get().pk)

    page = client.get(reverse("webhooks:detail", args=[endpoint.pk])).content.decode()
    assert "webhook.test" in page
    assert "delivered" in page
    assert " ms</td>" in page  # the attempt's duration
    assert len(receiver.requests) == 1

    rotated = client.post(reverse("webhooks:rotate", args=[endpoint.pk])).content.decode()
    endpoint.refresh_from_db()
    assert endpoint.secret in rotated


def test_the_pages_are_for_managers_only(client):
    endpoint, _ = services.webhook_endpoint_create(actor=ManagerFactory(), **BODY)
    client.force_login(SpecialistFactory())
    assert client.get(reverse("webhooks:list")).status_code == 403
    assert client.get(reverse("webhooks:detail", args=[endpoint.pk])).status_code == 403
    assert client.post(reverse("webhooks:rotate", args=[endpoint.pk])).status_code == 403
    assert 'data-testid="webhooks-link"' not in client.get(reverse("tokens")).content.decode()
