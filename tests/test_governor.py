"""The weight governor's accounting, on a settable clock: reserve, correct from the server's count, windows.

End-to-end behaviour against the simulator (sync and async, several clients, another process's weight) is
in test_governor_e2e.py.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from email.utils import formatdate
from typing import Any

import httpx
import pytest

import binance_papi._client
from binance_papi import (
    GovernorConfig,
    RateLimitError,
    RequestValidationError,
    RetryPolicy,
    TransportError,
    WeightBudgetExceeded,
    signed_client,
)
from binance_papi._governor import Governor, Ticket, governor_for, reset_governors
from binance_papi_generated.api.account import get_balance

T0 = 1_750_000_040.0  # local seconds: 20 s into a minute of the (same) server clock
NEXT = T0 + 40.0  # the next minute
CONFIG = GovernorConfig(limit=100, headroom=0.1, max_wait=0.0)  # cap 90; never waits


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def date(seconds: float) -> str:
    return formatdate(int(seconds), usegmt=True)


def answered(governor: Governor, ticket: Ticket, used: int, clock: Clock, retry_after: float | None = None) -> None:
    """An answer at the clock's time, whose Date agrees with it (server clock = local clock)."""
    governor.record(ticket, used=used, date=date(clock.now), retry_after=retry_after)


def test_config_defaults_and_checks() -> None:
    config = GovernorConfig()
    assert (config.limit, config.headroom, config.max_wait, config.window_s, config.cap) == (
        6000,
        0.05,
        60.0,
        60.0,
        5700,
    )
    for bad in ({"limit": 0}, {"limit": True}, {"headroom": 1.0}, {"headroom": -0.1}, {"max_wait": float("inf")}):
        with pytest.raises(RequestValidationError):
            GovernorConfig(**bad)


def test_reserve_then_correct_from_the_header() -> None:
    clock = Clock()
    governor = Governor(60, clock=clock)
    ticket = governor.acquire(20, CONFIG)
    state = governor.state(CONFIG)
    assert (state.used, state.reserved, state.available, state.waiting) == (0, 20, 70, 0)
    # The server counted 50: 20 of ours and 30 spent by another process on the IP.
    answered(governor, ticket, 50, clock)
    state = governor.state(CONFIG)
    assert (state.used, state.reserved, state.available) == (50, 0, 40)
    # Headers only raise the count within a window (an older answer arriving late says less).
    answered(governor, governor.acquire(20, CONFIG), 45, clock)
    assert governor.state(CONFIG).used == 50


def test_a_request_over_the_cap_is_refused_without_counting() -> None:
    clock = Clock()
    governor = Governor(60, clock=clock)
    answered(governor, governor.acquire(20, CONFIG), 80, clock)  # others spent 60
    before = governor.state(CONFIG)
    with pytest.raises(WeightBudgetExceeded) as refused:
        governor.acquire(20, CONFIG)
    error = refused.value
    assert error.wait == pytest.approx(40.0)  # until the next minute of the server clock
    assert error.retry_after == pytest.approx(40.0)
    assert (error.weight, error.used, error.cap, error.limit, error.max_wait) == (20, 80, 90, 100, 0.0)
    assert "would have had to wait 40.0 s" in str(error)
    assert governor.state(CONFIG) == before  # nothing reserved, nothing waiting
    # A lighter request still fits.
    assert governor.acquire(10, CONFIG).weight == 10


def test_in_flight_weight_counts_and_at_most_half_of_what_is_left_is_in_flight() -> None:
    governor = Governor(60, clock=Clock())
    config = GovernorConfig(limit=1000, headroom=0.1, max_wait=0.0)  # cap 900
    first = governor.acquire(100, config)
    with pytest.raises(WeightBudgetExceeded):
        governor.acquire(100, config)  # one at a time until an answer gives the window's count
    governor.record(first, used=100)
    tickets = [governor.acquire(100, config) for _ in range(4)]  # 400 in flight: under half of 900 - 100
    assert governor.state(config).reserved == 400
    with pytest.raises(WeightBudgetExceeded) as refused:
        governor.acquire(100, config)  # 500 in flight would be over half of what is left
    assert refused.value.wait == pytest.approx(
        0, abs=0.1
    )  # it only had to wait for answers: a max_wait > 0 waits for them
    governor.record(tickets[0], used=100)
    governor.record(tickets[1], used=200)
    assert governor.acquire(100, config).weight == 100  # 200 in flight of (900 - 200) / 2


def test_window_roll_over_waits_for_the_new_window_to_be_confirmed() -> None:
    clock = Clock()
    governor = Governor(60, clock=clock)
    answered(governor, governor.acquire(20, CONFIG), 90, clock)
    with pytest.raises(WeightBudgetExceeded):
        governor.acquire(20, CONFIG)
    clock.now = NEXT  # the next minute, by the governor's estimate of the server clock
    state = governor.state(CONFIG)
    assert state.used == 0
    # Until an answer shows the server in the new window, only what the old one has left (10) goes out.
    assert state.available == 10
    probe = governor.acquire(10, CONFIG)
    with pytest.raises(WeightBudgetExceeded):
        governor.acquire(10, CONFIG)
    answered(governor, probe, 10, clock)  # Date in the new minute: confirmed
    state = governor.state(CONFIG)
    assert (state.used, state.available) == (10, 80)
    assert state.next_window_in == pytest.approx(60.0, abs=0.5)


def pin_clock(governor: Governor, second: int) -> None:
    """Two answers just either side of a second mark: the server clock is the local one, to a ms."""
    clock = governor._clock
    assert isinstance(clock, Clock)
    clock.now = second - 0.001
    governor.record(None, used=None, date=date(second - 1))
    clock.now = second + 0.001
    governor.record(None, used=None, date=date(second))
    assert governor.state(CONFIG).clock_uncertainty_ms == pytest.approx(1.0)


def test_an_answer_counted_in_the_old_window_does_not_count_in_the_new_one() -> None:
    clock = Clock()
    governor = Governor(60, clock=clock)
    pin_clock(governor, int(T0) + 10)
    clock.now = NEXT - 0.5
    ticket = governor.acquire(20, CONFIG)
    clock.now = NEXT + 0.01  # answered just after the boundary, but the server's Date is of the old second
    governor.record(ticket, used=85, date=date(NEXT - 0.5))
    state = governor.state(CONFIG)
    assert (state.used, state.reserved) == (0, 0)
    assert state.available == 100 - 85  # unconfirmed: what the old window has left


def test_date_headers_place_the_windows_on_the_server_clock() -> None:
    clock = Clock(T0)  # local 20 s into a minute; the server is 30.25 s ahead: 50.25 s into it
    governor = Governor(60, clock=clock)
    for step in range(8):
        ticket = governor.acquire(1, CONFIG)
        clock.now += 0.004
        server = clock.now + 30.25
        governor.record(ticket, used=step + 1, date=date(server))
        clock.now += 0.113 * (step + 1)
    state = governor.state(CONFIG)
    assert state.clock_uncertainty_ms is not None
    assert state.clock_uncertainty_ms < 500
    server_now = clock.now + 30.25
    assert state.next_window_in == pytest.approx(60 - server_now % 60, abs=1.0)


def test_a_failed_request_keeps_its_weight_until_the_window_ends() -> None:
    clock = Clock()
    governor = Governor(60, clock=clock)
    ticket = governor.acquire(20, CONFIG)
    governor.fail(ticket)
    governor.fail(ticket)  # once only
    assert governor.state(CONFIG).reserved == 20
    clock.now = NEXT
    assert governor.state(CONFIG).reserved == 0


def test_retry_after_holds_every_request_of_the_host() -> None:
    clock = Clock()
    governor = Governor(60, clock=clock)
    answered(governor, governor.acquire(20, CONFIG), 20, clock, retry_after=5.0)
    state = governor.state(CONFIG)
    assert (state.blocked_for, state.available) == (5.0, 0)
    with pytest.raises(WeightBudgetExceeded) as refused:
        governor.acquire(1, CONFIG)
    assert refused.value.wait == pytest.approx(5.0)
    clock.now += 5.0
    assert governor.acquire(1, CONFIG).weight == 1


def test_a_waiting_thread_goes_when_an_answer_makes_room_and_in_order() -> None:
    clock = Clock()
    governor = Governor(60, clock=clock)
    waiting = GovernorConfig(limit=100, headroom=0.1, max_wait=30.0)
    governor.record(None, used=0, date=date(clock.now))  # the window's count is known: 0
    first = governor.acquire(30, waiting)
    second = governor.acquire(15, waiting)  # 45 in flight: half of 90; more waits for answers
    granted: list[int] = []

    def take(weight: int) -> None:
        granted.append(governor.acquire(weight, waiting).weight)

    threads = [threading.Thread(target=take, args=(w,)) for w in (15, 5)]
    for count, thread in enumerate(threads, 1):
        thread.start()
        wait_until(lambda count=count: governor.state(waiting).waiting == count)  # type: ignore[misc]
    assert granted == []
    governor.record(first, used=30)  # the 15 goes; the 5 waits behind it for the next answer
    wait_until(lambda: granted == [15])
    governor.record(second, used=45)
    for thread in threads:
        thread.join(5)
    assert granted == [15, 5]
    assert governor.state(waiting).reserved == 20


def wait_until(condition: Callable[[], bool]) -> None:
    for _ in range(5000):
        if condition():
            return
        threading.Event().wait(0.001)
    raise AssertionError("condition not met within 5 s")


async def until_waiting(governor: Governor, config: GovernorConfig) -> None:
    for _ in range(5000):
        if governor.state(config).waiting:
            return
        await asyncio.sleep(0.001)
    raise AssertionError("nothing waited within 5 s")


def test_a_cancelled_wait_returns_its_reservation() -> None:
    async def scenario() -> None:
        clock = Clock()
        governor = Governor(60, clock=clock)
        waiting = GovernorConfig(limit=100, headroom=0.1, max_wait=60.0)
        answered(governor, governor.acquire(20, waiting), 90, clock)  # full until the next minute
        task = asyncio.create_task(governor.acquire_async(20, waiting))
        await until_waiting(governor, waiting)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        state = governor.state(waiting)
        assert (state.waiting, state.reserved) == (0, 0)

        # Granted but cancelled before it could run: the grant is given back.
        clock.now = NEXT
        answered(governor, governor.acquire(10, waiting), 10, clock)
        blocker = governor.acquire(40, waiting)
        task = asyncio.create_task(governor.acquire_async(40, waiting))
        await until_waiting(governor, waiting)
        governor.record(blocker, used=50)  # room: the waiter is granted, then cancelled before resuming
        assert governor.state(waiting).reserved == 40
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert governor.state(waiting).reserved == 0

    asyncio.run(scenario())


def test_registry_shares_one_governor_per_host() -> None:
    reset_governors()
    a = governor_for("https://papi.binance.com")
    assert governor_for("https://papi.binance.com:443/") is a
    assert governor_for("http://127.0.0.1:8080") is not a
    assert governor_for("https://papi.binance.com", window_s=1) is not a
    reset_governors()
    assert governor_for("https://papi.binance.com") is not a


def test_weight_budget_exceeded_says_how_long_it_waited_and_what_is_left() -> None:
    """The attributes a caller reads to decide when to come back (README, the governor)."""
    error = WeightBudgetExceeded(weight=20, wait=40.0, waited=15.0, used=80, reserved=5, limit=100, cap=95, max_wait=15)
    assert (error.wait, error.waited, error.retry_after) == (40.0, 15.0, 25.0)  # room expected 25 s from now
    described = (error.weight, error.used, error.reserved, error.limit, error.cap, error.max_wait)
    assert described == (20, 80, 5, 100, 95, 15)
    late = WeightBudgetExceeded(weight=1, wait=1.0, waited=1.5, used=0, reserved=0, limit=100, cap=95, max_wait=1.5)
    assert late.retry_after == 0.0  # it waited past the expected room: come back now, never a negative time


# --- the HTTP layer's governed send: each request reserves its weight, within the call's deadline ------------------


@pytest.fixture
def governed(monkeypatch: pytest.MonkeyPatch) -> Governor:
    """The governor every client of the test gets, on a settable clock (20 s into a minute)."""
    governor = Governor(60, clock=Clock())
    monkeypatch.setattr(binance_papi._client, "governor_for", lambda *_, **__: governor)
    return governor


def governed_client(handler: Callable[[httpx.Request], httpx.Response], config: GovernorConfig, **options: Any) -> Any:
    return signed_client(
        "A" * 64,
        "S" * 64,
        base_url="http://sim.invalid",
        retry=RetryPolicy.disabled(),
        governor=config,
        httpx_args={"transport": httpx.MockTransport(handler)},
        **options,
    )


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_each_request_reserves_its_weight_until_answered(governed: Governor, mode: str) -> None:
    """A request holds its weight (the operation's x-weight; 1 without a positive one) while in flight; an answer
    gives it back and the server's count takes over; a request without an answer keeps it to the window's end."""
    in_flight: list[int] = []
    failing = False

    def handler(request: httpx.Request) -> httpx.Response:
        state = client.governor_state()
        assert state is not None
        in_flight.append(state.reserved)
        if failing:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json=[], headers={"X-MBX-USED-WEIGHT-1M": "33"})

    client = governed_client(handler, GovernorConfig(limit=1000, max_wait=0.0))

    async def async_calls() -> None:
        http = client.get_async_httpx_client()
        await get_balance.asyncio(client=client)
        for weight in (None, 0, -3, True, 7):
            await http.get("/papi/v1/ping", extensions={} if weight is None else {"papi_weight": weight})

    if mode == "sync":
        http = client.get_httpx_client()
        get_balance.sync(client=client)
        for weight in (None, 0, -3, True, 7):
            http.get("/papi/v1/ping", extensions={} if weight is None else {"papi_weight": weight})
    else:
        asyncio.run(async_calls())
    assert in_flight == [20, 1, 1, 1, 1, 7]  # get_balance's x-weight is 20
    state = client.governor_state()
    assert (state.reserved, state.used) == (0, 33)

    failing = True
    with pytest.raises(TransportError):
        get_balance.sync(client=client) if mode == "sync" else asyncio.run(get_balance.asyncio(client=client))
    assert client.governor_state().reserved == 20  # it may have been counted: held until the window ends
    governed._clock.now = NEXT  # type: ignore[attr-defined]
    assert client.governor_state().reserved == 0  # ... and no longer: the failed attempt was handed back


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(("max_wait", "waited_at_most"), [(30.0, 0.5), (0.0, 0.0), (0.25, 0.25)])
def test_no_wait_for_room_runs_past_the_call_s_deadline(
    governed: Governor, monkeypatch: pytest.MonkeyPatch, mode: str, max_wait: float, waited_at_most: float
) -> None:
    """The budget is full until the next minute (40 s): with 0.5 s left of the call, a request is refused at once,
    its max_wait the smaller of the configured one and what is left of the deadline; nothing is sent."""
    monkeypatch.setattr(time, "monotonic", lambda: 100.0)
    config = GovernorConfig(limit=100, headroom=0.1, max_wait=max_wait)  # cap 90
    answered(governed, governed.acquire(20, config), 90, governed._clock)  # type: ignore[arg-type]
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=[])

    client = governed_client(record, config, deadline=0.5)
    with pytest.raises(WeightBudgetExceeded) as refused:
        get_balance.sync(client=client) if mode == "sync" else asyncio.run(get_balance.asyncio(client=client))
    assert refused.value.max_wait == waited_at_most
    assert refused.value.wait == pytest.approx(40.0)
    assert sent == []


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_answer_s_date_and_retry_after_reach_the_governor(governed: Governor, mode: str) -> None:
    """The HTTP layer hands the governor what the answer says: its Date (the server's clock, hence its window)
    and a 429's Retry-After (every request to the host held that long), not only the used weight."""
    server_now = T0 + 30  # the server's clock is 30 s ahead: 50 s into its minute
    answers = [
        httpx.Response(200, json=[], headers={"X-MBX-USED-WEIGHT-1M": "20", "Date": date(server_now)}),
        httpx.Response(429, json={"code": -1003, "msg": "slow"}, headers={"Retry-After": "30"}),
    ]
    client = governed_client(lambda _: answers.pop(0), GovernorConfig(limit=1000, max_wait=0.0))

    def call() -> object:
        return get_balance.sync(client=client) if mode == "sync" else asyncio.run(get_balance.asyncio(client=client))

    assert client.governor_state().clock_uncertainty_ms is None  # no Date seen yet
    call()
    state = client.governor_state()
    assert state.clock_uncertainty_ms is not None
    assert state.next_window_in == pytest.approx(10.0, abs=1.0)  # the server's minute, not the local one (40 s)
    with pytest.raises(RateLimitError):
        call()
    assert client.governor_state().blocked_for == pytest.approx(30.0, abs=1.0)
