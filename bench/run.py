"""The benchmark: our client against hand-written floors, side by side, interleaved in rounds.

    python -m bench.run            full run (about a minute); exits 1 when a target is missed
    python -m bench.run --quick    a few seconds: proves every scenario runs; targets reported, not enforced

Processes: two simulators (`python -m binance_papi.simulator --large-assets 5`, and `--large-assets 1000`;
IP weight limit lifted; the accounts are `large_account(5)` and `large_account(1000)`) pinned to one CPU;
the client worker (`bench/worker.py`, every client under test kept open) and the short-lived import and
memory children pinned to another. This process only orchestrates, imports nothing but the standard
library, and stays small (see `_procs.py`).

Each round runs every scenario once. Within it, variants alternate at a fine grain (sync: block by block,
10 or 3 calls a block; async: batch by batch; imports and memory: process by process), and the order flips
every time, so drift or a burst of load on the machine hits all variants alike. A round's sample is the
median block or batch; the table gives the median over rounds, and ours / floor of those medians.
Results go to bench/results/latest.json (git-ignored), with every sample.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ._procs import PYTHON, ROOT, MachineLoad, Pinning, Simulator, Worker, measured_run, timed_run
from ._report import Results, passed, table
from ._runtime import ensure as runtime_python

SMALL, LARGE = 5, 1000
CONCURRENCY = 32
IMPORT_CODE = {
    "ours": "import binance_papi",
    "httpx": "import httpx",
}
ASYNC_VARIANTS = ("httpx", "httpx_aiohttp", "aiohttp", "ours")
BUSY = 0.05
"""Share of the CPUs used by other processes (or stolen) above which the run is reported as noisy."""


@dataclass(frozen=True)
class Config:
    """How much of each scenario a run does."""

    rounds: int
    sync_small_blocks: int
    sync_small_block_calls: int
    sync_large_blocks: int
    sync_large_block_calls: int
    async_batches: int
    async_calls: int
    async_httpx_calls: int
    """httpx's default async transport is an order of magnitude slower: fewer calls keep its batch short."""
    imports_per_round: int
    memory_calls: int
    memory_every: int
    """Measure memory every this many rounds (it hardly varies; each sample costs two processes)."""
    warmup: int


FULL = Config(
    rounds=20,
    sync_small_blocks=30,
    sync_small_block_calls=10,
    sync_large_blocks=10,
    sync_large_block_calls=3,
    async_batches=3,
    async_calls=600,
    async_httpx_calls=100,
    imports_per_round=1,
    memory_calls=500,
    memory_every=4,
    warmup=3,
)
QUICK = Config(
    rounds=2,
    sync_small_blocks=4,
    sync_small_block_calls=5,
    sync_large_blocks=2,
    sync_large_block_calls=1,
    async_batches=1,
    async_calls=128,
    async_httpx_calls=64,
    imports_per_round=1,
    memory_calls=50,
    memory_every=2,
    warmup=1,
)


def _ordered(variants: tuple[str, ...], round_index: int) -> tuple[str, ...]:
    return variants if round_index % 2 == 0 else variants[::-1]


class Bench:
    """One benchmark run: every scenario once per round; samples and notes collected in `results`."""

    def __init__(self, config: Config, worker: Worker, simulators: dict[int, Simulator], import_python: Path) -> None:
        self.config = config
        self.import_python = str(import_python)
        """The interpreter of the import scenario: a venv with the runtime dependencies only (`_runtime.py`)."""
        self.worker = worker
        self.results = Results()
        credentials = worker.hello["credentials"][str(SMALL)]
        self.memory_env = {
            "BENCH_BASE_URL": simulators[SMALL].base_url,
            "BENCH_API_KEY": credentials["api_key"],
            "BENCH_API_SECRET": credentials["api_secret"],
        }

    def _note_simulator(self, scenario: str, answer: dict[str, Any]) -> None:
        for variant, share in answer["simulator_cpu_share"].items():
            self.results.note(scenario, "simulator CPU share", variant, share)

    def sync(self, scenario: str, assets: int, blocks: int, block_calls: int, round_index: int) -> None:
        """Sequential calls in blocks, floor and ours interleaved; per round: the median block, per call."""
        command = {
            "op": "sync",
            "assets": assets,
            "variants": list(_ordered(("floor", "ours"), round_index)),
            "blocks": blocks,
            "block_calls": block_calls,
            "warmup": self.config.warmup,
        }
        answer = self.worker.ask(command)
        for variant, walls in answer["wall"].items():
            self.results.add(scenario, variant, statistics.median(walls) / block_calls * 1e6)
            cpu = statistics.median(answer["cpu"][variant]) / block_calls * 1e6
            self.results.note(scenario, "client CPU per call", variant, cpu)
        self._note_simulator(scenario, answer)

    def asynchronous(self, round_index: int) -> None:
        """32 calls in flight, the four variants interleaved batch by batch; per round: the median batch."""
        config = self.config
        calls = {v: config.async_httpx_calls if v == "httpx" else config.async_calls for v in ASYNC_VARIANTS}
        command = {
            "op": "async",
            "assets": SMALL,
            "variants": list(_ordered(ASYNC_VARIANTS, round_index)),
            "batches": config.async_batches,
            "calls": calls,
            "concurrency": CONCURRENCY,
            "warmup": CONCURRENCY,
        }
        answer = self.worker.ask(command)
        for variant, walls in answer["wall"].items():
            self.results.add("async_32", variant, statistics.median(calls[variant] / wall for wall in walls))
        self._note_simulator("async_32", answer)

    def imports(self, round_index: int) -> None:
        """Cold starts: `python -c CODE` from spawn to exit, ours and httpx alternating, in the runtime venv."""
        for _ in range(self.config.imports_per_round):
            for variant in _ordered(("httpx", "ours"), round_index):
                seconds = timed_run([self.import_python, "-c", IMPORT_CODE[variant]])
                self.results.add("import", variant, seconds * 1000)

    def memory(self, round_index: int) -> None:
        """One process per variant making N sequential calls; its ru_maxrss (and VmHWM as a cross-check)."""
        for variant in _ordered(("floor", "ours"), round_index):
            argv = [PYTHON, "-m", "bench.memchild", variant, str(self.config.memory_calls)]
            child, maxrss_kib = measured_run(argv, self.memory_env)
            self.results.add("memory", variant, maxrss_kib / 1024)
            if child.get("vm_hwm_kib") is not None:
                self.results.note("memory", "VmHWM / ru_maxrss", variant, child["vm_hwm_kib"] / maxrss_kib)

    def run(self) -> None:
        """Every round runs every scenario once."""
        config = self.config
        for code in IMPORT_CODE.values():  # untimed: byte-code caches and the page cache warm for both
            timed_run([self.import_python, "-c", code])
        for index in range(config.rounds):
            started = time.perf_counter()
            self.sync("sync_5", SMALL, config.sync_small_blocks, config.sync_small_block_calls, index)
            self.sync("sync_1000", LARGE, config.sync_large_blocks, config.sync_large_block_calls, index)
            self.asynchronous(index)
            self.imports(index)
            if index % config.memory_every == 0:
                self.memory(index)
            print(f"round {index + 1}/{config.rounds} done in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def _git_revision() -> str | None:
    """The commit measured, "+dirty" when the work tree has changes."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        head = subprocess.run(
            [git, "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
        )
        dirty = subprocess.run(
            [git, "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds, targets not enforced (CI)")
    parser.add_argument("--rounds", type=int, help="rounds (default 15, quick 2)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin simulator and client to separate CPUs")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "latest.json", help="JSON results")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark: 0 when every target is met (or in quick mode), 1 when one is missed, 2 on an error."""
    args = _parser().parse_args(argv)
    try:
        return _main(args)
    except (OSError, RuntimeError, TimeoutError, EOFError, subprocess.SubprocessError) as exc:
        print(f"bench: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


def _main(args: argparse.Namespace) -> int:
    config = QUICK if args.quick else FULL
    if args.rounds is not None:
        config = Config(**{**asdict(config), "rounds": max(1, args.rounds)})
    pinning = Pinning.choose(not args.no_pin)
    import_python = runtime_python()
    started = time.time()
    load = MachineLoad()
    simulators: dict[int, Simulator] = {}
    pinning.enter(pinning.simulator)  # children inherit the affinity of the process that spawns them
    try:
        for assets in (SMALL, LARGE):
            simulators[assets] = Simulator.start(assets)
        pinning.enter(pinning.client)
        described = {
            str(n): {"url": sim.base_url, "pid": sim.proc.pid, "async": n == SMALL} for n, sim in simulators.items()
        }
        worker = Worker.start({"BENCH_SIMULATORS": json.dumps(described)})
        try:
            bench = Bench(config, worker, simulators, import_python)
            bench.run()
        finally:
            worker.stop()
    finally:
        for simulator in simulators.values():
            simulator.stop()
    machine = load.summary()
    evaluated = bench.results.evaluate()
    enforced = not args.quick
    ok = passed(evaluated)
    record = {
        "mode": "quick" if args.quick else "full",
        "targets_enforced": enforced,
        "passed": ok,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "duration_s": round(time.time() - started, 1),
        "git": _git_revision(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "pinning": pinning.describe(),
        "machine_load": machine,
        "simulators": {str(n): f"--large-assets {n} --weight-limit (unlimited)" for n in simulators},
        "config": asdict(config)
        | {"concurrency": CONCURRENCY, "import_code": IMPORT_CODE, "import_python": str(import_python)},
        "scenarios": evaluated,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=2) + "\n")
    print(table(evaluated, enforced))
    print(
        f"\n{record['mode']} run: {config.rounds} rounds in {record['duration_s']} s; N = {config.memory_calls} calls;"
        f" CPUs pinned {record['pinning']}; results in {args.output}"
    )
    if machine is not None and machine["others"] + machine["steal"] > BUSY:
        print(
            f"WARNING: the machine was busy: other processes used {machine['others']:.0%} and the hypervisor stole"
            f" {machine['steal']:.0%} of the CPUs during the run; expect noisy numbers (run again when quiet)",
            file=sys.stderr,
        )
    if enforced and not ok:
        print("FAIL: a target was missed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
