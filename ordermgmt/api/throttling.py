"""DRF throttles keyed on the client as `ordermgmt.network.client_ip` finds it behind our proxies."""

from rest_framework.throttling import ScopedRateThrottle

from ordermgmt.network import client_ip


class ClientScopedRateThrottle(ScopedRateThrottle):
    """DRF's scoped throttle, keyed on `client_ip` (DJANGO_TRUSTED_PROXIES) instead of DRF's NUM_PROXIES reading."""

    def get_ident(self, request):
        return client_ip(request) or ""
