"""The public surface changes only on purpose, and importing it stays light."""

from __future__ import annotations

import json
import subprocess
import sys

import binance_papi

PUBLIC = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "BinanceAuth",
    "HmacSigner",
    "IPBannedError",
    "InvalidResponseError",
    "InvalidSignatureError",
    "OutcomeUnknownError",
    "PapiClient",
    "PapiError",
    "RateLimitError",
    "RequestValidationError",
    "RetryPolicy",
    "ServerError",
    "Signer",
    "TimestampError",
    "TransportError",
    "UnexpectedStatus",
    "__version__",
    "signed_client",
]


def test_all_is_pinned() -> None:
    assert binance_papi.__all__ == PUBLIC
    for name in PUBLIC:
        assert hasattr(binance_papi, name), name


def test_every_error_is_a_papi_error() -> None:
    errors = [getattr(binance_papi, n) for n in PUBLIC if n.endswith("Error") or n == "UnexpectedStatus"]
    assert all(issubclass(e, binance_papi.PapiError) for e in errors)


def test_import_loads_nothing_heavy() -> None:
    # aiohttp (async transport), cryptography (RSA/Ed25519), msgspec (JSON) and the simulator load only when used.
    # (click is not checked: `import httpx` itself loads it when it is installed, for httpx's own CLI.)
    code = (
        "import sys, json, binance_papi; from papi_client.api.account import get_balance; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'aiohttp', 'cryptography', 'hypothesis', 'msgspec', 'yaml'} or m.startswith('binance_papi.simulator'))))"
    )
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert loaded == []
