"""The IP request-weight limit: fixed windows per client IP, 429 past the limit, 418 for ignoring it.

Binance counts weight per IP, not per key, in fixed windows of its own clock (`X-MBX-USED-WEIGHT-1M`
falls back to zero at each minute of the server's clock), and bans IPs that keep sending after a 429. The
simulator does the same, on the server clock it gives (so a client with a skewed clock meets the windows
where the server has them), so that a client's politeness (waiting for Retry-After, sending nothing after
a 418, pacing itself under the limit) can be tested: the limit, window and ban length are settable so a
test or a benchmark reaches them in a few requests or a few seconds. Weight is charged for every request
that is let through, valid or not; refused requests add none. `add` counts weight as if another process
on the same IP had spent it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["DEFAULT_BAN_MS", "DEFAULT_WEIGHT_LIMIT", "DEFAULT_WINDOW_MS", "Verdict", "WeightLimiter"]

DEFAULT_WEIGHT_LIMIT = 6000
DEFAULT_WINDOW_MS = 60_000
DEFAULT_BAN_MS = 120_000  # Binance bans for 2 minutes to 3 days; the shortest.


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
    index: int = 0
    """Which window `used` counts: server time // window_ms."""
    used: int = 0
    limited_until: int = 0
    banned_until: int = 0


class WeightLimiter:
    """Per-IP used weight in fixed windows. Call `charge` once per request, on the server's loop."""

    def __init__(
        self, limit: int = DEFAULT_WEIGHT_LIMIT, *, window_ms: int = DEFAULT_WINDOW_MS, ban_ms: int = DEFAULT_BAN_MS
    ) -> None:
        self.limit = limit
        self.window_ms = window_ms
        self.ban_ms = ban_ms
        self.origin_ms = 0
        """Windows start at origin_ms + k * window_ms: 0 is Binance's (the minutes of the server clock)."""
        self._ips: dict[str, _IpWindow] = {}

    def reset(self) -> None:
        """Forget all used weight, limits and bans."""
        self._ips = {}

    def used(self, ip: str, now_ms: int) -> int:
        window = self._ips.get(ip)
        if window is None:
            return 0
        self._roll(window, now_ms)
        return window.used

    def add(self, ip: str, weight: int, now_ms: int) -> int:
        """Count `weight` for `ip` now without a request (another process's), even past the limit; the new count."""
        window = self._window(ip, now_ms)
        window.used += weight
        return window.used

    def charge(self, ip: str, weight: int, now_ms: int) -> Verdict:
        """Count `weight` for `ip` now, or say why not: 429 past the limit, 418 while banned or after a 429."""
        window = self._window(ip, now_ms)
        if now_ms < window.banned_until:
            return self._banned(window, now_ms)
        if now_ms < window.limited_until:
            # Still limited and sending anyway: that is what gets an IP banned.
            window.banned_until = now_ms + self.ban_ms
            return self._banned(window, now_ms)
        if window.used + weight > self.limit:
            free_at = self.origin_ms + (window.index + 1) * self.window_ms
            if weight > self.limit:  # never fits: as long as a whole window
                free_at = now_ms + self.window_ms
            window.limited_until = free_at
            return Verdict(429, window.used, _seconds(free_at - now_ms), free_at)
        window.used += weight
        return Verdict(0, window.used)

    def _window(self, ip: str, now_ms: int) -> _IpWindow:
        window = self._ips.get(ip)
        if window is None:
            window = self._ips[ip] = _IpWindow(index=(now_ms - self.origin_ms) // self.window_ms)
        self._roll(window, now_ms)
        return window

    def _roll(self, window: _IpWindow, now_ms: int) -> None:
        index = (now_ms - self.origin_ms) // self.window_ms
        if index != window.index:
            window.index = index
            window.used = 0

    def _banned(self, window: _IpWindow, now_ms: int) -> Verdict:
        return Verdict(418, window.used, _seconds(window.banned_until - now_ms), window.banned_until)


def _seconds(ms: int) -> int:
    """Whole seconds, rounded up, at least 1: a Retry-After of 0 would invite an immediate retry."""
    return max(1, -(-ms // 1000))
