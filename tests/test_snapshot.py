"""`account_snapshot()`: six parts at once, one consistent typed view, never half a snapshot."""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from binance_papi import (
    AccountSnapshot,
    PapiClient,
    RetryPolicy,
    ServerError,
    SnapshotError,
    async_signed_client,
    signed_client,
)
from binance_papi._snapshot import PARTS
from binance_papi.simulator import DEMO_API_KEY, DEMO_API_SECRET, SimulatorHandle
from binance_papi_generated.client import OPERATIONS

PART_PATHS = {OPERATIONS[method].path for method in PARTS.values()}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def client(simulator: SimulatorHandle) -> Iterator[PapiClient]:
    with signed_client(DEMO_API_KEY, DEMO_API_SECRET, base_url=simulator.base_url) as client:
        yield client


def check_against_the_parts(snapshot: AccountSnapshot, client: PapiClient) -> None:
    """Every figure of the snapshot, recomputed from the single-endpoint calls of the same client."""
    balances = client.get_balance()
    um = {row.asset: row for row in client.get_um_account_v2().assets}
    cm = {row.asset: row for row in client.get_cm_account().assets}
    assert snapshot.balances == balances
    assert list(snapshot.assets) == [b.asset for b in balances]
    for balance in balances:
        view = snapshot.assets[balance.asset]
        um_im = um[balance.asset].initial_margin if balance.asset in um else Decimal(0)
        cm_im = cm[balance.asset].initial_margin if balance.asset in cm else Decimal(0)
        assert view.total == balance.total_wallet_balance
        assert view.used == balance.cross_margin_locked + um_im + cm_im
        assert view.free == view.total - view.used
        assert (view.um_wallet_balance, view.cm_wallet_balance) == (
            balance.um_wallet_balance,
            balance.cm_wallet_balance,
        )
        assert (view.um_initial_margin, view.cm_initial_margin) == (um_im, cm_im)
        assert view.cross_margin_borrowed == balance.cross_margin_borrowed
    assert snapshot.account == client.get_account()
    assert snapshot.uni_mmr == snapshot.account.uni_mmr
    assert snapshot.um_positions == client.get_um_position_risk()
    assert snapshot.cm_positions == client.get_cm_position_risk()
    assert snapshot.weight == sum(OPERATIONS[method].weight for method in PARTS.values()) == 56


@pytest.mark.anyio
@pytest.mark.parametrize("asynchronous", [False, True])
async def test_used_weight_after_a_snapshot_counts_every_part(simulator: SimulatorHandle, asynchronous: bool) -> None:
    # The parts' answers are read in any order: the used weight is the highest of them, not the last one read.
    for _ in range(20):
        simulator.simulator.reset()
        if asynchronous:
            async with async_signed_client(DEMO_API_KEY, DEMO_API_SECRET, base_url=simulator.base_url) as aclient:
                snapshot = await aclient.account_snapshot()
                assert aclient.used_weight == snapshot.weight == 56
        else:
            with signed_client(DEMO_API_KEY, DEMO_API_SECRET, base_url=simulator.base_url) as client:
                assert client.account_snapshot().weight == client.used_weight == 56


def test_sync_snapshot_matches_its_parts(simulator: SimulatorHandle, client: PapiClient) -> None:
    simulator.simulator.start_window()  # exact counts: no window boundary during the test
    snapshot = client.account_snapshot()
    assert simulator.simulator.used_weight() == snapshot.weight  # a fresh simulator window: exactly the six parts
    # The last answer to arrive carries the count when it was served: up to the six parts' weight.
    assert client.used_weight is not None
    assert client.used_weight <= snapshot.weight
    check_against_the_parts(snapshot, client)
    # The demo account has margin in use on both sides: the figures are not trivially zero.
    assert snapshot.assets["USDT"].used > 0
    assert snapshot.assets["BTC"].cm_initial_margin > 0
    assert snapshot.um_positions
    assert snapshot.cm_positions
    assert isinstance(snapshot.uni_mmr, Decimal)


@pytest.mark.anyio
@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
async def test_async_snapshot_matches_its_parts(simulator: SimulatorHandle, client: PapiClient, transport: Any) -> None:
    async with async_signed_client(
        DEMO_API_KEY, DEMO_API_SECRET, base_url=simulator.base_url, async_transport=transport
    ) as aclient:
        snapshot = await aclient.account_snapshot()
    check_against_the_parts(snapshot, client)


@pytest.mark.anyio
@pytest.mark.parametrize("asynchronous", [False, True])
async def test_parts_are_sent_together(simulator: SimulatorHandle, asynchronous: bool) -> None:
    # Every answer takes 0.4 s: sent one after the other, the last part would leave 2 s after the first.
    # The weight governor is off: it sends the first request of a window alone, until an answer gives the
    # IP's count (test_governor*.py), so a snapshot opening a window sends one part first.
    simulator.simulator.set_fault("slow:0.4")
    simulator.simulator.clear_requests()
    options: dict[str, Any] = {"base_url": simulator.base_url, "governor": None}
    if asynchronous:
        async with async_signed_client(DEMO_API_KEY, DEMO_API_SECRET, **options) as aclient:
            await aclient.account_snapshot()
    else:
        with signed_client(DEMO_API_KEY, DEMO_API_SECRET, **options) as client:
            client.account_snapshot()
    arrivals = [r.time_ms for r in simulator.simulator.requests if r.path in PART_PATHS]
    assert len(arrivals) == len(PARTS)
    assert max(arrivals) - min(arrivals) < 400  # all six arrived before the first answer left


def _snapshot_threads() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if thread.name.startswith("papi-snapshot")}


def test_the_snapshot_threads_are_kept_and_close_ends_them(simulator: SimulatorHandle) -> None:
    before = _snapshot_threads()
    with signed_client(DEMO_API_KEY, DEMO_API_SECRET, base_url=simulator.base_url) as client:
        first = client.account_snapshot()
        threads = _snapshot_threads() - before
        assert threads
        for _ in range(3):
            assert client.account_snapshot().assets == first.assets
        kept = _snapshot_threads() - before
        # The first snapshot's threads serve the next ones; a pool never holds more than one thread per part.
        assert threads <= kept
        assert all(thread.is_alive() for thread in kept)
        assert len(kept) <= len(PARTS)
        client.close()
        assert not any(thread.is_alive() for thread in kept)
        assert _snapshot_threads() <= before


def test_a_failed_part_fails_the_whole_snapshot(simulator: SimulatorHandle) -> None:
    simulator.simulator.fail_next("500", 1)
    with (
        signed_client(DEMO_API_KEY, DEMO_API_SECRET, base_url=simulator.base_url, retry=RetryPolicy.disabled()) as c,
        pytest.raises(SnapshotError) as caught,
    ):
        c.account_snapshot()
    error = caught.value
    assert list(error.errors) == [error.part]
    assert error.part in PARTS
    assert isinstance(error.error, ServerError)
    assert error.__cause__ is error.error
    assert f"part {error.part!r} failed: ServerError" in str(error)


@pytest.mark.anyio
async def test_every_failed_part_is_named_async(simulator: SimulatorHandle) -> None:
    simulator.simulator.set_fault("503-unavailable")
    async with async_signed_client(
        DEMO_API_KEY, DEMO_API_SECRET, base_url=simulator.base_url, retry=RetryPolicy.disabled()
    ) as aclient:
        with pytest.raises(SnapshotError) as caught:
            await aclient.account_snapshot()
    assert list(caught.value.errors) == list(PARTS)  # in the order of the parts
    assert all(isinstance(e, ServerError) for e in caught.value.errors.values())
    assert "also failed: account, um_account, cm_account, um_positions, cm_positions" in str(caught.value)


def test_snapshot_error_survives_pickling(simulator: SimulatorHandle) -> None:
    simulator.simulator.fail_next("500", 1)
    with (
        signed_client(DEMO_API_KEY, DEMO_API_SECRET, base_url=simulator.base_url, retry=RetryPolicy.disabled()) as c,
        pytest.raises(SnapshotError) as caught,
    ):
        c.account_snapshot()
    copy = pickle.loads(pickle.dumps(caught.value))  # noqa: S301  (our own object)
    assert type(copy) is SnapshotError
    assert str(copy) == str(caught.value)
    assert copy.part == caught.value.part
    assert type(copy.error) is type(caught.value.error)
