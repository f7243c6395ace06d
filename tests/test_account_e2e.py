"""Every operation of the spec through the ready clients, over real HTTP against the simulator.

For each operation in `OPERATIONS`, on `PapiClient` and on `AsyncPapiClient` (aiohttp and httpx transports),
with the demo account's credentials and parameters it holds (history windows around `DEMO_T0`, both clocks
fixed one hour after it):

- the request is the operation's path with the parameters given, as their wire names;
- the result is typed all the way down, field by field against the model's own annotations: `Decimal`
  amounts, `int` times and ids, `bool` flags, enum members for documented values, nested models and lists
  of them, no unknown fields left over, no amount left as a string;
- `to_dict()` equals the body the simulator computes for the same request (`Account.body`, its own code);
- the used weight grows by the operation's weight from `OPERATIONS` (read from `client.used_weight`).

Then the numbers agree across endpoints as seen through the client (the reference's section R.1): the UM and
CM wallets of `balance` are the `um/account` and `cm/account` asset rows, positions agree between
`um/account` v1, v2 and `um/positionRisk`, wallets are the sums of income rows, borrowed = loans - repaid, ...
"""

from __future__ import annotations

import asyncio
import importlib
import json
import pkgutil
import re
import types
from collections import defaultdict
from decimal import ROUND_DOWN, Decimal
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import attrs
import pytest

import binance_papi_generated.models
from binance_papi import AsyncPapiClient, PapiClient, RetryPolicy, async_signed_client, signed_client
from binance_papi.simulator import DEMO_API_KEY, DEMO_API_SECRET, DEMO_T0, ENDPOINTS, SimulatorHandle
from binance_papi_generated.client import OPERATIONS
from binance_papi_generated.types import UNSET, Unset

HOUR = 3_600_000
DAY = 24 * HOUR
NOW = DEMO_T0 + HOUR
"""Both clocks (simulator and client): the demo state's moment, so the history windows hold its rows."""
MODES = ["sync", "aiohttp", "httpx"]
"""`PapiClient`, and `AsyncPapiClient` on each async transport."""
COMMON = frozenset({"recvWindow", "timestamp", "signature"})

WINDOW = {"startTime": DEMO_T0 - 20 * DAY, "endTime": NOW}
# Per operation: the query parameters (wire names) of a call the demo account answers with rows.
CALLS: dict[str, dict[str, Any]] = {
    "get_balance": {},
    "get_account": {},
    "get_um_account": {},
    "get_um_account_v2": {},
    "get_cm_account": {},
    "get_um_position_risk": {},
    "get_cm_position_risk": {"marginAsset": "BTC"},
    "get_margin_max_withdraw": {"asset": "USDT"},
    "get_margin_max_borrowable": {"asset": "BTC"},
    "get_um_leverage_bracket": {},
    "get_cm_leverage_bracket": {"symbol": "BTCUSD_PERP"},
    "get_um_commission_rate": {"symbol": "BTCUSDT"},
    "get_cm_commission_rate": {"symbol": "BTCUSD_PERP"},
    "get_um_position_side_dual": {},
    "get_cm_position_side_dual": {},
    "get_um_account_config": {},
    "get_um_symbol_config": {},
    "get_um_api_trading_status": {},
    "get_order_rate_limit": {},
    "get_repay_futures_switch": {},
    "get_um_income": WINDOW,
    "get_cm_income": WINDOW,
    "get_margin_loan_records": {"asset": "BTC", **WINDOW},
    "get_margin_repay_records": {"asset": "USDT", **WINDOW},
    "get_margin_interest_history": {"asset": "BTC", **WINDOW},
    "get_portfolio_interest_history": {"startTime": DEMO_T0 - 29 * DAY, "endTime": NOW},
    "get_negative_balance_exchange_record": WINDOW,
}

Call = tuple[str, dict[str, Any]]
Outcome = tuple[Any, int | None]
"""A call's result and `client.used_weight` right after it."""


def kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """Wire names -> the method's keyword arguments (`startTime` -> `start_time`)."""
    return {re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower(): value for name, value in params.items()}


def expected_weight(name: str, params: dict[str, Any]) -> int:
    operation = OPERATIONS[name]
    return next((w for param, w in operation.weight_with.items() if param in params), operation.weight)


def client_options(handle: SimulatorHandle) -> dict[str, Any]:
    return {"base_url": handle.base_url, "retry": RetryPolicy.disabled(), "clock": lambda: NOW}


def fetch(handle: SimulatorHandle, mode: str, calls: list[Call]) -> list[Outcome]:
    """Each call in order through one client of `mode`, with the simulator's clock fixed at NOW."""
    handle.simulator.clock = lambda: NOW
    if mode == "sync":
        with signed_client(DEMO_API_KEY, DEMO_API_SECRET, **client_options(handle)) as client:
            assert isinstance(client, PapiClient)
            assert client.used_weight is None  # nothing answered yet
            return [(getattr(client, name)(**kwargs(params)), client.used_weight) for name, params in calls]

    async def run() -> list[Outcome]:
        options = client_options(handle)
        transport: Literal["aiohttp", "httpx"] = "aiohttp" if mode == "aiohttp" else "httpx"
        async with async_signed_client(DEMO_API_KEY, DEMO_API_SECRET, async_transport=transport, **options) as client:
            assert isinstance(client, AsyncPapiClient)
            assert client.used_weight is None
            outcomes: list[Outcome] = []
            for name, params in calls:
                outcomes.append((await getattr(client, name)(**kwargs(params)), client.used_weight))
            return outcomes

    return asyncio.run(run())


# --- typed all the way down --------------------------------------------------------------------------------------


def model_namespace() -> dict[str, Any]:
    """Every generated model and enum by name: the annotations name them (models are imported lazily)."""
    package = binance_papi_generated.models
    namespace: dict[str, Any] = {"Decimal": Decimal, "Unset": Unset, "Any": Any}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        namespace.update(
            {
                name: obj
                for name, obj in vars(module).items()
                if isinstance(obj, type) and obj.__module__ == module.__name__
            }
        )
    return namespace


NAMESPACE = model_namespace()
DECIMAL_TEXT = re.compile(r"-?\d+\.\d+")


def check_typed(value: Any, hint: Any, where: str) -> int:  # noqa: C901, PLR0911  (one case per kind)
    """Assert `value` is exactly of annotation `hint`, recursively; returns how many `Decimal`s it holds."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        args = get_args(hint)
        if value is UNSET:
            assert Unset in args, where
            return 0
        if value is None:
            assert type(None) in args, where
            return 0
        enums = [arg for arg in args if isinstance(arg, type) and issubclass(arg, Enum)]
        if enums and not isinstance(value, Enum):
            # An open enum keeps an undocumented value as a plain string; a documented one is a member.
            assert type(value) is str, where
            assert value not in {member.value for enum in enums for member in enum}, (where, value)
            return 0
        [kind] = (
            [arg for arg in args if arg not in (type(None), Unset, str)]
            if enums
            else [arg for arg in args if arg not in (type(None), Unset)]
        )
        return check_typed(value, kind, where)
    if origin is list:
        assert type(value) is list, where
        return sum(check_typed(item, get_args(hint)[0], f"{where}[{i}]") for i, item in enumerate(value))
    if origin is dict:
        assert type(value) is dict, where
        return sum(check_typed(item, get_args(hint)[1], f"{where}[{key!r}]") for key, item in value.items())
    if attrs.has(hint):
        assert type(value) is hint, (where, type(value), hint)
        hints = get_type_hints(hint, localns=NAMESPACE)
        count = 0
        for field in attrs.fields(hint):
            item = getattr(value, field.name)
            if field.name == "additional_properties" and hints[field.name] == dict[str, Any]:
                assert item == {}, f"{where}: fields the spec does not know: {sorted(item)}"
                continue
            count += check_typed(item, hints[field.name], f"{where}.{field.name}")
        return count
    if hint is Decimal:
        assert type(value) is Decimal, (where, value)
        assert value.is_finite(), where
        return 1
    if hint is str:
        assert type(value) is str, (where, value)
        assert not DECIMAL_TEXT.fullmatch(value), f"{where}: an amount left as a string: {value!r}"
        return 0
    if isinstance(hint, type) and issubclass(hint, Enum):
        assert isinstance(value, hint), (where, value)
        return 0
    assert hint in (int, bool), (where, hint)
    assert type(value) is hint, (where, value, hint)  # exactly: a bool is no int here, and no int a bool
    return 0


def return_type(name: str) -> Any:
    """The declared return type of the sync method `name` (for get_balance without asset: the list)."""
    hints = get_type_hints(getattr(PapiClient, name), localns=NAMESPACE)
    result = hints["return"]
    if get_origin(result) in (Union, types.UnionType):  # get_balance's implementation: Balance | list[Balance]
        [result] = [arg for arg in get_args(result) if get_origin(arg) is list]
    return result


def wire(result: Any) -> Any:
    return [item.to_dict() for item in result] if isinstance(result, list) else result.to_dict()


def non_empty(body: Any) -> bool:
    """The body holds at least one row (so the call tested something): lists and `rows` non-empty."""
    if isinstance(body, list):
        return bool(body)
    if isinstance(body, dict) and "rows" in body:
        return bool(body["rows"])
    return bool(body)


# --- each operation ----------------------------------------------------------------------------------------------


def test_the_table_covers_every_operation() -> None:
    assert set(CALLS) == set(OPERATIONS)
    assert {OPERATIONS[name].path for name in CALLS} <= set(ENDPOINTS)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(CALLS))
def test_each_operation_end_to_end(simulator: SimulatorHandle, mode: str, name: str) -> None:
    params = CALLS[name]
    (first, weight_first), (second, weight_second) = fetch(simulator, mode, [(name, params), (name, params)])

    # The request: the operation's path, the parameters as given, signed (the simulator verified it).
    records = simulator.simulator.requests
    assert [(r.path, r.status) for r in records] == [(OPERATIONS[name].path, 200)] * 2
    sent = {key: value for key, value in records[-1].params().items() if key not in COMMON}
    assert sent == {key: str(value) for key, value in params.items()}

    # Typed all the way down, and exactly what the simulator computes for that request.
    check_typed(first, return_type(name), name)
    served = simulator.simulator.demo.body(ENDPOINTS[records[-1].path], sent, records[-1].time_ms)
    expected = json.loads(served, parse_float=Decimal)
    assert non_empty(expected), f"{name}: the demo account answers {expected!r}; pick parameters with rows"
    assert wire(first) == expected
    assert first == second

    # The weight charged is the operation's, as the spec (OPERATIONS) says.
    weight = expected_weight(name, params)
    assert weight_first == weight  # the simulator was reset: nothing used before
    assert weight_second is not None
    assert weight_second - weight_first == weight
    assert simulator.simulator.used_weight() == weight_second


@pytest.mark.parametrize("mode", MODES)
def test_weight_with_a_parameter_follows_the_spec(simulator: SimulatorHandle, mode: str) -> None:
    """`x-weight-with`: apiTradingStatus costs less with `symbol`, as OPERATIONS says."""
    params = {"symbol": "BTCUSDT"}
    [(result, weight)] = fetch(simulator, mode, [("get_um_api_trading_status", params)])
    assert weight == expected_weight("get_um_api_trading_status", params) == 1
    assert weight != OPERATIONS["get_um_api_trading_status"].weight
    indicators = result.indicators.additional_properties
    assert list(indicators) == ["BTCUSDT"]
    assert check_typed(result, return_type("get_um_api_trading_status"), "status") > 0


# --- relations across endpoints, through the client ------------------------------------------------------------


def trunc8(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.00000001"), rounding=ROUND_DOWN)


RELATION_CALLS: list[Call] = [
    ("get_balance", {}),
    ("get_balance", {"asset": "USDT"}),
    ("get_account", {}),
    ("get_um_account", {}),
    ("get_um_account_v2", {}),
    ("get_cm_account", {}),
    ("get_um_position_risk", {}),
    ("get_cm_position_risk", {}),
    ("get_um_symbol_config", {}),
    ("get_um_position_side_dual", {}),
    ("get_cm_position_side_dual", {}),
    ("get_um_account_config", {}),
    ("get_margin_max_withdraw", {"asset": "USDT"}),
    ("get_margin_max_borrowable", {"asset": "BTC"}),
    ("get_um_income", {"startTime": NOW - 90 * DAY, "endTime": NOW}),
    ("get_cm_income", {"startTime": NOW - 199 * DAY, "endTime": NOW}),
    ("get_margin_loan_records", {"asset": "BTC", "startTime": NOW - 29 * DAY, "endTime": NOW}),
    ("get_margin_repay_records", {"asset": "BTC", "startTime": NOW - 29 * DAY, "endTime": NOW}),
    ("get_margin_interest_history", {"startTime": NOW - 29 * DAY, "endTime": NOW, "size": 100}),
    ("get_portfolio_interest_history", {"startTime": NOW - 29 * DAY, "endTime": NOW}),
]


def total(values: list[Decimal]) -> Decimal:
    return sum(values, Decimal(0))


@pytest.mark.parametrize("mode", MODES)
def test_the_numbers_agree_across_endpoints(simulator: SimulatorHandle, mode: str) -> None:
    outcomes = fetch(simulator, mode, RELATION_CALLS)
    got: dict[str, Any] = {}
    for (name, params), (result, _) in zip(RELATION_CALLS, outcomes, strict=True):
        got[f"{name}:{','.join(params)}" if name == "get_balance" and params else name] = result
    check_wallets(got)
    check_positions(got)
    check_ledgers(got)


def check_wallets(got: dict[str, Any]) -> None:
    """balance identities; its UM / CM columns = the um/account and cm/account asset rows; the account."""
    balances = {b.asset: b for b in got["get_balance"]}
    usdt, btc = balances["USDT"], balances["BTC"]
    single = got["get_balance:asset"].to_dict()  # with `asset`: the same row, without crossMarginAsset
    assert single == {key: value for key, value in usdt.to_dict().items() if key != "crossMarginAsset"}
    for b in balances.values():
        wallets = b.cross_margin_free + b.cross_margin_locked + b.um_wallet_balance + b.cm_wallet_balance
        assert b.total_wallet_balance == wallets
    um_assets = {row.asset: row for row in got["get_um_account"].assets}
    cm_assets = {row.asset: row for row in got["get_cm_account"].assets}
    assert got["get_um_account_v2"].assets == got["get_um_account"].assets
    assert usdt.um_wallet_balance == um_assets["USDT"].cross_wallet_balance > 0
    assert usdt.um_unrealized_pnl == um_assets["USDT"].cross_un_pnl
    assert btc.cm_wallet_balance == cm_assets["BTC"].cross_wallet_balance > 0
    assert btc.cm_unrealized_pnl == cm_assets["BTC"].cross_un_pnl
    for asset, b in balances.items():
        if asset not in um_assets:
            assert b.um_wallet_balance == 0
            assert b.um_unrealized_pnl is None  # "" on the wire
        if asset not in cm_assets:
            assert b.cm_wallet_balance == 0
            assert b.cm_unrealized_pnl is None
    account = got["get_account"]
    assert account.uni_mmr == trunc8(account.account_equity / account.account_maint_margin)
    assert account.total_available_balance == account.account_equity - account.account_initial_margin
    assert got["get_margin_max_withdraw"].amount <= usdt.cross_margin_free
    borrowable = got["get_margin_max_borrowable"]
    assert 0 < borrowable.amount <= borrowable.borrow_limit


def check_positions(got: dict[str, Any]) -> None:
    """Position mode agrees everywhere; position rows agree between um/account v1, v2 and positionRisk."""
    dual = got["get_um_position_side_dual"].dual_side_position
    assert type(dual) is bool
    assert got["get_cm_position_side_dual"].dual_side_position is dual
    assert got["get_um_account_config"].dual_side_position is dual
    v1 = {(p.symbol, p.position_side): p for p in got["get_um_account"].positions}
    v2 = {(p.symbol, p.position_side): p for p in got["get_um_account_v2"].positions}
    assert v1.keys() == v2.keys()
    risk = got["get_um_position_risk"]
    assert risk
    configs = {c.symbol: c for c in got["get_um_symbol_config"]}
    for row in risk:
        assert row.position_side in (("LONG", "SHORT") if dual else ("BOTH",))
        key = (row.symbol, row.position_side)
        assert row.position_amt == v1[key].position_amt == v2[key].position_amt != 0
        assert row.entry_price == v1[key].entry_price
        assert row.un_realized_profit == v1[key].unrealized_profit == v2[key].unrealized_profit
        assert row.un_realized_profit == trunc8(row.position_amt * (row.mark_price - row.entry_price))
        assert row.notional == v2[key].notional == trunc8(row.position_amt * row.mark_price)
        assert row.max_notional_value == v1[key].max_notional == configs[row.symbol].max_notional_value
        assert row.leverage == configs[row.symbol].leverage
    # asset rows are the sums of their positions (the demo's UM positions all settle in USDT)
    um_assets = {row.asset: row for row in got["get_um_account"].assets}
    assert um_assets["USDT"].maint_margin == total([p.maint_margin for p in v1.values()])
    assert um_assets["USDT"].cross_un_pnl == total([p.unrealized_profit for p in v1.values()])
    cm_rows = {(p.symbol, p.position_side): p for p in got["get_cm_account"].positions}
    cm_risk = {(p.symbol, p.position_side): p for p in got["get_cm_position_risk"]}
    assert cm_rows.keys() == cm_risk.keys()
    for key, row in cm_rows.items():
        assert row.position_amt == cm_risk[key].position_amt
        assert row.unrealized_profit == cm_risk[key].un_realized_profit


def check_ledgers(got: dict[str, Any]) -> None:
    """Wallets = sums of income rows; borrowed = loans - repaid; interest = charges - repaid."""
    balances = {b.asset: b for b in got["get_balance"]}
    btc = balances["BTC"]
    for name, column in (("get_um_income", "um_wallet_balance"), ("get_cm_income", "cm_wallet_balance")):
        wallets: dict[str, Decimal] = defaultdict(Decimal)
        for income in got[name]:
            wallets[income.asset] += income.income
        for asset, b in balances.items():
            assert getattr(b, column) == wallets[asset], (name, asset)
    loans, repays = got["get_margin_loan_records"], got["get_margin_repay_records"]
    assert loans.total == len(loans.rows) > 0
    lent = total([r.principal for r in loans.rows if r.status == "CONFIRMED"])
    repaid = total([r.principal for r in repays.rows if r.status == "CONFIRMED"])
    assert btc.cross_margin_borrowed == lent - repaid > 0
    charges = got["get_margin_interest_history"].rows
    charged = total([c.interest for c in charges if c.asset == "BTC" and c.type_ != "PORTFOLIO"])
    paid = total([r.interest for r in repays.rows if r.status == "CONFIRMED"])
    assert btc.cross_margin_interest == charged - paid > 0
    portfolio = [c.interest for c in charges if c.type_ == "PORTFOLIO"]
    assert portfolio == [r.interest for r in got["get_portfolio_interest_history"]]
    assert portfolio
