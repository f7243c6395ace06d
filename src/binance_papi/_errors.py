"""Every error this client raises, in one tree. Catch the class that matches what you will do about it.

    PapiError                      root of everything below
    ├── RequestValidationError     bad input caught before anything was sent (also a ValueError)
    ├── InvalidResponseError       a 2XX body that is not JSON or does not match the spec (also a ValueError)
    │   └── ResponseTooLargeError  the body grew past `max_response_bytes` (while reading, or decompressed)
    ├── UnexpectedStatus           a non-2XX status reached the generated code without this layer
    ├── TransportError             no HTTP answer: connect error, connection reset, timeout
    │   └── RequestTimeoutError    a timeout ran out: connect, read, write, pool, or the call's `deadline`
    ├── SnapshotError              a part of account_snapshot() failed; `errors` has each part's error
    ├── WeightBudgetExceeded       the weight governor would have waited longer than max_wait: not sent
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

No error holds a secret: text that came from a server (messages, body excerpts, bodies) passes through
`redact`, which blanks signatures and anything shaped like an API key or HMAC secret; the clients also put
the unsigned URL and a masked API key back on `response.request` before an error can reach it. Every error
pickles with its class, message and attributes (the `response` is dropped: it is not picklable).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

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
    "ResponseTooLargeError",
    "ServerError",
    "SnapshotError",
    "TimestampError",
    "TransportError",
    "UnexpectedStatus",
    "WeightBudgetExceeded",
    "body_excerpt",
    "error_from_response",
    "redact",
]

EXCERPT_LIMIT = 200
REDACTED = "<redacted>"

# What is blanked in server text: a `signature=` value (a server or proxy echoing the URL), and any run of 40 or
# more characters of the alphabets of API keys (64 letters and digits), HMAC signatures (64 hex digits),
# secrets and base64 signatures (RSA, Ed25519), percent-encoded or not. Amounts, codes and words are shorter
# or hold other characters.
_SECRET_SHAPED = re.compile(r"(?i)(signature(?:=|%3D|\"\s*:\s*\"))[^&\s\"'<>]+|[A-Za-z0-9+/=%_-]{40,}")
_SECRET_SHAPED_BYTES = re.compile(_SECRET_SHAPED.pattern.encode("ascii"))


def _blank(match: re.Match[str]) -> str:
    return match.group(1) + REDACTED if match.group(1) else REDACTED


def _blank_bytes(match: re.Match[bytes]) -> bytes:
    return match.group(1) + REDACTED.encode() if match.group(1) else REDACTED.encode()


# The API keys and secrets of the clients built in this process (8 characters or more): blanked in any error
# text, whichever code raises it (the generated models do not know the client's key).
_KNOWN_SECRETS: set[str] = set()


def remember_secrets(*values: str) -> None:
    """Blank these (an API key, a secret) in every error text from now on."""
    _KNOWN_SECRETS.update(value for value in values if len(value) >= 8)


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """`text` (from a server) with signatures, anything shaped like a key or secret, and `secrets` blanked."""
    for secret in (*secrets, *_KNOWN_SECRETS):
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    return _SECRET_SHAPED.sub(_blank, text)


def _redact_bytes(content: bytes) -> bytes:
    for secret in _KNOWN_SECRETS:
        encoded = secret.encode("utf-8")
        if encoded in content:
            content = content.replace(encoded, REDACTED.encode())
    return _SECRET_SHAPED_BYTES.sub(_blank_bytes, content)


def body_excerpt(content: bytes, limit: int = EXCERPT_LIMIT) -> str:
    """The first `limit` characters of a body, decoded leniently and redacted, for error messages; "..." when cut."""
    head = content[: limit * 4]  # enough bytes for `limit` characters of up to 4 bytes each
    text = redact(head.decode("utf-8", errors="replace"))
    return text if len(text) <= limit and len(head) == len(content) else text[:limit] + "..."


def _rebuild(cls: type[PapiError], args: tuple[Any, ...], state: dict[str, Any]) -> PapiError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class PapiError(Exception):
    """Root of every error raised by this client."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors cannot be called again with `args`: rebuild from the state instead.
        # The httpx response is left out (its stream and request do not pickle, and it is the server's).
        state = {key: value for key, value in self.__dict__.items() if key != "response"}
        if "response" in self.__dict__:
            state["response"] = None
        return (_rebuild, (type(self), self.args, state))


class InvalidResponseError(PapiError, ValueError):
    """A response body (or a dict given to `from_dict`) does not match the spec.

    The message names the field and the offending value; `status_code` and `excerpt` (the start of the
    body) are set when it came from a response.
    """

    def __init__(self, message: str, *, status_code: int | None = None, content: bytes | None = None) -> None:
        self.message = message = redact(message)
        self.status_code = status_code
        self.content = content = _redact_bytes(content) if content is not None else None
        self.excerpt = body_excerpt(content) if content is not None else None
        text = message
        if status_code is not None:
            text = f"{text} (HTTP {status_code}"
            text += f", body starts: {self.excerpt!r})" if self.excerpt is not None else ")"
        super().__init__(text)


class ResponseTooLargeError(InvalidResponseError):
    """The response body is larger than the client's `max_response_bytes`, as sent or once decompressed.

    Reading stopped at the cap and the connection was dropped: memory stays near the cap whatever the server
    sends. `limit` is the cap in bytes. Not retried (a server sending too much will send too much again).
    """

    def __init__(self, message: str, *, limit: int, status_code: int | None = None) -> None:
        self.limit = limit
        super().__init__(message, status_code=status_code)


class UnexpectedStatus(PapiError):  # noqa: N818  (the generator's name, kept for its users)
    """A non-2XX status reached a generated operation: the client sending it did not raise first.

    `binance_papi`'s clients raise an `APIError` before this can happen; it guards a bare generated client.
    """

    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code = status_code
        self.content = _redact_bytes(content)
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
        self.message = message = redact(message)
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


class SnapshotError(PapiError):
    """A part of `account_snapshot()` failed; no snapshot is returned.

    `part` is the first failed part (balance, account, um_account, cm_account, um_positions, cm_positions),
    `error` its error (a `PapiError`, also the `__cause__`); `errors` maps every failed part to its error.
    """

    def __init__(self, errors: Mapping[str, PapiError]) -> None:
        self.errors = dict(errors)
        self.part, self.error = next(iter(self.errors.items()))
        others = f" (also failed: {', '.join(list(self.errors)[1:])})" if len(self.errors) > 1 else ""
        super().__init__(
            f"account_snapshot: part {self.part!r} failed: {type(self.error).__name__}: {self.error}{others}"
        )

    def __reduce__(self) -> tuple[type[SnapshotError], tuple[dict[str, PapiError]]]:
        return (type(self), (self.errors,))


class WeightBudgetExceeded(PapiError):  # noqa: N818  (names what happened, like the issue)
    """The weight governor would have had to hold the request longer than `max_wait`: nothing was sent.

    Not a `RateLimitError`: Binance said nothing (no status, no code); the client refused to wait that long
    for room under the IP's weight limit. Nothing was counted either. `wait` is how long the request would
    have had to wait in all (seconds, from when it was made), `waited` how long it did, `retry_after` how
    long from now until room is expected; `used` (the server's count), `reserved` (in flight and failed),
    `limit` and `cap` (limit minus headroom) describe the window, `weight` the request.
    """

    def __init__(
        self,
        *,
        weight: int,
        wait: float,
        waited: float,
        used: int,
        reserved: int,
        limit: int,
        cap: int,
        max_wait: float,
    ) -> None:
        self.weight = weight
        self.wait = wait
        self.waited = waited
        self.retry_after = max(0.0, wait - waited)
        self.used = used
        self.reserved = reserved
        self.limit = limit
        self.cap = cap
        self.max_wait = max_wait
        super().__init__(
            f"not sent: a request of weight {weight} would have had to wait {wait:.1f} s for room under the IP's "
            f"weight limit (window: {used} used by the server's count, {reserved} reserved, governor cap {cap} "
            f"of limit {limit}); max_wait is {max_wait:g} s"
        )


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


# Server-given durations are clamped to this (Binance bans last "from 2 minutes to 3 days").
MAX_RETRY_AFTER_SECONDS = 3 * 86400.0


_DELTA_SECONDS = re.compile(r"[0-9]{1,60}(?:\.[0-9]{1,6})?")


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), clamped to 0..3 days; None if invalid.

    A negative, non-numeric, non-finite or overlong value is invalid (None): the caller then uses its own
    conservative default rather than sending early.
    """
    value = (value or "").strip()
    if _DELTA_SECONDS.fullmatch(value):
        return min(float(value), MAX_RETRY_AFTER_SECONDS)
    if len(value) > 64:  # an HTTP date has 29 characters; a cut one could name another time zone
        return None
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return min(max(when - (time.time() if now is None else now), 0.0), MAX_RETRY_AFTER_SECONDS)


def used_weight(response: httpx.Response) -> int | None:
    """`X-MBX-USED-WEIGHT-1M` when it is up to 12 ASCII digits, else None (absent, or not a count)."""
    value = response.headers.get("X-MBX-USED-WEIGHT-1M")  # _constants.USED_WEIGHT_HEADER (which imports httpx)
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 12:
        return None
    return int(value)


def error_from_response(response: httpx.Response, secrets: tuple[str, ...] = ()) -> APIError:
    """The typed error for a non-2XX response. Matches on Binance's code first, then the HTTP status.

    Server text in the message is redacted (`redact`, and `secrets` blanked wherever they appear).
    """
    code: int | None = None
    message = ""
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError):
        body = None
    raw_code = body.get("code") if isinstance(body, dict) else None
    if type(raw_code) is int and -(2**31) <= raw_code < 2**31:
        code = raw_code
        message = redact(str(body.get("msg", ""))[:500], secrets)
    else:
        excerpt = body_excerpt(response.content, 120) if response.content else "empty body"
        reason = redact(response.reason_phrase[:100], secrets) if response.reason_phrase else "error"
        message = f"{reason} (not a Binance error body: {redact(excerpt, secrets)!r})"
    if 300 <= response.status_code < 400:
        where = redact(_redirect_target(response), secrets)
        message = f"redirect{where} not followed (a signed request is never sent on); {message}"
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
    return cls(
        status_code=status,
        code=code,
        message=message,
        method=response.request.method,
        path=response.request.url.path,
        used_weight=used_weight(response),
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
        hint=hint,
        response=response,
    )


def _redirect_target(response: httpx.Response) -> str:
    """The " to https://host/path" of a redirect's Location (never its query), or "" when there is none."""
    import httpx

    try:
        location = response.url.join(response.headers.get("Location", "")[:2000])
    except (httpx.InvalidURL, ValueError, TypeError):
        return ""
    return f" to {location.scheme}://{location.host}{location.path[:200]}" if location.host else ""
