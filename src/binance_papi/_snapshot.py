"""`account_snapshot()`: where a Portfolio Margin account stands, from six endpoints fetched at once.

The parts (their IP weights from the spec add up to 56):

    balance          GET /papi/v1/balance          per asset: cross margin, UM and CM wallets
    account          GET /papi/v1/account          uniMMR, equity, margins, status
    um_account       GET /papi/v2/um/account       per UM margin asset: margins (v2: slimmer positions)
    cm_account       GET /papi/v1/cm/account       per CM margin coin: margins
    um_positions     GET /papi/v1/um/positionRisk  UM positions
    cm_positions     GET /papi/v1/cm/positionRisk  CM positions

They are sent concurrently (threads for the blocking client, tasks for the asyncio one), so a snapshot
costs about one round trip. Either every part arrives and parses, or `SnapshotError` (in `_errors`) is raised naming the
parts that failed: a half snapshot is never returned.

Per asset, `AssetView` puts the balance row and the UM/CM margin rows of that asset side by side and adds
three figures (in units of the asset, exact):

    total = totalWalletBalance                 Binance's wallet balance: cross margin free + locked
                                               + UM wallet + CM wallet
    used  = crossMarginLocked                  held by open margin orders
            + UM initialMargin + CM initialMargin   held by futures positions and open futures orders
    free  = total - used

`used` and `free` are this client's definitions (Binance documents no such figures); unrealized PnL, loans
and interest are shown separately and are not in them.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from attrs import define

if TYPE_CHECKING:
    from binance_papi_generated.models import (
        Account,
        AccountStatus,
        Balance,
        CmAccount,
        CmAccountAsset,
        CmPositionRisk,
        UmAccountAsset,
        UmAccountV2,
        UmPositionRisk,
    )

__all__ = ["PARTS", "AccountSnapshot", "AssetView", "build_snapshot"]

PARTS: dict[str, str] = {
    "balance": "get_balance",
    "account": "get_account",
    "um_account": "get_um_account_v2",
    "cm_account": "get_cm_account",
    "um_positions": "get_um_position_risk",
    "cm_positions": "get_cm_position_risk",
}
"""Snapshot part -> the client method that fetches it."""


@define(frozen=True)
class AssetView:
    """One asset across cross margin, UM and CM (see the module docstring for `total`, `used`, `free`)."""

    asset: str
    total: Decimal
    used: Decimal
    free: Decimal
    cross_margin_free: Decimal
    cross_margin_locked: Decimal
    cross_margin_borrowed: Decimal
    cross_margin_interest: Decimal
    um_wallet_balance: Decimal
    um_unrealized_pnl: Decimal | None
    um_initial_margin: Decimal
    um_maint_margin: Decimal
    cm_wallet_balance: Decimal
    cm_unrealized_pnl: Decimal | None
    cm_initial_margin: Decimal
    cm_maint_margin: Decimal
    negative_balance: Decimal


@define(frozen=True)
class AccountSnapshot:
    """The account at one moment: per-asset views, account health, positions, and the parts as received."""

    assets: dict[str, AssetView]
    """Per asset, in the order of the balance endpoint."""
    account: Account
    """uniMMR, equity, margins and status (USD), as `get_account()` returns them."""
    um_positions: list[UmPositionRisk]
    cm_positions: list[CmPositionRisk]
    balances: list[Balance]
    um_account: UmAccountV2
    cm_account: CmAccount
    weight: int
    """The IP weight the snapshot cost (the sum of its parts' weights from the spec)."""
    started_ms: int
    """Local time (ms) when the first part was sent; every part was answered within `elapsed_ms` of it."""
    elapsed_ms: int

    @property
    def uni_mmr(self) -> Decimal:
        """The unified maintenance margin ratio (1.5 = 150%)."""
        return self.account.uni_mmr

    @property
    def account_equity(self) -> Decimal:
        return self.account.account_equity

    @property
    def account_status(self) -> AccountStatus | str:
        return self.account.account_status

    @property
    def account_maint_margin(self) -> Decimal:
        return self.account.account_maint_margin


def snapshot_weight() -> int:
    """The weight of one snapshot, from the spec's x-weight of each part (parameters as the snapshot sends)."""
    from binance_papi_generated.client import OPERATIONS

    return sum(OPERATIONS[method].weight for method in PARTS.values())


_ZERO = Decimal(0)


def _margins(row: UmAccountAsset | CmAccountAsset | None) -> tuple[Decimal, Decimal]:
    return (row.initial_margin, row.maint_margin) if row is not None else (_ZERO, _ZERO)


def build_snapshot(parts: Mapping[str, Any], *, started_ms: int, elapsed_ms: int) -> AccountSnapshot:
    """The snapshot from its parts as the client methods returned them."""
    balances: list[Balance] = parts["balance"]
    um_account: UmAccountV2 = parts["um_account"]
    cm_account: CmAccount = parts["cm_account"]
    um_rows = {row.asset: row for row in um_account.assets}
    cm_rows = {row.asset: row for row in cm_account.assets}
    assets: dict[str, AssetView] = {}
    for balance in balances:
        um_im, um_mm = _margins(um_rows.get(balance.asset))
        cm_im, cm_mm = _margins(cm_rows.get(balance.asset))
        total = balance.total_wallet_balance
        used = balance.cross_margin_locked + um_im + cm_im
        assets[balance.asset] = AssetView(
            asset=balance.asset,
            total=total,
            used=used,
            free=total - used,
            cross_margin_free=balance.cross_margin_free,
            cross_margin_locked=balance.cross_margin_locked,
            cross_margin_borrowed=balance.cross_margin_borrowed,
            cross_margin_interest=balance.cross_margin_interest,
            um_wallet_balance=balance.um_wallet_balance,
            um_unrealized_pnl=balance.um_unrealized_pnl,
            um_initial_margin=um_im,
            um_maint_margin=um_mm,
            cm_wallet_balance=balance.cm_wallet_balance,
            cm_unrealized_pnl=balance.cm_unrealized_pnl,
            cm_initial_margin=cm_im,
            cm_maint_margin=cm_mm,
            negative_balance=balance.negative_balance,
        )
    return AccountSnapshot(
        assets=assets,
        account=parts["account"],
        um_positions=parts["um_positions"],
        cm_positions=parts["cm_positions"],
        balances=balances,
        um_account=um_account,
        cm_account=cm_account,
        weight=snapshot_weight(),
        started_ms=started_ms,
        elapsed_ms=elapsed_ms,
    )
