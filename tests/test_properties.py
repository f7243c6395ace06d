"""Property-based (hypothesis): whatever `asset` and `recvWindow` a caller passes, the client either sends a
request that the simulator can verify, or refuses it before anything is sent.

Sent: exactly one request arrives, in ASCII, its HMAC signature verifies over the raw bytes that arrived
(checked here independently, and by the simulator, which therefore never answers -1022), the server decodes
exactly the caller's `asset` and `recvWindow`, and the answer is the one Binance's rules give: the exact data
for an asset of the account, -1105 for an empty asset, -1108 for any other (or -1021 when recvWindow is so
small that the request expires on the way). Refused: `RequestValidationError`, and the simulator's log stays
empty. Sync client, and the async one over both transports (aiohttp sends the URL as encoded, unquoted again
by nobody: the property is what proves it). One client per test function, fresh simulator state per example.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from wire_checks import signature_is_valid

from binance_papi import (
    BadRequestError,
    InvalidSignatureError,
    PapiClient,
    PapiError,
    RequestValidationError,
    RetryPolicy,
    TimestampError,
    signed_client,
)
from binance_papi.simulator import DEMO_API_KEY, DEMO_API_SECRET, SimulatorHandle, demo_account
from binance_papi_generated.api.account import get_balance
from binance_papi_generated.models import Balance
from binance_papi_generated.types import UNSET

BALANCE = "/papi/v1/balance"
DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60_000
DEMO_ASSETS = tuple(b.asset for b in demo_account().balances)
EXPIRY_MARGIN_MS = 2000
"""Below this recvWindow a request may expire between signing and arrival (-1021): allowed, not required."""

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    # The client and the simulator are per test function on purpose; each example resets the simulator's state.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

AWKWARD = [
    "",
    " ",
    "+",
    "%",
    "%41",
    "%%",
    "&",
    "=",
    "#",
    "?",
    "/",
    ";",
    "\x00",
    "\r\n",
    "\t",
    "\x7f",
    "USDT&recvWindow=1",
    "x&signature=00",
    "timestamp=1",
    "USDT ",
    "usdt",
    "\uff35\uff33\uff24\uff34",  # full-width USDT
    "\u0130",
    "\ufeff",
    "\U0001f600",
]
ASSETS = st.one_of(
    st.none(),
    st.sampled_from([*DEMO_ASSETS, *AWKWARD]),
    st.text(),  # any code point but lone surrogates: non-ASCII, control characters, reserved characters, ""
    st.text(alphabet=st.characters(codec="ascii")),
)
RECV_WINDOWS = st.one_of(
    st.none(),
    st.integers(),
    st.integers(min_value=-3, max_value=MAX_RECV_WINDOW + 3),
    st.integers(min_value=1, max_value=MAX_RECV_WINDOW),
    st.sampled_from([0, 1, MAX_RECV_WINDOW, MAX_RECV_WINDOW + 1, 2**63, -(2**63)]),
    st.booleans(),  # an int to Python, "true" on the wire: refused
)


@pytest.fixture
def sync_client(simulator: SimulatorHandle) -> Iterator[PapiClient]:
    simulator.simulator.weight_limit = 10**9
    client = signed_client(DEMO_API_KEY, DEMO_API_SECRET, base_url=simulator.base_url, retry=RetryPolicy.disabled())
    with client:
        yield client


@pytest.fixture(params=["aiohttp", "httpx"])
def async_client(
    simulator: SimulatorHandle, request: pytest.FixtureRequest
) -> Iterator[tuple[asyncio.Runner, PapiClient]]:
    """An async client and the one event loop all its examples run on (its connections live on that loop)."""
    simulator.simulator.weight_limit = 10**9
    client = signed_client(
        DEMO_API_KEY,
        DEMO_API_SECRET,
        base_url=simulator.base_url,
        retry=RetryPolicy.disabled(),
        async_transport=request.param,
    )
    with asyncio.Runner() as runner:
        try:
            yield runner, client
        finally:
            runner.run(client.aclose())


def fresh(handle: SimulatorHandle) -> None:
    handle.simulator.clear_requests()
    handle.simulator.limiter.reset()


def asset_refused_locally(asset: str | None) -> bool:
    """An empty asset, or one with a control (non-printable) character, is refused before sending."""
    return asset is not None and (asset == "" or not asset.isprintable())


def refused_locally(recv_window: int | None) -> bool:
    if recv_window is None:
        return False
    return isinstance(recv_window, bool) or not 1 <= recv_window <= MAX_RECV_WINDOW


def expected_data(handle: SimulatorHandle, asset: str | None) -> Any:
    account = handle.simulator.demo
    body = account.list_body if asset is None else account.asset_body(asset)
    assert body is not None
    return json.loads(body)


def check(
    handle: SimulatorHandle,
    asset: str | None,
    recv_window: int | None,
    outcome: Balance | list[Balance] | PapiError,
) -> None:
    """The property, for one call's outcome."""
    sent = handle.simulator.requests
    event(f"outcome: {type(outcome).__name__}")  # the mix shows with --hypothesis-show-statistics
    if asset_refused_locally(asset):
        assert isinstance(outcome, RequestValidationError), outcome
        assert sent == [], "refused, yet something reached the server"
        return
    if refused_locally(recv_window):
        assert isinstance(outcome, RequestValidationError), outcome
        assert "recvWindow" in str(outcome)
        assert sent == [], "refused, yet something reached the server"
        return
    assert [r.path for r in sent] == [BALANCE], f"expected one request, the simulator saw {sent}"
    (record,) = sent
    assert record.raw_query.isascii()
    assert signature_is_valid(record), record.raw_query
    assert not isinstance(outcome, InvalidSignatureError), "-1022: the bytes that arrived are not the bytes signed"
    params = record.params()
    names = ([] if asset is None else ["asset"]) + ["recvWindow", "timestamp", "signature"]
    assert list(params) == names
    assert params.get("asset") == asset  # what the server decoded is what the caller passed
    assert params["recvWindow"] == str(DEFAULT_RECV_WINDOW if recv_window is None else recv_window)
    if isinstance(outcome, TimestampError) and recv_window is not None and recv_window < EXPIRY_MARGIN_MS:
        assert outcome.code == -1021
        return
    if asset is None or asset in DEMO_ASSETS:
        assert not isinstance(outcome, PapiError), outcome
        assert record.status == 200
        parsed = [b.to_dict() for b in outcome] if isinstance(outcome, list) else outcome.to_dict()
        assert parsed == expected_data(handle, asset)
    else:
        assert isinstance(outcome, BadRequestError), outcome
        assert (outcome.status_code, outcome.code) == (400, -1108)
        assert record.status == 400


@PROPERTY
@given(asset=ASSETS, recv_window=RECV_WINDOWS)
def test_sync_any_asset_and_recv_window(
    simulator: SimulatorHandle, sync_client: PapiClient, asset: str | None, recv_window: int | None
) -> None:
    fresh(simulator)
    outcome: Balance | list[Balance] | PapiError
    try:
        outcome = get_balance.sync(
            client=sync_client,
            asset=UNSET if asset is None else asset,
            recv_window=UNSET if recv_window is None else recv_window,
        )
    except PapiError as exc:
        outcome = exc
    check(simulator, asset, recv_window, outcome)


@PROPERTY
@given(asset=ASSETS, recv_window=RECV_WINDOWS)
def test_async_any_asset_and_recv_window(
    simulator: SimulatorHandle,
    async_client: tuple[asyncio.Runner, PapiClient],
    asset: str | None,
    recv_window: int | None,
) -> None:
    runner, client = async_client
    fresh(simulator)

    async def call() -> Balance | list[Balance] | PapiError:
        try:
            return await get_balance.asyncio(
                client=client,
                asset=UNSET if asset is None else asset,
                recv_window=UNSET if recv_window is None else recv_window,
            )
        except PapiError as exc:
            return exc

    check(simulator, asset, recv_window, runner.run(call()))


@PROPERTY
@given(recv_window=RECV_WINDOWS.filter(lambda v: v is not None))
def test_client_default_recv_window_is_checked_when_built(simulator: SimulatorHandle, recv_window: int) -> None:
    """`signed_client(recv_window=...)`: any value Binance would refuse is refused at construction."""
    if refused_locally(recv_window):
        with pytest.raises(RequestValidationError, match="recvWindow"):
            signed_client(DEMO_API_KEY, DEMO_API_SECRET, base_url=simulator.base_url, recv_window=recv_window)
    else:
        client = signed_client(DEMO_API_KEY, DEMO_API_SECRET, base_url=simulator.base_url, recv_window=recv_window)
        assert client.auth.recv_window == recv_window
    assert simulator.simulator.requests == []  # building a client never sends anything


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    asset=st.builds(
        lambda head, bad, tail: head + bad + tail,
        st.text(max_size=3),
        st.characters(categories=["Cs"]),
        st.text(max_size=3),
    )
)
def test_unencodable_asset_is_refused_before_sending(
    simulator: SimulatorHandle, sync_client: PapiClient, asset: str
) -> None:
    fresh(simulator)
    with pytest.raises(RequestValidationError):
        get_balance.sync(client=sync_client, asset=asset)
    assert simulator.simulator.requests == []
