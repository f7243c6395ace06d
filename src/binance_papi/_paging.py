"""The paging helper behind the generated `iter_*` methods: every row of a history endpoint over a time range.

    for row in client.iter_um_income(start_time=t0, end_time=t1, income_type=UmIncomeType.FUNDING_FEE):
        ...
    async for row in aclient.iter_margin_interest_history(start_time=t0, end_time=t1, asset="BTC"):
        ...

Each operation with the spec's `x-paging` gets such a method on both clients; its entry in the generated
`binance_papi_generated.client.PAGING` table (from `x-paging` and `x-max-time-range-ms`) drives the walk:

1. Windows. [start_time, end_time] (ms, both inclusive) is cut into windows no longer than the documented
   maximum (end - start <= x-max-time-range-ms), walked in the endpoint's own order: oldest first for an
   ascending endpoint (income), newest first for a descending one (margin histories), so the rows come
   out in one order over the whole range.
2. Pages by time. Every request asks for a full page (`page_size`, by default the documented maximum).
   A shorter page ends the window. After a full page the next request starts at the last row's time
   (ascending) or ends at the oldest row's time (descending): that millisecond is asked for again, since
   more rows may share it, and the rows already given at that millisecond are skipped (rows are compared
   whole, in their exact wire form).
3. Ties. When a full page holds only rows of the bounding millisecond, moving the bound cannot progress:
   that millisecond alone is read on, from its second page, with the endpoint's page parameter (`page`,
   `current`) until a short page, then the walk moves one millisecond on. An endpoint without a page parameter
   raises `PapiError` there (more rows in one millisecond than a page holds: pass a filter).

Nothing is sent before the first row is asked for; each page is one request of the operation's weight,
with the client's signing, retries and typed errors. A row is never given twice.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from ._errors import InvalidResponseError, PapiError, RequestValidationError
from ._parsing import encode_json
from ._types import Paging

__all__ = ["iterate", "iterate_async", "windows"]


def windows(start: int, end: int, max_range_ms: int | None, *, descending: bool) -> list[tuple[int, int]]:
    """[start, end] as inclusive windows with end - start <= max_range_ms, in walking order."""
    if max_range_ms is None:
        return [(start, end)]
    cuts: list[tuple[int, int]] = []
    low = start
    while low <= end:
        high = min(low + max_range_ms, end)
        cuts.append((low, high))
        low = high + 1
    return cuts[::-1] if descending else cuts


class _Walk:
    """The walk's state: which request to send next, and which rows of an answer are new."""

    def __init__(
        self,
        paging: Paging,
        *,
        start: int,
        end: int | None,
        page_size: int | None,
        filters: Mapping[str, object],
        client: object,
    ) -> None:
        if end is None:
            offset = getattr(client, "time_offset_ms", 0)
            end = time.time_ns() // 1_000_000 + (offset if isinstance(offset, int) else 0)
        size = paging.max_limit if page_size is None else page_size
        name = paging.operation.replace("get_", "iter_", 1)
        if type(start) is not int or type(end) is not int:
            raise RequestValidationError(f"{name}: start_time and end_time are integers (ms)")
        if start > end:
            raise RequestValidationError(f"{name}: start_time={start} is after end_time={end}; nothing was sent")
        if type(size) is not int or not 1 <= size <= paging.max_limit:
            raise RequestValidationError(f"{name}: page_size must be 1..{paging.max_limit}, got {size!r}")
        self._paging = paging
        self._size = size
        self._filters = dict(filters)
        self._windows = deque(windows(start, end, paging.max_range_ms, descending=paging.descending))
        self._low, self._high = self._windows.popleft()
        self._digging: int | None = None
        """The page number while reading one tied millisecond (the bound) by pages; None otherwise."""
        self._seen: set[bytes] = set()
        """The rows given at the bounding millisecond (low when ascending, high when descending)."""
        self._done = False

    @property
    def _bound(self) -> int:
        return self._high if self._paging.descending else self._low

    def request(self) -> dict[str, object] | None:
        """The keyword arguments of the next page's call, or None when the range is walked."""
        if self._done:
            return None
        paging = self._paging
        kwargs = {**self._filters, paging.limit: self._size}
        if self._digging is None:
            kwargs.update({paging.start: self._low, paging.end: self._high})
        else:
            assert paging.page is not None  # noqa: S101  (digging starts only with a page parameter)
            kwargs.update({paging.start: self._bound, paging.end: self._bound, paging.page: self._digging})
        return kwargs

    def feed(self, body: Any) -> list[Any]:  # noqa: ANN401  (the page method's answer)
        """The new rows of an answer, in order; moves the walk on."""
        paging = self._paging
        rows: list[Any] = body if paging.rows_attr is None else getattr(body, paging.rows_attr)
        fresh: list[Any] = []
        for row in rows:
            moment = getattr(row, paging.time_attr)
            if not self._low <= moment <= self._high:
                raise InvalidResponseError(
                    f"{paging.operation}: a row at {moment} is outside the window asked for [{self._low}, {self._high}]"
                )
            key = encode_json(row.to_dict())
            if key in self._seen:
                continue
            fresh.append(row)
        full = len(rows) >= self._size
        if self._digging is not None:
            self._dig_on(full, fresh)
        elif not full:
            self._next_window()
        else:
            self._move_bound(getattr(rows[-1], paging.time_attr), rows)
        bound = self._bound
        self._seen.update(encode_json(row.to_dict()) for row in fresh if getattr(row, paging.time_attr) == bound)
        return fresh

    def _move_bound(self, edge: int, rows: list[Any]) -> None:
        """After a full page ending at `edge`: ask again from there, or dig into that millisecond."""
        if edge == self._bound:  # the whole page is one millisecond: moving the bound cannot progress
            if self._paging.page is None:
                raise PapiError(
                    f"{self._paging.operation}: more than {self._size} rows at {edge} ms and the endpoint has no "
                    "page parameter: pass a filter or a larger page_size"
                )
            self._digging = 2  # page 1 of that millisecond alone is the page just read
            return
        if self._paging.descending:
            self._high = edge
        else:
            self._low = edge
        self._seen = {encode_json(row.to_dict()) for row in rows if getattr(row, self._paging.time_attr) == edge}

    def _dig_on(self, full: bool, fresh: list[Any]) -> None:
        if full and not fresh:
            raise InvalidResponseError(
                f"{self._paging.operation}: page {self._digging} of {self._bound} ms repeats rows already given"
            )
        if full:
            self._digging = (self._digging or 0) + 1
            return
        self._digging = None
        self._seen = set()
        if self._paging.descending:
            self._high -= 1
        else:
            self._low += 1
        if self._low > self._high:
            self._next_window()

    def _next_window(self) -> None:
        self._digging = None
        self._seen = set()
        if self._windows:
            self._low, self._high = self._windows.popleft()
        else:
            self._done = True


def iterate(
    client: Any,  # noqa: ANN401  (a PapiClient; its page method is looked up by name)
    paging: Paging,
    *,
    start: int,
    end: int | None,
    page_size: int | None,
    filters: Mapping[str, object],
) -> Iterator[Any]:
    """The rows of `paging.operation` over [start, end], one page request at a time (see the module docstring)."""
    walk = _Walk(paging, start=start, end=end, page_size=page_size, filters=filters, client=client)
    return _rows(client, walk, paging.operation)


def _rows(client: Any, walk: _Walk, operation: str) -> Iterator[Any]:  # noqa: ANN401
    fetch = getattr(client, operation)
    while (kwargs := walk.request()) is not None:
        yield from walk.feed(fetch(**kwargs))


def iterate_async(
    client: Any,  # noqa: ANN401  (an AsyncPapiClient)
    paging: Paging,
    *,
    start: int,
    end: int | None,
    page_size: int | None,
    filters: Mapping[str, object],
) -> AsyncIterator[Any]:
    """`iterate` for the asyncio client: an async iterator, one awaited page request at a time."""
    walk = _Walk(paging, start=start, end=end, page_size=page_size, filters=filters, client=client)
    return _rows_async(client, walk, paging.operation)


async def _rows_async(client: Any, walk: _Walk, operation: str) -> AsyncIterator[Any]:  # noqa: ANN401
    fetch = getattr(client, operation)
    while (kwargs := walk.request()) is not None:
        for row in walk.feed(await fetch(**kwargs)):
            yield row
