"""The ready client end to end, over real HTTP against the simulator: sync and async, both shapes, exact
decimals, signing of awkward parameters, and every key type."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from binance_papi import (
    BadRequestError,
    InvalidResponseError,
    InvalidSignatureError,
    PapiClient,
    RetryPolicy,
    __version__,
    signed_client,
)
from binance_papi.simulator import DEMO_API_KEY, DEMO_API_SECRET, PublicKeyVerifier, SimulatorHandle, large_account
from binance_papi_generated.api.account import get_balance
from binance_papi_generated.models import Balance
from binance_papi_generated.types import UNSET

AWKWARD_ASSETS = [
    "USDT&x=1",
    "a b+c/é",
    "\uff11\uff12\uff13",  # full-width digits
    "BTC=",
    "%41",
    "x;y,z?#",
]
TRANSPORTS = ["aiohttp", "httpx"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def make_client(handle: SimulatorHandle, **kwargs: Any) -> PapiClient:
    options: dict[str, Any] = {"base_url": handle.base_url, "retry": RetryPolicy.disabled(), **kwargs}
    if "private_key" not in options and "api_secret" not in options:
        options["api_secret"] = DEMO_API_SECRET
    api_key = options.pop("api_key", DEMO_API_KEY)
    return signed_client(api_key, **options)


def expected_list(handle: SimulatorHandle) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = json.loads(handle.simulator.demo.list_body)
    return result


def expected_one(handle: SimulatorHandle, asset: str) -> dict[str, Any]:
    body = handle.simulator.demo.asset_body(asset)
    assert body is not None
    result: dict[str, Any] = json.loads(body)
    return result


def check_list(balances: list[Balance] | Balance, handle: SimulatorHandle) -> None:
    assert isinstance(balances, list)
    assert [b.to_dict() for b in balances] == expected_list(handle)
    usdt = next(b for b in balances if b.asset == "USDT")
    wire = next(item for item in expected_list(handle) if item["asset"] == "USDT")
    assert usdt.total_wallet_balance == Decimal(wire["totalWalletBalance"])
    assert type(usdt.total_wallet_balance) is Decimal
    assert wire["cmUnrealizedPNL"] == ""
    assert usdt.cm_unrealized_pnl is None
    assert isinstance(usdt.cross_margin_asset, Decimal)


def check_one(balance: Balance, handle: SimulatorHandle, asset: str) -> None:
    assert isinstance(balance, Balance)
    assert balance.asset == asset
    assert balance.to_dict() == expected_one(handle, asset)
    assert balance.cross_margin_asset is UNSET  # the single-object form omits it, as in the docs


def test_sync_both_shapes(simulator: SimulatorHandle) -> None:
    simulator.simulator.start_window()  # exact counts: no window boundary during the test
    with make_client(simulator) as client:
        check_list(get_balance.sync(client=client), simulator)
        balance = get_balance.sync(client=client, asset="USDT")
        assert isinstance(balance, Balance)
        check_one(balance, simulator, "USDT")
        assert client.used_weight == 40


@pytest.mark.anyio
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_async_both_shapes(simulator: SimulatorHandle, transport: str) -> None:
    simulator.simulator.start_window()  # exact counts: no window boundary during the test
    async with make_client(simulator, async_transport=transport) as client:
        check_list(await get_balance.asyncio(client=client), simulator)
        balance = await get_balance.asyncio(client=client, asset="BTC")
        assert isinstance(balance, Balance)
        check_one(balance, simulator, "BTC")
        detailed = await get_balance.asyncio_detailed(client=client, asset="ETH")
        assert isinstance(detailed.parsed, Balance)
        assert detailed.headers["X-MBX-USED-WEIGHT-1M"] == "60"
        assert client.used_weight == 60


def test_sync_detailed_carries_status_headers_and_parsed(simulator: SimulatorHandle) -> None:
    with make_client(simulator) as client:
        detailed = get_balance.sync_detailed(client=client)
    assert detailed.status_code == 200
    assert isinstance(detailed.parsed, list)
    assert json.loads(detailed.content) == expected_list(simulator)
    assert detailed.headers["X-MBX-USED-WEIGHT-1M"] == "20"


def test_construction_makes_no_request(simulator: SimulatorHandle) -> None:
    client = make_client(simulator)
    assert simulator.simulator.requests == []
    client.close()


def test_requests_carry_user_agent_and_api_key(simulator: SimulatorHandle) -> None:
    with make_client(simulator) as client:
        get_balance.sync(client=client)
    (seen,) = simulator.simulator.requests
    assert seen.headers["User-Agent"].startswith(f"binance-papi/{__version__}")
    assert seen.headers["X-MBX-APIKEY"] == DEMO_API_KEY
    assert list(seen.params()) == ["recvWindow", "timestamp", "signature"]


def test_wrong_secret_raises_invalid_signature(simulator: SimulatorHandle) -> None:
    wrong_secret = "W" * 64
    with make_client(simulator, api_secret=wrong_secret) as client, pytest.raises(InvalidSignatureError) as caught:
        get_balance.sync(client=client)
    error = caught.value
    assert (error.status_code, error.code) == (400, -1022)
    assert error.message == "Signature for this request is not valid."
    assert error.path == "/papi/v1/balance"
    assert "secret or private key belongs to this API key" in str(error)
    for secret in (wrong_secret, DEMO_API_KEY, "signature="):
        assert secret not in str(error)


@pytest.mark.anyio
async def test_wrong_secret_raises_invalid_signature_async(simulator: SimulatorHandle) -> None:
    async with make_client(simulator, api_secret="W" * 64) as client:
        with pytest.raises(InvalidSignatureError):
            await get_balance.asyncio(client=client)


def check_awkward_asset(simulator: SimulatorHandle, asset: str) -> None:
    """The simulator verified the signature (else -1022) before refusing the unknown asset with -1108."""
    seen = simulator.simulator.requests[-1]
    assert seen.params()["asset"] == asset  # what the server decoded is what the caller passed
    assert seen.raw_query.isascii()
    assert seen.raw_query.rpartition("&")[2].startswith("signature=")
    assert seen.status == 400


@pytest.mark.parametrize("asset", AWKWARD_ASSETS)
def test_reserved_and_non_ascii_assets_are_encoded_and_verified(simulator: SimulatorHandle, asset: str) -> None:
    with make_client(simulator) as client, pytest.raises(BadRequestError) as caught:
        get_balance.sync(client=client, asset=asset)
    assert caught.value.code == -1108
    check_awkward_asset(simulator, asset)


@pytest.mark.anyio
@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("asset", AWKWARD_ASSETS)
async def test_reserved_and_non_ascii_assets_async(simulator: SimulatorHandle, asset: str, transport: str) -> None:
    async with make_client(simulator, async_transport=transport) as client:
        with pytest.raises(BadRequestError) as caught:
            await get_balance.asyncio(client=client, asset=asset)
    assert caught.value.code == -1108
    check_awkward_asset(simulator, asset)


def near_real_clock() -> Callable[[], int]:
    """Real time plus a 1 ms tick per call, so consecutive sends can never share a timestamp."""
    ticks: Iterator[int] = iter(range(10**9))
    return lambda: time.time_ns() // 1_000_000 + next(ticks)


def test_each_send_has_a_fresh_timestamp(simulator: SimulatorHandle) -> None:
    with make_client(simulator, clock=near_real_clock()) as client:
        for _ in range(3):
            get_balance.sync(client=client, asset="BNB")
    stamps = [r.timestamp for r in simulator.simulator.requests]
    assert len(stamps) == 3
    assert all(s is not None for s in stamps)
    assert len(set(stamps)) == 3


def test_caller_recv_window_is_kept(simulator: SimulatorHandle) -> None:
    with make_client(simulator, recv_window=9000) as client:
        get_balance.sync(client=client)
        get_balance.sync(client=client, recv_window=60000)
    first, second = simulator.simulator.requests
    assert first.params()["recvWindow"] == "9000"
    assert second.params()["recvWindow"] == "60000"


# --- RSA and Ed25519 keys, registered in the simulator by their public keys --------------------------------

KEY_API_KEY = "R" * 64


def private_pem(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey, passphrase: bytes | None = None) -> bytes:
    encryption = serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def public_pem(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


KEYS: dict[str, Callable[[], rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey]] = {
    "rsa2048": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "rsa4096": lambda: rsa.generate_private_key(public_exponent=65537, key_size=4096),
    "ed25519": ed25519.Ed25519PrivateKey.generate,
    "ed25519-encrypted": ed25519.Ed25519PrivateKey.generate,
}


@pytest.fixture(scope="module", params=list(KEYS))
def key_case(request: pytest.FixtureRequest) -> tuple[str, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey]:
    return request.param, KEYS[request.param]()


def key_client(
    simulator: SimulatorHandle, case: tuple[str, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey], **kwargs: Any
) -> PapiClient:
    name, key = case
    simulator.simulator.add_key(KEY_API_KEY, PublicKeyVerifier(public_pem(key)))
    passphrase = b"open sesame" if name.endswith("encrypted") else None
    return make_client(
        simulator,
        api_key=KEY_API_KEY,
        private_key=private_pem(key, passphrase),
        private_key_passphrase=passphrase,
        **kwargs,
    )


def test_key_types_sync_both_shapes(
    simulator: SimulatorHandle, key_case: tuple[str, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey]
) -> None:
    with key_client(simulator, key_case) as client:
        check_list(get_balance.sync(client=client), simulator)
        balance = get_balance.sync(client=client, asset="FDUSD")
        assert isinstance(balance, Balance)
        check_one(balance, simulator, "FDUSD")
        assert client.auth.key_type == ("RSA" if key_case[0].startswith("rsa") else "Ed25519")


@pytest.mark.anyio
async def test_key_types_async_both_shapes(
    simulator: SimulatorHandle, key_case: tuple[str, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey]
) -> None:
    async with key_client(simulator, key_case) as client:
        check_list(await get_balance.asyncio(client=client), simulator)
        balance = await get_balance.asyncio(client=client, asset="USDC")
        assert isinstance(balance, Balance)
        check_one(balance, simulator, "USDC")


@pytest.mark.parametrize("asset", AWKWARD_ASSETS)
def test_key_types_sign_awkward_assets(
    simulator: SimulatorHandle, key_case: tuple[str, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey], asset: str
) -> None:
    with key_client(simulator, key_case) as client, pytest.raises(BadRequestError) as caught:
        get_balance.sync(client=client, asset=asset)
    assert caught.value.code == -1108
    check_awkward_asset(simulator, asset)


def test_key_registered_for_another_api_key_is_rejected(simulator: SimulatorHandle) -> None:
    registered, other = ed25519.Ed25519PrivateKey.generate(), ed25519.Ed25519PrivateKey.generate()
    simulator.simulator.add_key(KEY_API_KEY, PublicKeyVerifier(public_pem(registered)))
    client = make_client(simulator, api_key=KEY_API_KEY, private_key=private_pem(other))
    with client, pytest.raises(InvalidSignatureError) as caught:
        get_balance.sync(client=client)
    assert caught.value.code == -1022


@pytest.mark.anyio
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_no_logger_records_secrets_or_signatures(
    simulator: SimulatorHandle, transport: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):  # every logger: ours, httpx, httpcore, aiohttp
        with make_client(simulator) as client:
            get_balance.sync(client=client, asset="USDT")
        async with make_client(simulator, async_transport=transport) as client:
            await get_balance.asyncio(client=client)
    text = "\n".join(f"{r.name}: {r.getMessage()}" for r in caplog.records)
    assert "HTTP Request: GET http://" in text  # httpx's own line is there, redacted
    assert "<query redacted>" in text
    signatures = [r.params()["signature"] for r in simulator.simulator.requests]
    assert len(signatures) == 2
    for secret in (DEMO_API_KEY, DEMO_API_SECRET, *signatures, "signature=", "timestamp="):
        assert secret not in text


def test_tampered_signature_is_rejected_for_every_key_type(
    simulator: SimulatorHandle, key_case: tuple[str, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey]
) -> None:
    with key_client(simulator, key_case) as client:
        signed = client.auth.sign_query(b"asset=USDT")
        head, _, signature = signed.rpartition(b"&signature=")
        # One character of the signature text changed, kept in its alphabet (and percent-encoded as sent), so
        # only the cryptographic check can refuse it. The change is made before encoding: flipping a byte of an
        # escape such as %2B would make an illegal parameter (-1100) instead.
        text = unquote(signature.decode("ascii"))
        flipped = quote(text[:10] + ("A" if text[10] != "A" else "B") + text[11:], safe="").encode("ascii")
        assert flipped != signature
        for candidate, expected in ((signature, 200), (flipped, 400)):
            response = httpx.get(
                f"{simulator.base_url}/papi/v1/balance?{head.decode()}&signature={candidate.decode()}",
                headers={"X-MBX-APIKEY": KEY_API_KEY},
            )
            assert response.status_code == expected
    assert response.json()["code"] == -1022


@pytest.mark.anyio
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_large_accounts_take_the_fast_path_and_agree_with_the_checked_one(
    simulator: SimulatorHandle, transport: str
) -> None:
    account = simulator.simulator.add_account(large_account(300, seed=7))
    checked = [Balance.from_dict_checked(item) for item in json.loads(account.list_body)]
    assert Balance.decode_fast(account.list_body) is not None  # the body really is one the fast path takes
    options = {"api_key": account.api_key, "api_secret": account.api_secret}
    with make_client(simulator, **options) as client:
        assert get_balance.sync(client=client) == checked
    async with make_client(simulator, async_transport=transport, **options) as client:
        assert await get_balance.asyncio(client=client) == checked


def test_large_body_the_fast_path_declines_is_still_checked(simulator: SimulatorHandle) -> None:
    account = simulator.simulator.add_account(large_account(300, seed=7))
    simulator.simulator.set_fault("wrong-type")  # the first totalWalletBalance becomes a JSON number
    expected = r"Balance\.totalWalletBalance: expected a decimal .*\(a JSON number\)"
    with (
        make_client(simulator, api_key=account.api_key, api_secret=account.api_secret) as client,
        pytest.raises(InvalidResponseError, match=expected),
    ):
        get_balance.sync(client=client)
