"""The runtime of the generated models: JSON decoding and strict field parsers, and the whole-body fast path.

Hand-written and held to the project's lint and type rules; the generated models call into it (see the
model template in generator/templates). Nothing here imports msgspec until a body is decoded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from enum import Enum
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, Protocol, Self, TypeVar

from ._errors import InvalidResponseError
from ._types import UNSET

if TYPE_CHECKING:
    import httpx

__all__ = [
    "INT_MAX",
    "INT_MIN",
    "PLAIN_AMOUNTS",
    "FastDecoder",
    "NestedRows",
    "check_shape",
    "decode_json",
    "encode_json",
    "format_decimal",
    "open_enum_members",
    "parse_bool",
    "parse_bool_string",
    "parse_decimal",
    "parse_enum",
    "parse_flex_decimal",
    "parse_id_str",
    "parse_int",
    "parse_model",
    "parse_model_list",
    "parse_number_decimal",
    "parse_numeric_int",
    "parse_open_enum",
    "parse_optional_decimal",
    "parse_optional_str",
    "parse_str",
    "plain_amounts",
]

E = TypeVar("E", bound=Enum)
P = TypeVar("P")
M = TypeVar("M", bound="_Model")


# Amounts: only the plain decimal form of the spec's pattern (`^-?[0-9]+(\.[0-9]+)?$`), without leading zeros
# and at most 40 digits on each side, so that every accepted value round-trips to the exact string received
# (`to_dict`) and none can explode in size. `Decimal()` alone also takes " 1.5", "1_000", "+1", "1e999999999",
# "01.5", ".5" and other scripts' digits.
# Every quantifier is possessive (`?+`, `{m,n}+`, `*+`): the form is decided by the next character alone, so
# there is never anything to backtrack to, and the engine keeps no backtracking state (twice as fast on a large
# body as the same pattern with greedy quantifiers, which matches exactly the same strings).
_AMOUNT = r"-?+(?:0|[1-9][0-9]{0,39}+)(?:\.[0-9]{1,40}+)?+"
_PLAIN_AMOUNT = re.compile(_AMOUNT).fullmatch
PLAIN_AMOUNTS = re.compile(rf"(?:{_AMOUNT})?+(?:\|(?:{_AMOUNT})?+)*+").fullmatch
"""Matches amounts (or "") joined by "|": `from_dicts`' fast path checks all the amounts of an object in one call."""
_MAX_ROW_AMOUNT_CHARS = 40
"""The longest amount `decode_fast` takes (msgspec checks it); a longer one, up to 40 digits each side, takes the
checked path."""

# Integers: the signed 64-bit range (Binance's ids, times and counts are Java longs).
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
# JSON numbers (`type: number`): at most this many characters, and exponents within +-100.
_MAX_NUMBER_CHARS = 100
_MAX_NUMBER_EXPONENT = 100


def _json_number(text: str) -> Decimal:
    """A JSON number with a fraction or exponent, exactly; an absurd one (huge exponent, too long) is refused."""
    if len(text) > _MAX_NUMBER_CHARS:
        raise ValueError(f"a JSON number of {len(text)} characters")
    number = Decimal(text)
    if abs(number.adjusted()) > _MAX_NUMBER_EXPONENT or number.as_tuple().exponent < -_MAX_NUMBER_EXPONENT:  # type: ignore[operator]
        raise ValueError(f"a JSON number out of range: {text[:40]}")
    return number


def plain_amounts(joined: str) -> bool:
    """Whether amounts joined by "," are all in the plain decimal form (see `_AMOUNT`), checked in C.

    For `decode_fast` (`_from_rows` checks all the amounts of a body in one call), on its terms: each amount
    is at most 40 characters long (`FastDecoder` rows) and already accepted by `Decimal()` (so none holds a
    comma, a bracket or a quote), and an empty one is given as "0". Such a string is in the plain form exactly
    when it is a JSON number with no exponent: `-?(0|[1-9][0-9]*)([.][0-9]+)?`, what msgspec's JSON parser
    takes (no "+", no leading zeros, no ".5" or "5.", ASCII digits only; `Decimal()` takes all of those), less
    the exponent ("e", "E") and the whitespace JSON allows around a value. Twice as fast as `PLAIN_AMOUNTS`.
    """
    if "e" in joined or "E" in joined or " " in joined or "\n" in joined or "\r" in joined or "\t" in joined:
        return False
    try:
        _json_numbers()("[" + joined + "]")
    except ValueError:  # msgspec.DecodeError: not JSON numbers
        return False
    return True


def decode_json(content: bytes) -> Any:  # noqa: ANN401  (any JSON value)
    """The decoded JSON body. Raises ValueError (msgspec.DecodeError) when it is not JSON.

    JSON numbers with a fraction or an exponent become exact `Decimal`s (never a float); integers stay int.
    A number with more than 100 characters or an exponent beyond +-100 is refused (ValueError).
    """
    try:
        return _json_decoder()(content)
    except RecursionError:  # msgspec's answer to very deep nesting: a malformed body like any other
        raise ValueError("JSON nested too deeply") from None


def check_shape(parsed: P, many: bool | None, operation: str, response: httpx.Response) -> P:
    """`parsed`, when its shape is the one the request asked for (`many`: an array; None: either)."""
    if many is None or isinstance(parsed, list) is many:
        return parsed
    got, wanted = ("an array", "one object") if isinstance(parsed, list) else ("one object", "an array")
    raise InvalidResponseError(
        f"{operation}: the request asked for {wanted}, the answer is {got}",
        status_code=response.status_code,
        content=response.content,
    )


def encode_json(value: object) -> bytes:
    """JSON of a model's `to_dict()`: a `Decimal` (a `type: number` field) is written as the exact JSON number."""
    return _json_encoder()(value)


@cache
def _json_decoder() -> Callable[[bytes], Any]:
    decode: Callable[[bytes], Any] = _msgspec().json.Decoder(float_hook=_json_number).decode
    return decode


@cache
def _json_numbers() -> Callable[[str], Any]:
    decode: Callable[[str], Any] = _msgspec().json.Decoder(list[float]).decode
    return decode


@cache
def _json_encoder() -> Callable[[object], bytes]:
    encode: Callable[[object], bytes] = _msgspec().json.Encoder(decimal_format="number").encode
    return encode


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
    if type(value) is Decimal:  # how decode_json gives a JSON number with a fraction
        return f"{value} (a JSON number)"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def _invalid(value: object, field: str, expected: str) -> InvalidResponseError:
    if value is UNSET:
        return InvalidResponseError(f"{field}: required field is missing")
    return InvalidResponseError(f"{field}: expected {expected}, got {_describe(value)}")


def _finite_decimal(value: object) -> Decimal | None:
    """The exact `Decimal` of a JSON string holding a plain decimal number (see `_AMOUNT`), else None."""
    if type(value) is str and _PLAIN_AMOUNT(value) is not None:
        return Decimal(value)
    return None


def parse_decimal(value: object, field: str) -> Decimal:
    """An exact `Decimal` from a JSON string holding a plain decimal number ("-12.50", no exponent or spaces)."""
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
    """A JSON integer in the signed 64-bit range (never a bool, never a float)."""
    if type(value) is int and INT_MIN <= value <= INT_MAX:
        return value
    raise _invalid(value, field, "an integer")


def parse_numeric_int(value: object, field: str) -> int:
    """An int from a JSON integer or from a string of digits (Binance sends both for some fields), 64-bit."""
    if type(value) is int and INT_MIN <= value <= INT_MAX:
        return value
    if type(value) is str and len(value) <= 20 and value.isascii() and value.removeprefix("-").isdigit():
        number = int(value)
        if INT_MIN <= number <= INT_MAX:
            return number
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


def parse_number_decimal(value: object, field: str) -> Decimal:
    """An exact `Decimal` from a JSON number (`type: number, format: decimal`).

    `decode_json` gives such numbers as int or Decimal; a float (it has already lost digits) and a string
    are refused.
    """
    if type(value) is int and INT_MIN <= value <= INT_MAX:
        return Decimal(value)
    if type(value) is Decimal and value.is_finite():
        return value
    raise _invalid(value, field, "a JSON number (decoded exactly, as int or Decimal)")


def parse_flex_decimal(value: object, field: str) -> Decimal:
    """A decimal string, or (x-accept-number) the same amount as a JSON number: an exact `Decimal`."""
    result = _finite_decimal(value)
    if result is not None:
        return result
    if type(value) is int and INT_MIN <= value <= INT_MAX:
        return Decimal(value)
    if type(value) is Decimal and value.is_finite():
        return value
    raise _invalid(value, field, "a decimal number in a JSON string, or a JSON number")


def parse_optional_str(value: object, field: str) -> str | None:
    """A JSON string; the empty string means "no value" and gives None (x-empty-is-none)."""
    if type(value) is str:
        return value or None
    raise _invalid(value, field, 'a string, or ""')


def parse_id_str(value: object, field: str) -> str:
    """An id: a JSON string, or (x-accept-integer) a JSON integer, exposed as its digits."""
    if type(value) is str:
        return value
    if type(value) is int:
        return str(value)
    raise _invalid(value, field, "a string, or an integer")


def parse_bool_string(value: object, field: str) -> bool:
    """A boolean carried as the string "true" or "false" (x-bool-string); a JSON boolean is taken too."""
    if value == "true" or value is True:
        return True
    if value == "false" or value is False:
        return False
    raise _invalid(value, field, '"true" or "false"')


def open_enum_members(enum: type[E]) -> Mapping[str, E]:
    """Value -> member of a string enum, for `parse_open_enum` and the models' fast paths."""
    return {str(member.value): member for member in enum}


def parse_open_enum(members: Mapping[str, E], value: object, field: str) -> E | str:
    """The member for a documented value; an unknown string stays a plain string (x-open-enum)."""
    if type(value) is str:
        return members.get(value, value)
    raise _invalid(value, field, "a string")


def parse_enum(enum: type[E], value: object, field: str) -> E:
    """The member of a closed enum for its value."""
    try:
        return enum(value)
    except ValueError:
        raise _invalid(value, field, f"one of {[member.value for member in enum]}") from None


# Nested models. The inner model names its own fields ("UmAccountPosition.entryPrice: ..."); these put the
# path from the outer model in front ("UmAccount.positions[3].entryPrice: ...").


class _Model(Protocol):
    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any], /) -> Self: ...

    @classmethod
    def from_dicts(cls, items: list[Any], /) -> list[Self]: ...


def _nested(exc: InvalidResponseError, path: str, inner: str) -> InvalidResponseError:
    message = exc.message
    if message.startswith((inner + ".", inner + ":")):
        return InvalidResponseError(path + message[len(inner) :])
    return InvalidResponseError(f"{path}: {message}")


def parse_model(model: type[M], value: object, field: str) -> M:
    """A nested object, with errors naming the path from the outer model."""
    if not isinstance(value, Mapping):
        raise _invalid(value, field, f"a JSON object ({model.__name__})")
    try:
        return model.from_dict(value)
    except InvalidResponseError as exc:
        raise _nested(exc, field, model.__name__) from None


def parse_model_list(model: type[M], value: object, field: str) -> list[M]:
    """A nested array of objects, with errors naming the path and the index (`field[3].name`)."""
    if type(value) is not list:
        raise _invalid(value, field, f"a JSON array of {model.__name__}")
    try:
        return model.from_dicts(value)
    except InvalidResponseError:
        for index, item in enumerate(value):  # only on the error path: find the item and name it
            parse_model(model, item, f"{field}[{index}]")
        raise


# The fast path for whole response bodies (the models' `decode_fast`). A body whose objects have exactly the
# documented fields, each of its documented JSON type, is decoded in C straight into rows (no dict per
# object), which the model turns into objects. Anything else (an unknown field, a missing one, a wrong
# type, a numeric string where an integer is documented, a malformed or non-finite amount, a body that is
# not JSON) gives None, and the caller takes the checked path, which keeps unknown fields and names what is
# wrong. Both paths give equal results wherever both apply (tests/test_models.py).


class NestedRows:
    """A field of a `FastDecoder` holding another model's rows: one object, or an array of them (`many`).

    `decoder` returns the inner model's `FastDecoder` (a function, so that the inner module is imported on
    first use, like the models' own nested imports).
    """

    __slots__ = ("decoder", "many")

    def __init__(self, decoder: Callable[[], FastDecoder | None], *, many: bool) -> None:
        self.decoder = decoder
        self.many = many


# The JSON type of a row field: str, int, bool, "amount" (a string of at most 40 characters, checked by the
# model: see `plain_amounts`), "number" (an exact JSON number: int or Decimal, checked by the model),
# "bool-string" ("true" or "false"), "id" (a string or an integer), or nested rows.
FieldType = type | Literal["amount", "number", "bool-string", "id"] | NestedRows


class FastDecoder:
    """Decodes a JSON object, or an array of them, with exactly the given fields.

    `fields` are (attribute, JSON name, JSON type, required). Rows carry the values under the attribute
    names; an absent optional field is UNSET.
    """

    __slots__ = ("_decode", "_fields", "_name", "_row")

    def __init__(self, name: str, fields: Sequence[tuple[str, str, FieldType, bool]]) -> None:
        self._name = name
        self._fields = tuple(fields)
        self._row: Any = None
        self._decode: Callable[[bytes], Any] | None = None  # built on first use (msgspec is imported lazily)

    def row_type(self) -> Any:  # noqa: ANN401  (a msgspec Struct class made at run time)
        """The msgspec Struct of one row (built once)."""
        if self._row is None:
            msgspec = _msgspec()
            self._row = msgspec.defstruct(
                self._name,
                [
                    (attribute, _row_field(kind)) if required else (attribute, _row_field(kind), UNSET)
                    for attribute, _, kind, required in self._fields
                ],
                rename={attribute: name for attribute, name, _, _ in self._fields},
                forbid_unknown_fields=True,
                kw_only=True,
                gc=False,
            )
        return self._row

    def _build(self) -> Callable[[bytes], Any]:
        try:
            row = self.row_type()
        except _NoFastPath:  # a nested model has no fast path: neither has this one
            self._decode = _decline
        else:
            self._decode = _msgspec().json.Decoder(list.__class_getitem__(row) | row, float_hook=_json_number).decode
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


class _NoFastPath(Exception):  # noqa: N818  (internal signal, never raised to callers)
    pass


def _decline(content: bytes) -> Any:  # noqa: ANN401
    raise ValueError(content[:0])


def _row_field(kind: FieldType) -> Any:  # noqa: ANN401  (a type expression for msgspec)
    if isinstance(kind, NestedRows):
        decoder = kind.decoder()
        if decoder is None:
            raise _NoFastPath
        row = decoder.row_type()
        return list.__class_getitem__(row) if kind.many else row
    return _row_types().get(kind, kind)  # str, bool: as they are


@cache
def _row_types() -> dict[object, Any]:
    from typing import Annotated

    meta = _msgspec().Meta
    return {
        # the 64-bit range, as `parse_int` (msgspec itself also takes unsigned 64-bit values)
        int: Annotated[int, meta(ge=INT_MIN, le=INT_MAX)],
        "amount": Annotated[str, meta(max_length=_MAX_ROW_AMOUNT_CHARS)],
        # an exact JSON number arrives as int or Decimal (float_hook); the model checks which
        "number": Any,
        "bool-string": Literal["true", "false"],
        "id": str | int,
    }
