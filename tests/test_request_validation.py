"""Parameters are checked against the spec's documented limits before anything is sent (issue 11).

Each case goes through the client's generated method; the transport records what reaches it, and a
rejected call must leave it empty. Valid edge values are sent (and a bool parameter goes as "true")."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from wire_checks import as_sent

from binance_papi import PapiClient, RequestValidationError, RetryPolicy, async_signed_client, signed_client

DAY_MS = 86_400_000
T0 = 1_767_225_600_000


@pytest.fixture
def sent() -> list[httpx.Request]:
    return []


def _client(sent: list[httpx.Request], body: bytes) -> PapiClient:
    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(as_sent(request))
        return httpx.Response(200, content=body)

    return signed_client(
        "key",
        "secret",
        base_url="http://sim.invalid",
        retry=RetryPolicy.disabled(),
        httpx_args={"transport": httpx.MockTransport(answer)},
    )


REJECTED: list[tuple[str, Callable[[PapiClient], object], str]] = [
    ("limit above its maximum", lambda c: c.get_um_income(limit=1001), r"limit=1001 is above its maximum 1000"),
    ("limit below its minimum", lambda c: c.get_cm_income(limit=0), r"limit=0 is below its minimum 1"),
    ("size above its maximum", lambda c: c.get_margin_loan_records(asset="BTC", size=101), r"size=101"),
    ("recvWindow above its maximum", lambda c: c.get_account(recv_window=60001), r"recvWindow=60001"),
    (
        "time range longer than documented",
        lambda c: c.get_cm_income(start_time=T0, end_time=T0 + 200 * DAY_MS + 1),
        r"endTime - startTime = 17280000001 ms is longer than the documented maximum 17280000000 ms \(200 days\)",
    ),
    (
        "30-day window",
        lambda c: c.get_margin_interest_history(asset="BTC", start_time=T0, end_time=T0 + 30 * DAY_MS + 1),
        r"GET /papi/v1/margin/marginInterestHistory: endTime - startTime",
    ),
    (
        "startTime after endTime",
        lambda c: c.get_um_income(start_time=T0 + 1, end_time=T0),
        r"GET /papi/v1/um/income: startTime=\d+ is after endTime=\d+",
    ),
    (
        "mutually exclusive parameters",
        lambda c: c.get_cm_position_risk(margin_asset="BTC", pair="BTCUSD"),
        r"marginAsset and pair cannot be sent together",
    ),
]


@pytest.mark.parametrize(("case", "call", "message"), REJECTED, ids=[case for case, _, _ in REJECTED])
def test_a_documented_limit_is_checked_before_sending(
    sent: list[httpx.Request], case: str, call: Callable[[PapiClient], object], message: str
) -> None:
    with _client(sent, b"[]") as client, pytest.raises(RequestValidationError, match=message) as raised:
        call(client)
    assert isinstance(raised.value, ValueError)
    assert "nothing was sent" in str(raised.value)
    assert sent == [], case


ACCEPTED: list[tuple[str, Callable[[PapiClient], object], dict[str, str]]] = [
    ("limit at its maximum", lambda c: c.get_um_income(limit=1000), {"limit": "1000"}),
    (
        "exactly the longest window",
        lambda c: c.get_cm_income(start_time=T0, end_time=T0 + 200 * DAY_MS),
        {"startTime": str(T0), "endTime": str(T0 + 200 * DAY_MS)},
    ),
    ("only one of an exclusive group", lambda c: c.get_cm_position_risk(pair="BTCUSD"), {"pair": "BTCUSD"}),
    ("one side of the window", lambda c: c.get_um_income(start_time=T0), {"startTime": str(T0)}),
]


@pytest.mark.parametrize(("case", "call", "expected"), ACCEPTED, ids=[case for case, _, _ in ACCEPTED])
def test_values_within_the_limits_are_sent(
    sent: list[httpx.Request], case: str, call: Callable[[PapiClient], object], expected: dict[str, str]
) -> None:
    with _client(sent, b"[]") as client:
        call(client)
    assert len(sent) == 1, case
    params = dict(sent[0].url.params)
    assert {key: params[key] for key in expected} == expected
    assert list(sent[0].url.params)[-1] == "signature"


def test_txid_or_start_time_is_not_required(sent: list[httpx.Request]) -> None:
    """x-one-of-required is not enforced: with neither, Binance answers for the last 7 days."""
    with _client(sent, b'{"rows": [], "total": 0}') as client:
        assert client.get_margin_loan_records(asset="BTC").total == 0
    assert len(sent) == 1


def test_a_bool_string_parameter_is_a_bool_sent_as_true_or_false(sent: list[httpx.Request]) -> None:
    with _client(sent, b'{"rows": [], "total": 0}') as client:
        client.get_margin_repay_records(asset="USDT", archived=True)
        client.get_margin_interest_history(archived=False)
    assert [request.url.params["archived"] for request in sent] == ["true", "false"]


def test_the_async_methods_check_too() -> None:
    sent: list[Any] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(as_sent(request))
        return httpx.Response(200, content=b"[]")

    async def main() -> None:
        async with async_signed_client(
            "key",
            "secret",
            base_url="http://sim.invalid",
            retry=RetryPolicy.disabled(),
            async_transport="httpx",
            httpx_args={"transport": httpx.MockTransport(answer)},
        ) as client:
            with pytest.raises(RequestValidationError, match=r"limit=1001"):
                await client.get_um_income(limit=1001)
            await client.get_um_income(limit=1000)

    asyncio.run(main())
    assert len(sent) == 1


def test_a_changed_base_url_applies_from_the_next_call(sent: list[httpx.Request]) -> None:
    """Each path is joined to base_url once per client, yet a base_url changed on the httpx client applies."""
    with _client(sent, b"[]") as client:
        client.get_balance()
        client.get_balance()
        client.get_httpx_client().base_url = "http://other.invalid/prefix"
        client.get_balance()
        client.get_um_income(limit=5)
    assert [(request.url.host, request.url.path) for request in sent] == [
        ("sim.invalid", "/papi/v1/balance"),
        ("sim.invalid", "/papi/v1/balance"),
        ("other.invalid", "/prefix/papi/v1/balance"),
        ("other.invalid", "/prefix/papi/v1/um/income"),
    ]
    assert [request.url.params.get("limit") for request in sent] == [None, None, None, "5"]
