"""The httpx clients under the generated code: typed errors, retries, clock-skew fix, used weight, logging.

The generated functions call `client.get_httpx_client().request(...)`; `PapiClient` (see `_client.py`)
hands them these subclasses. Their `send` sits above the signing hook, so each attempt runs the hook again
and is signed with a fresh timestamp; a retrying transport below it would replay stale signatures.
Only 2XX responses leave `send`; everything else becomes an exception from `_errors.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
import zlib
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from ._bans import BANS
from ._compat import content_if_read, deadline_scope, joined_url, sync_transport_with_deadlines, with_content
from ._constants import (
    API_KEY_HEADER,
    DEFAULT_DEADLINE,
    DEFAULT_MAX_RESPONSE_BYTES,
    MAX_URL_BYTES,
    USED_WEIGHT_HEADER,
)
from ._errors import (
    APIError,
    InvalidResponseError,
    IPBannedError,
    PapiError,
    RateLimitError,
    RequestTimeoutError,
    RequestValidationError,
    ResponseTooLargeError,
    TransportError,
    error_from_response,
    redact,
)
from ._governor import Governor, GovernorConfig, Ticket, read_answer
from ._retry import RetryPolicy, RetryState
from ._signing import BinanceAuth

logger = logging.getLogger("binance_papi")


class RedactQueryFilter(logging.Filter):
    """Drops the query string from URLs that httpx logs, and redacts whatever else a server said in a record.

    httpx logs every request at INFO with the full URL ("HTTP Request: GET https://...?...&signature=...")
    and the server's reason phrase, which a hostile server can fill with the request line it received;
    httpcore's DEBUG traces carry the same reason. Installed on the httpx and httpcore loggers when this module
    is imported.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) and a.query for a in record.args):
            record.args = tuple(
                f"{a.scheme}://{a.netloc.decode('ascii')}{a.path}?<query redacted>"
                if isinstance(a, httpx.URL) and a.query
                else a
                for a in record.args
            )
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


for _name in ("httpx", "httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy"):
    if not any(isinstance(f, RedactQueryFilter) for f in logging.getLogger(_name).filters):
        logging.getLogger(_name).addFilter(RedactQueryFilter())


# A 418 without (a valid) Retry-After still bans for at least two minutes (Binance: "from 2 minutes to 3 days").
DEFAULT_BAN_SECONDS = 120.0


class ResponseInfo:
    """What responses said about the IP's limits; shared by a client's sync and async sides.

    Bans and Retry-Afters are kept per host for the whole process (`_bans.BANS`), under `origin`.
    """

    __slots__ = ("lock", "origin", "used_weight", "weight_date")

    def __init__(self, origin: str = "") -> None:
        self.origin = origin
        self.used_weight: int | None = None
        """X-MBX-USED-WEIGHT-1M of the latest response: the IP's used request weight this minute."""
        self.weight_date: str | None = None
        """The Date header of that response. Responses read concurrently (a snapshot's parts) are recorded in
        any order: within one server second (so one weight window), the highest weight is the latest."""
        self.lock = threading.Lock()


class _DeadlineExceededError(Exception):
    """Internal: the call's deadline ran out while an attempt was in flight."""


class _Body:
    """Collects a response body, decompressing it (gzip, deflate) and refusing it past `limit` bytes.

    Decompression is bounded too (`max_length`): a small body inflating to gigabytes stops at the cap.
    """

    __slots__ = ("_chunks", "_inflate", "_limit", "_raw", "_size", "_status")

    def __init__(self, response: httpx.Response, limit: int) -> None:
        self._limit = limit
        self._status = response.status_code
        self._chunks: list[bytes] = []
        self._raw = self._size = 0
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        if encoding in ("", "identity"):
            self._inflate = None
        elif encoding in ("gzip", "x-gzip", "deflate"):
            self._inflate = zlib.decompressobj(zlib.MAX_WBITS | 32)  # zlib or gzip header, detected
        else:
            raise InvalidResponseError(
                f"unsupported Content-Encoding {encoding[:40]!r} (asked for gzip or deflate)", status_code=self._status
            )

    def _too_large(self, what: str) -> ResponseTooLargeError:
        return ResponseTooLargeError(
            f"the response body is larger than max_response_bytes={self._limit} ({what}); reading stopped",
            limit=self._limit,
            status_code=self._status,
        )

    def feed(self, chunk: bytes) -> None:
        self._raw += len(chunk)
        if self._raw > self._limit:
            raise self._too_large("as sent")
        if self._inflate is None:
            self._chunks.append(chunk)
            return
        # At most one byte past the cap: zlib leaves input unconsumed only when it filled that, which raises.
        try:
            out = self._inflate.decompress(chunk, self._limit - self._size + 1)
        except zlib.error:
            raise InvalidResponseError("the body could not be decompressed", status_code=self._status) from None
        self._size += len(out)
        if self._size > self._limit:
            raise self._too_large("decompressed")
        self._chunks.append(out)

    def content(self) -> bytes:
        if self._inflate is not None:
            self._chunks.append(self._inflate.flush(1024))
            if self._size + len(self._chunks[-1]) > self._limit:
                raise self._too_large("decompressed")
        return self._chunks[0] if len(self._chunks) == 1 else b"".join(self._chunks)


def _redacted(response: httpx.Response, secrets: tuple[str, ...]) -> httpx.Response:
    """An error answer as the error keeps it: reason phrase, headers and body redacted.

    A server can echo the signed URL or the key into any of them.
    """
    extensions = dict(response.extensions)
    if "reason_phrase" in extensions:  # without it, httpx gives the standard phrase of the status
        extensions["reason_phrase"] = redact(extensions["reason_phrase"].decode("latin-1"), secrets).encode("latin-1")
    headers = [(name, redact(value, secrets)) for name, value in response.headers.items()]
    body = redact(response.content.decode("latin-1"), secrets).encode("latin-1")
    # The body is already decoded: Content-Encoding goes (and Content-Length is set anew).
    dropped = ("content-encoding", "content-length")
    return httpx.Response(
        response.status_code,
        headers=[(name, value) for name, value in headers if name.lower() not in dropped],
        content=body,
        request=response.request,
        extensions=extensions,
    )


def _already_read(response: httpx.Response, limit: int) -> bool:
    """Whether a transport returned the body read already (httpx.MockTransport does); checked against the cap."""
    content = content_if_read(response)
    if content is None:
        return False
    if len(content) > limit:
        raise ResponseTooLargeError(
            f"the response body is larger than max_response_bytes={limit}",
            limit=limit,
            status_code=response.status_code,
        )
    return True


class _Shared:
    """What the sync and async clients share: configuration, bookkeeping and the clock-offset maths."""

    signing: BinanceAuth
    retry_policy: RetryPolicy
    time_url: str
    info: ResponseInfo
    deadline: float
    max_response_bytes: int
    governor: Governor | None
    governor_config: GovernorConfig
    joined_paths: dict[str, tuple[httpx.URL, httpx.URL]]
    """Path -> (base_url, the path joined to it by httpx): `_built` joins each path once."""

    def _setup(
        self,
        *,
        signing: BinanceAuth,
        retry_policy: RetryPolicy,
        time_url: str,
        info: ResponseInfo,
        deadline: float,
        max_response_bytes: int,
        governor: tuple[Governor, GovernorConfig] | None,
    ) -> None:
        self.signing = signing
        self.retry_policy = retry_policy
        self.time_url = time_url
        self.info = info
        self.deadline = deadline
        self.max_response_bytes = max_response_bytes
        self.governor, self.governor_config = governor if governor is not None else (None, GovernorConfig())
        self.joined_paths = {}

    def _count(self, response: httpx.Response, ticket: Ticket | None) -> None:
        """What an answer says about the IP's weight, into `info` and, for a `ticket`, the governor.

        Its headers are read once for both (`_governor.read_answer`).
        """
        used, date, retry_after = read_answer(response)
        if used is not None:
            info = self.info
            with info.lock:
                if date is None or date != info.weight_date or info.used_weight is None or used > info.used_weight:
                    info.used_weight, info.weight_date = used, date
        if ticket is not None and self.governor is not None:
            self.governor.record(ticket, used=used, date=date, retry_after=retry_after)

    def _log_answer(self, request: httpx.Request, response: httpx.Response, attempt: int, started: float) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            # Method and path only: the query string carries the signature.
            logger.debug(
                "%s %s -> %d (attempt %d, %.1f ms, used weight %s)",
                request.method,
                request.url.path,
                response.status_code,
                attempt,
                (time.monotonic() - started) * 1000,
                self.info.used_weight if USED_WEIGHT_HEADER in response.headers else "-",
            )

    def _clip_timeouts(self, request: httpx.Request, deadline_at: float) -> None:
        """Each of the attempt's timeouts ends by the deadline at the latest."""
        remaining = max(deadline_at - time.monotonic(), 0.001)
        timeouts = request.extensions.get("timeout")
        if isinstance(timeouts, dict):
            for value in timeouts.values():
                if value is None or value > remaining:
                    break
            else:  # every timeout ends by the deadline already (the usual case): nothing to copy
                return
            request.extensions["timeout"] = {
                key: remaining if value is None else min(value, remaining) for key, value in timeouts.items()
            }

    def _scrub(self, request: httpx.Request, unsigned_url: httpx.URL) -> bytes:
        """Put the unsigned URL and a masked API key back on the request (errors and responses refer to it).

        Returns the query that was sent (signed): `_secrets` takes what to blank from it, when an error needs it.
        """
        sent_query = request.url.query
        request.url = unsigned_url
        if API_KEY_HEADER in request.headers:
            request.headers[API_KEY_HEADER] = self.signing.masked_api_key
        return sent_query

    def _secrets(self, sent_query: bytes) -> tuple[str, ...]:
        """What to blank in server text about an attempt sent with `sent_query`: its signature, the key, the secret."""
        secrets = self.signing.redactions()
        if b"signature=" in sent_query:
            secrets = (*secrets, sent_query.rsplit(b"signature=", 1)[1].decode("ascii", "replace"))
        return secrets

    def _transport_error(self, request: httpx.Request, exc: httpx.TransportError, *, deadline: bool) -> PapiError:
        """The typed error for an attempt without an answer; its `__cause__` is a clean copy of `exc`.

        The original (and the aiohttp/httpcore errors under it) can quote the signed URL or the request
        headers, so neither is kept: the copy has a redacted message, the scrubbed request and no chain.
        """
        root: BaseException = exc.__cause__ or exc
        reason = type(root).__name__
        detail = redact(str(root)[:300])
        if detail and "?" not in detail:
            reason = f"{reason}: {detail}"
        if deadline:
            reason = f"the call's deadline of {self.deadline:g} s ran out ({reason})"
        try:
            clean = type(exc)(redact(str(exc)[:300]), request=request)
        except TypeError:  # a transport's own subclass with another constructor
            clean = httpx.TransportError(redact(str(exc)[:300]), request=request)
        cls = RequestTimeoutError if deadline or isinstance(exc, httpx.TimeoutException) else TransportError
        error = cls(reason, method=request.method, path=request.url.path)
        error.__cause__ = clean
        return error

    def _no_answer(
        self, request: httpx.Request, exc: httpx.TransportError | _DeadlineExceededError, deadline_at: float
    ) -> PapiError:
        """The typed error for an attempt of `send` without an answer: a transport's failure or the deadline."""
        if isinstance(exc, _DeadlineExceededError):
            return self._deadline_error(request)
        return self._transport_error(request, exc, deadline=time.monotonic() >= deadline_at)

    def _deadline_error(self, request: httpx.Request) -> RequestTimeoutError:
        return RequestTimeoutError(
            f"the call's deadline of {self.deadline:g} s ran out", method=request.method, path=request.url.path
        )

    def _note_limit(self, error: PapiError) -> None:
        """After a 418, or a 429 with Retry-After, no client of this process sends to the host until it passed."""
        if isinstance(error, (IPBannedError, RateLimitError)):
            wait = error.retry_after
            if wait is None and isinstance(error, IPBannedError):
                wait = DEFAULT_BAN_SECONDS
            if wait is not None and wait > 0:
                BANS.note(self.info.origin, error, wait)

    def _refuse_while_blocked(self, request: httpx.Request) -> None:
        """Raise, without sending, while a ban or a Retry-After is running: more requests extend bans."""
        active = BANS.active(self.info.origin)
        if active is None:
            return
        blocked_by, remaining = active
        raise type(blocked_by)(
            status_code=blocked_by.status_code,
            code=blocked_by.code,
            message=f"not sent: {blocked_by.message} ({remaining:.1f} s of Retry-After left)",
            method=request.method,
            path=request.url.path,
            used_weight=blocked_by.used_weight,
            retry_after=remaining,
            hint=blocked_by.hint,
        )

    def _log_retry(self, error: PapiError, attempt: int, delay: float) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("retrying after %s in %.3f s (attempt %d next)", type(error).__name__, delay, attempt)

    def _after_answer(
        self,
        request: httpx.Request,
        response: httpx.Response,
        state: RetryState,
        started: float,
        sent_query: bytes,
    ) -> PapiError | None:
        """None for a success; else the typed error (a ban or Retry-After is noted)."""
        self._log_answer(request, response, state.attempt, started)
        if response.is_success:
            return None
        secrets = self._secrets(sent_query)
        error = error_from_response(response, secrets)
        if isinstance(error, APIError):
            error.response = _redacted(response, secrets)
        self._note_limit(error)
        return error

    def _retry_delay(self, error: PapiError, state: RetryState, deadline_at: float) -> float:
        """Seconds to wait before the next attempt; raises `error` if none (no wait ends past the deadline)."""
        if isinstance(error, InvalidResponseError):
            raise error
        delay = state.delay_before_retry(error)
        if delay is None or time.monotonic() + delay >= deadline_at:
            raise error
        self._log_retry(error, state.attempt, delay)
        return delay

    def _apply_server_time(self, response: httpx.Response, sent_ms: int, received_ms: int) -> int:
        """Store server-minus-local time (ms) in the signing hook, from a server-time answer or its Date."""
        server_ms: int | None = None
        try:
            body = json.loads(response.content)
            if isinstance(body, dict) and type(body.get("serverTime")) is int:
                server_ms = body["serverTime"]
        except (ValueError, RecursionError):
            pass
        if server_ms is None:
            try:
                # Second resolution: take the middle of the second.
                server_ms = int(parsedate_to_datetime(response.headers.get("Date", "")[:64]).timestamp() * 1000) + 500
            except (TypeError, ValueError, IndexError, OverflowError):
                raise TransportError(
                    "server time answer has no usable serverTime and no Date", method="GET", path="time"
                ) from None
        offset = server_ms - (sent_ms + received_ms) // 2
        if abs(offset) > MAX_CLOCK_OFFSET_MS:
            raise TransportError(
                f"server time is {offset} ms off the local clock (more than a day): not used", method="GET", path="time"
            )
        self.signing.time_offset_ms = offset
        logger.debug("clock offset set to %d ms", offset)
        return offset


# A server clock further off than this is not believed (a broken or hostile server, not clock skew).
MAX_CLOCK_OFFSET_MS = 86_400_000


def _checked_params(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Refuse parameters that would fail later in httpx or silently change the request; `None` for empty params.

    The generated functions always pass a dict, `{}` when no argument is set; httpx merges even an empty
    `params` into the URL, re-parsing it whole (about 10 us a call), so None skips that.
    """
    params = kwargs.get("params")
    if not params:
        if "params" in kwargs:
            kwargs["params"] = None
        return kwargs
    if isinstance(params, dict):
        for name, value in params.items():
            if isinstance(value, str) and (not value or len(value) > MAX_URL_BYTES or not value.isprintable()):
                problem = (
                    "is empty"
                    if not value
                    else "is too long"
                    if len(value) > MAX_URL_BYTES
                    else "holds a control or other non-printable character"
                )
                raise RequestValidationError(f"parameter {name!s:.40} {problem}; nothing was sent")
    return kwargs


_JOINED_PATHS = 64
"""How many paths a client keeps joined to its base_url (the 27 operations' paths, the time URL)."""


def _built(
    client: PapiHTTPClient | AsyncPapiHTTPClient,
    build: Any,  # noqa: ANN401
    method: str,
    url: httpx.URL | str,
    kwargs: dict[str, Any],
) -> httpx.Request:
    """`build(method, url, **kwargs)`, checked; a path without a query is joined to base_url once per client.

    httpx joins and parses the path on every request (~20 us), and merges even empty params into the URL
    (~20 us more); the URL joined by httpx itself and no empty params give the same request.
    """
    try:
        if isinstance(url, str) and "?" not in url:
            base_url = client.base_url
            joined = client.joined_paths
            cached = joined.get(url)
            if cached is not None and cached[0] is base_url:
                url = cached[1]
            else:
                merged = joined_url(client, url)  # httpx's own join, as build_request does it
                if merged is not None:
                    if len(joined) < _JOINED_PATHS:
                        joined[url] = (base_url, merged)
                    url = merged
            if not kwargs.get("params", True):  # no parameters: the URL stays as joined
                del kwargs["params"]
        request: httpx.Request = build(method, url, **_checked_params(kwargs))
    except UnicodeEncodeError as exc:
        raise _unencodable(exc) from None
    except httpx.InvalidURL:
        raise RequestValidationError("the request's URL is invalid or too long; nothing was sent") from None
    if len(request.url.raw_path) > MAX_URL_BYTES:
        raise RequestValidationError(
            f"the request's path and query are longer than {MAX_URL_BYTES} bytes (a parameter too long?); "
            "nothing was sent"
        )
    return request


def _unusable_location(exc: httpx.InvalidURL, request: httpx.Request) -> httpx.RemoteProtocolError:
    """The transport error for a 3XX whose Location httpx cannot read (`mailto:x`).

    httpx reads a 3XX's Location even when not following it, and raises `InvalidURL` for some, outside its
    transport errors; for others (an invalid port) it raises this very error.
    """
    return httpx.RemoteProtocolError(f"Invalid URL in location header: {exc}", request=request)


def _retry_safe(request: httpx.Request) -> bool:
    """Whether the operation may be resent after an unknown outcome.

    That is the spec's x-retry-safe, which the generated operation puts in the request's extensions; a
    request sent otherwise is safe only as a GET.
    """
    safe = request.extensions.get("papi_retry_safe")
    return safe if isinstance(safe, bool) else request.method == "GET"


def _weight(request: httpx.Request) -> int:
    """The request's IP weight: the spec's x-weight, which the generated operation puts in the extensions; else 1."""
    weight = request.extensions.get("papi_weight")
    return weight if type(weight) is int and weight > 0 else 1


def _unencodable(exc: UnicodeEncodeError) -> RequestValidationError:
    """A parameter httpx cannot encode (a lone surrogate, e.g. from os.fsdecode) is the caller's input error."""
    return RequestValidationError(
        f"a parameter cannot be encoded as UTF-8 ({exc.reason} at position {exc.start}); nothing was sent"
    )


class PapiHTTPClient(_Shared, httpx.Client):
    """`httpx.Client` whose `send` signs, retries, bounds time and size, and raises typed errors."""

    def __init__(
        self,
        *,
        signing: BinanceAuth,
        retry_policy: RetryPolicy,
        time_url: str,
        info: ResponseInfo,
        deadline: float = DEFAULT_DEADLINE,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        governor: tuple[Governor, GovernorConfig] | None = None,
        **kwargs: Any,  # noqa: ANN401
    ) -> None:
        if "transport" not in kwargs:
            kwargs["transport"] = sync_transport_with_deadlines(verify=kwargs.pop("verify", True))
        super().__init__(auth=signing, **kwargs)
        self._setup(
            signing=signing,
            retry_policy=retry_policy,
            time_url=time_url,
            info=info,
            deadline=deadline,
            max_response_bytes=max_response_bytes,
            governor=governor,
        )

    def build_request(self, method: str, url: httpx.URL | str, **kwargs: Any) -> httpx.Request:  # noqa: ANN401
        return _built(self, super().build_request, method, url, kwargs)

    def _resync(self, rejected: httpx.Response) -> None:
        """After a -1021: measure the server clock; if that fails, fall back on the rejection's Date header."""
        try:
            self.sync_time()
        except PapiError:
            now = self.signing.local_time_ms()
            with contextlib.suppress(PapiError):  # no Date either: retry as is; a second -1021 is raised
                self._apply_server_time(rejected, now, now)

    def sync_time(self) -> int:
        """Measure the server clock, store the offset in the signing hook and return it (ms)."""
        request = self.build_request("GET", self.time_url)
        sent = self.signing.local_time_ms()
        deadline_at = time.monotonic() + self.deadline
        error: PapiError | None = None
        try:
            response = self._attempt(request, deadline_at, None)
        except httpx.TransportError as exc:
            error = self._transport_error(request, exc, deadline=time.monotonic() >= deadline_at)
        except _DeadlineExceededError:
            error = self._deadline_error(request)
        if error is not None:
            raise error
        return self._apply_server_time(response, sent, self.signing.local_time_ms())

    def _attempt(self, request: httpx.Request, deadline_at: float, auth: Any) -> httpx.Response:  # noqa: ANN401
        """One attempt, its whole body read within the deadline and the size cap."""
        self._clip_timeouts(request, deadline_at)
        with deadline_scope(deadline_at):
            try:
                response = super().send(request, stream=True, follow_redirects=False, auth=auth)
            except httpx.InvalidURL as exc:
                raise _unusable_location(exc, request) from None
            if _already_read(response, self.max_response_bytes):
                return response
            try:
                body = _Body(response, self.max_response_bytes)
                for chunk in response.iter_raw():
                    body.feed(chunk)
                    if time.monotonic() >= deadline_at:
                        raise _DeadlineExceededError
                content = body.content()
            finally:
                response.close()
        return with_content(response, content)

    def _governed_send(self, request: httpx.Request, deadline_at: float, auth: Any) -> httpx.Response:  # noqa: ANN401
        """One attempt, paced by the weight governor: reserve the weight (waiting for room), send, count the answer."""
        governor = self.governor
        if governor is None:
            response = self._attempt(request, deadline_at, auth)
            self._count(response, None)
            return response
        ticket = governor.acquire(_weight(request), self.governor_config, deadline_at)
        try:
            response = self._attempt(request, deadline_at, auth)
        except BaseException:
            governor.fail(ticket)
            raise
        self._count(response, ticket)
        return response

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:  # noqa: ANN401
        self._refuse_while_blocked(request)
        deadline_at = time.monotonic() + self.deadline
        state = RetryState(self.retry_policy, retry_safe=_retry_safe(request))
        unsigned_url = request.url
        auth = kwargs.get("auth", httpx.USE_CLIENT_DEFAULT)
        while True:
            request.url = unsigned_url  # the hook signs the caller's query afresh on every attempt
            started = time.monotonic()
            error: PapiError | None = None
            try:
                response = self._governed_send(request, deadline_at, auth)
            except (httpx.TransportError, _DeadlineExceededError) as exc:
                self._scrub(request, unsigned_url)
                error = self._no_answer(request, exc, deadline_at)
            except BaseException:
                self._scrub(request, unsigned_url)
                raise
            else:
                sent_query = self._scrub(request, unsigned_url)
                error = self._after_answer(request, response, state, started, sent_query)
                if error is None:
                    return response
                if state.wants_resync(error):
                    self._resync(response)
                    continue
            time.sleep(self._retry_delay(error, state, deadline_at))


class _HardDeadline:
    """`asyncio.timeout_at` for the calling task, at a `time.monotonic()` time, for a third of its cost.

    At `deadline_at` the task is cancelled; `end()`, called on every way out (twice is harmless), stops the
    timer and says whether a CancelledError is that expiry, to be raised as TimeoutError (as
    `asyncio.Timeout.__aexit__` decides it: the task's other cancellations are left as they are).
    """

    __slots__ = ("_cancelling", "_expired", "_handle", "_task")

    def __init__(self, deadline_at: float) -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task(loop)
        if task is None:
            raise RuntimeError("the deadline of an attempt needs a running task")
        self._task = task
        self._cancelling = task.cancelling()
        self._expired = False
        self._handle: asyncio.TimerHandle | None = loop.call_at(
            loop.time() + (deadline_at - time.monotonic()), self._expire
        )

    def _expire(self) -> None:
        self._task.cancel()
        self._expired = True

    def end(self) -> bool:
        """Stop the timer; True when it had expired and the task holds no other cancellation."""
        handle = self._handle
        if handle is None:
            return False
        self._handle = None
        handle.cancel()
        return self._expired and self._task.uncancel() <= self._cancelling


class AsyncPapiHTTPClient(_Shared, httpx.AsyncClient):
    """`httpx.AsyncClient` whose `send` signs, retries, bounds time and size, and raises typed errors."""

    def __init__(
        self,
        *,
        signing: BinanceAuth,
        retry_policy: RetryPolicy,
        time_url: str,
        info: ResponseInfo,
        deadline: float = DEFAULT_DEADLINE,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        governor: tuple[Governor, GovernorConfig] | None = None,
        **kwargs: Any,  # noqa: ANN401
    ) -> None:
        super().__init__(auth=signing, **kwargs)
        self._setup(
            signing=signing,
            retry_policy=retry_policy,
            time_url=time_url,
            info=info,
            deadline=deadline,
            max_response_bytes=max_response_bytes,
            governor=governor,
        )

    def build_request(self, method: str, url: httpx.URL | str, **kwargs: Any) -> httpx.Request:  # noqa: ANN401
        return _built(self, super().build_request, method, url, kwargs)

    async def _resync(self, rejected: httpx.Response) -> None:
        """After a -1021: measure the server clock; if that fails, fall back on the rejection's Date header."""
        try:
            await self.sync_time()
        except PapiError:
            now = self.signing.local_time_ms()
            with contextlib.suppress(PapiError):  # no Date either: retry as is; a second -1021 is raised
                self._apply_server_time(rejected, now, now)

    async def sync_time(self) -> int:
        """Measure the server clock, store the offset in the signing hook and return it (ms)."""
        request = self.build_request("GET", self.time_url)
        sent = self.signing.local_time_ms()
        deadline_at = time.monotonic() + self.deadline
        error: PapiError | None = None
        try:
            response = await self._attempt(request, deadline_at, None)
        except httpx.TransportError as exc:
            error = self._transport_error(request, exc, deadline=time.monotonic() >= deadline_at)
        except _DeadlineExceededError:
            error = self._deadline_error(request)
        if error is not None:
            raise error
        return self._apply_server_time(response, sent, self.signing.local_time_ms())

    async def _attempt(self, request: httpx.Request, deadline_at: float, auth: Any) -> httpx.Response:  # noqa: ANN401
        """One attempt, its whole body read within the deadline (a hard one: `_HardDeadline`) and the size cap."""
        self._clip_timeouts(request, deadline_at)
        try:
            hard_deadline = _HardDeadline(deadline_at)
            try:
                try:
                    response = await super().send(request, stream=True, follow_redirects=False, auth=auth)
                except httpx.InvalidURL as exc:
                    raise _unusable_location(exc, request) from None
                if _already_read(response, self.max_response_bytes):
                    return response
                try:
                    body = _Body(response, self.max_response_bytes)
                    async for chunk in response.aiter_raw():
                        body.feed(chunk)
                    content = body.content()
                finally:
                    await response.aclose()
            except asyncio.CancelledError:
                if hard_deadline.end():
                    raise TimeoutError from None
                raise
            finally:
                hard_deadline.end()
        except TimeoutError:
            if time.monotonic() < deadline_at - 0.05:  # an inner timeout that did not become an httpx one
                raise httpx.ReadTimeout("timed out", request=request) from None
            raise _DeadlineExceededError from None
        return with_content(response, content)

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:  # noqa: ANN401
        self._refuse_while_blocked(request)
        deadline_at = time.monotonic() + self.deadline
        state = RetryState(self.retry_policy, retry_safe=_retry_safe(request))
        unsigned_url = request.url
        auth = kwargs.get("auth", httpx.USE_CLIENT_DEFAULT)
        governor, config = self.governor, self.governor_config
        while True:
            request.url = unsigned_url  # the hook signs the caller's query afresh on every attempt
            started = time.monotonic()
            error: PapiError | None = None
            try:  # the weight governor's pacing, inlined (one coroutine less): a cancelled wait reserves nothing
                ticket = None
                if governor is not None:  # a ticket now when there is room (no coroutine), else the wait
                    weight = _weight(request)
                    ticket = governor.acquire_now(weight, config) or await governor.acquire_async(
                        weight, config, deadline_at
                    )
                try:
                    response = await self._attempt(request, deadline_at, auth)
                except BaseException:
                    if governor is not None and ticket is not None:
                        governor.fail(ticket)
                    raise
                self._count(response, ticket)
            except (httpx.TransportError, _DeadlineExceededError) as exc:
                self._scrub(request, unsigned_url)
                error = self._no_answer(request, exc, deadline_at)
            except BaseException:  # cancelled, or an error of ours: the request still loses its secrets
                self._scrub(request, unsigned_url)
                raise
            else:
                sent_query = self._scrub(request, unsigned_url)
                error = self._after_answer(request, response, state, started, sent_query)
                if error is None:
                    return response
                if state.wants_resync(error):
                    await self._resync(response)
                    continue
            await asyncio.sleep(self._retry_delay(error, state, deadline_at))


__all__ = ["AsyncPapiHTTPClient", "PapiHTTPClient", "ResponseInfo"]
