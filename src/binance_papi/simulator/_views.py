"""Every number of the account view, derived from an `AccountState` with exact `Decimal` arithmetic.

Per position (truncated to 8 decimals, then summed, so an asset row is exactly the sum of its rows):

- UM: notional = amount x mark; uPnL = amount x (mark - entry); MM = |notional| x MMR - cum (bracket of
  |notional|); position IM = |notional| / leverage; order IM = sum(quantity x price) / leverage;
  maxNotional = cap of the highest bracket allowed at the leverage.
- CM (inverse, in the margin coin): notional = amount x contract size / mark; uPnL = amount x contract
  size x (1/entry - 1/mark); MM, IMs as UM on the coin notional; maxQty = quantity cap at the leverage.

Per asset: wallet = sum of income rows; borrowed = CONFIRMED loans - repaid principal; interest = hourly
charges - repaid interest; net = free + locked - borrowed - interest + UM wallet + UM uPnL + CM wallet +
CM uPnL. Account, in USD (index prices): actualEquity = sum(net x index); accountEquity = sum(min(net x index
x collateral rate, net x index)); accountMaintMargin = sum(futures MM x index) + sum(borrowed x margin MMR x
index); accountInitialMargin = sum(futures IM x index); uniMMR = (accountEquity - open loss) /
accountMaintMargin; totalAvailableBalance = virtualMaxWithdrawAmount = accountEquity - accountInitialMargin.
The last two, maxWithdraw and maxBorrowable are undocumented by Binance: they are the simulator's choices.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from ._balances import AssetBalance
from ._format import trunc8
from ._state import HOURLY_TYPES, AccountState, Bracket, Income, Order, Position, bracket_for, cap_at_leverage

__all__ = ["AccountView", "FuturesRow", "WalletRow"]

_ZERO = Decimal(0)
_UNTOUCHED_ENTRY = Decimal("0.00000")


@dataclass(frozen=True, slots=True)
class FuturesRow:
    """One (symbol, side) row of UM or CM: what #3-#7 show of it."""

    symbol: str
    side: str
    margin_asset: str
    amount: Decimal
    entry_price: Decimal
    mark_price: Decimal
    leverage: int
    notional: Decimal
    """UM: in the quote asset; CM: in the margin coin."""
    unrealized_pnl: Decimal
    maint_margin: Decimal
    position_initial_margin: Decimal
    open_order_initial_margin: Decimal
    max_size: Decimal
    """UM: maxNotional; CM: maxQty."""
    bid_notional: Decimal
    ask_notional: Decimal
    update_time: int
    has_position: bool
    has_orders: bool

    @property
    def initial_margin(self) -> Decimal:
        return self.position_initial_margin + self.open_order_initial_margin


@dataclass(frozen=True, slots=True)
class WalletRow:
    """A UM or CM `assets[]` row: the wallet and the sums over the positions margined in the asset."""

    asset: str
    wallet: Decimal
    unrealized_pnl: Decimal
    maint_margin: Decimal
    position_initial_margin: Decimal
    open_order_initial_margin: Decimal
    update_time: int

    @property
    def initial_margin(self) -> Decimal:
        return self.position_initial_margin + self.open_order_initial_margin


def _sum_by_asset(rows: Iterable[tuple[str, Decimal]]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for asset, value in rows:
        totals[asset] += value
    return totals


class AccountView:
    """The derived numbers of one `AccountState` (computed once; the state is immutable)."""

    def __init__(self, state: AccountState) -> None:
        self.state = state
        sides = ("LONG", "SHORT") if state.config.dual_side_position else ("BOTH",)
        self.ledgers = {ledger.asset: ledger for ledger in state.ledgers}
        self._um_index = self._index(state.um_positions, state.um_orders)
        self._cm_index = self._index(state.cm_positions, state.cm_orders)
        self.um_rows: tuple[FuturesRow, ...] = tuple(
            self._um_row(symbol, side) for symbol in state.market.um for side in sides
        )
        self.cm_rows: tuple[FuturesRow, ...] = tuple(
            self._cm_row(symbol, side) for symbol in state.market.cm for side in sides
        )
        self.um_assets = self._wallets(state.um_income, self.um_rows, "um")
        self.cm_assets = self._wallets(state.cm_income, self.cm_rows, "cm")
        confirmed = [r for r in state.repays if r.status == "CONFIRMED"]
        self.borrowed = _sum_by_asset(
            [(loan.asset, loan.principal) for loan in state.loans if loan.status == "CONFIRMED"]
            + [(r.asset, -r.principal) for r in confirmed]
        )
        self.interest = _sum_by_asset(
            [(c.asset, c.interest) for c in state.interest if c.type in HOURLY_TYPES]
            + [(r.asset, -r.interest) for r in confirmed]
        )
        self.balances = tuple(self._balance(ledger.asset) for ledger in state.ledgers)
        self._account()

    # --- positions ------------------------------------------------------------------------------------------

    @staticmethod
    def _index(
        positions: tuple[Position, ...], orders: tuple[Order, ...]
    ) -> tuple[dict[tuple[str, str], Position], dict[tuple[str, str], list[Order]]]:
        grouped: dict[tuple[str, str], list[Order]] = defaultdict(list)
        for order in orders:
            grouped[order.symbol, order.position_side].append(order)
        return {(p.symbol, p.side): p for p in positions}, grouped

    def _um_row(self, symbol: str, side: str) -> FuturesRow:
        spec = self.state.market.um[symbol]
        position = self._um_index[0].get((symbol, side))
        orders = self._um_index[1].get((symbol, side), [])
        amount = position.amount if position else _ZERO
        entry = position.entry_price if position else _UNTOUCHED_ENTRY
        bid = sum((o.quantity * o.price for o in orders if o.side == "BUY"), _ZERO)
        ask = sum((o.quantity * o.price for o in orders if o.side == "SELL"), _ZERO)
        return self._row(
            "um",
            symbol,
            side,
            position,
            margin_asset=spec.margin_asset,
            mark=spec.mark_price,
            table=spec.brackets,
            notional=trunc8(amount * spec.mark_price),
            pnl=trunc8(amount * (spec.mark_price - entry)) if amount else _ZERO,
            order_value=bid + ask,
            bid_ask=(bid, ask),
            has_orders=bool(orders),
        )

    def _cm_row(self, symbol: str, side: str) -> FuturesRow:
        spec = self.state.market.cm[symbol]
        position = self._cm_index[0].get((symbol, side))
        orders = self._cm_index[1].get((symbol, side), [])
        amount = position.amount if position else _ZERO
        entry = position.entry_price if position else _UNTOUCHED_ENTRY
        size = spec.contract_size
        return self._row(
            "cm",
            symbol,
            side,
            position,
            margin_asset=spec.margin_asset,
            mark=spec.mark_price,
            table=spec.brackets,
            notional=trunc8(amount * size / spec.mark_price),
            pnl=trunc8(amount * size * (1 / entry - 1 / spec.mark_price)) if amount else _ZERO,
            order_value=sum((o.quantity * size / o.price for o in orders), _ZERO),
            bid_ask=(_ZERO, _ZERO),
            has_orders=bool(orders),
        )

    def _row(
        self,
        kind: str,
        symbol: str,
        side: str,
        position: Position | None,
        *,
        margin_asset: str,
        mark: Decimal,
        table: tuple[Bracket, ...],
        notional: Decimal,
        pnl: Decimal,
        order_value: Decimal,
        bid_ask: tuple[Decimal, Decimal],
        has_orders: bool,
    ) -> FuturesRow:
        """The margins of a row from its notional: MM by the bracket of |notional|, IMs by the leverage."""
        leverage = self.state.leverage(kind, symbol)
        amount = position.amount if position else _ZERO
        bracket = bracket_for(table, abs(notional))
        maint = max(_ZERO, trunc8(abs(notional) * bracket.maint_margin_ratio - bracket.cum)) if amount else _ZERO
        return FuturesRow(
            symbol=symbol,
            side=side,
            margin_asset=margin_asset,
            amount=amount,
            entry_price=position.entry_price if position else _UNTOUCHED_ENTRY,
            mark_price=mark,
            leverage=leverage,
            notional=notional,
            unrealized_pnl=pnl,
            maint_margin=maint,
            position_initial_margin=trunc8(abs(notional) / leverage),
            open_order_initial_margin=trunc8(order_value / leverage),
            max_size=cap_at_leverage(table, leverage),
            bid_notional=bid_ask[0],
            ask_notional=bid_ask[1],
            update_time=position.update_time if position else 0,
            has_position=bool(amount),
            has_orders=has_orders,
        )

    # --- assets ---------------------------------------------------------------------------------------------

    def _wallets(self, income: tuple[Income, ...], rows: tuple[FuturesRow, ...], kind: str) -> dict[str, WalletRow]:
        wallet = _sum_by_asset((row.asset, row.income) for row in income)
        by_asset: dict[str, list[FuturesRow]] = defaultdict(list)
        for row in rows:
            by_asset[row.margin_asset].append(row)
        result: dict[str, WalletRow] = {}
        for ledger in self.state.ledgers:
            if not getattr(ledger, kind):
                continue
            mine = by_asset.get(ledger.asset, [])
            result[ledger.asset] = WalletRow(
                asset=ledger.asset,
                wallet=wallet.get(ledger.asset, _ZERO),
                unrealized_pnl=sum((r.unrealized_pnl for r in mine), _ZERO),
                maint_margin=sum((r.maint_margin for r in mine), _ZERO),
                position_initial_margin=sum((r.position_initial_margin for r in mine), _ZERO),
                open_order_initial_margin=sum((r.open_order_initial_margin for r in mine), _ZERO),
                update_time=ledger.update_time,
            )
        return result

    def _balance(self, asset: str) -> AssetBalance:
        ledger = self.ledgers[asset]
        um, cm = self.um_assets.get(asset), self.cm_assets.get(asset)
        return AssetBalance.build(
            asset,
            free=ledger.free,
            locked=ledger.locked,
            borrowed=self.borrowed.get(asset, _ZERO),
            interest=self.interest.get(asset, _ZERO),
            um_wallet=um.wallet if um else _ZERO,
            um_pnl=um.unrealized_pnl if um else None,
            cm_wallet=cm.wallet if cm else _ZERO,
            cm_pnl=cm.unrealized_pnl if cm else None,
            negative=ledger.negative,
            update_time=ledger.update_time,
        )

    def net(self, asset: str) -> Decimal:
        """The asset's net (FAQ): margin assets - loan - interest + futures wallets + futures uPnL."""
        ledger = self.ledgers[asset]
        um, cm = self.um_assets.get(asset), self.cm_assets.get(asset)
        futures = sum(((w.wallet + w.unrealized_pnl) for w in (um, cm) if w is not None), _ZERO)
        return ledger.free + ledger.locked - self.borrowed.get(asset, _ZERO) - self.interest.get(asset, _ZERO) + futures

    # --- account --------------------------------------------------------------------------------------------

    def _account(self) -> None:
        market = self.state.market.assets
        actual = account = maint = initial = _ZERO
        for ledger in self.state.ledgers:
            spec = market[ledger.asset]
            value = self.net(ledger.asset) * spec.index_price
            actual += value
            account += min(value * spec.collateral_rate, value)
            maint += self.borrowed.get(ledger.asset, _ZERO) * spec.margin_mmr * spec.index_price
        for wallets in (self.um_assets, self.cm_assets):
            for row in wallets.values():
                index = market[row.asset].index_price
                maint += row.maint_margin * index
                initial += row.initial_margin * index
        self.actual_equity = trunc8(actual)
        self.account_equity = trunc8(account)
        self.account_maint_margin = trunc8(maint)
        self.account_initial_margin = trunc8(initial)
        self.open_loss = _ZERO
        self.uni_mmr = (
            trunc8((self.account_equity - self.open_loss) / self.account_maint_margin)
            if self.account_maint_margin
            else _ZERO
        )
        self.available = self.account_equity - self.account_initial_margin

    def max_withdraw(self, asset: str) -> Decimal:
        """The simulator's choice: the free amount, capped by what the account can give up (available / index)."""
        ledger = self.ledgers[asset]
        index = self.state.market.assets[asset].index_price
        return max(_ZERO, trunc8(min(ledger.free, max(_ZERO, self.available) / index)))

    def max_borrowable(self, asset: str) -> Decimal:
        """The simulator's choice: min(borrow limit - borrowed, platform loanable, available / index)."""
        spec = self.state.market.assets[asset]
        room = spec.borrow_limit - self.borrowed.get(asset, _ZERO)
        return max(_ZERO, trunc8(min(room, spec.loanable, max(_ZERO, self.available) / spec.index_price)))
