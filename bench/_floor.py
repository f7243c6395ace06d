"""The hand-written floor: what a careful user would write with httpx alone, no library around it.

Timestamp, HMAC-SHA256 over the query, the API key as a default header of a keep-alive client, the status
checked, the body decoded with `json.loads`: the same request bytes as the client sends
(`recvWindow=5000&timestamp=...&signature=...`), so the simulator does the same work for both.
Only the standard library and httpx are imported here: the memory scenario's floor process loads this.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx

BALANCE_PATH = "/papi/v1/balance"
API_KEY_HEADER = "X-MBX-APIKEY"


def signed_path(secret: bytes, path: str = BALANCE_PATH) -> str:
    """`path` (the balance endpoint by default) with a fresh timestamp and its HMAC-SHA256 signature."""
    query = f"recvWindow=5000&timestamp={time.time_ns() // 1_000_000}"
    signature = hmac.new(secret, query.encode("ascii"), hashlib.sha256).hexdigest()
    return f"{path}?{query}&signature={signature}"


def check(status: int, content: bytes) -> Any:  # noqa: ANN401  (whatever JSON decodes to)
    if status != 200:
        raise RuntimeError(f"HTTP {status}: {content[:200]!r}")
    return json.loads(content)


class FloorClient:
    """Sync floor: one `httpx.Client` (keep-alive), one call of `path` (no parameters) per `call()`."""

    def __init__(self, base_url: str, api_key: str, api_secret: str, path: str = BALANCE_PATH) -> None:
        self._secret = api_secret.encode("utf-8")
        self._path = path
        self._client = httpx.Client(base_url=base_url, headers={API_KEY_HEADER: api_key})

    def call(self) -> Any:  # noqa: ANN401
        response = self._client.get(signed_path(self._secret, self._path))
        return check(response.status_code, response.content)

    def close(self) -> None:
        self._client.close()
