"""The history endpoints (#21-#27): filters, time windows, paging and ordering, over the state's rows.

Futures income (#21, #22) is oldest first, paged by `page` / `limit`; margin loans, repays, interest
(#23-#25), negative-balance interest (#26) and auto-exchange records (#27) are newest first, the first
three paged by `current` / `size` with `total` counting every match. Time windows are inclusive and
relative to the server's clock ("the last 7 days" when no time is sent).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

from ._format import amount8, plain
from ._params import (
    DAY_MS,
    TimeRules,
    asset_param,
    bounded,
    choice,
    integer,
    mandatory_missing,
    symbol_param,
    time_window,
)
from ._query import bad_request
from ._state import CM_INCOME_TYPES, UM_INCOME_TYPES, Income
from ._views import AccountView

__all__ = [
    "cm_income_body",
    "interest_history_body",
    "margin_interest_body",
    "margin_loan_body",
    "margin_repay_body",
    "negative_exchange_body",
    "um_income_body",
]

JsonObject = dict[str, Any]
_T = TypeVar("_T")

UM_INCOME_RULES = TimeRules(default_ms=7 * DAY_MS, max_ms=None)
CM_INCOME_RULES = TimeRules(200 * DAY_MS, 200 * DAY_MS, (-4165, "Maximum time interval is 200 days."))
MARGIN_RULES = TimeRules(default_ms=7 * DAY_MS, max_ms=30 * DAY_MS)
EXCHANGE_RULES = TimeRules(90 * DAY_MS, 90 * DAY_MS, (-1127, "More than 2160 hours between startTime and endTime."))
_ARCHIVED = ("true", "false")


def _page(rows: Sequence[_T], number: int, size: int) -> Sequence[_T]:
    return rows[(number - 1) * size : number * size]


def _income(view: AccountView, params: dict[str, str], now_ms: int, kind: str) -> list[JsonObject]:
    state = view.state
    symbols = state.market.um if kind == "um" else state.market.cm
    symbol = symbol_param(params, symbols)
    income_type = choice(params, "incomeType", UM_INCOME_TYPES if kind == "um" else CM_INCOME_TYPES)
    page = bounded(params, "page", 1, 10**9)
    limit = bounded(params, "limit", 100, 1000)
    start, end = time_window(params, now_ms, UM_INCOME_RULES if kind == "um" else CM_INCOME_RULES)
    rows: list[Income] = sorted(
        (
            row
            for row in (state.um_income if kind == "um" else state.cm_income)
            if start <= row.time <= end
            and (symbol is None or row.symbol == symbol)
            and (income_type is None or row.income_type == income_type)
        ),
        key=lambda row: row.time,
    )
    return [
        {
            "symbol": row.symbol,
            "incomeType": row.income_type,
            "income": amount8(row.income),
            "asset": row.asset,
            "info": row.info,
            "time": row.time,
            "tranId": row.tran_id,
            "tradeId": row.trade_id,
        }
        for row in _page(rows, page, limit)
    ]


def um_income_body(view: AccountView, params: dict[str, str], now_ms: int) -> list[JsonObject]:
    """#21 GET /papi/v1/um/income: the last 7 days unless times are sent; oldest first."""
    return _income(view, params, now_ms, "um")


def cm_income_body(view: AccountView, params: dict[str, str], now_ms: int) -> list[JsonObject]:
    """#22 GET /papi/v1/cm/income: windows of at most 200 days (the last 200 by default); oldest first."""
    return _income(view, params, now_ms, "cm")


def _margin_records(
    view: AccountView, params: dict[str, str], now_ms: int, *, by_tx: bool
) -> tuple[str | None, int | None, tuple[int, int], int, int]:
    """The shared parameters of #23-#25: asset, txId, window, current, size (archived checked only)."""
    asset = asset_param(params, view.ledgers, required=by_tx)
    tx_id = integer(params, "txId") if by_tx else None
    if by_tx and tx_id is None and "startTime" not in params:
        raise bad_request(-1102, "Param 'txId' or 'startTime' must be sent, but both were empty/null!")
    choice(params, "archived", _ARCHIVED)
    window = time_window(params, now_ms, MARGIN_RULES)
    return asset, tx_id, window, bounded(params, "current", 1, 10**9), bounded(params, "size", 10, 100)


def _rows_total(rows: list[JsonObject], current: int, size: int, time_key: str) -> JsonObject:
    rows.sort(key=lambda row: row[time_key], reverse=True)
    return {"rows": list(_page(rows, current, size)), "total": len(rows)}


def margin_loan_body(view: AccountView, params: dict[str, str], now_ms: int) -> JsonObject:
    """#23 GET /papi/v1/margin/marginLoan: asset required; txId, or a window of at most 30 days; newest first."""
    asset, tx_id, (start, end), current, size = _margin_records(view, params, now_ms, by_tx=True)
    rows = [
        {
            "txId": loan.tx_id,
            "asset": loan.asset,
            "principal": amount8(loan.principal),
            "timestamp": loan.timestamp,
            "status": loan.status,
        }
        for loan in view.state.loans
        if loan.asset == asset and (loan.tx_id == tx_id if tx_id is not None else start <= loan.timestamp <= end)
    ]
    return _rows_total(rows, current, size, "timestamp")


def margin_repay_body(view: AccountView, params: dict[str, str], now_ms: int) -> JsonObject:
    """#24 GET /papi/v1/margin/repayLoan: as #23; `amount` = principal + interest."""
    asset, tx_id, (start, end), current, size = _margin_records(view, params, now_ms, by_tx=True)
    rows = [
        {
            "amount": amount8(repay.amount),
            "asset": repay.asset,
            "interest": amount8(repay.interest),
            "principal": amount8(repay.principal),
            "status": repay.status,
            "timestamp": repay.timestamp,
            "txId": repay.tx_id,
        }
        for repay in view.state.repays
        if repay.asset == asset and (repay.tx_id == tx_id if tx_id is not None else start <= repay.timestamp <= end)
    ]
    return _rows_total(rows, current, size, "timestamp")


def _interest_row(
    *,
    tx_id: int,
    time: int,
    asset: str,
    raw_asset: str,
    principal: Decimal,
    interest: Decimal,
    rate: Decimal,
    kind: str,
) -> JsonObject:
    return {
        "txId": tx_id,
        "interestAccuredTime": time,
        "asset": asset,
        "rawAsset": raw_asset,
        "principal": amount8(principal),
        "interest": amount8(interest),
        "interestRate": amount8(rate),
        "type": kind,
    }


def margin_interest_body(view: AccountView, params: dict[str, str], now_ms: int) -> JsonObject:
    """#25 GET /papi/v1/margin/marginInterestHistory: hourly charges and PORTFOLIO (negative balance) charges."""
    asset, _, (start, end), current, size = _margin_records(view, params, now_ms, by_tx=False)
    state = view.state
    rows = [
        _interest_row(
            tx_id=c.tx_id,
            time=c.time,
            asset=c.asset,
            raw_asset=c.raw_asset or c.asset,
            principal=c.principal,
            interest=c.interest,
            rate=c.daily_rate,
            kind=c.type,
        )
        for c in state.interest
        if (asset is None or c.asset == asset) and start <= c.time <= end
    ] + [
        _interest_row(
            tx_id=n.tx_id,
            time=n.time,
            asset=n.asset,
            raw_asset=n.asset,
            principal=n.principal,
            interest=n.interest,
            rate=n.daily_rate,
            kind="PORTFOLIO",
        )
        for n in state.negative_interest
        if (asset is None or n.asset == asset) and start <= n.time <= end
    ]
    return _rows_total(rows, current, size, "interestAccuredTime")


def interest_history_body(view: AccountView, params: dict[str, str], now_ms: int) -> list[JsonObject]:
    """#26 GET /papi/v1/portfolio/interest-history: negative-balance daily interest, newest first, `size` rows."""
    asset = asset_param(params, view.ledgers)
    size = bounded(params, "size", 10, 100)
    start, end = time_window(params, now_ms, MARGIN_RULES)
    charges = sorted(
        (n for n in view.state.negative_interest if (asset is None or n.asset == asset) and start <= n.time <= end),
        key=lambda n: n.time,
        reverse=True,
    )
    return [
        {
            "asset": n.asset,
            "interest": amount8(n.interest),
            "interestAccuredTime": n.time,
            "interestRate": plain(n.daily_rate),
            "principal": plain(n.principal),
        }
        for n in charges[:size]
    ]


def negative_exchange_body(view: AccountView, params: dict[str, str], now_ms: int) -> JsonObject:
    """#27 GET /papi/v1/portfolio/negative-balance-exchange-record: both times, at most 90 days; newest first."""
    for name in ("startTime", "endTime"):
        if name not in params:
            raise mandatory_missing(name)
    start, end = time_window(params, now_ms, EXCHANGE_RULES)
    events = sorted(
        (e for e in view.state.negative_exchanges if start <= e.start_time <= end),
        key=lambda e: e.start_time,
        reverse=True,
    )
    return {
        "total": len(events),
        "rows": [
            {
                "startTime": e.start_time,
                "endTime": e.end_time,
                "details": [
                    {
                        "asset": d.asset,
                        "negativeBalance": d.negative_balance,
                        "negativeMaxThreshold": d.negative_max_threshold,
                    }
                    for d in e.details
                ],
            }
            for e in events
        ],
    }
