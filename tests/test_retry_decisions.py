"""The README's retry table, row by row, with a patched clock and sleep (nothing really waits) and a seeded
random source for the jitter; sync and async clients alike, over a mock transport. The clients run without
the process-wide weight governor (`governor=None`): these are the retry layer's decisions; the governor's
waits, which come before them, are pinned in test_governor*.py.

- `test_retry_table` pins each row ("retry row: ..." ids): which failures are retried, after which wait,
  how many requests go out, and what is raised in the end.
- `test_documented_defaults` reads the defaults from README.md and checks `RetryPolicy()` and the ban default
  against them: attempts 3, Retry-After cap 10 s, max_elapsed 30 s, backoff 0.25 s doubling to 4 s, ban 120 s.
- The backoff tests pin the schedule (full jitter under a doubling ceiling) and the time bound.
- The blocking tests pin that after a 418, or a 429 not waited out, nothing is sent until it has passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from hostile_server import answer, hostile_server

import binance_papi._constants
import binance_papi._errors
import binance_papi._http
from binance_papi import (
    AuthenticationError,
    BadRequestError,
    InvalidSignatureError,
    IPBannedError,
    OutcomeUnknownError,
    PapiClient,
    PapiError,
    RateLimitError,
    RequestTimeoutError,
    RequestValidationError,
    RetryPolicy,
    ServerError,
    TimestampError,
    TransportError,
    async_signed_client,
    signed_client,
)
from binance_papi._bans import BANS
from binance_papi_generated.api.account import get_balance

README = Path(__file__).resolve().parent.parent / "README.md"
BALANCE = "/papi/v1/balance"
TIME = "/fapi/v1/time"
SERVER_TIME_MS = 1_700_000_010_000
REJECTION_DATE = "the rejection's Date header"
Mode = Literal["sync", "async"]
Answer = httpx.Response | Exception


class FakeTime:
    """time.monotonic, time.sleep and asyncio.sleep for the client: sleeping only moves this clock."""

    def __init__(self) -> None:
        self.now = 5000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(time, "monotonic", fake.monotonic)
    monkeypatch.setattr(time, "sleep", fake.sleep)
    monkeypatch.setattr(asyncio, "sleep", fake.async_sleep)
    return fake


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> Mode:
    result: Mode = request.param
    return result


def fresh(answer: httpx.Response) -> httpx.Response:
    """A new response like `answer`: a response object is bound to the one request it answered."""
    return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


class Server:
    """Answers balance requests from a script (the last answer repeats), /fapi/v1/time with SERVER_TIME_MS."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.paths: list[str] = []
        self.methods: list[str] = []
        self.timestamps: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        self.methods.append(request.method)
        if request.url.path == TIME:
            return httpx.Response(200, json={"serverTime": SERVER_TIME_MS})
        self.timestamps.append(request.url.params["timestamp"])
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return fresh(answer)

    @property
    def sent(self) -> int:
        return self.paths.count(BALANCE)


class Caller:
    """One client over the mock server, called the way a user calls it, sync or async."""

    def __init__(self, server: Server, mode: Mode, policy: RetryPolicy) -> None:
        ticks = iter(range(1_700_000_000_000, 1_800_000_000_000, 1000))
        self.client: PapiClient = signed_client(
            "A" * 64,
            "S" * 64,
            base_url="http://sim.invalid",
            retry=policy,
            clock=lambda: next(ticks),
            httpx_args={"transport": httpx.MockTransport(server)},
            governor=None,
        )
        self.mode = mode
        self.runner = asyncio.Runner()

    def __call__(self) -> object:
        if self.mode == "sync":
            return get_balance.sync(client=self.client)
        return self.runner.run(get_balance.asyncio(client=self.client))

    def outcome(self) -> object:
        try:
            return self()
        except PapiError as error:
            return error

    def close(self) -> None:
        self.runner.close()


@pytest.fixture
def caller_factory(mode: Mode) -> Iterator[Callable[..., Caller]]:
    made: list[Caller] = []

    def make(*answers: Answer, policy: RetryPolicy | None = None) -> Caller:
        made.append(Caller(Server(*answers), mode, policy or RetryPolicy()))
        return made[-1]

    yield make
    for caller in made:
        caller.close()


def server_of(caller: Caller) -> Server:
    transport = caller.client._httpx_args["transport"]
    assert isinstance(transport, httpx.MockTransport)
    server = transport.handler
    assert isinstance(server, Server)
    return server


def error(status: int, code: int | None = None, msg: str = "x", /, **headers: str) -> httpx.Response:
    if code is None:
        return httpx.Response(status, content=b"", headers=headers)
    return httpx.Response(status, json={"code": code, "msg": msg}, headers=headers)


OK = httpx.Response(200, json=[])


def at_the_ceiling(_low: float, high: float) -> float:
    """`random.uniform` drawing the highest wait every time: the backoff's ceiling shows."""
    return high


UNKNOWN_503 = error(503, -1000, "Unknown error, please check your request or try again later.")

# (failure, raised when it persists, requests sent when it persists, sleeps before the success when it happens once)
BACKOFF = "backoff"
RETRY_TABLE: dict[str, tuple[Answer, type[PapiError], int, str | float | None]] = {
    "retry row 1: connection error": (httpx.ConnectError("refused"), TransportError, 3, BACKOFF),
    "retry row 1: timeout": (httpx.ReadTimeout("timed out"), RequestTimeoutError, 3, BACKOFF),
    "retry row 1: reset": (httpx.RemoteProtocolError("Server disconnected"), TransportError, 3, BACKOFF),
    "retry row 1: bare 500": (error(500), ServerError, 3, BACKOFF),
    "retry row 1: 502 HTML": (httpx.Response(502, text="<html>Bad Gateway</html>"), ServerError, 3, BACKOFF),
    "retry row 1: 503 Service Unavailable": (error(503, -1000, "Service Unavailable."), ServerError, 3, BACKOFF),
    "retry row 1: 503 Internal error": (error(503, -1001, "Internal error."), ServerError, 3, BACKOFF),
    "retry row 1: 503 Unknown error": (UNKNOWN_503, OutcomeUnknownError, 3, BACKOFF),
    "retry row 1: -1001 on a 400": (error(400, -1001), ServerError, 3, BACKOFF),
    "retry row 1: -1007 on a 400": (error(400, -1007), OutcomeUnknownError, 3, BACKOFF),
    "retry row 1: -1008 on a 400": (error(400, -1008), ServerError, 3, BACKOFF),
    "retry row 1: -1008 on a 403": (error(403, -1008), AuthenticationError, 3, BACKOFF),
    "retry row 2: 429 Retry-After 10 (the cap) is waited": (
        error(429, -1003, **{"Retry-After": "10"}),
        RateLimitError,
        3,
        10.0,
    ),
    "retry row 2: 429 Retry-After 10.5 is raised at once": (
        error(429, -1003, **{"Retry-After": "10.5"}),
        RateLimitError,
        1,
        None,
    ),
    "retry row 2: 429 without Retry-After is raised at once": (error(429, -1003), RateLimitError, 1, None),
    "retry row 2: bare 429 with Retry-After 2 is waited": (error(429, **{"Retry-After": "2"}), RateLimitError, 3, 2.0),
    "retry row 2: -1003 on a 400 with Retry-After 3 is waited": (
        error(400, -1003, **{"Retry-After": "3"}),
        RateLimitError,
        3,
        3.0,
    ),
    "retry row 3: 418 with a short Retry-After": (error(418, -1003, **{"Retry-After": "1"}), IPBannedError, 1, None),
    "retry row 3: bare 418": (error(418), IPBannedError, 1, None),
    "retry row 5: -2015": (error(401, -2015), AuthenticationError, 1, None),
    "retry row 5: bare 401": (error(401), AuthenticationError, 1, None),
    "retry row 5: -1022": (error(400, -1022), InvalidSignatureError, 1, None),
    "retry row 5: -1108": (error(400, -1108), BadRequestError, 1, None),
    "retry row 5: 404": (error(404), BadRequestError, 1, None),
}


@pytest.mark.parametrize(("failure", "raised", "sent", "wait"), list(RETRY_TABLE.values()), ids=list(RETRY_TABLE))
def test_retry_table(
    clock: FakeTime,
    caller_factory: Callable[..., Caller],
    monkeypatch: pytest.MonkeyPatch,
    failure: Answer,
    raised: type[PapiError],
    sent: int,
    wait: str | float | None,
) -> None:
    monkeypatch.setattr("binance_papi._retry.random", random.Random(14))
    persisting = caller_factory(failure)
    outcome = persisting.outcome()
    assert type(outcome) is raised
    if issubclass(raised, TransportError):  # the cause is a clean copy of httpx's error (README, "No secret")
        assert (type(outcome.__cause__), str(outcome.__cause__)) == (type(failure), str(failure))
    assert server_of(persisting).sent == sent
    assert len(set(server_of(persisting).timestamps)) == sent  # every attempt signed afresh
    assert len(clock.sleeps) == sent - 1

    BANS.clear()  # a 418 or a 429 left a block for the whole process: the next case starts as a new process
    clock.sleeps.clear()
    monkeypatch.setattr("binance_papi._retry.random", random.Random(14))
    once = caller_factory(failure, OK)
    if wait is None:
        assert type(once.outcome()) is raised
        assert server_of(once).sent == 1
        assert clock.sleeps == []
        return
    assert once() == []
    assert server_of(once).sent == 2
    if wait == BACKOFF:
        (slept,) = clock.sleeps
        assert slept == random.Random(14).uniform(0.0, 0.25)
    else:
        assert clock.sleeps == [wait]


def test_retry_row_4_timestamp_error_resyncs_once(clock: FakeTime, caller_factory: Callable[..., Caller]) -> None:
    skew = error(400, -1021, "Timestamp for this request is outside of the recvWindow.")
    fixed = caller_factory(skew, OK)
    assert fixed() == []
    assert server_of(fixed).paths == [BALANCE, TIME, BALANCE]
    assert fixed.client.time_offset_ms != 0
    assert clock.sleeps == []  # fixed at once, no backoff

    persisting = caller_factory(skew)
    assert type(persisting.outcome()) is TimestampError
    assert server_of(persisting).paths == [BALANCE, TIME, BALANCE]  # once per call, never backed off and resent
    assert clock.sleeps == []

    off = caller_factory(skew, policy=RetryPolicy(resync_on_timestamp_error=False))
    assert type(off.outcome()) is TimestampError
    assert server_of(off).paths == [BALANCE]


def test_disabled_policy_sends_once_and_never_resyncs(clock: FakeTime, caller_factory: Callable[..., Caller]) -> None:
    assert RetryPolicy.disabled() == RetryPolicy(max_attempts=1, resync_on_timestamp_error=False)
    for failure in (error(503, -1000), error(400, -1021), httpx.ConnectError("refused")):
        caller = caller_factory(failure, OK, policy=RetryPolicy.disabled())
        assert isinstance(caller.outcome(), PapiError)
        assert server_of(caller).paths == [BALANCE]
    assert clock.sleeps == []


# --- the documented defaults ---------------------------------------------------------------------------------------


def documented(pattern: str) -> float:
    match = re.search(pattern, README.read_text(encoding="utf-8"))
    assert match, f"README.md no longer documents {pattern!r}"
    return float(match.group(1))


def test_documented_defaults() -> None:
    policy = RetryPolicy()
    assert policy.max_attempts == documented(r"At most `max_attempts` \((\d+)\) attempts") == 3
    assert policy.max_elapsed == documented(r"no retry starting past `max_elapsed` \((\d+) s\)") == 30
    assert policy.max_retry_after == documented(r"at most `max_retry_after` \((\d+) s\)") == 10
    assert policy.backoff_base == documented(r"\(([\d.]+) s doubling, at most \d+ s\)") == 0.25
    assert policy.backoff_max == documented(r"doubling, at most (\d+) s\)") == 4
    assert policy.resync_on_timestamp_error is True
    assert binance_papi._http.DEFAULT_BAN_SECONDS == documented(r"the ban's `Retry-After` \((\d+) s if none\)") == 120
    assert binance_papi._constants.DEFAULT_DEADLINE == documented(r"the client's `deadline` \((\d+) s") == 30
    assert documented(r"`signed_client\(\.\.\., deadline=([\d.]+)\)") == binance_papi._constants.DEFAULT_DEADLINE
    assert documented(r"`max_response_bytes=(\d+) MiB`") * 2**20 == binance_papi._constants.DEFAULT_MAX_RESPONSE_BYTES
    assert documented(r"clamped to 0\.\.(\d+) days") * 86400 == binance_papi._errors.MAX_RETRY_AFTER_SECONDS


def test_default_policy_end_to_end(
    clock: FakeTime, caller_factory: Callable[..., Caller], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`signed_client` without `retry=`: three attempts, 0.25 s then 0.5 s ceilings, the 10 s cap."""
    monkeypatch.setattr(random, "uniform", at_the_ceiling)
    caller = caller_factory(error(503, -1000))
    caller.client = signed_client(
        "A" * 64, "S" * 64, base_url="http://sim.invalid", httpx_args=caller.client._httpx_args, governor=None
    )
    assert type(caller.outcome()) is ServerError
    assert clock.sleeps == [0.25, 0.5]
    assert server_of(caller).sent == 3


# --- backoff: full jitter under a doubling ceiling, bounded in attempts and in time -------------------------------


def test_backoff_ceiling_doubles_from_base_to_max(
    clock: FakeTime, caller_factory: Callable[..., Caller], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(random, "uniform", at_the_ceiling)
    caller = caller_factory(error(503, -1000), policy=RetryPolicy(max_attempts=8, max_elapsed=1000))
    assert type(caller.outcome()) is ServerError
    assert clock.sleeps == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert server_of(caller).sent == 8


def test_backoff_is_full_jitter_from_a_seeded_source(
    clock: FakeTime, caller_factory: Callable[..., Caller], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("binance_papi._retry.random", random.Random(2024))
    policy = RetryPolicy(max_attempts=7, backoff_base=0.5, backoff_max=3.0, max_elapsed=1000)
    caller = caller_factory(httpx.ConnectError("refused"), policy=policy)
    assert type(caller.outcome()) is TransportError
    expected = random.Random(2024)
    assert clock.sleeps == [expected.uniform(0.0, ceiling) for ceiling in (0.5, 1.0, 2.0, 3.0, 3.0, 3.0)]
    assert len(set(clock.sleeps)) == 6


def test_no_retry_starts_that_would_end_past_max_elapsed(
    clock: FakeTime, caller_factory: Callable[..., Caller], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sleeps at the ceiling: 0.25 + 0.5 + 1 + 2 + 4 + 4 = 11.75 s; the next one (4 s) would end past 15 s."""
    monkeypatch.setattr(random, "uniform", at_the_ceiling)
    bounded = caller_factory(error(500), policy=RetryPolicy(max_attempts=100, max_elapsed=15))
    assert type(bounded.outcome()) is ServerError
    assert clock.sleeps == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0]
    clock.sleeps.clear()
    exact = caller_factory(error(500), policy=RetryPolicy(max_attempts=100, max_elapsed=15.75))
    assert type(exact.outcome()) is ServerError
    assert clock.sleeps == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0]  # ending exactly at max_elapsed is allowed


def test_time_spent_in_attempts_counts_against_max_elapsed(
    clock: FakeTime, caller_factory: Callable[..., Caller], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(random, "uniform", at_the_ceiling)

    def slow_failure(_: httpx.Request) -> httpx.Response:
        clock.now += 10  # each attempt takes 10 s before it fails
        return error(503, -1000)

    caller = caller_factory(OK)
    caller.client = signed_client(
        "A" * 64,
        "S" * 64,
        base_url="http://sim.invalid",
        retry=RetryPolicy(max_attempts=10, max_elapsed=25),
        httpx_args={"transport": httpx.MockTransport(slow_failure)},
        governor=None,
    )
    assert type(caller.outcome()) is ServerError
    assert clock.sleeps == [0.25, 0.5]  # 10 + 0.25 + 10 + 0.5 + 10 = 30.75 s: a third sleep would pass 25 s


def test_429_retry_after_counts_against_max_elapsed(clock: FakeTime, caller_factory: Callable[..., Caller]) -> None:
    limited = error(429, -1003, **{"Retry-After": "8"})
    caller = caller_factory(limited, policy=RetryPolicy(max_attempts=5, max_elapsed=20))
    assert type(caller.outcome()) is RateLimitError
    assert clock.sleeps == [8.0, 8.0]
    assert server_of(caller).sent == 3


@pytest.mark.parametrize(
    ("failure", "raised", "deadline", "sleeps"),
    [
        (error(429, -1003, **{"Retry-After": "8"}), RateLimitError, 20.0, [8.0, 8.0]),  # a third wait ends at 24 s
        (error(429, -1003, **{"Retry-After": "8"}), RateLimitError, 16.0, [8.0]),  # ending at the deadline: not started
        (error(503, -1000), ServerError, 0.6, [0.25]),  # backoff at the ceiling: 0.25, then 0.5 would end at 0.75 s
        (httpx.ConnectError("refused"), TransportError, 0.75, [0.25]),
    ],
    ids=["Retry-After", "Retry-After exactly", "backoff", "backoff exactly"],
)
def test_no_retry_waits_past_the_call_s_deadline(
    clock: FakeTime,
    caller_factory: Callable[..., Caller],
    monkeypatch: pytest.MonkeyPatch,
    failure: Answer,
    raised: type[PapiError],
    deadline: float,
    sleeps: list[float],
) -> None:
    """README: "no retry starts (nor a Retry-After is waited) past" the client's `deadline`, whatever the policy."""
    monkeypatch.setattr(random, "uniform", at_the_ceiling)
    caller = caller_factory(failure)
    caller.client = signed_client(
        "A" * 64,
        "S" * 64,
        base_url="http://sim.invalid",
        deadline=deadline,
        retry=RetryPolicy(max_attempts=10, max_elapsed=1000),
        httpx_args=caller.client._httpx_args,
        governor=None,
    )
    assert type(caller.outcome()) is raised
    assert clock.sleeps == sleeps
    assert server_of(caller).sent == len(sleeps) + 1


def test_policy_refuses_impossible_numbers() -> None:
    for name in ("backoff_base", "backoff_max", "max_elapsed", "max_retry_after"):
        negative: dict[str, Any] = {name: -1}
        with pytest.raises(ValueError, match=f"{name} must not be negative, got -1"):
            RetryPolicy(**negative)
        zero: dict[str, Any] = {name: 0}
        RetryPolicy(**zero)
    with pytest.raises(ValueError, match="max_attempts must be at least 1, got 0"):
        RetryPolicy(max_attempts=0)
    RetryPolicy(max_attempts=1)


# --- 418 and 429: nothing is sent while a ban or a Retry-After runs ------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "blocked_for", "blocked_class"),
    [
        (error(418, -1003, "IP banned until 1.", **{"Retry-After": "300"}), 300.0, IPBannedError),
        (error(418), 120.0, IPBannedError),  # no Retry-After: the documented default ban
        (error(429, -1003, "Too many requests.", **{"Retry-After": "60"}), 60.0, RateLimitError),
        (error(429, **{"Retry-After": "45"}), 45.0, RateLimitError),  # a 429 without code -1003 alike
        (error(429, -1003, **{"Retry-After": "1", "X-MBX-USED-WEIGHT-1M": "6001"}), 1.0, RateLimitError),
    ],
    ids=[
        "418 Retry-After 300",
        "418 without Retry-After",
        "429 over the cap",
        "bare 429 over the cap",
        "429 Retry-After 1 over a cap of 0.5",
    ],
)
def test_nothing_is_sent_until_the_ban_or_retry_after_has_passed(
    clock: FakeTime,
    caller_factory: Callable[..., Caller],
    answer: httpx.Response,
    blocked_for: float,
    blocked_class: type[PapiError],
) -> None:
    caller = caller_factory(answer, OK, policy=RetryPolicy(max_retry_after=10 if blocked_for > 1 else 0.5))
    first = caller.outcome()
    assert type(first) is blocked_class
    assert isinstance(first, IPBannedError | RateLimitError)
    clock.now += blocked_for - 0.25
    refused = caller.outcome()
    assert type(refused) is blocked_class
    assert isinstance(refused, IPBannedError | RateLimitError)
    assert refused.message == f"not sent: {first.message} (0.2 s of Retry-After left)"
    assert refused.retry_after == pytest.approx(0.25)
    assert (refused.status_code, refused.code, refused.hint) == (first.status_code, first.code, first.hint)
    assert refused.used_weight == first.used_weight
    assert (refused.method, refused.path, refused.response) == ("GET", BALANCE, None)  # no answer: nothing sent
    assert first.response is not None
    assert first.response.status_code == first.status_code
    assert server_of(caller).sent == 1
    assert clock.sleeps == []
    clock.now += 0.25
    assert caller() == []
    assert server_of(caller).sent == 2


def test_the_block_is_shared_by_the_sync_and_async_sides(clock: FakeTime) -> None:
    server = Server(error(418, -1003, "banned", **{"Retry-After": "30"}), OK)
    sync_side = Caller(server, "sync", RetryPolicy())
    async_side = Caller(server, "async", RetryPolicy())
    async_side.client = sync_side.client
    try:
        assert type(sync_side.outcome()) is IPBannedError
        assert type(async_side.outcome()) is IPBannedError
        assert server.sent == 1
    finally:
        async_side.close()
        sync_side.close()


def test_a_block_is_kept_per_host(clock: FakeTime) -> None:
    """A ban on one API host stops nothing sent to another."""
    banned = Caller(Server(error(418, -1003, "banned", **{"Retry-After": "30"}), OK), "sync", RetryPolicy())
    other = Caller(Server(OK), "sync", RetryPolicy())
    other.client = signed_client(
        "A" * 64,
        "S" * 64,
        base_url="http://other.invalid",
        httpx_args={"transport": httpx.MockTransport(server_of(other))},
        governor=None,
    )
    try:
        assert type(banned.outcome()) is IPBannedError
        assert type(banned.outcome()) is IPBannedError
        assert other() == []
        assert (server_of(banned).sent, server_of(other).sent) == (1, 1)
    finally:
        banned.close()
        other.close()


@pytest.mark.parametrize("retry_after", [None, "0"], ids=["no Retry-After", "Retry-After 0"])
def test_a_429_with_nothing_to_wait_blocks_nothing(
    clock: FakeTime, caller_factory: Callable[..., Caller], retry_after: str | None
) -> None:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    caller = caller_factory(error(429, -1003, **headers), OK, policy=RetryPolicy.disabled())
    assert type(caller.outcome()) is RateLimitError
    assert caller() == []
    assert server_of(caller).sent == 2


def test_a_429_waited_out_then_sends_again(clock: FakeTime, caller_factory: Callable[..., Caller]) -> None:
    caller = caller_factory(error(429, -1003, **{"Retry-After": "4"}), OK, OK)
    assert caller() == []
    assert clock.sleeps == [4.0]
    assert caller() == []  # the wait is over: no refusal afterwards
    assert server_of(caller).sent == 3


# --- what the responses tell the client -----------------------------------------------------------------------------


def test_used_weight_is_the_latest_answers(clock: FakeTime, caller_factory: Callable[..., Caller]) -> None:
    caller = caller_factory(
        httpx.Response(503, json={"code": -1000, "msg": "x"}, headers={"X-MBX-USED-WEIGHT-1M": "40"}),
        httpx.Response(200, json=[], headers={"X-MBX-USED-WEIGHT-1M": "60"}),
        httpx.Response(200, json=[], headers={"X-MBX-USED-WEIGHT-1M": "n/a"}),
    )
    assert caller.client.used_weight is None
    caller()
    assert caller.client.used_weight == 60
    caller()
    assert caller.client.used_weight == 60  # not a number: the last known one stays


D1 = "Tue, 14 Nov 2023 22:13:40 GMT"
D2 = "Tue, 14 Nov 2023 22:13:41 GMT"


def test_within_one_server_second_the_highest_used_weight_is_the_latest(
    clock: FakeTime, caller_factory: Callable[..., Caller]
) -> None:
    """Answers read concurrently arrive in any order: within one Date (one weight window) the count only rises;
    a new Date, or none, is taken as it comes. Up to 12 digits are read; more is no count."""
    answers = [
        ({}, "60", 60),
        ({}, "40", 40),  # no Date: the latest
        ({"Date": D1}, "30", 30),  # a new second
        ({"Date": D1}, "50", 50),
        ({"Date": D1}, "45", 50),  # same second, lower: answered earlier, read later
        ({"Date": D2}, "5", 5),
        ({"Date": D2}, "9" * 12, 999_999_999_999),
        ({}, "1" + "0" * 12, 999_999_999_999),  # 13 digits: ignored
    ]
    caller = caller_factory(
        *(httpx.Response(200, json=[], headers={**h, "X-MBX-USED-WEIGHT-1M": w}) for h, w, _ in answers)
    )
    seen = []
    for _ in answers:
        caller()
        seen.append(caller.client.used_weight)
    assert seen == [expected for _, _, expected in answers]


def test_retries_are_logged_without_secrets(
    clock: FakeTime, caller_factory: Callable[..., Caller], caplog: pytest.LogCaptureFixture
) -> None:
    caller = caller_factory(httpx.Response(429, headers={"Retry-After": "1"}), OK)
    with caplog.at_level(logging.DEBUG, logger="binance_papi"):
        caller()
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "retrying after RateLimitError in 1.000 s (attempt 2 next)" in text
    assert "signature" not in text
    assert "A" * 64 not in text


def test_httpx_request_log_lines_lose_their_query(caplog: pytest.LogCaptureFixture) -> None:
    url = httpx.URL("https://papi.binance.com/papi/v1/balance?asset=USDT&timestamp=1&signature=abc")
    plain = httpx.URL("https://papi.binance.com/papi/v1/ping")
    with caplog.at_level(logging.INFO, logger="httpx"):
        logging.getLogger("httpx").info('HTTP Request: %s %s "%s"', "GET", url, "HTTP/1.1 200 OK")
        logging.getLogger("httpx").info("HTTP Request: %s %s", "GET", plain)
        logging.getLogger("httpx").info("no arguments")
    assert [r.getMessage() for r in caplog.records] == [
        'HTTP Request: GET https://papi.binance.com/papi/v1/balance?<query redacted> "HTTP/1.1 200 OK"',
        "HTTP Request: GET https://papi.binance.com/papi/v1/ping",
        "no arguments",
    ]


def test_server_text_in_httpx_and_httpcore_log_lines_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    """httpcore's DEBUG traces carry the reason phrase as the server sent it: what looks like a signature goes."""
    echoed: tuple[object, ...] = (b"HTTP/1.1", 400, b"Bad request GET /papi/v1/balance?signature=abc123", [])
    with caplog.at_level(logging.DEBUG, logger="httpcore.http11"):
        logging.getLogger("httpcore.http11").debug("receive_response_headers.complete return_value=%r", echoed)
    (record,) = caplog.records
    assert record.getMessage() == (
        "receive_response_headers.complete return_value="
        "(b'HTTP/1.1', 400, b'Bad request GET /papi/v1/balance?signature=<redacted>', [])"
    )


def test_sync_time_measures_the_offset_from_the_middle_of_the_round_trip(mode: Mode) -> None:
    server = Server(OK)
    caller = Caller(server, mode, RetryPolicy())
    try:
        offset = caller.client.sync_time() if mode == "sync" else caller.runner.run(caller.client.async_sync_time())
    finally:
        caller.close()
    # The clock ticks 1 s per reading: sent at 1_700_000_000_000, received at 1_700_000_001_000.
    assert offset == SERVER_TIME_MS - 1_700_000_000_500
    assert type(offset) is int
    assert server.methods == ["GET"]
    assert caller.client.time_offset_ms == offset
    assert server.paths == [TIME]


@pytest.mark.parametrize(
    ("time_answer", "offset"),
    [
        (httpx.Response(200, json={"serverTime": 1_700_000_020_000}), 20_000),
        (
            httpx.Response(
                200, json={"serverTime": "1700000020000"}, headers={"Date": "Tue, 14 Nov 2023 22:13:40 GMT"}
            ),
            1_700_000_020_500 - 1_700_000_000_000,
        ),
        (
            httpx.Response(200, text="not json", headers={"Date": "Tue, 14 Nov 2023 22:13:40 GMT"}),
            1_700_000_020_500 - 1_700_000_000_000,
        ),
        (httpx.Response(200, json={"serverTime": True}), None),
        (httpx.ConnectError("no route"), None),
        (httpx.ConnectError("no route"), REJECTION_DATE),
        (httpx.Response(200, json={"serverTime": 1.5}), REJECTION_DATE),
    ],
    ids=[
        "serverTime",
        "string serverTime: Date",
        "not JSON: Date",
        "bool serverTime, no Date",
        "unreachable",
        "unreachable: the rejection's Date",
        "float serverTime, no Date: the rejection's Date",
    ],
)
def test_the_clock_fix_reads_server_time_or_the_date_header(
    clock: FakeTime, mode: Mode, time_answer: Answer, offset: int | str | None
) -> None:
    """A -1021; the time endpoint answers `time_answer`; the retry carries the measured offset. Without a
    usable answer the -1021's own Date header gives the offset (REJECTION_DATE), or, without one, none."""
    rejection_headers = {"Date": "Tue, 14 Nov 2023 22:13:50 GMT"} if offset == REJECTION_DATE else {}
    if offset == REJECTION_DATE:
        offset = 1_700_000_030_500 - 1_700_000_000_000
    sent: list[str] = []  # the timestamps (the retry loop re-signs the same request object)

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == TIME:
            if isinstance(time_answer, Exception):
                raise time_answer
            return fresh(time_answer)
        sent.append(request.url.params["timestamp"])
        if len(sent) == 1:
            return error(400, -1021, "Timestamp for this request is outside of the recvWindow.", **rejection_headers)
        return fresh(OK)

    caller = Caller(Server(OK), mode, RetryPolicy())
    caller.client = signed_client(
        "A" * 64,
        "S" * 64,
        base_url="http://sim.invalid",
        clock=lambda: 1_700_000_000_000,
        httpx_args={"transport": httpx.MockTransport(answer)},
        governor=None,
    )
    try:
        assert caller() == []
    finally:
        caller.close()
    assert caller.client.time_offset_ms == (offset or 0)
    assert type(caller.client.time_offset_ms) is int
    assert sent == ["1700000000000", str(1_700_000_000_000 + int(offset or 0))]


def test_build_request_without_params_adds_no_query(caller_factory: Callable[..., Caller]) -> None:
    caller = caller_factory(OK)
    client = caller.client.get_httpx_client()
    assert client.build_request("GET", BALANCE, params={}).url.query == b""
    assert client.build_request("GET", BALANCE, params={"asset": "BTC"}).url.query == b"asset=BTC"


def test_a_request_sent_as_is_is_signed_like_any_call(mode: Mode) -> None:
    """`send` without options (httpx's own API) signs with the client's key, as `request` does."""
    seen: list[tuple[str, str | None]] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.headers.get("X-MBX-APIKEY")))
        return fresh(OK)

    client = signed_client("A" * 64, "S" * 64, httpx_args={"transport": httpx.MockTransport(record)}, governor=None)

    async def send_async() -> httpx.Response:
        http = client.get_async_httpx_client()
        return await http.send(http.build_request("GET", BALANCE))

    if mode == "sync":
        http = client.get_httpx_client()
        http.send(http.build_request("GET", BALANCE))
    else:
        asyncio.run(send_async())
    ((url, key),) = seen
    assert re.search(r"\?recvWindow=5000&timestamp=\d+&signature=[0-9a-f]{64}$", url), url
    assert key == "A" * 64


def test_sync_time_failure_is_a_transport_error(mode: Mode) -> None:
    def refuse(_: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    client = signed_client("A" * 64, "S" * 64, httpx_args={"transport": httpx.MockTransport(refuse)}, governor=None)

    def measure() -> int:
        return client.sync_time() if mode == "sync" else asyncio.run(client.async_sync_time())

    with pytest.raises(TransportError, match="ConnectError: refused"):
        measure()


def test_a_server_time_answer_without_time_or_date_is_a_transport_error(mode: Mode) -> None:
    client = signed_client(
        "A" * 64,
        "S" * 64,
        httpx_args={"transport": httpx.MockTransport(lambda _: httpx.Response(200, json={}))},
        governor=None,
    )

    def measure() -> int:
        return client.sync_time() if mode == "sync" else asyncio.run(client.async_sync_time())

    with pytest.raises(TransportError) as caught:
        measure()
    assert str(caught.value) == "GET time: server time answer has no usable serverTime and no Date"


def test_request_options_reach_httpx(mode: Mode) -> None:
    """Options such as `auth=None` (an unsigned call on the same client) are passed on, not dropped."""
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return fresh(OK)

    client = signed_client("A" * 64, "S" * 64, httpx_args={"transport": httpx.MockTransport(record)}, governor=None)

    async def unsigned_async() -> httpx.Response:
        async with client.get_async_httpx_client() as http:
            return await http.get("/papi/v1/ping", auth=None)

    if mode == "sync":
        client.get_httpx_client().get("/papi/v1/ping", auth=None)
    else:
        asyncio.run(unsigned_async())
    (request,) = seen
    assert request.url.query == b""
    assert "X-MBX-APIKEY" not in request.headers


@pytest.mark.parametrize(
    ("asset", "problem"),
    [
        ("U\udcffSDT", "holds a control or other non-printable character"),  # a lone surrogate (os.fsdecode)
        ("US\nDT", "holds a control or other non-printable character"),
        ("", "is empty"),
        ("U" * 8191 + "\n", "holds a control or other non-printable character"),  # not too long: the limit
        ("U" * 8193, "is too long"),
    ],
    ids=["surrogate", "newline", "empty", "newline at the length limit", "too long"],
)
def test_unsendable_parameters_are_refused(mode: Mode, asset: str, problem: str) -> None:
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return fresh(OK)

    client = signed_client("A" * 64, "S" * 64, httpx_args={"transport": httpx.MockTransport(record)}, governor=None)

    def call() -> object:
        if mode == "sync":
            return get_balance.sync(client=client, asset=asset)
        return asyncio.run(get_balance.asyncio(client=client, asset=asset))

    with pytest.raises(RequestValidationError) as caught:
        call()
    assert str(caught.value) == f"parameter asset {problem}; nothing was sent"
    assert sent == []


@pytest.mark.parametrize(
    ("url", "params", "message"),
    [
        ("/papi/v1/b\udcffalance", {}, "a parameter cannot be encoded as UTF-8 (surrogates not allowed at position"),
        ("/papi/v1/balance", {"asset": "U" * 8000, "more": "M" * 200}, "the request's path and query are longer than"),
        ("/papi/v1/" + "b" * 8200, None, "the request's path and query are longer than 8192 bytes"),
        ("http://[::1", {}, "the request's URL is invalid or too long; nothing was sent"),
    ],
    ids=["surrogate in the path", "long query", "long path", "invalid URL"],
)
def test_requests_httpx_cannot_send_as_asked_are_refused_when_built(
    caller_factory: Callable[..., Caller], url: str, params: dict[str, str] | None, message: str
) -> None:
    client = caller_factory(OK).client
    for http in (client.get_httpx_client(), client.get_async_httpx_client()):
        with pytest.raises(RequestValidationError) as caught:
            http.build_request("GET", url, params=params)
        assert str(caught.value).startswith(message)
        assert str(caught.value).endswith("nothing was sent")


def test_each_row_of_the_readme_retry_table_has_a_test() -> None:
    readme = README.read_text(encoding="utf-8")
    table = readme.split("| failure | what happens |", 1)[1].split("\n\n", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert [row.split(" | ")[0] for row in rows] == [
        "| connection error, timeout, reset; 5XX (all three 503 kinds); -1001, -1007, -1008",
        "| 429",
        "| 418",
        "| -1021",
        "| any other 4XX",
    ]
    covered = {int(case.split(":")[0].removeprefix("retry row ")) for case in RETRY_TABLE}
    covered |= {4} if "test_retry_row_4_timestamp_error_resyncs_once" in globals() else set()
    assert covered == set(range(1, len(rows) + 1))


# --- the clock fix and the deadline on the server-time call ---------------------------------------------------------


@pytest.mark.parametrize(
    ("server_ms", "accepted"),
    [
        (1_700_000_000_500 + 86_400_000, True),  # exactly a day ahead
        (1_700_000_000_500 - 86_400_000, True),
        (1_700_000_000_500 + 86_400_001, False),
        (1_700_000_000_500 - 86_400_001, False),
    ],
)
def test_a_server_clock_more_than_a_day_off_is_not_believed(mode: Mode, server_ms: int, accepted: bool) -> None:
    client = signed_client(
        "A" * 64,
        "S" * 64,
        clock=iter([1_700_000_000_000, 1_700_000_001_000]).__next__,  # sent, received: the middle is ...500
        httpx_args={"transport": httpx.MockTransport(lambda _: httpx.Response(200, json={"serverTime": server_ms}))},
        governor=None,
    )

    def measure() -> int:
        return client.sync_time() if mode == "sync" else asyncio.run(client.async_sync_time())

    if accepted:
        assert measure() == server_ms - 1_700_000_000_500
        return
    with pytest.raises(TransportError) as caught:
        measure()
    offset = server_ms - 1_700_000_000_500
    assert str(caught.value) == f"GET time: server time is {offset} ms off the local clock (more than a day): not used"
    assert (caught.value.method, caught.value.path) == ("GET", "time")
    assert client.time_offset_ms == 0


def test_a_date_header_is_read_up_to_64_characters(mode: Mode) -> None:
    date = "Tue, 14 Nov 2023 22:13:40 +0000"
    date = date.replace(" ", " " * (65 - len(date)), 1)  # 64 characters, ending with the zone
    # The 65th character, read, would make the zone +00001: a minute off.
    answer = httpx.Response(200, json={}, headers={"Date": date + "1 trailing garbage"})
    client = signed_client(
        "A" * 64,
        "S" * 64,
        clock=lambda: 1_700_000_000_000,
        httpx_args={"transport": httpx.MockTransport(lambda _: answer)},
        governor=None,
    )
    offset = client.sync_time() if mode == "sync" else asyncio.run(client.async_sync_time())
    assert offset == 1_700_000_020_500 - 1_700_000_000_000


def test_measuring_the_clock_ends_at_the_deadline(clock: FakeTime) -> None:
    """A time endpoint whose body keeps coming: the measurement ends at the client's deadline (sync)."""

    def trickle() -> Iterator[bytes]:
        while True:
            clock.now += 0.25
            yield b" "

    client = signed_client(
        "A" * 64,
        "S" * 64,
        deadline=1.0,
        httpx_args={"transport": httpx.MockTransport(lambda _: httpx.Response(200, content=trickle()))},
        governor=None,
    )
    with pytest.raises(RequestTimeoutError) as caught:
        client.sync_time()
    assert str(caught.value) == f"GET {TIME}: the call's deadline of 1 s ran out"


def test_async_measuring_the_clock_ends_at_the_deadline() -> None:
    """The async side: a time endpoint answering after a moment is measured; one whose body keeps coming ends at
    the client's deadline (0.3 s, real time)."""
    trickling = False

    async def pieces() -> AsyncIterator[bytes]:
        while True:
            await asyncio.sleep(0.02)
            yield b" "

    async def answer(_: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        if trickling:
            return httpx.Response(200, content=pieces())
        return httpx.Response(200, json={"serverTime": 1_700_000_020_500})

    client = signed_client(
        "A" * 64,
        "S" * 64,
        deadline=0.3,
        clock=lambda: 1_700_000_000_000,
        httpx_args={"transport": httpx.MockTransport(answer)},
        governor=None,
    )
    runner = asyncio.Runner()
    try:
        assert runner.run(client.async_sync_time()) == 20_500
        trickling = True
        with pytest.raises(RequestTimeoutError) as caught:
            runner.run(client.async_sync_time())
    finally:
        runner.close()
    assert str(caught.value) == f"GET {TIME}: the call's deadline of 0.3 s ran out"


def test_a_transport_error_at_the_deadline_says_so(clock: FakeTime, mode: Mode) -> None:
    """An attempt that fails once the deadline has passed: a RequestTimeoutError naming both."""

    def fail_late(request: httpx.Request) -> httpx.Response:
        clock.now += 2.0
        raise httpx.ConnectError("refused", request=request)

    client = signed_client(
        "A" * 64, "S" * 64, deadline=2.0, httpx_args={"transport": httpx.MockTransport(fail_late)}, governor=None
    )
    runner = asyncio.Runner()
    try:
        for call, path in (
            (
                (lambda: get_balance.sync(client=client), BALANCE),
                (client.sync_time, TIME),
            )
            if mode == "sync"
            else (
                (lambda: runner.run(get_balance.asyncio(client=client)), BALANCE),
                (lambda: runner.run(client.async_sync_time()), TIME),
            )
        ):
            with pytest.raises(RequestTimeoutError) as caught:
                call()
            assert str(caught.value) == f"GET {path}: the call's deadline of 2 s ran out (ConnectError: refused)"
            assert type(caught.value.__cause__) is httpx.ConnectError
    finally:
        runner.close()


def test_a_transport_error_just_before_the_deadline_is_itself(clock: FakeTime) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        clock.now += 1.999
        raise httpx.ConnectError("refused", request=request)

    client = signed_client(
        "A" * 64,
        "S" * 64,
        deadline=2.0,
        retry=RetryPolicy.disabled(),
        httpx_args={"transport": httpx.MockTransport(fail)},
        governor=None,
    )
    for call, path in ((lambda: get_balance.sync(client=client), BALANCE), (client.sync_time, TIME)):
        with pytest.raises(TransportError) as caught:
            call()
        assert type(caught.value) is TransportError
        assert str(caught.value) == f"GET {path}: ConnectError: refused"


class OddTransportError(httpx.TransportError):
    """A transport's own error class, with a constructor of its own (as some transports have)."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(f"{code}: {text}")


LONG = "x " * 200


@pytest.mark.parametrize(
    ("raised", "copy_class", "text"),
    [
        (httpx.ConnectError(LONG), httpx.ConnectError, LONG[:300]),
        (OddTransportError(7, LONG), httpx.TransportError, f"7: {LONG}"[:300]),  # the odd class cannot be rebuilt
    ],
    ids=["httpx's own", "odd constructor"],
)
def test_a_transport_error_is_copied_cut_at_300_characters(
    raised: httpx.TransportError, copy_class: type[httpx.TransportError], text: str
) -> None:
    sent: list[httpx.Request] = []

    def fail(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        raise raised

    client = signed_client(
        "A" * 64,
        "S" * 64,
        retry=RetryPolicy.disabled(),
        httpx_args={"transport": httpx.MockTransport(fail)},
        governor=None,
    )
    with pytest.raises(TransportError) as caught:
        get_balance.sync(client=client)
    cause = caught.value.__cause__
    assert type(cause) is copy_class
    assert str(cause) == text
    assert cause.request is sent[0]
    assert str(caught.value) == f"GET {BALANCE}: {type(raised).__name__}: {text}"


def test_each_attempt_s_timeouts_end_by_the_deadline(clock: FakeTime) -> None:
    """README: "Each attempt's timeouts are also clipped to what is left" of the call's deadline."""
    seen: list[dict[str, float | None]] = []
    spent = iter([7.0, 2.5, 1.0])

    def slow_failure(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.extensions["timeout"]))
        clock.now += next(spent)
        return error(503, -1000)

    client = signed_client(
        "A" * 64,
        "S" * 64,
        deadline=10.0,
        timeout=httpx.Timeout(5.0, connect=2.0, pool=60.0),
        retry=RetryPolicy(max_attempts=4, backoff_base=0.0),
        httpx_args={"transport": httpx.MockTransport(slow_failure)},
        governor=None,
    )
    with pytest.raises(ServerError):
        get_balance.sync(client=client)
    assert seen == [
        {"connect": 2.0, "read": 5.0, "write": 5.0, "pool": 10.0},  # the pool's 60 s: what is left of the call
        {"connect": 2.0, "read": 3.0, "write": 3.0, "pool": 3.0},  # 7 s spent: 3 s left
        {"connect": 0.5, "read": 0.5, "write": 0.5, "pool": 0.5},  # 9.5 s spent
    ]


def test_a_request_without_timeouts_still_ends_by_the_deadline(clock: FakeTime) -> None:
    """A request sent through the httpx client with `timeout=None` ("wait forever") gets what is left of the call."""
    seen: list[dict[str, float | None]] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.extensions["timeout"]))
        return fresh(OK)

    client = signed_client(
        "A" * 64, "S" * 64, deadline=10.0, httpx_args={"transport": httpx.MockTransport(record)}, governor=None
    )
    client.get_httpx_client().get(BALANCE, timeout=None)
    assert seen == [{"connect": 10.0, "read": 10.0, "write": 10.0, "pool": 10.0}]


# --- the async attempt's hard deadline, over a real socket ---------------------------------------------------------


def _slow_then_answer(connection: socket.socket, head: bytes) -> None:
    """Answers after 1 s: the time endpoint with a server time, anything else with an empty list."""
    time.sleep(1.0)
    body = b'{"serverTime": %d}' % (time.time_ns() // 1_000_000) if b"/fapi/v1/time" in head else b"[]"
    with contextlib.suppress(OSError):
        connection.sendall(answer(200, body, "Content-Type: application/json"))


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_an_outside_cancel_stays_a_cancel_and_the_deadline_a_timeout(transport: Literal["aiohttp", "httpx"]) -> None:
    """The async deadline cancels the call's own task; a cancel from elsewhere must stay a CancelledError (a
    task group or `asyncio.wait_for` relies on it), and the deadline's own expiry is a RequestTimeoutError."""

    async def scenario(base_url: str) -> tuple[object, object, int]:
        options: dict[str, Any] = {"base_url": base_url, "governor": None, "retry": RetryPolicy.disabled()}
        async with (
            async_signed_client("A" * 64, "S" * 64, async_transport=transport, **options) as patient,
            async_signed_client("A" * 64, "S" * 64, async_transport=transport, deadline=0.3, **options) as hurried,
        ):
            task = asyncio.create_task(get_balance.asyncio(client=patient))
            await asyncio.sleep(0.2)
            task.cancel()
            cancelled = (await asyncio.gather(task, return_exceptions=True))[0]
            timed_out = (await asyncio.gather(get_balance.asyncio(client=hurried), return_exceptions=True))[0]
            offset = await patient.async_sync_time()  # a real round trip of 1 s, well within the 30 s deadline
        return cancelled, timed_out, offset

    with hostile_server(_slow_then_answer) as server:
        cancelled, timed_out, offset = asyncio.run(scenario(server.base_url))
    assert type(cancelled) is asyncio.CancelledError
    assert type(timed_out) is RequestTimeoutError
    assert "deadline of 0.3 s ran out" in str(timed_out)
    assert isinstance(offset, int)
