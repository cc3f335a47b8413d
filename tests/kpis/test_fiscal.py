"""KPI quarters are fiscal quarters: FY27-Q4 (February fiscal year) is 2026-11-01..2027-01-31, written `2027-Q4` or
`FY27-Q4`; the CSAT survey rates the last closed fiscal quarter. Dates computed by hand."""

from datetime import date

import pytest
import time_machine

from kpis import selectors as s
from kpis.models import CsatResponse
from kpis.periods import PeriodError, month, parse_period, quarter
from kpis.services import csat_quarter_default
from ordermgmt.models import Opportunity
from tests.ordermgmt.factories import ManagerFactory, OpportunityFactory, RepFactory, region

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _february_fiscal_year(settings):
    """The product's default (the conftest pins January for the calendar-quarter tests)."""
    settings.FISCAL_YEAR_START_MONTH = 2


@pytest.mark.parametrize("written", ["2027-Q4", "FY27-Q4", "fy27q4", " FY27-Q4 "])
def test_a_quarter_is_a_fiscal_quarter_however_written(written):
    period = parse_period({"period": written})

    assert (period.first, period.last) == (date(2026, 11, 1), date(2027, 1, 31))
    assert (period.key, period.label) == ("2027-Q4", "FY27-Q4")


def test_the_default_period_is_the_current_fiscal_quarter():
    assert parse_period({}, today=date(2026, 12, 5)).key == "2027-Q4"
    assert parse_period({}, today=date(2026, 10, 31)).key == "2027-Q3"


def test_months_and_ranges_touch_fiscal_quarters():
    assert month(2026, 12).quarters() == ["2027-Q4"]
    assert parse_period({"from": "2026-10-15", "to": "2027-02-15"}).quarters() == ["2027-Q3", "2027-Q4", "2028-Q1"]


@pytest.mark.parametrize("bad", ["2026-Q5", "FY27-Q0", "0001-Q1", "0000-01"])
def test_bad_quarters_name_the_period_field(bad):
    with pytest.raises(PeriodError) as exc:
        parse_period({"period": bad})
    assert exc.value.field == "period"


def won(close: date, code: str = "EMEA") -> Opportunity:
    return OpportunityFactory(
        owner=RepFactory(region=region(code)),
        stage=Opportunity.Stage.CLOSED_WON,
        approval_status=Opportunity.ApprovalStatus.CLOSED_WON,
        close_date=close,
    )


def test_closed_won_counts_in_its_fiscal_q4_from_first_to_last_day():
    # given: the first and last day of FY27-Q4 inside, the day before and the day after outside
    for day in (date(2026, 11, 1), date(2027, 1, 31)):
        won(day)
    for day in (date(2026, 10, 31), date(2027, 2, 1)):
        won(day)

    # when
    rows = s.closed_won_by_region(s.Scope(quarter(2027, 4)))

    # then
    assert rows == [{"region": "EMEA", "count": 2, "net_arr": "24000.00"}]


def test_trends_group_by_fiscal_quarter(as_user):
    won(date(2026, 11, 1))
    won(date(2027, 1, 31))  # the same fiscal quarter, another calendar quarter
    won(date(2026, 10, 31))

    trends = s.trends(s.Scope(quarter(2027, 4)))

    assert trends["labels"][-2:] == ["2027-Q3", "2027-Q4"]
    assert trends["closed_won"][-2:] == [1, 2]


def test_kpi_api_takes_a_fiscal_quarter(as_user):
    won(date(2026, 11, 1))
    won(date(2027, 1, 31))
    client = as_user(ManagerFactory())

    answer = client.get("/api/kpis/?period=FY27-Q4").json()

    assert (answer["period"], answer["period_start"], answer["period_end"]) == ("2027-Q4", "2026-11-01", "2027-01-31")
    assert answer["closed_won_by_region"] == [{"region": "EMEA", "count": 2, "net_arr": "24000.00"}]


def test_csat_rates_the_last_closed_fiscal_quarter():
    # 2026-12-05 is in FY27-Q4: the last closed one is FY27-Q3 (2026-08-01..2026-10-31)
    assert csat_quarter_default(today=date(2026, 12, 5)) == "2027-Q3"
    assert csat_quarter_default(today=date(2026, 11, 1)) == "2027-Q3"
    assert csat_quarter_default(today=date(2026, 10, 31)) == "2027-Q2"
    assert csat_quarter_default(today=date(2027, 2, 1)) == "2027-Q4"


@time_machine.travel("2026-12-05 12:00Z", tick=False)
def test_csat_api_takes_a_fiscal_quarter_and_refuses_one_not_started(as_user):
    client = as_user(RepFactory(region=region("APAC")))

    default = client.post("/api/csat/responses/", {"rating": "good"}, format="json")
    named = client.post("/api/csat/responses/", {"quarter": "FY27-Q4", "rating": "good"}, format="json")
    future = client.post("/api/csat/responses/", {"quarter": "FY28-Q1", "rating": "good"}, format="json")

    assert default.status_code == 201, default.json()
    assert default.json()["quarter"] == "2027-Q3"
    assert named.status_code == 201, named.json()
    assert named.json()["quarter"] == "2027-Q4"
    assert future.status_code == 400
    assert "quarter" in future.json()
    assert sorted(CsatResponse.objects.values_list("quarter", flat=True)) == ["2027-Q3", "2027-Q4"]


@time_machine.travel("2026-12-05 12:00Z", tick=False)
def test_the_survey_page_names_the_fiscal_quarter_it_asks_about(client):
    client.force_login(RepFactory(region=region("APAC")))

    page = client.get("/kpis/csat/").content.decode()

    assert "FY27-Q3 (01 Aug 2026 – 31 Oct 2026)" in page
