"""A local simulator of Binance's Portfolio Margin `GET /papi/v1/balance`, for tests and benchmarks.

Import it explicitly (`import binance_papi.simulator`); `import binance_papi` never loads it or aiohttp.

    from binance_papi.simulator import DEMO_API_KEY, DEMO_API_SECRET, serve_in_thread

    with serve_in_thread() as handle:
        client = signed_client(DEMO_API_KEY, DEMO_API_SECRET, base_url=handle.base_url)
        handle.simulator.fail_next("503-unknown")  # the next balance request answers that 503

Or from a shell: `python -m binance_papi.simulator --port 0` (see `--help`).

It checks requests independently of the client's signing code, from Binance's documented rules: API key
format and registry, signature over the raw query bytes, timestamp and recvWindow, parameters, the IP
weight limit (429, then 418), and it serves deterministic accounts and injectable faults.
"""

from ._accounts import DEMO_API_KEY, DEMO_API_SECRET, Account, AssetBalance, demo_account, large_account
from ._app import BALANCE_PATH, PING_PATH, TIME_PATH, build_server
from ._faults import FAULT_HEADER, FAULT_NAMES, FaultPlan, mangle, parse_fault
from ._keys import HmacVerifier, KeyEntry, KeyRegistry, PublicKeyVerifier, Verifier
from ._limits import WeightLimiter
from ._server import SimulatorHandle, serve_in_thread, start_site
from ._simulator import RecordedRequest, Simulator

__all__ = [
    "BALANCE_PATH",
    "DEMO_API_KEY",
    "DEMO_API_SECRET",
    "FAULT_HEADER",
    "FAULT_NAMES",
    "PING_PATH",
    "TIME_PATH",
    "Account",
    "AssetBalance",
    "FaultPlan",
    "HmacVerifier",
    "KeyEntry",
    "KeyRegistry",
    "PublicKeyVerifier",
    "RecordedRequest",
    "Simulator",
    "SimulatorHandle",
    "Verifier",
    "WeightLimiter",
    "build_server",
    "demo_account",
    "large_account",
    "mangle",
    "parse_fault",
    "serve_in_thread",
    "start_site",
]
