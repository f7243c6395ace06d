"""Where the time goes: the client's per-call path, and what an import loads.

    python -m bench.profile calls [--assets 5] [--async] [--calls 2000] [--top 30] [--base-url URL]
    python -m bench.profile import [--top 25]

`calls` serves the simulator's account body from an in-process `httpx.MockTransport` to both our client
and the hand-written floor, so what differs between them is only client-side work: it prints the CPU time
per call of each, then a cProfile of ours (by own time). With `--base-url` it calls a running simulator
instead (async: the floor then runs on the same aiohttp transport as ours). `import` runs
`python -X importtime` on what a user imports and on `import httpx`, and lists the modules only ours loads.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from binance_papi import GovernorConfig, signed_client
from binance_papi._aiohttp import AiohttpTransport
from binance_papi.simulator import large_account
from binance_papi_generated.api.account import get_balance

from ._floor import API_KEY_HEADER, check, signed_path
from ._procs import PYTHON, ROOT, child_env

BASE_URL = "http://simulator.invalid"
IMPORTS = {
    "ours": "import binance_papi; from binance_papi_generated.api.account import get_balance",
    "httpx": "import httpx",
}


def _transport(body: bytes) -> httpx.MockTransport:
    headers = {"Content-Type": "application/json;charset=UTF-8", "X-MBX-USED-WEIGHT-1M": "20"}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers=headers, request=request)

    return httpx.MockTransport(handler)


def _per_call(call: Callable[[], object], calls: int) -> float:
    """Best of five: CPU seconds per call."""
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        for _ in range(calls):
            call()
        best = min(best, (time.process_time() - started) / calls)
    return best


def _profile(call: Callable[[], object], calls: int, top: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        call()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def profile_calls(assets: int, calls: int, use_async: bool, top: int, base_url: str | None) -> None:
    """CPU per call of the floor and of ours over the same transport, then ours under cProfile.

    Without `base_url`, an in-process MockTransport; with it, a running simulator serving `--large-assets N`.
    """
    account = large_account(assets)
    secret = account.api_secret.encode("utf-8")
    headers = {API_KEY_HEADER: account.api_key}
    if base_url is None:
        base_url, transport = BASE_URL, _transport(account.list_body)
        ours = signed_client(
            account.api_key, account.api_secret, base_url=base_url, httpx_args={"transport": transport}
        )
        plain_args: dict[str, Any] = {"transport": transport}
    else:
        unlimited = GovernorConfig(limit=10**12)  # the simulator's limit is lifted
        ours = signed_client(account.api_key, account.api_secret, base_url=base_url, governor=unlimited)
        plain_args = {}
    if use_async:
        loop = asyncio.new_event_loop()
        if base_url != BASE_URL:
            plain_args["transport"] = AiohttpTransport()
        plain = httpx.AsyncClient(base_url=base_url, headers=headers, **plain_args)

        def drive(make: Callable[[], Awaitable[object]]) -> Callable[[], object]:
            return lambda: loop.run_until_complete(make())

        async def floor_async() -> object:
            response = await plain.get(signed_path(secret))
            return check(response.status_code, response.content)

        floor, mine = drive(floor_async), drive(lambda: get_balance.asyncio(client=ours))
    else:
        client = httpx.Client(base_url=base_url, headers=headers, **plain_args)

        def floor() -> object:
            response = client.get(signed_path(secret))
            return check(response.status_code, response.content)

        def mine() -> object:
            return get_balance.sync(client=ours)

    for call in (floor, mine):
        call()
    floor_s, ours_s = _per_call(floor, calls), _per_call(mine, calls)
    kind = "async (one call at a time)" if use_async else "sync"
    where = "MockTransport (no network)" if base_url == BASE_URL else base_url
    print(f"{kind}, {assets} assets, {where}, CPU per call:")
    print(f"  floor {floor_s * 1e6:8.1f} us\n  ours  {ours_s * 1e6:8.1f} us  (+{(ours_s - floor_s) * 1e6:.1f} us)\n")
    _profile(mine, calls, top)


def _import_times(code: str) -> dict[str, tuple[int, int, int]]:
    """Module -> (self us, cumulative us, nesting depth), from `python -X importtime` (second run: caches warm)."""
    times: dict[str, tuple[int, int, int]] = {}
    for _ in range(2):
        result = subprocess.run(
            [PYTHON, "-X", "importtime", "-c", code],
            cwd=ROOT,
            env=child_env(),
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        times = {}
        for line in result.stderr.splitlines():
            if line.startswith("import time:") and "cumulative" not in line:
                own, cumulative, name = line.removeprefix("import time:").split("|")
                depth = (len(name) - len(name.lstrip()) - 1) // 2
                times[name.strip()] = (int(own), int(cumulative), depth)
    return times


def profile_import(top: int) -> None:
    """Import times: ours against `import httpx`, and the modules only ours loads (by own time)."""
    ours, plain = _import_times(IMPORTS["ours"]), _import_times(IMPORTS["httpx"])
    for name, times in (("ours", ours), ("httpx", plain)):
        total = sum(cumulative for _, cumulative, depth in times.values() if depth == 0)
        print(f"{name:6s} imports {len(times):4d} modules in {total / 1000:6.1f} ms (-X importtime, top-level sum)")
    extra = sorted(((t[0], t[1], m) for m, t in ours.items() if m not in plain), reverse=True)
    print(f"{len(extra)} modules only ours imports, {sum(t[0] for t in extra) / 1000:.1f} ms of own time; top {top}:")
    for own, cumulative, module in extra[:top]:
        print(f"  {own / 1000:7.2f} ms own  {cumulative / 1000:7.2f} ms cumulative  {module}")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry."""
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("calls", "import"))
    parser.add_argument("--assets", type=int, default=5)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--async", dest="use_async", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--base-url", help="a running simulator (python -m binance_papi.simulator --large-assets N)")
    args = parser.parse_args(argv)
    if args.what == "calls":
        profile_calls(args.assets, args.calls, args.use_async, args.top, args.base_url)
    else:
        profile_import(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
