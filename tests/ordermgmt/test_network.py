"""Who the client is behind our proxies (DJANGO_TRUSTED_PROXIES), for throttles and lockouts alike."""

import ipaddress

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory

from ordermgmt.network import client_ip, parse_trusted_proxies
from tests.ordermgmt.factories import PASSWORD, RepFactory


def ip(settings, trusted: str, forwarded: str, peer: str = "10.0.0.5") -> str:
    settings.TRUSTED_PROXIES = parse_trusted_proxies(trusted)
    request = RequestFactory().get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    return client_ip(request)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    assert ip(settings, "", "6.6.6.6") == "10.0.0.5"


def test_a_proxy_count_takes_the_hop_that_many_to_the_left_of_the_peer(settings):
    assert ip(settings, "1", "203.0.113.7") == "203.0.113.7"
    # a client that forges the header only adds hops to the left: the count still finds the real one
    assert ip(settings, "1", "6.6.6.6, 203.0.113.7") == "203.0.113.7"
    assert ip(settings, "2", "6.6.6.6, 203.0.113.7, 10.0.0.9") == "203.0.113.7"
    assert ip(settings, "3", "203.0.113.7") == "203.0.113.7"  # fewer hops than proxies: the leftmost


def test_trusted_cidrs_skip_our_proxies_from_the_right(settings):
    assert ip(settings, "10.0.0.0/8", "6.6.6.6, 203.0.113.7, 10.1.2.3") == "203.0.113.7"
    assert ip(settings, "10.0.0.0/8", "6.6.6.6", peer="198.51.100.1") == "198.51.100.1"  # not via our proxy
    assert ip(settings, "10.0.0.0/8, ::1/128", "not-an-ip, 10.1.1.1") == "not-an-ip"


def test_the_setting_is_parsed_strictly():
    assert parse_trusted_proxies("") == 0
    assert parse_trusted_proxies("2") == 2
    assert parse_trusted_proxies("10.0.0.0/8,127.0.0.1") == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("127.0.0.1/32"),
    )
    with pytest.raises(ValueError, match="DJANGO_TRUSTED_PROXIES"):
        parse_trusted_proxies("a proxy")


@pytest.mark.django_db
def test_the_sign_in_page_is_throttled_per_client_behind_the_proxy(settings):
    from rest_framework.throttling import SimpleRateThrottle

    settings.TRUSTED_PROXIES = 1
    rates = SimpleRateThrottle.THROTTLE_RATES  # read once by DRF at import: swap it for the test
    SimpleRateThrottle.THROTTLE_RATES = {"login": "3/min"}
    cache.clear()
    RepFactory(username="someone")
    attacker, colleague = Client(HTTP_X_FORWARDED_FOR="203.0.113.7"), Client(HTTP_X_FORWARDED_FOR="198.51.100.2")
    try:
        codes = [attacker.post("/login/", {"username": f"guess{i}", "password": "x"}).status_code for i in range(4)]
        assert codes == [200, 200, 200, 429]
        # another client behind the same proxy is not throttled, and signs in
        response = colleague.post("/login/", {"username": "someone", "password": PASSWORD})
        assert response.status_code == 302
    finally:
        SimpleRateThrottle.THROTTLE_RATES = rates
        cache.clear()


@pytest.mark.django_db
def test_an_attacker_locks_a_username_only_from_their_own_address(settings):
    settings.TRUSTED_PROXIES = 1
    cache.clear()
    RepFactory(username="target")
    attacker, owner = Client(HTTP_X_FORWARDED_FOR="203.0.113.7"), Client(HTTP_X_FORWARDED_FOR="198.51.100.2")
    try:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            attacker.post("/login/", {"username": "target", "password": "wrong"})
        assert attacker.post("/login/", {"username": "target", "password": PASSWORD}).status_code == 429
        assert owner.post("/login/", {"username": "target", "password": PASSWORD}).status_code == 302
    finally:
        cache.clear()
