"""Bans and Retry-Afters, shared by every client of a process per host, and remembered across CLI runs.

A 418 bans the IP, not a client: a second client (or a second command) that sends during the ban risks a
longer one. So the blocks live here, one per origin (`https://papi.binance.com`), in one process-wide
`BanBook` (`BANS`) that every client consults before sending. The CLI also loads and saves them in a small
JSON file in the user's cache directory (`state_file()`), so a second command during a ban sends nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._errors import MAX_RETRY_AFTER_SECONDS, IPBannedError, RateLimitError

if TYPE_CHECKING:
    import httpx

__all__ = ["BANS", "BanBook", "origin_of", "state_file"]

STATE_FILE_NAME = "bans.json"


def origin_of(url: httpx.URL | str) -> str:
    """`scheme://host:port` of a URL: what a ban is kept per."""
    import httpx

    url = httpx.URL(url) if isinstance(url, str) else url
    port = url.port or (443 if url.scheme == "https" else 80)
    return f"{url.scheme}://{url.host}:{port}"


class BanBook:
    """The running blocks (418 bans, 429 Retry-Afters), per origin. Thread-safe; one per process: `BANS`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._blocks: dict[str, tuple[float, RateLimitError | IPBannedError]] = {}

    def note(self, origin: str, error: RateLimitError | IPBannedError, seconds: float) -> None:
        """Send nothing to `origin` for `seconds` (clamped to 3 days); a longer running block is kept."""
        until = time.monotonic() + min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)
        with self._lock:
            current = self._blocks.get(origin)
            if current is None or current[0] < until:
                self._blocks[origin] = (until, error)

    def active(self, origin: str) -> tuple[RateLimitError | IPBannedError, float] | None:
        """(the error that set the block, seconds left) while a block on `origin` runs, else None."""
        if not self._blocks:  # the common case, read without the lock (a dict's truth value is atomic)
            return None
        with self._lock:
            entry = self._blocks.get(origin)
            if entry is None:
                return None
            remaining = entry[0] - time.monotonic()
            if remaining <= 0:
                del self._blocks[origin]
                return None
            return entry[1], remaining

    def clear(self) -> None:
        """Forget every block (tests; or after an operator lifted a ban)."""
        with self._lock:
            self._blocks.clear()

    def load(self, path: Path) -> None:
        """Add the blocks still running from a state file; a missing or damaged file is ignored."""
        try:
            data = json.loads(path.read_text(encoding="utf-8")[:100_000])
        except (OSError, ValueError, RecursionError):
            return
        if not isinstance(data, dict):
            return
        now = time.time()
        for origin, entry in data.items():
            if not isinstance(origin, str) or not isinstance(entry, dict):
                continue
            until, status = entry.get("until"), entry.get("status")
            if not isinstance(until, (int, float)) or isinstance(until, bool) or not until > now:
                continue
            cls = IPBannedError if status == 418 else RateLimitError
            error = cls(
                status_code=418 if cls is IPBannedError else 429,
                code=entry.get("code") if type(entry.get("code")) is int else None,
                message="remembered from an earlier run",
                method="-",
                path="-",
                retry_after=until - now,
                hint="Send nothing until the ban has passed (state file: " + str(path) + ")",
            )
            self.note(origin, error, until - now)

    def save(self, path: Path) -> None:
        """Write the running blocks to a state file (atomically; errors writing it are ignored)."""
        now, mono = time.time(), time.monotonic()
        with self._lock:
            data: dict[str, Any] = {
                origin: {"until": now + (until - mono), "status": error.status_code, "code": error.code}
                for origin, (until, error) in self._blocks.items()
                if until > mono
            }
        with contextlib.suppress(OSError):
            if not data and not path.exists():
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(data), encoding="utf-8")
            temporary.replace(path)


BANS = BanBook()
"""The process-wide blocks every client consults before sending."""


def state_file() -> Path:
    """Where the CLI remembers bans: `$XDG_CACHE_HOME/binance-papi/bans.json`, else `~/.cache/binance-papi/...`."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "binance-papi" / STATE_FILE_NAME
