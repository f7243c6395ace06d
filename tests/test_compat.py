"""The private httpx/aiohttp parts in `_compat`: present in the pinned versions, and the public fallbacks work."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hostile_server import hostile_server
from hypothesis import given
from hypothesis import strategies as st

import binance_papi._http
from binance_papi import RequestTimeoutError, RetryPolicy, TransportError, _compat, async_signed_client, signed_client
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


def test_each_shortcut_is_checked_afresh_and_passes_in_the_pinned_versions() -> None:
    """The checks run at import (before mutmut's fork, see tests/mutation/EQUIVALENT.md): called again here."""
    assert _compat._fast_url_works() is True
    assert _compat._set_content_works() is True


def test_the_url_check_fails_when_the_private_representation_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(url: httpx.URL, query: str) -> httpx.URL:
        raise AttributeError("_uri_reference")

    monkeypatch.setattr(_compat, "_fast_url_with_query", broken)
    assert _compat._fast_url_works() is False

    def wrong(url: httpx.URL, query: str) -> httpx.URL:
        return url.copy_with(query=query.replace("%2B", "+").encode("ascii"))  # equal URLs, another raw path

    monkeypatch.setattr(_compat, "_fast_url_with_query", wrong)
    assert _compat._fast_url_works() is False


def test_the_content_check_fails_when_content_is_not_kept_there(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(httpx.Response, "content", property(lambda _: b"y"))
    assert _compat._set_content_works() is False


@pytest.mark.parametrize("shortcut", [True, False], ids=["private", "public fallback"])
def test_with_content_gives_a_read_response_with_the_decoded_body(
    monkeypatch: pytest.MonkeyPatch, shortcut: bool
) -> None:
    monkeypatch.setattr(_compat, "_SET_CONTENT", shortcut)
    request = httpx.Request("GET", "https://papi.binance.com/papi/v1/balance")
    headers = {"Content-Encoding": "gzip", "Content-Length": "3", "X-MBX-USED-WEIGHT-1M": "7"}
    streamed = httpx.Response(
        418, headers=headers, stream=httpx.ByteStream(b"abc"), request=request, extensions={"reason_phrase": b"Tea"}
    )
    made = _compat.with_content(streamed, b"[1, 2]")
    assert (made is streamed) is shortcut
    assert (made.status_code, made.content, made.json(), made.request) == (418, b"[1, 2]", [1, 2], request)
    assert made.reason_phrase == "Tea"
    assert made.headers["X-MBX-USED-WEIGHT-1M"] == "7"
    if not shortcut:  # a new response: the body it holds is already decoded
        assert "content-encoding" not in made.headers
        assert made.headers["content-length"] == "6"


def test_the_aiohttp_replay_switch_is_turned_off() -> None:
    class Session:
        _retry_connection = True

    session = Session()
    _compat.disable_connection_replay(session)  # type: ignore[arg-type]
    assert session._retry_connection is False


class Recorder(httpcore.NetworkStream):
    """A network stream that records the timeouts it is given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float | None]] = []

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.calls.append(("read", timeout))
        return b"x" * max_bytes

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.calls.append((f"write {len(buffer)}", timeout))

    def close(self) -> None:
        self.calls.append(("close", None))

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        assert isinstance(ssl_context, ssl.SSLContext)
        self.calls.append((f"start_tls {server_hostname}", timeout))
        return self

    def get_extra_info(self, info: str) -> object:
        return f"extra {info}"


def test_every_socket_operation_ends_by_the_call_s_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sync transport's streams clip each timeout to what is left of the deadline (README, "Deadline")."""
    now = [500.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    inner = Recorder()
    stream = _compat._DeadlineStream(inner)
    context = ssl.create_default_context()
    assert stream.read(2, 5.0) == b"xx"  # no deadline: as asked
    stream.write(b"", None)
    with _compat.deadline_scope(503.0):
        stream.read(1, 5.0)  # 3 s left
        stream.read(1, 1.0)  # asked for less
        stream.write(b"", None)  # no timeout of its own: what is left
        tls = stream.start_tls(context, "papi.binance.com", 10.0)
        with _compat.deadline_scope(501.5):  # nested: the inner deadline, then the outer again
            stream.read(1, None)
        now[0] = 504.0
        stream.read(1, 5.0)  # past the deadline: the shortest wait, never a negative or zero one
        stream.read(1, 0.0005)
    stream.read(1, 7.0)
    stream.close()
    assert isinstance(tls, _compat._DeadlineStream)
    assert stream.get_extra_info("server_addr") == "extra server_addr"
    assert inner.calls == [
        ("read", 5.0),
        ("write 0", None),
        ("read", 3.0),
        ("read", 1.0),
        ("write 0", 3.0),
        ("start_tls papi.binance.com", 3.0),
        ("read", 1.5),
        ("read", 0.001),
        ("read", 0.0005),
        ("read", 7.0),
        ("close", None),
    ]


def test_the_sync_transport_connects_through_the_deadline_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, int, float | None]] = []

    def connect_tcp(self: object, host: str, port: int, timeout: float | None = None, *rest: object) -> Recorder:
        seen.append((host, port, timeout))
        return Recorder()

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", connect_tcp)
    transport = _compat.sync_transport_with_deadlines(verify=False)
    backend = transport._pool._network_backend
    assert isinstance(backend, _compat._DeadlineBackend)
    now = [10.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    with _compat.deadline_scope(12.0):
        stream = backend.connect_tcp("127.0.0.1", 9, 5.0)
    assert isinstance(stream, _compat._DeadlineStream)
    assert seen == [("127.0.0.1", 9, 2.0)]


def test_the_deadline_backend_passes_every_connect_option_through(monkeypatch: pytest.MonkeyPatch) -> None:
    """A transport built with local_address / socket_options / uds keeps them; only timeouts are clipped."""
    seen: list[tuple[object, ...]] = []

    class Backend:
        def connect_tcp(self, *args: object) -> Recorder:
            seen.append(("tcp", *args))
            return Recorder()

        def connect_unix_socket(self, *args: object) -> Recorder:
            seen.append(("unix", *args))
            return Recorder()

        def sleep(self, seconds: float) -> None:
            seen.append(("sleep", seconds))

    now = [10.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    backend = _compat._DeadlineBackend(Backend())  # type: ignore[arg-type]
    options = [(1, 9, 1)]  # SOL_SOCKET, SO_KEEPALIVE, on
    with _compat.deadline_scope(20.0):  # 10 s left
        tcp = backend.connect_tcp("127.0.0.1", 9, 2.0, "127.0.0.2", options)  # shorter than what is left: kept
        unix = backend.connect_unix_socket("/run/papi.sock", 3.0, options)
        backend.sleep(0.25)
        stream = _compat._DeadlineStream(Recorder())
        stream.write(b"ab", 1.0)
        stream.start_tls(ssl.create_default_context(), "papi.binance.com", 4.0)
    assert isinstance(tcp, _compat._DeadlineStream)
    assert isinstance(unix, _compat._DeadlineStream)
    assert seen == [
        ("tcp", "127.0.0.1", 9, 2.0, "127.0.0.2", options),
        ("unix", "/run/papi.sock", 3.0, options),
        ("sleep", 0.25),
    ]
    assert stream._stream.calls == [("write 2", 1.0), ("start_tls papi.binance.com", 4.0)]  # type: ignore[attr-defined]


def test_a_thread_that_never_set_a_deadline_is_not_bounded() -> None:
    """The deadline is per thread: a worker thread's first call finds none set, and works."""
    results: list[object] = []

    def work() -> None:
        results.append(_compat._clip(5.0))
        with _compat.deadline_scope(time.monotonic() + 100):
            results.append(_compat._clip(None) is not None)
        results.append(_compat._clip(None))

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert results == [5.0, True, None]


def test_a_transport_laid_out_otherwise_is_used_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    """If httpx/httpcore move their private parts, the sync transport stays the plain one (README, _compat)."""

    class NoPool(httpx.HTTPTransport):
        def __init__(self, **kwargs: object) -> None:
            super().__init__(**kwargs)  # type: ignore[arg-type]
            del self._pool

    class NoBackend(httpx.HTTPTransport):
        def __init__(self, **kwargs: object) -> None:
            super().__init__(**kwargs)  # type: ignore[arg-type]
            self._pool._network_backend = None  # type: ignore[assignment]

    monkeypatch.setattr(httpx, "HTTPTransport", NoPool)
    assert type(_compat.sync_transport_with_deadlines()) is NoPool
    monkeypatch.setattr(httpx, "HTTPTransport", NoBackend)
    assert _compat.sync_transport_with_deadlines()._pool._network_backend is None


def test_the_replay_switch_check_fails_when_aiohttp_drops_its_attribute_list(monkeypatch: pytest.MonkeyPatch) -> None:
    import aiohttp

    monkeypatch.delattr(aiohttp.ClientSession, "ATTRS")
    assert _compat.aiohttp_has_replay_switch() is False


def test_the_content_check_fails_when_reading_content_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def unread(_: httpx.Response) -> bytes:
        raise httpx.ResponseNotRead

    monkeypatch.setattr(httpx.Response, "content", property(unread))
    assert _compat._set_content_works() is False


# --- the sync client's own transport (the one with deadlines) keeps httpx's TLS settings and bounds the call -----


def self_signed(directory: Path) -> Path:
    """A certificate for 127.0.0.1 (and its key), valid for a day either side of now; returns the PEM file."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = directory / "cert.pem"
    path.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return path


@contextlib.contextmanager
def tls_server(pem: Path) -> Iterator[str]:
    """An HTTPS server on 127.0.0.1 answering every request `[]`; yields its base URL."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with contextlib.suppress(OSError), context.wrap_socket(connection, server_side=True) as tls:
                tls.settimeout(5)
                head = b""
                while b"\r\n\r\n" not in head:
                    head += tls.recv(65536) or b"\r\n\r\n"
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() at once (Linux)
        listener.close()
        thread.join(5)


def test_the_sync_client_verifies_certificates_as_httpx_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """By default an unknown certificate is refused; `verify` (an SSLContext) and SSL_CERT_FILE are honoured."""
    pem = self_signed(tmp_path)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with tls_server(pem) as base_url:

        def balance(**httpx_args: object) -> object:
            options = {"base_url": base_url, "retry": RetryPolicy.disabled(), "governor": None}
            with signed_client("A" * 64, "S" * 64, httpx_args=httpx_args, **options) as client:  # type: ignore[arg-type]
                return client.get_balance()

        with pytest.raises(TransportError, match="CERTIFICATE_VERIFY_FAILED"):
            balance()
        assert balance(verify=ssl.create_default_context(cafile=str(pem))) == []
        monkeypatch.setenv("SSL_CERT_FILE", str(pem))
        assert balance() == []


def trickled_headers(connection: socket.socket, head: bytes) -> None:
    """The status line, then a header a byte every 20 ms for 2 s, then the end of an answer `[]`."""
    connection.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    for _ in range(100):
        connection.sendall(b"y")
        time.sleep(0.02)
    connection.sendall(b"\r\nContent-Length: 2\r\n\r\n[]")


def test_the_sync_client_s_sockets_end_by_the_deadline() -> None:
    """Each read gets data well within its timeout, yet the call ends at its deadline (0.3 s), not in 2 s."""
    with hostile_server(trickled_headers) as server:
        options = {"base_url": server.base_url, "retry": RetryPolicy.disabled(), "governor": None}
        client = signed_client("A" * 64, "S" * 64, deadline=0.3, timeout=5.0, **options)  # type: ignore[arg-type]
        with client, pytest.raises(RequestTimeoutError) as caught:
            client.get_balance()
    assert str(caught.value) == "GET /papi/v1/balance: the call's deadline of 0.3 s ran out (ReadTimeout: timed out)"


@pytest.mark.parametrize("base_url", ["https://papi.binance.com", "https://gw.example.invalid/prefix/"])
def test_a_path_is_joined_as_httpx_joins_it_with_or_without_the_shortcut(
    base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with httpx.Client(base_url=base_url) as plain:
        expected = plain.build_request("GET", "/papi/v1/balance").url
        assert _compat.joined_url(plain, "/papi/v1/balance") == expected  # the shortcut, in the pinned httpx
    sent: list[httpx.URL] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.copy_with(query=None))
        return httpx.Response(200, json=[])

    def calls() -> None:
        client = signed_client(
            "A" * 64, "S" * 64, base_url=base_url, governor=None, httpx_args={"transport": httpx.MockTransport(record)}
        )
        client.get_balance()
        client.get_balance()  # the second from the client's joined paths

    calls()
    monkeypatch.setattr(binance_papi._http, "joined_url", lambda *_: None)  # a later httpx without `_merge_url`
    calls()
    assert sent == [expected] * 4
    assert _compat.joined_url(httpx.Client.__new__(Bare), "/papi/v1/balance") is None


class Bare(httpx.Client):
    """A client class of a later httpx, say, without the private `_merge_url`."""

    def __getattribute__(self, name: str) -> Any:
        if name == "_merge_url":
            raise AttributeError(name)
        return super().__getattribute__(name)


def test_a_url_object_or_a_query_in_the_path_is_built_by_httpx_itself() -> None:
    """Only a plain path string is joined once per client; anything else goes to httpx as given."""
    sent: list[httpx.URL] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request.url)
        return httpx.Response(200, json=[])

    client = signed_client(
        "A" * 64,
        "S" * 64,
        base_url="https://papi.binance.com",
        governor=None,
        httpx_args={"transport": httpx.MockTransport(record)},
    )
    http = client.get_httpx_client()
    http.get(httpx.URL("/papi/v1/ping"), params={})
    http.get("/papi/v1/ping?x=1", params={})  # empty params leave the path's query (httpx alone would drop it)
    http.get("/papi/v1/ping?x=1", params={"y": "2"})  # params replace it, as in httpx
    signing = ("recvWindow", "timestamp", "signature")  # what the signing hook appends
    assert [(url.path, [p for p in url.params.multi_items() if p[0] not in signing]) for url in sent] == [
        ("/papi/v1/ping", []),
        ("/papi/v1/ping", [("x", "1")]),
        ("/papi/v1/ping", [("y", "2")]),
    ]
