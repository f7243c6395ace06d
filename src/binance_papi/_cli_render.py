"""What the `binance-papi` commands print: aligned tables and JSON, every amount exactly as Binance sent it.

Tables take their cells from the models' `to_dict()` (the exact strings received; `""` stays an empty cell)
and figures this client computes (`total`, `used`, `free` of a snapshot) as plain decimals; numbers are
right-aligned. JSON goes through `encode_json`, so a `Decimal` is written as the exact JSON number and
nothing passes through a float.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ._parsing import encode_json

if TYPE_CHECKING:
    from binance_papi_generated.models import Account, Balance, CmPositionRisk, UmPositionRisk

    from ._snapshot import AccountSnapshot, AssetView

Column = tuple[str, str]
"""(wire key, header); the key is looked up in a row's `to_dict()`."""

BALANCE_COLUMNS: list[Column] = [
    ("asset", "ASSET"),
    ("totalWalletBalance", "TOTAL WALLET"),
    ("crossMarginFree", "CROSS FREE"),
    ("crossMarginLocked", "CROSS LOCKED"),
    ("crossMarginBorrowed", "CROSS BORROWED"),
    ("crossMarginInterest", "CROSS INTEREST"),
    ("umWalletBalance", "UM WALLET"),
    ("umUnrealizedPNL", "UM UPNL"),
    ("cmWalletBalance", "CM WALLET"),
    ("cmUnrealizedPNL", "CM UPNL"),
    ("negativeBalance", "NEGATIVE"),
    ("updateTime", "UPDATED (UTC)"),
]

ACCOUNT_FIELDS: list[Column] = [
    ("uniMMR", "uniMMR"),
    ("accountEquity", "equity (USD)"),
    ("actualEquity", "actual equity (USD)"),
    ("accountInitialMargin", "initial margin (USD)"),
    ("accountMaintMargin", "maintenance margin (USD)"),
    ("accountStatus", "status"),
    ("virtualMaxWithdrawAmount", "max withdraw (USD)"),
    ("totalAvailableBalance", "available (USD)"),
    ("totalMarginOpenLoss", "margin open loss (USD)"),
    ("updateTime", "updated (UTC)"),
]

POSITION_COLUMNS: list[Column] = [
    ("kind", "KIND"),
    ("symbol", "SYMBOL"),
    ("positionSide", "SIDE"),
    ("positionAmt", "AMOUNT"),
    ("entryPrice", "ENTRY"),
    ("markPrice", "MARK"),
    ("unRealizedProfit", "UPNL"),
    ("liquidationPrice", "LIQUIDATION"),
    ("leverage", "LEVERAGE"),
    ("notional", "NOTIONAL"),
    ("updateTime", "UPDATED (UTC)"),
]
"""UM and CM rows side by side; NOTIONAL is UM's `notional` (quote asset) or CM's `notionalValue` (coin)."""

SNAPSHOT_COLUMNS: list[Column] = [
    ("asset", "ASSET"),
    ("total", "TOTAL"),
    ("used", "USED"),
    ("free", "FREE"),
    ("crossMarginFree", "CROSS FREE"),
    ("crossMarginLocked", "CROSS LOCKED"),
    ("crossMarginBorrowed", "BORROWED"),
    ("crossMarginInterest", "INTEREST"),
    ("umWalletBalance", "UM WALLET"),
    ("umUnrealizedPNL", "UM UPNL"),
    ("umInitialMargin", "UM IM"),
    ("cmWalletBalance", "CM WALLET"),
    ("cmUnrealizedPNL", "CM UPNL"),
    ("cmInitialMargin", "CM IM"),
    ("negativeBalance", "NEGATIVE"),
]

_TEXT_KEYS = frozenset({"asset", "kind", "symbol", "positionSide", "accountStatus"})
_TIME_KEYS = frozenset({"updateTime"})


def utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def plain(value: Decimal | None) -> str:
    """A computed decimal without exponent (`0E-8` is `0.00000000`); None is "" as Binance writes it."""
    return "" if value is None else format(value, "f")


def cell(key: str, value: object) -> str:
    """A table cell: the value as received, a time in UTC (0, Binance's "never", stays 0)."""
    if key in _TIME_KEYS and type(value) is int and value > 0:
        return utc(value)
    return str(value)  # a string as received; a `Decimal` (a `type: number` field) as its JSON digits


def table(columns: Sequence[Column], rows: Iterable[Mapping[str, object]]) -> str:
    """An aligned table of `rows` (wire dicts); numbers right-aligned, text left-aligned."""
    lines = [[header for _, header in columns]]
    lines += [[cell(key, row.get(key, "")) for key, _ in columns] for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(columns))]
    out = []
    for line in lines:
        cells = [
            text.ljust(width) if key in _TEXT_KEYS or key in _TIME_KEYS else text.rjust(width)
            for (key, _), text, width in zip(columns, line, widths, strict=True)
        ]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


def fields(columns: Sequence[Column], row: Mapping[str, object]) -> str:
    """One object as `label  value` lines, values right-aligned so that the decimals line up."""
    labels = [label for _, label in columns]
    values = [cell(key, row.get(key, "")) for key, _ in columns]
    label_width = max(map(len, labels))
    value_width = max(map(len, values))
    pairs = zip(labels, values, strict=True)
    return "\n".join(f"{label:<{label_width}}  {value:>{value_width}}" for label, value in pairs)


def to_json(value: object) -> str:
    """Indented JSON; a `Decimal` is written as its exact JSON number, never through a float."""
    import msgspec

    return msgspec.json.format(encode_json(value), indent=2).decode("utf-8")


# --- balance ------------------------------------------------------------------------------------------------------


def render_balances(balances: Sequence[Balance]) -> str:
    return table(BALANCE_COLUMNS, (b.to_dict() for b in balances))


# --- account ------------------------------------------------------------------------------------------------------


def render_account(account: Account) -> str:
    return fields(ACCOUNT_FIELDS, account.to_dict())


# --- positions ----------------------------------------------------------------------------------------------------


def position_rows(um: Sequence[UmPositionRisk], cm: Sequence[CmPositionRisk]) -> list[dict[str, Any]]:
    """UM then CM rows as wire dicts with a `kind` column (CM's `notionalValue` shown as NOTIONAL)."""
    rows: list[dict[str, Any]] = [{"kind": "UM", **p.to_dict()} for p in um]
    for p in cm:
        wire = p.to_dict()
        rows.append({"kind": "CM", **wire, "notional": wire.get("notionalValue", "")})
    return rows


def render_positions(um: Sequence[UmPositionRisk], cm: Sequence[CmPositionRisk]) -> str:
    if not um and not cm:
        return "No open positions."
    return table(POSITION_COLUMNS, position_rows(um, cm))


def positions_json(um: Sequence[UmPositionRisk], cm: Sequence[CmPositionRisk]) -> dict[str, Any]:
    return {"um": [p.to_dict() for p in um], "cm": [p.to_dict() for p in cm]}


def open_only(positions: Sequence[Any]) -> list[Any]:
    """The rows holding a position (Binance lists every symbol, most of them at 0)."""
    return [p for p in positions if p.position_amt != 0]


# --- snapshot -----------------------------------------------------------------------------------------------------


def asset_json(view: AssetView) -> dict[str, str]:
    """One asset of a snapshot as exact decimal strings, under Binance's names where the figure is Binance's."""
    return {
        "asset": view.asset,
        "total": plain(view.total),
        "used": plain(view.used),
        "free": plain(view.free),
        "crossMarginFree": plain(view.cross_margin_free),
        "crossMarginLocked": plain(view.cross_margin_locked),
        "crossMarginBorrowed": plain(view.cross_margin_borrowed),
        "crossMarginInterest": plain(view.cross_margin_interest),
        "umWalletBalance": plain(view.um_wallet_balance),
        "umUnrealizedPNL": plain(view.um_unrealized_pnl),
        "umInitialMargin": plain(view.um_initial_margin),
        "umMaintMargin": plain(view.um_maint_margin),
        "cmWalletBalance": plain(view.cm_wallet_balance),
        "cmUnrealizedPNL": plain(view.cm_unrealized_pnl),
        "cmInitialMargin": plain(view.cm_initial_margin),
        "cmMaintMargin": plain(view.cm_maint_margin),
        "negativeBalance": plain(view.negative_balance),
    }


def snapshot_json(snapshot: AccountSnapshot, *, all_positions: bool) -> dict[str, Any]:
    um, cm = _positions(snapshot, all_positions=all_positions)
    return {
        "assets": [asset_json(view) for view in snapshot.assets.values()],
        "account": snapshot.account.to_dict(),
        "positions": positions_json(um, cm),
        "weight": snapshot.weight,
        "startedMs": snapshot.started_ms,
        "elapsedMs": snapshot.elapsed_ms,
    }


def render_snapshot(snapshot: AccountSnapshot, *, all_positions: bool) -> str:
    um, cm = _positions(snapshot, all_positions=all_positions)
    account = snapshot.account.to_dict()
    health = [
        f"uniMMR {cell('uniMMR', account['uniMMR'])}",
        f"equity {cell('accountEquity', account['accountEquity'])} USD",
        f"maintenance margin {cell('accountMaintMargin', account['accountMaintMargin'])} USD",
        f"status {account['accountStatus']}",
    ]
    parts = [
        f"Account at {utc(snapshot.started_ms)} UTC: " + ", ".join(health),
        "",
        table(SNAPSHOT_COLUMNS, (asset_json(view) for view in snapshot.assets.values())),
        "",
        render_positions(um, cm),
        "",
        (
            "total = wallet; used = cross locked + UM IM + CM IM; free = total - used (units of the asset). "
            f"Weight {snapshot.weight}, {snapshot.elapsed_ms} ms."
        ),
    ]
    return "\n".join(parts)


def _positions(snapshot: AccountSnapshot, *, all_positions: bool) -> tuple[list[Any], list[Any]]:
    if all_positions:
        return list(snapshot.um_positions), list(snapshot.cm_positions)
    return open_only(snapshot.um_positions), open_only(snapshot.cm_positions)
