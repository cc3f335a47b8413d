"""Who the client is behind reverse proxies: one rule for DRF's throttles, django-axes' lockouts and the sign-in page.

`DJANGO_TRUSTED_PROXIES` says which `X-Forwarded-For` hop is the client: unset, the TCP peer (`REMOTE_ADDR`) is the
client and the header is ignored (anyone can send it); a number N, the client is the address N hops to the left of
the peer (N proxies of ours each appended who they talked to); CIDRs, the nearest address from the right that is
not one of our proxies.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def parse_trusted_proxies(value: str) -> int | tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """ "" -> 0, "2" -> 2, "10.0.0.0/8, 127.0.0.1" -> the networks. ValueError names what is wrong."""
    value = value.strip()
    if not value:
        return 0
    if value.isdecimal():
        return int(value)
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip())
    except ValueError as exc:
        raise ValueError(f"DJANGO_TRUSTED_PROXIES: a proxy count or comma-separated CIDRs, not {value!r}") from exc


def client_ip(request) -> str | None:
    """The client's address under the DJANGO_TRUSTED_PROXIES rule."""
    peer = request.META.get("REMOTE_ADDR")
    trusted = getattr(settings, "TRUSTED_PROXIES", 0)
    if not trusted or not peer:
        return peer
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    chain = [*forwarded, peer]  # left: the original client, right: our nearest proxy's peer
    if isinstance(trusted, int):
        return chain[max(0, len(chain) - 1 - trusted)]
    for address in reversed(chain):
        try:
            if not any(ipaddress.ip_address(address) in network for network in trusted):
                return address
        except ValueError:  # a malformed hop: nothing to its left can be trusted either
            return address
    return chain[0]
