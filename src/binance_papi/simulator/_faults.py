"""Faults on demand: the answers a client must survive that a healthy Binance rarely gives.

Chosen per request with the header `X-Sim-Fault: <name>` (not a Binance parameter, so never -1103) or per
run on `Simulator.faults` (a default fault, or "the next N requests"). Three stages:

- instead of an answer, before any check: `500`, `502-html`, `503-unknown`, `503-unavailable`,
  `503-internal`, `timestamp-1021`, `close` (the connection is closed without an answer);
- after the checks, on a 200 body only: `empty`, `truncated`, `wrong-shape`, `wrong-type`;
- `slow:<seconds>`: the request is checked on arrival and answered normally after the delay.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from ._format import dumps

__all__ = ["BODY_FAULTS", "EARLY_FAULTS", "FAULT_HEADER", "FAULT_NAMES", "Fault", "FaultPlan", "mangle", "parse_fault"]

FAULT_HEADER = "X-Sim-Fault"

_JSON = "application/json;charset=UTF-8"
_HTML = "text/html"


def _error(code: int, msg: str) -> bytes:
    return json.dumps({"code": code, "msg": msg}, separators=(",", ":")).encode("utf-8")


_BAD_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
    b"<hr><center>CloudFront</center>\r\n</body>\r\n</html>\r\n"
)

EARLY_FAULTS: dict[str, tuple[int, bytes, str]] = {
    "500": (500, _error(-1000, "An unknown error occured while processing the request."), _JSON),
    "502-html": (502, _BAD_GATEWAY_HTML, _HTML),
    # The three documented 503s differ by message; "unknown" and "unavailable" share -1000 on purpose, so
    # a client must read the message to tell "outcome unknown" from "failed, retry".
    "503-unknown": (503, _error(-1000, "Unknown error, please check your request or try again later."), _JSON),
    "503-unavailable": (503, _error(-1000, "Service Unavailable."), _JSON),
    "503-internal": (503, _error(-1001, "Internal error; unable to process your request. Please try again."), _JSON),
    "timestamp-1021": (400, _error(-1021, "Timestamp for this request is outside of the recvWindow."), _JSON),
}
"""Answers given instead of processing the request: name -> (status, body, content type)."""

BODY_FAULTS = frozenset({"empty", "truncated", "wrong-shape", "wrong-type"})
FAULT_NAMES = (*EARLY_FAULTS, "close", *sorted(BODY_FAULTS), "slow:<seconds>")


class Fault(NamedTuple):
    name: str
    """"slow" for `slow:<seconds>`, otherwise the name as given."""
    seconds: float = 0.0


def parse_fault(text: str) -> Fault:
    """A fault from its name; ValueError naming the valid ones otherwise."""
    text = text.strip()
    if text in EARLY_FAULTS or text in BODY_FAULTS or text == "close":
        return Fault(text)
    if text.startswith("slow:"):
        try:
            seconds = float(text[5:])
        except ValueError:
            seconds = -1.0
        if 0 <= seconds < float("inf"):
            return Fault("slow", seconds)
    raise ValueError(f"unknown fault {text!r}; expected one of {', '.join(FAULT_NAMES)}")


def _retype(value: object) -> tuple[object, bool]:
    """`value` with one value's type changed, depth first, and whether anything changed.

    The first decimal string becomes a JSON number; failing that, the first integer or boolean a string.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and _DECIMAL.fullmatch(item):
                return {**value, key: _RawNumber(item)}, True
            if isinstance(item, bool | int):
                return {**value, key: str(item).lower()}, True
            changed, done = _retype(item)
            if done:
                return {**value, key: changed}, True
    elif isinstance(value, list):
        for index, item in enumerate(value):
            changed, done = _retype(item)
            if done:
                return [*value[:index], changed, *value[index + 1 :]], True
    return value, False


class _RawNumber(str):
    """A decimal string to be written as a bare JSON number."""

    __slots__ = ()


_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def _dumps_raw(value: object) -> bytes:
    def encode(item: object) -> object:
        if isinstance(item, _RawNumber):
            return Decimal(item)
        if isinstance(item, dict):
            return {key: encode(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return [encode(inner) for inner in item]
        return item

    return dumps(encode(value))


def mangle(fault: Fault, body: bytes) -> bytes:
    """A body fault applied to a good 200 body.

    `wrong-type` changes the type of one value: the first decimal string becomes a JSON number (balance:
    `totalWalletBalance`), or else the first integer or boolean a string (`serverTime`, `dualSidePosition`).
    """
    if fault.name == "empty":
        return b""
    if fault.name == "truncated":
        return body[: len(body) // 2]
    if fault.name == "wrong-shape":
        return b'{"foo":1}'
    changed, done = _retype(json.loads(body))
    return _dumps_raw(changed) if done else b'{"foo":1}'


class FaultPlan:
    """The per-run faults: a queue taken first ("the next N requests"), then a default for the rest.

    They apply to requests whose path is in `paths` (the simulator sets every signed endpoint), so the
    client's server-time and ping calls stay healthy; `X-Sim-Fault` applies to any path.
    """

    def __init__(self, paths: Iterable[str] = ("/papi/v1/balance",)) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Fault | None] = deque()
        self.default: Fault | None = None
        self.paths: frozenset[str] = frozenset(paths)

    def set_default(self, name: str | None) -> None:
        """Every matching request gets this fault (None: none) once the queue is empty."""
        self.default = None if name is None else parse_fault(name)

    def fail_next(self, name: str, count: int = 1) -> None:
        """The next `count` matching requests get fault `name` (after any already queued)."""
        fault = parse_fault(name)
        with self._lock:
            self._queue.extend([fault] * count)

    def schedule(self, names: Iterable[str | None]) -> None:
        """Queue one entry per matching request, in order; None lets that request through untouched."""
        faults = [None if n is None else parse_fault(n) for n in names]
        with self._lock:
            self._queue.extend(faults)

    def pending(self) -> int:
        return len(self._queue)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self.default = None

    def take(self, path: str) -> Fault | None:
        if path not in self.paths:
            return None
        if self._queue:
            with self._lock:
                if self._queue:
                    return self._queue.popleft()
        return self.default
