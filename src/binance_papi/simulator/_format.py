"""Numbers and JSON the way Binance writes them: decimal strings, and JSON numbers where the docs say so.

Amounts the simulator derives are truncated to 8 decimals (`amount8`), as the reference state's numbers
are; inputs keep the form they were given in (`plain`: "0.010", "60000.0"). A `Decimal` inside a value
passed to `dumps` is written as a bare JSON number with its exact digits (never through `float`).
"""

from __future__ import annotations

import json
import re
from decimal import ROUND_DOWN, Decimal

__all__ = ["EIGHT", "amount8", "compact", "dumps", "margin8", "plain", "trunc8"]

EIGHT = Decimal("0.00000001")
_RAW_MARK = "\x1e"
_RAW_NUMBER = re.compile(r'"\\u001e(-?[0-9]+(?:\.[0-9]+)?)\\u001e"')


def trunc8(value: Decimal) -> Decimal:
    """`value` truncated (towards zero) to 8 decimals."""
    return value.quantize(EIGHT, rounding=ROUND_DOWN)


def amount8(value: Decimal) -> str:
    """A derived amount: 8 decimals, truncated ("10.00000000")."""
    return f"{trunc8(value):f}"


def margin8(value: Decimal) -> str:
    """A position row's margin: "0" when zero, otherwise 8 decimals (as the reference examples print them)."""
    return "0" if not value else amount8(value)


def plain(value: Decimal) -> str:
    """An input number exactly as given ("0.010", "60000.0")."""
    return f"{value:f}"


def compact(value: Decimal) -> str:
    """Without trailing zeros ("295", "3000000", "0.36")."""
    return f"{value.normalize():f}" if value else "0"


def _mark(value: object) -> object:
    if isinstance(value, Decimal):
        return f"{_RAW_MARK}{value:f}{_RAW_MARK}"
    if isinstance(value, dict):
        return {key: _mark(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_mark(item) for item in value]
    return value


def dumps(value: object) -> bytes:
    """Compact JSON (as Binance sends it); `Decimal`s become JSON numbers with their exact digits."""
    text = json.dumps(_mark(value), separators=(",", ":"))
    if "\\u001e" in text:
        text = _RAW_NUMBER.sub(r"\1", text)
    return text.encode("utf-8")
