"""The IP request-weight limit: a rolling one-minute window per client IP, 429 past it, 418 for ignoring it.

Binance counts weight per IP, not per key, and bans IPs that keep sending after a 429. The simulator
does the same so a client's politeness (waiting for Retry-After, sending nothing after a 418) can be
tested: the limit, window and ban length are settable so a test reaches them in a few requests.
Weight is charged for every request that is let through, valid or not; refused requests add none.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = ["DEFAULT_BAN_MS", "DEFAULT_WEIGHT_LIMIT", "DEFAULT_WINDOW_MS", "Verdict", "WeightLimiter"]

DEFAULT_WEIGHT_LIMIT = 6000
DEFAULT_WINDOW_MS = 60_000
DEFAULT_BAN_MS = 120_000  # Binance bans for 2 minutes to 3 days; the shortest.
_BUCKET_MS = 100
"""Requests this close together share one window entry, so a benchmark's load keeps the window small."""


class Verdict(NamedTuple):
    """The limiter's answer: `status` 0 (let through), 429 or 418; `used` for X-MBX-USED-WEIGHT-1M."""

    status: int
    used: int
    retry_after: int = 0
    """Seconds (429/418)."""
    until_ms: int = 0
    """When the limit or ban ends (limiter clock, ms)."""


@dataclass(slots=True)
class _IpWindow:
    # [first_ms, last_ms, weight]: an entry leaves the window once its *last* request is window_ms old,
    # which errs towards counting too much, never too little.
    entries: deque[list[int]] = field(default_factory=deque)
    used: int = 0
    limited_until: int = 0
    banned_until: int = 0


class WeightLimiter:
    """Per-IP used weight in a rolling window. Call `charge` once per request, on the server's loop."""

    def __init__(
        self, limit: int = DEFAULT_WEIGHT_LIMIT, *, window_ms: int = DEFAULT_WINDOW_MS, ban_ms: int = DEFAULT_BAN_MS
    ) -> None:
        self.limit = limit
        self.window_ms = window_ms
        self.ban_ms = ban_ms
        self._ips: dict[str, _IpWindow] = {}

    def reset(self) -> None:
        """Forget all used weight, limits and bans."""
        self._ips = {}

    def used(self, ip: str, now_ms: int) -> int:
        window = self._ips.get(ip)
        if window is None:
            return 0
        self._expire(window, now_ms)
        return window.used

    def charge(self, ip: str, weight: int, now_ms: int) -> Verdict:
        """Count `weight` for `ip` now, or say why not: 429 past the limit, 418 while banned or after a 429."""
        window = self._ips.get(ip)
        if window is None:
            window = self._ips[ip] = _IpWindow()
        self._expire(window, now_ms)
        if now_ms < window.banned_until:
            return self._banned(window, now_ms)
        if now_ms < window.limited_until:
            # Still limited and sending anyway: that is what gets an IP banned.
            window.banned_until = now_ms + self.ban_ms
            return self._banned(window, now_ms)
        if window.used + weight > self.limit:
            free_at = self._free_at(window, weight, now_ms)
            window.limited_until = free_at
            return Verdict(429, window.used, _seconds(free_at - now_ms), free_at)
        entries = window.entries
        if entries and now_ms - entries[-1][0] < _BUCKET_MS:
            last = entries[-1]
            last[1] = max(last[1], now_ms)
            last[2] += weight
        else:
            entries.append([now_ms, now_ms, weight])
        window.used += weight
        return Verdict(0, window.used)

    def _banned(self, window: _IpWindow, now_ms: int) -> Verdict:
        return Verdict(418, window.used, _seconds(window.banned_until - now_ms), window.banned_until)

    def _expire(self, window: _IpWindow, now_ms: int) -> None:
        entries = window.entries
        horizon = now_ms - self.window_ms
        while entries and entries[0][1] <= horizon:
            window.used -= entries.popleft()[2]

    def _free_at(self, window: _IpWindow, weight: int, now_ms: int) -> int:
        """The first moment `weight` more fits under the limit, as entries leave the window."""
        excess = window.used + weight - self.limit
        if weight > self.limit:
            return now_ms + self.window_ms
        freed = 0
        for _first, last, entry_weight in window.entries:
            freed += entry_weight
            if freed >= excess:
                return last + self.window_ms
        return now_ms + self.window_ms


def _seconds(ms: int) -> int:
    """Whole seconds, rounded up, at least 1: a Retry-After of 0 would invite an immediate retry."""
    return max(1, -(-ms // 1000))
