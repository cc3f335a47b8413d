"""How a webhook is signed, and the reference check a receiver runs (README, "Webhooks").

`X-OrderMgmt-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the endpoint's secret>`.
The timestamp is part of what is signed, so a captured request cannot be replayed later with a fresh one.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-OrderMgmt-Signature"
EVENT_ID_HEADER = "X-OrderMgmt-Event-Id"
EVENT_TYPE_HEADER = "X-OrderMgmt-Event-Type"
ATTEMPT_HEADER = "X-OrderMgmt-Delivery-Attempt"
TOLERANCE_SECONDS = 300


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<body>`."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret=secret, timestamp=timestamp, body=body)}"


def verify(*, secret: str, header: str, body: bytes, now: float | None = None, tolerance: int = TOLERANCE_SECONDS):
    """True when `header` signs `body` with `secret` and its timestamp is within `tolerance` seconds of `now`.

    Compares in constant time; accepts any of several `v1=` values (a receiver may see two during a rotation).
    """
    parts = [item.partition("=") for item in header.split(",")]
    timestamps = [value for key, _, value in parts if key.strip() == "t"]
    candidates = [value.strip() for key, _, value in parts if key.strip() == "v1"]
    if len(timestamps) != 1 or not timestamps[0].strip().isdecimal() or not candidates:
        return False
    timestamp = int(timestamps[0])
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret=secret, timestamp=timestamp, body=body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
