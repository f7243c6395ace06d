"""Every error this client raises, in one tree. Catch the class that matches what you will do about it.

    PapiError                      root of everything below
    ├── RequestValidationError     bad input caught before anything was sent (also a ValueError)
    ├── InvalidResponseError       a 2XX body that is not JSON or does not match the spec (also a ValueError)
    ├── UnexpectedStatus           a non-2XX status reached the generated code without this layer
    ├── TransportError             no HTTP answer: connect error, connection reset, timeout
    │   └── RequestTimeoutError    the connect, read, write or pool timeout ran out
    └── APIError                   Binance answered with an error status
        ├── AuthenticationError    -2014, -2015, -1002, HTTP 401/403: key, permission or IP whitelist
        ├── InvalidSignatureError  -1022: the signature did not verify (wrong secret or key)
        ├── TimestampError         -1021: the timestamp is outside recvWindow (clock skew)
        ├── BadRequestError        any other 4XX: the request itself is wrong
        ├── RateLimitError         429 (or -1003): too many requests; see `retry_after`
        ├── IPBannedError          418: the IP is banned; see `banned_until`. Send nothing until then
        └── ServerError            5XX, -1000, -1001, -1008: Binance's side
            └── OutcomeUnknownError  503 "Unknown error..." or -1007: sent, execution status unknown

Every APIError carries `status_code`, `code` (Binance's, or None when the body had none), `message`,
`method` and `path` (never the query string, which holds the signature), `used_weight`
(X-MBX-USED-WEIGHT-1M), `retry_after` (seconds, when given), `hint` (what to do) and `response`.

The generated package (`binance_papi_generated`) raises `InvalidResponseError` and `UnexpectedStatus` from
here too: the whole tree is hand-written, in this one module.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "IPBannedError",
    "InvalidResponseError",
    "InvalidSignatureError",
    "OutcomeUnknownError",
    "PapiError",
    "RateLimitError",
    "RequestTimeoutError",
    "RequestValidationError",
    "ServerError",
    "TimestampError",
    "TransportError",
    "UnexpectedStatus",
    "body_excerpt",
    "error_from_response",
]

EXCERPT_LIMIT = 200


def body_excerpt(content: bytes, limit: int = EXCERPT_LIMIT) -> str:
    """The first `limit` characters of a body, decoded leniently, for error messages; "..." when cut."""
    head = content[: limit * 4]  # enough bytes for `limit` characters of up to 4 bytes each
    text = head.decode("utf-8", errors="replace")
    return text if len(text) <= limit and len(head) == len(content) else text[:limit] + "..."


class PapiError(Exception):
    """Root of every error raised by this client."""


class InvalidResponseError(PapiError, ValueError):
    """A response body (or a dict given to `from_dict`) does not match the spec.

    The message names the field and the offending value; `status_code` and `excerpt` (the start of the
    body) are set when it came from a response.
    """

    def __init__(self, message: str, *, status_code: int | None = None, content: bytes | None = None) -> None:
        self.message = message
        self.status_code = status_code
        self.content = content
        self.excerpt = body_excerpt(content) if content is not None else None
        text = message
        if status_code is not None:
            text = f"{text} (HTTP {status_code}"
            text += f", body starts: {self.excerpt!r})" if self.excerpt is not None else ")"
        super().__init__(text)


class UnexpectedStatus(PapiError):  # noqa: N818  (the generator's name, kept for its users)
    """A non-2XX status reached a generated operation: the client sending it did not raise first.

    `binance_papi`'s clients raise an `APIError` before this can happen; it guards a bare generated client.
    """

    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code = status_code
        self.content = content
        super().__init__(f"Unexpected status code: {status_code}; body starts: {body_excerpt(content)!r}")


class RequestValidationError(PapiError, ValueError):
    """The request cannot be sent as asked (e.g. recvWindow out of range). Nothing was sent."""


class TransportError(PapiError):
    """No HTTP answer arrived: the connection failed, timed out or was reset. `__cause__` is the httpx error."""

    def __init__(self, message: str, *, method: str, path: str) -> None:
        self.method = method
        self.path = path
        super().__init__(f"{method} {path}: {message}")


class RequestTimeoutError(TransportError):
    """A timeout ran out (connect, read, write or pool) before the answer arrived.

    Nothing says the request was not executed. A read is safe to send again; the retry policy already did,
    up to its limits.
    """


class APIError(PapiError):
    """Binance answered with an error status. See the module docstring for the subclasses."""

    def __init__(
        self,
        *,
        status_code: int,
        code: int | None,
        message: str,
        method: str,
        path: str,
        used_weight: int | None = None,
        retry_after: float | None = None,
        hint: str = "",
        response: httpx.Response | None = None,
    ) -> None:
        self.status_code = status_code
        self.code = code
        self.message = message
        self.method = method
        self.path = path
        self.used_weight = used_weight
        self.retry_after = retry_after
        self.hint = hint
        self.response = response
        self.received_at = time.time()
        code_text = f"Binance code {code}" if code is not None else "no Binance code"
        text = f"{method} {path}: HTTP {status_code}, {code_text}: {message}"
        if hint:
            text = f"{text}{'' if text.endswith('.') else '.'} {hint}"
        super().__init__(text)


class AuthenticationError(APIError):
    """The API key was refused (format, permissions, IP whitelist, Portfolio Margin not enabled)."""


class InvalidSignatureError(APIError):
    """-1022: the signature did not verify with the key Binance has for this API key."""


class TimestampError(APIError):
    """-1021: the request's timestamp is outside recvWindow of Binance's clock."""


class BadRequestError(APIError):
    """Any other 4XX: the request is wrong; sending it again will not help."""


class RateLimitError(APIError):
    """429: a rate limit was hit. Wait `retry_after` seconds; continuing gets the IP banned (418)."""


class IPBannedError(APIError):
    """418: the IP is banned after ignoring 429s. `banned_until` is when, by the local clock (epoch s)."""

    @property
    def banned_until(self) -> float | None:
        return None if self.retry_after is None else self.received_at + self.retry_after


class ServerError(APIError):
    """5XX or an internal Binance error: Binance's side; a read such as balance is safe to retry."""


class OutcomeUnknownError(ServerError):
    """Sent, but Binance does not know whether it was executed (503 "Unknown error..." or -1007)."""


_AUTH_CODES = frozenset({-2014, -2015, -1002})
_SERVER_CODES = frozenset({-1000, -1001, -1008})

_HINTS: dict[int, str] = {
    -2015: (
        "Check that Portfolio Margin is enabled on the account, that the API key was created after enabling "
        "it and has the permission for this endpoint, and that this machine's IP is whitelisted for the key"
    ),
    -2014: "The API key is not in Binance's format: check the key (BINANCE_API_KEY) for truncation or spaces",
    -1002: "This key is not authorized for this request: check its permissions",
    -1022: "The signature did not verify: check that the secret or private key belongs to this API key",
    -1021: (
        "The local clock differs from Binance's by more than recvWindow: sync the clock (NTP) or let the "
        "client measure the offset (sync_time)"
    ),
    -1003: "Too many requests: slow down and wait for Retry-After, or the IP gets banned",
    -1108: "Unknown asset: asset names are upper case (USDT, not usdt); check the spelling",
}


def _classify(status: int, code: int | None, message: str) -> type[APIError]:  # noqa: PLR0911
    if status == 418:
        return IPBannedError
    if status == 429 or code == -1003:
        return RateLimitError
    if code in _AUTH_CODES or status in (401, 403):
        return AuthenticationError
    if code == -1022:
        return InvalidSignatureError
    if code == -1021:
        return TimestampError
    if code == -1007 or (status == 503 and message.startswith("Unknown error")):
        return OutcomeUnknownError
    if status >= 500 or code in _SERVER_CODES:
        return ServerError
    if 400 <= status < 500:
        return BadRequestError
    return APIError


def _header_number(response: httpx.Response, name: str) -> float | None:
    value = response.headers.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def error_from_response(response: httpx.Response) -> APIError:
    """The typed error for a non-2XX response. Matches on Binance's code first, then the HTTP status."""
    code: int | None = None
    message = ""
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("code"), int) and not isinstance(body["code"], bool):
        code = body["code"]
        message = str(body.get("msg", ""))
    else:
        excerpt = body_excerpt(response.content, 120) if response.content else "empty body"
        message = f"{response.reason_phrase or 'error'} (not a Binance error body: {excerpt!r})"
    status = response.status_code
    cls = _classify(status, code, message)
    # A ban is told by its status (418 also carries -1003, the 429 code), so its hint goes first.
    if cls is IPBannedError:
        hint = "The IP is banned for ignoring 429s: send nothing until Retry-After has passed"
    else:
        hint = _HINTS.get(code, "") if code is not None else ""
    if not hint and cls is RateLimitError:
        hint = "Wait for Retry-After before sending again; continuing gets the IP banned (418)"
    elif not hint and cls is AuthenticationError:
        hint = _HINTS[-2015]
    weight = _header_number(response, "X-MBX-USED-WEIGHT-1M")
    return cls(
        status_code=status,
        code=code,
        message=message,
        method=response.request.method,
        path=response.request.url.path,
        used_weight=int(weight) if weight is not None else None,
        retry_after=_header_number(response, "Retry-After"),
        hint=hint,
        response=response,
    )
