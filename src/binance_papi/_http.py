"""The httpx clients under the generated code: typed errors, retries, clock-skew fix, used weight, logging.

The generated functions call `client.get_httpx_client().request(...)`; `PapiClient` (see `_client.py`)
hands them these subclasses. Their `send` sits above the signing hook, so each attempt runs the hook again
and is signed with a fresh timestamp; a retrying transport below it would replay stale signatures.
Only 2XX responses leave `send`; everything else becomes an exception from `_errors.py`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

import httpx

from ._constants import USED_WEIGHT_HEADER
from ._errors import (
    IPBannedError,
    PapiError,
    RateLimitError,
    RequestTimeoutError,
    RequestValidationError,
    TransportError,
    error_from_response,
)
from ._governor import Governor, GovernorConfig
from ._retry import RetryPolicy, RetryState
from ._signing import BinanceAuth

logger = logging.getLogger("binance_papi")


class RedactQueryFilter(logging.Filter):
    """Drops the query string from URLs that httpx logs ("HTTP Request: GET https://...?...&signature=...").

    httpx logs every request at INFO with the full URL; for a signed endpoint that is the signature and the
    parameters. Installed on the "httpx" logger when this module is imported.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) and a.query for a in record.args):
            record.args = tuple(
                f"{a.scheme}://{a.netloc.decode('ascii')}{a.path}?<query redacted>"
                if isinstance(a, httpx.URL) and a.query
                else a
                for a in record.args
            )
        return True


if not any(isinstance(f, RedactQueryFilter) for f in logging.getLogger("httpx").filters):
    logging.getLogger("httpx").addFilter(RedactQueryFilter())


# A 418 without Retry-After still bans for at least two minutes (Binance: "from 2 minutes to 3 days").
DEFAULT_BAN_SECONDS = 120.0


class ResponseInfo:
    """What responses said about the IP's limits; shared by a client's sync and async sides."""

    __slots__ = ("blocked_by", "blocked_until", "used_weight")

    def __init__(self) -> None:
        self.used_weight: int | None = None
        """X-MBX-USED-WEIGHT-1M of the latest response: the IP's used request weight this minute."""
        self.blocked_until = 0.0
        """time.monotonic() before which nothing is sent: a 418 ban, or a 429's Retry-After not waited out."""
        self.blocked_by: RateLimitError | IPBannedError | None = None


class _Shared:
    """What the sync and async clients share: configuration, bookkeeping and the clock-offset maths."""

    signing: BinanceAuth
    retry_policy: RetryPolicy
    time_url: str
    info: ResponseInfo
    governor: Governor | None
    governor_config: GovernorConfig

    def _setup(
        self,
        signing: BinanceAuth,
        retry_policy: RetryPolicy,
        time_url: str,
        info: ResponseInfo,
        governor: tuple[Governor, GovernorConfig] | None,
    ) -> None:
        self.signing = signing
        self.retry_policy = retry_policy
        self.time_url = time_url
        self.info = info
        self.governor, self.governor_config = governor if governor is not None else (None, GovernorConfig())

    def _record(self, request: httpx.Request, response: httpx.Response, attempt: int, started: float) -> None:
        weight = response.headers.get(USED_WEIGHT_HEADER)
        if weight is not None and weight.isdigit():
            self.info.used_weight = int(weight)
        if logger.isEnabledFor(logging.DEBUG):
            # Method and path only: the query string carries the signature.
            logger.debug(
                "%s %s -> %d (attempt %d, %.1f ms, used weight %s)",
                request.method,
                request.url.path,
                response.status_code,
                attempt,
                (time.monotonic() - started) * 1000,
                weight if weight is not None else "-",
            )

    @staticmethod
    def _transport_error(request: httpx.Request, exc: httpx.TransportError) -> TransportError:
        # Name the root cause: under the aiohttp transport, httpx's class can be a loose mapping.
        root: BaseException = exc.__cause__ or exc
        reason = type(root).__name__
        detail = str(root)
        # httpx messages can quote the URL, which carries the signature: keep only a clean reason.
        if detail and "signature=" not in detail and "?" not in detail:
            reason = f"{reason}: {detail}"
        cls = RequestTimeoutError if isinstance(exc, httpx.TimeoutException) else TransportError
        return cls(reason, method=request.method, path=request.url.path)

    def _note_limit(self, error: PapiError) -> None:
        """After a 418, or a 429 with Retry-After, remember not to send anything until it has passed."""
        if isinstance(error, (IPBannedError, RateLimitError)):
            wait = error.retry_after
            if wait is None and isinstance(error, IPBannedError):
                wait = DEFAULT_BAN_SECONDS
            if wait is not None and wait > 0:
                self.info.blocked_until = max(self.info.blocked_until, time.monotonic() + wait)
                self.info.blocked_by = error

    def _refuse_while_blocked(self, request: httpx.Request) -> None:
        """Raise, without sending, while a ban or a Retry-After is running: more requests extend bans."""
        blocked_by = self.info.blocked_by
        remaining = self.info.blocked_until - time.monotonic()
        if blocked_by is None or remaining <= 0:
            return
        raise type(blocked_by)(
            status_code=blocked_by.status_code,
            code=blocked_by.code,
            message=f"not sent: {blocked_by.message} ({remaining:.1f} s of Retry-After left)",
            method=request.method,
            path=request.url.path,
            used_weight=blocked_by.used_weight,
            retry_after=remaining,
            hint=blocked_by.hint,
            response=blocked_by.response,
        )

    def _log_retry(self, error: PapiError, attempt: int, delay: float) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("retrying after %s in %.3f s (attempt %d next)", type(error).__name__, delay, attempt)

    def _apply_server_time(self, response: httpx.Response, sent_ms: int, received_ms: int) -> int:
        """Store server-minus-local time (ms) in the signing hook, from a server-time answer or its Date."""
        server_ms: int | None = None
        try:
            body = response.json()
            if isinstance(body, dict) and type(body.get("serverTime")) is int:
                server_ms = body["serverTime"]
        except ValueError:
            pass
        if server_ms is None:
            date = response.headers.get("Date")
            if date is None:
                raise TransportError("server time answer has no serverTime and no Date", method="GET", path="time")
            from email.utils import parsedate_to_datetime

            # Second resolution: take the middle of the second.
            server_ms = int(parsedate_to_datetime(date).timestamp() * 1000) + 500
        offset = server_ms - (sent_ms + received_ms) // 2
        self.signing.time_offset_ms = offset
        logger.debug("clock offset set to %d ms", offset)
        return offset


def _without_empty_params(kwargs: dict[str, Any]) -> dict[str, Any]:
    """`params=None` for empty params: the generated functions always pass a dict, `{}` when no argument is set.

    httpx merges even an empty `params` into the URL, re-parsing it whole (about 10 us a call); None skips
    that. The URL is the same: the generated code never puts a query in the path itself.
    """
    if "params" in kwargs and not kwargs["params"]:
        kwargs["params"] = None
    return kwargs


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
    """`httpx.Client` whose `send` signs, retries and raises typed errors."""

    def __init__(
        self,
        *,
        signing: BinanceAuth,
        retry_policy: RetryPolicy,
        time_url: str,
        info: ResponseInfo,
        governor: tuple[Governor, GovernorConfig] | None = None,
        **kwargs: Any,  # noqa: ANN401
    ) -> None:
        super().__init__(auth=signing, **kwargs)
        self._setup(signing, retry_policy, time_url, info, governor)

    def build_request(self, method: str, url: httpx.URL | str, **kwargs: Any) -> httpx.Request:  # noqa: ANN401
        try:
            return super().build_request(method, url, **_without_empty_params(kwargs))
        except UnicodeEncodeError as exc:
            raise _unencodable(exc) from None

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
        sent = self.signing.local_time_ms()
        try:
            response = super().send(self.build_request("GET", self.time_url), auth=None)
        except httpx.TransportError as exc:
            raise self._transport_error(exc.request, exc) from exc
        return self._apply_server_time(response, sent, self.signing.local_time_ms())

    def _governed_send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:  # noqa: ANN401
        """One attempt, paced by the weight governor: reserve the weight (waiting for room), send, count the answer."""
        governor = self.governor
        if governor is None:
            return super().send(request, **kwargs)
        ticket = governor.acquire(_weight(request), self.governor_config)
        try:
            response = super().send(request, **kwargs)
        except BaseException:
            governor.fail(ticket)
            raise
        governor.settle(ticket, response)
        return response

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:  # noqa: ANN401
        self._refuse_while_blocked(request)
        state = RetryState(self.retry_policy, retry_safe=_retry_safe(request))
        unsigned_url = request.url
        while True:
            request.url = unsigned_url  # the hook signs the caller's query afresh on every attempt
            started = time.monotonic()
            error: PapiError
            try:
                response = self._governed_send(request, **kwargs)
            except httpx.TransportError as exc:
                error = self._transport_error(request, exc)
                error.__cause__ = exc
            else:
                self._record(request, response, state.attempt, started)
                if response.is_success:
                    return response
                error = error_from_response(response)
                self._note_limit(error)
                if state.wants_resync(error):
                    self._resync(response)
                    continue
            delay = state.delay_before_retry(error)
            if delay is None:
                raise error
            self._log_retry(error, state.attempt, delay)
            time.sleep(delay)


class AsyncPapiHTTPClient(_Shared, httpx.AsyncClient):
    """`httpx.AsyncClient` whose `send` signs, retries and raises typed errors; same rules as the sync one."""

    def __init__(
        self,
        *,
        signing: BinanceAuth,
        retry_policy: RetryPolicy,
        time_url: str,
        info: ResponseInfo,
        governor: tuple[Governor, GovernorConfig] | None = None,
        **kwargs: Any,  # noqa: ANN401
    ) -> None:
        super().__init__(auth=signing, **kwargs)
        self._setup(signing, retry_policy, time_url, info, governor)

    def build_request(self, method: str, url: httpx.URL | str, **kwargs: Any) -> httpx.Request:  # noqa: ANN401
        try:
            return super().build_request(method, url, **_without_empty_params(kwargs))
        except UnicodeEncodeError as exc:
            raise _unencodable(exc) from None

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
        sent = self.signing.local_time_ms()
        try:
            response = await super().send(self.build_request("GET", self.time_url), auth=None)
        except httpx.TransportError as exc:
            raise self._transport_error(exc.request, exc) from exc
        return self._apply_server_time(response, sent, self.signing.local_time_ms())

    async def _governed_send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:  # noqa: ANN401
        """One attempt, paced by the weight governor; a cancelled wait reserves nothing (see `_governor`)."""
        governor = self.governor
        if governor is None:
            return await super().send(request, **kwargs)
        ticket = await governor.acquire_async(_weight(request), self.governor_config)
        try:
            response = await super().send(request, **kwargs)
        except BaseException:
            governor.fail(ticket)
            raise
        governor.settle(ticket, response)
        return response

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:  # noqa: ANN401
        self._refuse_while_blocked(request)
        state = RetryState(self.retry_policy, retry_safe=_retry_safe(request))
        unsigned_url = request.url
        while True:
            request.url = unsigned_url  # the hook signs the caller's query afresh on every attempt
            started = time.monotonic()
            error: PapiError
            try:
                response = await self._governed_send(request, **kwargs)
            except httpx.TransportError as exc:
                error = self._transport_error(request, exc)
                error.__cause__ = exc
            else:
                self._record(request, response, state.attempt, started)
                if response.is_success:
                    return response
                error = error_from_response(response)
                self._note_limit(error)
                if state.wants_resync(error):
                    await self._resync(response)
                    continue
            delay = state.delay_before_retry(error)
            if delay is None:
                raise error
            self._log_retry(error, state.attempt, delay)
            import asyncio

            await asyncio.sleep(delay)


__all__ = ["AsyncPapiHTTPClient", "PapiHTTPClient", "ResponseInfo"]
