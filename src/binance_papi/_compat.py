"""The private parts of httpx and aiohttp this client relies on, in one place, each checked before use.

Each shortcut is verified once (at import of this module, or of the aiohttp transport) against the
library's public behaviour; when a library upgrade removes or changes it, the client falls back to the
public path, which is slower but equivalent. `tests/test_compat.py` runs both paths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    import aiohttp

__all__ = ["FAST_URL", "aiohttp_has_replay_switch", "disable_connection_replay", "url_with_query"]


def _fast_url_with_query(url: httpx.URL, query: str) -> httpx.URL:
    # httpx 0.28 keeps a URL as a parsed `_uri_reference` (a NamedTuple); replacing its query skips the
    # re-parse and re-validation of every component that `copy_with` does (about 15 us a call).
    signed = httpx.URL.__new__(httpx.URL)
    signed._uri_reference = url._uri_reference._replace(query=query)  # noqa: SLF001
    return signed


def _fast_url_works() -> bool:
    """Whether the shortcut exists and builds exactly what the public `copy_with` builds."""
    try:
        url = httpx.URL("https://example.invalid:8443/papi/v1/balance?asset=USDT")
        query = "asset=USDT&timestamp=1&signature=ab%2Bcd"
        fast = _fast_url_with_query(url, query)
        public = url.copy_with(query=query.encode("ascii"))
    except (AttributeError, TypeError, ValueError):
        return False
    return fast == public and fast.raw_path == public.raw_path and str(fast) == str(public)


FAST_URL = _fast_url_works()
"""True when httpx's private URL representation is the one the shortcut was written for (httpx 0.28)."""


def url_with_query(url: httpx.URL, query: str) -> httpx.URL:
    """`url` with its query replaced by `query`, which must be made only of bytes httpx keeps as they are."""
    if FAST_URL:
        return _fast_url_with_query(url, query)
    return url.copy_with(query=query.encode("ascii"))


def aiohttp_has_replay_switch() -> bool:
    """Whether aiohttp still has the private switch `disable_connection_replay` sets (aiohttp 3.9 to 3.14)."""
    import aiohttp

    return "_retry_connection" in getattr(aiohttp.ClientSession, "ATTRS", ())


def disable_connection_replay(session: aiohttp.ClientSession) -> None:
    """Stop aiohttp from silently resending a request when a kept-alive connection turns out dropped.

    Below the signing hook such a resend replays a stale signature; the retry policy above it decides
    instead, and re-signs. aiohttp has no public switch. Call only when `aiohttp_has_replay_switch()`; the
    public fallback is a connector with `force_close=True`: no connection is reused, so none is replayed.
    """
    session._retry_connection = False  # noqa: SLF001
