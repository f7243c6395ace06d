"""The signing hook on its own: the published vector, the exact query it produces, and its guards."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wire_checks import as_sent

from binance_papi import BinanceAuth, HmacSigner, RequestValidationError, RetryPolicy, signed_client
from binance_papi._signing import _with_query, system_clock_ms
from binance_papi_generated.api.account import get_balance

# Binance's published HMAC example (Spot docs), from shared/reference/papi-facts.md.
VECTOR_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
VECTOR_PAYLOAD = (
    b"symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
)
VECTOR_SIGNATURE = b"c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"


def ticking_clock(start: int = 1_700_000_000_000, step: int = 7) -> Iterator[int]:
    now = start
    while True:
        yield now
        now += step


def test_published_hmac_vector() -> None:
    assert HmacSigner(VECTOR_SECRET).sign(VECTOR_PAYLOAD) == VECTOR_SIGNATURE
    assert HmacSigner(VECTOR_SECRET.encode()).sign(VECTOR_PAYLOAD) == VECTOR_SIGNATURE


def test_query_reproduces_the_vector_when_the_timestamp_matches() -> None:
    auth = BinanceAuth(API_KEY, HmacSigner(VECTOR_SECRET), clock=lambda: 1499827319559)
    signed = auth.sign_query(b"symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000")
    assert signed == VECTOR_PAYLOAD + b"&signature=" + VECTOR_SIGNATURE


def test_default_recv_window_added_only_when_missing() -> None:
    auth = BinanceAuth(API_KEY, HmacSigner("s"), recv_window=7000, clock=lambda: 5)
    assert auth.sign_query(b"").startswith(b"recvWindow=7000&timestamp=5&signature=")
    assert auth.sign_query(b"asset=BTC").startswith(b"asset=BTC&recvWindow=7000&timestamp=5&signature=")
    kept = auth.sign_query(b"asset=BTC&recvWindow=60000")
    assert kept.startswith(b"asset=BTC&recvWindow=60000&timestamp=5&signature=")
    assert kept.count(b"recvWindow") == 1


def test_time_offset_is_applied() -> None:
    auth = BinanceAuth(API_KEY, HmacSigner("s"), clock=lambda: 1000, time_offset_ms=-250)
    assert b"timestamp=750&" in auth.sign_query(b"")


@pytest.mark.parametrize("value", [0, -1, 60001, 10**12])
def test_recv_window_out_of_range_is_rejected_at_construction(value: int) -> None:
    with pytest.raises(RequestValidationError, match=r"recvWindow must be an integer from 1 to 60000 ms"):
        BinanceAuth(API_KEY, HmacSigner("s"), recv_window=value)


@pytest.mark.parametrize("name", ["timestamp", "signature"])
def test_caller_may_not_pass_what_the_hook_adds(name: str) -> None:
    auth = BinanceAuth(API_KEY, HmacSigner("s"))
    with pytest.raises(RequestValidationError, match=f"{name} is added by the signing hook"):
        auth.sign_query(f"asset=BTC&{name}=1".encode())


@pytest.mark.parametrize("key", ["", "abc def", "abc\n", "ключ"])
def test_bad_api_key_is_rejected(key: str) -> None:
    with pytest.raises(RequestValidationError, match="api_key"):
        BinanceAuth(key, HmacSigner("s"))


def test_empty_secret_is_rejected() -> None:
    with pytest.raises(RequestValidationError, match="api_secret is empty"):
        HmacSigner("")


ONE_BALANCE = {
    "asset": "",
    "totalWalletBalance": "1.5",
    "crossMarginBorrowed": "0",
    "crossMarginFree": "1.5",
    "crossMarginInterest": "0",
    "crossMarginLocked": "0",
    "umWalletBalance": "0",
    "umUnrealizedPNL": "",
    "cmWalletBalance": "0",
    "cmUnrealizedPNL": "",
    "updateTime": 0,
    "negativeBalance": "0",
}


class Recorder:
    """A transport that records each request it is handed (what would go on the wire)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(as_sent(request))
        if b"asset=" not in request.url.query:
            return httpx.Response(200, json=[])
        return httpx.Response(200, json={**ONE_BALANCE, "asset": request.url.params["asset"]})


@pytest.mark.parametrize("recv_window", [0, 60001, -5])
def test_bad_recv_window_from_a_caller_fails_before_sending(recv_window: int) -> None:
    recorder = Recorder()
    client = signed_client(API_KEY, "s", httpx_args={"transport": httpx.MockTransport(recorder)})
    with pytest.raises(RequestValidationError, match=f"recvWindow={recv_window} is (below|above)"):
        get_balance.sync(client=client, recv_window=recv_window)
    assert recorder.requests == []


def test_every_send_is_signed_afresh_and_signature_is_last() -> None:
    recorder = Recorder()
    clock = ticking_clock()
    client = signed_client(
        API_KEY,
        VECTOR_SECRET,
        clock=lambda: next(clock),
        retry=RetryPolicy.disabled(),
        httpx_args={"transport": httpx.MockTransport(recorder)},
    )
    for _ in range(3):
        assert get_balance.sync(client=client, asset="BTC").asset == "BTC"
    queries = [r.url.query for r in recorder.requests]
    stamps = [q.split(b"timestamp=")[1].split(b"&")[0] for q in queries]
    assert len(set(stamps)) == 3
    for request, query in zip(recorder.requests, queries, strict=True):
        head, _, signature = query.rpartition(b"&signature=")
        assert b"signature" not in head
        assert signature == hmac.new(VECTOR_SECRET.encode(), head, hashlib.sha256).hexdigest().encode()
        assert request.headers["X-MBX-APIKEY"] == API_KEY


def test_repr_masks_the_key_and_never_shows_the_secret() -> None:
    auth = BinanceAuth(API_KEY, HmacSigner(VECTOR_SECRET))
    client = signed_client(API_KEY, VECTOR_SECRET)
    for text in (repr(auth), repr(client), repr(HmacSigner(VECTOR_SECRET)), str(client)):
        assert VECTOR_SECRET not in text
        assert API_KEY not in text
    assert repr(auth) == "BinanceAuth(key_type='HMAC', api_key='vmPU***')"
    assert repr(HmacSigner(VECTOR_SECRET)) == "HmacSigner(secret=***)"
    # A key of 8 characters or fewer shows nothing: four would be half of it.
    assert repr(BinanceAuth("k" * 8, HmacSigner("s"))) == "BinanceAuth(key_type='HMAC', api_key='***')"
    assert repr(BinanceAuth("k" * 9, HmacSigner("s"))) == "BinanceAuth(key_type='HMAC', api_key='kkkk***')"


# `_with_query` builds the signed URL without httpx's full re-parse; it must be indistinguishable from
# `url.copy_with(query=...)`: the same URL, or the same exception.
def _url_outcome(build: Callable[[], httpx.URL]) -> tuple[object, ...]:
    try:
        url = build()
    except Exception as error:  # noqa: BLE001  (the exception type is what is compared)
        return ("error", type(error).__name__)
    return ("ok", str(url), url.raw_path, url.query, url.fragment, url.host, url.port)


@settings(max_examples=2000, deadline=None)
@given(
    url=st.sampled_from(
        [
            "https://papi.binance.com/papi/v1/balance",
            "http://127.0.0.1:8080/papi/v1/balance",
            "http://[::1]:1/a%20b/c?x=1",
            "https://h/p#frag",
        ]
    ),
    query=st.one_of(
        st.binary(max_size=40),
        st.text(max_size=40).map(lambda s: s.encode("utf-8", "surrogatepass")),
        st.dictionaries(st.text(max_size=5), st.text(max_size=8), max_size=3).map(
            lambda p: str(httpx.QueryParams(p)).encode()
        ),
    ),
)
def test_signed_url_shortcut_matches_copy_with(url: str, query: bytes) -> None:
    base = httpx.URL(url)
    assert _url_outcome(lambda: _with_query(base, query)) == _url_outcome(lambda: base.copy_with(query=query))


def test_signed_url_shortcut_on_an_overlong_query() -> None:
    base = httpx.URL("http://h/p")
    query = b"a=" + b"1" * 70000
    assert _url_outcome(lambda: _with_query(base, query)) == _url_outcome(lambda: base.copy_with(query=query))


def test_empty_params_give_the_same_url() -> None:
    with signed_client(API_KEY, "s") as client:
        http = client.get_httpx_client()
        plain = http.build_request("GET", "/papi/v1/balance", params=None)
        empty = http.build_request("GET", "/papi/v1/balance", params={})
    assert plain.url == empty.url
    assert str(plain.url) == "https://papi.binance.com/papi/v1/balance"


def test_the_system_clock_is_integer_milliseconds() -> None:
    before = time.time() * 1000
    now = system_clock_ms()
    assert type(now) is int
    assert before - 1 <= now <= time.time() * 1000 + 1


def test_api_key_problems_are_named() -> None:
    with pytest.raises(RequestValidationError, match=r"^api_secret is empty$"):
        HmacSigner("")
    with pytest.raises(RequestValidationError, match=r"^api_key is empty$"):
        BinanceAuth("", HmacSigner("s"))
    with pytest.raises(RequestValidationError, match=r"^api_key must be printable ASCII without spaces \(check"):
        BinanceAuth("key\n", HmacSigner("s"))


def test_recv_window_bounds_and_a_caller_recv_window_is_checked_by_name() -> None:
    auth = BinanceAuth(API_KEY, HmacSigner("s"), clock=lambda: 1)
    assert auth.sign_query(b"recvWindow=1").startswith(b"recvWindow=1&timestamp=1&signature=")
    assert BinanceAuth(API_KEY, HmacSigner("s"), recv_window=1).recv_window == 1
    with pytest.raises(RequestValidationError, match="recvWindow must be an integer from 1 to 60000 ms, got '5000=1'"):
        auth.sign_query(b"recvWindow=5000=1")
    with pytest.raises(RequestValidationError, match="timestamp is added by the signing hook"):
        auth.sign_query(b"asset=BTC&timestamp=1=2")


def test_a_signer_of_the_user_s_own_needs_no_redactions() -> None:
    """`Signer` asks only for `key_type` and `sign` (an HSM or a KMS signer, say): the API key is still blanked."""

    class Remote:
        key_type = "HMAC"

        def sign(self, payload: bytes) -> bytes:
            return hmac.new(b"held elsewhere", payload, hashlib.sha256).hexdigest().encode("ascii")

    auth = BinanceAuth("K" * 64, Remote())
    assert auth.redactions() == ("K" * 64,)
    assert BinanceAuth("K" * 64, HmacSigner("S" * 64)).redactions() == ("K" * 64, "S" * 64)
