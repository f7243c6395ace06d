"""The client process: holds every client under test and runs timed, interleaved batches on command.

Protocol: one JSON object per line. Started with BENCH_SIMULATORS={"<name>": {"url": ..., "pid": ...}, ...}
in the environment (names as in `_cases.SIMULATORS`), it builds the clients of every sync case of
`_cases.CASES` and the async ones, checks that ours and the floor return the same body (the whole account),
and answers `{"ready": true, "credentials": {...}}`. Then:

    {"op": "sync", "case": "sync_5", "variants": ["floor", "ours"], "blocks": B, "block_calls": K, "warmup": W}
    {"op": "async", "variants": [...], "batches": B, "calls": {"ours": N, ...}, "concurrency": 32, "warmup": W}
    {"op": "snapshot", "mode": "sync", "variants": ["balance", "ours", ...], "blocks": B, "block_calls": K,
     "warmup": W}
    {"op": "quit"}

and answers `{"wall": {variant: [seconds per block or batch]}, "cpu": {...}, "simulator_cpu_share": {...}}`
(or `{"error": "..."}`). Variants alternate block by block, so a burst of load elsewhere on the machine
hits them alike. Every client stays open between commands, as in an application.

Scenario 8 (`snapshot`, mode "sync" or "async"): "ours" is `client.account_snapshot()`, "balance" one
`client.get_balance()` on the same client, both with the simulated round trip of `_cases.SNAPSHOT_ROUND_TRIP`;
"ours_0ms" and "balance_0ms" the same on a client without it. Async blocks are sequential awaits.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import AsyncExitStack, ExitStack
from typing import Any, TypeVar

import aiohttp
import httpx

from binance_papi import GovernorConfig, PapiClient, async_signed_client, signed_client
from binance_papi._aiohttp import AiohttpTransport
from binance_papi.simulator import DEMO_API_KEY, DEMO_API_SECRET, FAULT_HEADER, large_account
from binance_papi_generated.api.account import get_balance
from binance_papi_generated.client import OPERATIONS

from ._cases import CASES, SIMULATORS, SNAPSHOT_MODES, SNAPSHOT_ROUND_TRIP, SNAPSHOT_SIMULATOR, Case
from ._floor import API_KEY_HEADER, FloorClient, check, signed_path

AsyncCall = Callable[[], Coroutine[Any, Any, object]]
C = TypeVar("C")
SNAPSHOT_CLIENTS = {"": {FAULT_HEADER: SNAPSHOT_ROUND_TRIP}, "_0ms": {}}
"""Scenario 8's clients: variant suffix -> extra headers (with the simulated round trip, without)."""


def _wire(result: Any) -> Any:  # noqa: ANN401  (models or JSON in, JSON out)
    """A result as JSON: models through `to_dict()`, what `json.loads` gave as it is."""
    if isinstance(result, list):
        return [_wire(item) for item in result]
    to_dict = getattr(result, "to_dict", None)
    return result if to_dict is None else to_dict()


def _expect(case: str, result: object, floor: object) -> None:
    """`result` (ours, or another hand-written variant) is the body the floor got, with the whole account."""
    wire = _wire(result)
    if wire != floor:
        raise RuntimeError(f"{case}: the body differs from the floor's ({type(result).__name__})")
    spec = SIMULATORS[CASES[case].simulator]
    if CASES[case].operation == "get_balance" and len(wire) != spec.assets:
        raise RuntimeError(f"{case}: expected {spec.assets} balances, got {len(wire)}")
    if case.startswith("large_"):
        positions = wire if isinstance(wire, list) else wire["positions"]
        if len(positions) != spec.positions:
            raise RuntimeError(f"{case}: expected {spec.positions} positions, got {len(positions)}")


BENCH_GOVERNOR = GovernorConfig(limit=10**12)
"""The weight governor on, as by default, with the simulators' lifted limit: it counts but never waits."""


class Clients:
    """Every client: sync per case (ours and the floor), async on the simulator that serves them."""

    def __init__(self, simulators: dict[str, dict[str, Any]], stack: ExitStack) -> None:
        self.urls: dict[str, str] = {name: sim["url"] for name, sim in simulators.items()}
        self.pids: dict[str, int] = {name: sim["pid"] for name, sim in simulators.items()}
        # Only the key and secret are kept: the account objects (and their serialized bodies) would be dead weight
        # in this process's heap, which every garbage collection traverses.
        self.credentials = {name: _credentials(name) for name in simulators}
        self.sync: dict[tuple[str, str], Callable[[], object]] = {}
        self.asynchronous: dict[str, AsyncCall] = {}
        self.snapshot_sync: dict[str, Callable[[], object]] = {}
        self.snapshot_async: dict[str, AsyncCall] = {}
        ours_clients: dict[tuple[str, bool], PapiClient] = {}
        for case_name, case in CASES.items():
            url = self.urls[case.simulator]
            api_key, api_secret = (DEMO_API_KEY, DEMO_API_SECRET) if case.demo else self.credentials[case.simulator]
            ours = ours_clients.get((case.simulator, case.demo))
            if ours is None:
                ours = stack.enter_context(signed_client(api_key, api_secret, base_url=url, governor=BENCH_GOVERNOR))
                ours_clients[case.simulator, case.demo] = ours
                if case_name == "sync_5":  # the same calls with the weight governor off: its overhead
                    plain = stack.enter_context(signed_client(api_key, api_secret, base_url=url, governor=None))
                    self.sync[case_name, "nogov"] = _sync_ours(plain, case)
            floor = FloorClient(url, api_key, api_secret, OPERATIONS[case.operation].path)
            stack.callback(floor.close)
            self.sync[case_name, "ours"] = _sync_ours(ours, case)
            self.sync[case_name, "floor"] = floor.call
        url = self.urls[SNAPSHOT_SIMULATOR]
        for suffix, headers in SNAPSHOT_CLIENTS.items():
            client = stack.enter_context(
                signed_client(DEMO_API_KEY, DEMO_API_SECRET, base_url=url, headers=headers, governor=BENCH_GOVERNOR)
            )
            self.snapshot_sync["balance" + suffix] = client.get_balance
            self.snapshot_sync["ours" + suffix] = client.account_snapshot

    async def open_async(self, stack: AsyncExitStack) -> None:
        """Async clients need the running loop (aiohttp sessions bind to it)."""
        [name] = [name for name, spec in SIMULATORS.items() if spec.serves_async]
        url, (key, api_secret) = self.urls[name], self.credentials[name]
        self.async_pid = self.pids[name]
        secret = api_secret.encode("utf-8")
        ours = await stack.enter_async_context(signed_client(key, api_secret, base_url=url, governor=BENCH_GOVERNOR))
        plain = await stack.enter_async_context(httpx.AsyncClient(base_url=url, headers={API_KEY_HEADER: key}))
        over_aiohttp = await stack.enter_async_context(
            httpx.AsyncClient(base_url=url, headers={API_KEY_HEADER: key}, transport=AiohttpTransport())
        )
        session = await stack.enter_async_context(
            aiohttp.ClientSession(headers={API_KEY_HEADER: key}, timeout=aiohttp.ClientTimeout(total=30))
        )
        self.asynchronous["ours"] = _async_ours(ours)
        self.asynchronous["httpx"] = _async_httpx(plain, secret)
        self.asynchronous["httpx_aiohttp"] = _async_httpx(over_aiohttp, secret)
        self.asynchronous["aiohttp"] = _async_aiohttp(session, url, secret)
        snapshot_url = self.urls[SNAPSHOT_SIMULATOR]
        for suffix, headers in SNAPSHOT_CLIENTS.items():
            client = await stack.enter_async_context(
                async_signed_client(
                    DEMO_API_KEY, DEMO_API_SECRET, base_url=snapshot_url, headers=headers, governor=BENCH_GOVERNOR
                )
            )
            self.snapshot_async["balance" + suffix] = client.get_balance
            self.snapshot_async["ours" + suffix] = client.account_snapshot


def _credentials(simulator: str) -> tuple[str, str]:
    spec = SIMULATORS[simulator]
    account = large_account(spec.assets, positions=spec.positions)  # the simulator derives the same key and secret
    return account.api_key, account.api_secret


def _sync_ours(client: PapiClient, case: Case) -> Callable[[], object]:
    if case.operation == "get_balance":  # scenarios 1 and 2: the generated module, as before

        def call() -> object:
            return get_balance.sync(client=client)

        return call
    method: Callable[[], object] = getattr(client, case.operation)  # the public method, as a user calls it
    return method


def _async_ours(client: PapiClient) -> AsyncCall:
    async def call() -> object:
        return await get_balance.asyncio(client=client)

    return call


def _async_httpx(client: httpx.AsyncClient, secret: bytes) -> AsyncCall:
    async def call() -> object:
        response = await client.get(signed_path(secret))
        return check(response.status_code, response.content)

    return call


def _async_aiohttp(session: aiohttp.ClientSession, base_url: str, secret: bytes) -> AsyncCall:
    async def call() -> object:
        async with session.get(base_url + signed_path(secret)) as response:
            return check(response.status, await response.read())

    return call


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far (Linux /proc; 0 elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:  # noqa: PTH123  (hot path: one small read)
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Timings:
    """Per variant: wall seconds and client CPU seconds of each timed batch, and the simulator's CPU share."""

    def __init__(self, simulator_pid: int) -> None:
        self.simulator_pid = simulator_pid
        self.wall: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}
        self.sim_cpu: dict[str, float] = {}
        self.sim_wall: dict[str, float] = {}

    def start(self) -> tuple[float, float, float]:
        """The clocks at the start of a batch: wall, this process's CPU, the simulator's CPU."""
        return time.perf_counter(), time.process_time(), _cpu_seconds(self.simulator_pid)

    def stop(self, variant: str, started: tuple[float, float, float]) -> None:
        """Record the batch that began at `started`."""
        wall, cpu, sim = (
            time.perf_counter() - started[0],
            time.process_time() - started[1],
            _cpu_seconds(self.simulator_pid) - started[2],
        )
        self.wall.setdefault(variant, []).append(wall)
        self.cpu.setdefault(variant, []).append(cpu)
        self.sim_cpu[variant] = self.sim_cpu.get(variant, 0.0) + sim
        self.sim_wall[variant] = self.sim_wall.get(variant, 0.0) + wall

    def answer(self) -> dict[str, Any]:
        """The reply to the orchestrator."""
        share = {v: self.sim_cpu[v] / self.sim_wall[v] for v in self.sim_wall if self.sim_wall[v] > 0}
        return {"wall": self.wall, "cpu": self.cpu, "simulator_cpu_share": share}


def _order(variants: list[str], index: int) -> list[str]:
    """Alternate the order from one block to the next, so neither variant always goes first."""
    return variants if index % 2 == 0 else variants[::-1]


def _blocks(calls: dict[str, C], command: dict[str, Any]) -> Iterator[tuple[str, C]]:
    """After a garbage collection, `blocks` blocks per variant, interleaved: (variant, its call) per block."""
    gc.collect()
    for index in range(command["blocks"]):
        for variant in _order(list(calls), index):
            yield variant, calls[variant]


def run_sync(calls: dict[str, Callable[[], object]], command: dict[str, Any], timings: Timings) -> None:
    """`blocks` blocks per variant, interleaved; each block is `block_calls` sequential calls, timed as one."""
    for call in calls.values():
        for _ in range(command["warmup"]):
            call()
    block_calls = command["block_calls"]
    for variant, call in _blocks(calls, command):
        started = timings.start()
        for _ in range(block_calls):
            call()
        timings.stop(variant, started)


async def run_async_blocks(calls: dict[str, AsyncCall], command: dict[str, Any], timings: Timings) -> None:
    """`run_sync` for coroutines: each block is `block_calls` calls awaited one after the other."""
    for call in calls.values():
        for _ in range(command["warmup"]):
            await call()
    block_calls = command["block_calls"]
    for variant, call in _blocks(calls, command):
        started = timings.start()
        for _ in range(block_calls):
            await call()
        timings.stop(variant, started)


async def _lanes(call: AsyncCall, calls: int, concurrency: int) -> None:
    remaining = calls

    async def lane() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    await asyncio.gather(*(lane() for _ in range(concurrency)))


async def run_async(calls: dict[str, AsyncCall], command: dict[str, Any], timings: Timings) -> None:
    """`batches` batches per variant, interleaved; a batch is `calls[variant]` calls, `concurrency` in flight."""
    concurrency = command["concurrency"]
    for index in range(command["batches"]):
        for variant in _order(list(calls), index):
            await _lanes(calls[variant], command["warmup"], concurrency)  # every pooled connection open
            gc.collect()
            started = timings.start()
            await _lanes(calls[variant], command["calls"][variant], concurrency)
            timings.stop(variant, started)


def _check_snapshots(clients: Clients, runner: asyncio.Runner) -> None:
    """Scenario 8: every snapshot holds the balances its client's `get_balance()` returns."""
    for mode in SNAPSHOT_MODES:
        for suffix in SNAPSHOT_CLIENTS:
            if mode == "sync":
                balances, snapshot = (
                    clients.snapshot_sync["balance" + suffix](),
                    clients.snapshot_sync["ours" + suffix](),
                )
            else:
                balances = runner.run(clients.snapshot_async["balance" + suffix]())
                snapshot = runner.run(clients.snapshot_async["ours" + suffix]())
            if _wire(getattr(snapshot, "balances", None)) != _wire(balances) or not balances:
                raise RuntimeError(f"snapshot_{mode}{suffix}: the snapshot's balances differ from get_balance()")


def _reply(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _serve(clients: Clients, runner: asyncio.Runner) -> None:
    for line in sys.stdin:  # one command per line, until "quit" or the pipe closes
        command: dict[str, Any] = json.loads(line)
        op = command["op"]
        if op == "quit":
            return
        try:
            if op == "sync":
                case = command["case"]
                timings = Timings(clients.pids[CASES[case].simulator])
                run_sync({v: clients.sync[case, v] for v in command["variants"]}, command, timings)
            elif op == "snapshot":
                timings = Timings(clients.pids[SNAPSHOT_SIMULATOR])
                if command["mode"] == "sync":
                    run_sync({v: clients.snapshot_sync[v] for v in command["variants"]}, command, timings)
                else:
                    snapshot_calls = {v: clients.snapshot_async[v] for v in command["variants"]}
                    runner.run(run_async_blocks(snapshot_calls, command, timings))
            else:
                timings = Timings(clients.async_pid)
                calls = {v: clients.asynchronous[v] for v in command["variants"]}
                runner.run(run_async(calls, command, timings))
        except Exception as exc:  # noqa: BLE001  (reported to the orchestrator, which stops the run)
            _reply({"error": f"{op}: {type(exc).__name__}: {exc}"})
        else:
            _reply(timings.answer())


def main() -> int:
    """Build the clients, say ready, serve commands until "quit"."""
    simulators: dict[str, dict[str, Any]] = json.loads(os.environ["BENCH_SIMULATORS"])
    with ExitStack() as stack, asyncio.Runner() as runner:
        async_stack = AsyncExitStack()
        try:
            clients = Clients(simulators, stack)
            runner.run(clients.open_async(async_stack))
            for case in CASES:
                _expect(case, clients.sync[case, "ours"](), clients.sync[case, "floor"]())
            floor_body = clients.sync["sync_5", "floor"]()  # the async scenario's account
            for async_call in clients.asynchronous.values():
                _expect("sync_5", runner.run(async_call()), floor_body)
            _check_snapshots(clients, runner)
        except Exception as exc:  # noqa: BLE001
            _reply({"error": f"setup: {type(exc).__name__}: {exc}"})
            return 1
        credentials = {
            name: {"api_key": key, "api_secret": secret} for name, (key, secret) in clients.credentials.items()
        }
        _reply({"ready": True, "credentials": credentials, "python": sys.version.split()[0]})
        try:
            _serve(clients, runner)
        finally:
            runner.run(async_stack.aclose())
    return 0


if __name__ == "__main__":
    sys.exit(main())
