"""Accounts: an `AccountState` reachable with its own HMAC key, and the bodies derived from it.

The balance bodies are serialized when an account is created, not per request: a balance call is then a
dict lookup, which keeps the simulator out of the way when a benchmark measures the client. Other
snapshot bodies are serialized on first request and kept (the state never changes).
"""

from __future__ import annotations

from ._balances import AssetBalance
from ._endpoints import Endpoint
from ._format import dumps
from ._state import AccountState
from ._views import AccountView

__all__ = ["DEMO_API_KEY", "DEMO_API_SECRET", "Account", "AssetBalance"]

# Well-known, public demo credentials: they only ever open the simulator's demo account.
DEMO_API_KEY = "PapiSimDemoKey0LgAzB60jjGuZXtCzWFwxOBu6S6KO4AnUUpgWil3YspYj1m8iT"
DEMO_API_SECRET = "PapiSimDemoSecret6j3K7nD16OveCrWhzYInvudM7qpq99WPjEcizH1yrNK1kXZ"  # noqa: S105  (public demo)


class Account:
    """An account's state, reachable with its own HMAC key (`api_key`, `api_secret`).

    More keys (another secret, RSA or Ed25519 public keys) can point at the same account through
    `Simulator.add_key`. `view` holds every derived number; `balances` the balance rows.
    """

    __slots__ = ("_asset_bodies", "_cache", "api_key", "api_secret", "balances", "list_body", "name", "state", "view")

    def __init__(self, name: str, state: AccountState, *, api_key: str, api_secret: str) -> None:
        self.name = name
        self.state = state
        self.api_key = api_key
        self.api_secret = api_secret
        self.view = AccountView(state)
        self.balances: tuple[AssetBalance, ...] = self.view.balances
        self.list_body = dumps([b.to_json() for b in self.balances])
        """The balance 200 body without `asset`: a JSON array of every balance."""
        self._asset_bodies = {b.asset: dumps(b.to_json(with_cross_margin_asset=False)) for b in self.balances}
        self._cache: dict[tuple[str, tuple[tuple[str, str], ...]], bytes] = {}

    def asset_body(self, asset: str) -> bytes | None:
        """The balance 200 body for `asset` (a single object), or None for an asset the account does not hold."""
        return self._asset_bodies.get(asset)

    def body(self, endpoint: Endpoint, params: dict[str, str], now_ms: int) -> bytes:
        """The 200 body of `endpoint` for these business parameters; raises `Rejection` for refused ones."""
        if not endpoint.snapshot:
            return _encode(endpoint.body(self, params, now_ms))
        key = (endpoint.path, tuple(sorted(params.items())))
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = _encode(endpoint.body(self, params, now_ms))
        return cached

    def __repr__(self) -> str:
        return f"Account(name={self.name!r}, assets={len(self.balances)})"


def _encode(body: object) -> bytes:
    return body if isinstance(body, bytes) else dumps(body)
