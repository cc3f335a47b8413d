"""The global search finds cases by number, within what the searcher may see."""

import pytest

from .helpers import open_case

pytestmark = pytest.mark.django_db


def test_case_number_search_finds_the_case_for_its_requester_only(client, opp, other_rep):
    case = open_case(opp)

    client.force_login(opp.owner)
    found = client.get("/search/", {"q": case.number}).content.decode()
    client.force_login(other_rep)
    hidden = client.get("/search/", {"q": case.number}).content.decode()

    assert f'href="/cases/{case.pk}/"' in found
    assert f'href="/cases/{case.pk}/"' not in hidden
