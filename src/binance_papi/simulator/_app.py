"""The request handler: Binance's rules for the signed endpoints of `ENDPOINTS`, /papi/v1/ping and /fapi/v1/time.

Checks run in the order Binance appears to use: IP weight limit (each endpoint's weight), then (unless a
fault answers instead) API key (-2014, -2015), parameters (-1101, -1103, -1102, -1100, -1131, -1105),
timestamp window (-1021), signature (-1022), then the endpoint's own values (-1108, -1121, -1130,
-1023, ...). Every response carries X-MBX-USED-WEIGHT-1M and a `Date` from
the simulator's clock. One handler dispatches on the path: cheaper than a router, and unknown paths
still get the weight header.
"""

from __future__ import annotations

import asyncio
import json
from email.utils import formatdate

from aiohttp import web

from ._endpoints import BALANCE_PATH, ENDPOINTS, Endpoint
from ._faults import BODY_FAULTS, EARLY_FAULTS, FAULT_HEADER, mangle, parse_fault
from ._keys import KeyEntry, is_well_formed_key
from ._params import mandatory_missing
from ._query import Rejection, bad_request, parse_signed_query
from ._simulator import RecordedRequest, Simulator

__all__ = ["BALANCE_PATH", "PING_PATH", "TIME_PATH", "build_server"]

PING_PATH = "/papi/v1/ping"
TIME_PATH = "/fapi/v1/time"
API_KEY_HEADER = "X-MBX-APIKEY"
USED_WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"

_UNSIGNED = frozenset({PING_PATH, TIME_PATH})
_COMMON_PARAMS = frozenset({"recvWindow", "timestamp", "signature"})
_DEFAULT_RECV_WINDOW = 5000
_MAX_RECV_WINDOW = 60000
_JSON = "application/json;charset=UTF-8"
_NOT_FOUND_HTML = b"<html><body><h2>404 Not found</h2></body></html>"


def _error_body(code: int, msg: str) -> bytes:
    return json.dumps({"code": code, "msg": msg}, separators=(",", ":")).encode("utf-8")


def _integer(params: dict[str, str], name: str) -> int | None:
    """The parameter as a non-negative integer; None when absent, -1 when malformed (empty, sign, letters)."""
    value = params.get(name)
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 20:
        return -1
    return int(value)


class _Handler:
    """The one request handler; reads the `Simulator` afresh on every request."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self._date_second = -1
        self._date = ""

    def _date_header(self, now_ms: int) -> str:
        second = now_ms // 1000
        if second != self._date_second:
            self._date = formatdate(second, usegmt=True)
            self._date_second = second
        return self._date

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        sim = self.sim
        now_ms = sim.now_ms()
        path = request.path
        raw_query = request.raw_path.partition("?")[2].partition("#")[0]
        ip = request.remote or "unknown"
        record = RecordedRequest(request.method, path, raw_query, request.headers, now_ms, ip)
        sim.record(record)
        endpoint = ENDPOINTS.get(path)
        weight = endpoint.weight_for(raw_query) if endpoint is not None else 1
        verdict = sim.limiter.charge(ip, weight, now_ms)
        headers = {USED_WEIGHT_HEADER: str(verdict.used), "Date": self._date_header(now_ms)}
        if verdict.status:
            headers["Retry-After"] = str(verdict.retry_after)
            record.status = verdict.status
            return web.Response(
                status=verdict.status,
                body=self._limit_body(verdict.status, ip, verdict.until_ms),
                headers={**headers, "Content-Type": _JSON},
            )
        try:
            header_fault = request.headers.get(FAULT_HEADER)
            fault = parse_fault(header_fault) if header_fault is not None else sim.faults.take(path)
        except ValueError as exc:
            record.status = 400
            return web.Response(status=400, text=f"simulator: {exc}", headers=headers)
        if fault is not None and fault.name in EARLY_FAULTS:
            status, body, content_type = EARLY_FAULTS[fault.name]
            record.status = status
            return web.Response(status=status, body=body, headers={**headers, "Content-Type": content_type})
        if fault is not None and fault.name == "close":
            return self._close(request)
        status, body, content_type = self._answer(request, endpoint, raw_query, ip, now_ms)
        if fault is not None:
            if fault.name == "slow":
                await asyncio.sleep(fault.seconds)
            elif fault.name in BODY_FAULTS and status == 200:
                body = mangle(fault, body)
        record.status = status
        return web.Response(status=status, body=body, headers={**headers, "Content-Type": content_type})

    def _limit_body(self, status: int, ip: str, until_ms: int) -> bytes:
        if status == 418:
            banned_until = until_ms
            msg = (
                f"Way too much request weight used; IP banned until {banned_until}. "
                "Please use WebSocket Streams for live updates to avoid bans."
            )
        else:
            msg = (
                f"Too many requests; current limit of IP({ip}) request weight is {self.sim.weight_limit} per "
                "minute. Please use WebSocket Streams for live updates to avoid polling the API."
            )
        return _error_body(-1003, msg)

    @staticmethod
    def _close(request: web.BaseRequest) -> web.StreamResponse:
        """Drop the connection without an answer, as a crashed proxy would.

        aiohttp takes a cancelled handler for a client that went away: it writes nothing and logs nothing.
        """
        transport = request.transport
        if transport is not None:
            transport.abort()
        raise asyncio.CancelledError

    def _answer(
        self, request: web.BaseRequest, endpoint: Endpoint | None, raw_query: str, ip: str, now_ms: int
    ) -> tuple[int, bytes, str]:
        path = request.path
        if endpoint is None and path not in _UNSIGNED:
            return 404, _NOT_FOUND_HTML, "text/html"
        if request.method != "GET":
            return 405, _error_body(-1000, f"Request method '{request.method}' not supported"), _JSON
        if path == PING_PATH:
            return 200, b"{}", _JSON
        if endpoint is None:
            return 200, b'{"serverTime":%d}' % now_ms, _JSON
        try:
            return 200, self._signed(request, endpoint, raw_query.encode("utf-8", "surrogateescape"), ip, now_ms), _JSON
        except Rejection as rejection:
            return rejection.status, _error_body(rejection.code, rejection.msg), _JSON

    def _signed(self, request: web.BaseRequest, endpoint: Endpoint, raw_query: bytes, ip: str, now_ms: int) -> bytes:
        entry = self._key_entry(request.headers.get(API_KEY_HEADER), ip)
        query = parse_signed_query(raw_query, endpoint.params | _COMMON_PARAMS)
        _check_timing(query.params, now_ms)
        params = query.params
        for name in endpoint.params:
            if params.get(name) == "":
                raise bad_request(-1105, f"Parameter '{name}' was empty.")
        for name in endpoint.mandatory:
            if name not in params:
                raise mandatory_missing(name)
        # Unencoded bytes (non-ASCII, spaces) are refused whatever was signed, as Binance does.
        if (
            query.signature is None
            or not query.payload.isascii()
            or b" " in query.payload
            or not entry.verifier.verify(query.payload, query.signature)
        ):
            raise bad_request(-1022, "Signature for this request is not valid.")
        business = {name: value for name, value in params.items() if name not in _COMMON_PARAMS}
        return entry.account.body(endpoint, business, now_ms)

    def _key_entry(self, api_key: str | None, ip: str) -> KeyEntry:
        if not is_well_formed_key(api_key):
            raise Rejection(401, -2014, "API-key format invalid.")
        entry = self.sim.keys.get(api_key)
        if entry is None:
            raise Rejection(401, -2015, f"Invalid API-key, IP, or permissions for action, request ip: {ip}")
        return entry


def _check_timing(params: dict[str, str], now_ms: int) -> None:
    """-1102/-1100/-1131 for malformed values, then -1021 unless now - recvWindow <= timestamp < now + 1000."""
    timestamp = _integer(params, "timestamp")
    if timestamp is None or timestamp < 0:
        raise bad_request(-1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.")
    recv_window = _integer(params, "recvWindow")
    if recv_window is None:
        recv_window = _DEFAULT_RECV_WINDOW
    elif recv_window < 0:
        raise bad_request(-1100, "Illegal characters found in parameter 'recvWindow'; legal range is '^[0-9]{1,20}$'.")
    elif recv_window > _MAX_RECV_WINDOW:
        raise bad_request(-1131, "recvWindow must be less than 60000")
    if timestamp >= now_ms + 1000:
        raise bad_request(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    if now_ms - timestamp > recv_window:
        raise bad_request(-1021, "Timestamp for this request is outside of the recvWindow.")


def build_server(sim: Simulator) -> web.Server:
    """The aiohttp low-level server for `sim` (no application, router or middlewares: less per request).

    Needs a running loop; serve it with `web.ServerRunner`.
    """
    return web.Server(_Handler(sim).handle, access_log=None)
