"""Checks of a request's parameters before it is sent, from the limits the spec documents.

Hand-written; each generated operation with documented limits builds one `RequestRules` from its spec
(integer `minimum`/`maximum`, `x-max-time-range-ms`, `x-mutually-exclusive`) and calls `check` on the query
parameters it is about to send. A violation raises `RequestValidationError` naming the parameter; nothing
is sent. (`x-one-of-required` is not enforced: with no time window Binance answers for the last 7 days.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ._errors import RequestValidationError

__all__ = ["RequestRules"]

START = "startTime"
END = "endTime"


class RequestRules:
    """The documented limits of one operation's query parameters (by their wire names)."""

    __slots__ = ("_exclusive", "_limits", "_max_range_ms", "_operation", "_window")

    def __init__(
        self,
        operation: str,
        *,
        limits: Mapping[str, tuple[int | None, int | None]] | None = None,
        max_time_range_ms: int | None = None,
        mutually_exclusive: Sequence[Sequence[str]] = (),
        time_window: bool = False,
    ) -> None:
        """Rules of one operation, named `operation` in errors ("GET /papi/v1/um/income").

        `time_window`: the operation has both `startTime` and `endTime` (startTime must not be after endTime).
        """
        self._operation = operation
        self._limits = tuple((limits or {}).items())
        self._max_range_ms = max_time_range_ms
        self._exclusive = tuple(tuple(group) for group in mutually_exclusive)
        self._window = time_window or max_time_range_ms is not None

    def check(self, params: Mapping[str, object]) -> None:
        """Raise `RequestValidationError` naming the first parameter that breaks a documented limit."""
        for name, (low, high) in self._limits:
            value = params.get(name)
            if type(value) is not int:
                continue
            if low is not None and value < low:
                self._fail(f"{name}={value} is below its minimum {low}")
            if high is not None and value > high:
                self._fail(f"{name}={value} is above its maximum {high}")
        for group in self._exclusive:
            sent = [name for name in group if params.get(name) is not None]
            if len(sent) > 1:
                self._fail(f"{' and '.join(sent)} cannot be sent together (at most one of {', '.join(group)})")
        if self._window:
            self._check_window(params.get(START), params.get(END))

    def _check_window(self, start: object, end: object) -> None:
        if type(start) is not int or type(end) is not int:
            return
        if start > end:
            self._fail(f"{START}={start} is after {END}={end}")
        if self._max_range_ms is not None and end - start > self._max_range_ms:
            self._fail(
                f"{END} - {START} = {end - start} ms is longer than the documented maximum "
                f"{self._max_range_ms} ms ({self._max_range_ms / 86_400_000:g} days)"
            )

    def _fail(self, problem: str) -> None:
        raise RequestValidationError(f"{self._operation}: {problem}; nothing was sent")
