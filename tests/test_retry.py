"""The retry layer on its own (mock transport): each attempt is re-signed; the clock fix; the debug log.

The README's retry table row by row, with a patched clock: test_retry_decisions.py. The same rules end to end
against the simulator's faults: test_resilience.py.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
from collections.abc import Callable

import httpx
import pytest

from binance_papi import (
    OutcomeUnknownError,
    PapiClient,
    RetryPolicy,
    TransportError,
    async_signed_client,
    signed_client,
)
from binance_papi_generated.api.account import get_balance

API_KEY = "A" * 64
SECRET = "S" * 64
FAST = RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.002, max_retry_after=0.05)
OK_BODY: list[object] = []

Handler = Callable[[httpx.Request], httpx.Response]


class Script:
    """Answers requests from a list of responses (or exceptions), recording each request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        # A snapshot: the retry loop re-signs the same Request object in place.
        self.requests.append(httpx.Request(request.method, request.url, headers=request.headers.copy()))
        if request.url.path == "/fapi/v1/time":
            return httpx.Response(200, json={"serverTime": 1_700_000_010_000})
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    @property
    def balance_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == "/papi/v1/balance"]


def error(status: int, code: int, msg: str, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"code": code, "msg": msg}, headers=headers)


def client_for(script: Script, policy: RetryPolicy = FAST, clock: Callable[[], int] | None = None) -> PapiClient:
    ticks = iter(range(1_700_000_000_000, 1_800_000_000_000, 1000))
    return signed_client(
        API_KEY,
        SECRET,
        base_url="http://sim.invalid",
        retry=policy,
        clock=clock or (lambda: next(ticks)),
        httpx_args={"transport": httpx.MockTransport(script)},
    )


def call(script: Script, policy: RetryPolicy = FAST) -> object:
    client = client_for(script, policy)
    return get_balance.sync(client=client)


def timestamps(requests: list[httpx.Request]) -> list[bytes]:
    return [r.url.query.split(b"timestamp=")[1].split(b"&")[0] for r in requests]


@pytest.mark.parametrize(
    "failure",
    [
        error(500, -1000, "An unknown error occured while processing the request."),
        error(503, -1000, "Service Unavailable."),
        error(503, -1001, "Internal error; unable to process your request. Please try again."),
        error(503, -1000, "Unknown error, please check your request or try again later."),
        error(400, -1007, "Timeout waiting for response from backend server."),
        error(400, -1008, "Request throttled by system-level protection."),
        httpx.Response(502, text="<html>Bad Gateway</html>", headers={"Content-Type": "text/html"}),
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
)
def test_transient_failures_are_retried_and_resigned(failure: httpx.Response | Exception) -> None:
    script = Script(failure, httpx.Response(200, json=OK_BODY))
    assert call(script) == []
    sent = script.balance_requests
    assert len(sent) == 2
    stamps = timestamps(sent)
    assert stamps[0] != stamps[1]
    assert sent[0].url.query.count(b"signature=") == sent[1].url.query.count(b"signature=") == 1


def test_timestamp_error_resyncs_the_clock_and_retries_once() -> None:
    script = Script(
        error(400, -1021, "Timestamp for this request is outside of the recvWindow."),
        httpx.Response(200, json=[]),
    )
    client = client_for(script, clock=lambda: 1_700_000_000_000)
    assert get_balance.sync(client=client) == []
    paths = [r.url.path for r in script.requests]
    assert paths == ["/papi/v1/balance", "/fapi/v1/time", "/papi/v1/balance"]
    assert client.time_offset_ms == 10_000
    assert timestamps(script.balance_requests) == [b"1700000000000", b"1700000010000"]
    assert "X-MBX-APIKEY" not in script.requests[1].headers  # the time request is not signed


def test_debug_log_has_no_secret_and_no_query(caplog: pytest.LogCaptureFixture) -> None:
    script = Script(
        error(503, -1000, "Service Unavailable.", **{"X-MBX-USED-WEIGHT-1M": "40"}),
        httpx.Response(200, json=[], headers={"X-MBX-USED-WEIGHT-1M": "60"}),
    )
    client = client_for(script)
    with caplog.at_level(logging.DEBUG, logger="binance_papi"):
        get_balance.sync(client=client)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "GET /papi/v1/balance -> 503 (attempt 1" in text
    assert "GET /papi/v1/balance -> 200 (attempt 2" in text
    assert "used weight 60" in text
    signature = script.requests[-1].url.query.split(b"signature=")[1].decode()
    for secret in (API_KEY, SECRET, signature, "timestamp=", "signature="):
        assert secret not in text
    assert client.used_weight == 60


def test_timestamp_error_falls_back_on_the_date_header_when_the_time_endpoint_fails() -> None:
    date = email.utils.formatdate(1_700_000_030, usegmt=True)

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/fapi/v1/time":
            raise httpx.ConnectError("no route to the futures host")
        stamp = int(request.url.params["timestamp"])
        if stamp < 1_700_000_029_000:
            return error(400, -1021, "Timestamp for this request is outside of the recvWindow.", Date=date)
        return httpx.Response(200, json=[])

    client = signed_client(
        API_KEY,
        SECRET,
        base_url="http://sim.invalid",
        retry=FAST,
        clock=lambda: 1_700_000_000_000,
        httpx_args={"transport": httpx.MockTransport(answer)},
    )
    assert get_balance.sync(client=client) == []
    assert 29_500 <= client.time_offset_ms <= 30_500


def test_an_operation_not_safe_to_retry_is_sent_once_after_an_unknown_outcome() -> None:
    # x-retry-safe: false in the spec reaches the client as this request extension.
    script = Script(error(503, -1000, "Unknown error, please check your request or try again later."))
    client = client_for(script)
    with pytest.raises(OutcomeUnknownError):
        client.get_httpx_client().request("GET", "/papi/v1/balance", extensions={"papi_retry_safe": False})
    assert len(script.balance_requests) == 1


def test_an_operation_not_safe_to_retry_still_waits_out_a_short_429() -> None:
    script = Script(error(429, -1003, "Too many requests.", **{"Retry-After": "0"}), httpx.Response(200, json=[]))
    client = client_for(script)
    response = client.get_httpx_client().request("GET", "/papi/v1/balance", extensions={"papi_retry_safe": False})
    assert response.status_code == 200
    assert len(script.balance_requests) == 2


def test_a_request_sent_without_the_extension_is_retried_only_as_a_get() -> None:
    script = Script(httpx.ReadTimeout("timed out"))
    client = client_for(script)
    with pytest.raises(TransportError):
        client.get_httpx_client().request("POST", "/papi/v1/balance")
    assert len(script.balance_requests) == 1

    script = Script(httpx.ReadTimeout("timed out"), httpx.Response(200, json=[]))
    assert client_for(script).get_httpx_client().request("GET", "/papi/v1/balance").json() == []
    assert len(script.balance_requests) == 2


@pytest.mark.parametrize("safe", [True, False])
def test_the_async_client_follows_the_extension_too(safe: bool) -> None:
    script = Script(
        error(503, -1000, "Unknown error, please check your request or try again later."), httpx.Response(200, json=[])
    )
    client = async_signed_client(
        API_KEY,
        SECRET,
        base_url="http://sim.invalid",
        retry=FAST,
        httpx_args={"transport": httpx.MockTransport(script)},
    )

    async def send() -> httpx.Response:
        async with client:
            return await client.get_async_httpx_client().request(
                "GET", "/papi/v1/balance", extensions={"papi_retry_safe": safe}
            )

    if safe:
        assert asyncio.run(send()).json() == []
    else:
        with pytest.raises(OutcomeUnknownError):
            asyncio.run(send())
    assert len(script.balance_requests) == (2 if safe else 1)


def test_generated_operations_say_they_are_safe_to_retry() -> None:
    from binance_papi_generated.client import OPERATIONS

    assert OPERATIONS["get_balance"].retry_safe
    assert OPERATIONS["get_balance"].weight == 20
    script = Script(httpx.ReadTimeout("timed out"), httpx.Response(200, json=[]))
    assert call(script) == []
    assert len(script.balance_requests) == 2
