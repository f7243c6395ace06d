"""The two response shapes are typed per call: mypy (run on tests/ by `make typecheck`) checks the
`assert_type` lines, and the runtime assertions check the values against the simulator."""

from __future__ import annotations

from typing import assert_type

import pytest

from binance_papi import RetryPolicy, signed_client
from binance_papi.simulator import DEMO_API_KEY, DEMO_API_SECRET, SimulatorHandle
from binance_papi_generated.api.account import get_balance
from binance_papi_generated.models import Balance
from binance_papi_generated.types import Response


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
