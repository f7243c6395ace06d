"""The signed endpoints the simulator serves: path, IP weight, parameters, and how the body is made.

Adding an endpoint is one `Endpoint` in `ENDPOINTS`: `_app` does the rest (weight, key, timing,
signature, faults) the same way for all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from . import _bodies, _history
from ._format import amount8, compact
from ._params import asset_param, symbol_param
from ._query import bad_request
from ._views import AccountView

if TYPE_CHECKING:
    from ._accounts import Account

__all__ = ["BALANCE_PATH", "ENDPOINTS", "Endpoint", "JsonBody"]

BALANCE_PATH = "/papi/v1/balance"

JsonBody = object
"""What `Endpoint.body` returns: JSON-able data (`Decimal`s become JSON numbers), or ready bytes."""
BodyFunction = Callable[["Account", dict[str, str], int], JsonBody]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One signed GET endpoint (USER_DATA)."""

    path: str
    weight: int
    params: frozenset[str]
    """Business parameters accepted besides recvWindow, timestamp and signature (others: -1103)."""
    body: BodyFunction
    """(account, decoded parameters, server time in ms) -> body; raises `Rejection` for a refused value."""
    mandatory: tuple[str, ...] = ()
    """Checked before the signature (-1102)."""
    snapshot: bool = True
    """The body depends only on the account state and the parameters (not on the clock): cacheable."""
    weight_without_symbol: int | None = None
    """A different weight when `symbol` is not sent (only #18)."""

    def weight_for(self, raw_query: str) -> int:
        """The IP weight of a request with this raw query string."""
        if self.weight_without_symbol is None:
            return self.weight
        has_symbol = any(part.startswith("symbol=") for part in raw_query.split("&"))
        return self.weight if has_symbol else self.weight_without_symbol


def _static(build: Callable[[AccountView], JsonBody]) -> BodyFunction:
    return lambda account, _params, _now: build(account.view)


def _of_view(build: Callable[[AccountView, dict[str, str], int], JsonBody]) -> BodyFunction:
    return lambda account, params, now: build(account.view, params, now)


def _with_symbol(kind: str, build: Callable[[AccountView, str | None], JsonBody]) -> BodyFunction:
    def body(account: Account, params: dict[str, str], _now: int) -> JsonBody:
        view = account.view
        market = view.state.market
        return build(view, symbol_param(params, market.um if kind == "um" else market.cm))

    return body


def _commission(kind: str) -> BodyFunction:
    def body(account: Account, params: dict[str, str], _now: int) -> JsonBody:
        view = account.view
        market = view.state.market
        symbol = symbol_param(params, market.um if kind == "um" else market.cm, required=True)
        assert symbol is not None  # noqa: S101  (required=True)
        return _bodies.commission_body(view, kind, symbol)

    return body


def _cm_position_risk(account: Account, params: dict[str, str], _now: int) -> JsonBody:
    view = account.view
    margin_asset, pair = params.get("marginAsset"), params.get("pair")
    if margin_asset is not None and pair is not None:
        raise bad_request(-1128, "Combination of optional parameters invalid. Send either marginAsset or pair.")
    symbols = view.state.market.cm.values()
    if margin_asset is not None and margin_asset not in {s.margin_asset for s in symbols}:
        raise bad_request(-1108, "Invalid asset.")
    if pair is not None and pair not in {s.pair for s in symbols}:
        raise bad_request(-4144, "Invalid pair.")
    return _bodies.cm_position_risk_body(view, margin_asset, pair)


def _margin_amount(compute: Callable[[AccountView, str], JsonBody]) -> BodyFunction:
    def body(account: Account, params: dict[str, str], _now: int) -> JsonBody:
        view = account.view
        asset = asset_param(params, view.ledgers, required=True)
        assert asset is not None  # noqa: S101  (required=True)
        return compute(view, asset)

    return body


def _max_withdraw(view: AccountView, asset: str) -> JsonBody:
    return {"amount": amount8(view.max_withdraw(asset))}


def _max_borrowable(view: AccountView, asset: str) -> JsonBody:
    spec = view.state.market.assets[asset]
    return {"amount": amount8(view.max_borrowable(asset)), "borrowLimit": compact(spec.borrow_limit)}


def _balance(account: Account, params: dict[str, str], _now: int) -> JsonBody:
    """#1: the bodies are prebuilt when the account is made (a dict lookup per request)."""
    asset = params.get("asset")
    if asset is None:
        return account.list_body
    body = account.asset_body(asset)
    if body is None:
        raise bad_request(-1108, "Invalid asset.")
    return body


_HISTORY_PARAMS = frozenset({"asset", "startTime", "endTime", "current", "size", "archived"})
_INCOME_PARAMS = frozenset({"symbol", "incomeType", "startTime", "endTime", "page", "limit"})
_NONE: frozenset[str] = frozenset()
_SYMBOL = frozenset({"symbol"})
_ASSET = frozenset({"asset"})


def _endpoints(*items: Endpoint) -> Mapping[str, Endpoint]:
    return MappingProxyType({item.path: item for item in items})


ENDPOINTS: Mapping[str, Endpoint] = _endpoints(
    Endpoint(BALANCE_PATH, 20, _ASSET, _balance, snapshot=False),
    Endpoint("/papi/v1/account", 20, _NONE, _static(_bodies.account_body)),
    Endpoint("/papi/v1/um/account", 5, _NONE, _static(_bodies.um_account_body)),
    Endpoint("/papi/v2/um/account", 5, _NONE, _static(lambda view: _bodies.um_account_body(view, v2=True))),
    Endpoint("/papi/v1/cm/account", 5, _NONE, _static(_bodies.cm_account_body)),
    Endpoint("/papi/v1/um/positionRisk", 5, _SYMBOL, _with_symbol("um", _bodies.um_position_risk_body)),
    Endpoint("/papi/v1/cm/positionRisk", 1, frozenset({"marginAsset", "pair"}), _cm_position_risk),
    Endpoint("/papi/v1/margin/maxWithdraw", 5, _ASSET, _margin_amount(_max_withdraw), ("asset",)),
    Endpoint("/papi/v1/margin/maxBorrowable", 5, _ASSET, _margin_amount(_max_borrowable), ("asset",)),
    Endpoint("/papi/v1/um/leverageBracket", 1, _SYMBOL, _with_symbol("um", _bodies.um_bracket_body)),
    Endpoint("/papi/v1/cm/leverageBracket", 1, _SYMBOL, _with_symbol("cm", _bodies.cm_bracket_body)),
    Endpoint("/papi/v1/um/commissionRate", 20, _SYMBOL, _commission("um"), ("symbol",)),
    Endpoint("/papi/v1/cm/commissionRate", 20, _SYMBOL, _commission("cm"), ("symbol",)),
    Endpoint(
        "/papi/v1/um/positionSide/dual",
        30,
        _NONE,
        _static(lambda view: {"dualSidePosition": view.state.config.dual_side_position}),
    ),
    Endpoint(
        "/papi/v1/cm/positionSide/dual",
        30,
        _NONE,
        _static(lambda view: {"dualSidePosition": view.state.config.dual_side_position}),
    ),
    Endpoint("/papi/v1/um/accountConfig", 5, _NONE, _static(_bodies.um_account_config_body)),
    Endpoint("/papi/v1/um/symbolConfig", 5, _SYMBOL, _with_symbol("um", _bodies.um_symbol_config_body)),
    Endpoint(
        "/papi/v1/um/apiTradingStatus",
        1,
        _SYMBOL,
        _with_symbol("um", _bodies.api_trading_status_body),
        weight_without_symbol=10,
    ),
    Endpoint(
        "/papi/v1/rateLimit/order",
        1,
        _NONE,
        _static(
            lambda view: [
                {
                    "rateLimitType": "ORDERS",
                    "interval": "MINUTE",
                    "intervalNum": 1,
                    "limit": view.state.config.order_rate_limit,
                }
            ]
        ),
    ),
    Endpoint(
        "/papi/v1/repay-futures-switch", 30, _NONE, _static(lambda view: {"autoRepay": view.state.config.auto_repay})
    ),
    Endpoint("/papi/v1/um/income", 30, _INCOME_PARAMS, _of_view(_history.um_income_body), snapshot=False),
    Endpoint("/papi/v1/cm/income", 30, _INCOME_PARAMS, _of_view(_history.cm_income_body), snapshot=False),
    Endpoint(
        "/papi/v1/margin/marginLoan",
        10,
        _HISTORY_PARAMS | {"txId"},
        _of_view(_history.margin_loan_body),
        ("asset",),
        snapshot=False,
    ),
    Endpoint(
        "/papi/v1/margin/repayLoan",
        10,
        _HISTORY_PARAMS | {"txId"},
        _of_view(_history.margin_repay_body),
        ("asset",),
        snapshot=False,
    ),
    Endpoint(
        "/papi/v1/margin/marginInterestHistory",
        1,
        _HISTORY_PARAMS,
        _of_view(_history.margin_interest_body),
        snapshot=False,
    ),
    Endpoint(
        "/papi/v1/portfolio/interest-history",
        50,
        frozenset({"asset", "startTime", "endTime", "size"}),
        _of_view(_history.interest_history_body),
        snapshot=False,
    ),
    Endpoint(
        "/papi/v1/portfolio/negative-balance-exchange-record",
        100,
        frozenset({"startTime", "endTime"}),
        _of_view(_history.negative_exchange_body),
        ("startTime", "endTime"),
        snapshot=False,
    ),
)
"""Every signed endpoint, by path."""
