"""What the sync scenarios call: the simulators the benchmark starts, and per scenario its endpoint and account.

Standard library only: the orchestrator (`run.py`) reads it, and the worker (`worker.py`) builds its clients
from it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SimulatorSpec:
    """`python -m binance_papi.simulator --large-assets ASSETS [--positions POSITIONS]`."""

    assets: int
    positions: int = 0
    serves_async: bool = False
    """The async scenario's clients call this one."""


SIMULATORS = {
    "5": SimulatorSpec(5, serves_async=True),
    "1000": SimulatorSpec(1000),
    "positions": SimulatorSpec(20, positions=300),
}
"""By name. Each also serves the demo account (the simulator always does)."""


@dataclass(frozen=True)
class Case:
    """One sync scenario: `operation` (no parameters) on `simulator`, for its large account or the demo one."""

    simulator: str
    operation: str
    demo: bool = False
    large: bool = False
    """A large body: fewer, longer blocks (the `sync_large_*` settings)."""


CASES = {
    "sync_5": Case("5", "get_balance"),
    "sync_1000": Case("1000", "get_balance", large=True),
    "shape_object": Case("5", "get_account", demo=True),
    "shape_array": Case("5", "get_um_position_risk", demo=True),
    "shape_nested": Case("5", "get_um_account", demo=True),
    "large_array": Case("positions", "get_um_position_risk", large=True),
    "large_nested": Case("positions", "get_um_account", large=True),
}
"""Scenario key (as in `_report.SCENARIOS`) -> what it calls."""
