"""Every KPI on small hand-built data sets whose answers are written here, at period and region boundaries."""

from datetime import UTC, date, datetime, timedelta

import pytest

from kpis import selectors as s
from kpis.models import CsatResponse
from kpis.periods import Period, month, quarter
from licenses.models import LicenseTicket
from ordermgmt.models import Opportunity
from subscriptions.models import Discrepancy, ReconciliationRun
from tests.ordermgmt.factories import OpportunityFactory, RepFactory, SpecialistFactory, region

from .conftest import at, case, submission

pytestmark = pytest.mark.django_db

# Calendar Q3 2026 (the conftest makes the fiscal year start in January); written out, as it is built at import.
Q3 = Period(date(2026, 7, 1), date(2026, 9, 30), "2026-Q3", "FY26-Q3")


def scope(period=Q3, **kw) -> s.Scope:
    return s.Scope(period, **kw)


@pytest.fixture
def emea_rep():
    return RepFactory(username="kpi_rep_emea", region=region("EMEA"), first_name="Erin", last_name="Emea")


@pytest.fixture
def amer_rep():
    return RepFactory(username="kpi_rep_amer", first_name="Al", last_name="Amer")


# --- approval SLA --------------------------------------------------------------------------------------------------


@pytest.fixture
def sla_data(emea_rep, amer_rep):
    spec = SpecialistFactory(username="kpi_spec_emea", region=region("EMEA"))
    # In Q3 2026, EMEA: 2, 5, 12 (exactly the SLA: met), 12.5, 30 business hours -> 3 of 5 met.
    submission(owner=emea_rep, om_at="2026-07-01 00:00", om_hours="2", om_by=spec)  # first instant of Q3
    submission(owner=emea_rep, om_at="2026-08-10 10:00", om_hours="5", om_by=spec)
    submission(owner=emea_rep, om_at="2026-08-11 10:00", om_hours="12", om_by=spec)
    submission(owner=emea_rep, om_at="2026-09-01 10:00", om_hours="12.5")
    submission(owner=emea_rep, om_at="2026-09-30 23:59:59", om_hours="30")  # last second of Q3
    # Outside Q3 (one second either side) and another region.
    submission(owner=emea_rep, om_at="2026-06-30 23:59:59", om_hours="1")
    submission(owner=emea_rep, om_at="2026-10-01 00:00", om_hours="1")
    submission(owner=amer_rep, om_at="2026-08-15 10:00", om_hours="40")
    # Not decided yet: not part of the SLA.
    submission(owner=emea_rep)
    return spec


def test_approval_sla_share_median_and_p90_for_a_region(sla_data):
    result = s.approval_sla(scope(region="EMEA"))

    assert result == {"pct": 60.0, "decided": 5, "met": 3, "median": 12.0, "p90": 23.0, "with_rep": 0.0}


def test_approval_sla_all_regions_includes_the_other_region(sla_data):
    result = s.approval_sla(scope())

    # 3 of 6; hours 2, 5, 12, 12.5, 30, 40: median (12 + 12.5) / 2, p90 at 0.9 * 5 = 4.5 -> 30 + 0.5 * 10.
    assert result == {"pct": 50.0, "decided": 6, "met": 3, "median": 12.25, "p90": 35.0, "with_rep": 0.0}


def test_approval_sla_for_one_specialist_and_per_region_and_person(sla_data):
    assert s.approval_sla(scope(person=sla_data.pk))["pct"] == 100.0
    assert s.approval_sla_by_region(scope()) == [
        {"region": "AMER", "decided": 1, "met": 0, "pct": 0.0},
        {"region": "EMEA", "decided": 5, "met": 3, "pct": 60.0},
    ]
    first = s.approval_sla_by_person(scope())[0]
    assert (first["person_id"], first["decided"], first["pct"]) == (sla_data.pk, 3, 100.0)


def test_approval_sla_of_an_empty_period_is_no_data(sla_data):
    empty = {"pct": None, "decided": 0, "met": 0, "median": None, "p90": None, "with_rep": None}
    assert s.approval_sla(scope(quarter(2025, 1))) == empty


def test_approval_sla_in_a_month_period(sla_data):
    result = s.approval_sla(scope(month(2026, 8), region="EMEA"))

    assert (result["decided"], result["met"], result["pct"]) == (2, 2, 100.0)


# --- approval accuracy -----------------------------------------------------------------------------------------------


def test_approval_accuracy_counts_billing_decisions_in_the_period(emea_rep, amer_rep):
    # 8 Billing decisions in Q3 in EMEA, 1 rejected -> 87.5%: missed by less than 10% of 95 -> yellow.
    for day in range(1, 8):
        submission(owner=emea_rep, om_at=f"2026-07-0{day} 09:00", om_hours="3", billing_at=f"2026-07-0{day} 15:00")
    submission(owner=emea_rep, om_at="2026-09-29 09:00", om_hours="3", billing_at="2026-09-30 23:59:59",
               billing_outcome="rejected", billing_reasons=["primary_quote_approved"])  # fmt: skip
    # OM approved in Q3 but Billing decided in Q4: not in Q3's accuracy. AMER: other region.
    submission(owner=emea_rep, om_at="2026-09-30 09:00", om_hours="3", billing_at="2026-10-01 00:00",
               billing_outcome="rejected")  # fmt: skip
    submission(owner=amer_rep, om_at="2026-08-01 09:00", om_hours="3", billing_at="2026-08-02 09:00",
               billing_outcome="rejected")  # fmt: skip

    result = s.approval_accuracy(scope(region="EMEA"))

    assert result == {"pct": 87.5, "decided": 8, "approved": 7, "rejected": 1, "corrected": 0}
    assert s.health("approval_accuracy_pct", result["pct"]) == "yellow"
    assert s.approval_accuracy(scope())["pct"] == 77.78  # 7 of 9
    assert s.approval_accuracy(scope(quarter(2026, 4)))["pct"] == 0.0
    assert s.approval_accuracy(scope(quarter(2026, 2)))["pct"] is None


# --- CSAT ------------------------------------------------------------------------------------------------------------


def _answers(region_code, quarter_key, ratings):
    CsatResponse.objects.bulk_create(
        CsatResponse(region_id=region_code, quarter=quarter_key, rating=rating) for rating in ratings
    )


def test_csat_ten_answers_six_positive_is_sixty_percent():
    _answers("EMEA", "2026-Q3", ["excellent", "good", "good", "neutral", "neutral", "excellent"] + ["poor"] * 3
             + ["very_poor"])  # fmt: skip
    _answers("EMEA", "2026-Q2", ["very_poor"] * 5)  # another quarter
    _answers("AMER", "2026-Q3", ["poor"] * 5)  # another region

    assert s.csat(scope(region="EMEA")) == {"pct": 60.0, "responses": 10, "positive": 6}
    assert s.health("csat_pct", 60.0) == "red"


def test_csat_handbook_34_of_37_is_91_89_percent_and_yellow():
    _answers("APAC", "2026-Q3", ["excellent"] * 20 + ["good"] * 10 + ["neutral"] * 4 + ["poor"] * 2 + ["very_poor"])

    result = s.csat(scope(region="APAC"))

    assert result == {"pct": 91.89, "responses": 37, "positive": 34}
    assert s.health("csat_pct", result["pct"]) == "yellow"
    assert s.csat_by_region(scope()) == [{"region": "APAC", "responses": 37, "positive": 34, "pct": 91.89}]


def test_csat_for_a_month_uses_its_quarter_and_empty_is_no_data():
    _answers("AMER", "2026-Q3", ["good", "poor"])

    assert s.csat(scope(month(2026, 9)))["pct"] == 50.0
    assert s.csat(scope(month(2026, 10))) == {"pct": None, "responses": 0, "positive": 0}


# --- first response --------------------------------------------------------------------------------------------------


def test_average_first_response_per_team_and_request_type():
    owner = RepFactory(role="deal_desk", region=None)
    case(owner=owner, responded="2026-07-01 00:00", hours=4.0, request_type="basic_quote_assistance")
    case(owner=owner, responded="2026-09-30 23:59:59", hours=8.0, request_type="basic_quote_assistance")
    case(owner=owner, responded="2026-08-01 10:00", hours=9.0, team="renewal_ops")
    case(owner=owner, responded="2026-10-01 00:00", hours=100.0)  # Q4
    case(owner=owner, responded="2026-08-01 10:00", hours=50.0, region=region("EMEA"))

    assert s.first_response(scope(region="AMER", team="deal_desk")) == {"avg": 6.0, "cases": 2}
    assert s.health("avg_first_response_business_hours", 6.0) == "green"
    assert s.health("avg_first_response_business_hours", 6.6) == "yellow"
    assert s.health("avg_first_response_business_hours", 6.61) == "red"
    assert s.first_response(scope(region="AMER")) == {"avg": 7.0, "cases": 3}
    rows = s.first_response_by_team(scope(region="AMER"))
    assert [(r["team"], r["request_type"], r["cases"], r["avg"], r["target"], r["met_pct"]) for r in rows] == [
        ("deal_desk", "basic_quote_assistance", 2, 6.0, 6.0, 50.0),
        ("renewal_ops", "renewal_fix", 1, 9.0, 8.0, 0.0),
    ]
    assert s.first_response(scope(quarter(2026, 1))) == {"avg": None, "cases": 0}


# --- closed won -------------------------------------------------------------------------------------------------------


def test_closed_won_per_region_and_member_by_close_date(emea_rep, amer_rep):
    won = Opportunity.Stage.CLOSED_WON
    for close in (date(2026, 7, 1), date(2026, 9, 30), date(2026, 8, 15)):
        OpportunityFactory(owner=emea_rep, stage=won, close_date=close, net_arr=1000)
    OpportunityFactory(owner=amer_rep, stage=won, close_date=date(2026, 8, 1), net_arr=500)
    OpportunityFactory(owner=amer_rep, stage=won, close_date=date(2026, 10, 1))  # Q4
    OpportunityFactory(owner=amer_rep, stage=Opportunity.Stage.CLOSING, close_date=date(2026, 8, 1))  # not won

    assert s.closed_won_by_region(scope()) == [
        {"region": "AMER", "count": 1, "net_arr": "500.00"},
        {"region": "EMEA", "count": 3, "net_arr": "3000.00"},
    ]
    members = s.closed_won_by_member(scope())
    assert [(m["name"], m["region"], m["count"]) for m in members] == [("Erin Emea", "EMEA", 3), ("Al Amer", "AMER", 1)]
    assert s.closed_won_by_region(scope(region="EMEA", person=amer_rep.pk)) == []


# --- rejections -------------------------------------------------------------------------------------------------------


def test_rejections_by_reason_region_and_rep(emea_rep, amer_rep):
    submission(owner=emea_rep, om_at="2026-07-02 10:00", om_hours="2", om_outcome="rejected",
               om_reasons=["primary_quote_approved", "competitors"])  # fmt: skip
    submission(owner=emea_rep, om_at="2026-07-03 10:00", om_hours="2", om_outcome="rejected",
               om_reasons=["primary_quote_approved"])  # fmt: skip
    submission(owner=amer_rep, om_at="2026-08-03 10:00", om_hours="2", billing_at="2026-08-04 10:00",
               billing_outcome="rejected", billing_reasons=["other"])  # fmt: skip
    submission(owner=amer_rep, om_at="2026-06-03 10:00", om_hours="2", om_outcome="rejected",
               om_reasons=["primary_quote_approved"])  # Q2  # fmt: skip

    reasons = s.rejections_by_reason(scope())
    assert [(r["reason"], r["count"], r["share_pct"]) for r in reasons] == [
        ("primary_quote_approved", 2, 66.67),
        ("competitors", 1, 33.33),
        ("other", 1, 33.33),
    ]
    assert reasons[0]["label"] == "A primary quote that is approved"
    assert s.rejections_by_region(scope()) == [
        {"region": "AMER", "decisions": 2, "rejected": 1, "share_pct": 50.0},
        {"region": "EMEA", "decisions": 2, "rejected": 2, "share_pct": 100.0},
    ]
    reps = s.rejections_by_rep(scope(region="EMEA"))
    assert [(r["person_id"], r["rejected"], r["share_pct"]) for r in reps] == [(emea_rep.pk, 2, 100.0)]
    assert s.rejections_by_reason(scope(quarter(2025, 3))) == []


# --- escalations ------------------------------------------------------------------------------------------------------


def test_escalations_per_rep_and_region(emea_rep, amer_rep):
    submission(owner=emea_rep, escalated_at="2026-07-01 00:00")
    submission(owner=emea_rep, escalated_at="2026-09-30 12:00", queue_region="AMER")  # handed to AMER
    submission(owner=amer_rep, escalated_at="2026-08-01 12:00")
    submission(owner=amer_rep, escalated_at="2026-10-01 00:00")  # Q4

    assert [(r["name"], r["region"], r["count"]) for r in s.escalations_by_rep(scope())] == [
        ("Erin Emea", "EMEA", 2),
        ("Al Amer", "AMER", 1),
    ]
    assert s.escalations_by_region(scope(region="EMEA")) == [{"region": "EMEA", "count": 2}]


# --- speed to month close ---------------------------------------------------------------------------------------------


def test_speed_to_month_close(emea_rep):
    # July: the last July submission is decided on 4 August -> 4 days.
    submission(owner=emea_rep, submitted="2026-07-01 00:00", om_at="2026-07-02 10:00", om_hours="3")
    submission(owner=emea_rep, submitted="2026-07-31 23:00", om_at="2026-08-04 10:00", om_hours="9")
    # August: one still waiting -> not closed.
    submission(owner=emea_rep, submitted="2026-08-05 10:00", om_at="2026-08-06 10:00", om_hours="3")
    submission(owner=emea_rep, submitted="2026-08-31 10:00")
    # September: all decided within the month -> 0; a recalled one does not hold the month open.
    submission(owner=emea_rep, submitted="2026-09-10 10:00", om_at="2026-09-29 10:00", om_hours="3")
    submission(owner=emea_rep, submitted="2026-09-11 10:00", state="recalled")

    result = s.speed_to_month_close(scope(), today=date(2026, 11, 1))

    assert result == {
        "days": 2.0,
        "months": [
            {"month": "2026-07", "submitted": 2, "open": 0, "days": 4},
            {"month": "2026-08", "submitted": 2, "open": 1, "days": None},
            {"month": "2026-09", "submitted": 1, "open": 0, "days": 0},
        ],
    }
    # A month that has not ended yet has no figure either.
    assert s.speed_to_month_close(scope(month(2026, 9)), today=date(2026, 9, 30))["days"] is None
    assert s.speed_to_month_close(scope(quarter(2025, 1))) == {"days": None, "months": []}


# --- license delivery -------------------------------------------------------------------------------------------------


def test_license_delivery_automatic_share_and_failures(amer_rep):
    won, saas = Opportunity.Stage.CLOSED_WON, Opportunity.Deployment.SAAS
    auto1 = OpportunityFactory(
        owner=amer_rep, stage=won, close_date=date(2026, 7, 5), license_delivery_date=date(2026, 7, 6)
    )
    OpportunityFactory(owner=amer_rep, stage=won, close_date=date(2026, 8, 5), license_delivery_date=date(2026, 8, 5))
    by_hand = OpportunityFactory(
        owner=amer_rep, stage=won, close_date=date(2026, 8, 6), license_delivery_date=date(2026, 8, 9)
    )
    missing = OpportunityFactory(owner=amer_rep, stage=won, close_date=date(2026, 9, 6))
    OpportunityFactory(owner=amer_rep, stage=won, close_date=date(2026, 9, 6), deployment=saas)  # not eligible
    for opp, reason in ((by_hand, "no_delivery"), (missing, "no_delivery"), (missing, "wrong_recipient")):
        LicenseTicket.objects.create(opportunity=opp, region_id="AMER", route_to_market="direct", reason=reason,
                                     status="delivered", closed_at=datetime(2026, 9, 1, tzinfo=UTC))  # fmt: skip

    result = s.license_delivery(scope())

    assert result["automatic_pct"] == 50.0
    assert (result["eligible"], result["automatic"]) == (4, 2)
    # Tickets are counted by when they were opened (now), not in Q3 2026's window unless created then.
    assert auto1.pk in set(
        s.license_eligible_opportunities(scope()).filter(has_ticket=False).values_list("pk", flat=True)
    )
    today = datetime.now(UTC).date()
    now_scope = scope(Period(today - timedelta(days=1), today, "custom", "today"))
    failures = s.license_delivery(now_scope)
    assert failures["tickets"] == 3
    assert [(f["reason"], f["count"]) for f in failures["failures_by_reason"]] == [
        ("no_delivery", 2),
        ("wrong_recipient", 1),
    ]
    assert s.license_delivery(scope(quarter(2025, 1)))["automatic_pct"] is None


# --- reconciliation health --------------------------------------------------------------------------------------------


def test_open_discrepancies_by_kind_and_age(amer_rep):
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    run = ReconciliationRun.objects.create(kind="bookings", as_of=date(2026, 11, 1))
    emea_opp = OpportunityFactory(owner=RepFactory(region=region("EMEA")))
    rows = [
        ("net_arr_mismatch", 3, "open", None),
        ("net_arr_mismatch", 7, "open", None),  # 7 days: still the first bucket
        ("net_arr_mismatch", 8, "open", None),
        ("net_arr_mismatch", 100, "open", None),
        ("multiple_invoices", 40, "open", None),
        ("multiple_invoices", 40, "fixed", None),  # not open
        ("multiple_invoices", 2, "open", emea_opp),
    ]
    for i, (kind, age, status, opp) in enumerate(rows):
        seen = now - timedelta(days=age)
        opp = opp or OpportunityFactory(owner=amer_rep)
        Discrepancy.objects.create(key=f"k{i}", kind=kind, status=status, run=run, first_run=run, first_seen_at=seen,
                                   last_seen_at=seen, opportunity=opp)  # fmt: skip

    result = s.discrepancies_open(scope(region="AMER"), now=now)

    assert [(r["kind"], r["total"], r["0-7"], r["8-30"], r["31-90"], r["90+"]) for r in result] == [
        ("multiple_invoices", 1, 0, 0, 1, 0),
        ("net_arr_mismatch", 4, 2, 1, 0, 1),
    ]
    assert sum(r["total"] for r in s.discrepancies_open(scope(), now=now)) == 6


# --- the whole summary and trends -------------------------------------------------------------------------------------


def test_summary_of_an_empty_period_answers_no_data_everywhere():
    summary = s.kpi_summary(scope(quarter(2024, 1)))

    for key in ("approval_sla_pct", "median_decision_business_hours", "p90_decision_business_hours",
                "approval_accuracy_pct", "csat_pct", "avg_first_response_business_hours",
                "speed_to_month_close_days", "license_automatic_pct"):  # fmt: skip
        assert summary[key] is None, key
    assert summary["closed_won_by_region"] == []
    assert summary["rejections_by_reason"] == []
    assert set(summary["health"].values()) == {"grey"}


def test_trends_cover_eight_quarters_with_gaps_as_none(emea_rep):
    submission(owner=emea_rep, om_at="2026-08-10 10:00", om_hours="5", billing_at="2026-08-11 10:00")
    submission(owner=emea_rep, om_at="2025-01-10 10:00", om_hours="20")
    OpportunityFactory(owner=emea_rep, stage=Opportunity.Stage.CLOSED_WON, close_date=date(2026, 9, 30))
    _answers("EMEA", "2026-Q2", ["good", "poor"])

    result = s.trends(scope())

    assert result["labels"] == ["2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    assert result["approval_sla_pct"] == [None, 0.0, None, None, None, None, None, 100.0]
    assert result["approval_accuracy_pct"][-1] == 100.0
    assert result["csat_pct"][-2:] == [50.0, None]
    assert result["closed_won"][-1] == 1
    assert result["closed_won"][0] == 0


@pytest.mark.parametrize(
    ("key", "value", "colour"),
    [
        ("approval_sla_pct", 100.0, "green"),
        ("approval_sla_pct", 90.0, "yellow"),
        ("approval_sla_pct", 89.99, "red"),
        ("approval_accuracy_pct", 95.64, "green"),
        ("approval_accuracy_pct", 94.73, "yellow"),
        ("csat_pct", None, "grey"),
        ("speed_to_month_close_days", 3.0, "grey"),  # no target
    ],
)
def test_health_colours(key, value, colour):
    assert s.health(key, value) == colour


def test_timestamps_are_read_in_utc_at_the_quarter_edge(emea_rep):
    submission(owner=emea_rep, om_at="2026-09-30 23:30", om_hours="1")
    assert s.approval_sla(scope(quarter(2026, 4)))["decided"] == 0
    assert s.approval_sla(scope())["decided"] == 1
    assert at("2026-10-01 00:00") == Q3.end
