"""End-to-end resilience: every simulator fault, through the real client exactly as a user calls it.

The fault matrix runs each fault of the simulator (plus a skewed server clock) in two scenarios:

- persist: the fault answers every balance request; the call must raise the documented exception class after
  the documented number of attempts, each attempt signed afresh (new timestamp, valid signature);
- once: the fault answers one request; the call must return the account's exact data after the retry (or,
  for a bad 200 body, which is not retried, raise; the caller's next call then gets the exact data),

over the sync client and the async one on both async transports (aiohttp, httpx), for both response shapes.
Every case runs on a worker thread with a hard wall-clock bound and is audited for wrong balances, hangs and
leaked secrets (the API key, the secret and every signature the simulator saw, searched in the
`binance_papi` DEBUG log, exception texts, reprs and tracebacks); each case fails on its own.

A skewed server clock is fixed by one `/fapi/v1/time` measurement and one retry (persist: with the resync
turned off, the -1021 is raised after one request). Then the rate-limit rules end to end: after a 429 over
`max_retry_after` the client sends nothing while Retry-After runs; a 418 (reached by a second client) is
never followed by another request; a 429 within `max_retry_after` is waited out and the retry succeeds; the
used weight is visible after calls of both shapes and on `*_detailed` headers; and no logger at all (httpx's
included) prints a signature. The same retry rules are unit-tested with a mock transport in test_retry.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import httpx
import pytest
from wire_checks import signature_is_valid

from binance_papi import (
    APIError,
    InvalidResponseError,
    IPBannedError,
    OutcomeUnknownError,
    PapiClient,
    PapiError,
    RateLimitError,
    RequestTimeoutError,
    RetryPolicy,
    ServerError,
    TimestampError,
    TransportError,
    signed_client,
)
from binance_papi._bans import BANS
from binance_papi._errors import body_excerpt
from binance_papi.simulator import (
    DEMO_API_KEY,
    DEMO_API_SECRET,
    RecordedRequest,
    SimulatorHandle,
    mangle,
    parse_fault,
)
from binance_papi_generated.api.account import get_balance
from binance_papi_generated.models import Balance
from binance_papi_generated.types import UNSET, Unset

Mode = Literal["sync", "aiohttp", "httpx"]
MODES: tuple[Mode, ...] = ("sync", "aiohttp", "httpx")
BALANCE = "/papi/v1/balance"
TIME = "/fapi/v1/time"
WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"
FAST = RetryPolicy(max_attempts=3, backoff_base=0.002, backoff_max=0.01, max_elapsed=10.0, max_retry_after=2.0)
"""Production rules with tiny backoffs, so the matrix stays fast."""
TIMEOUT_S = 2.0
SLOW_TIMEOUT_S = 0.3
"""The client's timeout for the `slow:` fault, shorter than the delay."""
SLOW_DELAY_S = 1.0
CASE_BOUND_S = 6.0
"""Hard wall-clock limit for one case; the slowest (3 timed-out attempts) needs about 1 s."""
ANY_STATUS = -1
"""In an expected request log: the status is not checked (a `slow:` answer may still be on its way)."""

DECIMAL_FIELDS = {
    "total_wallet_balance": "totalWalletBalance",
    "cross_margin_asset": "crossMarginAsset",
    "cross_margin_borrowed": "crossMarginBorrowed",
    "cross_margin_free": "crossMarginFree",
    "cross_margin_interest": "crossMarginInterest",
    "cross_margin_locked": "crossMarginLocked",
    "um_wallet_balance": "umWalletBalance",
    "um_unrealized_pnl": "umUnrealizedPNL",
    "cm_wallet_balance": "cmWalletBalance",
    "cm_unrealized_pnl": "cmUnrealizedPNL",
    "negative_balance": "negativeBalance",
}


# --- running calls: one client per case, on a worker thread with a hard time limit ---------------------------


class StrictClock:
    """The real clock (ms), but never the same value twice, so two attempts cannot share a timestamp."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            self._last = max(time.time_ns() // 1_000_000, self._last + 1)
            return self._last


@dataclass(frozen=True)
class Call:
    asset: str | None = None
    detailed: bool = False

    @property
    def asset_arg(self) -> str | Unset:
        return UNSET if self.asset is None else self.asset


@dataclass
class CallResult:
    call: Call
    value: Balance | list[Balance] | None = None
    error: PapiError | None = None
    headers: dict[str, str] = field(default_factory=dict)
    """Response headers of a `*_detailed` call."""
    used_weight: int | None = None
    """`client.used_weight` right after the call."""
    elapsed: float = 0.0


@dataclass
class Run:
    results: list[CallResult]
    time_offset_ms: int
    client_repr: str


def make_client(handle: SimulatorHandle, mode: Mode, retry: RetryPolicy, timeout: float) -> PapiClient:
    return signed_client(
        DEMO_API_KEY,
        DEMO_API_SECRET,
        base_url=handle.base_url,
        retry=retry,
        timeout=timeout,
        clock=StrictClock(),
        async_transport="httpx" if mode == "httpx" else "aiohttp",
        # Each client here stands for a process of its own (a second client "on the same IP" is another
        # process): the process-wide weight governor, tested in test_governor*.py, is off.
        governor=None,
    )


def _stop(result: CallResult, stop_on: type[PapiError] | None) -> bool:
    return stop_on is not None and isinstance(result.error, stop_on)


def _run_sync(client: PapiClient, calls: Sequence[Call], stop_on: type[PapiError] | None) -> Run:
    results: list[CallResult] = []
    with client:
        for call in calls:
            result = CallResult(call)
            started = time.monotonic()
            try:
                if call.detailed:
                    response = get_balance.sync_detailed(client=client, asset=call.asset_arg)
                    result.value, result.headers = response.parsed, dict(response.headers)
                else:
                    result.value = get_balance.sync(client=client, asset=call.asset_arg)
            except PapiError as exc:
                result.error = exc
            result.elapsed = time.monotonic() - started
            result.used_weight = client.used_weight
            results.append(result)
            if _stop(result, stop_on):
                break
    return Run(results, client.time_offset_ms, repr(client))


async def _run_async(client: PapiClient, calls: Sequence[Call], stop_on: type[PapiError] | None) -> Run:
    results: list[CallResult] = []
    async with client:
        for call in calls:
            result = CallResult(call)
            started = time.monotonic()
            try:
                if call.detailed:
                    response = await get_balance.asyncio_detailed(client=client, asset=call.asset_arg)
                    result.value, result.headers = response.parsed, dict(response.headers)
                else:
                    result.value = await get_balance.asyncio(client=client, asset=call.asset_arg)
            except PapiError as exc:
                result.error = exc
            result.elapsed = time.monotonic() - started
            result.used_weight = client.used_weight
            results.append(result)
            if _stop(result, stop_on):
                break
    return Run(results, client.time_offset_ms, repr(client))


def execute(
    handle: SimulatorHandle,
    mode: Mode,
    calls: Sequence[Call],
    *,
    retry: RetryPolicy = FAST,
    timeout: float = TIMEOUT_S,
    stop_on: type[PapiError] | None = None,
    bound: float = CASE_BOUND_S,
) -> tuple[Run | None, float]:
    """Make `calls` with one fresh client on a daemon thread; (None, elapsed) if it did not end within `bound`."""
    client = make_client(handle, mode, retry, timeout)
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            if mode == "sync":
                outcome["run"] = _run_sync(client, calls, stop_on)
            else:
                outcome["run"] = asyncio.run(_run_async(client, calls, stop_on))
        except BaseException as exc:  # noqa: BLE001  (handed to the test's thread)
            outcome["error"] = exc

    worker = threading.Thread(target=work, name=f"case-{mode}", daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(bound)
    elapsed = time.monotonic() - started
    if worker.is_alive():
        return None, elapsed
    if "error" in outcome:
        raise outcome["error"]
    run: Run = outcome["run"]
    return run, elapsed


# --- the audit: wrong balances, hangs, leaked secrets -----------------------------------------------------------


def wire(handle: SimulatorHandle, asset: str | None) -> Any:
    """The account's exact data as the simulator serves it: the list, or one asset's object."""
    account = handle.simulator.demo
    body = account.list_body if asset is None else account.asset_body(asset)
    assert body is not None, f"not an asset of the demo account: {asset!r}"
    return json.loads(body)


def same_balance(balance: Balance, item: dict[str, Any]) -> bool:
    """Field by field: the exact decimal (same digits and exponent), None for "", UNSET when absent."""
    if not isinstance(balance, Balance) or balance.to_dict() != item:
        return False
    if balance.asset != item["asset"] or balance.update_time != item["updateTime"]:
        return False
    for attr, key in DECIMAL_FIELDS.items():
        value = getattr(balance, attr)
        if key not in item:
            if value is not UNSET:
                return False
        elif item[key] == "":
            if value is not None:
                return False
        elif type(value) is not Decimal or value.as_tuple() != Decimal(item[key]).as_tuple():
            return False
    return True


def is_exact(handle: SimulatorHandle, value: Balance | list[Balance], asset: str | None) -> bool:
    expected = wire(handle, asset)
    if asset is None:
        return (
            isinstance(value, list)
            and len(value) == len(expected)
            and all(same_balance(b, item) for b, item in zip(value, expected, strict=True))
        )
    return isinstance(value, Balance) and same_balance(value, expected)


def secrets_of(handle: SimulatorHandle) -> set[str]:
    """The API key, the secret, and every signature the simulator received (raw and decoded)."""
    found = {DEMO_API_KEY, DEMO_API_SECRET}
    signatures = 0
    for record in handle.simulator.requests:
        if record.path != BALANCE:
            continue
        raw = record.raw_query.rpartition("signature=")[2]
        decoded = record.params().get("signature", "")
        found.update(s for s in (raw, decoded) if s)
        signatures += 1
    assert signatures, "the case sent no signed request: nothing to search for"
    return found


def exposed_texts(run: Run, caplog: pytest.LogCaptureFixture) -> list[str]:
    """What a user can see: the client's repr, the binance_papi log, each error's text, repr and traceback."""
    records = [r for r in caplog.records if r.name.startswith("binance_papi")]
    assert records, "the binance_papi logger said nothing at DEBUG: the leak search would be vacuous"
    texts = [run.client_repr]
    texts += [f"{r.getMessage()} {r.args!r}" for r in records]
    for result in run.results:
        error: BaseException | None = result.error
        if error is not None:
            texts.append("".join(traceback.format_exception(error)))
        while error is not None:
            texts += [str(error), repr(error)]
            error = error.__cause__ or error.__context__
    return texts


def audit(
    case: str,
    handle: SimulatorHandle,
    run: Run | None,
    elapsed: float,
    caplog: pytest.LogCaptureFixture,
    bound: float = CASE_BOUND_S,
) -> Run:
    """Fail the case on a hang, a wrong balance or a leaked secret."""
    if run is None or elapsed >= bound:
        pytest.fail(f"{case}: no outcome within {bound} s")
    wrong = [r for r in run.results if r.value is not None and not is_exact(handle, r.value, r.call.asset)]
    assert wrong == [], f"{case}: a result differs from the account's data"
    secrets = secrets_of(handle)
    leaks = sorted({s[:8] for text in exposed_texts(run, caplog) for s in secrets if s in text})
    assert leaks == [], f"{case}: secrets visible to the user (first characters): {leaks}"
    return run


# --- request-log checks ------------------------------------------------------------------------------------------


def in_recv_window(record: RecordedRequest) -> bool:
    stamp = record.timestamp
    window = int(record.params().get("recvWindow", "5000"))
    return stamp is not None and record.time_ms - window <= stamp < record.time_ms + 1000


def check_attempts(records: list[RecordedRequest], asset: str | None, *, skewed: int = 0) -> None:
    """Each balance attempt: signed over the bytes sent, a fresh timestamp, inside recvWindow (the first
    `skewed` ones excepted: they were sent before the clock fix)."""
    attempts = [r for r in records if r.path == BALANCE]
    assert attempts
    for number, record in enumerate(attempts):
        assert record.raw_query.isascii()
        assert signature_is_valid(record), f"attempt {number + 1}: the signature does not verify"
        assert record.headers["X-MBX-APIKEY"] == DEMO_API_KEY
        assert record.params().get("asset") == asset
        assert in_recv_window(record) is (number >= skewed), f"attempt {number + 1}: timestamp window"
    stamps = [r.timestamp or 0 for r in attempts]
    assert all(stamps)
    # Strictly increasing once the clock offset is fixed (a fix for a server behind moves timestamps back).
    assert stamps[skewed:] == sorted(set(stamps[skewed:])), "an attempt reused a timestamp: not signed again"
    assert len(set(stamps)) == len(stamps)
    assert len({r.params()["signature"] for r in attempts}) == len(attempts)


def log_of(handle: SimulatorHandle) -> list[tuple[str, int | None]]:
    return [(r.path, r.status) for r in handle.simulator.requests]


def matches_log(actual: list[tuple[str, int | None]], expected: list[tuple[str, int | None]]) -> bool:
    return len(actual) == len(expected) and all(
        a_path == e_path and e_status in (ANY_STATUS, a_status)
        for (a_path, a_status), (e_path, e_status) in zip(actual, expected, strict=True)
    )


# --- the fault matrix --------------------------------------------------------------------------------------------

Kind = Literal["retried", "body", "resync", "clock"]


@dataclass(frozen=True)
class Fault:
    name: str
    error: type[PapiError]
    """The exact class raised when the fault persists."""
    kind: Kind
    """retried: backoff up to max_attempts; body: a bad 200 body, not retried; resync: -1021 answered by
    one clock fix and one retry; clock: the server's clock is skewed (not a fault plan)."""
    status: int | None = None
    """What the simulator answers a faulty attempt (None: no answer; ANY_STATUS: not checked)."""
    code: int | None = None
    plan: str = ""
    """The simulator's fault name (default: `name`)."""
    offset_ms: int = 0

    @property
    def plan_name(self) -> str:
        return self.plan or self.name

    def __str__(self) -> str:
        return self.name


FAULTS = [
    Fault("500", ServerError, "retried", 500, -1000),
    Fault("502-html", ServerError, "retried", 502, None),
    Fault("503-unknown", OutcomeUnknownError, "retried", 503, -1000),
    Fault("503-unavailable", ServerError, "retried", 503, -1000),
    Fault("503-internal", ServerError, "retried", 503, -1001),
    Fault("empty", InvalidResponseError, "body", 200),
    Fault("truncated", InvalidResponseError, "body", 200),
    Fault("wrong-shape", InvalidResponseError, "body", 200),
    Fault("wrong-type", InvalidResponseError, "body", 200),
    Fault("slow", RequestTimeoutError, "retried", ANY_STATUS, plan=f"slow:{SLOW_DELAY_S}"),
    Fault("close", TransportError, "retried", None),
    Fault("timestamp-1021", TimestampError, "resync", 400, -1021),
    Fault("clock+30s", TimestampError, "clock", 400, -1021, offset_ms=30_000),
    Fault("clock-30s", TimestampError, "clock", 400, -1021, offset_ms=-30_000),
]
SCENARIOS = ("persist", "once")
SHAPES: dict[str, str | None] = {"list": None, "asset": "USDT"}


def expected_log(fault: Fault, scenario: str) -> list[tuple[str, int | None]]:
    """The requests the simulator must see, in order: (path, status)."""
    if fault.kind in ("resync", "clock"):
        fixed = [(BALANCE, 400), (TIME, 200)]
        if scenario == "once":  # fixed and retried once; the second call goes straight through
            return [*fixed, (BALANCE, 200), (BALANCE, 200)]
        # persist: a -1021 after the clock fix is raised; with resync off (clock) nothing else is sent
        return [*fixed, (BALANCE, 400)] if fault.kind == "resync" else [(BALANCE, 400)]
    if fault.kind == "body":
        return [(BALANCE, 200)] * (1 if scenario == "persist" else 2)
    if scenario == "persist":
        return [(BALANCE, fault.status)] * FAST.max_attempts
    return [(BALANCE, fault.status), (BALANCE, 200), (BALANCE, 200)]


def mangled_body(handle: SimulatorHandle, fault: Fault, asset: str | None) -> bytes:
    account = handle.simulator.demo
    good = account.list_body if asset is None else account.asset_body(asset)
    assert good is not None
    return mangle(parse_fault(fault.plan_name), good)


def check_error(handle: SimulatorHandle, fault: Fault, error: PapiError | None, asset: str | None) -> None:
    assert type(error) is fault.error, f"expected {fault.error.__name__}, got {error!r}"
    if isinstance(error, APIError):
        assert (error.status_code, error.code) == (fault.status, fault.code)
        assert (error.method, error.path) == ("GET", BALANCE)
        assert error.used_weight == handle.simulator.used_weight()  # the weight header of the last answer
        assert "?" not in str(error)
        if fault.name == "502-html":
            assert "502 Bad Gateway" in error.message  # an excerpt of the HTML body names what happened
    elif isinstance(error, InvalidResponseError):
        content = mangled_body(handle, fault, asset)
        assert error.status_code == 200
        assert error.content == content
        assert error.excerpt == body_excerpt(content)
        assert f"body starts: {error.excerpt!r}" in str(error)
        assert str(error).startswith(f"GET {BALANCE}: ")
        if fault.name == "wrong-type":
            assert "totalWalletBalance" in error.message
            assert "(a JSON number)" in error.message
    elif isinstance(error, TransportError):
        assert (error.method, error.path) == ("GET", BALANCE)
        cause = error.__cause__
        if fault.name == "slow":
            assert isinstance(cause, httpx.TimeoutException)
        else:
            assert isinstance(cause, httpx.TransportError)
            assert not isinstance(cause, httpx.TimeoutException)


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("fault", FAULTS, ids=str)
@pytest.mark.parametrize("mode", MODES)
def test_fault_matrix(
    simulator: SimulatorHandle,
    caplog: pytest.LogCaptureFixture,
    mode: Mode,
    fault: Fault,
    scenario: str,
    shape: str,
) -> None:
    caplog.set_level(logging.DEBUG, logger="binance_papi")
    sim = simulator.simulator
    asset = SHAPES[shape]
    retry = FAST
    if fault.kind == "clock":
        sim.clock_offset_ms = fault.offset_ms
        if scenario == "persist":  # the skew stays uncorrected: a -1021 is raised, never backed off and resent
            retry = RetryPolicy(max_attempts=3, backoff_base=0.002, backoff_max=0.01, resync_on_timestamp_error=False)
    elif scenario == "persist":
        sim.set_fault(fault.plan_name)
    else:
        sim.fail_next(fault.plan_name)
    calls = [Call(asset)] * (1 if scenario == "persist" else 2)
    timeout = SLOW_TIMEOUT_S if fault.name == "slow" else TIMEOUT_S
    run, elapsed = execute(simulator, mode, calls, retry=retry, timeout=timeout)
    run = audit(f"{mode}/{fault}/{scenario}/{shape}", simulator, run, elapsed, caplog)

    assert matches_log(log_of(simulator), expected_log(fault, scenario)), log_of(simulator)
    first = sim.requests[0]
    skewed = 1 if fault.kind == "clock" else 0
    check_attempts(sim.requests, asset, skewed=skewed)
    if fault.kind == "clock" and fault.offset_ms < 0:
        assert first.timestamp is not None
        assert first.timestamp >= first.time_ms + 1000  # the client's clock was ahead of the server's

    results = run.results
    if scenario == "persist":
        (result,) = results
        assert result.value is None
        check_error(simulator, fault, result.error, asset)
    elif fault.kind == "body":  # not retried (README); the next call is exact
        check_error(simulator, fault, results[0].error, asset)
        assert results[1].error is None
        assert results[1].value is not None
    else:
        assert [r.error for r in results] == [None, None]
        assert all(r.value is not None for r in results)

    # The clock offset: measured only after a -1021, and then the server's skew.
    expected_offset = fault.offset_ms if fault.kind == "clock" and scenario == "once" else 0
    if fault.kind == "resync" or (fault.kind == "clock" and scenario == "once"):
        assert abs(run.time_offset_ms - expected_offset) < 1000
    else:
        assert run.time_offset_ms == 0
    # The used weight the client shows is the simulator's, whenever an answer arrived.
    if scenario == "persist" and fault.kind == "retried" and fault.status in (None, ANY_STATUS):
        assert results[-1].used_weight is None
    else:
        assert results[-1].used_weight == sim.used_weight()


# --- rate limits: 418 and 429 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_418_is_never_followed_by_another_request(
    simulator: SimulatorHandle, caplog: pytest.LogCaptureFixture, mode: Mode
) -> None:
    caplog.set_level(logging.DEBUG, logger="binance_papi")
    sim = simulator.simulator
    sim.weight_limit = 20  # one balance call per minute
    sim.start_window()  # a whole window ahead: no boundary during the test
    eager = RetryPolicy(max_attempts=5, backoff_base=0.002, backoff_max=0.01, max_retry_after=2.0)
    # A first client: 200, then a 429 whose Retry-After (60 s) is over the cap: raised at once, and from then
    # on it refuses to send while Retry-After runs (more requests during a 429 earn a ban).
    run, elapsed = execute(simulator, mode, [Call()] * 3, retry=eager)
    run = audit(f"{mode}/429-then-refuse", simulator, run, elapsed, caplog)
    assert [type(r.error or r.value) for r in run.results] == [list, RateLimitError, RateLimitError]
    limited, refused = run.results[1].error, run.results[2].error
    assert isinstance(limited, RateLimitError)
    assert limited.retry_after == 60
    assert isinstance(refused, RateLimitError)
    assert "not sent" in refused.message
    assert log_of(simulator) == [(BALANCE, 200), (BALANCE, 429)]
    # A second client (another process on the same IP, say: in one process every client shares the block, so
    # it is forgotten here) keeps sending: banned. It makes one attempt on the 418, with retries enabled, and
    # then sends nothing more, however often it is called.
    BANS.clear()
    run, elapsed = execute(simulator, mode, [Call()] * 4, retry=eager)
    run = audit(f"{mode}/418", simulator, run, elapsed, caplog)
    errors = [r.error for r in run.results]
    assert [type(e) for e in errors] == [IPBannedError] * 4
    banned = errors[0]
    assert isinstance(banned, IPBannedError)
    assert (banned.status_code, banned.code, banned.retry_after) == (418, -1003, 120)
    assert banned.banned_until is not None
    assert time.time() + 110 < banned.banned_until <= time.time() + 120
    for later in errors[1:]:
        assert isinstance(later, IPBannedError)
        assert "not sent" in later.message
        assert later.banned_until is not None
        assert abs(later.banned_until - banned.banned_until) < 1
    time.sleep(0.1)
    assert log_of(simulator) == [(BALANCE, 200), (BALANCE, 429), (BALANCE, 418)]
    check_attempts(sim.requests, None)


def test_418_hint_says_the_ip_is_banned(simulator: SimulatorHandle) -> None:
    sim = simulator.simulator
    sim.weight_limit = 20
    sim.start_window()  # a whole window ahead: no boundary during the test
    run, _ = execute(simulator, "sync", [Call(), Call()])  # 200, then 429: the IP is limited for 60 s
    assert run is not None
    assert isinstance(run.results[1].error, RateLimitError)
    BANS.clear()  # as in another process, which does not share this one's block
    run, _ = execute(simulator, "sync", [Call()])  # another client keeps sending: 418
    assert run is not None
    banned = run.results[0].error
    assert isinstance(banned, IPBannedError)
    assert banned.code == -1003
    assert "send nothing" in banned.hint
    assert "or the IP gets banned" not in banned.hint


@pytest.mark.parametrize("mode", MODES)
def test_429_waits_for_retry_after_then_succeeds(
    simulator: SimulatorHandle, caplog: pytest.LogCaptureFixture, mode: Mode
) -> None:
    caplog.set_level(logging.DEBUG, logger="binance_papi")
    sim = simulator.simulator
    sim.weight_limit = 20
    sim.limiter.window_ms = 800  # the first call's weight leaves the window within Retry-After (1 s)
    sim.start_window()  # a whole window ahead: no boundary during the test
    run, elapsed = execute(simulator, mode, [Call(), Call("USDT")])  # max_retry_after 2 s admits it
    run = audit(f"{mode}/429-wait", simulator, run, elapsed, caplog)
    assert [r.error for r in run.results] == [None, None]
    assert log_of(simulator) == [(BALANCE, 200), (BALANCE, 429), (BALANCE, 200)]  # waited: never a 418
    _, limited, retried = sim.requests
    assert retried.monotonic - limited.monotonic >= 1.0
    assert run.results[1].elapsed >= 1.0
    assert any("retrying after RateLimitError in 1.000 s" in r.getMessage() for r in caplog.records)
    check_attempts(sim.requests[1:], "USDT")


@pytest.mark.parametrize("mode", MODES)
def test_429_over_the_cap_is_raised_at_once(
    simulator: SimulatorHandle, caplog: pytest.LogCaptureFixture, mode: Mode
) -> None:
    caplog.set_level(logging.DEBUG, logger="binance_papi")
    sim = simulator.simulator
    sim.weight_limit = 20
    sim.limiter.window_ms = 800  # Retry-After: 1 s
    sim.start_window()  # a whole window ahead: no boundary during the test
    capped = RetryPolicy(max_attempts=3, backoff_base=0.002, backoff_max=0.01, max_retry_after=0.5)
    run, elapsed = execute(simulator, mode, [Call(), Call()], retry=capped)
    run = audit(f"{mode}/429-cap", simulator, run, elapsed, caplog)
    error = run.results[1].error
    assert type(error) is RateLimitError
    assert (error.status_code, error.code, error.retry_after) == (429, -1003, 1.0)
    assert run.results[1].elapsed < 0.5
    assert log_of(simulator) == [(BALANCE, 200), (BALANCE, 429)]


# --- used weight ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_used_weight_after_both_shapes_and_on_detailed_headers(
    simulator: SimulatorHandle, caplog: pytest.LogCaptureFixture, mode: Mode
) -> None:
    simulator.simulator.start_window()  # exact counts: no window boundary during the test
    caplog.set_level(logging.DEBUG, logger="binance_papi")
    sim = simulator.simulator
    sim.faults.schedule([None, None, None, None, "503-unavailable"])  # the 5th call is retried once
    calls = [Call(), Call("USDT"), Call(detailed=True), Call("BTC", detailed=True), Call("ETH")]
    run, elapsed = execute(simulator, mode, calls)
    run = audit(f"{mode}/used-weight", simulator, run, elapsed, caplog)
    assert [r.error for r in run.results] == [None] * 5
    assert [r.used_weight for r in run.results] == [20, 40, 60, 80, 120]
    assert [r.headers.get(WEIGHT_HEADER.lower()) for r in run.results] == [None, None, "60", "80", None]
    assert sim.used_weight() == 120
    assert log_of(simulator)[-2:] == [(BALANCE, 503), (BALANCE, 200)]


# --- leaks outside the binance_papi logger ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_no_signature_in_any_logger(simulator: SimulatorHandle, caplog: pytest.LogCaptureFixture, mode: Mode) -> None:
    """Every logger at DEBUG, as `logging.basicConfig(level=logging.DEBUG)` would: httpx's "HTTP Request: GET
    <url>" line included, which would carry the signed query string if the client did not redact it."""
    caplog.set_level(logging.DEBUG)
    simulator.simulator.fail_next("503-internal")
    run, elapsed = execute(simulator, mode, [Call("USDT")])
    run = audit(f"{mode}/all-loggers", simulator, run, elapsed, caplog)
    assert run.results[0].error is None
    httpx_lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert len(httpx_lines) == 2  # one per attempt: the search below is not vacuous
    assert all(BALANCE in line for line in httpx_lines)
    secrets = secrets_of(simulator) | {"signature=", "timestamp="}
    leaked = {(r.name, s[:12]) for r in caplog.records for s in secrets if s in r.getMessage()}
    assert leaked == set()
