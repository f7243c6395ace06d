"""Defaults in one place; callers override them per client, tests patch them."""

from __future__ import annotations

import httpx

DEFAULT_BASE_URL = "https://papi.binance.com"
# Explicit, finite timeouts: httpx's "wait forever" default is never used.
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# Binance's own default and maximum for recvWindow (ms).
DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60000
API_KEY_HEADER = "X-MBX-APIKEY"
USED_WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"
# The whole call (every attempt, each with its full body, and the waits between them) ends within this (s).
DEFAULT_DEADLINE = 30.0
# A response body (as sent, and once decompressed) larger than this raises ResponseTooLargeError.
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
# The longest URL path and query sent (bytes); beyond it servers and proxies refuse or cut the request line.
MAX_URL_BYTES = 8192
