"""Business-parameter checks with Binance's codes, shared by the endpoints.

-1102 mandatory parameter missing, -1100 malformed integer, -1130 value out of range or not in the set,
-1108 unknown asset, -1121 unknown symbol, -1023 startTime after endTime, and the window-too-large code
each endpoint family uses (passed in by the caller).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from ._query import Rejection, bad_request

__all__ = [
    "DAY_MS",
    "TimeRules",
    "asset_param",
    "bounded",
    "choice",
    "integer",
    "mandatory_missing",
    "symbol_param",
    "time_window",
]

DAY_MS = 86_400_000


def mandatory_missing(name: str) -> Rejection:
    return bad_request(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


def integer(params: dict[str, str], name: str) -> int | None:
    """The parameter as a non-negative integer (None when absent); -1100 when it is not one."""
    value = params.get(name)
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 20:
        raise bad_request(-1100, f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'.")
    return int(value)


def _invalid(name: str) -> Rejection:
    return bad_request(-1130, f"Data sent for parameter '{name}' is not valid.")


def bounded(params: dict[str, str], name: str, default: int, maximum: int) -> int:
    """A page number or size: `default` when absent, -1130 outside 1..maximum."""
    value = integer(params, name)
    if value is None:
        return default
    if not 1 <= value <= maximum:
        raise _invalid(name)
    return value


def choice(params: dict[str, str], name: str, allowed: Collection[str]) -> str | None:
    """The parameter when it is one of `allowed` (None when absent); -1130 otherwise."""
    value = params.get(name)
    if value is not None and value not in allowed:
        raise _invalid(name)
    return value


def asset_param(params: dict[str, str], assets: Collection[str], *, required: bool = False) -> str | None:
    """-1102 when required and missing, -1108 for an asset the account does not hold."""
    value = params.get("asset")
    if value is None:
        if required:
            raise mandatory_missing("asset")
        return None
    if value not in assets:
        raise bad_request(-1108, "Invalid asset.")
    return value


def symbol_param(params: dict[str, str], symbols: Collection[str], *, required: bool = False) -> str | None:
    """-1102 when required and missing, -1121 for a symbol the market does not list."""
    value = params.get("symbol")
    if value is None:
        if required:
            raise mandatory_missing("symbol")
        return None
    if value not in symbols:
        raise bad_request(-1121, "Invalid symbol.")
    return value


@dataclass(frozen=True, slots=True)
class TimeRules:
    """How an endpoint reads startTime/endTime (both inclusive)."""

    default_ms: int
    """The window when neither is sent (ending now), and before endTime when only it is sent."""
    max_ms: int | None
    """The longest window allowed, or None; with startTime alone the window is also cut to this much before now."""
    too_long: tuple[int, str] = (-1127, "More than 720 hours between startTime and endTime.")


def time_window(params: dict[str, str], now_ms: int, rules: TimeRules) -> tuple[int, int]:
    """(start, end), inclusive, from the parameters and `rules`; -1023 when startTime > endTime."""
    start, end = integer(params, "startTime"), integer(params, "endTime")
    if start is not None and end is not None:
        if start > end:
            raise bad_request(-1023, "Start time is greater than end time.")
        if rules.max_ms is not None and end - start > rules.max_ms:
            raise bad_request(*rules.too_long)
        return start, end
    if start is not None:
        return (start if rules.max_ms is None else max(start, now_ms - rules.max_ms)), now_ms
    if end is not None:
        return end - rules.default_ms, end
    return now_ms - rules.default_ms, now_ms
