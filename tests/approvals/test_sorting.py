"""Sortable columns on the rep's opportunity list: ?sort=<key> / -<key>, filters kept, export in the same order."""

import re

import pytest

from tests.ordermgmt.factories import AccountFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


def names(html: str) -> list[str]:
    return re.findall(r'data-testid="opportunity-row">\s*<td><a href="[^"]+">([^<]+)</a>', html)


def test_the_list_sorts_by_account_both_ways_and_keeps_the_filters(client, rep):
    for name, account in (("Beta deal", "Zed"), ("Alpha deal", "Mid"), ("Gamma deal", "Abc")):
        OpportunityFactory(owner=rep, name=name, account=AccountFactory(name=account))
    client.force_login(rep)

    up = client.get("/opportunities/", {"sort": "account", "search": "deal"}).content.decode()
    down = client.get("/opportunities/", {"sort": "-account", "search": "deal"}).content.decode()
    bogus = client.get("/opportunities/", {"sort": "password"})

    assert names(up) == ["Gamma deal", "Alpha deal", "Beta deal"]
    assert names(down) == ["Beta deal", "Alpha deal", "Gamma deal"]
    assert 'aria-sort="ascending"' in up
    assert 'href="?sort=-account&amp;search=deal"' in up  # the header toggles and keeps the search
    assert bogus.status_code == 200


def test_the_export_follows_the_sort(client, rep):
    OpportunityFactory(owner=rep, name="B")
    OpportunityFactory(owner=rep, name="A")
    client.force_login(rep)

    body = b"".join(client.get("/opportunities/export.csv", {"sort": "-name"}).streaming_content).decode("utf-8-sig")

    assert [line.split(",")[1] for line in body.splitlines()[1:]] == ["B", "A"]
