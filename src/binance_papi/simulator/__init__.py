"""A local simulator of Binance's Portfolio Margin account endpoints, for tests and benchmarks.

Import it explicitly (`import binance_papi.simulator`); `import binance_papi` never loads it or aiohttp.

    from binance_papi.simulator import DEMO_API_KEY, DEMO_API_SECRET, serve_in_thread

    with serve_in_thread() as handle:
        client = signed_client(DEMO_API_KEY, DEMO_API_SECRET, base_url=handle.base_url)
        handle.simulator.fail_next("503-unknown")  # the next signed request answers that 503

Or from a shell: `python -m binance_papi.simulator --port 0` (see `--help`).

It serves every read-only GET of the Account family (`ENDPOINTS`: balance, account, UM/CM account and
positions, max withdraw/borrow, brackets, commission rates, modes and configuration, income and margin
histories) from one `AccountState` per account; every body is derived from it (`AccountView`), so the
numbers agree across endpoints by construction. `demo_account()` serves the reference state;
`large_account(n, seed, positions=m)` a large deterministic one.

It checks requests independently of the client's signing code, from Binance's documented rules: API key
format and registry, signature over the raw query bytes, timestamp and recvWindow, parameters, each
endpoint's IP weight against the limit (429, then 418), and it serves injectable faults.
"""

from ._accounts import DEMO_API_KEY, DEMO_API_SECRET, Account, AssetBalance
from ._app import PING_PATH, TIME_PATH, build_server
from ._endpoints import BALANCE_PATH, ENDPOINTS, Endpoint
from ._faults import FAULT_HEADER, FAULT_NAMES, FaultPlan, mangle, parse_fault
from ._keys import HmacVerifier, KeyEntry, KeyRegistry, PublicKeyVerifier, Verifier
from ._limits import WeightLimiter
from ._samples import DEMO_T0, demo_account, demo_state, large_account, large_state
from ._server import SimulatorHandle, serve_in_thread, start_site
from ._simulator import RecordedRequest, Simulator
from ._state import (
    AccountConfig,
    AccountState,
    AssetMarket,
    Bracket,
    CmSymbol,
    ExchangeDetail,
    Income,
    Indicator,
    InterestCharge,
    Ledger,
    Loan,
    Market,
    NegativeExchange,
    NegativeInterest,
    Order,
    Position,
    Repay,
    UmSymbol,
    brackets,
)
from ._views import AccountView, FuturesRow, WalletRow

__all__ = [
    "BALANCE_PATH",
    "DEMO_API_KEY",
    "DEMO_API_SECRET",
    "DEMO_T0",
    "ENDPOINTS",
    "FAULT_HEADER",
    "FAULT_NAMES",
    "PING_PATH",
    "TIME_PATH",
    "Account",
    "AccountConfig",
    "AccountState",
    "AccountView",
    "AssetBalance",
    "AssetMarket",
    "Bracket",
    "CmSymbol",
    "Endpoint",
    "ExchangeDetail",
    "FaultPlan",
    "FuturesRow",
    "HmacVerifier",
    "Income",
    "Indicator",
    "InterestCharge",
    "KeyEntry",
    "KeyRegistry",
    "Ledger",
    "Loan",
    "Market",
    "NegativeExchange",
    "NegativeInterest",
    "Order",
    "Position",
    "PublicKeyVerifier",
    "RecordedRequest",
    "Repay",
    "Simulator",
    "SimulatorHandle",
    "UmSymbol",
    "Verifier",
    "WalletRow",
    "WeightLimiter",
    "brackets",
    "build_server",
    "demo_account",
    "demo_state",
    "large_account",
    "large_state",
    "mangle",
    "parse_fault",
    "serve_in_thread",
    "start_site",
]
