"""The signing hook: an `httpx.Auth` that turns a plain request into a signed Binance request.

On every send (so every retry is signed afresh) it
1. checks a caller's `recvWindow` (1..60000) or adds the configured default,
2. adds `timestamp` (ms, from an injectable clock plus the measured server clock offset),
3. signs the exact encoded query bytes that go on the wire and appends `signature` as the last parameter,
4. sets the `X-MBX-APIKEY` header.

Signing the encoded bytes, not the parameters, is what keeps reserved and non-ASCII characters safe:
Binance verifies the signature over the raw query string it receives.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Generator
from typing import Protocol

import httpx

from ._compat import url_with_query
from ._constants import API_KEY_HEADER, DEFAULT_RECV_WINDOW, MAX_RECV_WINDOW
from ._errors import RequestValidationError, remember_secrets

Clock = Callable[[], int]
"""Returns the current time in milliseconds since the epoch."""


# The bytes httpx stores unchanged in a URL's query: printable ASCII except `"`, `#`, `<` and `>` (`%` stays
# as it is, escaped or not). See `_with_query`.
_QUERY_KEPT_AS_IS = bytes(sorted(set(range(0x21, 0x7F)) - set(b'"#<>')))
_MAX_URL_LENGTH = 65536  # httpx's limit per URL component


def _with_query(url: httpx.URL, query: bytes) -> httpx.URL:
    """`url.copy_with(query=query)`, minus the cost of httpx re-parsing the whole URL when nothing would change.

    `copy_with` re-parses and re-validates every component (about 15 us, a tenth of a sequential call's
    client-side time). The signed query is the caller's query, which httpx already validated and encoded,
    plus `recvWindow`, `timestamp` and a query-safe signature: when every byte is one httpx would keep as
    it is, the result is the same URL, so it is built directly (`_compat.url_with_query`, which falls back on
    `copy_with` if httpx's private representation changes). Anything else takes the regular path, with
    httpx's own checks and encoding.
    """
    if len(query) <= _MAX_URL_LENGTH and not query.translate(None, _QUERY_KEPT_AS_IS):
        return url_with_query(url, query.decode("ascii"))
    return url.copy_with(query=query)


def system_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class Signer(Protocol):
    """Signs a payload for one kind of API key; returns the signature as query-safe ASCII bytes."""

    key_type: str

    def sign(self, payload: bytes) -> bytes: ...


class HmacSigner:
    """HMAC-SHA256 with the API secret, lower-case hex (Binance's "HMAC" key type)."""

    key_type = "HMAC"
    __slots__ = ("_secret",)

    def __init__(self, secret: str | bytes) -> None:
        if isinstance(secret, str):
            secret = secret.encode("utf-8")
        if not secret:
            raise RequestValidationError("api_secret is empty")
        if secret != secret.strip() or not secret.isascii() or any(byte < 0x21 or byte == 0x7F for byte in secret):
            # A secret with a stray newline (from a file or a paste) signs every request wrongly (-1022).
            raise RequestValidationError(
                "api_secret must be printable ASCII without spaces (check for a stray newline or space)"
            )
        self._secret = secret

    def redactions(self) -> tuple[str, ...]:
        """What must never appear in an error or a log: the secret."""
        return (self._secret.decode("ascii"),)

    def sign(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).hexdigest().encode("ascii")

    def __repr__(self) -> str:
        return "HmacSigner(secret=***)"


def mask(api_key: str) -> str:
    """The first four characters of an API key, enough to tell keys apart in logs."""
    return f"{api_key[:4]}***" if len(api_key) > 8 else "***"


def _check_api_key(api_key: str) -> str:
    if not api_key:
        raise RequestValidationError("api_key is empty")
    if not api_key.isascii() or not api_key.isprintable() or any(c.isspace() for c in api_key):
        raise RequestValidationError("api_key must be printable ASCII without spaces (check for a stray newline)")
    return api_key


def parse_recv_window(value: object) -> int:
    """A recvWindow in ms, or a clear error: an int from 1 to 60000 (Binance's maximum)."""
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="replace")
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if type(value) is not int or not 1 <= value <= MAX_RECV_WINDOW:
        raise RequestValidationError(f"recvWindow must be an integer from 1 to {MAX_RECV_WINDOW} ms, got {value!r}")
    return value


class BinanceAuth(httpx.Auth):
    """Signs every request sent through an httpx client (sync or async) for a Binance signed endpoint."""

    def __init__(
        self,
        api_key: str,
        signer: Signer,
        *,
        recv_window: int = DEFAULT_RECV_WINDOW,
        clock: Clock = system_clock_ms,
        time_offset_ms: int = 0,
    ) -> None:
        self._api_key = _check_api_key(api_key)
        self._masked_api_key = mask(api_key)
        self._signer = signer
        remember_secrets(*self.redactions())
        self.recv_window = parse_recv_window(recv_window)
        self._clock = clock
        self.time_offset_ms = time_offset_ms
        """Server time minus local time, in ms; added to every timestamp (see the clock-skew docs)."""

    @property
    def key_type(self) -> str:
        return self._signer.key_type

    @property
    def masked_api_key(self) -> str:
        """The API key as errors and responses show it (`abcd***`): put back on a request once it was sent."""
        return self._masked_api_key

    def redactions(self) -> tuple[str, ...]:
        """The API key and the signer's secret: blanked wherever a server's text would show them."""
        own: Callable[[], tuple[str, ...]] | None = getattr(self._signer, "redactions", None)
        return (self._api_key, *(own() if own is not None else ()))

    def local_time_ms(self) -> int:
        """The local clock, without the offset."""
        return self._clock()

    def timestamp_ms(self) -> int:
        """The timestamp the next request gets: local clock plus the server clock offset."""
        return self._clock() + self.time_offset_ms

    def sign_query(self, query: bytes) -> bytes:
        """The signed query for `query` (already encoded): caller's parameters, recvWindow, timestamp, signature."""
        has_recv_window = False
        if query:
            for part in query.split(b"&"):
                name = part.split(b"=", 1)[0]
                if name == b"recvWindow":
                    parse_recv_window(part[len(b"recvWindow=") :])
                    has_recv_window = True
                elif name in (b"timestamp", b"signature"):
                    raise RequestValidationError(
                        f"{name.decode()} is added by the signing hook on every send; do not pass it"
                    )
            query += b"&"
        if not has_recv_window:
            query += b"recvWindow=%d&" % self.recv_window
        query += b"timestamp=%d" % self.timestamp_ms()
        return query + b"&signature=" + self._signer.sign(query)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.url = _with_query(request.url, self.sign_query(request.url.query))
        request.headers[API_KEY_HEADER] = self._api_key
        yield request

    def __repr__(self) -> str:
        return f"BinanceAuth(key_type={self.key_type!r}, api_key={self.masked_api_key!r})"
