"""The delivery feed (licenses/services/feed.py): idempotent on external_id, matched at once, CSV back-fill."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from licenses import services
from licenses.models import LicenseDelivery, LicenseTicket
from ordermgmt.exceptions import Conflict

from .factories import MON, TUE, WED, closed_won, review

pytestmark = pytest.mark.django_db


def test_a_delivery_from_the_feed_closes_the_open_ticket_at_once():
    opp = closed_won()
    review(TUE)

    delivery, created = services.license_delivery_record(
        external_id="feed-1",
        opportunity=opp,
        sold_to_email="buyer@customer.example",
        delivered_at=datetime(2026, 9, 16, 17, tzinfo=UTC),
    )

    assert created
    assert LicenseTicket.objects.get().status == LicenseTicket.Status.AUTO_CLOSED
    opp.refresh_from_db()
    assert opp.license_delivery_date == WED


def test_the_feed_is_idempotent_on_external_id_and_refuses_a_changed_repeat():
    opp = closed_won()
    kwargs = {
        "external_id": "E-1",
        "opportunity": opp,
        "sold_to_email": "buyer@customer.example",
        "delivered_at": datetime(2026, 9, 14, 18, tzinfo=UTC),
    }
    first, created = services.license_delivery_record(**kwargs)
    again, created_again = services.license_delivery_record(**kwargs)

    assert created
    assert not created_again
    assert first.pk == again.pk
    with pytest.raises(Conflict):
        services.license_delivery_record(**{**kwargs, "sold_to_email": "other@customer.example"})
    assert LicenseDelivery.objects.count() == 1


def test_csv_import_creates_skips_repeats_and_counts_bad_lines():
    opp = closed_won()
    text = (
        "external_id,opportunity,subscription_name,sold_to_email,delivered_at\n"
        f"C-1,{opp.pk},,buyer@customer.example,2026-09-14T18:00:00+00:00\n"
        "C-2,,A-S1,x@customer.example,2026-09-14T18:00:00\n"
        "C-3,,A-S1,not-an-email,2026-09-14T18:00:00\n"
        "C-4,999999999,,x@customer.example,2026-09-14T18:00:00\n"
        ",,A-S1,x@customer.example,2026-09-14T18:00:00\n"
        "C-5,,,x@customer.example,2026-09-14T18:00:00\n"
    )

    first = services.license_deliveries_import_csv(text=text)
    second = services.license_deliveries_import_csv(text=text)

    assert (first["created"], first["invalid"]) == (2, 4)
    assert (second["created"], second["existing"], second["invalid"]) == (0, 2, 4)
    assert LicenseDelivery.objects.get(external_id="C-2").delivered_at == datetime(2026, 9, 14, 18, tzinfo=UTC)
    opp.refresh_from_db()
    assert opp.license_delivery_date == MON


def test_csv_without_the_required_columns_is_refused():
    with pytest.raises(ValidationError) as exc:
        services.license_deliveries_import_csv(text="id,email\n1,a@b.example\n")
    assert "delivered_at" in exc.value.messages[0]
