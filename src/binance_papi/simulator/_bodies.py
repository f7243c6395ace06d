"""The JSON bodies of the snapshot-like endpoints (#2-#20), built from an `AccountView`.

Keys are in the reference's order; amounts are strings (8 decimals where derived), bracket and indicator
values JSON numbers (`Decimal`s, written exactly by `_format.dumps`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ._format import amount8, compact, margin8, plain
from ._state import Bracket
from ._views import AccountView, FuturesRow, WalletRow

__all__ = [
    "account_body",
    "api_trading_status_body",
    "cm_account_body",
    "cm_bracket_body",
    "cm_position_risk_body",
    "commission_body",
    "um_account_body",
    "um_account_config_body",
    "um_bracket_body",
    "um_position_risk_body",
    "um_symbol_config_body",
]

JsonObject = dict[str, Any]


def account_body(view: AccountView) -> JsonObject:
    """#2 GET /papi/v1/account."""
    state = view.state
    return {
        "uniMMR": amount8(view.uni_mmr),
        "accountEquity": amount8(view.account_equity),
        "actualEquity": amount8(view.actual_equity),
        "accountInitialMargin": amount8(view.account_initial_margin),
        "accountMaintMargin": amount8(view.account_maint_margin),
        "accountStatus": state.config.account_status,
        "virtualMaxWithdrawAmount": amount8(max(view.available, Decimal(0))),
        "totalAvailableBalance": amount8(view.available),
        "totalMarginOpenLoss": amount8(view.open_loss),
        "updateTime": state.update_time,
    }


def _wallet_row(row: WalletRow) -> JsonObject:
    return {
        "asset": row.asset,
        "crossWalletBalance": amount8(row.wallet),
        "crossUnPnl": amount8(row.unrealized_pnl),
        "maintMargin": amount8(row.maint_margin),
        "initialMargin": amount8(row.initial_margin),
        "positionInitialMargin": amount8(row.position_initial_margin),
        "openOrderInitialMargin": amount8(row.open_order_initial_margin),
        "updateTime": row.update_time,
    }


def _um_v1_position(row: FuturesRow) -> JsonObject:
    return {
        "symbol": row.symbol,
        "initialMargin": margin8(row.initial_margin),
        "maintMargin": margin8(row.maint_margin),
        "unrealizedProfit": amount8(row.unrealized_pnl),
        "positionInitialMargin": margin8(row.position_initial_margin),
        "openOrderInitialMargin": margin8(row.open_order_initial_margin),
        "leverage": str(row.leverage),
        "entryPrice": plain(row.entry_price),
        "maxNotional": compact(row.max_size),
        "bidNotional": compact(row.bid_notional),
        "askNotional": compact(row.ask_notional),
        "positionSide": row.side,
        "positionAmt": plain(row.amount),
        "updateTime": row.update_time,
    }


_V2_KEYS = ("symbol", "initialMargin", "maintMargin", "unrealizedProfit", "positionSide", "positionAmt", "updateTime")


def _um_v2_position(row: FuturesRow) -> JsonObject:
    v1 = _um_v1_position(row)
    return {**{key: v1[key] for key in _V2_KEYS}, "notional": amount8(row.notional)}


def um_account_body(view: AccountView, *, v2: bool = False) -> JsonObject:
    """#3 GET /papi/v1/um/account (every UM symbol listed) and #4 GET /papi/v2/um/account (slimmer positions)."""
    position = _um_v2_position if v2 else _um_v1_position
    return {
        "assets": [_wallet_row(row) for row in view.um_assets.values()],
        "positions": [position(row) for row in view.um_rows],
    }


def cm_account_body(view: AccountView) -> JsonObject:
    """#5 GET /papi/v1/cm/account."""
    return {
        "assets": [_wallet_row(row) for row in view.cm_assets.values()],
        "positions": [
            {
                "symbol": row.symbol,
                "positionAmt": plain(row.amount),
                "initialMargin": margin8(row.initial_margin),
                "maintMargin": margin8(row.maint_margin),
                "unrealizedProfit": amount8(row.unrealized_pnl),
                "positionInitialMargin": margin8(row.position_initial_margin),
                "openOrderInitialMargin": margin8(row.open_order_initial_margin),
                "leverage": str(row.leverage),
                "positionSide": row.side,
                "entryPrice": plain(row.entry_price),
                "maxQty": compact(row.max_size),
                "updateTime": row.update_time,
            }
            for row in view.cm_rows
        ],
    }


def um_position_risk_body(view: AccountView, symbol: str | None) -> list[JsonObject]:
    """#6: rows of the symbols with a position or open orders (both sides in hedge mode), or of one symbol."""
    if symbol is None:
        active = {row.symbol for row in view.um_rows if row.has_position or row.has_orders}
        rows = [row for row in view.um_rows if row.symbol in active]
    else:
        rows = [row for row in view.um_rows if row.symbol == symbol]
    return [
        {
            "symbol": row.symbol,
            "positionAmt": plain(row.amount),
            "entryPrice": plain(row.entry_price),
            "markPrice": amount8(row.mark_price),
            "unRealizedProfit": amount8(row.unrealized_pnl),
            "liquidationPrice": "0",
            "leverage": str(row.leverage),
            "maxNotionalValue": compact(row.max_size),
            "positionSide": row.side,
            "notional": amount8(row.notional),
            "updateTime": row.update_time,
        }
        for row in rows
    ]


def cm_position_risk_body(view: AccountView, margin_asset: str | None, pair: str | None) -> list[JsonObject]:
    """#7: every CM symbol's rows, or those of one margin asset or one pair."""
    symbols = view.state.market.cm
    rows = [
        row
        for row in view.cm_rows
        if (margin_asset is None or row.margin_asset == margin_asset)
        and (pair is None or symbols[row.symbol].pair == pair)
    ]
    return [
        {
            "symbol": row.symbol,
            "positionAmt": plain(row.amount),
            "entryPrice": plain(row.entry_price),
            "markPrice": amount8(row.mark_price),
            "unRealizedProfit": amount8(row.unrealized_pnl),
            "liquidationPrice": "0",
            "leverage": str(row.leverage),
            "positionSide": row.side,
            "updateTime": row.update_time,
            "maxQty": compact(row.max_size),
            "notionalValue": amount8(row.notional),
        }
        for row in rows
    ]


def _bracket(bracket: Bracket, bound: str) -> JsonObject:
    return {
        "bracket": bracket.bracket,
        "initialLeverage": bracket.initial_leverage,
        f"{bound}Cap": bracket.cap.normalize(),
        f"{bound}Floor": bracket.floor.normalize(),
        "maintMarginRatio": bracket.maint_margin_ratio,
        "cum": bracket.cum,
    }


def um_bracket_body(view: AccountView, symbol: str | None) -> list[JsonObject]:
    """#10: UM brackets, every symbol or one."""
    return [
        {
            "symbol": spec.symbol,
            "notionalCoef": plain(spec.notional_coef),
            "brackets": [_bracket(b, "notional") for b in spec.brackets],
        }
        for spec in view.state.market.um.values()
        if symbol is None or spec.symbol == symbol
    ]


def cm_bracket_body(view: AccountView, symbol: str | None) -> list[JsonObject]:
    """#11: CM brackets, every symbol or one."""
    return [
        {"symbol": spec.symbol, "brackets": [_bracket(b, "qty") for b in spec.brackets]}
        for spec in view.state.market.cm.values()
        if symbol is None or spec.symbol == symbol
    ]


def commission_body(view: AccountView, kind: str, symbol: str) -> JsonObject:
    """#12 / #13: one symbol's maker and taker rates."""
    market = view.state.market
    spec = market.um[symbol] if kind == "um" else market.cm[symbol]
    return {
        "symbol": symbol,
        "makerCommissionRate": plain(spec.maker_commission),
        "takerCommissionRate": plain(spec.taker_commission),
    }


def um_account_config_body(view: AccountView) -> JsonObject:
    """#16."""
    config = view.state.config
    return {
        "feeTier": config.fee_tier,
        "canTrade": config.can_trade,
        "canDeposit": config.can_deposit,
        "canWithdraw": config.can_withdraw,
        "dualSidePosition": config.dual_side_position,
        "updateTime": view.state.update_time,
        "multiAssetsMargin": config.multi_assets_margin,
        "tradeGroupId": config.trade_group_id,
    }


def um_symbol_config_body(view: AccountView, symbol: str | None) -> list[JsonObject]:
    """#17: one row per UM symbol (not per side): leverage and the maxNotionalValue it allows."""
    seen: set[str] = set()
    rows: list[JsonObject] = []
    for row in view.um_rows:
        if row.symbol in seen or (symbol is not None and row.symbol != symbol):
            continue
        seen.add(row.symbol)
        rows.append(
            {
                "symbol": row.symbol,
                "marginType": "CROSSED",
                "isAutoAddMargin": "false",
                "leverage": row.leverage,
                "maxNotionalValue": compact(row.max_size),
            }
        )
    return rows


def api_trading_status_body(view: AccountView, symbol: str | None) -> JsonObject:
    """#18: the indicators map (symbol or "ACCOUNT" -> list); one symbol's entries on request."""
    indicators: dict[str, list[JsonObject]] = {}
    for item in view.state.indicators:
        if symbol is not None and item.key != symbol:
            continue
        indicators.setdefault(item.key, []).append(
            {
                "isLocked": item.is_locked,
                "plannedRecoverTime": item.planned_recover_time,
                "indicator": item.indicator,
                "value": item.value,
                "triggerValue": item.trigger_value,
            }
        )
    return {"indicators": indicators, "updateTime": view.state.indicators_update_time}
