"""One asset's balance row of GET /papi/v1/balance, in the wire form."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ._format import EIGHT

__all__ = ["AssetBalance"]


def _amount(value: Decimal | str) -> str:
    """A Binance amount string: fixed 8 decimals, as on the docs page ("0.00000000")."""
    return f"{Decimal(value).quantize(EIGHT):f}"


@dataclass(frozen=True, slots=True)
class AssetBalance:
    """One asset's balance, in the wire form: decimal strings, "" where the account has no value."""

    asset: str
    cross_margin_free: str
    cross_margin_locked: str
    cross_margin_borrowed: str
    cross_margin_interest: str
    um_wallet_balance: str
    um_unrealized_pnl: str
    cm_wallet_balance: str
    cm_unrealized_pnl: str
    negative_balance: str
    update_time: int

    @classmethod
    def build(
        cls,
        asset: str,
        *,
        free: Decimal | str = "0",
        locked: Decimal | str = "0",
        borrowed: Decimal | str = "0",
        interest: Decimal | str = "0",
        um_wallet: Decimal | str = "0",
        um_pnl: Decimal | str | None = None,
        cm_wallet: Decimal | str = "0",
        cm_pnl: Decimal | str | None = None,
        negative: Decimal | str = "0",
        update_time: int = 0,
    ) -> AssetBalance:
        """From numbers; a None PNL becomes "" (no value), as in the docs example."""
        return cls(
            asset=asset,
            cross_margin_free=_amount(free),
            cross_margin_locked=_amount(locked),
            cross_margin_borrowed=_amount(borrowed),
            cross_margin_interest=_amount(interest),
            um_wallet_balance=_amount(um_wallet),
            um_unrealized_pnl="" if um_pnl is None else _amount(um_pnl),
            cm_wallet_balance=_amount(cm_wallet),
            cm_unrealized_pnl="" if cm_pnl is None else _amount(cm_pnl),
            negative_balance=_amount(negative),
            update_time=update_time,
        )

    @property
    def cross_margin_asset(self) -> str:
        """The documented identity: free + locked."""
        return _amount(Decimal(self.cross_margin_free) + Decimal(self.cross_margin_locked))

    @property
    def total_wallet_balance(self) -> str:
        """The documented identity: free + locked + UM wallet + CM wallet."""
        parts = (self.cross_margin_free, self.cross_margin_locked, self.um_wallet_balance, self.cm_wallet_balance)
        return _amount(sum((Decimal(p) for p in parts), Decimal(0)))

    def to_json(self, *, with_cross_margin_asset: bool = True) -> dict[str, Any]:
        """The wire object, keys in the docs' order; the single-asset form omits crossMarginAsset."""
        body: dict[str, Any] = {"asset": self.asset, "totalWalletBalance": self.total_wallet_balance}
        if with_cross_margin_asset:
            body["crossMarginAsset"] = self.cross_margin_asset
        body.update(
            {
                "crossMarginBorrowed": self.cross_margin_borrowed,
                "crossMarginFree": self.cross_margin_free,
                "crossMarginInterest": self.cross_margin_interest,
                "crossMarginLocked": self.cross_margin_locked,
                "umWalletBalance": self.um_wallet_balance,
                "umUnrealizedPNL": self.um_unrealized_pnl,
                "cmWalletBalance": self.cm_wallet_balance,
                "cmUnrealizedPNL": self.cm_unrealized_pnl,
                "updateTime": self.update_time,
                "negativeBalance": self.negative_balance,
            }
        )
        return body
