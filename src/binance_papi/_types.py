"""The small shared types of the generated code, hand-written; the generated `types` module re-exports them.

`UNSET` is an argument or field that was not given; `Response` is what the `*_detailed` operations return.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from http import HTTPStatus
from typing import Generic, Literal, NamedTuple, TypeVar

from attrs import define

__all__ = ["UNSET", "Operation", "Paging", "Response", "Unset"]


class Unset:
    """The type of `UNSET`: "not given", as opposed to None ("given, and empty")."""

    __slots__ = ()

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "UNSET"

    def __reduce__(self) -> str:
        return "UNSET"  # one UNSET per process, also after pickling


UNSET: Unset = Unset()

T_co = TypeVar("T_co", covariant=True)


@define(frozen=True)
class Response(Generic[T_co]):
    """A response from an endpoint: status, raw body, headers and the parsed success value (read-only)."""

    status_code: HTTPStatus
    content: bytes
    headers: MutableMapping[str, str]
    parsed: T_co


class Operation(NamedTuple):
    """One operation of the spec, as the generated client's `OPERATIONS` table lists it."""

    method: str
    path: str
    weight: int
    """IP request weight (X-MBX-USED-WEIGHT-1M) of one call without optional parameters."""
    weight_with: dict[str, int]
    """The weight when the named parameter is passed, where it differs (Binance's x-weight-with)."""
    retry_safe: bool
    """Read-only: safe to re-sign and send again after a failure whose outcome is unknown."""


class Paging(NamedTuple):
    """How the paging helper walks one history operation (the spec's x-paging), as `PAGING` lists it.

    Parameter and attribute names are the Python ones of the generated method and row model.
    """

    operation: str
    """The client method that fetches one page, e.g. "get_um_income"."""
    start: str
    end: str
    limit: str
    """The page-size parameter (`limit` or `size`)."""
    page: str | None
    """The page-number parameter (`page` or `current`), used only for rows tied on one millisecond."""
    max_limit: int
    max_range_ms: int | None
    """The longest window (endTime - startTime, ms) one request may ask for (x-max-time-range-ms), if any."""
    time_attr: str
    """The row attribute holding the row's time (ms)."""
    descending: bool
    """Rows come newest first."""
    rows_attr: str | None
    """The body attribute holding the rows (`rows` of {rows, total}); None when the body is the list."""
