"""Ready-made accounts: the demo account (the reference state) and large deterministic ones for benchmarks."""

from __future__ import annotations

import hashlib
import random
from decimal import Decimal

from ._accounts import DEMO_API_KEY, DEMO_API_SECRET, Account
from ._format import EIGHT, trunc8
from ._state import (
    AccountConfig,
    AccountState,
    AssetMarket,
    CmSymbol,
    ExchangeDetail,
    Income,
    Indicator,
    InterestCharge,
    Ledger,
    Loan,
    Market,
    NegativeExchange,
    NegativeInterest,
    Order,
    Position,
    Repay,
    UmSymbol,
    brackets,
)

__all__ = ["DEMO_T0", "demo_account", "demo_state", "large_account", "large_state"]

DEMO_T0 = 1767225600000
"""The demo account's moment: 2026-01-01T00:00:00Z."""
_HOUR = 3_600_000
_DAY = 24 * _HOUR
_D = Decimal

_BTCUSDT_BRACKETS = brackets((125, "50000", "0.004"), (50, "600000", "0.005"), (20, "3000000", "0.01"))
_ETHUSDT_BRACKETS = brackets((100, "10000", "0.005"), (75, "100000", "0.0065"), (20, "2000000", "0.01"))
_BTCUSD_BRACKETS = brackets((125, "5", "0.004"), (50, "10", "0.005"), (20, "20", "0.01"))
_ETHUSD_BRACKETS = brackets((75, "50", "0.005"), (50, "200", "0.0065"), (20, "500", "0.01"))


def _demo_market() -> Market:
    return Market(
        assets=(
            AssetMarket("USDT", _D(1), _D(1), borrow_limit=_D(100000), loanable=_D(50000)),
            AssetMarket("BTC", _D(61000), _D("0.95"), borrow_limit=_D(50), loanable=_D("0.36")),
            AssetMarket("ETH", _D(3000), _D("0.95"), borrow_limit=_D(500), loanable=_D(20)),
            AssetMarket("BNB", _D(600), _D("0.95"), borrow_limit=_D(1000), loanable=_D(100)),
            AssetMarket("FDUSD", _D(1), _D(1), borrow_limit=_D(100000), loanable=_D(50000)),
            AssetMarket("USDC", _D(1), _D(1), borrow_limit=_D(100000), loanable=_D(50000)),
        ),
        um=(
            UmSymbol("BTCUSDT", "USDT", _D(61000), _BTCUSDT_BRACKETS),
            UmSymbol("ETHUSDT", "USDT", _D(3000), _ETHUSDT_BRACKETS),
        ),
        cm=(
            CmSymbol("BTCUSD_PERP", "BTCUSD", "BTC", _D(100), _D(61000), _BTCUSD_BRACKETS),
            CmSymbol("ETHUSD_PERP", "ETHUSD", "ETH", _D(10), _D(3000), _ETHUSD_BRACKETS),
        ),
    )


def demo_state() -> AccountState:
    """The reference state (R.2 of the account-endpoints reference), plus four assets with nothing in them.

    USDT: 5000 free, 250 locked by a margin order, UM wallet 10000. BTC: 0.05 free, 0.01 borrowed ten
    hours before T0 with ten hourly interest charges, CM wallet 0.2. UM BTCUSDT +0.010 @ 60000 and a
    resting BUY 0.005 @ 59000; CM BTCUSD_PERP +10 contracts @ 60000; both 20x, one-way mode. The wallets
    are the sums of their income rows (a transfer in, the opening commission, one funding fee).
    """
    t0 = DEMO_T0
    market = _demo_market()
    btcusdt, btcusd = market.um["BTCUSDT"], market.cm["BTCUSD_PERP"]
    um_position = Position("BTCUSDT", _D("0.010"), _D("60000.0"), t0 - 600_000)
    cm_position = Position("BTCUSD_PERP", _D(10), _D("60000.0"), t0 - 600_000)
    um_commission = trunc8(um_position.amount * um_position.entry_price * btcusdt.taker_commission)
    funding = trunc8(um_position.amount * btcusdt.mark_price * _D("0.0001"))
    cm_commission = trunc8(
        cm_position.amount * btcusd.contract_size / cm_position.entry_price * btcusd.taker_commission
    )
    usdt_loan_time = 1767000000000 - _HOUR
    usdt_charge = InterestCharge(1439000000000000200, "USDT", _D(100), _D("0.00098630"), usdt_loan_time, "ON_BORROW")
    btc_charges = tuple(
        InterestCharge(
            1440000000000000780 + hour,
            "BTC",
            _D("0.01"),
            _D("0.00028800"),
            t0 - 10 * _HOUR + hour * _HOUR,
            "ON_BORROW" if hour == 0 else "PERIODIC",
        )
        for hour in range(10)
    )
    return AccountState(
        market=market,
        update_time=t0,
        ledgers=(
            Ledger("USDT", free=_D(5000), locked=_D(250), um=True, update_time=t0),
            Ledger("BTC", free=_D("0.05"), um=True, cm=True, update_time=t0),
            Ledger("ETH", update_time=t0),
            Ledger("BNB", update_time=t0),
            Ledger("FDUSD", um=True, update_time=t0),
            Ledger("USDC", um=True, update_time=t0),
        ),
        um_positions=(um_position,),
        cm_positions=(cm_position,),
        um_orders=(Order("BTCUSDT", "BUY", _D("0.005"), _D(59000)),),
        um_income=(
            Income("TRANSFER", _D(10000) + um_commission + funding, "USDT", t0 - _DAY, "7000000001", info="TRANSFER"),
            Income(
                "COMMISSION", -um_commission, "USDT", 1767200000000, "7000000002", "BTCUSDT", "COMMISSION", "5100000001"
            ),
            Income("FUNDING_FEE", -funding, "USDT", t0, "7000000003", "BTCUSDT", "FUNDING_FEE"),
        ),
        cm_income=(
            Income("TRANSFER", _D("0.2") + cm_commission, "BTC", t0 - _DAY, "7100000001", info="TRANSFER"),
            Income("COMMISSION", -cm_commission, "BTC", 1767200000000, "7100000002", "BTCUSD_PERP", "", "5200000001"),
        ),
        loans=(
            Loan(1439000000000000100, "USDT", _D(100), usdt_loan_time),
            Loan(1440000000000000123, "BTC", _D("0.01"), t0 - 10 * _HOUR),
        ),
        repays=(Repay(1439000000000000456, "USDT", _D(100), usdt_charge.interest, 1767000000000),),
        interest=(usdt_charge, *btc_charges),
        negative_interest=(NegativeInterest(1438000000000000001, "USDT", _D(1000), _D("0.0001164"), 1766966400000),),
        negative_exchanges=(
            NegativeExchange(1766966400000, 1766966460000, (ExchangeDetail("ETH", _D("1.25"), _D(1)),)),
        ),
        indicators=(
            Indicator("BTCUSDT", "UFR", _D("0.998"), _D("0.995"), is_locked=True, planned_recover_time=t0 + _HOUR),
            Indicator("BTCUSDT", "GCR", _D("0.42"), _D("0.99"), is_locked=True, planned_recover_time=t0 + _HOUR),
        ),
        indicators_update_time=t0,
    )


def demo_account() -> Account:
    """The demo account (DEMO_API_KEY / DEMO_API_SECRET), serving `demo_state()`."""
    return Account("demo", demo_state(), api_key=DEMO_API_KEY, api_secret=DEMO_API_SECRET)


def _derived_credential(label: str) -> str:
    """64 alphanumeric characters derived from `label`: stable across runs and processes."""
    return hashlib.sha256(label.encode("utf-8")).hexdigest()


def large_state(n_assets: int, seed: int = 0, *, positions: int = 0, hedge: bool = False) -> AccountState:
    """A synthetic state, the same for the same arguments.

    `n_assets` assets (A0001, ...), `positions` UM positions (on S0001A0001, ..., margined in A0001) and
    about a quarter as many CM ones.

    Every asset has a margin ledger; about 70% have a UM and a CM wallet (funded by one transfer), 20% a
    loan with hourly interest. `hedge` puts the account in hedge mode (LONG and SHORT rows).
    """
    if n_assets < 1:
        raise ValueError("n_assets must be at least 1")
    if positions < 0:
        raise ValueError("positions must not be negative")
    rng = random.Random(seed)  # noqa: S311  (reproducible test data, not secrets)
    t0 = DEMO_T0

    def amount(scale: int) -> Decimal:
        return _D(rng.randrange(0, scale * 10**8)) * EIGHT

    def price() -> Decimal:
        return _D(rng.randrange(1, 10**7)) / 100

    names = [f"A{i:04d}" for i in range(1, n_assets + 1)]
    assets = [
        AssetMarket(
            name,
            _D(1) if index == 0 else price(),
            _D(1) if index == 0 else rng.choice((_D("0.8"), _D("0.9"), _D("0.95"), _D(1))),
            borrow_limit=_D(rng.randrange(1, 10**6)),
            loanable=amount(1000),
        )
        for index, name in enumerate(names)
    ]
    ledgers = [
        Ledger(
            name,
            free=amount(100_000),
            locked=amount(1_000),
            um=index == 0 or rng.random() < 0.7,
            cm=rng.random() < 0.7,
            update_time=t0 + rng.randrange(0, 10**9),
        )
        for index, name in enumerate(names)
    ]
    um_income = tuple(
        Income("TRANSFER", amount(50_000), led.asset, t0 - rng.randrange(1, 30) * _DAY, str(7_000_000_000 + i))
        for i, led in enumerate(ledgers)
        if led.um
    )
    cm_income = tuple(
        Income("TRANSFER", amount(10), led.asset, t0 - rng.randrange(1, 30) * _DAY, str(7_100_000_000 + i))
        for i, led in enumerate(ledgers)
        if led.cm
    )
    loans: list[Loan] = []
    charges: list[InterestCharge] = []
    for i, led in enumerate(ledgers):
        if rng.random() < 0.2:
            principal, hours, rate = amount(100), rng.randrange(1, 48), _D(rng.randrange(1, 10**5)) * EIGHT
            start = t0 - hours * _HOUR
            loans.append(Loan(1_440_000_000_000_000_000 + i * 1000, led.asset, principal, start))
            charges.extend(
                InterestCharge(
                    1_440_000_000_000_000_000 + i * 1000 + h + 1, led.asset, principal, rate, start + h * _HOUR
                )
                for h in range(hours)
            )
    sides = ("LONG", "SHORT") if hedge else ("BOTH",)
    um_symbols = [
        UmSymbol(f"S{j:04d}{names[0]}", names[0], price(), _BTCUSDT_BRACKETS) for j in range(1, positions + 1)
    ]
    um_positions, um_orders = [], []
    for spec in um_symbols:
        side = rng.choice(sides)
        sign = -1 if side == "SHORT" or (side == "BOTH" and rng.random() < 0.4) else 1
        size = _D(rng.randrange(1, 10**6)) / 1000
        entry = (spec.mark_price * _D(rng.randrange(900, 1100)) / 1000).quantize(_D("0.01"))
        um_positions.append(Position(spec.symbol, sign * size, entry, t0 - rng.randrange(1, 10**8), side))
        if rng.random() < 0.3:
            um_orders.append(Order(spec.symbol, rng.choice(("BUY", "SELL")), size / 2, entry, side))
    cm_assets = [led.asset for led in ledgers if led.cm][: (positions + 3) // 4]
    cm_symbols = [
        CmSymbol(f"{name}USD_PERP", f"{name}USD", name, _D(rng.choice((10, 100))), price(), _BTCUSD_BRACKETS)
        for name in cm_assets
    ]
    cm_positions = []
    for cm_spec in cm_symbols:
        side = rng.choice(sides)
        sign = -1 if side == "SHORT" or (side == "BOTH" and rng.random() < 0.4) else 1
        entry = (cm_spec.mark_price * _D(rng.randrange(900, 1100)) / 1000).quantize(_D("0.01"))
        cm_positions.append(Position(cm_spec.symbol, _D(sign * rng.randrange(1, 1000)), entry, t0, side))
    return AccountState(
        market=Market(assets, um_symbols, cm_symbols),
        ledgers=tuple(ledgers),
        update_time=t0,
        config=AccountConfig(dual_side_position=hedge),
        um_positions=tuple(um_positions),
        cm_positions=tuple(cm_positions),
        um_orders=tuple(um_orders),
        um_leverage={spec.symbol: rng.choice((5, 10, 20, 50)) for spec in um_symbols},
        cm_leverage={cm_spec.symbol: rng.choice((5, 10, 20)) for cm_spec in cm_symbols},
        um_income=um_income,
        cm_income=cm_income,
        loans=tuple(loans),
        interest=tuple(charges),
    )


def large_account(n_assets: int, seed: int = 0, *, positions: int = 0, hedge: bool = False) -> Account:
    """An account serving `large_state(n_assets, seed, positions=..., hedge=...)`.

    Its key and secret are derived from the arguments, so another process (a benchmark driving
    `python -m binance_papi.simulator --large-assets N [--positions M]`) gets them by calling this function too.
    """
    state = large_state(n_assets, seed, positions=positions, hedge=hedge)
    label = f"large-account:{n_assets}:{seed}"
    if positions or hedge:
        label += f":{positions}:{int(hedge)}"
    return Account(
        f"large-{n_assets}-{seed}",
        state,
        api_key=_derived_credential(f"{label}:key"),
        api_secret=_derived_credential(f"{label}:secret"),
    )
