"""The generated `iter_*` paging methods against the simulator: ranges longer than one window, pages smaller
than the data, rows tied on one millisecond across page boundaries; every row exactly once, in order, sync
and async, and every request within the documented limits."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from binance_papi import PapiError, RequestValidationError, async_signed_client, signed_client
from binance_papi._paging import windows
from binance_papi.simulator import (
    DEMO_T0,
    Account,
    Income,
    InterestCharge,
    NegativeInterest,
    SimulatorHandle,
    demo_state,
)
from binance_papi_generated.client import OPERATIONS, PAGING
from binance_papi_generated.models import UmIncomeType

HOUR = 3_600_000
DAY = 24 * HOUR
KEY = "PagingKey" + "K" * 55
SECRET = "PagingSecret" + "S" * 52
START = DEMO_T0 - 400 * DAY  # longer than two CM income windows (200 days) and many margin windows (30 days)
END = DEMO_T0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _times() -> list[int]:
    """Row times over [START, END]: spread out, on both edges, with clusters on one millisecond."""
    times = [START, START, END, END]
    times += [START + k * 7 * DAY + k * 997 for k in range(1, 57)]  # one a week, odd milliseconds
    cluster = START + 100 * DAY + 12_345
    times += [cluster] * 9  # more than a page of 4 on one millisecond
    times += [START + 30 * DAY] * 3 + [START + 30 * DAY + 1] * 2  # around a 30-day window edge
    times += [START + 200 * DAY, START + 200 * DAY + 1]  # around the first 200-day window edge
    return sorted(times)


TIMES = _times()


def paging_account() -> Account:
    base = demo_state()
    state = dataclasses.replace(
        base,
        um_income=base.um_income
        + tuple(
            Income("FUNDING_FEE", Decimal("-0.01"), "USDT", t, f"80{i:08d}", symbol="BTCUSDT", info="FUNDING_FEE")
            for i, t in enumerate(TIMES)
        ),
        cm_income=base.cm_income
        + tuple(
            Income("FUNDING_FEE", Decimal("-0.00000100"), "BTC", t, f"81{i:08d}", symbol="BTCUSD_PERP")
            for i, t in enumerate(TIMES)
        ),
        interest=base.interest
        + tuple(
            InterestCharge(1_500_000_000 + i, "BTC", Decimal("0.01"), Decimal("0.00027"), t)
            for i, t in enumerate(TIMES)
        ),
        negative_interest=base.negative_interest
        + tuple(
            NegativeInterest(1_600_000_000 + i, "USDT", Decimal(12), Decimal("0.0005"), t)
            for i, t in enumerate(sorted(set(TIMES)))  # no tie larger than a page: this endpoint has no page number
        ),
    )
    return Account("paging", state, api_key=KEY, api_secret=SECRET)


def _tran_id(row: Any) -> str:
    return str(row.tran_id)


def _tx_id(row: Any) -> str:
    return str(row.tx_id)


def _interest_key(row: Any) -> str:
    return f"{row.asset}@{row.interest_accured_time}:{row.interest}"


# (operation, filters, page size, row id, expected ids in order from the account state)
CASES: list[tuple[str, dict[str, Any], int, Callable[[Any], str]]] = [
    ("get_um_income", {"income_type": UmIncomeType.FUNDING_FEE, "symbol": "BTCUSDT"}, 4, _tran_id),
    ("get_cm_income", {"symbol": "BTCUSD_PERP"}, 4, _tran_id),
    ("get_margin_interest_history", {"asset": "BTC"}, 4, _tx_id),
    ("get_portfolio_interest_history", {"asset": "USDT"}, 3, _interest_key),
]


def expected(account: Account, operation: str, filters: dict[str, Any]) -> list[str]:
    """The ids the endpoint holds in [START, END], in its order (ties keep the state's order, as Binance's)."""
    state = account.state
    if operation in ("get_um_income", "get_cm_income"):
        rows = state.um_income if operation == "get_um_income" else state.cm_income
        kind = filters.get("income_type")
        chosen = [
            r
            for r in rows
            if r.symbol == filters["symbol"] and (kind is None or r.income_type == kind) and START <= r.time <= END
        ]
        return [r.tran_id for r in sorted(chosen, key=lambda r: r.time)]
    if operation == "get_margin_interest_history":
        charges = [c for c in state.interest if c.asset == "BTC" and START <= c.time <= END]
        return [str(c.tx_id) for c in sorted(charges, key=lambda c: c.time, reverse=True)]
    negative = [n for n in state.negative_interest if n.asset == "USDT" and START <= n.time <= END]
    return [f"USDT@{n.time}:{n.interest}" for n in sorted(negative, key=lambda n: n.time, reverse=True)]


def check_requests(handle: SimulatorHandle, operation: str, page_size: int) -> int:
    """Every request of the walk stayed within the documented window and asked for `page_size` rows."""
    paging = PAGING[operation]
    path = OPERATIONS[operation].path
    sent = [r.params() for r in handle.simulator.requests if r.path == path]
    limit = "limit" if paging.limit == "limit" else "size"
    for params in sent:
        start, end = int(params["startTime"]), int(params["endTime"])
        assert START <= start <= end <= END
        if paging.max_range_ms is not None:
            assert end - start <= paging.max_range_ms
        assert params[limit] == str(page_size)
    return len(sent)


@pytest.mark.parametrize(("operation", "filters", "page_size", "row_id"), CASES, ids=[c[0] for c in CASES])
def test_sync_walk_gives_every_row_once_in_order(
    simulator: SimulatorHandle, operation: str, filters: dict[str, Any], page_size: int, row_id: Callable[[Any], str]
) -> None:
    account = simulator.simulator.add_account(paging_account())
    want = expected(account, operation, filters)
    assert len(want) > 5 * page_size  # many pages
    with signed_client(KEY, SECRET, base_url=simulator.base_url) as client:
        method = getattr(client, operation.replace("get_", "iter_", 1))
        rows = method(start_time=START, end_time=END, page_size=page_size, **filters)
        assert simulator.simulator.requests == []  # nothing is sent before the first row is asked for
        got = [row_id(row) for row in rows]
    assert got == want
    requests = check_requests(simulator, operation, page_size)
    assert requests >= len(want) // page_size


@pytest.mark.anyio
@pytest.mark.parametrize(("operation", "filters", "page_size", "row_id"), CASES, ids=[c[0] for c in CASES])
async def test_async_walk_gives_every_row_once_in_order(
    simulator: SimulatorHandle, operation: str, filters: dict[str, Any], page_size: int, row_id: Callable[[Any], str]
) -> None:
    account = simulator.simulator.add_account(paging_account())
    async with async_signed_client(KEY, SECRET, base_url=simulator.base_url) as client:
        rows: AsyncIterator[Any] = getattr(client, operation.replace("get_", "iter_", 1))(
            start_time=START, end_time=END, page_size=page_size, **filters
        )
        got = [row_id(row) async for row in rows]
    assert got == expected(account, operation, filters)
    check_requests(simulator, operation, page_size)


def test_the_default_page_is_the_documented_maximum(simulator: SimulatorHandle) -> None:
    account = simulator.simulator.add_account(paging_account())
    with signed_client(KEY, SECRET, base_url=simulator.base_url) as client:
        rows = list(client.iter_margin_interest_history(start_time=START, end_time=END, asset="BTC"))
    assert [str(r.tx_id) for r in rows] == expected(account, "get_margin_interest_history", {"asset": "BTC"})
    sizes = {r.params()["size"] for r in simulator.simulator.requests}
    assert sizes == {"100"}
    # One request per 30-day window: no window holds a full page.
    assert len(simulator.simulator.requests) == len(windows(START, END, 30 * DAY, descending=True))


def test_rows_are_the_typed_models_with_exact_amounts(simulator: SimulatorHandle) -> None:
    simulator.simulator.add_account(paging_account())
    with signed_client(KEY, SECRET, base_url=simulator.base_url) as client:
        first = next(client.iter_cm_income(start_time=START, end_time=END, symbol="BTCUSD_PERP"))
    assert first.income == Decimal("-0.00000100")
    assert first.to_dict()["income"] == "-0.00000100"
    assert first.time == START


def test_more_ties_than_a_page_without_a_page_parameter_is_refused(simulator: SimulatorHandle) -> None:
    base = paging_account().state
    tied = tuple(
        NegativeInterest(1_700_000_000 + i, "USDT", Decimal(i + 1), Decimal("0.0005"), DEMO_T0) for i in range(5)
    )
    state = dataclasses.replace(base, negative_interest=tied)
    simulator.simulator.add_account(Account("tied", state, api_key=KEY, api_secret=SECRET))
    with signed_client(KEY, SECRET, base_url=simulator.base_url) as client:
        rows = client.iter_portfolio_interest_history(start_time=DEMO_T0 - DAY, end_time=DEMO_T0, page_size=3)
        with pytest.raises(PapiError, match=r"more than 3 rows at 1767225600000 ms"):
            list(rows)
        # A page that holds the tie is fine.
        assert len(list(client.iter_portfolio_interest_history(start_time=DEMO_T0 - DAY, end_time=DEMO_T0))) == 5


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.iter_um_income(start_time=END, end_time=START), "start_time=.* is after end_time"),
        (lambda c: c.iter_um_income(start_time=START, page_size=1001), r"page_size must be 1\.\.1000"),
        (lambda c: c.iter_margin_loan_records(start_time=START, asset="BTC", page_size=0), r"1\.\.100"),
    ],
)
def test_bad_arguments_raise_before_anything_is_sent(
    simulator: SimulatorHandle, call: Callable[[Any], Iterator[Any]], message: str
) -> None:
    with (
        signed_client(KEY, SECRET, base_url=simulator.base_url) as client,
        pytest.raises(RequestValidationError, match=message),
    ):
        call(client)
    assert simulator.simulator.requests == []


@pytest.mark.parametrize(
    ("start", "end", "max_range", "descending", "cuts"),
    [
        (0, 10, None, False, [(0, 10)]),
        (0, 10, 4, False, [(0, 4), (5, 9), (10, 10)]),
        (0, 10, 4, True, [(10, 10), (5, 9), (0, 4)]),
        (7, 7, 4, False, [(7, 7)]),
        (0, 9, 4, False, [(0, 4), (5, 9)]),
    ],
)
def test_windows_cover_the_range_once_within_the_maximum(
    start: int, end: int, max_range: int | None, descending: bool, cuts: list[tuple[int, int]]
) -> None:
    assert windows(start, end, max_range, descending=descending) == cuts
