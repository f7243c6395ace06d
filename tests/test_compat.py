"""The private httpx/aiohttp parts in `_compat`: present in the pinned versions, and the public fallbacks work."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from binance_papi import RetryPolicy, _compat, async_signed_client, signed_client
from binance_papi.simulator import DEMO_API_KEY, DEMO_API_SECRET, SimulatorHandle

QUERY_SAFE = st.text(alphabet=st.sampled_from("abcXYZ0189=&%-_.~+/:@!$'()*,;"), max_size=80)


def test_the_shortcuts_exist_in_the_pinned_versions() -> None:
    # If this fails after an upgrade, the client still works (slower): see _compat's fallbacks.
    assert _compat.FAST_URL
    assert _compat.aiohttp_has_replay_switch()


@given(path=st.sampled_from(["/papi/v1/balance", "/a%2Fb", "/"]), query=QUERY_SAFE)
def test_url_shortcut_equals_the_public_path(path: str, query: str) -> None:
    url = httpx.URL(f"https://papi.binance.com:443{path}?x=1")
    fast = _compat.url_with_query(url, query)
    public = url.copy_with(query=query.encode("ascii"))
    assert fast == public
    assert str(fast) == str(public)
    assert fast.raw_path == public.raw_path


def test_signing_works_on_the_public_url_path(simulator: SimulatorHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_compat, "FAST_URL", False)
    with signed_client(DEMO_API_KEY, DEMO_API_SECRET, base_url=simulator.base_url) as client:
        usdt = client.get_balance(asset="USDT")
    assert isinstance(usdt.total_wallet_balance, Decimal)
    assert simulator.simulator.requests[-1].status == 200


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_aiohttp_transport_without_the_replay_switch_closes_connections(
    simulator: SimulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    from binance_papi import _aiohttp

    monkeypatch.setattr(_aiohttp, "_REPLAY_SWITCH", False)
    async with async_signed_client(
        DEMO_API_KEY, DEMO_API_SECRET, base_url=simulator.base_url, retry=RetryPolicy.disabled()
    ) as client:
        first = await client.get_balance()
        second = await client.get_balance()
        transport = client.get_async_httpx_client()._transport
        assert isinstance(transport, _aiohttp.AiohttpTransport)
        session = transport._session
        assert session is not None
        assert session.connector is not None
        assert session.connector.force_close
        assert session._retry_connection  # untouched: the public fallback is force_close
    assert first == second
