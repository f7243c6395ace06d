"""The benchmark: our client against hand-written floors, side by side, interleaved in rounds.

    python -m bench.run            full run (a few minutes); exits 1 when a target is missed
    python -m bench.run --quick    a few seconds: proves every scenario runs; targets reported, not enforced

Processes: three simulators (`python -m binance_papi.simulator --large-assets 5`, `--large-assets 1000`
and `--large-assets 20 --positions 300`, see `_cases.py`; IP weight limit lifted; each also serves the demo
account) pinned to one CPU; the client worker (`bench/worker.py`, every client under test kept open) and
the short-lived import and memory children pinned to another. This process only orchestrates, imports
nothing but the standard library, and stays small (see `_procs.py`).

Each round runs every scenario once. Within it, variants alternate at a fine grain (sync: block by block,
10 calls a block, 3 for large bodies; async: batch by batch; imports and memory: process by process), and
the order flips every time, so drift or a burst of load on the machine hits all variants alike. A round's
sample is the median block or batch; the table gives the median over rounds, and ours / floor of those
medians (scenario 4b: ours - balance-only, in ms). Scenario 8 times `account_snapshot()` against one
`get_balance()` on the same client (sync and async; blocks of 3 sequential calls), with a simulated round trip
(`_cases.SNAPSHOT_ROUND_TRIP`) and, as notes, without one.
Results go to bench/results/latest.json (git-ignored), with every sample.
"""

from __future__ import annotations

import argparse
import hashlib
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

from ._cases import CASES, SIMULATORS, SNAPSHOT_MODES, SNAPSHOT_ROUND_TRIP
from ._procs import PYTHON, ROOT, MachineLoad, Pinning, Simulator, Worker, child_env, measured_run, timed_run
from ._report import Results, load_table, load_verdicts, passed, table
from ._runtime import ensure as runtime_python

CONCURRENCY = 32
IMPORT_CODE = {
    "ours": "import binance_papi",
    "httpx": "import httpx",
}
FAMILY_CODE = (
    "import time\n"
    "started = time.perf_counter()\n"
    "import binance_papi\n"
    "elapsed = time.perf_counter() - started\n"
    "import json, binance_papi_generated.client as generated\n"
    "print(json.dumps({'ms': elapsed * 1000, 'operations': len(generated.OPERATIONS)}))"
)
"""Scenario 4b: the time of `import binance_papi` itself, measured in the child (interpreter start-up aside)."""
CACHE = ROOT / ".bench-cache"
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
    family_imports_per_round: int
    snapshot_blocks: int
    snapshot_block_calls: int
    memory_calls: int
    memory_every: int
    """Measure memory every this many rounds (it hardly varies; each sample costs two processes)."""
    warmup: int
    load_seconds: float
    """Scenario 9 (weight governor under load): seconds per variant, in windows of LOAD_WINDOW_S."""


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
    family_imports_per_round=3,
    snapshot_blocks=6,
    snapshot_block_calls=3,
    memory_calls=500,
    memory_every=4,
    warmup=3,
    load_seconds=8.0,
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
    family_imports_per_round=1,
    snapshot_blocks=2,
    snapshot_block_calls=1,
    memory_calls=50,
    memory_every=2,
    warmup=1,
    load_seconds=3.0,
)


def _ordered(variants: tuple[str, ...], round_index: int) -> tuple[str, ...]:
    return variants if round_index % 2 == 0 else variants[::-1]


class Bench:
    """One benchmark run: every scenario once per round; samples and notes collected in `results`."""

    def __init__(
        self, config: Config, worker: Worker, simulators: dict[str, Simulator], import_python: Path, balance_only: Path
    ) -> None:
        self.config = config
        self.import_python = str(import_python)
        """The interpreter of the import scenarios: a venv with the runtime dependencies only (`_runtime.py`)."""
        self.balance_only = str(balance_only)
        """The folder holding the balance-only `binance_papi_generated` (scenario 4b)."""
        self.worker = worker
        self.results = Results()
        credentials = worker.hello["credentials"]["5"]
        self.memory_env = {
            "BENCH_BASE_URL": simulators["5"].base_url,
            "BENCH_API_KEY": credentials["api_key"],
            "BENCH_API_SECRET": credentials["api_secret"],
        }

    def _note_simulator(self, scenario: str, answer: dict[str, Any]) -> None:
        for variant, share in answer["simulator_cpu_share"].items():
            self.results.note(scenario, "simulator CPU share", variant, share)

    def sync(self, scenario: str, round_index: int) -> None:
        """Sequential calls in blocks, floor and ours interleaved; per round: the median block, per call."""
        config = self.config
        if CASES[scenario].large:
            blocks, block_calls = config.sync_large_blocks, config.sync_large_block_calls
        else:
            blocks, block_calls = config.sync_small_blocks, config.sync_small_block_calls
        variants = ("floor", "nogov", "ours") if scenario == "sync_5" else ("floor", "ours")
        command = {
            "op": "sync",
            "case": scenario,
            "variants": list(_ordered(variants, round_index)),
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

    def snapshot(self, mode: str, round_index: int) -> None:
        """Scenario 8: `account_snapshot()` and one `get_balance()` on the same client, block by block.

        With the simulated round trip (`_cases.SNAPSHOT_ROUND_TRIP`), the samples; without it, notes.
        """
        scenario = f"snapshot_{mode}"
        command = {
            "op": "snapshot",
            "mode": mode,
            "variants": list(_ordered(("balance", "ours", "balance_0ms", "ours_0ms"), round_index)),
            "blocks": self.config.snapshot_blocks,
            "block_calls": self.config.snapshot_block_calls,
            "warmup": self.config.warmup,
        }
        answer = self.worker.ask(command)
        per_call = {
            variant: statistics.median(walls) / self.config.snapshot_block_calls * 1e6
            for variant, walls in answer["wall"].items()
        }
        for variant in ("balance", "ours"):
            self.results.add(scenario, variant, per_call[variant])
            self.results.note(scenario, "no round trip", variant, per_call[f"{variant}_0ms"])
            cpu = statistics.median(answer["cpu"][variant]) / self.config.snapshot_block_calls * 1e6
            self.results.note(scenario, "client CPU per call", variant, cpu)
        ratio = per_call["ours_0ms"] / per_call["balance_0ms"]
        self.results.note(scenario, "no round trip, ours / balance", "ratio", ratio)
        self._note_simulator(scenario, answer)

    def imports(self, round_index: int) -> None:
        """Cold starts: `python -c CODE` from spawn to exit, ours and httpx alternating, in the runtime venv."""
        for _ in range(self.config.imports_per_round):
            for variant in _ordered(("httpx", "ours"), round_index):
                seconds = timed_run([self.import_python, "-c", IMPORT_CODE[variant]])
                self.results.add("import", variant, seconds * 1000)

    def _family_import(self, variant: str) -> float:
        """One cold `import binance_papi` (ms), with the balance-only package or the whole family on the path."""
        env = {"PYTHONPATH": self.balance_only if variant == "balance" else ""}
        child, _ = measured_run([self.import_python, "-c", FAMILY_CODE], env)
        operations = child["operations"]
        if (operations == 1) != (variant == "balance"):
            raise RuntimeError(f"import scenario 4b: {variant} imported a client of {operations} operations")
        ms: float = child["ms"]
        return ms

    def family_imports(self, round_index: int) -> None:
        """Scenario 4b: the import itself, balance-only package against the whole family, alternating."""
        for _ in range(self.config.family_imports_per_round):
            for variant in _ordered(("balance", "ours"), round_index):
                self.results.add("import_family", variant, self._family_import(variant))

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
        for variant in ("balance", "ours"):
            self._family_import(variant)
        for index in range(config.rounds):
            started = time.perf_counter()
            for scenario in CASES:
                self.sync(scenario, index)
            self.asynchronous(index)
            for mode in _ordered(SNAPSHOT_MODES, index):
                self.snapshot(mode, index)
            self.imports(index)
            self.family_imports(index)
            if index % config.memory_every == 0:
                self.memory(index)
            print(f"round {index + 1}/{config.rounds} done in {time.perf_counter() - started:.1f} s", file=sys.stderr)


LOAD_LIMIT = 3000
LOAD_WINDOW_S = 1.0
LOAD_PROCESSES = 2
LOAD_THREADS = 4
LOAD_TASKS = 24


def load_scenario(seconds: float, pinning: Pinning) -> dict[str, Any]:
    """Scenario 9: two processes on one IP (`bench.load`), governor on then off, each against a fresh simulator.

    The simulator's limit is LOAD_LIMIT per LOAD_WINDOW_S (windows of its clock, as Binance's minutes); the
    weight served in a window is the highest X-MBX-USED-WEIGHT-1M any process saw in it. Full windows are
    those between the first and the last one seen (the first and last are partly outside the run).
    """
    out: dict[str, Any] = {
        "limit": LOAD_LIMIT,
        "window_s": LOAD_WINDOW_S,
        "seconds": seconds,
        "processes": LOAD_PROCESSES,
    }
    out |= {"threads": LOAD_THREADS, "tasks": LOAD_TASKS}
    for variant in ("on", "off"):
        pinning.enter(pinning.simulator)
        simulator = Simulator.start(5, weight_limit=LOAD_LIMIT, window_seconds=LOAD_WINDOW_S)
        pinning.enter(pinning.client)
        try:
            argv = [PYTHON, "-m", "bench.load", simulator.base_url, str(seconds), variant]
            argv += [str(LOAD_LIMIT), str(LOAD_WINDOW_S), str(LOAD_THREADS), str(LOAD_TASKS)]
            children = [
                subprocess.Popen(argv, stdout=subprocess.PIPE, cwd=ROOT, env=child_env()) for _ in range(LOAD_PROCESSES)
            ]
            outputs = [json.loads(child.communicate(timeout=seconds + 120)[0]) for child in children]
        finally:
            simulator.stop()
        served: dict[int, int] = {}
        statuses: dict[str, int] = {}
        for output in outputs:
            for window, used in output["served"].items():
                served[int(window)] = max(served.get(int(window), 0), used)
            for status, count in output["statuses"].items():
                statuses[status] = statuses.get(status, 0) + count
        full = [served[w] / LOAD_LIMIT for w in sorted(served)[1:-1]]
        out[variant] = {
            "statuses": statuses,
            "served_per_window": {str(w): served[w] for w in sorted(served)},
            "windows": len(full),
            "min_served": min(full) if full else 0.0,
            "median_served": statistics.median(full) if full else 0.0,
            "calls": sum(o["calls"] for o in outputs),
            "errors": [o["errors"] for o in outputs],
        }
    return out


def _balance_only_package() -> Path:
    """The folder holding the balance-only generated package (scenario 4b), generated on first use.

    Cached in `.bench-cache/` under a hash of what it is made from: the spec, the generator (with its
    templates), pyproject.toml (the pinned generator version) and `balance_only.py`.
    """
    digest = hashlib.sha256()
    sources = [ROOT / "openapi" / "papi.yaml", ROOT / "pyproject.toml", ROOT / "bench" / "balance_only.py"]
    sources += sorted(p for p in (ROOT / "generator").rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for source in sources:
        digest.update(source.relative_to(ROOT).as_posix().encode() + b"\0" + source.read_bytes())
    folder = CACHE / f"balance-only-{digest.hexdigest()[:16]}"
    if (folder / "binance_papi_generated" / "client.py").exists():
        return folder
    print("bench: generating the balance-only client for scenario 4b (once per spec and generator)", file=sys.stderr)
    shutil.rmtree(CACHE, ignore_errors=True)  # older versions
    building = CACHE / "building"
    subprocess.run([PYTHON, "-m", "bench.balance_only", str(building)], cwd=ROOT, check=True, timeout=300)
    building.rename(folder)
    return folder


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
    balance_only = _balance_only_package()
    started = time.time()
    load = MachineLoad()
    simulators: dict[str, Simulator] = {}
    pinning.enter(pinning.simulator)  # children inherit the affinity of the process that spawns them
    try:
        for name, spec in SIMULATORS.items():
            simulators[name] = Simulator.start(spec.assets, spec.positions)
        pinning.enter(pinning.client)
        described = {name: {"url": sim.base_url, "pid": sim.proc.pid} for name, sim in simulators.items()}
        worker = Worker.start({"BENCH_SIMULATORS": json.dumps(described)})
        try:
            bench = Bench(config, worker, simulators, import_python, balance_only)
            bench.run()
        finally:
            worker.stop()
    finally:
        for simulator in simulators.values():
            simulator.stop()
    print("bench: scenario 9, the weight governor under load", file=sys.stderr)
    governed = load_scenario(config.load_seconds, pinning)
    machine = load.summary()
    evaluated = bench.results.evaluate()
    enforced = not args.quick
    ok = passed(evaluated) and all(load_verdicts(governed).values())
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
        "simulators": {
            name: f"--large-assets {spec.assets} --positions {spec.positions} --weight-limit (unlimited)"
            for name, spec in SIMULATORS.items()
        },
        "config": asdict(config)
        | {
            "concurrency": CONCURRENCY,
            "import_code": IMPORT_CODE,
            "family_import_code": FAMILY_CODE,
            "import_python": str(import_python),
            "balance_only": str(balance_only),
            "snapshot_round_trip": f"X-Sim-Fault: {SNAPSHOT_ROUND_TRIP}",
        },
        "scenarios": evaluated,
        "load": governed,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=2) + "\n")
    print(table(evaluated, enforced))
    print()
    print(load_table(governed, enforced))
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
