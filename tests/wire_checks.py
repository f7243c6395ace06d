"""Checks on what the simulator recorded, made here independently of the client (shared by test modules)."""

from __future__ import annotations

import hashlib
import hmac

import httpx

from binance_papi.simulator import DEMO_API_SECRET, RecordedRequest


def signature_is_valid(record: RecordedRequest) -> bool:
    """HMAC-SHA256 (demo secret) of the raw query before `&signature=`, which must be the last parameter."""
    payload, sep, signature = record.raw_query.rpartition("&signature=")
    if not sep or "&" in signature:
        return False
    expected = hmac.new(DEMO_API_SECRET.encode(), payload.encode("ascii"), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def as_sent(request: httpx.Request) -> httpx.Request:
    """A copy of a request as a transport is handed it: the client scrubs the original once it was sent
    (unsigned URL, masked API key), so a recording transport keeps this copy."""
    return httpx.Request(request.method, request.url, headers=request.headers.copy(), extensions=request.extensions)
