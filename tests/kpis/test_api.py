"""GET /api/kpis/, the CSV export and POST /api/csat/responses/."""

import csv
import io
from datetime import UTC, date, datetime
from unittest import mock

import pytest
import time_machine

from kpis.models import CsatResponse
from tests.ordermgmt.factories import ManagerFactory, RepFactory, SpecialistFactory, region

from .conftest import at, submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def mgr():
    return ManagerFactory(username="kpi_mgr")


@pytest.fixture
def q3_data():
    rep = RepFactory(username="kpi_api_rep", region=region("EMEA"))
    submission(owner=rep, om_at="2026-07-10 10:00", om_hours="4", billing_at="2026-07-11 10:00")
    submission(owner=rep, om_at="2026-07-12 10:00", om_hours="20", om_outcome="rejected", om_reasons=["competitors"])
    CsatResponse.objects.create(region_id="EMEA", quarter="2026-Q3", rating="good")
    return rep


def test_manager_gets_every_kpi_of_a_quarter_and_region(as_user, mgr, q3_data):
    response = as_user(mgr).get("/api/kpis/?period=2026-Q3&region=EMEA")

    assert response.status_code == 200
    body = response.json()
    assert body["approval_sla_pct"] == 50.0
    assert body["median_decision_business_hours"] == 12.0
    assert body["p90_decision_business_hours"] == 18.4
    assert body["approval_accuracy_pct"] == 100.0
    assert body["csat_pct"] == 100.0
    assert body["avg_first_response_business_hours"] is None
    assert body["rejections_by_reason"][0]["reason"] == "competitors"
    assert body["closed_won_by_region"] == []
    assert body["escalations_by_rep"] == []
    assert body["speed_to_month_close_days"] == 0.0  # July's submissions were all decided in July
    assert body["health"]["approval_sla_pct"] == "red"
    assert len(body["trends"]["labels"]) == 8


def test_empty_period_answers_null_not_zero(as_user, mgr):
    body = as_user(mgr).get("/api/kpis/?from=2020-01-01&to=2020-01-31").json()

    assert body["approval_sla_pct"] is None
    assert body["approval_accuracy_pct"] is None
    assert body["csat_pct"] is None
    assert body["period"] == "custom:2020-01-01:2020-01-31"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period=2026-Q5", "period"),
        ("period=2026-13", "period"),
        ("period=Q3", "period"),
        ("from=2026-01-01", "to"),
        ("to=2026-01-01", "from"),
        ("from=2026-02-30&to=2026-03-01", "from"),
        ("from=2026-03-01&to=2026-02-01", "to"),
        ("period=2026-Q1&from=2026-01-01&to=2026-02-01", "period"),
        ("region=MARS", "region"),
        ("person=abc", "person"),
        ("team=nobody", "team"),
    ],
)
def test_bad_input_is_400_naming_the_field(as_user, mgr, query, field):
    response = as_user(mgr).get(f"/api/kpis/?{query}")

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["detail"].startswith(f"{field}:")


@pytest.mark.parametrize("factory", [RepFactory, SpecialistFactory])
def test_non_managers_get_403(as_user, factory):
    assert as_user(factory()).get("/api/kpis/?period=2026-Q3").status_code == 403
    assert as_user(factory()).get("/api/kpis/export.csv?period=2026-Q3").status_code == 403


def test_anonymous_gets_401(api):
    assert api.get("/api/kpis/").status_code == 401


def test_figures_are_at_most_a_minute_old_and_say_when_they_were_computed(as_user, mgr, q3_data):
    # given figures computed at noon
    client = as_user(mgr)
    with time_machine.travel(at("2026-08-15 12:00"), tick=False):
        first = client.get("/api/kpis/?period=2026-Q3").json()
    assert (first["approval_sla_pct"], first["computed_at"]) == (50.0, "2026-08-15T12:00:00+00:00")
    assert first["max_age_seconds"] == 60

    # when a decision lands in the period
    submission(owner=q3_data, om_at="2026-08-01 10:00", om_hours="1")

    # then the cached figures are served, with their age, until they are due for a refresh...
    with time_machine.travel(at("2026-08-15 12:00:44"), tick=False):
        cached = client.get("/api/kpis/?period=2026-Q3").json()
    assert (cached["approval_sla_pct"], cached["computed_at"]) == (50.0, "2026-08-15T12:00:00+00:00")
    # ...and never once they are a minute old
    with time_machine.travel(at("2026-08-15 12:01"), tick=False):
        fresh = client.get("/api/kpis/?period=2026-Q3").json()
    assert (fresh["approval_sla_pct"], fresh["computed_at"]) == (66.67, "2026-08-15T12:01:00+00:00")


def test_one_caller_refreshes_while_the_others_keep_the_copy(as_user, mgr, q3_data, django_assert_num_queries):
    # given a copy due for a refresh that another process is already recomputing (it holds the lock)
    client = as_user(mgr)
    with time_machine.travel(at("2026-08-15 12:00"), tick=False):
        client.get("/api/kpis/?period=2026-Q3")
    submission(owner=q3_data, om_at="2026-08-01 10:00", om_hours="1")
    with mock.patch("django.core.cache.cache.add", return_value=False) as add:
        # when this process asks in the refresh window, then it gets the copy without a query
        with time_machine.travel(at("2026-08-15 12:00:50"), tick=False), django_assert_num_queries(0):
            assert client.get("/api/kpis/?period=2026-Q3").json()["approval_sla_pct"] == 50.0
        add.assert_called_once()
        # but past the max age it recomputes whoever holds the lock: the bound holds
        with time_machine.travel(at("2026-08-15 12:01"), tick=False):
            assert client.get("/api/kpis/?period=2026-Q3").json()["approval_sla_pct"] == 66.67


def test_scopes_are_cached_apart(as_user, mgr, q3_data):
    client = as_user(mgr)

    assert client.get("/api/kpis/?period=2026-Q3&region=EMEA").json()["approval_sla_pct"] == 50.0
    assert client.get("/api/kpis/?period=2026-Q3&region=APAC").json()["approval_sla_pct"] is None


def test_cached_summary_is_served_without_a_query(as_user, mgr, q3_data, django_assert_num_queries):
    client = as_user(mgr)
    client.get("/api/kpis/?period=2026-Q3")

    with django_assert_num_queries(0):
        assert client.get("/api/kpis/?period=2026-Q3").status_code == 200


def test_export_csv_long_format_and_one_table(as_user, mgr, q3_data):
    client = as_user(mgr)

    response = client.get("/api/kpis/export.csv?period=2026-Q3&region=EMEA")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["section", "row", "metric", "value"]
    assert rows[3][:3] == ["period", "", "computed_at"]
    assert datetime.fromisoformat(rows[3][3]).tzinfo is not None
    assert ["kpi", "", "approval_sla_pct", "50.0"] in rows
    assert ["kpi", "", "median_decision_business_hours", "12.0"] in rows
    assert ["kpi", "", "avg_first_response_business_hours", ""] in rows  # no data is empty, not 0

    table = client.get("/api/kpis/export.csv?period=2026-Q3&table=rejections_by_reason")
    rows = list(csv.reader(io.StringIO(table.content.decode())))
    assert rows[0] == ["reason", "label", "count", "share_pct"]
    assert rows[1][0] == "competitors"
    assert rows[1][2:] == ["1", "100.0"]

    assert client.get("/api/kpis/export.csv?table=nope").status_code == 400


def test_rep_answers_the_csat_survey_once_per_quarter(as_user):
    rep = RepFactory(region=region("APAC"))
    client = as_user(rep)
    payload = {"region": "APAC", "quarter": "2026-Q3", "rating": "excellent", "comment": "Fast and clear"}

    first = client.post("/api/csat/responses/", payload, format="json")
    second = client.post("/api/csat/responses/", payload | {"rating": "poor"}, format="json")
    other_quarter = client.post("/api/csat/responses/", payload | {"quarter": "2026-Q4"}, format="json")

    assert first.status_code == 201
    assert first.json()["respondent"] == rep.pk
    assert second.status_code == 409
    assert other_quarter.status_code == 201
    assert list(CsatResponse.objects.filter(respondent=rep).values_list("quarter", "rating")) == [
        ("2026-Q4", "excellent"),
        ("2026-Q3", "excellent"),
    ]


@pytest.mark.parametrize(
    "payload",
    [
        {"region": "APAC", "quarter": "2026-Q3", "rating": "superb"},
        {"region": "APAC", "quarter": "2026-3", "rating": "good"},
        {"region": "MOON", "quarter": "2026-Q3", "rating": "good"},
    ],
)
def test_invalid_csat_answers_are_400_and_nothing_is_saved(as_user, payload):
    response = as_user(RepFactory()).post("/api/csat/responses/", payload, format="json")

    assert response.status_code == 400
    assert not CsatResponse.objects.exists()


def test_the_survey_is_for_reps_and_their_managers_not_the_teams_rating_themselves(as_user):
    from tests.ordermgmt.factories import BillingFactory, UserFactory

    payload = {"region": "AMER", "quarter": "2026-Q3", "rating": "excellent"}
    for person in (SpecialistFactory(), BillingFactory(), UserFactory(role="deal_desk")):
        assert as_user(person).post("/api/csat/responses/", payload, format="json").status_code == 403
    manager = as_user(ManagerFactory())
    assert manager.post("/api/csat/responses/", payload | {"region": "EMEA"}, format="json").status_code == 201
    assert manager.post("/api/csat/responses/", payload, format="json").status_code == 409  # once per person
    assert list(CsatResponse.objects.values_list("region", "quarter")) == [("EMEA", "2026-Q3")]


def test_the_quarter_rated_is_the_last_closed_one_unless_named_and_never_a_future_one(as_user):

    rep = as_user(RepFactory(region=region("APAC")))
    with time_machine.travel(datetime(2026, 12, 5, 12, tzinfo=UTC), tick=False):
        future = rep.post("/api/csat/responses/", {"quarter": "2027-Q1", "rating": "good"}, format="json")
        other_region = rep.post("/api/csat/responses/", {"region": "EMEA", "rating": "good"}, format="json")
        default = rep.post("/api/csat/responses/", {"rating": "good"}, format="json")
    assert future.status_code == 400
    assert "quarter" in future.json()
    assert other_region.status_code == 400
    assert "region" in other_region.json()
    assert default.status_code == 201
    assert (default.json()["quarter"], default.json()["region"]) == ("2026-Q3", "APAC")


def test_the_invitation_goes_once_per_quarter_to_every_rep_and_manager_with_the_survey_link():
    from kpis.services import csat_invitations_send
    from ordermgmt.models import Notification

    rep, manager, specialist = RepFactory(), ManagerFactory(), SpecialistFactory()

    first = csat_invitations_send(today=date(2027, 1, 1))
    second = csat_invitations_send(today=date(2027, 1, 2))

    assert (first.quarter, first.recipients) == ("2026-Q4", 2)
    assert second is None
    invited = Notification.objects.filter(verb="csat_invitation")
    assert {n.recipient_id for n in invited} == {rep.pk, manager.pk}
    assert {n.url for n in invited} == {"/kpis/csat/"}
    assert not invited.filter(recipient=specialist).exists()
