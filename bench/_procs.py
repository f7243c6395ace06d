"""Processes for the benchmark: simulators, the client worker, timed and measured children, CPU pinning.

Standard library only, on purpose: the orchestrator that imports this stays small, because a child's
ru_maxrss on Linux starts from the RSS of the process that spawned it (the high-water mark survives
exec), and the memory scenario must measure the child, not its parent.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
LISTENING = "PAPI simulator listening on "
UNLIMITED_WEIGHT = 10**12
"""The simulator's IP weight limit for a benchmark: never reached (a balance call weighs 20)."""


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of every child: ours, without PYTHONDONTWRITEBYTECODE.

    An installed package has its byte-code compiled (pip does it); with that variable set (some sandboxes
    do) every cold start would compile the modules that have no cache yet from source, which is not what a
    user pays, and would weigh on imports and peak memory unevenly. The first, untimed runs write the caches.
    """
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    return env | (extra or {})


@dataclass(frozen=True)
class Pinning:
    """Which CPUs the simulators and the client-side processes run on (empty sets: not pinned)."""

    simulator: frozenset[int]
    client: frozenset[int]

    @classmethod
    def choose(cls, enabled: bool) -> Pinning:
        """One CPU for the simulators, another for every client-side process, when there are two or more."""
        if not enabled or not hasattr(os, "sched_getaffinity"):
            return cls(frozenset(), frozenset())
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            return cls(frozenset(), frozenset())
        return cls(frozenset({cpus[-1]}), frozenset({cpus[0]}))

    def enter(self, cpus: frozenset[int]) -> None:
        """Pin this process (and so every child it spawns from now on) to `cpus`; no-op when not pinning."""
        if cpus:
            os.sched_setaffinity(0, cpus)

    def describe(self) -> dict[str, list[int]]:
        return {"simulator": sorted(self.simulator), "client": sorted(self.client)}


class LineReader:
    """Reads newline-terminated lines from a pipe with a deadline (select + os.read, no hidden buffering)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._fd = stream.fileno()
        self._buffer = b""

    def readline(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer within {timeout:.0f} s")
            ready, _, _ = select.select([self._fd], [], [], left)
            if ready:
                chunk = os.read(self._fd, 65536)
                if not chunk:
                    raise EOFError("the process closed its output (see its stderr above)")
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode("utf-8")


def _stop(proc: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


@dataclass
class Simulator:
    """`python -m binance_papi.simulator --large-assets N [--positions M]` in its own process."""

    assets: int
    proc: subprocess.Popen[bytes]
    base_url: str

    @classmethod
    def start(
        cls,
        assets: int,
        positions: int = 0,
        timeout: float = 20.0,
        *,
        weight_limit: int = UNLIMITED_WEIGHT,
        window_seconds: float | None = None,
    ) -> Simulator:
        """Start it and wait (at most `timeout` s) for its "listening on" line."""
        argv = [PYTHON, "-m", "binance_papi.simulator", "--port", "0", "--large-assets", str(assets)]
        if positions:
            argv += ["--positions", str(positions)]
        argv += ["--weight-limit", str(weight_limit)]
        if window_seconds is not None:
            argv += ["--window-seconds", str(window_seconds)]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, cwd=ROOT, env=child_env())
        try:
            assert proc.stdout is not None  # noqa: S101  (stdout=PIPE)
            line = LineReader(proc.stdout).readline(timeout)
        except BaseException:
            _stop(proc)
            raise
        if not line.startswith(LISTENING):
            _stop(proc)
            raise RuntimeError(f"unexpected simulator output: {line!r}")
        return cls(assets, proc, line.removeprefix(LISTENING).strip())

    def stop(self) -> None:
        _stop(self.proc)


@dataclass
class Worker:
    """The long-lived client process (`bench/worker.py`): runs batches of calls on command, over pipes."""

    proc: subprocess.Popen[bytes]
    reader: LineReader
    hello: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def start(cls, env: dict[str, str], timeout: float = 60.0) -> Worker:
        proc = subprocess.Popen(
            [PYTHON, "-m", "bench.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env=child_env(env),
        )
        assert proc.stdout is not None  # noqa: S101  (stdout=PIPE)
        worker = cls(proc, LineReader(proc.stdout))
        try:
            worker.hello = worker._answer(timeout)
        except BaseException:
            _stop(proc)
            raise
        return worker

    def _answer(self, timeout: float) -> dict[str, Any]:
        answer: dict[str, Any] = json.loads(self.reader.readline(timeout))
        if "error" in answer:
            raise RuntimeError(f"worker: {answer['error']}")
        return answer

    def ask(self, command: dict[str, Any], timeout: float = 300.0) -> dict[str, Any]:
        assert self.proc.stdin is not None  # noqa: S101  (stdin=PIPE)
        self.proc.stdin.write(json.dumps(command).encode("utf-8") + b"\n")
        self.proc.stdin.flush()
        return self._answer(timeout)

    def stop(self) -> None:
        if self.proc.poll() is None and self.proc.stdin is not None:
            try:
                self.proc.stdin.write(b'{"op": "quit"}\n')
                self.proc.stdin.close()
                self.proc.wait(20)
            except (OSError, subprocess.TimeoutExpired):
                pass
        _stop(self.proc)


class MachineLoad:
    """CPU used on the whole machine while the benchmark ran, minus this process tree's own: is it quiet?

    Other processes (a test suite, a build) on the same CPUs make every number noisy; interleaving keeps the
    ratios fair, but a busy machine should be said. Linux only (/proc/stat); elsewhere nothing is reported.
    """

    def __init__(self) -> None:
        self._start = self._read()
        self._own = self._own_cpu()
        self._wall = time.monotonic()

    @staticmethod
    def _read() -> tuple[float, float] | None:
        try:
            fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        except (OSError, ValueError):
            return None
        tick = os.sysconf("SC_CLK_TCK")
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
        return (user + nice + system + irq + softirq) / tick, steal / tick

    @staticmethod
    def _own_cpu() -> float:
        times = os.times()  # this process, and every child it has waited for (all of them, at the end)
        return times.user + times.system + times.children_user + times.children_system

    def summary(self) -> dict[str, float] | None:
        """Shares of the machine's CPUs (0..1) over the run: used by others, stolen by the hypervisor."""
        end = self._read()
        if self._start is None or end is None:
            return None
        capacity = (time.monotonic() - self._wall) * (os.cpu_count() or 1)
        busy = end[0] - self._start[0] - (self._own_cpu() - self._own)
        return {"others": max(0.0, busy) / capacity, "steal": (end[1] - self._start[1]) / capacity}


def timed_run(argv: list[str], timeout: float = 60.0) -> float:
    """Wall-clock seconds from spawning `argv` to its exit (fails on a non-zero exit).

    A blocking wait, with a watchdog thread for the timeout: `subprocess.run(timeout=...)` polls with sleeps
    of up to 50 ms, which would round the measured time up by as much.
    """
    env = child_env()
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    killer = threading.Timer(timeout, proc.kill)
    killer.start()
    try:
        returncode = proc.wait()
    finally:
        killer.cancel()
    elapsed = time.perf_counter() - started
    if returncode != 0:
        raise RuntimeError(f"{argv} exited with {returncode}")
    return elapsed


def measured_run(argv: list[str], env: dict[str, str], timeout: float = 120.0) -> tuple[dict[str, Any], int]:
    """Run `argv`; return the JSON line it prints and its ru_maxrss (KiB), read with wait4 for that child."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, cwd=ROOT, env=child_env(env))
    killer = threading.Timer(timeout, proc.kill)
    killer.start()
    try:
        assert proc.stdout is not None  # noqa: S101  (stdout=PIPE)
        output = proc.stdout.read()
        proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        killer.cancel()
    if proc.returncode != 0:
        raise RuntimeError(f"{argv} exited with {proc.returncode}")
    result: dict[str, Any] = json.loads(output)
    return result, usage.ru_maxrss
