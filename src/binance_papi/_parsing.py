"""The runtime of the generated models: JSON decoding and strict field parsers, and the whole-body fast path.

Hand-written and held to the project's lint and type rules; the generated models call into it (see the
model template in generator/templates). Nothing here imports msgspec until a body is decoded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from functools import cache
from types import ModuleType
from typing import Any

from ._errors import InvalidResponseError
from ._types import UNSET

__all__ = [
    "FastDecoder",
    "decode_json",
    "format_decimal",
    "parse_bool",
    "parse_decimal",
    "parse_int",
    "parse_numeric_int",
    "parse_optional_decimal",
    "parse_str",
]


def decode_json(content: bytes) -> Any:  # noqa: ANN401  (any JSON value)
    """The decoded JSON body. Raises ValueError (msgspec.DecodeError) when it is not JSON."""
    try:
        return _msgspec().json.decode(content)
    except RecursionError:  # msgspec's answer to very deep nesting: a malformed body like any other
        raise ValueError("JSON nested too deeply") from None


@cache
def _msgspec() -> ModuleType:
    # msgspec decodes JSON in C (about twice as fast as the standard library) and, for `FastDecoder`, straight
    # into typed rows. Imported on first use: the import costs a few milliseconds.
    import msgspec
    import msgspec.json

    return msgspec


# Field parsers used by the generated models' `from_dict`. They are strict on JSON types (a JSON number is
# never accepted for a decimal string: it has already been through a float) and name the field and the
# value in every error. They sit on the per-item path of large responses, so they stay small.


def _describe(value: object) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def _invalid(value: object, field: str, expected: str) -> InvalidResponseError:
    if value is UNSET:
        return InvalidResponseError(f"{field}: required field is missing")
    return InvalidResponseError(f"{field}: expected {expected}, got {_describe(value)}")


def _finite_decimal(value: object) -> Decimal | None:
    """The exact `Decimal` of a JSON string holding a finite decimal number, else None."""
    if type(value) is str:
        try:
            result = Decimal(value)
        except InvalidOperation:
            return None
        if result.is_finite():
            return result
    return None


def parse_decimal(value: object, field: str) -> Decimal:
    """An exact `Decimal` from a JSON string holding a finite decimal number."""
    result = _finite_decimal(value)
    if result is None:
        raise _invalid(value, field, "a decimal number in a JSON string")
    return result


def parse_optional_decimal(value: object, field: str) -> Decimal | None:
    """Like `parse_decimal`, but the empty string means "no value" and gives None."""
    if value == "":
        return None
    result = _finite_decimal(value)
    if result is None:
        raise _invalid(value, field, 'a decimal number in a JSON string, or ""')
    return result


def format_decimal(value: Decimal) -> str:
    """The fixed-point text of a decimal: "0.00000000" stays "0.00000000" (str() would give "0E-8")."""
    return format(value, "f")


def parse_int(value: object, field: str) -> int:
    """A JSON integer (never a bool, never a float)."""
    if type(value) is int:
        return value
    raise _invalid(value, field, "an integer")


def parse_numeric_int(value: object, field: str) -> int:
    """An int from a JSON integer or from a string of digits (Binance sends both for some fields)."""
    if type(value) is int:
        return value
    if type(value) is str and value.isascii() and value.removeprefix("-").isdigit():
        return int(value)
    raise _invalid(value, field, "an integer, or a string of digits")


def parse_str(value: object, field: str) -> str:
    """A JSON string, as it is."""
    if type(value) is str:
        return value
    raise _invalid(value, field, "a string")


def parse_bool(value: object, field: str) -> bool:
    """A JSON boolean."""
    if type(value) is bool:
        return value
    raise _invalid(value, field, "a boolean")


# The fast path for whole response bodies (the models' `decode_fast`). A body whose objects have exactly the
# documented fields, each of its documented JSON type, is decoded in C straight into rows (no dict per
# object), which the model turns into objects. Anything else (an unknown field, a missing one, a wrong
# type, a numeric string where an integer is documented, a malformed or non-finite amount, a body that is
# not JSON) gives None, and the caller takes the checked path, which keeps unknown fields and names what is
# wrong. Both paths give equal results wherever both apply (tests/test_models.py).


class FastDecoder:
    """Decodes a JSON object, or an array of them, with exactly the given fields.

    `fields` are (attribute, JSON name, JSON type, required). Rows carry the values under the attribute
    names; an absent optional field is UNSET.
    """

    __slots__ = ("_decode", "_fields", "_name")

    def __init__(self, name: str, fields: Sequence[tuple[str, str, type, bool]]) -> None:
        self._name = name
        self._fields = tuple(fields)
        self._decode: Callable[[bytes], Any] | None = None  # built on first use (msgspec is imported lazily)

    def _build(self) -> Callable[[bytes], Any]:
        msgspec = _msgspec()
        row = msgspec.defstruct(
            self._name,
            [
                (attribute, kind) if required else (attribute, kind, UNSET)
                for attribute, _, kind, required in self._fields
            ],
            rename={attribute: name for attribute, name, _, _ in self._fields},
            forbid_unknown_fields=True,
            kw_only=True,
        )
        self._decode = msgspec.json.Decoder(list.__class_getitem__(row) | row).decode
        return self._decode

    def decode(self, content: bytes) -> tuple[bool, list[Any]] | None:
        """(whether the body is an array, its rows), or None when the body does not fit exactly."""
        decode = self._decode or self._build()
        try:
            decoded = decode(content)
        except (ValueError, RecursionError):  # msgspec.DecodeError and its ValidationError; very deep nesting
            return None
        if type(decoded) is list:
            return True, decoded
        return False, [decoded]
