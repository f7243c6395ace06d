"""A typed client for Binance's Portfolio Margin REST API, generated from openapi/papi.yaml.

Everything a user needs is here: the clients (`signed_client`, `async_signed_client`), whose methods are
the spec's operations; the error tree; the retry policy; and the response models (`Balance`, ...), which
are imported on first use. The generated code lives in `binance_papi_generated`; this package is the
hand-written part around it (signing, retries, errors, the command line and the simulator).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

import binance_papi_generated.models as _models

from ._errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    InvalidResponseError,
    InvalidSignatureError,
    IPBannedError,
    OutcomeUnknownError,
    PapiError,
    RateLimitError,
    RequestTimeoutError,
    RequestValidationError,
    ResponseTooLargeError,
    ServerError,
    SnapshotError,
    TimestampError,
    TransportError,
    UnexpectedStatus,
    WeightBudgetExceeded,
)
from ._retry import RetryPolicy
from ._signing import BinanceAuth, HmacSigner, Signer
from ._types import UNSET, Operation, Response, Unset
from ._version import __version__

if TYPE_CHECKING:
    from binance_papi_generated.models import *  # noqa: F403  (the models, for type checkers)

    from ._client import AsyncPapiClient, PapiClient, async_signed_client, signed_client
    from ._governor import GovernorConfig, GovernorState
    from ._snapshot import AccountSnapshot, AssetView

# Imported on first use, so that `import binance_papi` stays light: the clients (built on the generated
# package, which imports this package's runtime: importing them on first use keeps
# `import binance_papi_generated...` working on its own), the weight governor and the snapshot's classes.
_LAZY = {
    "AsyncPapiClient": "_client",
    "PapiClient": "_client",
    "async_signed_client": "_client",
    "signed_client": "_client",
    "GovernorConfig": "_governor",
    "GovernorState": "_governor",
    "AccountSnapshot": "_snapshot",
    "AssetView": "_snapshot",
}

__all__ = [
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
__all__ += _models.__all__


def __getattr__(name: str) -> Any:  # noqa: ANN401  (a client, a helper class or a model class)
    # The models are imported on first use, so `import binance_papi` stays light however many there are.
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(import_module(f"{__name__}.{module}"), name)
        globals()[name] = value
        return value
    if name in _models.__all__:
        return getattr(_models, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
