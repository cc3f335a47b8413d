"""Ownership races: N people take the same case at once; exactly one wins, the rest get Conflict."""

import threading

import pytest
from django.db import connection

from cases import services
from cases.models import Case
from ordermgmt.exceptions import Conflict
from tests.ordermgmt.factories import OpportunityFactory

from .conftest import member
from .helpers import open_case

THREADS = 6


@pytest.mark.django_db(transaction=True)
def test_concurrent_takes_have_exactly_one_winner():
    case = open_case(OpportunityFactory())
    takers = [member(username=f"dd_race_{i}") for i in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    results: dict[int, str] = {}

    def take(user):
        try:
            barrier.wait()
            services.case_take(case_id=case.pk, actor=user)
            results[user.pk] = "won"
        except Conflict:
            results[user.pk] = "conflict"
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(u,)) for u in takers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    winners = [pk for pk, outcome in results.items() if outcome == "won"]
    assert len(results) == THREADS
    assert len(winners) == 1
    assert sorted(results.values()).count("conflict") == THREADS - 1
    case.refresh_from_db()
    assert case.owner_id == winners[0]
    assert case.events.filter(action="taken").count() == 1
    assert Case.objects.get(pk=case.pk).status == Case.Status.WORK_IN_PROGRESS


@pytest.mark.django_db(transaction=True)
def test_concurrent_takes_through_the_api_answer_one_200_and_409s(live_server):
    import json
    import urllib.error
    import urllib.request

    from ordermgmt.services import api_token_issue

    case = open_case(OpportunityFactory())
    tokens = [api_token_issue(user=member(username=f"dd_http_{i}"))[1] for i in range(4)]
    barrier = threading.Barrier(len(tokens))
    codes: list[int] = []

    def take(token):
        request = urllib.request.Request(
            f"{live_server.url}/api/cases/{case.pk}/take/",
            method="POST",
            data=b"{}",
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                codes.append(response.status)
                json.loads(response.read())
        except urllib.error.HTTPError as exc:
            codes.append(exc.code)

    threads = [threading.Thread(target=take, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(codes) == [200, 409, 409, 409]
