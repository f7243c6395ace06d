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
