"""The prioritised queue: order, SLA figures per region (hand-computed), filters, keyset pages, query counts."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals import services
from approvals.models import Submission
from tests.ordermgmt.factories import ManagerFactory, RepFactory, SpecialistFactory, ready_opportunity, region

pytestmark = pytest.mark.django_db
PT, LONDON, MANILA = ZoneInfo("America/Los_Angeles"), ZoneInfo("Etc/GMT"), ZoneInfo("Asia/Manila")


def submit(*, at: datetime, rep=None, start=date(2026, 12, 20), net_arr="1000.00", **kwargs):
    rep = rep or RepFactory()
    opp = ready_opportunity(owner=rep, start_date=start, net_arr=Decimal(net_arr), **kwargs)
    with time_machine.travel(at, tick=False):
        services.approval_submit(opportunity_id=opp.pk, actor=rep)
    return opp


def queue(client, query=""):
    response = client.get(f"/api/queue/{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_order_is_escalated_then_start_date_then_net_arr_then_submission(as_user, specialist):
    at = datetime(2026, 12, 1, 9, 0, tzinfo=PT)
    late_start = submit(at=at, start=date(2026, 12, 30))
    small = submit(at=at + timedelta(minutes=1), net_arr="10.00")
    big = submit(at=at + timedelta(minutes=2), net_arr="99999.00")
    same_as_small_later = submit(at=at + timedelta(minutes=3), net_arr="10.00")
    escalated = submit(at=at + timedelta(minutes=4), start=date(2027, 1, 30))
    with time_machine.travel(at + timedelta(minutes=5), tick=False):
        services.approval_escalate(opportunity_id=escalated.pk, actor=escalated.owner, reason="Go-live")
    rows = queue(as_user(specialist))["results"]
    assert [r["opportunity"] for r in rows] == [escalated.pk, big.pk, small.pk, same_as_small_later.pk, late_start.pk]
    assert rows[0]["priority_reason"].startswith("Escalated (Go-live)")
    assert "start date 2026-12-20" in rows[1]["priority_reason"]


@pytest.mark.parametrize(
    ("region_code", "submitted_local", "tz", "due_local", "note"),
    [
        # AMER, Friday 16:45 PT (after the 16:30 cut-off): clock starts Monday 07:00; 10 h Monday + 2 h -> Tue 09:00.
        ("AMER", datetime(2026, 12, 4, 16, 45), PT, datetime(2026, 12, 8, 9, 0), "friday after cut-off"),
        # AMER, Wednesday before Thanksgiving 15:00: 2 h Wed, Thu 26 Nov holiday, 10 h Friday -> Fri 17:00.
        ("AMER", datetime(2026, 11, 25, 15, 0), PT, datetime(2026, 11, 27, 17, 0), "US holiday"),
        # AMER, DST ends Sun 1 Nov: Fri 30 Oct 14:00 PDT: 3 h Fri, 9 h Monday (PST) -> Mon 16:00 PST.
        ("AMER", datetime(2026, 10, 30, 14, 0), PT, datetime(2026, 11, 2, 16, 0), "DST change week"),
        # EMEA, Thu 24 Dec 10:00 GMT: 7 h Thu; 25, 26 (Sat), 28 (Boxing Day substitute) off; 5 h Tue 29 -> 13:00.
        ("EMEA", datetime(2026, 12, 24, 10, 0), LONDON, datetime(2026, 12, 29, 13, 0), "GB bank holidays"),
        # APAC, Mon 30 Nov 2026 is Bonifacio Day: a Saturday submission starts Tue 09:00; 9 h Tue + 3 h Wed.
        ("APAC", datetime(2026, 11, 28, 11, 0), MANILA, datetime(2026, 12, 2, 12, 0), "weekend then PH holiday"),
    ],
)
def test_sla_due_times_hand_computed_per_region(region_code, submitted_local, tz, due_local, note):
    rep = RepFactory(region=region(region_code))
    opp = submit(at=submitted_local.replace(tzinfo=tz), rep=rep)
    submission = Submission.objects.get(opportunity=opp)
    assert submission.sla_due_at == due_local.replace(tzinfo=tz), note


def test_sla_remaining_and_state_move_with_the_clock(as_user, specialist):
    submit(at=datetime(2026, 12, 1, 8, 0, tzinfo=PT))  # due Wed 10:00 PT (9 h Tue + 3 h Wed); at risk from Tue 17:00
    client = as_user(specialist)
    with time_machine.travel(datetime(2026, 12, 1, 12, 0, tzinfo=PT), tick=False):
        row = queue(client)["results"][0]
        assert (row["business_hours_remaining"], row["sla_state"]) == (8.0, "ok")
    with time_machine.travel(datetime(2026, 12, 2, 7, 30, tzinfo=PT), tick=False):
        row = queue(client)["results"][0]
        assert (row["business_hours_remaining"], row["sla_state"]) == (2.5, "at_risk")
        assert [r["sla_state"] for r in queue(client, "?sla_state=at_risk")["results"]] == ["at_risk"]
        assert queue(client, "?sla_state=breached")["results"] == []
    with time_machine.travel(datetime(2026, 12, 2, 11, 0, tzinfo=PT), tick=False):
        row = queue(client)["results"][0]
        assert (row["business_hours_remaining"], row["sla_state"]) == (-1.0, "breached")


def test_claimed_by_and_escalated_filters(as_user, specialist):
    at = datetime(2026, 12, 1, 9, 0, tzinfo=PT)
    mine, other = submit(at=at), submit(at=at)
    services.approval_claim(opportunity_id=mine.pk, actor=specialist)
    client = as_user(specialist)
    assert [r["opportunity"] for r in queue(client, "?claimed_by=me")["results"]] == [mine.pk]
    assert [r["opportunity"] for r in queue(client, "?claimed_by=none")["results"]] == [other.pk]
    assert queue(client, "?escalated=true")["results"] == []
    assert client.get("/api/queue/?claimed_by=somebody").status_code == 400
    # a filter next to pagination parameters is still validated (the backend skips only pagination-only requests)
    response = client.get("/api/queue/?page_size=5&region=MARS")
    assert response.status_code == 400
    assert "region" in response.json()


@pytest.mark.parametrize(
    ("query", "skips_the_filterset"),
    [
        ("region=EMEA", True),
        ("page_size=5&region=EMEA&stage=billing", True),
        ("region=", True),
        ("region=MARS", False),
        ("region=MARS&region=EMEA", True),  # the last value counts, as for the FilterSet's form and the selector
        ("region=EMEA&region=MARS", False),
        ("region=EMEA&claimed_by=me", False),
        ("stage=nope", False),
        ("escalated=true", False),
    ],
)
def test_only_valid_selector_choices_skip_the_filterset(rf, manager, query, skips_the_filterset):
    from approvals.api.views import QueueViewSet
    from ordermgmt.api.filtering import FilterSetBackend

    request = rf.get(f"/api/queue/?{query}")
    assert (
        FilterSetBackend()._only_valid_selector_choices(request.GET, QueueViewSet(), Submission.objects.all())
        is skips_the_filterset
    )


def test_selector_choices_answer_as_the_filterset_would(as_user, manager):
    at = datetime(2026, 12, 1, 9, 0, tzinfo=PT)
    submit(at=at)
    emea = submit(at=at, rep=RepFactory(region=region("EMEA")))
    client = as_user(manager)
    assert [r["opportunity"] for r in queue(client, "?region=MARS&region=EMEA")["results"]] == [emea.pk]
    assert len(queue(client, "?region=")["results"]) == 2
    for bad in ("?region=EMEA&region=MARS", "?stage=nope"):
        response = client.get(f"/api/queue/{bad}")
        assert response.status_code == 400
        fields = [key for key in response.json() if key not in ("code", "errors")]  # the machine-readable extras
        assert fields == [bad.split("&")[-1].strip("?").split("=")[0]]


def test_regions_and_billing_queue(as_user, manager, billing, specialist):
    at = datetime(2026, 12, 1, 9, 0, tzinfo=PT)
    amer = submit(at=at)
    emea = submit(at=at, rep=RepFactory(region=region("EMEA")))
    assert [r["opportunity"] for r in queue(as_user(specialist))["results"]] == [amer.pk]
    assert {r["opportunity"] for r in queue(as_user(manager))["results"]} == {amer.pk, emea.pk}
    assert [r["opportunity"] for r in queue(as_user(manager), "?region=EMEA")["results"]] == [emea.pk]
    assert queue(as_user(billing))["results"] == []
    services.approval_approve(opportunity_id=amer.pk, actor=specialist)
    assert [r["opportunity"] for r in queue(as_user(billing))["results"]] == [amer.pk]
    assert [r["opportunity"] for r in queue(as_user(manager), "?stage=billing")["results"]] == [amer.pk]
    assert queue(as_user(RepFactory()))["results"] == []


def test_keyset_pages_walk_the_whole_queue_in_order_without_repeats(as_user, manager):
    at = datetime(2026, 12, 1, 9, 0, tzinfo=PT)
    for i in range(7):
        submit(at=at + timedelta(minutes=i), net_arr=str(100 * (i % 3)), start=date(2026, 12, 20 + i % 2))
    client = as_user(manager)
    everything = [r["id"] for r in queue(client, "?page_size=200")["results"]]
    walked, url = [], "/api/queue/?page_size=3"
    while url:
        page = client.get(url).json()
        walked += [r["id"] for r in page["results"]]
        url = page["next"]
    assert walked == everything
    assert len(walked) == 7
    assert client.get("/api/queue/?cursor=garbage").status_code == 400


def _queries(client, url):
    from approvals.selectors import region_calendars_clear

    region_calendars_clear()  # count the region calendars' queries in both measurements
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_queue_makes_the_same_number_of_queries_for_5_and_200_items(as_user, manager):
    at = datetime(2026, 12, 1, 9, 0, tzinfo=PT)
    reps = [RepFactory() for _ in range(3)]
    for i in range(5):
        submit(at=at, rep=reps[i % 3])
    client = as_user(manager)
    few = _queries(client, "/api/queue/?page_size=200")
    for i in range(195):
        submit(at=at, rep=reps[i % 3])
    many = _queries(client, "/api/queue/?page_size=200")
    assert few == many
    assert many <= 3  # the page, the region closures prefetch, and nothing per row


def _queue_plan(user) -> str:
    from approvals.selectors import approval_queue

    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        sql, params = approval_queue(user=user).query.sql_with_params()
        cursor.execute("EXPLAIN " + sql + " LIMIT 51", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    return plan


@pytest.mark.parametrize("factory", [SpecialistFactory, ManagerFactory], ids=["one region", "every region"])
def test_queue_order_is_served_by_a_partial_index(factory):
    """A page of the queue walks one of the queue indexes in order: no sort of every waiting item."""
    plan = _queue_plan(factory())
    assert "submission_om_queue_idx" in plan or "submission_om_all_queue_idx" in plan, plan
    assert "Sort" not in plan, plan
