"""The account state every endpoint is derived from: market inputs, ledgers, positions, orders, histories.

Only inputs live here; every number an endpoint serves is computed from them (`_views`, `_history`), so
the relations between endpoints hold by construction. Inputs that other numbers are defined by are not
stored twice: the UM and CM wallets are the sums of the income rows, `crossMarginBorrowed` is what the
CONFIRMED loans minus repays leave, `crossMarginInterest` the hourly charges not yet repaid, and the
position mode is one flag for UM and CM (Binance refuses different modes, -4220).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from ._format import trunc8

__all__ = [
    "AccountConfig",
    "AccountState",
    "AssetMarket",
    "Bracket",
    "CmSymbol",
    "ExchangeDetail",
    "Income",
    "Indicator",
    "InterestCharge",
    "Ledger",
    "Loan",
    "Market",
    "NegativeExchange",
    "NegativeInterest",
    "Order",
    "Position",
    "Repay",
    "UmSymbol",
    "brackets",
]

_ZERO = Decimal(0)
HOURLY_TYPES = frozenset({"PERIODIC", "ON_BORROW", "PERIODIC_CONVERTED", "ON_BORROW_CONVERTED"})
UM_INCOME_TYPES = (
    "TRANSFER", "WELCOME_BONUS", "REALIZED_PNL", "FUNDING_FEE", "COMMISSION", "INSURANCE_CLEAR",
    "REFERRAL_KICKBACK", "COMMISSION_REBATE", "API_REBATE", "CONTEST_REWARD", "CROSS_COLLATERAL_TRANSFER",
    "OPTIONS_PREMIUM_FEE", "OPTIONS_SETTLE_PROFIT", "INTERNAL_TRANSFER", "AUTO_EXCHANGE", "DELIVERED_SETTELMENT",
    "COIN_SWAP_DEPOSIT", "COIN_SWAP_WITHDRAW", "POSITION_LIMIT_INCREASE_FEE",
)  # fmt: skip
CM_INCOME_TYPES = (
    "TRANSFER", "WELCOME_BONUS", "FUNDING_FEE", "REALIZED_PNL", "COMMISSION", "INSURANCE_CLEAR", "DELIVERED_SETTELMENT",
)  # fmt: skip


# --- market inputs ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bracket:
    """One leverage bracket: notional (UM, quote asset) or quantity (CM, base asset) bounds."""

    bracket: int
    initial_leverage: int
    floor: Decimal
    cap: Decimal
    maint_margin_ratio: Decimal
    cum: Decimal


def brackets(*tiers: tuple[int, str, str]) -> tuple[Bracket, ...]:
    """Brackets from (initial leverage, cap, maintenance margin ratio), lowest first.

    Floors are the previous caps; `cum` follows the standard construction,
    cum(n) = cum(n-1) + floor(n) * (MMR(n) - MMR(n-1)), so the MM is continuous across brackets.
    """
    result: list[Bracket] = []
    floor, cum, previous_mmr = _ZERO, Decimal("0.0"), None
    for number, (leverage, cap, mmr) in enumerate(tiers, start=1):
        ratio = Decimal(mmr)
        if previous_mmr is not None:
            cum += floor * (ratio - previous_mmr)
        result.append(Bracket(number, leverage, floor, Decimal(cap), ratio, _one_decimal_at_least(cum)))
        floor, previous_mmr = Decimal(cap), ratio
    return tuple(result)


def _one_decimal_at_least(value: Decimal) -> Decimal:
    """50.000 -> 50.0, 0.0050 -> 0.005: how Binance prints `cum`."""
    value = value.normalize()
    return value.quantize(Decimal("0.0")) if value.as_tuple().exponent >= 0 else value  # type: ignore[operator]


def bracket_for(table: tuple[Bracket, ...], size: Decimal) -> Bracket:
    """The bracket whose [floor, cap) holds `size` (the last one beyond every cap)."""
    for bracket in table:
        if size < bracket.cap:
            return bracket
    return table[-1]


def cap_at_leverage(table: tuple[Bracket, ...], leverage: int) -> Decimal:
    """The largest notional (UM) or quantity (CM) allowed at `leverage`: the highest cap that allows it."""
    allowed = [b.cap for b in table if b.initial_leverage >= leverage]
    return max(allowed) if allowed else _ZERO


@dataclass(frozen=True, slots=True)
class AssetMarket:
    """An asset's market inputs: USD index price, collateral rate, margin MMR of a loan, borrowing caps."""

    asset: str
    index_price: Decimal
    collateral_rate: Decimal = Decimal(1)
    margin_mmr: Decimal = Decimal("0.05")
    borrow_limit: Decimal = _ZERO
    """The account level's cap (#9 `borrowLimit`)."""
    loanable: Decimal = _ZERO
    """What the platform can lend now (caps #9 `amount`)."""


@dataclass(frozen=True, slots=True)
class UmSymbol:
    """A USDⓈ-M symbol: linear, margined in `margin_asset`, brackets by notional."""

    symbol: str
    margin_asset: str
    mark_price: Decimal
    brackets: tuple[Bracket, ...]
    maker_commission: Decimal = Decimal("0.0002")
    taker_commission: Decimal = Decimal("0.0005")
    notional_coef: Decimal = Decimal("1.0")


@dataclass(frozen=True, slots=True)
class CmSymbol:
    """A COIN-M symbol: inverse, `contract_size` USD per contract, margined in `margin_asset`, brackets by quantity."""

    symbol: str
    pair: str
    margin_asset: str
    contract_size: Decimal
    mark_price: Decimal
    brackets: tuple[Bracket, ...]
    maker_commission: Decimal = Decimal("0.0002")
    taker_commission: Decimal = Decimal("0.0005")


class Market:
    """Assets, UM and CM symbols (listing order kept), looked up by name."""

    __slots__ = ("assets", "cm", "um")

    def __init__(self, assets: Iterable[AssetMarket], um: Iterable[UmSymbol] = (), cm: Iterable[CmSymbol] = ()) -> None:
        self.assets: Mapping[str, AssetMarket] = MappingProxyType({a.asset: a for a in assets})
        self.um: Mapping[str, UmSymbol] = MappingProxyType({s.symbol: s for s in um})
        self.cm: Mapping[str, CmSymbol] = MappingProxyType({s.symbol: s for s in cm})


# --- the account --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ledger:
    """An asset's margin-side balances, and whether it has a UM / CM wallet (a PnL of "" otherwise)."""

    asset: str
    free: Decimal = _ZERO
    locked: Decimal = _ZERO
    negative: Decimal = _ZERO
    um: bool = False
    cm: bool = False
    update_time: int = 0


@dataclass(frozen=True, slots=True)
class Position:
    """A UM or CM position: `amount` (UM: base quantity, CM: contracts), signed; side BOTH, LONG or SHORT."""

    symbol: str
    amount: Decimal
    entry_price: Decimal
    update_time: int
    side: str = "BOTH"


@dataclass(frozen=True, slots=True)
class Order:
    """A resting futures order (UM: base quantity, CM: contracts); it holds initial margin."""

    symbol: str
    side: str
    """BUY or SELL."""
    quantity: Decimal
    price: Decimal
    position_side: str = "BOTH"


@dataclass(frozen=True, slots=True)
class Income:
    """A UM or CM wallet flow (#21, #22); the wallet of `asset` is the sum of its rows."""

    income_type: str
    income: Decimal
    asset: str
    time: int
    tran_id: str
    symbol: str = ""
    info: str = ""
    trade_id: str = ""


@dataclass(frozen=True, slots=True)
class Loan:
    """A margin borrow (#23)."""

    tx_id: int
    asset: str
    principal: Decimal
    timestamp: int
    status: str = "CONFIRMED"


@dataclass(frozen=True, slots=True)
class Repay:
    """A margin repayment (#24): `amount` = principal + interest."""

    tx_id: int
    asset: str
    principal: Decimal
    interest: Decimal
    timestamp: int
    status: str = "CONFIRMED"

    @property
    def amount(self) -> Decimal:
        return self.principal + self.interest


@dataclass(frozen=True, slots=True)
class InterestCharge:
    """A margin interest charge (#25): hourly, principal x daily rate / 24, truncated to 8 decimals."""

    tx_id: int
    asset: str
    principal: Decimal
    daily_rate: Decimal
    time: int
    type: str = "PERIODIC"
    raw_asset: str = ""
    """The borrowed asset when it differs from `asset` (the *_CONVERTED types); `asset` otherwise."""

    @property
    def interest(self) -> Decimal:
        return trunc8(self.principal * self.daily_rate / 24)


@dataclass(frozen=True, slots=True)
class NegativeInterest:
    """A daily interest charge on a negative balance (#26; also a PORTFOLIO row of #25): principal x rate."""

    tx_id: int
    asset: str
    principal: Decimal
    daily_rate: Decimal
    time: int

    @property
    def interest(self) -> Decimal:
        return trunc8(self.principal * self.daily_rate)


@dataclass(frozen=True, slots=True)
class ExchangeDetail:
    asset: str
    negative_balance: Decimal
    negative_max_threshold: Decimal


@dataclass(frozen=True, slots=True)
class NegativeExchange:
    """A negative-balance auto-exchange event (#27)."""

    start_time: int
    end_time: int
    details: tuple[ExchangeDetail, ...]


@dataclass(frozen=True, slots=True)
class Indicator:
    """A quantitative-rules indicator (#18), under a UM symbol or "ACCOUNT"."""

    key: str
    indicator: str
    value: Decimal
    trigger_value: Decimal
    is_locked: bool
    planned_recover_time: int


@dataclass(frozen=True, slots=True)
class AccountConfig:
    """Account switches: position mode (UM and CM alike), fee tier, permissions, auto-repay, status."""

    dual_side_position: bool = False
    fee_tier: int = 0
    can_trade: bool = True
    can_deposit: bool = True
    can_withdraw: bool = True
    multi_assets_margin: bool = False
    trade_group_id: int = -1
    auto_repay: bool = True
    account_status: str = "NORMAL"
    order_rate_limit: int = 1200


def _frozen(mapping: Mapping[str, int] | None) -> Mapping[str, int]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)
class AccountState:
    """One account at one moment (`update_time`): what every endpoint is derived from.

    Checked on creation: assets and symbols exist in the market, one ledger per asset, position sides
    match the position mode (BOTH one-way; LONG and SHORT hedge), at most one position per (symbol, side),
    wallet flows only into assets that have that wallet.
    """

    market: Market
    ledgers: tuple[Ledger, ...]
    update_time: int
    config: AccountConfig = AccountConfig()
    um_positions: tuple[Position, ...] = ()
    cm_positions: tuple[Position, ...] = ()
    um_orders: tuple[Order, ...] = ()
    cm_orders: tuple[Order, ...] = ()
    um_leverage: Mapping[str, int] = field(default_factory=lambda: _frozen(None))
    """Per UM symbol; 20 when not set."""
    cm_leverage: Mapping[str, int] = field(default_factory=lambda: _frozen(None))
    um_income: tuple[Income, ...] = ()
    cm_income: tuple[Income, ...] = ()
    loans: tuple[Loan, ...] = ()
    repays: tuple[Repay, ...] = ()
    interest: tuple[InterestCharge, ...] = ()
    negative_interest: tuple[NegativeInterest, ...] = ()
    negative_exchanges: tuple[NegativeExchange, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    indicators_update_time: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "um_leverage", _frozen(self.um_leverage))
        object.__setattr__(self, "cm_leverage", _frozen(self.cm_leverage))
        market = self.market
        assets = [ledger.asset for ledger in self.ledgers]
        if len(set(assets)) != len(assets):
            raise ValueError("duplicate ledger assets")
        if missing := set(assets) - set(market.assets):
            raise ValueError(f"assets without market data: {sorted(missing)}")
        ledgers = {ledger.asset: ledger for ledger in self.ledgers}
        self._check_futures(ledgers)
        for kind, rows, wallet in (("UM", self.um_income, "um"), ("CM", self.cm_income, "cm")):
            for row in rows:
                if not getattr(ledgers.get(row.asset), wallet, False):
                    raise ValueError(f"{kind} income in {row.asset}, which has no {kind} wallet")
        history: list[Loan | Repay | InterestCharge | NegativeInterest] = [
            *self.loans,
            *self.repays,
            *self.interest,
            *self.negative_interest,
        ]
        for item in history:
            if item.asset not in ledgers:
                raise ValueError(f"history row in {item.asset}, which the account does not hold")

    def _check_futures(self, ledgers: dict[str, Ledger]) -> None:
        sides = {"LONG", "SHORT"} if self.config.dual_side_position else {"BOTH"}
        for kind, positions, orders, symbols, wallet in (
            ("UM", self.um_positions, self.um_orders, self.market.um, "um"),
            ("CM", self.cm_positions, self.cm_orders, self.market.cm, "cm"),
        ):
            keys = [(p.symbol, p.side) for p in positions]
            if len(set(keys)) != len(keys):
                raise ValueError(f"{kind}: more than one position per (symbol, side)")
            for symbol, side in keys + [(o.symbol, o.position_side) for o in orders]:
                if symbol not in symbols:
                    raise ValueError(f"{kind}: unknown symbol {symbol!r}")
                if side not in sides:
                    raise ValueError(f"{kind} {symbol}: position side {side} in the wrong position mode")
                margin_asset = symbols[symbol].margin_asset
                if not getattr(ledgers.get(margin_asset), wallet, False):
                    raise ValueError(f"{kind} {symbol}: no {kind} wallet for {margin_asset}")

    def leverage(self, kind: str, symbol: str) -> int:
        """The initial leverage set for a UM or CM symbol (20 by default)."""
        table = self.um_leverage if kind == "um" else self.cm_leverage
        return table.get(symbol, 20)
