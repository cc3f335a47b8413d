"""CSV exports of the queue and the opportunity list: the list's own filters, every row, a UTF-8 BOM."""

import csv
import io

import pytest

from approvals import services as approval_services
from ordermgmt.models import Opportunity
from tests.ordermgmt.factories import AccountFactory, OpportunityFactory, ready_opportunity

pytestmark = pytest.mark.django_db


def submitted(owner, **kwargs) -> Opportunity:
    opp = ready_opportunity(owner=owner, **kwargs)
    approval_services.approval_submit(opportunity_id=opp.pk, actor=owner)
    return opp


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_queue_export_follows_the_filters_in_queue_order(client, rep, specialist):
    claimed = submitted(rep, name="Ünïcode deal")
    free = submitted(rep, name="Free deal")
    approval_services.approval_claim(opportunity_id=claimed.pk, actor=specialist)
    client.force_login(specialist)

    everything = client.get("/queue/export.csv")
    mine = read_csv(client.get("/queue/export.csv", {"claimed_by": "me"}))

    assert everything["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="queue-AMER.csv"' in everything["Content-Disposition"]
    rows = read_csv(everything)
    assert rows[0][:3] == ["Position", "Opportunity id", "Opportunity"]
    assert {row[2] for row in rows[1:]} == {claimed.name, free.name}
    assert [row[2] for row in mine[1:]] == ["Ünïcode deal"]
    assert mine[1][-1] == str(specialist)


def test_the_queue_page_links_to_its_export_with_its_filters(client, specialist):
    client.force_login(specialist)
    body = client.get("/queue/", {"claimed_by": "none"}).content.decode()
    assert 'href="/queue/export.csv?claimed_by=none"' in body


def test_opportunity_export_uses_the_filterset_and_shows_only_mine(client, rep, other_rep):
    OpportunityFactory(owner=rep, name="=HYPERLINK(1)", account=AccountFactory(name="Acme"))
    OpportunityFactory(owner=rep, name="Other account deal")
    OpportunityFactory(owner=other_rep, name="Acme someone else's")
    client.force_login(rep)

    rows = read_csv(client.get("/opportunities/export.csv", {"search": "acme"}))

    assert rows[0][:3] == ["Id", "Opportunity", "Account"]
    assert [row[1:3] for row in rows[1:]] == [["'=HYPERLINK(1)", "Acme"]]  # a formula is never run by Excel


def test_specialists_cannot_export_the_rep_list(client, specialist):
    client.force_login(specialist)
    assert client.get("/opportunities/export.csv").status_code == 403
