"""Running the simulator: on the caller's loop (`start_site`), or on a background thread (`serve_in_thread`).

The thread form gives the server its own event loop, so the same handle serves sync tests (httpx.Client,
the sync client) and async ones (whose own loop is then free to run the client) alike.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Self

from aiohttp import web

from ._app import build_server
from ._simulator import Simulator

__all__ = ["SimulatorHandle", "serve_in_thread", "start_site"]

_SHUTDOWN_TIMEOUT = 1.0
"""Seconds a stop waits for handlers still running (e.g. a `slow:` fault) before cancelling them."""


def format_base_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def start_site(
    simulator: Simulator, host: str = "127.0.0.1", port: int = 0, *, backlog: int = 1024
) -> tuple[web.BaseRunner, int]:
    """Serve `simulator` on the running loop; returns the runner (call `cleanup()` to stop) and the port."""
    runner = web.ServerRunner(build_server(simulator), shutdown_timeout=_SHUTDOWN_TIMEOUT)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, backlog=backlog)
        await site.start()
        bound_port: int = runner.addresses[0][1]
    except BaseException:
        await runner.cleanup()
        raise
    return runner, bound_port


class SimulatorHandle:
    """A simulator served on a background thread. `base_url` is what a client's `base_url=` takes."""

    def __init__(self, simulator: Simulator | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.simulator = simulator if simulator is not None else Simulator()
        self.host = host
        self.port = port
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        return format_base_url(self.host, self.port)

    def url(self, path: str) -> str:
        """`base_url` + `path`, e.g. `handle.url("/papi/v1/balance")`."""
        return self.base_url + path

    def start(self) -> Self:
        """Start serving; returns once the port is bound (raises if it could not be)."""
        if self._thread is not None:
            raise RuntimeError("already started")
        self._thread = threading.Thread(target=self._run, name="papi-simulator", daemon=True)
        self._thread.start()
        self._started.wait()
        if self._error is not None:
            self._thread.join()
            raise self._error
        return self

    def stop(self) -> None:
        """Stop serving, close every connection and the loop, and join the thread. Idempotent."""
        thread, loop, stop = self._thread, self._loop, self._stop
        if thread is None:
            return
        if loop is not None and stop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stop.set)
        thread.join()
        self._thread = None

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # noqa: BLE001  (handed to the starting thread)
            self._error = exc
        finally:
            self._started.set()

    async def _serve(self) -> None:
        runner, self.port = await start_site(self.simulator, self.host, self.port)
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._started.set()
        try:
            await self._stop.wait()
        finally:
            await runner.cleanup()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"SimulatorHandle(base_url={self.base_url!r})"


@contextmanager
def serve_in_thread(
    simulator: Simulator | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> Iterator[SimulatorHandle]:
    """Serve `simulator` (a fresh one by default) on a background thread for the `with` block."""
    handle = SimulatorHandle(simulator, host=host, port=port).start()
    try:
        yield handle
    finally:
        handle.stop()
