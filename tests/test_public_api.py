"""The public surface changes only on purpose, and importing it stays light."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import pytest

import binance_papi
import binance_papi_generated.errors
import binance_papi_generated.models

PUBLIC = [
    "UNSET",
    "APIError",
    "AccountSnapshot",
    "AssetView",
    "AsyncPapiClient",
    "AuthenticationError",
    "BadRequestError",
    "BinanceAuth",
    "GovernorConfig",
    "GovernorState",
    "HmacSigner",
    "IPBannedError",
    "InvalidResponseError",
    "InvalidSignatureError",
    "Operation",
    "OutcomeUnknownError",
    "PapiClient",
    "PapiError",
    "RateLimitError",
    "RequestTimeoutError",
    "RequestValidationError",
    "Response",
    "ResponseTooLargeError",
    "RetryPolicy",
    "ServerError",
    "Signer",
    "SnapshotError",
    "TimestampError",
    "TransportError",
    "UnexpectedStatus",
    "Unset",
    "WeightBudgetExceeded",
    "__version__",
    "async_signed_client",
    "signed_client",
]
"""The hand-written names; the generated models follow them in `__all__`."""


def test_all_is_pinned() -> None:
    assert binance_papi.__all__ == PUBLIC + list(binance_papi_generated.models.__all__)
    for name in binance_papi.__all__:
        assert hasattr(binance_papi, name), name


def test_every_model_comes_from_the_front_door() -> None:
    assert "Balance" in binance_papi_generated.models.__all__
    for name in binance_papi_generated.models.__all__:
        assert getattr(binance_papi, name) is getattr(binance_papi_generated.models, name)
    with pytest.raises(AttributeError, match="no attribute 'NoSuchModel'"):
        getattr(binance_papi, "NoSuch" + "Model")


def test_the_whole_error_tree_lives_in_one_hand_written_module() -> None:
    errors = [getattr(binance_papi, n) for n in PUBLIC if n.endswith("Error") or n == "UnexpectedStatus"]
    assert all(issubclass(e, binance_papi.PapiError) for e in errors)
    assert {e.__module__ for e in errors} == {"binance_papi._errors"}
    # The generated package raises the same classes, not copies.
    assert binance_papi_generated.errors.InvalidResponseError is binance_papi.InvalidResponseError
    assert binance_papi_generated.errors.UnexpectedStatus is binance_papi.UnexpectedStatus
    assert issubclass(binance_papi.RequestTimeoutError, binance_papi.TransportError)


def test_operations_are_methods_of_both_clients_with_the_same_names() -> None:
    from binance_papi_generated.client import OPERATIONS

    assert "get_balance" in OPERATIONS
    for name in OPERATIONS:
        sync_method = getattr(binance_papi.PapiClient, name)
        async_method = getattr(binance_papi.AsyncPapiClient, name)
        assert not inspect.iscoroutinefunction(sync_method), name
        assert inspect.iscoroutinefunction(async_method), name
        assert inspect.signature(sync_method) == inspect.signature(async_method), name


def test_import_loads_nothing_heavy() -> None:
    # aiohttp (async transport), cryptography (RSA/Ed25519), msgspec (JSON), the simulator, the models and the
    # operation modules load only when used.
    # (click is not checked: `import httpx` itself loads it when it is installed, for httpx's own CLI.)
    code = (
        "import sys, json, binance_papi; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'aiohttp', 'cryptography', 'hypothesis', 'msgspec', 'yaml'} or m.startswith('binance_papi.simulator') "
        "or m.startswith(('binance_papi_generated.models.', 'binance_papi_generated.api.')))))"
    )
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert loaded == []


@pytest.mark.parametrize(
    "module",
    [
        "binance_papi_generated",
        "binance_papi_generated.client",
        "binance_papi_generated.api.account.get_balance",
        "binance_papi_generated.models.balance",
        "binance_papi._client",
    ],
)
def test_the_generated_package_imports_on_its_own_whatever_comes_first(module: str) -> None:
    code = f"import {module}; from binance_papi import signed_client, Balance; print(signed_client.__name__)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "signed_client"
