"""Deterministic accounts: the balances the simulator serves, with their JSON bodies built once.

Bodies are serialized when an account is created, not per request: a balance call is then a dict lookup,
which keeps the simulator out of the way when a benchmark measures the client.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = [
    "DEMO_API_KEY",
    "DEMO_API_SECRET",
    "Account",
    "AssetBalance",
    "demo_account",
    "large_account",
]

# Well-known, public demo credentials: they only ever open the simulator's demo account.
DEMO_API_KEY = "PapiSimDemoKey0LgAzB60jjGuZXtCzWFwxOBu6S6KO4AnUUpgWil3YspYj1m8iT"
DEMO_API_SECRET = "PapiSimDemoSecret6j3K7nD16OveCrWhzYInvudM7qpq99WPjEcizH1yrNK1kXZ"  # noqa: S105  (public demo)

_EIGHT = Decimal("0.00000001")
_DEMO_UPDATE_TIME = 1717939110373


def _amount(value: Decimal | str) -> str:
    """A Binance amount string: fixed 8 decimals, as on the docs page ("0.00000000")."""
    return f"{Decimal(value).quantize(_EIGHT):f}"


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
        update_time: int = _DEMO_UPDATE_TIME,
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


def _dumps(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


class Account:
    """An account's balances, reachable with its own HMAC key (`api_key`, `api_secret`).

    More keys (another secret, later RSA or Ed25519 public keys) can point at the same account through
    `Simulator.add_key`.
    """

    __slots__ = ("_asset_bodies", "api_key", "api_secret", "balances", "list_body", "name")

    def __init__(self, name: str, balances: tuple[AssetBalance, ...], *, api_key: str, api_secret: str) -> None:
        assets = [b.asset for b in balances]
        if len(set(assets)) != len(assets):
            raise ValueError(f"account {name!r}: duplicate assets")
        self.name = name
        self.balances = balances
        self.api_key = api_key
        self.api_secret = api_secret
        self.list_body = _dumps([b.to_json() for b in balances])
        """The 200 body without `asset`: a JSON array of every balance."""
        self._asset_bodies = {b.asset: _dumps(b.to_json(with_cross_margin_asset=False)) for b in balances}

    def asset_body(self, asset: str) -> bytes | None:
        """The 200 body for `asset` (a single object), or None for an asset the account does not hold."""
        return self._asset_bodies.get(asset)

    def __repr__(self) -> str:
        return f"Account(name={self.name!r}, assets={len(self.balances)})"


def demo_account() -> Account:
    """The demo account (DEMO_API_KEY / DEMO_API_SECRET): six realistic assets, some "" PNLs like the docs."""
    t = _DEMO_UPDATE_TIME
    balances = (
        AssetBalance.build(
            "USDT",
            free="12500.43210000",
            locked="300.00000000",
            borrowed="10.00000000",
            interest="0.72469206",
            um_wallet="109806.91927903",
            um_pnl="23.72469206",
            cm_pnl=None,
            update_time=t,
        ),
        AssetBalance.build("BTC", free="0.51234567", cm_wallet="1.25000000", cm_pnl="-0.00312456", update_time=t + 11),
        AssetBalance.build(
            "ETH",
            free="4.20000000",
            locked="0.50000000",
            cm_wallet="2.00000000",
            cm_pnl="0.01234567",
            update_time=t + 23,
        ),
        AssetBalance.build("BNB", free="35.12345678", borrowed="1.50000000", interest="0.00012345", update_time=t + 37),
        AssetBalance.build(
            "FDUSD", free="5000.00000000", um_wallet="2500.00000000", um_pnl="-12.34567890", update_time=t + 41
        ),
        AssetBalance.build(
            "USDC",
            borrowed="250.00000000",
            interest="0.05123456",
            um_wallet="1000.50000000",
            um_pnl="0",
            update_time=t + 53,
        ),
    )
    return Account("demo", balances, api_key=DEMO_API_KEY, api_secret=DEMO_API_SECRET)


def _derived_credential(label: str) -> str:
    """64 alphanumeric characters derived from `label`: stable across runs and processes."""
    return hashlib.sha256(label.encode("utf-8")).hexdigest()


def large_account(n_assets: int, seed: int = 0) -> Account:
    """An account with `n_assets` synthetic assets (A0001, A0002, ...), the same for the same arguments.

    Its key and secret are derived from (n_assets, seed), so another process (a benchmark driving
    `python -m binance_papi.simulator --large-assets N`) gets them by calling this function too.
    """
    if n_assets < 1:
        raise ValueError("n_assets must be at least 1")
    rng = random.Random(seed)  # noqa: S311  (reproducible test data, not secrets)

    def amount(scale: int) -> Decimal:
        return Decimal(rng.randrange(0, scale * 10**8)) * _EIGHT

    def pnl() -> Decimal | None:
        return None if rng.random() < 0.3 else Decimal(rng.randrange(-(10**12), 10**12)) * _EIGHT

    balances = tuple(
        AssetBalance.build(
            f"A{i:04d}",
            free=amount(100_000),
            locked=amount(1_000),
            borrowed=amount(100) if rng.random() < 0.2 else "0",
            interest=amount(1) if rng.random() < 0.2 else "0",
            um_wallet=amount(50_000),
            um_pnl=pnl(),
            cm_wallet=amount(10),
            cm_pnl=pnl(),
            update_time=_DEMO_UPDATE_TIME + rng.randrange(0, 10**9),
        )
        for i in range(1, n_assets + 1)
    )
    label = f"large-account:{n_assets}:{seed}"
    return Account(
        f"large-{n_assets}-{seed}",
        balances,
        api_key=_derived_credential(f"{label}:key"),
        api_secret=_derived_credential(f"{label}:secret"),
    )
