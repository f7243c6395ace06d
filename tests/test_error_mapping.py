"""The README's error tree, row by row: what a user catches for each answer Binance can give.

`test_api_error_mapping` is the table: HTTP status x Binance code x body -> the exception class and every
attribute a user reads (`status_code`, `code`, `message`, `hint`, `retry_after`, `used_weight`, `method`,
`path`, and the `response` kept: the answer, redacted). Each case id starts with the README row it pins
("AuthenticationError: bare 401", ...). The calls go through the real client (one attempt,
`RetryPolicy.disabled()`, no weight governor) over a mock transport, so the mapping is checked where a user
meets it; the other rows of the tree (errors that are not an HTTP answer) follow.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import pickle
import re
import time
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

import binance_papi
from binance_papi import (
    APIError,
    AuthenticationError,
    BadRequestError,
    InvalidResponseError,
    InvalidSignatureError,
    IPBannedError,
    OutcomeUnknownError,
    PapiError,
    RateLimitError,
    RequestTimeoutError,
    RequestValidationError,
    ResponseTooLargeError,
    RetryPolicy,
    ServerError,
    SnapshotError,
    TimestampError,
    TransportError,
    UnexpectedStatus,
    signed_client,
)
from binance_papi._bans import BANS
from binance_papi._errors import body_excerpt
from binance_papi_generated.api.account import get_balance
from binance_papi_generated.client import Client

PATH = "/papi/v1/balance"
KEY_HINT = (
    "Check that Portfolio Margin is enabled on the account, that the API key was created after enabling it and "
    "has the permission for this endpoint, and that this machine's IP is whitelisted for the key"
)
HINTS = {
    -2015: KEY_HINT,
    -2014: "The API key is not in Binance's format: check the key (BINANCE_API_KEY) for truncation or spaces",
    -1002: "This key is not authorized for this request: check its permissions",
    -1022: "The signature did not verify: check that the secret or private key belongs to this API key",
    -1021: (
        "The local clock differs from Binance's by more than recvWindow: sync the clock (NTP) or let the client "
        "measure the offset (sync_time)"
    ),
    -1003: "Too many requests: slow down and wait for Retry-After, or the IP gets banned",
    -1108: "Unknown asset: asset names are upper case (USDT, not usdt); check the spelling",
}
BAN_HINT = "The IP is banned for ignoring 429s: send nothing until Retry-After has passed"
WAIT_HINT = "Wait for Retry-After before sending again; continuing gets the IP banned (418)"
HTML = b"<html><body><h1>502 Bad Gateway</h1>" + b"<p>upstream unavailable</p>" * 10 + b"</body></html>"


@dataclass(frozen=True)
class Row:
    """One answer and what the user must get for it."""

    status: int
    body: bytes
    error: type[APIError]
    code: int | None
    message: str
    hint: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: float | None = None
    used_weight: int | None = None


def binance(status: int, code: Any, msg: str, error: type[APIError], hint: str = "", **more: Any) -> Row:
    """A Binance error body {"code": ..., "msg": ...}; `code` is what the error must carry."""
    body = json.dumps({"code": code, "msg": msg}).encode()
    return Row(status, body, error, code if type(code) is int else None, msg, hint, **more)


def not_binance(status: int, body: bytes, error: type[APIError], reason: str, hint: str = "", **more: Any) -> Row:
    """A body that is not Binance's error JSON (HTML from a proxy, empty, a wrong shape)."""
    excerpt = body_excerpt(body, 120) if body else "empty body"
    return Row(status, body, error, None, f"{reason} (not a Binance error body: {excerpt!r})", hint, **more)


def redirect(row: Row, target: str) -> Row:
    """A 3XX: the message says it was not followed, and where it pointed (never the query)."""
    prefix = f"redirect{target} not followed (a signed request is never sent on); "
    return Row(**{**row.__dict__, "message": prefix + row.message})


OFF_SITE = "https://elsewhere.invalid/collect?key=1&signature=" + "ab" * 32
OFF_SITE_REDACTED = "https://elsewhere.invalid/collect?key=1&signature=<redacted>"
UNKNOWN = "Unknown error, please check your request or try again later."
ROWS: dict[str, Row] = {
    "AuthenticationError: -2015 on 401": binance(
        401, -2015, "Invalid API-key, IP, or permissions for action.", AuthenticationError, KEY_HINT
    ),
    "AuthenticationError: -2014 on 400": binance(
        400, -2014, "API-key format invalid.", AuthenticationError, HINTS[-2014]
    ),
    "AuthenticationError: -1002 on 400": binance(
        400, -1002, "You are not authorized to execute this request.", AuthenticationError, HINTS[-1002]
    ),
    "AuthenticationError: bare 401": not_binance(401, b"", AuthenticationError, "Unauthorized", KEY_HINT),
    "AuthenticationError: bare 403 (WAF page)": not_binance(
        403, b"<html>403 Forbidden</html>", AuthenticationError, "Forbidden", KEY_HINT
    ),
    "AuthenticationError: 403 with another code": binance(
        403, -1100, "Illegal characters.", AuthenticationError, KEY_HINT
    ),
    "InvalidSignatureError: -1022": binance(
        400, -1022, "Signature for this request is not valid.", InvalidSignatureError, HINTS[-1022]
    ),
    "TimestampError: -1021": binance(
        400, -1021, "Timestamp for this request is outside of the recvWindow.", TimestampError, HINTS[-1021]
    ),
    "BadRequestError: -1108": binance(400, -1108, "Invalid asset.", BadRequestError, HINTS[-1108]),
    "BadRequestError: other code, no hint": binance(
        400, -1102, "Mandatory parameter 'timestamp' was not sent.", BadRequestError
    ),
    "BadRequestError: 499, no msg": Row(499, b'{"code": -1100}', BadRequestError, -1100, ""),
    "BadRequestError: 404 HTML": not_binance(404, b"<html>Not Found</html>", BadRequestError, "Not Found"),
    "BadRequestError: JSON true is not a code": not_binance(
        400, b'{"code": true, "msg": "x"}', BadRequestError, "Bad Request"
    ),
    "BadRequestError: a string is not a code": not_binance(
        400, b'{"code": "-1021", "msg": "x"}', BadRequestError, "Bad Request"
    ),
    "BadRequestError: a list body": not_binance(400, b"[-1021]", BadRequestError, "Bad Request"),
    "RateLimitError: 429 with -1003": binance(
        429,
        -1003,
        "Too many requests; current limit is 6000.",
        RateLimitError,
        HINTS[-1003],
        headers={"Retry-After": "7"},
        retry_after=7.0,
    ),
    "RateLimitError: bare 429": not_binance(
        429, b"", RateLimitError, "Too Many Requests", WAIT_HINT, headers={"Retry-After": "1.5"}, retry_after=1.5
    ),
    "RateLimitError: 429 with another code": binance(429, -1100, "Illegal characters.", RateLimitError, WAIT_HINT),
    "RateLimitError: -1003 on a 400": binance(
        400, -1003, "Too much request weight used.", RateLimitError, HINTS[-1003]
    ),
    "IPBannedError: 418 with -1003": binance(
        418,
        -1003,
        "Way too much request weight used; IP banned until 1.",
        IPBannedError,
        BAN_HINT,
        headers={"Retry-After": "300"},
        retry_after=300.0,
    ),
    "IPBannedError: bare 418": not_binance(418, b"", IPBannedError, "I'm a teapot", BAN_HINT),
    "ServerError: bare 500": not_binance(500, b"", ServerError, "Internal Server Error"),
    "ServerError: 502 HTML": not_binance(502, HTML, ServerError, "Bad Gateway"),
    "ServerError: 503 Service Unavailable": binance(503, -1000, "Service Unavailable.", ServerError),
    "ServerError: 599, no reason phrase": not_binance(599, b"oops", ServerError, "error"),
    "ServerError: -1000 on a 400": binance(400, -1000, "An unknown error occured.", ServerError),
    "ServerError: -1001 on a 400": binance(400, -1001, "Internal error; unable to process your request.", ServerError),
    "ServerError: -1008 on a 400": binance(400, -1008, "Request throttled by system-level protection.", ServerError),
    "ServerError: 'Unknown error' on a 500": binance(500, -1000, UNKNOWN, ServerError),
    "OutcomeUnknownError: 503 Unknown error": binance(503, -1000, UNKNOWN, OutcomeUnknownError),
    "OutcomeUnknownError: -1007": binance(
        400, -1007, "Timeout waiting for response from backend server.", OutcomeUnknownError
    ),
    "APIError: a 3XX": redirect(not_binance(302, b"", APIError, "Found"), " to http://sim.invalid/papi/v1/balance"),
    "APIError: a 3XX with a code": redirect(
        binance(399, -1100, "Illegal characters.", APIError), " to http://sim.invalid/papi/v1/balance"
    ),
    "APIError: a 3XX elsewhere, never followed": redirect(
        not_binance(307, b"", APIError, "Temporary Redirect", headers={"Location": OFF_SITE}),
        " to https://elsewhere.invalid/collect",
    ),
    "APIError: a 3XX whose Location has no host": redirect(
        not_binance(301, b"", APIError, "Moved Permanently", headers={"Location": "//"}),
        " to http://sim.invalid/papi/v1/balance",
    ),
}


def client_answering(handler: Any, retry: RetryPolicy | None = None) -> Any:
    return signed_client(
        "A" * 64,
        "S" * 64,
        base_url="http://sim.invalid",
        retry=retry or RetryPolicy.disabled(),
        httpx_args={"transport": httpx.MockTransport(handler)},
        governor=None,
    )


def raised_by(response: httpx.Response) -> PapiError:
    client = client_answering(lambda _: response)
    with pytest.raises(PapiError) as caught:
        get_balance.sync(client=client, asset="USDT")
    return caught.value


def assert_kept_as_answered(kept: httpx.Response | None, answered: httpx.Response) -> None:
    """An APIError's `response` is a copy of the answer, redacted (README, "No secret in any error"): with
    nothing secret-shaped in it, the same status, reason, headers and body; its request has the unsigned URL
    and the masked key."""
    assert kept is not None
    assert kept is not answered
    assert (kept.status_code, kept.reason_phrase) == (answered.status_code, answered.reason_phrase)
    assert kept.headers.multi_items() == [
        (name, value.replace(OFF_SITE, OFF_SITE_REDACTED)) for name, value in answered.headers.multi_items()
    ]
    assert kept.content == answered.content
    assert kept.request is answered.request
    assert str(kept.request.url) == f"http://sim.invalid{PATH}?asset=USDT"
    assert kept.request.headers["X-MBX-APIKEY"] == "AAAA***"


@pytest.mark.parametrize("row", list(ROWS.values()), ids=list(ROWS))
def test_api_error_mapping(row: Row) -> None:
    response = httpx.Response(row.status, content=row.body, headers=row.headers)
    error = raised_by(response)
    assert type(error) is row.error
    assert isinstance(error, APIError)
    assert (error.status_code, error.code, error.message) == (row.status, row.code, row.message)
    assert error.hint == row.hint
    assert error.retry_after == row.retry_after
    assert error.used_weight == row.used_weight
    assert (error.method, error.path) == ("GET", PATH)
    assert_kept_as_answered(error.response, response)
    code_text = "no Binance code" if row.code is None else f"Binance code {row.code}"
    text = f"GET {PATH}: HTTP {row.status}, {code_text}: {row.message}"
    if row.hint:
        text += ("" if text.endswith(".") else ".") + f" {row.hint}"
    assert str(error) == text


def test_every_class_of_the_tree_has_a_row() -> None:
    classes = {row.error for row in ROWS.values()}
    assert classes == {
        APIError,
        AuthenticationError,
        BadRequestError,
        InvalidSignatureError,
        IPBannedError,
        OutcomeUnknownError,
        RateLimitError,
        ServerError,
        TimestampError,
    }


@pytest.mark.parametrize(
    ("headers", "used_weight", "retry_after"),
    [
        ({"X-MBX-USED-WEIGHT-1M": "40", "Retry-After": "2"}, 40, 2.0),
        ({"X-MBX-USED-WEIGHT-1M": "12.0", "Retry-After": "0.5"}, None, 0.5),  # a weight is a count: digits only
        ({"X-MBX-USED-WEIGHT-1M": "many", "Retry-After": "soon"}, None, None),
        # Retry-After is clamped to 3 days; negative or not finite counts as absent (README, "Server-given")
        ({"X-MBX-USED-WEIGHT-1M": "1" * 12, "Retry-After": "999999999"}, 111_111_111_111, 259_200.0),
        ({"X-MBX-USED-WEIGHT-1M": "1" * 13, "Retry-After": "-5"}, None, None),
        ({"X-MBX-USED-WEIGHT-1M": "1e3", "Retry-After": "inf"}, None, None),
        ({"Retry-After": "nan"}, None, None),
        ({"Retry-After": " 2 "}, None, 2.0),
        ({}, None, None),
    ],
)
def test_used_weight_and_retry_after_come_from_the_headers(
    headers: dict[str, str], used_weight: int | None, retry_after: float | None
) -> None:
    error = raised_by(httpx.Response(400, json={"code": -1102, "msg": "x"}, headers=headers))
    assert isinstance(error, APIError)
    assert (error.used_weight, error.retry_after) == (used_weight, retry_after)
    assert type(error.used_weight) is (int if used_weight is not None else type(None))


def test_a_ban_says_until_when() -> None:
    before = time.time()
    error = raised_by(httpx.Response(418, json={"code": -1003, "msg": "banned"}, headers={"Retry-After": "300"}))
    assert isinstance(error, IPBannedError)
    assert error.banned_until is not None
    assert before + 300 <= error.banned_until <= time.time() + 300
    refused = raised_by(httpx.Response(418))  # the ban is on: nothing sent, the same class, the time left
    assert isinstance(refused, IPBannedError)
    assert refused.message == "not sent: banned (300.0 s of Retry-After left)"
    assert refused.banned_until is not None
    assert refused.banned_until == pytest.approx(error.banned_until, abs=1)
    BANS.clear()  # as a new process: the next client sends
    bare = raised_by(httpx.Response(418))
    assert isinstance(bare, IPBannedError)
    assert bare.banned_until is None  # not told; the client still blocks for the default ban (test_retry_decisions)


def test_the_error_text_never_shows_the_query() -> None:
    error = raised_by(httpx.Response(400, json={"code": -1022, "msg": "Signature for this request is not valid."}))
    assert "?" not in str(error)
    assert "signature=" not in str(error)
    assert "timestamp=" not in str(error)


# --- the rows of the tree that are not an HTTP error answer -------------------------------------------------------


def test_tree_row_request_validation_error_nothing_sent() -> None:
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=[])

    client = client_answering(record)
    with pytest.raises(
        RequestValidationError, match=r"recvWindow=60001 is above its maximum 60000; nothing was sent"
    ) as caught:
        get_balance.sync(client=client, recv_window=60_001)
    assert isinstance(caught.value, ValueError)
    assert sent == []


def test_tree_row_invalid_response_error_on_a_bad_2xx_body() -> None:
    body = b'[{"asset": "USDT"'
    with pytest.raises(InvalidResponseError) as caught:
        get_balance.sync(client=client_answering(lambda _: httpx.Response(200, content=body)))
    assert (caught.value.status_code, caught.value.content) == (200, body)
    error = caught.value
    assert error.excerpt == body.decode()
    assert str(error) == f"{error.message} (HTTP 200, body starts: {body.decode()!r})"


LIMIT = 1024  # the smallest max_response_bytes a client takes


def _endless() -> Iterator[bytes]:
    while True:
        yield b"[" * 100


def _bomb() -> bytes:
    """gzip of 100 KiB of zeros: a few hundred bytes as sent."""
    return gzip.compress(b"0" * 100 * LIMIT)


@pytest.mark.parametrize(
    ("status", "content", "encoding", "what"),
    [
        (200, lambda: b"[" * (LIMIT + 1), "", ""),  # a transport that read the body already
        (200, _endless, "", " (as sent)"),
        (200, lambda: iter([_bomb()]), "gzip", " (decompressed)"),
        (200, lambda: iter([zlib.compress(b"0" * (LIMIT + 1))]), "deflate", " (decompressed)"),
        (500, _endless, "", " (as sent)"),  # an error answer is no exception
    ],
    ids=["read already", "endless", "gzip bomb", "deflate just over", "endless 500"],
)
def test_tree_row_response_too_large_error(status: int, content: Any, encoding: str, what: str) -> None:
    sent: list[httpx.Request] = []

    def respond(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        headers = {"Content-Encoding": encoding} if encoding else {}
        return httpx.Response(status, content=content(), headers=headers)

    client = signed_client(
        "A" * 64,
        "S" * 64,
        base_url="http://sim.invalid",
        max_response_bytes=LIMIT,
        httpx_args={"transport": httpx.MockTransport(respond)},
        governor=None,
    )
    with pytest.raises(ResponseTooLargeError) as caught:
        get_balance.sync(client=client)
    error = caught.value
    assert isinstance(error, InvalidResponseError)
    assert error.limit == LIMIT
    assert error.status_code == status
    assert error.message == f"the response body is larger than max_response_bytes={LIMIT}{what}" + (
        "; reading stopped" if what else ""
    )
    assert len(sent) == 1  # not retried, though the policy retries (a 500 too)
    assert str(sent[0].url) == f"http://sim.invalid{PATH}"  # the request lost its signature and key all the same
    assert sent[0].headers["X-MBX-APIKEY"] == "AAAA***"


def ok_with(content: Any, headers: dict[str, str]) -> httpx.Response:
    return httpx.Response(200, content=content, headers=headers)


def test_a_body_of_exactly_the_cap_is_read() -> None:
    for content in (b"[]" + b" " * (LIMIT - 2), iter([gzip.compress(b"[]" + b" " * (LIMIT - 2))])):
        headers = {} if isinstance(content, bytes) else {"Content-Encoding": "gzip"}
        client = signed_client(
            "A" * 64,
            "S" * 64,
            base_url="http://sim.invalid",
            max_response_bytes=LIMIT,
            httpx_args={"transport": httpx.MockTransport(lambda _, c=content, h=headers: ok_with(c, h))},
            governor=None,
        )
        assert get_balance.sync(client=client) == []


def test_an_invalid_response_error_built_by_hand_says_what_it_was_given() -> None:
    assert str(InvalidResponseError("Balance.asset: required field is missing")) == (
        "Balance.asset: required field is missing"
    )
    without_body = InvalidResponseError("x", status_code=200)
    assert (str(without_body), without_body.excerpt) == ("x (HTTP 200)", None)
    assert str(InvalidResponseError("x", status_code=200, content=b"")) == "x (HTTP 200, body starts: '')"


@pytest.mark.parametrize(
    ("content", "shown"),
    [
        (b"", ""),
        (b"a" * 10, "a" * 10),  # exactly the limit: whole
        (b"a" * 11, "a" * 10 + "..."),
        (b"\xff\xfeok", "\ufffd\ufffdok"),  # not UTF-8: replaced, never an exception
        ("\N{EURO SIGN}".encode() * 10, "\N{EURO SIGN}" * 10),  # multi-byte characters count as one
        ("\N{GRINNING FACE}".encode() * 11, "\N{GRINNING FACE}" * 10 + "..."),  # cut, even at a character edge
    ],
)
def test_a_body_excerpt_is_the_first_characters_and_says_when_it_is_cut(content: bytes, shown: str) -> None:
    assert body_excerpt(content, 10) == shown


class PlainClient(Client):
    """The generated interface over a bare httpx client: no signing, no typed errors."""

    __slots__ = ("_httpx",)

    def __init__(self, transport: httpx.MockTransport) -> None:
        self._httpx = httpx.Client(base_url="http://sim.invalid", transport=transport)

    def get_httpx_client(self) -> httpx.Client:
        return self._httpx


def test_tree_row_unexpected_status_without_this_layer() -> None:
    plain = PlainClient(httpx.MockTransport(lambda _: httpx.Response(500, content=b"down")))
    with pytest.raises(UnexpectedStatus) as caught:
        get_balance.sync(client=plain)
    assert (caught.value.status_code, caught.value.content) == (500, b"down")
    assert str(caught.value) == "Unexpected status code: 500; body starts: 'down'"


def assert_clean_copy(cause: BaseException | None, raised: Exception) -> None:
    """A transport error's `__cause__` is a copy of what httpx raised: same class and (redacted) message, the
    request with the unsigned URL, and no deeper chain (README, "No secret in any error")."""
    assert type(cause) is type(raised)
    assert cause is not raised
    assert isinstance(cause, httpx.TransportError)
    assert str(cause) == str(raised)
    assert (cause.__cause__, cause.__context__) == (None, None)
    assert str(cause.request.url) == f"http://sim.invalid{PATH}"
    assert cause.request.headers["X-MBX-APIKEY"] == "AAAA***"


def test_tree_row_transport_error_names_the_cause_not_the_url() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}")

    with pytest.raises(TransportError) as caught:
        get_balance.sync(client=client_answering(refuse))
    error = caught.value
    assert (error.method, error.path) == ("GET", PATH)
    assert str(error) == f"GET {PATH}: ConnectError"  # the message quoted the signed URL: left out
    assert type(error) is TransportError  # not a timeout
    assert isinstance(error.__cause__, httpx.ConnectError)
    assert re.fullmatch(rf"cannot reach http://sim\.invalid{PATH}\?\S*&signature=<redacted>", str(error.__cause__))


@pytest.mark.parametrize(
    "timeout",
    [httpx.ConnectTimeout("c"), httpx.ReadTimeout("r"), httpx.WriteTimeout("w"), httpx.PoolTimeout("p")],
)
def test_tree_row_request_timeout_error_for_each_httpx_timeout(timeout: httpx.TimeoutException) -> None:
    def time_out(_: httpx.Request) -> httpx.Response:
        raise timeout

    with pytest.raises(RequestTimeoutError) as caught:
        get_balance.sync(client=client_answering(time_out))
    assert isinstance(caught.value, TransportError)
    assert_clean_copy(caught.value.__cause__, timeout)
    assert str(caught.value) == f"GET {PATH}: {type(timeout).__name__}: {timeout}"


def test_tree_row_request_timeout_error_when_the_call_s_deadline_runs_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """A body that keeps coming: the call ends at its `deadline`, though no read ever timed out."""
    now = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])

    def trickle() -> Iterator[bytes]:
        while True:
            now[0] += 0.25  # each chunk takes a quarter of a second
            yield b" "

    sent: list[httpx.Request] = []

    def respond(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, content=trickle())

    client = signed_client(
        "A" * 64,
        "S" * 64,
        base_url="http://sim.invalid",
        deadline=2.0,
        httpx_args={"transport": httpx.MockTransport(respond)},
        governor=None,
    )
    with pytest.raises(RequestTimeoutError) as caught:
        get_balance.sync(client=client)
    assert str(caught.value) == f"GET {PATH}: the call's deadline of 2 s ran out"
    assert str(sent[0].url) == f"http://sim.invalid{PATH}"  # the request lost its signature all the same
    assert now[0] == 102.0  # the chunk that reached the deadline was the last one read


@pytest.mark.parametrize(
    ("cause", "shown"),
    [
        (httpx.ReadError("connection reset by peer"), "ReadError: connection reset by peer"),
        (httpx.ReadError(""), "ReadError"),
        (httpx.ReadError("bad answer to signature=abc"), "ReadError: bad answer to signature=<redacted>"),
        (httpx.ReadError("key " + "K" * 40), "ReadError: key <redacted>"),
        (httpx.ReadTimeout("timed out on /papi/v1/balance?asset=BTC"), "ReadTimeout"),
    ],
)
def test_a_transport_error_shows_its_reason_only_when_it_quotes_no_url(cause: Exception, shown: str) -> None:
    def fail(_: httpx.Request) -> httpx.Response:
        raise cause

    with pytest.raises(TransportError) as caught:
        get_balance.sync(client=client_answering(fail))
    assert str(caught.value) == f"GET {PATH}: {shown}"


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("mailto:x", "For absolute URLs, path must be empty or begin with '/'"),  # httpx: InvalidURL, not transport
        ("http://[::1", "Invalid port: ':1'."),  # httpx: RemoteProtocolError already
    ],
)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_tree_row_transport_error_for_a_redirect_httpx_cannot_read(location: str, reason: str, mode: str) -> None:
    """httpx reads a 3XX's Location even when it does not follow it, and fails on some: a transport error."""
    answer = httpx.Response(301, headers={"Location": location})
    client = client_answering(lambda _: answer)
    with pytest.raises(TransportError) as caught:
        get_balance.sync(client=client) if mode == "sync" else asyncio.run(get_balance.asyncio(client=client))
    assert type(caught.value) is TransportError
    assert str(caught.value) == f"GET {PATH}: RemoteProtocolError: Invalid URL in location header: {reason}"


def test_a_transport_error_names_the_root_cause() -> None:
    def fail(_: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("mapped") from ConnectionRefusedError(111, "Connection refused")

    with pytest.raises(TransportError) as caught:
        get_balance.sync(client=client_answering(fail))
    assert str(caught.value) == f"GET {PATH}: ConnectionRefusedError: [Errno 111] Connection refused"


def test_each_row_of_the_readme_error_tree_has_a_test() -> None:
    """The README's tree, row by row: an API error class has rows in the table above, the others a test here."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    tree = readme.split("Every error is a `binance_papi.PapiError`", 1)[1].split("```")[1]
    documented = re.findall(r"^[\s│├└─]*(\w+Error|\w+Status)\s", tree, re.MULTILINE)
    assert len(documented) == 16
    tested_here = {name for name in globals() if name.startswith("test_tree_row_")}
    for name in documented:
        error_class = getattr(binance_papi, name)
        assert issubclass(error_class, PapiError)
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
        has_rows = any(row.error is error_class for row in ROWS.values())
        assert has_rows or any(t.startswith(f"test_tree_row_{snake}") for t in tested_here) or name == "PapiError", name


def test_tree_row_papi_error_is_the_root() -> None:
    assert all(
        issubclass(cls, PapiError)
        for cls in (RequestValidationError, InvalidResponseError, UnexpectedStatus, TransportError, APIError)
    )
    assert {row.error for row in ROWS.values()} <= {cls for cls in vars(binance_papi).values() if isinstance(cls, type)}


def test_an_api_error_built_by_hand_has_no_hint_unless_given() -> None:
    error = BadRequestError(status_code=400, code=-1100, message="Illegal characters.", method="GET", path=PATH)
    assert (error.hint, error.used_weight, error.retry_after, error.response) == ("", None, None, None)
    assert str(error) == f"GET {PATH}: HTTP 400, Binance code -1100: Illegal characters."


# --- what the error keeps of the answer: nothing secret, the rest as sent ----------------------------------------

SHORT_KEY, SHORT_SECRET = "k3y!", "s3c!"  # too short to be secret-shaped: only the client's own list blanks them


def short_key_client(answer: httpx.Response) -> Any:
    return signed_client(
        SHORT_KEY,
        SHORT_SECRET,
        base_url="http://sim.invalid",
        retry=RetryPolicy.disabled(),
        httpx_args={"transport": httpx.MockTransport(lambda _: answer)},
        governor=None,
    )


def test_the_kept_answer_is_redacted_and_decoded() -> None:
    """A server echoing the key, the secret and the signed URL into the reason, a header and a gzip body."""
    body = b"\xff echo " + SHORT_KEY.encode() + b" " + SHORT_SECRET.encode() + b" signature=abc&x=1"
    answer = httpx.Response(
        400,
        content=gzip.compress(body),
        headers={"Content-Encoding": "gzip", "X-Echo": f"{SHORT_KEY} {SHORT_SECRET}"},
        extensions={"reason_phrase": f"Bad {SHORT_SECRET} Request".encode(), "http_version": b"HTTP/1.1"},
    )
    with pytest.raises(BadRequestError) as caught:
        get_balance.sync(client=short_key_client(answer))
    kept = caught.value.response
    assert kept is not None
    assert kept.reason_phrase == "Bad <redacted> Request"
    assert kept.extensions["http_version"] == b"HTTP/1.1"
    assert kept.content == b"\xff echo <redacted> <redacted> signature=<redacted>&x=1"
    assert kept.headers.multi_items() == [
        ("x-echo", "<redacted> <redacted>"),
        ("content-length", str(len(kept.content))),  # the body is decoded: no Content-Encoding, its own length
    ]
    excerpt = "\ufffd echo <redacted> <redacted> signature=<redacted>&x=1"
    assert caught.value.message == f"Bad <redacted> Request (not a Binance error body: {excerpt!r})"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"code": -1100, "msg": f"bad {SHORT_KEY}"}, "bad <redacted>"),
        ({"code": -1100, "msg": "m " * 251}, "m " * 250),  # a message is cut at 500 characters
        ({"code": -(2**31), "msg": "lowest"}, "lowest"),  # a code is a 32-bit int
        ({"code": 2**31 - 1, "msg": "highest"}, "highest"),
        (
            {"code": -(2**31) - 1, "msg": "x"},
            'Bad Request (not a Binance error body: \'{"code": -2147483649, "msg": "x"}\')',
        ),
        ({"code": 2**31, "msg": "x"}, 'Bad Request (not a Binance error body: \'{"code": 2147483648, "msg": "x"}\')'),
        ({"code": 62, "msg": "x"}, "x"),
    ],
)
def test_a_binance_body_gives_the_code_and_message(body: dict[str, Any], message: str) -> None:
    answer = httpx.Response(400, content=json.dumps(body).encode())
    with pytest.raises(APIError) as caught:
        get_balance.sync(client=short_key_client(answer))
    assert caught.value.message == message
    in_range = -(2**31) <= body["code"] < 2**31
    assert caught.value.code == (body["code"] if in_range else None)


@pytest.mark.parametrize(
    ("reason", "shown"),
    [
        (f"Nope {SHORT_KEY}", "Nope <redacted>"),
        ("r." * 51, "r." * 50),  # a reason phrase is cut at 100 characters
        ("", "error"),
    ],
)
def test_a_reason_phrase_is_redacted_and_cut(reason: str, shown: str) -> None:
    answer = httpx.Response(400, content=SHORT_SECRET.encode(), extensions={"reason_phrase": reason.encode()})
    with pytest.raises(APIError) as caught:
        get_balance.sync(client=short_key_client(answer))
    assert caught.value.message == f"{shown} (not a Binance error body: '<redacted>')"


@pytest.mark.parametrize(
    ("status", "location", "target"),
    [
        (300, "/elsewhere", " to http://sim.invalid/elsewhere"),  # 300 is a redirect too
        (399, "/p" + "x." * 150, " to http://sim.invalid/p" + "x." * 99),  # the path is cut at 200 characters
        (302, f"https://{SHORT_KEY[:3]}.invalid/{SHORT_KEY}", " to https://k3y.invalid/<redacted>"),
        (400, "/elsewhere", None),  # not a redirect: the Location means nothing
        (302, "file:///etc/passwd", ""),  # no host: no target named
        # Only the first 2000 characters of a Location are read (bounded work on a hostile header) ...
        (302, "http://" + "a." * 996 + "bc", " to http://" + "a." * 996 + "b/"),
        # ... and a cut one that no longer parses names no target.
        (302, "http://" + "u" * 1988 + "@[::1]:80/x", ""),
    ],
)
def test_a_redirect_names_its_target_without_query(status: int, location: str, target: str | None) -> None:
    answer = httpx.Response(status, headers={"Location": location})
    with pytest.raises(APIError) as caught:
        get_balance.sync(client=short_key_client(answer))
    reason = answer.reason_phrase or "error"
    rest = f"{reason} (not a Binance error body: 'empty body')"
    expected = rest if target is None else f"redirect{target} not followed (a signed request is never sent on); {rest}"
    assert caught.value.message == expected


def test_an_api_error_keeps_the_response_it_is_given() -> None:
    response = httpx.Response(400)
    error = BadRequestError(
        status_code=400, code=None, message="x", method="GET", path=PATH, response=response, retry_after=1.5
    )
    assert (error.response, error.retry_after) == (response, 1.5)


# --- errors cross process pools (README, "No secret in any error": they pickle with class, message, attributes) ---


def test_every_error_pickles_with_its_class_message_and_attributes() -> None:
    api = raised_by(httpx.Response(429, json={"code": -1003, "msg": "slow"}, headers={"Retry-After": "2"}))
    assert isinstance(api, RateLimitError)
    assert api.response is not None
    errors: list[PapiError] = [
        api,
        InvalidResponseError("Balance.asset: bad", status_code=200, content=b"[1]"),
        ResponseTooLargeError("too large", limit=LIMIT, status_code=200),
        TransportError("ConnectError", method="GET", path=PATH),
        RequestValidationError("nothing was sent"),
        UnexpectedStatus(500, b"down"),
    ]
    for error in errors:
        copy = pickle.loads(pickle.dumps(error))  # noqa: S301  (our own bytes)
        assert type(copy) is type(error)
        assert (str(copy), copy.args) == (str(error), error.args)
        expected = {k: v for k, v in vars(error).items() if k != "response"}
        assert {k: v for k, v in vars(copy).items() if k != "response"} == expected
        if "response" in vars(error):  # an httpx response does not pickle: dropped, the attribute kept
            assert vars(copy)["response"] is None
    plain = pickle.loads(pickle.dumps(errors[1]))  # noqa: S301
    assert "response" not in vars(plain)  # no attribute added where there was none


def test_a_snapshot_error_names_every_failed_part_and_pickles() -> None:
    first = BadRequestError(status_code=400, code=-1100, message="bad", method="GET", path=PATH)
    second = TransportError("ReadError", method="GET", path="/papi/v1/account")
    error = SnapshotError({"balance": first, "account": second})
    assert (error.part, error.error, error.errors) == ("balance", first, {"balance": first, "account": second})
    assert str(error) == (f"account_snapshot: part 'balance' failed: BadRequestError: {first} (also failed: account)")
    third = SnapshotError({"balance": first, "account": second, "um_account": second})
    assert str(third).endswith(" (also failed: account, um_account)")
    alone = SnapshotError({"cm_positions": second})
    assert str(alone) == f"account_snapshot: part 'cm_positions' failed: TransportError: {second}"
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301  (our own bytes)
    assert type(copy) is SnapshotError
    assert str(copy) == str(error)
    assert list(copy.errors) == ["balance", "account"]
    assert [str(e) for e in copy.errors.values()] == [str(first), str(second)]


# --- reading a body: chunk by chunk, decompressed with a bounded output (README, "Size cap") ----------------------


def body_client(answer: httpx.Response, limit: int = LIMIT) -> Any:
    return signed_client(
        "A" * 64,
        "S" * 64,
        base_url="http://sim.invalid",
        retry=RetryPolicy.disabled(),
        max_response_bytes=limit,
        httpx_args={"transport": httpx.MockTransport(lambda _: answer)},
        governor=None,
    )


def pieces(data: bytes, size: int) -> Iterator[bytes]:
    return iter([data[i : i + size] for i in range(0, len(data), size)])


BODY = json.dumps([{"k": "v" * 10}] * 30).encode()  # about 600 bytes


@pytest.mark.parametrize(
    ("encoding", "sent"),
    [
        ("", BODY),
        ("identity", BODY),
        ("gzip", gzip.compress(BODY)),
        ("x-gzip", gzip.compress(BODY)),
        (" GZip ", gzip.compress(BODY)),
        ("deflate", zlib.compress(BODY)),
    ],
)
@pytest.mark.parametrize("chunk", [1, 7, 500, 4096])  # 500: in two pieces
def test_a_body_in_any_chunks_and_encoding_is_read_whole(encoding: str, sent: bytes, chunk: int) -> None:
    from binance_papi._http import _Body

    headers = {"Content-Encoding": encoding} if encoding else {}
    response = httpx.Response(200, headers=headers, content=pieces(sent, chunk))
    body = _Body(response, LIMIT)
    for part in pieces(sent, chunk):
        body.feed(part)
    assert body.content() == BODY


def feed_all(body: Any, parts: Iterator[bytes]) -> bytes:
    for part in parts:
        body.feed(part)
    content: bytes = body.content()
    return content


def test_decompression_is_bounded_at_every_step() -> None:
    """A body inflating to exactly the cap is read; one byte more is refused, in whichever call it shows."""
    from binance_papi._http import _Body

    gzipped = {"Content-Encoding": "gzip"}
    exact = gzip.compress(b"0" * LIMIT)
    body = _Body(httpx.Response(200, headers=gzipped), LIMIT)
    for part in pieces(exact, 3):
        body.feed(part)
    assert body.content() == b"0" * LIMIT
    over = _Body(httpx.Response(200, headers=gzipped), LIMIT)
    with pytest.raises(ResponseTooLargeError, match=r"\(decompressed\); reading stopped \(HTTP 200\)$"):
        feed_all(over, pieces(gzip.compress(b"0" * (LIMIT + 1)), 3))
    sent = _Body(httpx.Response(200), LIMIT)
    sent.feed(b"x" * LIMIT)  # exactly the cap as sent
    with pytest.raises(ResponseTooLargeError, match=r"\(as sent\); reading stopped \(HTTP 200\)$"):
        sent.feed(b"x")


def test_a_body_held_back_in_the_decompressor_still_counts() -> None:
    """zlib may keep output back until `flush`: what comes out there is counted against the cap too."""
    from binance_papi._http import _Body

    class Held:
        def __init__(self) -> None:
            self.unconsumed_tail = b""

        def decompress(self, data: bytes, max_length: int) -> bytes:
            assert data
            assert max_length == LIMIT + 1
            return b""

        def flush(self, length: int) -> bytes:
            return b"z" * (LIMIT + 1) if length else b""

    body = _Body(httpx.Response(200, headers={"Content-Encoding": "gzip"}), LIMIT)
    body._inflate = Held()  # type: ignore[assignment]
    body.feed(b"anything")
    with pytest.raises(ResponseTooLargeError, match=r"\(decompressed\); reading stopped \(HTTP 200\)$"):
        body.content()


def test_each_decompression_step_stops_one_byte_over_the_cap() -> None:
    """However the output comes, a step never asks zlib for more than puts the body one byte over the cap."""
    from binance_papi._http import _Body

    class Bomb:
        def __init__(self) -> None:
            self.unconsumed_tail = b""
            self.asked: list[int] = []

        def decompress(self, _data: bytes, max_length: int) -> bytes:
            self.asked.append(max_length)
            return b"z" * (100 if len(self.asked) == 1 else max_length)  # then inflating as far as allowed

    body = _Body(httpx.Response(200, headers={"Content-Encoding": "gzip"}), LIMIT)
    bomb = body._inflate = Bomb()  # type: ignore[assignment]
    body.feed(b"first")
    with pytest.raises(ResponseTooLargeError, match=r"\(decompressed\); reading stopped \(HTTP 200\)$"):
        body.feed(b"second")
    assert bomb.asked == [LIMIT + 1, LIMIT - 100 + 1]


@pytest.mark.parametrize(
    ("headers", "sent", "message"),
    [
        ({"Content-Encoding": "br"}, b"x", "unsupported Content-Encoding 'br' (asked for gzip or deflate)"),
        (
            {"Content-Encoding": "z," * 25},
            b"x",
            f"unsupported Content-Encoding {'z,' * 20!r} (asked for gzip or deflate)",
        ),
        ({"Content-Encoding": "gzip"}, b"not gzip at all", "the body could not be decompressed"),
    ],
)
def test_a_body_that_cannot_be_decoded_is_an_invalid_response(
    headers: dict[str, str], sent: bytes, message: str
) -> None:
    answer = httpx.Response(503, headers=headers, content=iter([sent]))
    with pytest.raises(InvalidResponseError) as caught:
        get_balance.sync(client=body_client(answer))
    assert type(caught.value) is InvalidResponseError
    assert (caught.value.message, caught.value.status_code) == (message, 503)


# --- Retry-After, as delta-seconds or an HTTP date -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None),
        ("", None),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),  # already past: no wait, never a negative one
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("Sat, 24 Oct 2015 07:28:01 GMT", 259_200.0),  # clamped to 3 days
        ("Wed, 21 Oct 2015 07:28:10" + " " * 36 + "GMT", 10.0),  # 64 characters: read
        # Over 64 characters: invalid, never read in part (a cut "+0100" would be another time zone).
        ("Wed, 21 Oct 2015 07:28:10" + " " * 35 + "+0100", None),
        ("Wed, 21 Oct 2015 07:28:10 GMT" + " " * 30 + "garbage", None),
        ("1" * 61, None),  # delta-seconds of more than 60 digits: invalid
        ("1.1234567", None),
        ("0.000001", 0.000001),
    ],
)
def test_retry_after_is_delta_seconds_or_an_http_date(value: str | None, seconds: float | None) -> None:
    from binance_papi._errors import parse_retry_after

    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    assert parse_retry_after(value, now=now) == seconds


def test_an_http_date_is_read_against_the_clock_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from binance_papi._errors import parse_retry_after

    monkeypatch.setattr(time, "time", lambda: 1445412480.0)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT") == 30.0


# --- the same bounds on the async client (httpx's own async transport; a body that streams) -----------------------


async def _async_pieces(parts: list[bytes], pause: float = 0.0) -> AsyncIterator[bytes]:
    for part in parts:
        if pause:
            await asyncio.sleep(pause)
        yield part


def async_raised(handler: Any, **options: Any) -> PapiError | Any:
    client = signed_client(
        "A" * 64,
        "S" * 64,
        base_url="http://sim.invalid",
        retry=RetryPolicy.disabled(),
        httpx_args={"transport": httpx.MockTransport(handler)},
        **options,
        governor=None,
    )
    try:
        return asyncio.run(get_balance.asyncio(client=client))
    except PapiError as error:
        return error


def test_async_reads_a_streamed_body_in_chunks_and_encodings() -> None:
    for encoding, sent in (("", BODY), ("gzip", gzip.compress(BODY))):
        headers = {"Content-Encoding": encoding} if encoding else {}
        parts = list(pieces(sent, 50))
        body = json.loads(BODY)
        result = async_raised(lambda _, h=headers, p=parts: httpx.Response(200, headers=h, content=_async_pieces(p)))
        assert isinstance(result, InvalidResponseError)  # the rows are not balances: the body was read whole
        assert result.content == BODY
        assert json.loads(result.content) == body


def test_async_stops_a_body_at_the_cap() -> None:
    sent: list[httpx.Request] = []

    def endless(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, content=_async_pieces([b"[" * 600] * 3))

    error = async_raised(endless, max_response_bytes=LIMIT)
    assert isinstance(error, ResponseTooLargeError)
    assert str(sent[0].url) == f"http://sim.invalid{PATH}"  # the request lost its signature and key all the same
    assert sent[0].headers["X-MBX-APIKEY"] == "AAAA***"
    assert error.message == f"the response body is larger than max_response_bytes={LIMIT} (as sent); reading stopped"


def test_async_call_ends_at_its_deadline() -> None:
    """A body that keeps coming, a piece every 20 ms: the call's deadline (0.3 s) ends it, not a read timeout."""
    sent: list[httpx.Request] = []

    def respond(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, content=_async_pieces([b" "] * 10_000, pause=0.02))

    error = async_raised(respond, deadline=0.3)
    assert isinstance(error, RequestTimeoutError)
    assert str(error) == f"GET {PATH}: the call's deadline of 0.3 s ran out"
    assert str(sent[0].url) == f"http://sim.invalid{PATH}"  # the request lost its signature all the same


def test_async_a_timeout_inside_the_attempt_is_a_read_timeout() -> None:
    """A TimeoutError from below (not the deadline's) is the attempt's own timeout: a RequestTimeoutError."""

    sent: list[httpx.Request] = []

    def time_out(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        raise TimeoutError

    error = async_raised(time_out)
    assert isinstance(error, RequestTimeoutError)
    assert str(error) == f"GET {PATH}: ReadTimeout: timed out"
    assert str(sent[0].url) == f"http://sim.invalid{PATH}"  # the request lost its signature all the same
    assert isinstance(error.__cause__, httpx.ReadTimeout)
    assert error.__cause__.request is sent[0]


@pytest.mark.parametrize(
    ("before_the_deadline", "raised"),
    [
        (0.5, "ReadTimeout: timed out"),
        (0.05, "the call's deadline of 2 s ran out"),  # within 50 ms of the deadline: the deadline's
    ],
)
def test_async_a_timeout_from_below_near_the_deadline_is_the_deadline_s(
    monkeypatch: pytest.MonkeyPatch, before_the_deadline: float, raised: str
) -> None:
    now = [5000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])

    def time_out(_: httpx.Request) -> httpx.Response:
        now[0] = 5000.0 + 2.0 - before_the_deadline  # computed as the client computes its deadline
        raise TimeoutError

    error = async_raised(time_out, deadline=2.0)
    assert isinstance(error, RequestTimeoutError)
    assert str(error) == f"GET {PATH}: {raised}"


# --- more of what is refused or blanked (README, "Refused before sending", "No secret in any error") -------------


def test_a_2xx_body_that_fails_keeps_no_known_secret_nor_signature(monkeypatch: pytest.MonkeyPatch) -> None:
    key = "k3y!k3y!"  # 8 characters, not secret-shaped: blanked because a client of this process has it
    body = f'[{{"asset": "{key}", "echo": "signature=abc&x"}}'.encode()
    client = signed_client(
        key,
        "s" * 7 + "!",
        base_url="http://sim.invalid",
        retry=RetryPolicy.disabled(),
        httpx_args={"transport": httpx.MockTransport(lambda _: httpx.Response(200, content=body))},
        governor=None,
    )
    with pytest.raises(InvalidResponseError) as caught:
        get_balance.sync(client=client)
    assert caught.value.content == b'[{"asset": "<redacted>", "echo": "signature=<redacted>&x"}'
    assert caught.value.excerpt == caught.value.content.decode()
    # (A fresh list of known secrets: mutmut forks its runs from a process that has run every test once.)
    monkeypatch.setattr(binance_papi._errors, "_KNOWN_SECRETS", set())
    eight = "k3y!k3y#"  # 8 characters: long enough to be blanked in every error of the process from now on
    signed_client(eight, "t" * 8, base_url="http://sim.invalid")
    assert InvalidResponseError("x", status_code=200, content=eight.encode()).content == b"<redacted>"
    seven = "k3y!k3?"  # 7 characters: too short to be blanked wherever it appears (it could be any word)
    signed_client(seven, "t" * 8, base_url="http://sim.invalid")
    assert InvalidResponseError("x", status_code=200, content=seven.encode()).content == seven.encode()


@pytest.mark.parametrize("secret", ["S" * 63 + "\x7f", "S" * 63 + "\x1f", " " + "S" * 63, "S" * 63 + "\u00e9"])
def test_a_secret_with_a_control_character_space_or_non_ascii_is_refused(secret: str) -> None:
    with pytest.raises(
        RequestValidationError,
        match=r"^api_secret must be printable ASCII without spaces \(check for a stray newline or space\)$",
    ):
        signed_client("A" * 64, secret)
    signed_client("A" * 64, "S" * 63 + "~")  # the last printable character is fine


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_redirect_is_never_followed_even_when_asked(mode: str) -> None:
    sent: list[str] = []

    def redirect(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        return httpx.Response(302, headers={"Location": "/elsewhere"})

    client = signed_client(
        "A" * 64,
        "S" * 64,
        base_url="http://sim.invalid",
        retry=RetryPolicy.disabled(),
        httpx_args={"transport": httpx.MockTransport(redirect), "follow_redirects": True},
        governor=None,
    )
    with pytest.raises(APIError) as caught:
        get_balance.sync(client=client) if mode == "sync" else asyncio.run(get_balance.asyncio(client=client))
    assert caught.value.status_code == 302
    assert sent == [PATH]


def test_the_longest_request_line_is_sent_and_one_byte_more_refused() -> None:
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=[])

    client = client_answering(record)
    http = client.get_httpx_client()
    head = len(f"{PATH}?asset=")
    assert len(http.build_request("GET", PATH, params={"asset": "U" * (8192 - head)}).url.raw_path) == 8192
    with pytest.raises(RequestValidationError, match=r"^the request's path and query are longer than 8192 bytes"):
        http.build_request("GET", PATH, params={"asset": "U" * (8193 - head)})
    with pytest.raises(RequestValidationError, match=r"^the request's path and query are longer than 8192 bytes"):
        http.build_request("GET", PATH, params={"asset": "U" * 8192})  # a value of the limit: the line is refused
    with pytest.raises(RequestValidationError, match=r"^parameter asset is too long; nothing was sent$"):
        http.build_request("GET", PATH, params={"asset": "U" * 8193})
    assert sent == []


def test_async_a_transport_error_leaves_the_request_without_signature() -> None:
    sent: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        raise httpx.ConnectError("refused", request=request)

    error = async_raised(refuse)
    assert isinstance(error, TransportError)
    assert_clean_copy(error.__cause__, httpx.ConnectError("refused"))
    assert str(sent[0].url) == f"http://sim.invalid{PATH}"
