"""The private parts of httpx and aiohttp this client relies on, in one place, each checked before use.

Each shortcut is verified once (at import of this module, or of the aiohttp transport) against the
library's public behaviour; when a library upgrade removes or changes it, the client falls back to the
public path, which is slower but equivalent. `tests/test_compat.py` runs both paths.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterable

    import aiohttp
    import httpcore

__all__ = [
    "FAST_URL",
    "aiohttp_has_replay_switch",
    "content_if_read",
    "deadline_scope",
    "disable_connection_replay",
    "joined_url",
    "sync_transport_with_deadlines",
    "url_with_query",
    "with_content",
]


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


def joined_url(client: httpx.Client | httpx.AsyncClient, path: str) -> httpx.URL | None:
    """`path` joined to the client's base_url exactly as httpx's `build_request` joins it, or None.

    httpx does it in the private `_merge_url`; without it (a later httpx), None: the caller then gives httpx
    the path, which joins it itself on every request (slower, the same URL).
    """
    merge = getattr(client, "_merge_url", None)
    if merge is None:
        return None
    joined: httpx.URL = merge(path)
    return joined


def _set_content_works() -> bool:
    """Whether a streamed response takes its body through `_content`, as `Response.read()` stores it."""
    response = httpx.Response(200, stream=httpx.ByteStream(b""))
    try:
        response._content = b"x"  # noqa: SLF001
        works = response.content == b"x" and response.text == "x"
    except (AttributeError, TypeError, httpx.ResponseNotRead):
        return False
    return works


_SET_CONTENT = _set_content_works()


def content_if_read(response: httpx.Response) -> bytes | None:
    """The body of a response a transport returned read already (httpx.MockTransport does), else None."""
    if _SET_CONTENT:
        content: bytes | None = getattr(response, "_content", None)
        return content
    try:
        return response.content
    except httpx.ResponseNotRead:
        return None


def with_content(response: httpx.Response, content: bytes) -> httpx.Response:
    """`response` (closed, read by the caller) holding the decoded body `content`, as `read()` would leave it.

    The fallback builds a new response without Content-Encoding (the body is already decoded).
    """
    if _SET_CONTENT:
        response._content = content  # noqa: SLF001
        return response
    dropped = ("content-encoding", "content-length")
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in dropped]
    return httpx.Response(
        response.status_code, headers=headers, content=content, request=response.request, extensions=response.extensions
    )


# The deadline of the call running on this thread (time.monotonic()), read by the sync transport's sockets.
_deadline = threading.local()


class deadline_scope:  # noqa: N801  (used as a function-like context manager)
    """Within it, every socket operation of the sync transport ends by `deadline` (time.monotonic())."""

    __slots__ = ("_deadline", "_previous")

    def __init__(self, deadline: float) -> None:
        self._deadline = deadline

    def __enter__(self) -> None:
        self._previous = getattr(_deadline, "value", None)
        _deadline.value = self._deadline

    def __exit__(self, *exc: object) -> None:
        _deadline.value = self._previous


def _clip(timeout: float | None) -> float | None:
    deadline: float | None = getattr(_deadline, "value", None)
    if deadline is None:
        return timeout
    remaining = max(deadline - time.monotonic(), 0.001)
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream:
    """A httpcore network stream whose every read, write and TLS step ends by the thread's deadline.

    httpx's read timeout is per read: a server sending the headers or body a byte at a time keeps a call
    waiting indefinitely. Clipping each socket operation to the call's deadline bounds the whole call.
    It wraps the stream the pool's own backend made (httpcore's streams are duck-typed), so `import binance_papi`
    does not load httpcore: httpx imports it when the first transport is built.
    """

    __slots__ = ("_stream",)

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _clip(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _clip(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> _DeadlineStream:
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, _clip(timeout)))

    def get_extra_info(self, info: str) -> Any:  # noqa: ANN401
        return self._stream.get_extra_info(info)


class _DeadlineBackend:
    """A httpcore sync network backend whose connections are `_DeadlineStream`s (wraps the pool's backend)."""

    __slots__ = ("_backend",)

    def __init__(self, backend: httpcore.SyncBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> _DeadlineStream:
        return _DeadlineStream(self._backend.connect_tcp(host, port, _clip(timeout), local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
    ) -> _DeadlineStream:
        return _DeadlineStream(self._backend.connect_unix_socket(path, _clip(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def sync_transport_with_deadlines(**kwargs: Any) -> httpx.HTTPTransport:  # noqa: ANN401
    """The sync httpx transport, its sockets bounded by `deadline_scope`.

    httpcore's pool keeps its network backend in `_network_backend`; without it, this is the plain transport,
    and only the reads between body chunks are bounded by the deadline.
    """
    transport = httpx.HTTPTransport(**kwargs)
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if pool is not None and backend is not None:
        pool._network_backend = _DeadlineBackend(backend)  # noqa: SLF001
    return transport
