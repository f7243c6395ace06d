"""The two response shapes are typed per call: mypy (run on tests/ by `make typecheck`) checks the
`assert_type` lines, and the runtime assertions check the values against the simulator."""

from __future__ import annotations

from typing import assert_type

import pytest

from binance_papi import Balance, Response, RetryPolicy, async_signed_client, signed_client
from binance_papi.simulator import DEMO_API_KEY, DEMO_API_SECRET, SimulatorHandle
from binance_papi_generated.api.account import get_balance


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_sync_shapes_are_typed(simulator: SimulatorHandle) -> None:
    with signed_client(
        DEMO_API_KEY, DEMO_API_SECRET, base_url=simulator.base_url, retry=RetryPolicy.disabled()
    ) as client:
        balances = assert_type(get_balance.sync(client=client), list[Balance])
        one = assert_type(get_balance.sync(client=client, asset="USDT"), Balance)
        detailed = assert_type(get_balance.sync_detailed(client=client), Response[list[Balance]])
        one_detailed = assert_type(get_balance.sync_detailed(client=client, asset="BTC"), Response[Balance])
    assert isinstance(balances, list)
    assert all(isinstance(b, Balance) for b in balances)
    assert isinstance(one, Balance)
    assert isinstance(detailed.parsed, list)
    assert isinstance(one_detailed.parsed, Balance)


@pytest.mark.anyio
async def test_async_shapes_are_typed(simulator: SimulatorHandle) -> None:
    async with signed_client(DEMO_API_KEY, DEMO_API_SECRET, base_url=simulator.base_url) as client:
        balances = assert_type(await get_balance.asyncio(client=client), list[Balance])
        one = assert_type(await get_balance.asyncio(client=client, asset="ETH"), Balance)
        detailed = assert_type(await get_balance.asyncio_detailed(client=client, asset="BNB"), Response[Balance])
    assert isinstance(balances, list)
    assert isinstance(one, Balance)
    assert isinstance(detailed.parsed, Balance)


def test_client_methods_are_typed_per_shape(simulator: SimulatorHandle) -> None:
    with signed_client(DEMO_API_KEY, DEMO_API_SECRET, base_url=simulator.base_url) as client:
        balances = assert_type(client.get_balance(), list[Balance])
        one = assert_type(client.get_balance(asset="USDT"), Balance)
        windowed = assert_type(client.get_balance(recv_window=3000), list[Balance])
    assert [b.asset for b in balances] == [b.asset for b in windowed]
    assert one.total_wallet_balance == next(b for b in balances if b.asset == "USDT").total_wallet_balance


@pytest.mark.anyio
async def test_async_client_methods_are_typed_per_shape(simulator: SimulatorHandle) -> None:
    async with async_signed_client(DEMO_API_KEY, DEMO_API_SECRET, base_url=simulator.base_url) as client:
        balances = assert_type(await client.get_balance(), list[Balance])
        one = assert_type(await client.get_balance(asset="BTC"), Balance)
    assert one.total_wallet_balance == next(b for b in balances if b.asset == "BTC").total_wallet_balance
