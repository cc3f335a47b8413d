"""Global search: opportunity name, account name, quote number and case number, each within the searcher's scope."""

import pytest
from playwright.sync_api import expect

from tests.ordermgmt.factories import (
    AccountFactory,
    OpportunityFactory,
    QuoteFactory,
    RepFactory,
    SpecialistFactory,
    region,
)


def _rows(response, kind: str) -> str:
    body = response.content.decode()
    return body[body.index(f'data-testid="search-{kind}s"') :]


@pytest.mark.django_db
def test_a_rep_finds_own_deals_by_name_account_and_quote_number_and_nobody_elses(client, rep, other_rep):
    mine = OpportunityFactory(owner=rep, name="Globex expansion", account=AccountFactory(name="Initech"))
    QuoteFactory(opportunity=mine, number="Q-777001")
    OpportunityFactory(owner=other_rep, name="Globex renewal")
    client.force_login(rep)

    by_name, by_account, by_quote = (client.get("/search/", {"q": q}) for q in ("globex", "initech", "777001"))

    for response in (by_name, by_account, by_quote):
        assert "Globex expansion" in _rows(response, "opportunitie")
    assert "Globex renewal" not in by_name.content.decode()


@pytest.mark.django_db
def test_a_one_letter_search_asks_for_more_and_anonymous_users_sign_in(client, rep):
    assert client.get("/search/", {"q": "g"}).status_code == 302
    client.force_login(rep)
    assert "Type at least two characters." in client.get("/search/", {"q": "g"}).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_specialist_searches_from_the_navbar_and_finds_only_their_regions_deal(browser_as, screenshot):
    # given: two deals named alike, one in AMER (the specialist's region) and one in EMEA
    amer = OpportunityFactory(owner=RepFactory(), name="Umbrella AMER deal")
    emea_rep = RepFactory(region=region("EMEA"))
    OpportunityFactory(owner=emea_rep, name="Umbrella EMEA deal", account=AccountFactory(region=region("EMEA")))
    page = browser_as(SpecialistFactory())
    page.goto("/queue/")

    # when: they search from the navbar
    page.get_by_test_id("nav-search").fill("umbrella")
    page.get_by_test_id("nav-search").press("Enter")

    # then: their region's deal, and not the other region's
    expect(page.get_by_test_id("search-opportunity")).to_have_count(1)
    expect(page.get_by_test_id("search-opportunity")).to_contain_text(amer.name)
    expect(page.get_by_text("Umbrella EMEA deal")).to_have_count(0)
    screenshot(page, "search")
