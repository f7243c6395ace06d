"""Hostile servers, networks and inputs, over real sockets (tests/hostile_server.py): bounded time, bounded
memory, nothing leaked. One test per behaviour, on the sync client and both async transports (aiohttp, httpx).

Time and memory bounds have generous margins (a 1 s deadline against a server that would take minutes; a
1 MiB cap against a body of 64 MiB). Every error met is audited for the API key, the secret and the
signatures the server saw: its message, repr, traceback, whole cause/context chain with the attributes of
each link, the request it refers to, its pickled form, and the log.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import pickle
import re
import socket
import time
import traceback
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, cast

import pytest
from click.testing import CliRunner
from hostile_server import HostileServer, answer, hostile_server, waits_for_close
from test_signing import ONE_BALANCE

from binance_papi import (
    APIError,
    InvalidResponseError,
    IPBannedError,
    PapiError,
    RateLimitError,
    RequestTimeoutError,
    RequestValidationError,
    ResponseTooLargeError,
    RetryPolicy,
    async_signed_client,
    signed_client,
)
from binance_papi._bans import BANS, state_file
from binance_papi._cli import main
from binance_papi._client import InsecureTransportWarning

# Not shaped like a real key or secret (dots): only exact redaction catches them, not the pattern.
KEY = "k3y.Hostile-Test.0001"
SECRET = "s3cret.Hostile-Test.0002"
MODES = ["sync", "aiohttp", "httpx"]
AsyncMode = Literal["aiohttp", "httpx"]
BALANCE = {**ONE_BALANCE, "asset": "USDT"}
QUICK = RetryPolicy.disabled()


def call(mode: str, base_url: str, *, asset: str | None = None, **options: Any) -> Any:
    """One get_balance call as a user makes it, on the sync client or an async transport."""
    options.setdefault("retry", QUICK)
    if mode == "sync":
        with signed_client(KEY, SECRET, base_url=base_url, **options) as client:
            return client.get_balance() if asset is None else client.get_balance(asset=asset)

    async def run() -> Any:
        async with async_signed_client(
            KEY, SECRET, base_url=base_url, async_transport=cast("AsyncMode", mode), **options
        ) as client:
            return await (client.get_balance() if asset is None else client.get_balance(asset=asset))

    return asyncio.run(run())


def failure(mode: str, base_url: str, **options: Any) -> PapiError:
    with pytest.raises(PapiError) as info:
        call(mode, base_url, **options)
    return info.value


def signatures(server: HostileServer) -> list[str]:
    return [m.decode() for head in server.heads for m in re.findall(rb"signature=([^ &]+)", head)]


def everything_shown(error: BaseException) -> list[str]:
    """Every text an error exposes: message, repr, traceback, each link of its chain and its attributes."""
    texts = ["".join(traceback.format_exception(error))]
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        texts += [str(link), repr(link), repr(vars(link))]
        request = getattr(link, "_request", None) or getattr(getattr(link, "response", None), "request", None)
        if request is not None:
            texts += [str(request.url), repr(dict(request.headers))]
        for value in vars(link).values():
            texts.append(repr(value))
        link = link.__cause__ or link.__context__
    texts.append(pickle.dumps(error).decode("latin-1"))
    return texts


def assert_nothing_leaked(texts: list[str], server: HostileServer) -> None:
    secrets = [KEY, SECRET, *signatures(server)]
    assert secrets[2:] or not server.heads, "no signature seen by the server: the audit would prove nothing"
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"{secret[:6]}... leaked in: {text[:300]}"


def trickle(connection: socket.socket, head: bytes) -> None:
    """Headers at once, then a body promising 10 kB and sending one byte every 50 ms (about 8 minutes)."""
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n")
    for _ in range(10000):
        connection.sendall(b" ")
        time.sleep(0.05)


def trickle_headers(connection: socket.socket, head: bytes) -> None:
    """The status line and headers one byte every 50 ms, forever."""
    for byte in b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"y" * 100000:
        connection.sendall(bytes([byte]))
        time.sleep(0.05)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("handler", [trickle, trickle_headers], ids=["body", "headers"])
def test_a_trickling_server_is_bounded_by_the_deadline(
    mode: str, handler: Callable[[socket.socket, bytes], None]
) -> None:
    with hostile_server(handler) as server:
        started = time.monotonic()
        error = failure(mode, server.base_url, deadline=1.0, timeout=5.0, retry=RetryPolicy())
        elapsed = time.monotonic() - started
    assert isinstance(error, RequestTimeoutError), error
    assert "deadline" in str(error)
    assert elapsed < 4.0, f"a 1 s deadline took {elapsed:.1f} s"


@pytest.mark.parametrize("mode", MODES)
def test_retries_end_by_the_deadline(mode: str) -> None:
    """Every attempt a 503 after 0.4 s: retries stop when the next would end past the 1 s deadline."""

    def slow_503(connection: socket.socket, head: bytes) -> None:
        time.sleep(0.4)
        connection.sendall(answer(503, b'{"code":-1001,"msg":"busy"}'))

    with hostile_server(slow_503) as server:
        started = time.monotonic()
        error = failure(mode, server.base_url, deadline=1.0, retry=RetryPolicy(max_attempts=10, backoff_base=0.01))
        elapsed = time.monotonic() - started
    assert isinstance(error, (APIError, RequestTimeoutError)), error
    assert elapsed < 2.5
    assert 1 <= server.request_count <= 3


def bomb(connection: socket.socket, head: bytes) -> None:
    """A 64 kB gzip body that inflates to 64 MiB."""
    connection.sendall(answer(200, BOMB, "Content-Encoding: gzip"))


BOMB = gzip.compress(b"0" * (64 << 20), compresslevel=9)


def endless(connection: socket.socket, head: bytes) -> None:
    """A chunked body that never ends (until the client hangs up)."""
    connection.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (65536, b"[" * 65536)
    while True:
        connection.sendall(chunk)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("handler", [bomb, endless], ids=["gzip-bomb", "endless"])
def test_a_huge_body_stops_at_the_cap(mode: str, handler: Callable[[socket.socket, bytes], None]) -> None:
    with hostile_server(handler) as server:
        tracemalloc.start()
        try:
            error = failure(mode, server.base_url, max_response_bytes=1 << 20)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert isinstance(error, ResponseTooLargeError), error
    assert isinstance(error, InvalidResponseError)
    assert error.limit == 1 << 20
    assert peak < 16 << 20, f"peak {peak >> 20} MiB for a 1 MiB cap"


def echo_url(status: int) -> Callable[[socket.socket, bytes], None]:
    """Answers `status` with Binance's error shape, its message echoing the request line and headers."""

    def handler(connection: socket.socket, head: bytes) -> None:
        body = json.dumps({"code": -1100, "msg": f"bad request: {head.decode('latin-1')}"}).encode()
        connection.sendall(answer(status, body, reason=head.decode("latin-1").split("\r\n")[0][:200]))

    return handler


def garbage(connection: socket.socket, head: bytes) -> None:
    """Not HTTP at all: the request line echoed back where a status line belongs."""
    connection.sendall(head.split(b"\r\n")[0] + b"\r\n\r\n")


def html_echo(connection: socket.socket, head: bytes) -> None:
    connection.sendall(answer(502, b"<html>proxy error for " + head + b"</html>"))


def ok_echo(connection: socket.socket, head: bytes) -> None:
    """A 200 whose body does not parse, and holds the signed URL."""
    connection.sendall(answer(200, json.dumps({"url": head.decode("latin-1")}).encode()))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "handler", [echo_url(400), echo_url(429), html_echo, garbage, ok_echo], ids=["400", "429", "html", "garbage", "200"]
)
def test_no_error_holds_a_secret(
    mode: str, handler: Callable[[socket.socket, bytes], None], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with hostile_server(handler) as server:
        error = failure(mode, server.base_url)
    assert server.request_count == 1
    texts = everything_shown(error)
    assert_nothing_leaked([*texts, caplog.text], server)
    if isinstance(error, APIError) and error.response is not None:
        assert "signature" not in str(error.response.request.url)
        assert error.response.request.headers["X-MBX-APIKEY"] == "k3y.***"


def test_cli_output_holds_no_secret() -> None:
    with hostile_server(echo_url(400)) as server:
        result = CliRunner().invoke(
            main,
            ["balance", "--base-url", server.base_url],
            env={"BINANCE_API_KEY": KEY, "BINANCE_API_SECRET": SECRET},
        )
    assert result.exit_code == 3, result.output
    assert "redacted" in result.stderr
    assert_nothing_leaked([result.stdout, result.stderr], server)


def retry_after(value: str, status: int = 429) -> Callable[[socket.socket, bytes], None]:
    def handler(connection: socket.socket, head: bytes) -> None:
        body = b'{"code":-1003,"msg":"Too many requests"}'
        connection.sendall(answer(status, body, f"Retry-After: {value}"))

    return handler


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("value", ["-5", "abc", "nan", "inf", "1e400", "0x10", ""])
def test_an_invalid_retry_after_is_not_waited_on_nor_raised_outside_the_tree(mode: str, value: str) -> None:
    with hostile_server(retry_after(value)) as server:
        started = time.monotonic()
        error = failure(mode, server.base_url, retry=RetryPolicy(max_attempts=5))
    assert isinstance(error, RateLimitError), error
    assert error.retry_after is None
    assert server.request_count == 1  # not resent back to back
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("mode", MODES)
def test_an_absurd_retry_after_is_clamped_and_honoured(mode: str) -> None:
    with hostile_server(retry_after("9" * 40, status=418)) as server:
        first = failure(mode, server.base_url)
        second = failure(mode, server.base_url)  # a new client: sends nothing during the ban
    assert isinstance(first, IPBannedError)
    assert first.retry_after == 3 * 86400
    assert isinstance(second, IPBannedError)
    assert "not sent" in second.message
    assert server.request_count == 1


def serve_body(body: Any) -> Callable[[socket.socket, bytes], None]:
    raw = json.dumps(body).encode()

    def handler(connection: socket.socket, head: bytes) -> None:
        connection.sendall(answer(200, raw, "Content-Type: application/json"))

    return handler


@pytest.mark.parametrize("mode", ["sync", "aiohttp"])
@pytest.mark.parametrize(
    "amount",
    [
        "  1.5",
        "1.5\n",
        "1_000",
        "1e5",
        "1E-8",
        "+1",
        "01.5",
        ".5",
        "5.",
        "1e999999999",
        "1" * 100,
        "\u0661",
    ],  # the last: ARABIC-INDIC DIGIT ONE
)
def test_amounts_only_in_plain_decimal_form(mode: str, amount: str) -> None:
    with hostile_server(serve_body([{**BALANCE, "totalWalletBalance": amount}])) as server:
        error = failure(mode, server.base_url)
    assert isinstance(error, InvalidResponseError), error
    assert "totalWalletBalance" in str(error)


@pytest.mark.parametrize("amount", ["0", "-0.00000000", "15250.00000000", "-12.5", "9" * 40 + "." + "0" * 40])
def test_plain_amounts_round_trip(amount: str) -> None:
    with hostile_server(serve_body([{**BALANCE, "totalWalletBalance": amount}])) as server:
        (balance,) = call("sync", server.base_url)
    assert balance.to_dict()["totalWalletBalance"] == amount


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**30])
def test_integers_outside_64_bits_are_refused(value: int) -> None:
    with hostile_server(serve_body([{**BALANCE, "updateTime": value}])) as server:
        error = failure("sync", server.base_url)
    assert isinstance(error, InvalidResponseError)
    assert "updateTime" in str(error)


@pytest.mark.parametrize("mode", MODES)
def test_the_answer_must_have_the_shape_asked_for(mode: str) -> None:
    with hostile_server(serve_body([BALANCE])) as server:
        one = failure(mode, server.base_url, asset="USDT")
    with hostile_server(serve_body(BALANCE)) as server:
        many = failure(mode, server.base_url)
    assert isinstance(one, InvalidResponseError)
    assert "asked for one object, the answer is an array" in str(one)
    assert isinstance(many, InvalidResponseError)
    assert "asked for an array, the answer is one object" in str(many)


def never(connection: socket.socket, head: bytes) -> None:
    raise AssertionError("nothing should have been sent")


@pytest.mark.parametrize(
    ("options", "asset", "match"),
    [
        ({}, "", "asset is empty"),
        ({}, "A" * 20000, "too long"),
        ({}, "US\nDT", "non-printable"),
        ({"base_url_suffix": "/papi\x00"}, None, "control characters"),
        ({"base_url_suffix": "/?x=1"}, None, "query"),
        ({"base_url_suffix": "/#top"}, None, "fragment"),
        ({"credentials": True}, None, "credentials"),
        ({"secret": SECRET + "\n"}, None, "stray newline"),
    ],
)
def test_bad_input_is_refused_before_sending(options: dict[str, Any], asset: str | None, match: str) -> None:
    with hostile_server(never) as server:
        base_url = server.base_url + options.get("base_url_suffix", "")
        if options.get("credentials"):
            base_url = base_url.replace("http://", "http://user:hunter2@")
        with (
            pytest.raises(RequestValidationError, match=match) as info,
            signed_client(KEY, options.get("secret", SECRET), base_url=base_url) as client,
        ):
            client.get_balance() if asset is None else client.get_balance(asset=asset)
        assert server.request_count == 0
    assert "hunter2" not in str(info.value)


def test_plain_http_to_another_host_warns_once() -> None:
    with pytest.warns(InsecureTransportWarning, match="plain http://"):
        signed_client(KEY, SECRET, base_url="http://papi.example.invalid")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        signed_client(KEY, SECRET, base_url="http://papi.example.invalid/")  # the same host: said already
        signed_client(KEY, SECRET, base_url="http://127.0.0.1:9")  # loopback: never
        signed_client(KEY, SECRET, base_url="http://[::1]:9")


def pickled(error: PapiError) -> PapiError:
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301  (our own bytes)
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert {k: v for k, v in vars(copy).items() if k != "response"} == {
        k: v for k, v in vars(error).items() if k != "response"
    }
    return copy


@pytest.mark.parametrize(
    "handler",
    [echo_url(400), retry_after("7"), garbage, ok_echo, bomb],
    ids=["400", "429", "garbage", "invalid", "too-large"],
)
def test_errors_survive_pickling(handler: Callable[[socket.socket, bytes], None]) -> None:
    with hostile_server(handler) as server:
        error = failure("sync", server.base_url, max_response_bytes=1 << 20)
    copy = pickled(error)
    assert isinstance(copy, PapiError)
    with pytest.raises(RequestValidationError) as refused:
        signed_client(KEY, "")
    pickled(refused.value)


def slow_or_fine(connection: socket.socket, head: bytes) -> None:
    """asset=SLOW: never answers (until the client hangs up); otherwise a balance."""
    if b"asset=SLOW" in head:
        waits_for_close(connection)
    else:
        connection.sendall(answer(200, json.dumps([BALANCE]).encode()))


@pytest.mark.parametrize("mode", ["aiohttp", "httpx"])
def test_cancelled_calls_leak_no_connection(mode: str) -> None:
    """100 calls in flight, all cancelled: their connections close, and the same client works on."""

    async def scenario(server: HostileServer) -> list[Any]:
        # No weight governor: it would rightly hold 99 of the 100 until the first answer shows the window, and
        # what is tested here is what the transports do with 100 connections in flight.
        async with async_signed_client(
            KEY, SECRET, base_url=server.base_url, async_transport=cast("AsyncMode", mode), governor=None
        ) as client:
            tasks = [asyncio.create_task(client.get_balance(asset="SLOW")) for _ in range(100)]
            await asyncio.to_thread(wait_for, lambda: server.request_count >= 100)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            assert await asyncio.to_thread(server.wait_until_no_connection, 5), "cancelled connections left open"
            return list(await asyncio.gather(*(client.get_balance() for _ in range(20))))

    with hostile_server(slow_or_fine) as server:
        results = asyncio.run(scenario(server))
    assert all(len(result) == 1 for result in results)


@pytest.mark.parametrize("mode", MODES)
def test_redirects_never_carry_the_key_or_signature_elsewhere(mode: str) -> None:
    with hostile_server(serve_body([BALANCE])) as elsewhere:

        def redirect(connection: socket.socket, head: bytes) -> None:
            query = head.split(b" ")[1].partition(b"?")[2].decode()
            connection.sendall(answer(302, b"", f"Location: {elsewhere.base_url}/steal?{query}"))

        with hostile_server(redirect) as server:
            error = failure(mode, server.base_url, httpx_args={"follow_redirects": True})
        assert elsewhere.request_count == 0
    assert isinstance(error, APIError)
    assert error.status_code == 302
    assert "not followed" in str(error)
    assert_nothing_leaked(everything_shown(error), server)


@pytest.mark.parametrize("mode", MODES)
def test_a_ban_is_shared_by_every_client_of_the_process(mode: str) -> None:
    with hostile_server(retry_after("60", status=418)) as server:
        first = failure(mode, server.base_url)
        other_mode = "sync" if mode != "sync" else "aiohttp"
        second = failure(other_mode, server.base_url + "/")  # another client, the same host
    assert isinstance(first, IPBannedError)
    assert isinstance(second, IPBannedError)
    assert "not sent" in second.message
    assert server.request_count == 1


def test_the_cli_remembers_a_ban_across_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    env = {"BINANCE_API_KEY": KEY, "BINANCE_API_SECRET": SECRET}
    with hostile_server(retry_after("60", status=418)) as server:
        first = CliRunner().invoke(main, ["balance", "--base-url", server.base_url], env=env)
        assert state_file() == tmp_path / "binance-papi" / "bans.json"
        assert state_file().exists()
        BANS.clear()  # as a new process starts: only the file remembers
        second = CliRunner().invoke(main, ["balance", "--base-url", server.base_url], env=env)
    assert (first.exit_code, second.exit_code) == (6, 6)
    assert "IPBannedError" in second.stderr
    assert "not sent" in second.stderr
    assert server.request_count == 1
    assert_nothing_leaked([first.stderr, second.stderr, state_file().read_text()], server)


def wait_for(condition: Callable[[], bool], within: float = 10.0) -> None:
    end = time.monotonic() + within
    while not condition():
        assert time.monotonic() < end, "timed out waiting"
        time.sleep(0.01)
