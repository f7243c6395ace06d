"""The weight governor's load scenario, one process of it.

    python -m bench.load BASE_URL SECONDS on|off LIMIT WINDOW_S THREADS TASKS

THREADS threads (one sync client) and TASKS asyncio tasks (one async client) call balance (weight 20) and
`account_snapshot()` (six parts, weight 56) as fast as they can for SECONDS, with the weight governor on
(`GovernorConfig(limit=LIMIT, window_s=WINDOW)`) or off. Every answer's status and its
X-MBX-USED-WEIGHT-1M are seen by an httpx response hook; the output (one JSON line) is the count of each
status, the calls and errors made, and per server window (from the answer's Date: the windows are whole
seconds) the highest count the server reported for the IP: what it served in that window, by every
process. `bench.run` runs two of these at once against one simulator (one IP).
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from collections import Counter
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from binance_papi import GovernorConfig, PapiClient, PapiError, RetryPolicy, async_signed_client, signed_client
from binance_papi.simulator import DEMO_API_KEY, DEMO_API_SECRET


class Seen:
    """Statuses and the highest used weight per server window, from every answer (thread-safe)."""

    def __init__(self, window_ms: int) -> None:
        self.window_ms = window_ms
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.served: dict[int, int] = {}
        self.calls = 0
        self.errors: Counter[str] = Counter()

    def response(self, response: httpx.Response) -> None:
        """An httpx response hook: count the status and the server's count of the answer's window."""
        used = response.headers.get("X-MBX-USED-WEIGHT-1M")
        date = response.headers.get("Date")
        with self.lock:
            self.statuses[response.status_code] += 1
            if used is not None and date is not None and response.status_code == 200:
                window = int(parsedate_to_datetime(date).timestamp() * 1000) // self.window_ms
                self.served[window] = max(self.served.get(window, 0), int(used))

    def outcome(self, error: BaseException | None) -> None:
        """One call made, and its error if any."""
        with self.lock:
            self.calls += 1
            if error is not None:
                self.errors[type(error).__name__] += 1


def _sync_worker(client: PapiClient, seen: Seen, deadline: float, index: int) -> None:
    """Balance, and every fourth call a snapshot, until the deadline."""
    turn = index
    while time.monotonic() < deadline:
        turn += 1
        error: BaseException | None = None
        try:
            client.account_snapshot() if turn % 4 == 0 else client.get_balance()
        except PapiError as exc:
            error = exc
        seen.outcome(error)
        if error is not None:
            time.sleep(0.01)  # a refused or banned client raises at once: do not spin


async def _async_tasks(options: dict[str, Any], seen: Seen, deadline: float, count: int) -> None:
    """`count` tasks of one async client, each like `_sync_worker`."""

    async def hook(response: httpx.Response) -> None:
        seen.response(response)

    async with async_signed_client(
        DEMO_API_KEY, DEMO_API_SECRET, httpx_args={"event_hooks": {"response": [hook]}}, **options
    ) as client:

        async def task(index: int) -> None:
            turn = index
            while time.monotonic() < deadline:
                turn += 1
                error: BaseException | None = None
                try:
                    await (client.account_snapshot() if turn % 4 == 0 else client.get_balance())
                except PapiError as exc:
                    error = exc
                seen.outcome(error)
                if error is not None:
                    await asyncio.sleep(0.01)

        await asyncio.gather(*(task(i) for i in range(count)))


def main() -> int:
    """Run the load for SECONDS, then print one JSON line of what was seen."""
    base_url, seconds, governor_on = sys.argv[1], float(sys.argv[2]), sys.argv[3] == "on"
    limit, window_s = int(sys.argv[4]), float(sys.argv[5])
    threads_count, tasks_count = int(sys.argv[6]), int(sys.argv[7])
    options: dict[str, Any] = {
        "base_url": base_url,
        "governor": GovernorConfig(limit=limit, window_s=window_s) if governor_on else None,
        "retry": RetryPolicy.disabled(),  # every 429 shows; nothing waits it out behind the scenes
    }
    seen = Seen(round(window_s * 1000))
    deadline = time.monotonic() + seconds
    with signed_client(
        DEMO_API_KEY, DEMO_API_SECRET, httpx_args={"event_hooks": {"response": [seen.response]}}, **options
    ) as client:
        threads = [
            threading.Thread(target=_sync_worker, args=(client, seen, deadline, i)) for i in range(threads_count)
        ]
        for thread in threads:
            thread.start()
        asyncio.run(_async_tasks(options, seen, deadline, tasks_count))
        for thread in threads:
            thread.join()
    result: dict[str, Any] = {
        "statuses": {str(k): v for k, v in seen.statuses.items()},
        "served": {str(k): v for k, v in seen.served.items()},
        "calls": seen.calls,
        "errors": dict(seen.errors),
    }
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
