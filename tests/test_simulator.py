"""The simulator against Binance's rules, over real HTTP: raw httpx requests signed here with hmac, and the
real client (`signed_client` + `get_balance`) for each rule, so both sides are checked against each other."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from email.utils import formatdate
from typing import Any, Literal
from urllib.parse import quote

import httpx
import pytest

from binance_papi import (
    AuthenticationError,
    BadRequestError,
    PapiClient,
    RequestValidationError,
    RetryPolicy,
    ServerError,
    TimestampError,
    TransportError,
    signed_client,
)
from binance_papi.simulator import (
    DEMO_API_KEY,
    DEMO_API_SECRET,
    FAULT_NAMES,
    HmacVerifier,
    PublicKeyVerifier,
    Simulator,
    SimulatorHandle,
    large_account,
    serve_in_thread,
    start_site,
)
from binance_papi_generated.api.account import get_balance
from binance_papi_generated.models import Balance
from spec_data import DOC_FIELDS

BALANCE = "/papi/v1/balance"
FIELDS = set(DOC_FIELDS)
AMOUNT = re.compile(r"-?[0-9]+\.[0-9]{8}")
OTHER_KEY = "OtherKey" + "x" * 56
T0 = 1_750_000_000_000


class FakeClock:
    """A settable clock (ms), shared by the simulator and the client in a test."""

    def __init__(self, ms: int = T0) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def sign(query: str, secret: str = DEMO_API_SECRET) -> str:
    return hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()


def signed(query: str, secret: str = DEMO_API_SECRET) -> str:
    return f"{query}&signature={sign(query, secret)}"


def now(handle: SimulatorHandle) -> int:
    return handle.simulator.now_ms()


@pytest.fixture
def http(simulator: SimulatorHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=simulator.base_url, timeout=5) as client:
        yield client


def get(
    http: httpx.Client,
    query: str,
    *,
    key: str | None = DEMO_API_KEY,
    headers: dict[str, str] | None = None,
    path: str = BALANCE,
) -> httpx.Response:
    all_headers = {} if key is None else {"X-MBX-APIKEY": key}
    all_headers.update(headers or {})
    return http.get(f"{path}?{query}" if query else path, headers=all_headers)


def error_of(response: httpx.Response) -> tuple[int, int, str]:
    body = response.json()
    assert set(body) == {"code", "msg"}
    return response.status_code, body["code"], body["msg"]


@contextmanager
def client_for(
    handle: SimulatorHandle, key: str = DEMO_API_KEY, secret: str = DEMO_API_SECRET, **kwargs: Any
) -> Iterator[PapiClient]:
    kwargs.setdefault("retry", RetryPolicy.disabled())
    # A client here stands for a process of its own: the process-wide weight governor (test_governor*.py) is off.
    kwargs.setdefault("governor", None)
    client = signed_client(key, secret, base_url=handle.base_url, **kwargs)
    try:
        yield client
    finally:
        client.close()


def as_list(result: Balance | list[Balance]) -> list[Balance]:
    assert isinstance(result, list)
    return result


def balance_requests(handle: SimulatorHandle) -> list[Any]:
    return [r for r in handle.simulator.requests if r.path == BALANCE]


# --- accounts and 200 bodies ------------------------------------------------------------------------------


def test_demo_credentials_have_binance_format() -> None:
    for value in (DEMO_API_KEY, DEMO_API_SECRET):
        assert len(value) == 64
        assert value.isalnum()
        assert value.isascii()


def test_list_body_has_every_field_as_decimal_strings(simulator: SimulatorHandle, http: httpx.Client) -> None:
    response = get(http, signed(f"timestamp={now(simulator)}"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert [b["asset"] for b in body] == ["USDT", "BTC", "ETH", "BNB", "FDUSD", "USDC"]
    for item in body:
        assert set(item) == FIELDS
        assert type(item["updateTime"]) is int
        for name in FIELDS - {"asset", "updateTime"}:
            value = item[name]
            assert isinstance(value, str)
            if name in ("umUnrealizedPNL", "cmUnrealizedPNL") and value == "":
                continue
            assert AMOUNT.fullmatch(value), (name, value)
        # The documented identities hold for the simulator's data.
        free, locked = Decimal(item["crossMarginFree"]), Decimal(item["crossMarginLocked"])
        assert Decimal(item["crossMarginAsset"]) == free + locked
        wallets = Decimal(item["umWalletBalance"]) + Decimal(item["cmWalletBalance"])
        assert Decimal(item["totalWalletBalance"]) == free + locked + wallets
    usdt = body[0]
    assert usdt["totalWalletBalance"] == "15250.00000000"  # the reference state (R.2)
    assert usdt["cmUnrealizedPNL"] == ""
    assert any(item["umUnrealizedPNL"] == "" for item in body)
    # Compact JSON, as Binance sends it.
    assert b", " not in response.content
    assert b'": ' not in response.content


def test_single_asset_is_an_object_without_cross_margin_asset(simulator: SimulatorHandle, http: httpx.Client) -> None:
    response = get(http, signed(f"asset=BTC&timestamp={now(simulator)}"))
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, dict)
    assert set(body) == FIELDS - {"crossMarginAsset"}
    assert body["asset"] == "BTC"
    assert body["cmUnrealizedPNL"] == "0.00027322"


def test_large_account_is_deterministic_and_served_under_its_own_key(simulator: SimulatorHandle) -> None:
    account = simulator.simulator.add_account(large_account(250, seed=3))
    assert large_account(250, seed=3).list_body == account.list_body
    assert large_account(250, seed=4).list_body != account.list_body
    assert large_account(250, seed=3).api_key == account.api_key
    assert len(account.api_key) == 64
    assert account.api_key.isalnum()
    with client_for(simulator, account.api_key, account.api_secret) as client:
        balances = get_balance.sync(client=client)
        one = get_balance.sync(client=client, asset="A0250")
    assert isinstance(balances, list)
    assert [b.asset for b in balances] == [f"A{i:04d}" for i in range(1, 251)]
    assert isinstance(one, Balance)
    assert one.asset == "A0250"
    assert json.loads(account.list_body)[-1]["totalWalletBalance"] == str(one.total_wallet_balance)
    # The demo key still opens the demo account, not this one.
    with client_for(simulator) as client, pytest.raises(BadRequestError) as info:
        get_balance.sync(client=client, asset="A0001")
    assert info.value.code == -1108


def test_large_account_rejects_zero_assets() -> None:
    with pytest.raises(ValueError, match="n_assets"):
        large_account(0)


# --- API key ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [None, "", "short", DEMO_API_KEY[:63], DEMO_API_KEY + "A", DEMO_API_KEY[:63] + "-", DEMO_API_KEY[:63] + "_"],
)
def test_malformed_or_missing_key_is_2014(simulator: SimulatorHandle, http: httpx.Client, key: str | None) -> None:
    response = get(http, signed(f"timestamp={now(simulator)}"), key=key)
    assert error_of(response) == (401, -2014, "API-key format invalid.")


def test_unknown_key_is_2015_with_the_ip(simulator: SimulatorHandle, http: httpx.Client) -> None:
    response = get(http, signed(f"timestamp={now(simulator)}"), key=OTHER_KEY)
    assert error_of(response) == (
        401,
        -2015,
        "Invalid API-key, IP, or permissions for action, request ip: 127.0.0.1",
    )


def test_client_raises_authentication_error_for_2014_and_2015(simulator: SimulatorHandle) -> None:
    with client_for(simulator, key=OTHER_KEY) as client, pytest.raises(AuthenticationError) as unknown:
        get_balance.sync(client=client)
    assert (unknown.value.status_code, unknown.value.code) == (401, -2015)
    with client_for(simulator, key="TooShortButAlnum") as client, pytest.raises(AuthenticationError) as malformed:
        get_balance.sync(client=client)
    assert (malformed.value.status_code, malformed.value.code) == (401, -2014)


# --- signature --------------------------------------------------------------------------------------------


def test_hmac_verifier_accepts_the_published_vector_only() -> None:
    secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
    payload = (
        b"symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
        b"&recvWindow=5000&timestamp=1499827319559"
    )
    good = b"c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    verifier = HmacVerifier(secret)
    assert verifier.verify(payload, good)
    assert not verifier.verify(payload, good.upper())
    assert not verifier.verify(payload + b"1", good)
    assert not verifier.verify(payload, good[:-1])


def _bad_signature_queries(ts: int) -> dict[str, str]:
    query = f"timestamp={ts}"
    good = sign(query)
    return {
        "missing": query,
        "wrong secret": signed(query, secret="not-the-secret"),
        "upper-case hex": f"{query}&signature={good.upper()}",
        "truncated": f"{query}&signature={good[:-2]}",
        "not last": f"signature={good}&{query}",
        "trailing &": f"{query}&signature={good}&",
        "empty": f"{query}&signature=",
        "over the decoded query": f"asset=US%44T&timestamp={ts}&signature={sign(f'asset=USDT&timestamp={ts}')}",
        "signed without recvWindow": f"{query}&recvWindow=5000&signature={good}",
    }


@pytest.mark.parametrize("case", sorted(_bad_signature_queries(0)))
def test_bad_signatures_are_1022(simulator: SimulatorHandle, http: httpx.Client, case: str) -> None:
    query = _bad_signature_queries(now(simulator))[case]
    response = get(http, query)
    assert error_of(response) == (400, -1022, "Signature for this request is not valid.")


def test_signature_is_checked_over_the_raw_bytes(simulator: SimulatorHandle, http: httpx.Client) -> None:
    # %44 is "D": signed as sent, the request is valid and the asset decodes to USDT.
    query = f"asset=US%44T&timestamp={now(simulator)}"
    response = get(http, signed(query))
    assert response.status_code == 200
    assert response.json()["asset"] == "USDT"
    assert simulator.simulator.requests[-1].raw_query.startswith("asset=US%44T&")


@pytest.mark.parametrize("asset", ["US DT", "ü", "A+B", "a&b=c", "%41"])
def test_client_signs_the_encoded_bytes_it_sends(simulator: SimulatorHandle, asset: str) -> None:
    # Reserved and non-ASCII characters: the signature verifies (no -1022), the decoded asset is unknown.
    with client_for(simulator) as client, pytest.raises(BadRequestError) as info:
        get_balance.sync(client=client, asset=asset)
    assert info.value.code == -1108
    assert balance_requests(simulator)[-1].params()["asset"] == asset


def test_public_key_verifiers_check_percent_encoded_base64() -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

    payload = b"asset=USDT&timestamp=1499827319559"
    ed_key = ed25519.Ed25519PrivateKey.generate()
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = serialization.Encoding.PEM
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    for key_type, private, raw_signature in (
        ("Ed25519", ed_key, ed_key.sign(payload)),
        ("RSA", rsa_key, rsa_key.sign(payload, padding.PKCS1v15(), hashes.SHA256())),
    ):
        verifier = PublicKeyVerifier(private.public_key().public_bytes(pem, spki))
        assert verifier.key_type == key_type
        b64 = base64.b64encode(raw_signature)
        assert verifier.verify(payload, quote(b64, safe="").encode())
        assert not verifier.verify(payload + b"0", quote(b64, safe="").encode())
        assert not verifier.verify(payload, b"%%%")
        if b"+" in b64:  # an unencoded "+" reads as a space, as for any parameter
            assert not verifier.verify(payload, b64)


def test_client_with_ed25519_key_is_verified_by_public_key(simulator: SimulatorHandle) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    private = ed25519.Ed25519PrivateKey.generate()
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    simulator.simulator.add_key(OTHER_KEY, PublicKeyVerifier(public_pem))
    client = signed_client(
        OTHER_KEY, private_key=private_pem, base_url=simulator.base_url, retry=RetryPolicy.disabled()
    )
    with client:
        usdt = get_balance.sync(client=client, asset="USDT")
    assert isinstance(usdt, Balance)
    assert usdt.asset == "USDT"
    assert "%" in balance_requests(simulator)[-1].raw_query.rpartition("signature=")[2]


# --- parameters and timestamp -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", (-1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.")),
        ("timestamp=", (-1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.")),
        ("timestamp=12ab", (-1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.")),
        ("asset=USDT", (-1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.")),
        ("timestamp={ts}&foo=1", (-1103, "An unknown parameter was sent.")),
        ("timestamp={ts}&Asset=USDT", (-1103, "An unknown parameter was sent.")),
        ("asset=USDT&asset=BTC&timestamp={ts}", (-1101, "Duplicate values for a parameter detected.")),
        ("timestamp={ts}&timestamp={ts}", (-1101, "Duplicate values for a parameter detected.")),
        ("timestamp={ts}&recvWindow=60001", (-1131, "recvWindow must be less than 60000")),
        ("timestamp={ts}&recvWindow=abc", (-1100, None)),
        ("asset=&timestamp={ts}", (-1105, "Parameter 'asset' was empty.")),
        ("asset=usdt&timestamp={ts}", (-1108, "Invalid asset.")),
        ("asset=DOGE&timestamp={ts}", (-1108, "Invalid asset.")),
        ("asset=%FF&timestamp={ts}", (-1100, "Illegal characters found in a parameter.")),
    ],
)
def test_parameter_rules(
    simulator: SimulatorHandle, http: httpx.Client, query: str, expected: tuple[int, str | None]
) -> None:
    response = get(http, signed(query.format(ts=now(simulator))) if query else "")
    status, code, msg = error_of(response)
    assert (status, code) == (400, expected[0])
    if expected[1] is not None:
        assert msg == expected[1]


def test_asset_plus_decodes_as_space(simulator: SimulatorHandle, http: httpx.Client) -> None:
    simulator.simulator.add_account(large_account(1, seed=0))  # unrelated key: demo still has no "US DT"
    response = get(http, signed(f"asset=US+DT&timestamp={now(simulator)}"))
    assert error_of(response)[1] == -1108
    assert simulator.simulator.requests[-1].params()["asset"] == "US DT"


@pytest.mark.parametrize(
    ("offset", "recv_window", "expected"),
    [
        (0, None, None),
        (999, None, None),
        (1000, None, "Timestamp for this request was 1000ms ahead of the server's time."),
        (-5000, None, None),
        (-5001, None, "Timestamp for this request is outside of the recvWindow."),
        (-10000, 10000, None),
        (-10001, 10000, "Timestamp for this request is outside of the recvWindow."),
        (-60000, 60000, None),
        (-1, 0, "Timestamp for this request is outside of the recvWindow."),
    ],
)
def test_timestamp_window_boundaries(
    simulator: SimulatorHandle, http: httpx.Client, offset: int, recv_window: int | None, expected: str | None
) -> None:
    simulator.simulator.clock = FakeClock()
    query = f"timestamp={T0 + offset}" + ("" if recv_window is None else f"&recvWindow={recv_window}")
    response = get(http, signed(query))
    if expected is None:
        assert response.status_code == 200
    else:
        assert error_of(response) == (400, -1021, expected)


def test_replayed_request_fails_after_recv_window(simulator: SimulatorHandle, http: httpx.Client) -> None:
    clock = FakeClock()
    simulator.simulator.clock = clock
    query = signed(f"timestamp={T0}")
    assert get(http, query).status_code == 200
    clock.ms += 5001
    assert error_of(get(http, query))[1] == -1021


def test_client_bad_request_errors_for_parameter_rules(simulator: SimulatorHandle) -> None:
    with client_for(simulator) as client:
        httpx_client = client.get_httpx_client()
        with pytest.raises(BadRequestError) as unknown:
            httpx_client.get(BALANCE, params={"foo": "1"})
        with pytest.raises(BadRequestError) as duplicate:
            httpx_client.get(BALANCE, params=[("asset", "USDT"), ("asset", "BTC")])
        with pytest.raises(BadRequestError) as bad_asset:
            get_balance.sync(client=client, asset="usdt")
    assert (unknown.value.status_code, unknown.value.code) == (400, -1103)
    assert duplicate.value.code == -1101
    assert bad_asset.value.code == -1108
    # The client added recvWindow and timestamp and signed: the simulator saw every check pass up to these.
    assert all("timestamp=" in r.raw_query for r in balance_requests(simulator))


def test_client_with_malformed_timestamp_gets_1102(simulator: SimulatorHandle) -> None:
    with client_for(simulator, clock=lambda: -5) as client, pytest.raises(BadRequestError) as info:
        get_balance.sync(client=client)
    assert info.value.code == -1102
    assert balance_requests(simulator)[-1].params()["timestamp"] == "-5"


def test_client_refuses_recv_window_over_60000_before_sending(simulator: SimulatorHandle) -> None:
    with client_for(simulator) as client, pytest.raises(RequestValidationError):
        get_balance.sync(client=client, recv_window=60001)
    assert balance_requests(simulator) == []
    with client_for(simulator) as client:
        get_balance.sync(client=client, recv_window=60000)
    assert balance_requests(simulator)[-1].params()["recvWindow"] == "60000"


def test_client_timestamp_error_then_resync_with_fresh_timestamp(simulator: SimulatorHandle) -> None:
    simulator.simulator.clock_offset_ms = -20_000  # the server is 20 s behind: the client looks 20 s ahead
    with client_for(simulator) as client, pytest.raises(TimestampError) as info:
        get_balance.sync(client=client)
    assert (info.value.status_code, info.value.code) == (400, -1021)
    assert "ahead" in info.value.message
    simulator.simulator.clear_requests()
    with client_for(simulator, retry=RetryPolicy(max_attempts=1)) as client:
        assert len(as_list(get_balance.sync(client=client))) == 6
        assert -21_000 < client.time_offset_ms < -19_000
    paths = [(r.path, r.status) for r in simulator.simulator.requests]
    assert paths == [(BALANCE, 400), ("/fapi/v1/time", 200), (BALANCE, 200)]
    first, second = balance_requests(simulator)
    assert first.timestamp is not None
    assert second.timestamp is not None
    assert first.timestamp - second.timestamp > 19_000
    assert first.params()["signature"] != second.params()["signature"]


# --- weight, 429 and 418 ----------------------------------------------------------------------------------


def test_used_weight_header_on_every_response(simulator: SimulatorHandle, http: httpx.Client) -> None:
    simulator.simulator.start_window()  # exact counts: no window boundary during the test
    ts = now(simulator)
    responses = [
        get(http, signed(f"timestamp={ts}")),  # 200, +20
        get(http, signed(f"timestamp={ts}"), key=None),  # 401, +20
        get(http, f"timestamp={ts}"),  # 400, +20
        get(http, "", path="/papi/v1/ping", key=None),  # +1
        get(http, "", path="/fapi/v1/time", key=None),  # +1
        get(http, "", path="/nope", key=None),  # 404, +1
        get(http, signed(f"timestamp={ts}"), headers={"X-Sim-Fault": "503-unknown"}),  # +20
    ]
    assert [r.status_code for r in responses] == [200, 401, 400, 200, 200, 404, 503]
    assert [int(r.headers["X-MBX-USED-WEIGHT-1M"]) for r in responses] == [20, 40, 60, 61, 62, 63, 83]
    assert all("date" in r.headers for r in responses)
    assert simulator.simulator.used_weight() == 83


def test_429_then_418_then_recovery(simulator: SimulatorHandle, http: httpx.Client) -> None:
    sim = simulator.simulator
    clock = FakeClock()
    sim.clock = clock
    sim.weight_limit = 40
    query = signed(f"timestamp={T0}&recvWindow=60000")
    assert [get(http, query).status_code for _ in range(2)] == [200, 200]
    limited = get(http, query)
    assert error_of(limited) == (
        429,
        -1003,
        (
            "Too many requests; current limit of IP(127.0.0.1) request weight is 40 per minute. "
            "Please use WebSocket Streams for live updates to avoid polling the API."
        ),
    )
    assert limited.headers["Retry-After"] == "20"  # T0 is 40 s into a minute: the window ends 20 s later
    assert limited.headers["X-MBX-USED-WEIGHT-1M"] == "40"
    clock.ms += 1000
    banned = get(http, query)
    status, code, msg = error_of(banned)
    assert (status, code) == (418, -1003)
    assert msg == (
        f"Way too much request weight used; IP banned until {T0 + 1000 + 120_000}. "
        "Please use WebSocket Streams for live updates to avoid bans."
    )
    assert banned.headers["Retry-After"] == "120"
    # The ban covers every endpoint of the IP.
    assert get(http, "", path="/papi/v1/ping").status_code == 418
    clock.ms += 119_999
    assert get(http, "", path="/papi/v1/ping").status_code == 418
    clock.ms += 1
    back = get(http, signed(f"timestamp={clock.ms}"))
    assert back.status_code == 200
    assert back.headers["X-MBX-USED-WEIGHT-1M"] == "20"


def test_weight_windows_are_fixed_minutes_of_the_server_clock(simulator: SimulatorHandle, http: httpx.Client) -> None:
    sim = simulator.simulator
    clock = FakeClock()  # T0: 40 s into a minute
    sim.clock = clock
    sim.weight_limit = 40

    def call() -> httpx.Response:
        return get(http, signed(f"timestamp={clock.ms}"))

    assert call().headers["X-MBX-USED-WEIGHT-1M"] == "20"
    clock.ms += 10_000
    assert call().headers["X-MBX-USED-WEIGHT-1M"] == "40"
    clock.ms += 5_000
    limited = call()
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "5"  # the count falls to zero at the next minute, T0 + 20 s
    clock.ms = T0 + 20_000
    ok = call()
    assert ok.status_code == 200
    assert ok.headers["X-MBX-USED-WEIGHT-1M"] == "20"
    assert sim.used_weight() == 20
    # Another process on the same IP spends weight: the next answer counts it.
    assert sim.add_weight(15) == 35
    assert sim.used_weight() == 35
    assert call().status_code == 429


def test_window_length_and_server_clock(simulator: SimulatorHandle, http: httpx.Client) -> None:
    sim = simulator.simulator
    clock = FakeClock()
    sim.clock = clock
    sim.window_ms = 2000
    sim.clock_offset_ms = 1500  # the windows follow the server's clock, T0 + 1.5 s: 0.5 s before a boundary
    query = f"timestamp={T0 + 1500}"
    assert get(http, signed(query)).headers["X-MBX-USED-WEIGHT-1M"] == "20"
    clock.ms += 499
    assert get(http, signed(query)).headers["X-MBX-USED-WEIGHT-1M"] == "40"
    clock.ms += 1
    assert get(http, signed(query)).headers["X-MBX-USED-WEIGHT-1M"] == "20"


# --- ping, time, Date -------------------------------------------------------------------------------------


def test_ping_and_time(simulator: SimulatorHandle, http: httpx.Client) -> None:
    sim = simulator.simulator
    sim.clock = FakeClock(T0 + 123)
    sim.clock_offset_ms = 4_000
    ping = get(http, "", path="/papi/v1/ping", key=None)
    assert (ping.status_code, ping.json()) == (200, {})
    server_time = get(http, "", path="/fapi/v1/time", key=None)
    assert server_time.json() == {"serverTime": T0 + 4_123}
    assert server_time.headers["Date"] == formatdate((T0 + 4_123) // 1000, usegmt=True)
    assert int(server_time.headers["X-MBX-USED-WEIGHT-1M"]) == 2


def test_client_sync_time_measures_the_offset(simulator: SimulatorHandle) -> None:
    simulator.simulator.clock_offset_ms = 7_500
    with client_for(simulator) as client:
        offset = client.sync_time()
        assert 6_500 < offset < 8_500
        assert len(as_list(get_balance.sync(client=client))) == 6  # signed with the offset: inside recvWindow


def test_other_methods_and_paths(simulator: SimulatorHandle, http: httpx.Client) -> None:
    assert http.post(BALANCE, headers={"X-MBX-APIKEY": DEMO_API_KEY}).status_code == 405
    missing = http.get("/papi/v1/nothing")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")


# --- faults -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("500", (500, -1000, "An unknown error occured while processing the request.")),
        ("503-unknown", (503, -1000, "Unknown error, please check your request or try again later.")),
        ("503-unavailable", (503, -1000, "Service Unavailable.")),
        ("503-internal", (503, -1001, "Internal error; unable to process your request. Please try again.")),
        ("timestamp-1021", (400, -1021, "Timestamp for this request is outside of the recvWindow.")),
    ],
)
def test_error_faults(
    simulator: SimulatorHandle, http: httpx.Client, fault: str, expected: tuple[int, int, str]
) -> None:
    response = get(http, signed(f"timestamp={now(simulator)}"), headers={"X-Sim-Fault": fault})
    assert error_of(response) == expected
    assert response.headers["X-MBX-USED-WEIGHT-1M"] == "20"


def test_502_html_fault(simulator: SimulatorHandle, http: httpx.Client) -> None:
    response = get(http, "", key=None, headers={"X-Sim-Fault": "502-html"})
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.startswith("<html>")


@pytest.mark.parametrize("asset", [None, "USDT"])
def test_body_faults(simulator: SimulatorHandle, http: httpx.Client, asset: str | None) -> None:
    query = signed(("" if asset is None else f"asset={asset}&") + f"timestamp={now(simulator)}")
    good = get(http, query)
    bodies = {
        f: get(http, query, headers={"X-Sim-Fault": f}) for f in ("empty", "truncated", "wrong-shape", "wrong-type")
    }
    assert all(r.status_code == 200 for r in bodies.values())
    assert bodies["empty"].content == b""
    assert bodies["truncated"].content == good.content[: len(good.content) // 2]
    with pytest.raises(ValueError, match=r"Expecting|Unterminated"):
        bodies["truncated"].json()
    assert bodies["wrong-shape"].json() == {"foo": 1}
    wrong = bodies["wrong-type"].json()
    item = wrong[0] if asset is None else wrong
    assert isinstance(item["totalWalletBalance"], float)
    assert isinstance(item["crossMarginFree"], str)


def test_body_faults_leave_errors_alone(simulator: SimulatorHandle, http: httpx.Client) -> None:
    response = get(http, signed(f"timestamp={now(simulator)}"), key=OTHER_KEY, headers={"X-Sim-Fault": "empty"})
    assert error_of(response)[1] == -2015


def test_slow_fault(simulator: SimulatorHandle, http: httpx.Client) -> None:
    started = time.monotonic()
    response = get(http, signed(f"timestamp={now(simulator)}"), headers={"X-Sim-Fault": "slow:0.3"})
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200
    assert len(response.json()) == 6


def test_close_fault_drops_the_connection(simulator: SimulatorHandle, http: httpx.Client) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        get(http, signed(f"timestamp={now(simulator)}"), headers={"X-Sim-Fault": "close"})
    assert simulator.simulator.requests[-1].status is None
    # The server is fine afterwards, on a new connection.
    assert get(http, signed(f"timestamp={now(simulator)}")).status_code == 200


def test_unknown_fault_name_is_refused(simulator: SimulatorHandle, http: httpx.Client) -> None:
    response = get(http, "", headers={"X-Sim-Fault": "explode"})
    assert response.status_code == 400
    assert "unknown fault 'explode'" in response.text
    with pytest.raises(ValueError, match="unknown fault"):
        simulator.simulator.fail_next("slow:abc")
    with pytest.raises(ValueError, match="unknown fault"):
        simulator.simulator.set_fault("slow:-1")
    assert "slow:<seconds>" in FAULT_NAMES


def test_per_run_faults_queue_then_default(simulator: SimulatorHandle, http: httpx.Client) -> None:
    sim = simulator.simulator
    sim.fail_next("503-internal", 2)
    sim.faults.schedule([None, "500"])
    sim.set_fault("502-html")

    def status() -> int:
        return get(http, signed(f"timestamp={now(simulator)}")).status_code

    # Ping and time are not in the plan's paths: they stay healthy and take nothing from the queue.
    assert get(http, "", path="/papi/v1/ping").status_code == 200
    assert [status() for _ in range(6)] == [503, 503, 200, 500, 502, 502]
    sim.set_fault(None)
    assert status() == 200
    assert sim.faults.pending() == 0


def test_header_fault_overrides_plan_and_applies_to_any_path(simulator: SimulatorHandle, http: httpx.Client) -> None:
    simulator.simulator.set_fault("500")
    response = get(http, "", path="/fapi/v1/time", headers={"X-Sim-Fault": "wrong-type"})
    assert isinstance(response.json()["serverTime"], str)
    assert get(http, "", headers={"X-Sim-Fault": "503-internal"}).status_code == 503


# --- request log, reset, run modes ------------------------------------------------------------------------


def test_request_log_records_what_arrived(simulator: SimulatorHandle, http: httpx.Client) -> None:
    query = signed(f"asset=ETH&timestamp={now(simulator)}")
    before = now(simulator)
    get(http, query, headers={"User-Agent": "probe"})
    (record,) = simulator.simulator.requests
    assert (record.method, record.path, record.raw_query, record.status) == ("GET", BALANCE, query, 200)
    assert record.headers["x-mbx-apikey"] == DEMO_API_KEY
    assert record.headers["user-agent"] == "probe"
    assert record.remote == "127.0.0.1"
    assert before <= record.time_ms <= now(simulator)
    assert record.params()["asset"] == "ETH"


def test_request_log_is_bounded() -> None:
    sim = Simulator(record_limit=3)
    with serve_in_thread(sim) as handle, httpx.Client(base_url=handle.base_url) as http:
        for _ in range(5):
            http.get("/papi/v1/ping")
        http.get("/fapi/v1/time")
    assert [r.path for r in sim.requests] == ["/papi/v1/ping", "/papi/v1/ping", "/fapi/v1/time"]


def test_reset_restores_construction_state(simulator: SimulatorHandle, http: httpx.Client) -> None:
    sim = simulator.simulator
    sim.weight_limit = 1
    sim.clock_offset_ms = 99_999
    sim.set_fault("500")
    sim.fail_next("close")
    sim.add_key(OTHER_KEY, "secret")
    get(http, "", path="/papi/v1/ping")
    sim.reset()
    assert (sim.weight_limit, sim.clock_offset_ms, sim.faults.default, sim.faults.pending()) == (6000, 0, None, 0)
    assert OTHER_KEY not in sim.keys
    assert sim.requests == []
    assert sim.used_weight() == 0
    assert get(http, signed(f"timestamp={now(simulator)}")).status_code == 200


def test_thread_server_stops_cleanly() -> None:
    before = set(threading.enumerate())
    with serve_in_thread() as handle:
        url = handle.url("/papi/v1/ping")
        assert httpx.get(url).json() == {}
        assert len(set(threading.enumerate()) - before) == 1
    assert set(threading.enumerate()) == before
    with pytest.raises(httpx.ConnectError):
        httpx.get(url)
    handle.stop()  # idempotent


def test_start_reports_a_port_in_use() -> None:
    with serve_in_thread() as first:
        taken = SimulatorHandle(port=first.port)
        with pytest.raises(OSError, match=r"address already in use|Errno 98"):
            taken.start()


def test_async_client_and_many_concurrent_requests(simulator: SimulatorHandle) -> None:
    simulator.simulator.start_window()  # exact counts: no window boundary during the test
    simulator.simulator.weight_limit = 10**9

    async def main() -> list[Any]:
        client = signed_client(DEMO_API_KEY, DEMO_API_SECRET, base_url=simulator.base_url, retry=RetryPolicy.disabled())
        async with client:
            return await asyncio.gather(*(get_balance.asyncio(client=client, asset="BNB") for _ in range(100)))

    results = asyncio.run(main())
    assert len(results) == 100
    assert all(isinstance(r, Balance) and r.asset == "BNB" for r in results)
    assert [r.status for r in balance_requests(simulator)] == [200] * 100
    assert simulator.simulator.used_weight() == 2000


async def _async_balance(handle: SimulatorHandle, async_transport: Literal["aiohttp", "httpx"] = "aiohttp") -> None:
    client = signed_client(
        DEMO_API_KEY,
        DEMO_API_SECRET,
        base_url=handle.base_url,
        retry=RetryPolicy.disabled(),
        async_transport=async_transport,
    )
    async with client:
        await get_balance.asyncio(client=client)


def test_async_aiohttp_transport_sends_once_when_the_connection_drops(simulator: SimulatorHandle) -> None:
    # aiohttp would resend an idempotent GET after a dropped connection, below the signing hook (a replay of
    # the same signed bytes); the client's transport turns that off so that only the retry policy resends.
    simulator.simulator.set_fault("close")
    with pytest.raises(TransportError):
        asyncio.run(_async_balance(simulator, "aiohttp"))
    assert len(balance_requests(simulator)) == 1


def test_start_site_on_the_callers_loop() -> None:
    async def main() -> tuple[int, Any]:
        sim = Simulator(clock=lambda: T0)
        runner, port = await start_site(sim)
        try:
            async with httpx.AsyncClient() as client:
                response = await client.get(f"http://127.0.0.1:{port}/fapi/v1/time")
                return response.status_code, response.json()
        finally:
            await runner.cleanup()

    assert asyncio.run(main()) == (200, {"serverTime": T0})


def test_importing_binance_papi_does_not_load_the_simulator() -> None:
    code = (
        "import sys, binance_papi; "
        "assert 'aiohttp' not in sys.modules and 'binance_papi.simulator' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_command_line_serves_until_sigterm() -> None:
    account = large_account(40, seed=5)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "binance_papi.simulator",
            "--port",
            "0",
            "--large-assets",
            "40",
            "--seed",
            "5",
            "--weight-limit",
            "100",
            "--window-seconds",
            "3600",
            "--clock-offset-ms",
            "3000",
            "--fault",
            "503-internal",
            "--fault-count",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Buffered stdout, as under a benchmark's pipe: the line must arrive because the simulator flushes.
        env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.fullmatch(r"PAPI simulator listening on (http://127\.0\.0\.1:(\d+))\n", line)
        assert match, line
        base_url = match.group(1)
        with client_for_url(base_url, account.api_key, account.api_secret) as client:
            with pytest.raises(ServerError):
                get_balance.sync(client=client)
            assert 2_000 < client.sync_time() < 4_000
            balances = get_balance.sync(client=client)
            assert isinstance(balances, list)
            assert len(balances) == 40
            assert client.used_weight == 41
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert out == ""


def test_command_line_rejects_an_unknown_fault() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "binance_papi.simulator", "--fault", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "unknown fault 'nope'" in result.stderr


@contextmanager
def client_for_url(base_url: str, key: str, secret: str) -> Iterator[PapiClient]:
    client = signed_client(key, secret, base_url=base_url, retry=RetryPolicy.disabled())
    try:
        yield client
    finally:
        client.close()
