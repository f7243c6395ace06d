"""One process of the memory scenario: N sequential calls with one client, then its own peak memory.

    python -m bench.memchild ours|floor CALLS     (BENCH_BASE_URL, BENCH_API_KEY, BENCH_API_SECRET set)

Each variant imports only what it needs (ours: `binance_papi` and the generated package, as a user
would; floor: httpx), so the peak is what that way of calling costs. The parent reads ru_maxrss with
wait4; this prints VmHWM (the peak RSS of this process image only) as a cross-check.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def _vm_hwm_kib() -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def main() -> int:
    """Make the calls, then print what this process's peak memory was."""
    variant, calls = sys.argv[1], int(sys.argv[2])
    url, key, secret = os.environ["BENCH_BASE_URL"], os.environ["BENCH_API_KEY"], os.environ["BENCH_API_SECRET"]
    last: object = None
    if variant == "ours":
        from binance_papi import GovernorConfig, signed_client
        from binance_papi_generated.api.account import get_balance

        # The governor on, with the simulator's lifted limit (it counts but never waits).
        with signed_client(key, secret, base_url=url, governor=GovernorConfig(limit=10**12)) as client:
            for _ in range(calls):
                last = get_balance.sync(client=client)
    elif variant == "floor":
        from ._floor import FloorClient

        floor = FloorClient(url, key, secret)
        try:
            for _ in range(calls):
                last = floor.call()
        finally:
            floor.close()
    else:
        raise SystemExit(f"unknown variant {variant!r}")
    if not isinstance(last, list) or not last:
        raise SystemExit(f"{variant}: no balances")
    sys.stdout.write(json.dumps({"variant": variant, "calls": calls, "vm_hwm_kib": _vm_hwm_kib()}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
