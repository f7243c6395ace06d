"""The simulator's Account family (#2-#27 of the account-endpoints reference) over real HTTP, signed here with hmac.

Each endpoint answers a signed request with the documented fields; the numbers agree across endpoints the way
the reference's section R.1 says (on the demo account, which is the reference state R.2, and on randomized
large accounts, one-way and hedge); each costs its documented weight; parameter errors carry Binance's codes;
history endpoints filter, order and page as documented.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Iterator
from decimal import ROUND_DOWN, Decimal
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from binance_papi.simulator import (
    DEMO_API_KEY,
    DEMO_API_SECRET,
    DEMO_T0,
    FAULT_HEADER,
    Account,
    SimulatorHandle,
    large_account,
)

HOUR = 3_600_000
DAY = 24 * HOUR
EIGHT = Decimal("0.00000001")

# Documented weights (reference index), independent of the simulator's own table.
WEIGHTS = {
    "/papi/v1/balance": 20,
    "/papi/v1/account": 20,
    "/papi/v1/um/account": 5,
    "/papi/v2/um/account": 5,
    "/papi/v1/cm/account": 5,
    "/papi/v1/um/positionRisk": 5,
    "/papi/v1/cm/positionRisk": 1,
    "/papi/v1/margin/maxWithdraw": 5,
    "/papi/v1/margin/maxBorrowable": 5,
    "/papi/v1/um/leverageBracket": 1,
    "/papi/v1/cm/leverageBracket": 1,
    "/papi/v1/um/commissionRate": 20,
    "/papi/v1/cm/commissionRate": 20,
    "/papi/v1/um/positionSide/dual": 30,
    "/papi/v1/cm/positionSide/dual": 30,
    "/papi/v1/um/accountConfig": 5,
    "/papi/v1/um/symbolConfig": 5,
    "/papi/v1/um/apiTradingStatus": 1,  # with symbol; 10 without
    "/papi/v1/rateLimit/order": 1,
    "/papi/v1/repay-futures-switch": 30,
    "/papi/v1/um/income": 30,
    "/papi/v1/cm/income": 30,
    "/papi/v1/margin/marginLoan": 10,
    "/papi/v1/margin/repayLoan": 10,
    "/papi/v1/margin/marginInterestHistory": 1,
    "/papi/v1/portfolio/interest-history": 50,
    "/papi/v1/portfolio/negative-balance-exchange-record": 100,
}

WINDOW: dict[str, Any] = {"startTime": DEMO_T0 - 20 * DAY, "endTime": DEMO_T0 + HOUR}
# A valid request per endpoint (demo account, clock at T0 + 1 h) and the documented fields of its items.
REQUESTS: dict[str, tuple[dict[str, Any], set[str]]] = {
    "/papi/v1/balance": ({"asset": "USDT"}, {"asset", "totalWalletBalance", "crossMarginFree", "updateTime"}),
    "/papi/v1/account": (
        {},
        {
            "uniMMR", "accountEquity", "actualEquity", "accountInitialMargin", "accountMaintMargin", "accountStatus",
            "virtualMaxWithdrawAmount", "totalAvailableBalance", "totalMarginOpenLoss", "updateTime",
        },
    ),
    "/papi/v1/um/account": ({}, {"assets", "positions"}),
    "/papi/v2/um/account": ({}, {"assets", "positions"}),
    "/papi/v1/cm/account": ({}, {"assets", "positions"}),
    "/papi/v1/um/positionRisk": (
        {},
        {
            "symbol", "positionAmt", "entryPrice", "markPrice", "unRealizedProfit", "liquidationPrice", "leverage",
            "maxNotionalValue", "positionSide", "notional", "updateTime",
        },
    ),
    "/papi/v1/cm/positionRisk": (
        {},
        {
            "symbol", "positionAmt", "entryPrice", "markPrice", "unRealizedProfit", "liquidationPrice", "leverage",
            "positionSide", "updateTime", "maxQty", "notionalValue",
        },
    ),
    "/papi/v1/margin/maxWithdraw": ({"asset": "USDT"}, {"amount"}),
    "/papi/v1/margin/maxBorrowable": ({"asset": "BTC"}, {"amount", "borrowLimit"}),
    "/papi/v1/um/leverageBracket": ({}, {"symbol", "notionalCoef", "brackets"}),
    "/papi/v1/cm/leverageBracket": ({}, {"symbol", "brackets"}),
    "/papi/v1/um/commissionRate": ({"symbol": "BTCUSDT"}, {"symbol", "makerCommissionRate", "takerCommissionRate"}),
    "/papi/v1/cm/commissionRate": (
        {"symbol": "BTCUSD_PERP"},
        {"symbol", "makerCommissionRate", "takerCommissionRate"},
    ),
    "/papi/v1/um/positionSide/dual": ({}, {"dualSidePosition"}),
    "/papi/v1/cm/positionSide/dual": ({}, {"dualSidePosition"}),
    "/papi/v1/um/accountConfig": (
        {},
        {
            "feeTier", "canTrade", "canDeposit", "canWithdraw", "dualSidePosition", "updateTime", "multiAssetsMargin",
            "tradeGroupId",
        },
    ),
    "/papi/v1/um/symbolConfig": ({}, {"symbol", "marginType", "isAutoAddMargin", "leverage", "maxNotionalValue"}),
    "/papi/v1/um/apiTradingStatus": ({"symbol": "BTCUSDT"}, {"indicators", "updateTime"}),
    "/papi/v1/rateLimit/order": ({}, {"rateLimitType", "interval", "intervalNum", "limit"}),
    "/papi/v1/repay-futures-switch": ({}, {"autoRepay"}),
    "/papi/v1/um/income": (
        WINDOW,
        {"symbol", "incomeType", "income", "asset", "info", "time", "tranId", "tradeId"},
    ),
    "/papi/v1/cm/income": (
        WINDOW,
        {"symbol", "incomeType", "income", "asset", "info", "time", "tranId", "tradeId"},
    ),
    "/papi/v1/margin/marginLoan": ({"asset": "BTC", **WINDOW}, {"rows", "total"}),
    "/papi/v1/margin/repayLoan": ({"asset": "USDT", **WINDOW}, {"rows", "total"}),
    "/papi/v1/margin/marginInterestHistory": (WINDOW, {"rows", "total"}),
    "/papi/v1/portfolio/interest-history": (
        {"startTime": DEMO_T0 - 29 * DAY, "endTime": DEMO_T0},
        {"asset", "interest", "interestAccuredTime", "interestRate", "principal"},
    ),
    "/papi/v1/portfolio/negative-balance-exchange-record": (WINDOW, {"total", "rows"}),
}  # fmt: skip


class Caller:
    """Signed GETs for one account's HMAC key, timestamped from the simulator's clock."""

    def __init__(self, handle: SimulatorHandle, http: httpx.Client, key: str, secret: str) -> None:
        self.handle, self.http, self.key, self.secret = handle, http, key, secret

    def get(self, path: str, *, headers: dict[str, str] | None = None, **params: Any) -> httpx.Response:
        query = urlencode({**params, "timestamp": self.handle.simulator.now_ms()})
        signature = hmac.new(self.secret.encode(), query.encode(), hashlib.sha256).hexdigest()
        return self.http.get(
            f"{path}?{query}&signature={signature}", headers={"X-MBX-APIKEY": self.key, **(headers or {})}
        )

    def ok(self, path: str, **params: Any) -> Any:
        response = self.get(path, **params)
        assert response.status_code == 200, (path, response.text)
        return response.json()

    def error(self, path: str, **params: Any) -> int:
        response = self.get(path, **params)
        assert response.status_code == 400, (path, response.text)
        body = response.json()
        assert set(body) == {"code", "msg"}
        code: int = body["code"]
        return code


@pytest.fixture
def http(simulator: SimulatorHandle) -> Iterator[httpx.Client]:
    simulator.simulator.clock = lambda: DEMO_T0 + HOUR  # the demo state's moment, for the history windows
    with httpx.Client(base_url=simulator.base_url, timeout=10) as client:
        yield client


@pytest.fixture
def demo(simulator: SimulatorHandle, http: httpx.Client) -> Caller:
    return Caller(simulator, http, DEMO_API_KEY, DEMO_API_SECRET)


def caller_for(simulator: SimulatorHandle, http: httpx.Client, account: Account) -> Caller:
    simulator.simulator.add_account(account)
    return Caller(simulator, http, account.api_key, account.api_secret)


def d(text: str) -> Decimal:
    assert isinstance(text, str), text
    return Decimal(text)


def trunc8(value: Decimal) -> Decimal:
    return value.quantize(EIGHT, rounding=ROUND_DOWN)


# --- every endpoint -----------------------------------------------------------------------------------------------


def test_the_table_covers_every_documented_get() -> None:
    assert set(REQUESTS) == set(WEIGHTS)
    assert len(WEIGHTS) == 27


@pytest.mark.parametrize("path", sorted(REQUESTS))
def test_every_endpoint_answers_with_its_documented_fields(demo: Caller, path: str) -> None:
    params, fields = REQUESTS[path]
    body = demo.ok(path, **params)
    items = body if isinstance(body, list) else [body]
    assert items, path
    for item in items:
        assert fields <= set(item), (path, fields - set(item))
    assert demo.handle.simulator.requests[-1].status == 200


def test_demo_account_is_the_reference_state(demo: Caller) -> None:
    """The derived bodies reproduce the reference's example numbers (section R.2)."""
    assert demo.ok("/papi/v1/account") == {
        "uniMMR": "790.03641763",
        "accountEquity": "29183.76355900",
        "actualEquity": "29916.59322000",
        "accountInitialMargin": "95.24987000",
        "accountMaintMargin": "36.93977000",
        "accountStatus": "NORMAL",
        "virtualMaxWithdrawAmount": "29088.51368900",
        "totalAvailableBalance": "29088.51368900",
        "totalMarginOpenLoss": "0.00000000",
        "updateTime": 1767225600000,
    }
    um = demo.ok("/papi/v1/um/account")
    assert um["assets"][0] == {
        "asset": "USDT", "crossWalletBalance": "10000.00000000", "crossUnPnl": "10.00000000",
        "maintMargin": "2.44000000", "initialMargin": "45.25000000", "positionInitialMargin": "30.50000000",
        "openOrderInitialMargin": "14.75000000", "updateTime": 1767225600000,
    }  # fmt: skip
    assert um["positions"][0] == {
        "symbol": "BTCUSDT", "initialMargin": "45.25000000", "maintMargin": "2.44000000",
        "unrealizedProfit": "10.00000000", "positionInitialMargin": "30.50000000",
        "openOrderInitialMargin": "14.75000000", "leverage": "20", "entryPrice": "60000.0", "maxNotional": "3000000",
        "bidNotional": "295", "askNotional": "0", "positionSide": "BOTH", "positionAmt": "0.010",
        "updateTime": 1767225000000,
    }  # fmt: skip
    assert demo.ok("/papi/v1/um/positionRisk") == [
        {
            "symbol": "BTCUSDT", "positionAmt": "0.010", "entryPrice": "60000.0", "markPrice": "61000.00000000",
            "unRealizedProfit": "10.00000000", "liquidationPrice": "0", "leverage": "20",
            "maxNotionalValue": "3000000", "positionSide": "BOTH", "notional": "610.00000000",
            "updateTime": 1767225000000,
        }
    ]  # fmt: skip
    cm = demo.ok("/papi/v1/cm/account")
    assert cm["assets"] == [
        {
            "asset": "BTC", "crossWalletBalance": "0.20000000", "crossUnPnl": "0.00027322",
            "maintMargin": "0.00006557", "initialMargin": "0.00081967", "positionInitialMargin": "0.00081967",
            "openOrderInitialMargin": "0.00000000", "updateTime": 1767225600000,
        }
    ]  # fmt: skip
    risk = demo.ok("/papi/v1/cm/positionRisk", pair="BTCUSD")
    assert [(r["symbol"], r["notionalValue"], r["maxQty"]) for r in risk] == [("BTCUSD_PERP", "0.01639344", "20")]
    assert demo.ok("/papi/v1/margin/maxWithdraw", asset="USDT") == {"amount": "5000.00000000"}
    assert demo.ok("/papi/v1/margin/maxBorrowable", asset="BTC") == {"amount": "0.36000000", "borrowLimit": "50"}
    balances = {b["asset"]: b for b in demo.ok("/papi/v1/balance")}
    assert balances["USDT"]["totalWalletBalance"] == "15250.00000000"
    assert balances["BTC"]["crossMarginInterest"] == "0.00000120"
    brackets = demo.ok("/papi/v1/um/leverageBracket", symbol="BTCUSDT")[0]["brackets"]
    assert [(b["notionalCap"], b["maintMarginRatio"], b["cum"]) for b in brackets] == [
        (50000, 0.004, 0.0),
        (600000, 0.005, 50.0),
        (3000000, 0.01, 3050.0),
    ]


def test_json_numbers_are_exact_where_the_docs_use_numbers(demo: Caller) -> None:
    """Bracket, indicator and negative-balance values are bare JSON numbers with their exact digits."""
    raw = demo.get("/papi/v1/cm/leverageBracket", symbol="BTCUSD_PERP").content
    assert b'"maintMarginRatio":0.005,"cum":0.005}' in raw
    raw = demo.get("/papi/v1/um/apiTradingStatus").content
    assert b'"value":0.998,"triggerValue":0.995' in raw
    raw = demo.get("/papi/v1/portfolio/negative-balance-exchange-record", **WINDOW).content
    assert b'"negativeBalance":1.25,"negativeMaxThreshold":1}' in raw


# --- relations across endpoints (R.1) -----------------------------------------------------------------------------


def fetch_all(caller: Caller) -> dict[str, Any]:
    paths = [
        "/papi/v1/balance", "/papi/v1/account", "/papi/v1/um/account", "/papi/v2/um/account", "/papi/v1/cm/account",
        "/papi/v1/um/positionRisk", "/papi/v1/cm/positionRisk", "/papi/v1/um/symbolConfig",
        "/papi/v1/um/leverageBracket", "/papi/v1/cm/leverageBracket", "/papi/v1/um/positionSide/dual",
        "/papi/v1/cm/positionSide/dual", "/papi/v1/um/accountConfig",
    ]  # fmt: skip
    return {path: caller.ok(path) for path in paths}


def paged(caller: Caller, path: str, page_param: str, size_param: str, size: int, **params: Any) -> list[Any]:
    """Every row, page by page (rows[] bodies or plain arrays)."""
    rows: list[Any] = []
    page = 1
    while True:
        body = caller.ok(path, **{page_param: page, size_param: size}, **params)
        chunk = body["rows"] if isinstance(body, dict) else body
        rows.extend(chunk)
        if len(chunk) < size:
            return rows
        page += 1


def check_relations(caller: Caller) -> None:  # noqa: C901, PLR0912, PLR0915  (one list of R.1 relations)
    bodies = fetch_all(caller)
    balances = {b["asset"]: b for b in bodies["/papi/v1/balance"]}
    account = bodies["/papi/v1/account"]
    dual = bodies["/papi/v1/um/positionSide/dual"]["dualSidePosition"]
    assert bodies["/papi/v1/cm/positionSide/dual"]["dualSidePosition"] == dual
    assert bodies["/papi/v1/um/accountConfig"]["dualSidePosition"] == dual
    sides = {"LONG", "SHORT"} if dual else {"BOTH"}

    # #1 identities
    for b in balances.values():
        free, locked = d(b["crossMarginFree"]), d(b["crossMarginLocked"])
        assert d(b["crossMarginAsset"]) == free + locked
        assert d(b["totalWalletBalance"]) == free + locked + d(b["umWalletBalance"]) + d(b["cmWalletBalance"])

    # #1 UM / CM columns = #3 / #5 asset rows (assets without a row: zero wallet, "" PnL)
    for path, wallet, pnl in (
        ("/papi/v1/um/account", "umWalletBalance", "umUnrealizedPNL"),
        ("/papi/v1/cm/account", "cmWalletBalance", "cmUnrealizedPNL"),
    ):
        rows = {row["asset"]: row for row in bodies[path]["assets"]}
        for asset, b in balances.items():
            if asset in rows:
                assert b[wallet] == rows[asset]["crossWalletBalance"], (path, asset)
                assert b[pnl] == rows[asset]["crossUnPnl"], (path, asset)
            else:
                assert d(b[wallet]) == 0, (path, asset)
                assert b[pnl] == "", (path, asset)

    # v1 = v2 = positionRisk for the same (symbol, side); maxNotional = maxNotionalValue = symbolConfig
    um_v1 = {(p["symbol"], p["positionSide"]): p for p in bodies["/papi/v1/um/account"]["positions"]}
    um_v2 = {(p["symbol"], p["positionSide"]): p for p in bodies["/papi/v2/um/account"]["positions"]}
    assert um_v1.keys() == um_v2.keys()
    assert {side for _, side in um_v1} <= sides
    for key, v1 in um_v1.items():
        for name in ("initialMargin", "maintMargin", "unrealizedProfit", "positionAmt", "updateTime"):
            assert v1[name] == um_v2[key][name], (key, name)
        assert d(v1["initialMargin"]) == d(v1["positionInitialMargin"]) + d(v1["openOrderInitialMargin"])
    configs = {c["symbol"]: c for c in bodies["/papi/v1/um/symbolConfig"]}
    um_brackets = {b["symbol"]: b["brackets"] for b in bodies["/papi/v1/um/leverageBracket"]}
    risk_rows = bodies["/papi/v1/um/positionRisk"]
    for risk in risk_rows:
        key = (risk["symbol"], risk["positionSide"])
        v1, v2 = um_v1[key], um_v2[key]
        for name in ("positionAmt", "entryPrice", "leverage", "updateTime"):
            assert risk[name] == v1[name], (key, name)
        assert risk["unRealizedProfit"] == v1["unrealizedProfit"]
        assert risk["maxNotionalValue"] == v1["maxNotional"] == configs[risk["symbol"]]["maxNotionalValue"]
        assert risk["notional"] == v2["notional"]
        assert int(risk["leverage"]) == configs[risk["symbol"]]["leverage"]
        amount, mark, entry = d(risk["positionAmt"]), d(risk["markPrice"]), d(risk["entryPrice"])
        assert d(risk["notional"]) == trunc8(amount * mark)
        assert d(risk["unRealizedProfit"]) == (trunc8(amount * (mark - entry)) if amount else 0)
        # MM from the bracket that holds |notional|; maxNotional = cap at the leverage (#10)
        table = um_brackets[risk["symbol"]]
        notional = abs(d(risk["notional"]))
        bracket = next((b for b in table if notional < Decimal(str(b["notionalCap"]))), table[-1])
        mmr, cum = Decimal(str(bracket["maintMarginRatio"])), Decimal(str(bracket["cum"]))
        assert d(v1["maintMargin"]) == (max(Decimal(0), trunc8(notional * mmr - cum)) if amount else 0)
        allowed = [b["notionalCap"] for b in table if b["initialLeverage"] >= int(risk["leverage"])]
        assert d(risk["maxNotionalValue"]) == max(allowed)
    active = {r["symbol"] for r in risk_rows}
    for (symbol, _), v1 in um_v1.items():
        if symbol not in active:
            assert d(v1["positionAmt"]) == 0
            assert d(v1["initialMargin"]) == 0

    cm_rows = {(p["symbol"], p["positionSide"]): p for p in bodies["/papi/v1/cm/account"]["positions"]}
    cm_risk = {(p["symbol"], p["positionSide"]): p for p in bodies["/papi/v1/cm/positionRisk"]}
    assert cm_rows.keys() == cm_risk.keys()
    for key, row in cm_rows.items():
        risk = cm_risk[key]
        for name in ("positionAmt", "entryPrice", "leverage", "maxQty", "updateTime"):
            assert row[name] == risk[name], (key, name)
        assert row["unrealizedProfit"] == risk["unRealizedProfit"]
        assert d(row["initialMargin"]) == d(row["positionInitialMargin"]) + d(row["openOrderInitialMargin"])

    # asset rows = sums of their positions
    um_symbol_asset = {}
    for path, positions in (("/papi/v1/um/account", um_v1), ("/papi/v1/cm/account", cm_rows)):
        sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        assets = {row["asset"]: row for row in bodies[path]["assets"]}
        margin_asset = _margin_assets(bodies, path)
        um_symbol_asset.update(margin_asset)
        for (symbol, _), p in positions.items():
            for name in ("maintMargin", "positionInitialMargin", "openOrderInitialMargin", "initialMargin"):
                sums[margin_asset[symbol]][name] += d(p[name])
            sums[margin_asset[symbol]]["crossUnPnl"] += d(p["unrealizedProfit"])
        for asset, row in assets.items():
            for name in (
                "maintMargin",
                "positionInitialMargin",
                "openOrderInitialMargin",
                "initialMargin",
                "crossUnPnl",
            ):
                assert d(row[name]) == sums[asset][name], (path, asset, name)

    # #2: uniMMR = accountEquity / accountMaintMargin; available = equity - IM
    equity, maint = d(account["accountEquity"]), d(account["accountMaintMargin"])
    if maint:
        assert d(account["uniMMR"]) == trunc8(equity / maint)
    assert d(account["totalAvailableBalance"]) == equity - d(account["accountInitialMargin"])
    assert d(account["actualEquity"]) >= equity


def _margin_assets(bodies: dict[str, Any], path: str) -> dict[str, str]:
    """Symbol -> margin asset, as far as the family tells: CM from positionRisk with marginAsset is not fetched
    here, so derive it from the names (UM: quote suffix of an asset row; CM: `<asset>USD_...`)."""
    assets = [row["asset"] for row in bodies[path]["assets"]]
    positions = bodies[path]["positions"]
    result = {}
    for p in positions:
        symbol = p["symbol"]
        if "/cm/" in path:
            result[symbol] = symbol.split("USD_")[0]
        else:
            result[symbol] = next(a for a in sorted(assets, key=len, reverse=True) if symbol.endswith(a))
    return result


def check_ledgers(caller: Caller, clock_ms: int) -> None:
    """Wallets = sums of income rows; borrowed = loans - repaid principal; interest = charges - repaid interest."""
    balances = {b["asset"]: b for b in caller.ok("/papi/v1/balance")}
    for path, column, days in (
        ("/papi/v1/um/income", "umWalletBalance", 90),
        ("/papi/v1/cm/income", "cmWalletBalance", 200),
    ):
        rows = paged(caller, path, "page", "limit", 1000, startTime=clock_ms - days * DAY, endTime=clock_ms)
        wallets: dict[str, Decimal] = defaultdict(Decimal)
        for row in rows:
            wallets[row["asset"]] += d(row["income"])
        for asset, b in balances.items():
            assert d(b[column]) == wallets[asset], (path, asset)
    window = {"startTime": clock_ms - 29 * DAY, "endTime": clock_ms}
    charges = paged(caller, "/papi/v1/margin/marginInterestHistory", "current", "size", 100, **window)
    for asset, b in balances.items():
        if d(b["crossMarginBorrowed"]) == 0 and d(b["crossMarginInterest"]) == 0:
            continue
        loans = paged(caller, "/papi/v1/margin/marginLoan", "current", "size", 100, asset=asset, **window)
        repays = paged(caller, "/papi/v1/margin/repayLoan", "current", "size", 100, asset=asset, **window)
        lent = sum((d(r["principal"]) for r in loans if r["status"] == "CONFIRMED"), Decimal(0))
        repaid = sum((d(r["principal"]) for r in repays if r["status"] == "CONFIRMED"), Decimal(0))
        assert d(b["crossMarginBorrowed"]) == lent - repaid, asset
        charged = sum(
            (d(c["interest"]) for c in charges if c["asset"] == asset and c["type"] != "PORTFOLIO"), Decimal(0)
        )
        paid = sum((d(r["interest"]) for r in repays if r["status"] == "CONFIRMED"), Decimal(0))
        assert d(b["crossMarginInterest"]) == charged - paid, asset
        for charge in charges:
            if charge["type"] in ("PERIODIC", "ON_BORROW"):
                assert d(charge["interest"]) == trunc8(d(charge["principal"]) * d(charge["interestRate"]) / 24)


def test_relations_hold_on_the_demo_account(demo: Caller) -> None:
    check_relations(demo)
    check_ledgers(demo, DEMO_T0 + HOUR)


@pytest.mark.parametrize(("seed", "positions", "hedge"), [(1, 40, False), (2, 40, True), (3, 7, False), (4, 0, False)])
def test_relations_hold_on_large_random_accounts(
    simulator: SimulatorHandle, http: httpx.Client, seed: int, positions: int, hedge: bool
) -> None:
    caller = caller_for(simulator, http, large_account(30, seed, positions=positions, hedge=hedge))
    check_relations(caller)
    check_ledgers(caller, DEMO_T0 + HOUR)
    risk = caller.ok("/papi/v1/um/positionRisk")
    assert len({r["symbol"] for r in risk}) == positions
    assert {r["positionSide"] for r in risk} <= ({"LONG", "SHORT"} if hedge else {"BOTH"})


def test_large_account_serves_hundreds_of_positions(simulator: SimulatorHandle, http: httpx.Client) -> None:
    account = large_account(20, 5, positions=300)
    assert large_account(20, 5, positions=300).view.um_rows == account.view.um_rows  # deterministic
    caller = caller_for(simulator, http, account)
    assert len(caller.ok("/papi/v1/um/positionRisk")) == 300
    assert len(caller.ok("/papi/v1/um/account")["positions"]) == 300
    # The plain large account (no positions) still serves its balances, under its own key.
    plain = caller_for(simulator, http, large_account(20, 5))
    assert [b["asset"] for b in plain.ok("/papi/v1/balance")][:2] == ["A0001", "A0002"]


# --- weights ------------------------------------------------------------------------------------------------------


def test_each_endpoint_costs_its_documented_weight(demo: Caller) -> None:
    used = 0
    for path, (params, _) in REQUESTS.items():
        response = demo.get(path, **params)
        assert response.status_code == 200, path
        used += WEIGHTS[path]
        assert response.headers["X-MBX-USED-WEIGHT-1M"] == str(used), path
    response = demo.get("/papi/v1/um/apiTradingStatus")  # without symbol: 10
    assert response.headers["X-MBX-USED-WEIGHT-1M"] == str(used + 10)


def test_a_refused_request_still_costs_its_weight(demo: Caller) -> None:
    response = demo.get("/papi/v1/portfolio/negative-balance-exchange-record")  # missing times: -1102
    assert response.status_code == 400
    assert response.headers["X-MBX-USED-WEIGHT-1M"] == "100"


# --- parameter errors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "code"),
    [
        ("/papi/v1/account", {"asset": "USDT"}, -1103),
        ("/papi/v1/um/account", {"symbol": "BTCUSDT"}, -1103),
        ("/papi/v1/margin/maxWithdraw", {}, -1102),
        ("/papi/v1/margin/maxBorrowable", {}, -1102),
        ("/papi/v1/margin/maxWithdraw", {"asset": "NOPE"}, -1108),
        ("/papi/v1/margin/maxBorrowable", {"asset": ""}, -1105),
        ("/papi/v1/um/commissionRate", {}, -1102),
        ("/papi/v1/cm/commissionRate", {"symbol": "BTCUSDT"}, -1121),
        ("/papi/v1/um/positionRisk", {"symbol": "BTCUSD_PERP"}, -1121),
        ("/papi/v1/um/leverageBracket", {"symbol": "NOPE"}, -1121),
        ("/papi/v1/um/symbolConfig", {"symbol": "NOPE"}, -1121),
        ("/papi/v1/um/apiTradingStatus", {"symbol": "NOPE"}, -1121),
        ("/papi/v1/cm/positionRisk", {"marginAsset": "BTC", "pair": "BTCUSD"}, -1128),
        ("/papi/v1/cm/positionRisk", {"pair": "NOPEUSD"}, -4144),
        ("/papi/v1/cm/positionRisk", {"marginAsset": "NOPE"}, -1108),
        ("/papi/v1/um/income", {"limit": 1001}, -1130),
        ("/papi/v1/um/income", {"limit": "ten"}, -1100),
        ("/papi/v1/um/income", {"incomeType": "GIFT"}, -1130),
        ("/papi/v1/um/income", {"startTime": DEMO_T0, "endTime": DEMO_T0 - 1}, -1023),
        ("/papi/v1/cm/income", {"startTime": DEMO_T0 - 201 * DAY, "endTime": DEMO_T0}, -4165),
        ("/papi/v1/margin/marginLoan", {"startTime": DEMO_T0}, -1102),
        ("/papi/v1/margin/marginLoan", {"asset": "BTC"}, -1102),
        ("/papi/v1/margin/repayLoan", {"asset": "BTC", "startTime": DEMO_T0, "size": 101}, -1130),
        ("/papi/v1/margin/repayLoan", {"asset": "BTC", "startTime": DEMO_T0, "archived": "yes"}, -1130),
        ("/papi/v1/margin/marginInterestHistory", {"startTime": DEMO_T0 - 31 * DAY, "endTime": DEMO_T0}, -1127),
        ("/papi/v1/portfolio/interest-history", {"asset": "NOPE"}, -1108),
        ("/papi/v1/portfolio/negative-balance-exchange-record", {"startTime": DEMO_T0}, -1102),
        ("/papi/v1/portfolio/negative-balance-exchange-record", {"startTime": 0, "endTime": DEMO_T0}, -1127),
    ],
)
def test_parameter_errors(demo: Caller, path: str, params: dict[str, Any], code: int) -> None:
    assert demo.error(path, **params) == code


def test_signature_and_key_rules_apply_to_every_endpoint(simulator: SimulatorHandle, http: httpx.Client) -> None:
    wrong = Caller(simulator, http, DEMO_API_KEY, "not-the-demo-secret")
    for path, (params, _) in REQUESTS.items():
        assert wrong.error(path, **params) == -1022, path
        response = http.get(path, params={"timestamp": simulator.simulator.now_ms()})
        assert response.status_code == 401, path
        assert response.json()["code"] == -2014


# --- history: filters, ordering, paging ---------------------------------------------------------------------------


def test_income_is_oldest_first_and_pages_cover_every_row_once(demo: Caller) -> None:
    everything = demo.ok("/papi/v1/um/income", **WINDOW)
    times = [row["time"] for row in everything]
    assert times == sorted(times)
    assert len(everything) == 3
    pages = [demo.ok("/papi/v1/um/income", page=page, limit=2, **WINDOW) for page in (1, 2, 3)]
    assert [len(p) for p in pages] == [2, 1, 0]
    assert pages[0] + pages[1] == everything
    funding = demo.ok("/papi/v1/um/income", incomeType="FUNDING_FEE", symbol="BTCUSDT", **WINDOW)
    assert [row["incomeType"] for row in funding] == ["FUNDING_FEE"]


def test_income_time_filters_are_inclusive_and_default_to_the_last_7_days(demo: Caller) -> None:
    commission_time = 1767200000000
    rows = demo.ok("/papi/v1/um/income", startTime=commission_time, endTime=commission_time)
    assert [row["incomeType"] for row in rows] == ["COMMISSION"]
    assert demo.ok("/papi/v1/um/income", startTime=commission_time + 1, endTime=DEMO_T0 - 1) == []
    assert len(demo.ok("/papi/v1/um/income")) == 3  # clock at T0 + 1 h: all three are within 7 days
    demo.handle.simulator.clock = lambda: DEMO_T0 + 8 * DAY
    assert demo.ok("/papi/v1/um/income") == []
    assert len(demo.ok("/papi/v1/cm/income")) == 2  # CM: the last 200 days


def test_margin_histories_are_newest_first_with_totals(demo: Caller) -> None:
    body = demo.ok("/papi/v1/margin/marginInterestHistory", asset="BTC", size=4, **WINDOW)
    assert body["total"] == 10
    times = [row["interestAccuredTime"] for row in body["rows"]]
    assert times == sorted(times, reverse=True)
    assert len(times) == 4
    pages = paged(demo, "/papi/v1/margin/marginInterestHistory", "current", "size", 4, asset="BTC", **WINDOW)
    assert len({row["txId"] for row in pages}) == 10
    assert [row["type"] for row in pages][-1] == "ON_BORROW"
    # PORTFOLIO rows are the negative-balance charges of #26.
    portfolio = demo.ok("/papi/v1/margin/marginInterestHistory", asset="USDT", startTime=DEMO_T0 - 29 * DAY)
    negative = demo.ok("/papi/v1/portfolio/interest-history", asset="USDT", startTime=DEMO_T0 - 29 * DAY)
    assert [r["interest"] for r in portfolio["rows"] if r["type"] == "PORTFOLIO"] == [r["interest"] for r in negative]
    # txId wins over the times; ids beyond 2**53 arrive as exact JSON integers.
    loan = demo.ok("/papi/v1/margin/marginLoan", asset="BTC", txId=1440000000000000123)
    assert loan["total"] == 1
    assert loan["rows"][0]["txId"] == 1440000000000000123
    assert demo.ok("/papi/v1/margin/marginLoan", asset="BTC", txId=1)["total"] == 0
    repay = demo.ok("/papi/v1/margin/repayLoan", asset="USDT", **WINDOW)["rows"][0]
    assert d(repay["amount"]) == d(repay["principal"]) + d(repay["interest"])


# --- faults -------------------------------------------------------------------------------------------------------


def test_faults_apply_to_every_endpoint(demo: Caller) -> None:
    sim = demo.handle.simulator
    response = demo.get("/papi/v1/um/account", headers={FAULT_HEADER: "503-unknown"})
    assert response.status_code == 503
    mangled = demo.get("/papi/v1/account", headers={FAULT_HEADER: "wrong-type"}).json()
    assert isinstance(mangled["uniMMR"], float | int)
    assert isinstance(
        demo.get("/papi/v1/um/positionSide/dual", headers={FAULT_HEADER: "wrong-type"}).json()["dualSidePosition"], str
    )
    sim.fail_next("500", 1)
    assert demo.get("/papi/v1/margin/maxWithdraw", asset="USDT").status_code == 500
    assert demo.get("/papi/v1/margin/maxWithdraw", asset="USDT").status_code == 200
    sim.set_fault("truncated")
    assert demo.http.get("/fapi/v1/time").status_code == 200  # time stays healthy
    truncated = demo.get("/papi/v1/cm/account").content
    sim.set_fault(None)
    good = demo.get("/papi/v1/cm/account").content
    assert truncated == good[: len(good) // 2]
