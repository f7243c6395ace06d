"""A typed client for Binance's Portfolio Margin REST API, generated from openapi/papi.yaml.

The endpoint functions and models are generated (`papi_client`); this package is the hand-written part:
the signing hook, the ready-client factory, the error tree and the retry policy.
"""

from ._client import PapiClient, signed_client
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
    RequestValidationError,
    ServerError,
    TimestampError,
    TransportError,
    UnexpectedStatus,
)
from ._retry import RetryPolicy
from ._signing import BinanceAuth, HmacSigner, Signer
from ._version import __version__

__all__ = [
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
