"""The dashboard, drill-downs, page CSV downloads and the CSAT survey page."""

from datetime import date

import pytest
import time_machine
from django.test import Client

from kpis.models import CsatResponse
from ordermgmt.models import Opportunity
from tests.ordermgmt.factories import ManagerFactory, OpportunityFactory, RepFactory, SpecialistFactory, region

from .conftest import at, submission

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def mgr_client():
    return client_for(ManagerFactory(username="kpi_page_mgr"))


def populate(n: int) -> None:
    """`n` reps, each with decided submissions, a Closed Won deal, a rejection and an escalation in Q3 2026."""
    for i in range(n):
        rep = RepFactory(region=region(["AMER", "EMEA", "APAC"][i % 3]))
        submission(owner=rep, om_at="2026-07-10 10:00", om_hours="3", billing_at="2026-07-11 10:00")
        submission(owner=rep, om_at="2026-08-10 10:00", om_hours="15", om_outcome="rejected", om_reasons=["other"])
        submission(owner=rep, escalated_at="2026-08-01 10:00")
        OpportunityFactory(owner=rep, stage=Opportunity.Stage.CLOSED_WON, close_date=date(2026, 9, 1))
        CsatResponse.objects.create(region=rep.region, quarter="2026-Q3", rating="good", respondent=rep)


def test_dashboard_shows_tiles_with_value_target_and_health(mgr_client):
    populate(2)

    page = mgr_client.get("/kpis/?period=2026-Q3").content.decode()

    assert 'data-testid="tile-approval_sla" data-health="red"' in page
    assert "50%" in page  # 2 of 4 decisions within 12 business hours
    assert "Target 100% within 12 business hours" in page
    assert 'data-testid="tile-csat" data-health="green"' in page
    assert '/kpis/drill/approval_sla/?period=2026-Q3"' in page
    assert 'id="kpi-trends"' in page
    assert "chart.umd.min.js" in page
    assert "<script>" not in page  # CSP: no inline scripts


def test_dashboard_says_when_its_figures_were_computed_while_drill_downs_stay_live(mgr_client):
    # given a dashboard computed at noon
    populate(1)
    with time_machine.travel(at("2026-08-15 12:00"), tick=False):
        page = mgr_client.get("/kpis/?period=2026-Q3").content.decode()
    assert "Figures as of 2026-08-15 12:00:00 UTC, refreshed at most every 60 s" in page

    # when a decision lands, then the cached tile and CSV keep the noon figures...
    submission(owner=RepFactory(), om_at="2026-07-20 10:00", om_hours="2")
    with time_machine.travel(at("2026-08-15 12:00:30"), tick=False):
        page = mgr_client.get("/kpis/?period=2026-Q3").content.decode()
        csv_body = mgr_client.get("/kpis/export.csv?period=2026-Q3").content.decode()
        drill = mgr_client.get("/kpis/drill/approval_sla/?period=2026-Q3").content.decode()
    assert "Figures as of 2026-08-15 12:00:00 UTC" in page
    assert "period,,computed_at,2026-08-15T12:00:00+00:00" in csv_body
    # ...but the drill-down lists the records as they are now
    assert drill.count('data-testid="drill-row"') == 3


def test_empty_period_says_no_data_not_zero(mgr_client):
    page = mgr_client.get("/kpis/?period=2019-Q1").content.decode()

    assert page.count('data-health="grey"') == 4
    assert page.count('data-testid="tile-value">No data<') == 6  # the four rates, month close, license automation
    assert 'tile-value">0%<' not in page


def test_bad_period_is_400_with_the_field_named(mgr_client):
    response = mgr_client.get("/kpis/?period=2026-Q9")

    assert response.status_code == 400
    assert "period: “2026-Q9” is neither a fiscal quarter" in response.content.decode()


def test_dashboard_renders_in_a_constant_number_of_queries(mgr_client, django_assert_num_queries):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    populate(1)
    with CaptureQueriesContext(connection) as small:
        assert mgr_client.get("/kpis/?period=2026-Q3").status_code == 200
    cache.clear()
    populate(9)
    with CaptureQueriesContext(connection) as large:
        assert mgr_client.get("/kpis/?period=2026-Q3").status_code == 200

    assert len(small) == len(large)
    assert len(large) <= 40
    # Cached: the fingerprint query plus session, user and page chrome.
    with CaptureQueriesContext(connection) as cached:
        mgr_client.get("/kpis/?period=2026-Q3")
    assert len(cached) <= len(large) - 25


def test_every_table_row_links_to_its_records(mgr_client):
    populate(3)
    rep = Opportunity.objects.filter(stage=Opportunity.Stage.CLOSED_WON).first().owner

    page = mgr_client.get("/kpis/?period=2026-Q3").content.decode()

    assert f'/kpis/drill/closed_won/?period=2026-Q3&amp;person={rep.pk}"' in page
    assert "/kpis/drill/rejections/?period=2026-Q3&amp;reason=other" in page
    assert "/kpis/export.csv?period=2026-Q3&amp;table=closed_won_by_member" in page


def test_drill_down_lists_the_records_behind_a_number(mgr_client):
    populate(3)

    all_decided = mgr_client.get("/kpis/drill/approval_sla/?period=2026-Q3").content.decode()
    missed = mgr_client.get("/kpis/drill/approval_sla/?period=2026-Q3&met=0&region=EMEA").content.decode()

    assert all_decided.count('data-testid="drill-row"') == 6
    assert missed.count('data-testid="drill-row"') == 1
    assert ">15.00<" in missed
    assert mgr_client.get("/kpis/drill/approval_sla/?period=2026-Q3&met=maybe").status_code == 400
    assert mgr_client.get("/kpis/drill/nothing/").status_code == 404


# Each drill-down with a query and how many records it holds for populate(3); the export tests read the same table.
DRILLS = [
    ("approval_sla", "", 6),
    ("approval_accuracy", "", 3),
    ("csat", "", 3),
    ("closed_won", "&region=AMER", 1),
    ("rejections", "&reason=other", 3),
    ("escalations", "", 3),
    ("month_close", "&month=2026-07", 9),
    ("license_delivery", "", 3),
    ("license_tickets", "", 0),
    ("discrepancies", "", 0),
    ("first_response", "", 0),
]


@pytest.mark.parametrize(("kpi", "query", "rows"), DRILLS)
def test_each_kpi_drills_down(mgr_client, kpi, query, rows):
    populate(3)

    page = mgr_client.get(f"/kpis/drill/{kpi}/?period=2026-Q3{query}").content.decode()

    assert page.count('data-testid="drill-row"') == rows
    assert f'data-testid="drill-count">{rows}<' in page


def test_specialist_sees_only_their_region_and_reps_are_refused():
    populate(3)
    specialist = client_for(SpecialistFactory(region=region("EMEA")))

    page = specialist.get("/kpis/?period=2026-Q3&region=AMER").content.decode()
    drill = specialist.get("/kpis/drill/closed_won/?period=2026-Q3&region=AMER").content.decode()

    assert "FY26-Q3 · EMEA" in page
    assert 'id="id_region"' not in page
    assert drill.count('data-testid="drill-row"') == 1
    assert client_for(RepFactory()).get("/kpis/").status_code == 403


def test_page_csv_download(mgr_client):
    populate(2)

    response = mgr_client.get("/kpis/export.csv?period=2026-Q3&table=closed_won_by_region")

    assert response["Content-Disposition"] == 'attachment; filename="closed_won_by_region-2026-Q3-all.csv"'
    assert response.content.decode().splitlines() == ["region,count,net_arr", "AMER,1,12000.00", "EMEA,1,12000.00"]
    assert mgr_client.get("/kpis/export.csv?period=bad").status_code == 400


def test_rep_fills_the_survey_once_per_quarter():
    rep = RepFactory(region=region("APAC"))
    client = client_for(rep)

    assert 'name="rating"' in client.get("/kpis/csat/").content.decode()
    response = client.post("/kpis/csat/", {"rating": "neutral", "comment": "ok"})
    again = client.post("/kpis/csat/", {"rating": "poor"})

    assert response.status_code == 302
    assert again.status_code == 400
    assert 'data-testid="csat-answered"' in client.get("/kpis/csat/").content.decode()
    answer = CsatResponse.objects.get(respondent=rep)
    assert (answer.region_id, answer.rating, answer.comment) == ("APAC", "neutral", "ok")
    assert client_for(SpecialistFactory()).get("/kpis/csat/").status_code == 403  # no rating oneself
    manager_page = client_for(ManagerFactory()).get("/kpis/csat/").content.decode()
    assert 'name="region"' in manager_page  # a manager names the region rated
