"""Shared fixtures. `simulator`: the local PAPI simulator, fresh state per test, served over real HTTP;
`unused_port`: a loopback port nothing listens on.

One server (a background thread with its own event loop) serves the whole session; each test gets it
after `reset()`, so tests stay independent without paying for a server start each. The simulator is
imported inside the fixtures: tests that check what `import binance_papi` loads must not find aiohttp
loaded by this file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from binance_papi.simulator import SimulatorHandle


@pytest.fixture(autouse=True)
def _fresh_bans(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No ban, Retry-After or weight count at the start of a test, and the CLI's ban file in a temporary cache.

    Blocks are shared by every client of the process per host, and the session's simulator is one host.
    """
    from binance_papi._bans import BANS

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    from binance_papi._governor import reset_governors

    BANS.clear()
    reset_governors()  # one test's weight count (or Retry-After) is no history for the next
    yield
    BANS.clear()


@pytest.fixture(scope="session")
def simulator_server() -> Iterator[SimulatorHandle]:
    """The session's simulator server; prefer `simulator`, which resets it first."""
    from binance_papi.simulator import serve_in_thread

    with serve_in_thread() as handle:
        yield handle


@pytest.fixture
def simulator(simulator_server: SimulatorHandle) -> SimulatorHandle:
    """The simulator with fresh state: demo account only, no faults, no used weight, real clock, empty log."""
    simulator_server.simulator.reset()
    return simulator_server


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
