"""The clients: the generated operations as methods, signed, with typed errors and retries.

    from binance_papi import signed_client, async_signed_client

    with signed_client(api_key, api_secret) as client:
        balances = client.get_balance()             # list[Balance]
        usdt = client.get_balance(asset="USDT")     # Balance

    async with async_signed_client(api_key, api_secret) as client:
        balances = await client.get_balance()

Both clients also work as `client=` for the generated operation modules (`*_detailed` give the headers).
Nothing touches the network until the first call.
"""

from __future__ import annotations

import ipaddress
import os
import threading
import time
import warnings
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

import httpx

from binance_papi_generated.client import AsyncOperations, Client, SyncOperations

from ._bans import origin_of
from ._constants import (
    DEFAULT_BASE_URL,
    DEFAULT_DEADLINE,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_RECV_WINDOW,
    DEFAULT_TIMEOUT,
)
from ._errors import PapiError, RequestValidationError, SnapshotError
from ._governor import DEFAULT_GOVERNOR, GovernorConfig, GovernorState, governor_for
from ._http import AsyncPapiHTTPClient, PapiHTTPClient, ResponseInfo
from ._retry import RetryPolicy
from ._signing import BinanceAuth, Clock, HmacSigner, Signer, system_clock_ms
from ._types import UNSET, Unset
from ._version import __version__

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from ._snapshot import AccountSnapshot

AsyncTransportName = Literal["aiohttp", "httpx"]
USER_AGENT = f"binance-papi/{__version__} (+httpx {httpx.__version__})"
PRODUCTION_TIME_URL = "https://fapi.binance.com/fapi/v1/time"


class _SignedClient(Client):
    """What both clients share: configuration, the lazily built httpx clients, clock and weight bookkeeping.

    The generated operations send through `get_httpx_client()` / `get_async_httpx_client()`, which return
    the signing httpx clients of `_http.py`. Use a client as a context manager (`with` / `async with`), or
    call `close()` / `aclose()`, to release its connections.
    """

    def __init__(
        self,
        *,
        base_url: str,
        signing: BinanceAuth,
        timeout: httpx.Timeout,
        headers: dict[str, str],
        httpx_args: dict[str, Any],
        retry_policy: RetryPolicy,
        time_url: str,
        async_transport: AsyncTransportName,
        governor: GovernorConfig | None,
        deadline: float = DEFAULT_DEADLINE,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self._base_url = base_url
        self._deadline = deadline
        self._max_response_bytes = max_response_bytes
        self._signing = signing
        self._timeout = timeout
        self._headers = headers
        self._httpx_args = httpx_args
        self._retry_policy = retry_policy
        self._time_url = time_url
        self._async_transport = async_transport
        self._info = ResponseInfo(origin_of(base_url))
        self._governor_config = governor
        self._governor = governor_for(base_url, governor.window_s) if governor is not None else None
        self._client: PapiHTTPClient | None = None
        self._async_client: AsyncPapiHTTPClient | None = None

    def _client_args(self) -> dict[str, Any]:
        return {
            "base_url": self._base_url,
            "headers": self._headers,
            "timeout": self._timeout,
            "signing": self._signing,
            "retry_policy": self._retry_policy,
            "time_url": self._time_url,
            "info": self._info,
            "deadline": self._deadline,
            "max_response_bytes": self._max_response_bytes,
            "governor": (self._governor, self._governor_config) if self._governor_config is not None else None,
            **self._httpx_args,
        }

    def get_httpx_client(self) -> PapiHTTPClient:
        if self._client is None:
            self._client = PapiHTTPClient(**self._client_args())
        return self._client

    def get_async_httpx_client(self) -> AsyncPapiHTTPClient:
        if self._async_client is None:
            args = self._client_args()
            if "transport" not in args and self._async_transport == "aiohttp":
                # httpx's own async pool collapses with many requests in flight; aiohttp's does not.
                # Imported here so that sync users never pay for aiohttp.
                from ._aiohttp import AiohttpTransport

                args["transport"] = AiohttpTransport(verify=args.pop("verify", True))
            self._async_client = AsyncPapiHTTPClient(**args)
        return self._async_client

    @property
    def auth(self) -> BinanceAuth:
        """The signing hook (key type, recvWindow default, clock offset)."""
        return self._signing

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def deadline(self) -> float:
        """Seconds a whole call may take: every attempt, each with its full body, and the waits between."""
        return self._deadline

    @property
    def max_response_bytes(self) -> int:
        """The largest response body accepted, as sent and once decompressed (else ResponseTooLargeError)."""
        return self._max_response_bytes

    @property
    def used_weight(self) -> int | None:
        """X-MBX-USED-WEIGHT-1M of the latest response (sync or async): the IP's weight used this minute."""
        return self._info.used_weight

    def governor_state(self) -> GovernorState | None:
        """The weight governor's count for this client's host, with this client's limits; None when it is off."""
        if self._governor is None or self._governor_config is None:
            return None
        return self._governor.state(self._governor_config)

    @property
    def time_offset_ms(self) -> int:
        """Server time minus local time (ms), added to every timestamp. Set by `sync_time` or by hand."""
        return self._signing.time_offset_ms

    @time_offset_ms.setter
    def time_offset_ms(self, value: int) -> None:
        self._signing.time_offset_ms = int(value)

    def sync_time(self) -> int:
        """Measure the server clock now, store the offset and return it (ms)."""
        return self.get_httpx_client().sync_time()

    async def async_sync_time(self) -> int:
        """Like `sync_time`, over the async client."""
        return await self.get_async_httpx_client().sync_time()

    def close(self) -> None:
        """Release the sync client's connections (the async ones need `aclose`)."""
        if self._client is not None:
            self._client.close()

    async def aclose(self) -> None:
        """Release the connections of both sides."""
        self.close()
        if self._async_client is not None:
            await self._async_client.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r}, auth={self._signing!r}, timeout={self._timeout!r})"


class PapiClient(_SignedClient, SyncOperations):
    """The blocking client: every operation of the spec is a method (`client.get_balance(asset="USDT")`).

    Built by `signed_client`. Methods and typing overloads are generated from the spec
    (`binance_papi_generated.client.SyncOperations`).
    """

    _executor: ThreadPoolExecutor | None = None
    """The threads of `account_snapshot`, made on its first call and kept (a thread costs more to start than a
    part's share of CPU); shut down by `close()`."""
    _executor_lock = threading.Lock()
    """Guards the creation of `_executor` (rare, and cheap: one lock for every client is enough)."""

    def _snapshot_executor(self, workers: int) -> ThreadPoolExecutor:
        with self._executor_lock:
            if self._executor is None:
                from concurrent.futures import ThreadPoolExecutor

                self.get_httpx_client()  # built once, before the threads share it
                self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="papi-snapshot")
            return self._executor

    def account_snapshot(self, *, recv_window: int | Unset = UNSET) -> AccountSnapshot:
        """The account at one moment, from six endpoints sent at once (weight 56); see `_snapshot`.

        Raises `SnapshotError` naming the failed parts when any part fails: never half a snapshot. The parts
        run on threads kept by the client between calls (`close()` ends them).
        """
        from concurrent.futures import wait

        from ._snapshot import PARTS, build_snapshot

        pool = self._snapshot_executor(len(PARTS))
        started_ms, started = system_clock_ms(), time.monotonic()
        futures = {part: pool.submit(getattr(self, method), recv_window=recv_window) for part, method in PARTS.items()}
        wait(futures.values())
        outcomes = {part: future.exception() or future.result() for part, future in futures.items()}
        elapsed_ms = round((time.monotonic() - started) * 1000)
        return build_snapshot(_parts_or_raise(outcomes), started_ms=started_ms, elapsed_ms=elapsed_ms)

    def close(self) -> None:
        """Release the connections and end the snapshot threads (the async connections need `aclose`)."""
        with self._executor_lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)
        super().close()


class AsyncPapiClient(_SignedClient, AsyncOperations):
    """The asyncio client: the same methods as `PapiClient`, as coroutines (`await client.get_balance()`).

    Built by `async_signed_client`. Runs on an aiohttp transport by default (see `signed_client`).
    """

    async def account_snapshot(self, *, recv_window: int | Unset = UNSET) -> AccountSnapshot:
        """The account at one moment, from six endpoints sent at once (weight 56); see `_snapshot`.

        Raises `SnapshotError` naming the failed parts when any part fails: never half a snapshot.
        """
        import asyncio

        from ._snapshot import PARTS, build_snapshot

        started_ms, started = system_clock_ms(), time.monotonic()
        results = await asyncio.gather(
            *(getattr(self, method)(recv_window=recv_window) for method in PARTS.values()), return_exceptions=True
        )
        elapsed_ms = round((time.monotonic() - started) * 1000)
        outcomes = dict(zip(PARTS, results, strict=True))
        return build_snapshot(_parts_or_raise(outcomes), started_ms=started_ms, elapsed_ms=elapsed_ms)


def _parts_or_raise(outcomes: dict[str, object]) -> dict[str, object]:
    """The parts, or `SnapshotError` naming every part that failed (other exceptions propagate as they are)."""
    for outcome in outcomes.values():
        if isinstance(outcome, BaseException) and not isinstance(outcome, PapiError):
            raise outcome
    failed = {part: outcome for part, outcome in outcomes.items() if isinstance(outcome, PapiError)}
    if failed:
        raise SnapshotError(failed) from next(iter(failed.values()))
    return outcomes


def _signer(
    api_secret: str | bytes | None,
    private_key: bytes | str | os.PathLike[str] | None,
    passphrase: str | bytes | None,
) -> Signer:
    if api_secret is not None and private_key is not None:
        raise RequestValidationError("give either api_secret (HMAC key) or private_key (RSA or Ed25519 key), not both")
    if private_key is not None:
        from ._keys import load_signer  # cryptography is imported only for asymmetric keys

        return load_signer(private_key, passphrase)
    if api_secret is None:
        raise RequestValidationError("give api_secret (HMAC key) or private_key (RSA or Ed25519 key)")
    if passphrase is not None:
        raise RequestValidationError("private_key_passphrase goes with private_key, not with api_secret")
    return HmacSigner(api_secret)


def _timeout(value: float | httpx.Timeout) -> httpx.Timeout:
    if isinstance(value, httpx.Timeout):
        if None in (value.connect, value.read, value.write, value.pool):
            raise RequestValidationError("timeout: every part must be finite (no 'wait forever')")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
        raise RequestValidationError(f"timeout must be a positive number of seconds, got {value!r}")
    return httpx.Timeout(float(value))


def signed_client(
    api_key: str,
    api_secret: str | bytes | None = None,
    *,
    private_key: bytes | str | os.PathLike[str] | None = None,
    private_key_passphrase: str | bytes | None = None,
    base_url: str = DEFAULT_BASE_URL,
    timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
    recv_window: int = DEFAULT_RECV_WINDOW,
    retry: RetryPolicy | None = None,
    time_url: str | None = None,
    clock: Clock = system_clock_ms,
    headers: dict[str, str] | None = None,
    httpx_args: dict[str, Any] | None = None,
    async_transport: AsyncTransportName = "aiohttp",
    deadline: float = DEFAULT_DEADLINE,
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    governor: GovernorConfig | None = DEFAULT_GOVERNOR,
) -> PapiClient:
    """A ready blocking client for an API key: HMAC (give `api_secret`) or RSA/Ed25519 (give `private_key`).

    Args:
        api_key: the API key (sent in X-MBX-APIKEY).
        api_secret: an HMAC key's secret (never sent; signs each request with HMAC-SHA256).
        private_key: an RSA (2048/4096 bit) or Ed25519 private key, as PEM bytes, a PEM string or a file
            path; the key type is read from the key.
        private_key_passphrase: the passphrase of an encrypted private key.
        base_url: defaults to production, https://papi.binance.com; point it at the simulator for tests.
        timeout: seconds, or an `httpx.Timeout` with every part finite.
        recv_window: ms added as recvWindow when a call does not pass one (1..60000).
        retry: the retry policy; `RetryPolicy.disabled()` sends each request once.
        time_url: the server-time endpoint used to fix clock skew; defaults to Binance's futures time
            endpoint for production, and to `{base_url}/fapi/v1/time` otherwise.
        clock: the local clock in ms (tests inject one).
        headers: extra headers for every request.
        httpx_args: extra keyword arguments for the httpx clients (e.g. a transport).
        async_transport: what carries async requests when httpx_args has no transport: "aiohttp" (default; several
            times the throughput with many requests in flight) or "httpx".
        deadline: seconds a whole call may take, every attempt (each with its full body) and the waits between
            retries included; past it, RequestTimeoutError. Default 30.
        max_response_bytes: the largest response body accepted, as sent and once decompressed; a larger one
            stops the read and raises ResponseTooLargeError. Default 16 MiB.
        governor: the weight governor's limits (`GovernorConfig`: limit, headroom, max_wait, window); by default
            Binance's 6000 a minute with 5% headroom, waiting up to 60 s for room. Requests wait instead of
            earning a 429; every client of the process for the same host shares one count. None: off.
    """
    # Every parameter, by name: `_client_options` validates them for both clients.
    return PapiClient(**_client_options(**locals()))


def async_signed_client(
    api_key: str,
    api_secret: str | bytes | None = None,
    *,
    private_key: bytes | str | os.PathLike[str] | None = None,
    private_key_passphrase: str | bytes | None = None,
    base_url: str = DEFAULT_BASE_URL,
    timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
    recv_window: int = DEFAULT_RECV_WINDOW,
    retry: RetryPolicy | None = None,
    time_url: str | None = None,
    clock: Clock = system_clock_ms,
    headers: dict[str, str] | None = None,
    httpx_args: dict[str, Any] | None = None,
    async_transport: AsyncTransportName = "aiohttp",
    deadline: float = DEFAULT_DEADLINE,
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    governor: GovernorConfig | None = DEFAULT_GOVERNOR,
) -> AsyncPapiClient:
    """A ready asyncio client: the same arguments as `signed_client`, the same methods as coroutines."""
    # Every parameter, by name: `_client_options` validates them for both clients.
    return AsyncPapiClient(**_client_options(**locals()))


def _client_options(
    api_key: str,
    api_secret: str | bytes | None,
    *,
    private_key: bytes | str | os.PathLike[str] | None,
    private_key_passphrase: str | bytes | None,
    base_url: str,
    timeout: float | httpx.Timeout,
    recv_window: int,
    retry: RetryPolicy | None,
    time_url: str | None,
    clock: Clock,
    headers: dict[str, str] | None,
    httpx_args: dict[str, Any] | None,
    async_transport: AsyncTransportName,
    deadline: float,
    max_response_bytes: int,
    governor: GovernorConfig | None,
) -> dict[str, Any]:
    """Validated constructor arguments of either client (see `signed_client`)."""
    signing = BinanceAuth(
        api_key, _signer(api_secret, private_key, private_key_passphrase), recv_window=recv_window, clock=clock
    )
    base = _base_url(base_url, "base_url")
    if time_url is None:
        time_url = PRODUCTION_TIME_URL if base == DEFAULT_BASE_URL else f"{base}/fapi/v1/time"
    else:
        time_url = _base_url(time_url, "time_url")
    if isinstance(deadline, bool) or not isinstance(deadline, (int, float)) or not 0 < deadline <= 86400:
        raise RequestValidationError(f"deadline must be a number of seconds from 0 to 86400, got {deadline!r}")
    if type(max_response_bytes) is not int or not 1024 <= max_response_bytes <= 2**40:
        raise RequestValidationError(f"max_response_bytes must be an int of at least 1024, got {max_response_bytes!r}")
    return {
        "base_url": base,
        "signing": signing,
        "timeout": _timeout(timeout),
        "headers": {"User-Agent": USER_AGENT, **(headers or {})},
        "httpx_args": dict(httpx_args or {}),
        "retry_policy": retry if retry is not None else RetryPolicy(),
        "time_url": time_url,
        "async_transport": async_transport,
        "deadline": float(deadline),
        "max_response_bytes": max_response_bytes,
        "governor": _governor_config(governor),
    }


_WARNED_PLAIN_HTTP: set[str] = set()


def _base_url(value: str, name: str) -> str:
    """A checked base URL without its trailing slash; refuses what would silently change the request.

    Credentials in it are refused and never shown; so are a query, a fragment, spaces and control characters.
    Plain http:// to a host that is not loopback is allowed once warned (per host and process).
    """
    if not isinstance(value, str) or not value:
        raise RequestValidationError(f"{name} must be a non-empty string")
    if "@" in value:
        raise RequestValidationError(f"{name} must not hold credentials (user:password@); it was not used or shown")
    if len(value) > 2000 or not value.isprintable() or any(c.isspace() for c in value):
        raise RequestValidationError(f"{name} must be printable, without spaces or control characters")
    if not value.startswith(("http://", "https://")):
        raise RequestValidationError(f"{name} must start with http:// or https://, got {value[:100]!r}")
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, ValueError):
        raise RequestValidationError(f"{name} is not a valid URL: {value[:100]!r}") from None
    if url.query or url.fragment or "?" in value or "#" in value:
        raise RequestValidationError(f"{name} must not have a query or a fragment (the path would end up in it)")
    if not url.host:
        raise RequestValidationError(f"{name} has no host: {value[:100]!r}")
    if url.scheme == "http" and not _is_loopback(url.host) and url.host not in _WARNED_PLAIN_HTTP:
        _WARNED_PLAIN_HTTP.add(url.host)
        warnings.warn(
            f"{name} uses plain http:// to {url.host}, which is not this machine: the API key and every signed "
            "request travel unencrypted",
            InsecureTransportWarning,
            stacklevel=4,
        )
    return value.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class InsecureTransportWarning(UserWarning):
    """A client was built for plain http:// to a host that is not loopback (warned once per host)."""


def _governor_config(value: object) -> GovernorConfig | None:
    if value is not None and not isinstance(value, GovernorConfig):
        raise RequestValidationError(f"governor must be a GovernorConfig or None (off), got {value!r}")
    return value
