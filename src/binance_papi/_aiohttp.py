"""An httpx async transport on aiohttp: the async client's default carrier.

Why not httpx's own: its async pool collapses with many requests in flight (about 1/15 of aiohttp's
throughput with 32 in flight here). Why not the httpx-aiohttp package: it hands aiohttp `str(request.url)`,
which yarl re-quotes (`%2F` becomes `/`, `%41` becomes `A`), so Binance would see other bytes than were
signed; and it keeps aiohttp's silent resend of an idempotent request after a dropped keep-alive
connection, which replays the same signature below the signing hook. This transport sends the URL as
encoded (`encoded=True`) and turns that resend off: the retry policy above the hook decides, and re-signs.

Imported only when an async client is first used, so sync users never load aiohttp.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator

import aiohttp
import httpx
from yarl import URL

from ._compat import aiohttp_has_replay_switch, disable_connection_replay

# Checked once, at import: without aiohttp's private switch, connections are not reused (see _compat).
_REPLAY_SWITCH = aiohttp_has_replay_switch()

# aiohttp errors -> the httpx errors the rest of the client (and httpx users) expect, most specific first.
_ERRORS: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.ReadError),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),
    (aiohttp.ClientOSError, httpx.ReadError),
    (asyncio.TimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientError, httpx.NetworkError),
)


def _mapped(exc: BaseException, request: httpx.Request) -> httpx.TransportError:
    """The httpx error for an aiohttp one (its message can quote the URL: callers must not show it raw)."""
    target = next((target for source, target in _ERRORS if isinstance(exc, source)), httpx.NetworkError)
    return target(str(exc) or type(exc).__name__, request=request)


class _Body(httpx.AsyncByteStream):
    """The body of an aiohttp response, streamed: the reader above decides how much to take.

    Closing it returns the connection to the pool when the body was read to its end, and drops the
    connection otherwise (a cancelled or refused read never leaves half a response on a pooled connection).
    """

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request
        self._complete = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_chunked(CHUNK_BYTES):
                yield chunk
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _mapped(exc, self._request) from exc
        self._complete = True

    async def aclose(self) -> None:
        if self._complete:
            self._response.release()
        else:
            self._response.close()


CHUNK_BYTES = 65536


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Sends httpx requests through one aiohttp `ClientSession` (keep-alive pool, HTTP/1.1)."""

    def __init__(
        self, *, verify: ssl.SSLContext | str | bool = True, max_connections: int = 100, keepalive_expiry: float = 5.0
    ) -> None:
        self._verify = verify
        self._max_connections = max_connections
        self._keepalive_expiry = keepalive_expiry
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        ssl_context = httpx.create_ssl_context(verify=self._verify)
        connector = aiohttp.TCPConnector(
            limit=self._max_connections,
            keepalive_timeout=self._keepalive_expiry if _REPLAY_SWITCH else None,
            force_close=not _REPLAY_SWITCH,
            ssl=ssl_context,
        )
        session = aiohttp.ClientSession(connector=connector, auto_decompress=False, cookie_jar=aiohttp.DummyCookieJar())
        # aiohttp resends an idempotent request once when a kept-alive connection turns out dropped. Below
        # the signing hook that is a replay; the retry policy above it decides instead (and re-signs).
        if _REPLAY_SWITCH:
            disable_connection_replay(session)
        self._session = session
        return session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session or self._open()
        timeouts = request.extensions.get("timeout", {})
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=timeouts.get("pool"),
            sock_connect=timeouts.get("connect"),
            sock_read=timeouts.get("read"),
        )
        body = await request.aread()
        try:
            response = await session.request(
                request.method,
                URL(str(request.url), encoded=True),  # the bytes that were signed, not re-quoted
                headers=request.headers.multi_items(),
                data=body or None,
                allow_redirects=False,
                timeout=timeout,
            )
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _mapped(exc, request) from exc
        return httpx.Response(
            response.status,
            headers=list(response.raw_headers),
            stream=_Body(response, request),
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode("latin-1")},
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
