"""The simulator's state: keys and accounts, the clock, the weight limiter, faults and the request log.

One object, shared by the server (which reads it on its own loop) and the test that drives it (which
changes it between or during requests). `reset()` puts it back as constructed, so one server can serve
a whole test session with fresh state per test.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

from ._accounts import Account
from ._endpoints import ENDPOINTS
from ._faults import FaultPlan
from ._keys import HmacVerifier, KeyEntry, KeyRegistry, Verifier
from ._limits import DEFAULT_BAN_MS, DEFAULT_WEIGHT_LIMIT, DEFAULT_WINDOW_MS, WeightLimiter
from ._samples import demo_account

__all__ = ["Clock", "RecordedRequest", "Simulator", "system_clock_ms"]

Clock = Callable[[], int]
"""Milliseconds since the epoch."""


def system_clock_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(slots=True)
class RecordedRequest:
    """One request as it arrived, for assertions such as "each retry had a fresh timestamp"."""

    method: str
    path: str
    raw_query: str
    """The query string exactly as received (still percent-encoded)."""
    headers: Mapping[str, str]
    """Case-insensitive."""
    time_ms: int
    """Server clock (with the configured offset) at arrival."""
    remote: str
    monotonic: float = field(default_factory=time.monotonic)
    status: int | None = None
    """The status answered; None while in progress or when the connection was closed instead (`close`)."""

    def params(self) -> dict[str, str]:
        """The query parameters, decoded (the last wins if one repeats)."""
        pairs = (part.partition("=") for part in self.raw_query.split("&") if part)
        return {unquote_plus(name): unquote_plus(value) for name, _, value in pairs}

    @property
    def timestamp(self) -> int | None:
        value = self.params().get("timestamp", "")
        return int(value) if value.isdigit() else None


class Simulator:
    """What the simulated Binance knows and how it misbehaves. Change attributes freely from tests."""

    def __init__(
        self,
        *,
        accounts: Iterable[Account] | None = None,
        weight_limit: int = DEFAULT_WEIGHT_LIMIT,
        window_ms: int = DEFAULT_WINDOW_MS,
        window_s: float | None = None,
        ban_ms: int = DEFAULT_BAN_MS,
        clock: Clock = system_clock_ms,
        clock_offset_ms: int = 0,
        record_limit: int = 10_000,
    ) -> None:
        if window_s is not None:
            window_ms = round(window_s * 1000)
        if window_ms < 1:
            raise ValueError(f"the weight window must be at least 1 ms, got {window_ms}")
        self._initial_accounts = tuple(accounts) if accounts is not None else (demo_account(),)
        self._initial = (weight_limit, window_ms, ban_ms, clock, clock_offset_ms)
        self.keys = KeyRegistry()
        self.limiter = WeightLimiter(weight_limit, window_ms=window_ms, ban_ms=ban_ms)
        self.faults = FaultPlan(ENDPOINTS)
        self.clock: Clock = clock
        """The base clock (ms); the server's time adds `clock_offset_ms`, and the weight windows follow that."""
        self.clock_offset_ms = clock_offset_ms
        """Server time minus `clock()`, in ms: simulates a client whose clock is off by minus this much."""
        self._requests: deque[RecordedRequest] = deque(maxlen=record_limit)
        self.reset()

    def reset(self) -> None:
        """Back to the state as constructed: keys, limits, clock, faults, request log."""
        weight_limit, window_ms, ban_ms, clock, offset = self._initial
        self.keys = KeyRegistry()
        for account in self._initial_accounts:
            self.keys.add_account(account)
        self.limiter = WeightLimiter(weight_limit, window_ms=window_ms, ban_ms=ban_ms)
        self.faults.clear()
        self.clock = clock
        self.clock_offset_ms = offset
        self._requests.clear()

    # Time
    def now_ms(self) -> int:
        """The server's clock: what /fapi/v1/time answers and what timestamps are checked against."""
        return self.clock() + self.clock_offset_ms

    # Keys and accounts
    @property
    def demo(self) -> Account:
        """The first account given at construction (the demo account by default)."""
        return self._initial_accounts[0]

    def add_account(self, account: Account) -> Account:
        """Serve `account` under its own HMAC key (`account.api_key` / `account.api_secret`)."""
        self.keys.add_account(account)
        return account

    def add_key(self, api_key: str, verifier: Verifier | str, account: Account | None = None) -> KeyEntry:
        """Another key for `account` (default: the demo one).

        `verifier` is a str (an HMAC secret) or a `Verifier`, e.g. `PublicKeyVerifier(pem)` for RSA/Ed25519.
        """
        if isinstance(verifier, str):
            verifier = HmacVerifier(verifier)
        return self.keys.add(api_key, verifier, account if account is not None else self.demo)

    # Limits
    @property
    def weight_limit(self) -> int:
        return self.limiter.limit

    @weight_limit.setter
    def weight_limit(self, value: int) -> None:
        self.limiter.limit = value

    @property
    def window_ms(self) -> int:
        """The weight window's length (ms): fixed windows of the server clock, as Binance's minutes."""
        return self.limiter.window_ms

    @window_ms.setter
    def window_ms(self, value: int) -> None:
        self.limiter.window_ms = value

    def start_window(self) -> None:
        """Start a weight window now, so that a full one lies ahead (tests that must not meet a boundary).

        Binance's windows are the minutes of its clock; this moves the simulator's off them until `reset()`.
        """
        self.limiter.origin_ms = self.now_ms()
        self.limiter.reset()

    def used_weight(self, ip: str = "127.0.0.1") -> int:
        """The IP's weight in the current window, as X-MBX-USED-WEIGHT-1M would say now."""
        return self.limiter.used(ip, self.now_ms())

    def add_weight(self, weight: int, ip: str = "127.0.0.1") -> int:
        """Count `weight` in the IP's current window as if another process on that IP had spent it; the new count.

        No request is made or recorded; the limit is not checked (the next request meets it).
        """
        return self.limiter.add(ip, weight, self.now_ms())

    # Faults (shortcuts for `faults`)
    def set_fault(self, name: str | None) -> None:
        """Every signed request (any endpoint but ping and time) gets fault `name` from now on (None: healthy again)."""
        self.faults.set_default(name)

    def fail_next(self, name: str, count: int = 1) -> None:
        """The next `count` signed requests get fault `name`."""
        self.faults.fail_next(name, count)

    # Request log
    def record(self, record: RecordedRequest) -> None:
        self._requests.append(record)

    @property
    def requests(self) -> list[RecordedRequest]:
        """The requests received, oldest first (at most `record_limit`)."""
        return list(self._requests)

    def clear_requests(self) -> None:
        self._requests.clear()
