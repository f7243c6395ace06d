r"""Parsing a balance body, checked against an independent reading of the spec (`expected` below).

`expected` is written from openapi/papi.yaml and the README ("Strict values"), not from the generated code:
amounts are JSON strings in the plain decimal form of the spec's pattern (`-?[0-9]+(\.[0-9]+)?`, no leading
zeros, at most 40 digits each side); `umUnrealizedPNL` and `cmUnrealizedPNL` may be "" (None); `updateTime` is
a JSON integer or a string of ASCII digits with an optional "-" (at most 20 characters), in the signed 64-bit
range; `crossMarginAsset` may be absent; any other field is kept. An invalid object is refused naming its
first wrong field, in the spec's order, and the value.

The properties drive every public way in: `from_dicts` (lists, the path every body with an unknown field
takes), `from_dict`, `decode_fast` (whole bodies; it may only decline), and the client over a mock
transport (both shapes). The strategy makes mostly valid objects, shapes Binance really sends, and a
measured share of invalid ones (`test_the_strategy_makes_mostly_valid_bodies`).
"""

from __future__ import annotations

import json
import re
import types
from collections.abc import Callable, Mapping
from decimal import Decimal
from enum import Enum
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_models import DOC_ITEM as MODEL_DOC_ITEM

from binance_papi import InvalidResponseError, RetryPolicy, signed_client
from binance_papi._parsing import (
    FastDecoder,
    NestedRows,
    open_enum_members,
    parse_bool,
    parse_bool_string,
    parse_enum,
    parse_flex_decimal,
    parse_id_str,
    parse_int,
    parse_model,
    parse_model_list,
    parse_number_decimal,
    parse_numeric_int,
    parse_open_enum,
    parse_optional_str,
)
from binance_papi_generated.api.account import get_balance
from binance_papi_generated.models import Balance
from binance_papi_generated.types import UNSET

# (JSON name, attribute, kind) in the spec's order; kinds: str, decimal, optional ("" allowed), int (numeric string).
FIELDS = [
    ("asset", "asset", "str"),
    ("totalWalletBalance", "total_wallet_balance", "decimal"),
    ("crossMarginBorrowed", "cross_margin_borrowed", "decimal"),
    ("crossMarginFree", "cross_margin_free", "decimal"),
    ("crossMarginInterest", "cross_margin_interest", "decimal"),
    ("crossMarginLocked", "cross_margin_locked", "decimal"),
    ("umWalletBalance", "um_wallet_balance", "decimal"),
    ("umUnrealizedPNL", "um_unrealized_pnl", "optional"),
    ("cmWalletBalance", "cm_wallet_balance", "decimal"),
    ("cmUnrealizedPNL", "cm_unrealized_pnl", "optional"),
    ("updateTime", "update_time", "int"),
    ("negativeBalance", "negative_balance", "decimal"),
    ("crossMarginAsset", "cross_margin_asset", "decimal"),  # may be absent
]
KNOWN = {name for name, _, _ in FIELDS}
AMOUNTS = {name for name, _, kind in FIELDS if kind in ("decimal", "optional")}
FAST_AMOUNT_LIMIT = 40  # the longest amount `decode_fast` takes; a longer one takes the checked path
EXPECTED_TEXT = {
    "str": "a string",
    "decimal": "a decimal number in a JSON string",
    "optional": 'a decimal number in a JSON string, or ""',
    "int": "an integer, or a string of digits",
}


# What error texts blank (README, "No secret in any error"): 40 or more characters of the alphabets of keys,
# secrets and signatures, which a server may echo.
_SECRET_SHAPED = re.compile(r"[A-Za-z0-9+/=%_-]{40,}")


def _blanked(text: str) -> str:
    return _SECRET_SHAPED.sub("<redacted>", text)


def _shown(value: object) -> str:
    if type(value) is Decimal:  # a JSON number with a fraction, as the client reads a body
        return f"{value} (a JSON number)"
    text = repr(value)
    return _blanked(text if len(text) <= 60 else text[:57] + "...") + f" ({type(value).__name__})"


def _digits(text: str) -> bool:
    return 1 <= len(text) <= 40 and text.isascii() and text.isdigit()


def _amount(value: object) -> Decimal | None:
    """The README's plain decimal: an optional "-", digits without a leading zero, an optional "." and digits."""
    if type(value) is not str:
        return None
    whole, dot, fraction = value.removeprefix("-").partition(".")
    plain = _digits(whole) and (whole == "0" or whole[0] != "0") and (not dot or _digits(fraction))
    return Decimal(value) if plain else None


INT64 = range(-(2**63), 2**63)


def _value(kind: str, value: object) -> tuple[bool, object]:
    if kind == "str":
        return type(value) is str, value
    if kind == "int":
        if type(value) is int:
            return value in INT64, value
        ok = type(value) is str and len(value) <= 20 and re.fullmatch(r"-?[0-9]+", value) is not None
        ok = ok and int(str(value)) in INT64
        return ok, int(str(value)) if ok else None
    if kind == "optional" and value == "":
        return True, None
    number = _amount(value)
    return number is not None, number


def expected(data: object) -> tuple[str, Any]:
    """("ok", {attribute: value, "extra": {...}}) or ("error", the message) for one JSON object."""
    if not isinstance(data, dict):
        return ("error", f"Balance: expected a JSON object, got {type(data).__name__}: {str(data)[:60]!r}")
    values: dict[str, Any] = {"extra": {k: v for k, v in data.items() if k not in KNOWN}}
    for name, attribute, kind in FIELDS:
        if name not in data:
            if name == "crossMarginAsset":
                values[attribute] = UNSET
                continue
            return ("error", f"Balance.{name}: required field is missing")
        ok, value = _value(kind, data[name])
        if not ok:
            return ("error", f"Balance.{name}: expected {EXPECTED_TEXT[kind]}, got {_shown(data[name])}")
        values[attribute] = value
    return ("ok", values)


def outcome_of(balance: Balance) -> tuple[str, Any]:
    values: dict[str, Any] = {attribute: getattr(balance, attribute) for _, attribute, _ in FIELDS}
    values["extra"] = balance.additional_properties
    return ("ok", values)


def same(actual: tuple[str, Any], wanted: tuple[str, Any]) -> bool:
    """Equal, and each Decimal with the same digits and exponent (what `to_dict` gives back)."""
    if actual != wanted:
        return False
    if actual[0] == "ok":
        for key, value in wanted[1].items():
            got = actual[1][key]
            if type(got) is not type(value):
                return False
            if isinstance(value, Decimal) and got.as_tuple() != value.as_tuple():
                return False
    return True


# --- the strategy: Binance's shapes, mostly valid ---------------------------------------------------------------

_fixed_point = st.decimals(min_value=-(10**15), max_value=10**15, allow_nan=False, allow_infinity=False, places=8)
VALID: dict[str, st.SearchStrategy[Any]] = {
    "str": st.sampled_from(["USDT", "BTC", "ETH", "BNB", ""]) | st.text(max_size=6),
    "decimal": _fixed_point.map(lambda d: format(d, "f"))
    | st.sampled_from(["0", "0.00000000", "-0.5", "122607.35137903", "-0", "9" * 40, "0." + "1" * 40]),
    "int": st.integers(-(2**63), 2**63 - 1)
    | st.from_regex(r"-?[0-9]{1,15}", fullmatch=True)
    | st.sampled_from([str(2**63 - 1), str(-(2**63)), "-" + "0" * 19]),
}
VALID["optional"] = VALID["decimal"] | st.just("")
INVALID: dict[str, st.SearchStrategy[Any]] = {
    "str": st.sampled_from([5, None, True, ["USDT"]]),
    "decimal": st.sampled_from(
        [
            *("", "abc", "NaN", "-Infinity", "sNaN", "1.2.3", "--1", 1.5, 100, None, True, {}),
            # Decimal() takes these; the spec's plain form does not (README, "Strict values")
            *(" 1.5", "1_000", "1e5", "1E+3", "1e-8", "+1", "01.5", "00", ".5", "1.", "-.5", "1e999999999"),
            *("1" * 41, "0." + "1" * 41, "\u0661.5", "1.5 "),
        ]
    ),
    "int": st.sampled_from(
        [
            *("--5", "+5", "1.5", "", " 5", "\u0663", "0x1F", True, 1.5, None, "5\n"),
            *(2**63, -(2**63) - 1, str(2**63), str(-(2**63) - 1), "0" * 21),  # outside 64 bits, or too long
        ]
    ),
}
INVALID["optional"] = INVALID["decimal"].filter(lambda v: v != "")
EXTRA = st.dictionaries(
    st.text(max_size=8).filter(lambda k: k not in KNOWN),
    st.none() | st.booleans() | st.integers() | st.text(max_size=4) | st.lists(st.integers(), max_size=2),
    min_size=1,
    max_size=2,
)


@st.composite
def valid_balances(draw: st.DrawFn, *, cross_margin_asset: bool | None = None) -> dict[str, Any]:
    data = {name: draw(VALID[kind]) for name, _, kind in FIELDS}
    if cross_margin_asset is False or (cross_margin_asset is None and draw(st.booleans())):
        del data["crossMarginAsset"]
    return data


@st.composite
def balances(draw: st.DrawFn) -> dict[str, Any]:
    """A valid object (3 times in 4 before shrinking), or one with one or two fields wrong or missing; an
    unknown field now and then either way."""
    data = draw(valid_balances())
    broken = draw(st.sampled_from([False, False, False, True]))
    if broken:
        for name, _, kind in draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=2, unique=True)):
            if draw(st.booleans()):
                data[name] = draw(INVALID[kind])
            else:
                data.pop(name, None)
    if draw(st.sampled_from([False, False, True])):
        data.update(draw(EXTRA))
    return data


def test_the_strategy_makes_mostly_valid_bodies() -> None:
    seen: list[str] = []

    @settings(max_examples=400, derandomize=True, database=None)
    @given(balances())
    def collect(data: dict[str, Any]) -> None:
        seen.append(expected(data)[0])

    collect()
    valid = seen.count("ok") / len(seen)
    assert 0.6 <= valid <= 0.9, f"{valid:.0%} of generated balances are valid"


PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.lists(balances(), max_size=5))
def test_from_dicts_matches_the_spec(items: list[dict[str, Any]]) -> None:
    wanted = [expected(item) for item in items]
    errors = [w for w in wanted if w[0] == "error"]
    event("a list with an invalid object" if errors else "a valid list")
    if errors:
        with pytest.raises(InvalidResponseError) as caught:
            Balance.from_dicts(items)
        assert str(caught.value) == errors[0][1]
        return
    parsed = Balance.from_dicts(items)
    assert len(parsed) == len(items)
    for balance, want in zip(parsed, wanted, strict=True):
        assert same(outcome_of(balance), want), (balance, want)


@PROPERTY
@given(balances())
def test_from_dict_matches_the_spec(item: dict[str, Any]) -> None:
    want = expected(item)
    try:
        got = outcome_of(Balance.from_dict(item))
    except InvalidResponseError as error:
        got = ("error", str(error))
    assert same(got, want)


def _fits_the_fast_path(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and KNOWN - {"crossMarginAsset"} <= set(data) <= KNOWN
        and type(data["updateTime"]) is int
        and expected(data)[0] == "ok"
        # amounts longer than the fast path's row limit take the checked path (same result, slower)
        and all(len(value) <= FAST_AMOUNT_LIMIT for key, value in data.items() if key in AMOUNTS)
    )


@PROPERTY
@given(st.lists(balances(), max_size=4), st.booleans())
def test_decode_fast_matches_the_spec_or_declines(items: list[dict[str, Any]], as_object: bool) -> None:
    data: Any = items[0] if as_object and items else items
    objects = [data] if isinstance(data, dict) else data
    fast = Balance.decode_fast(json.dumps(data).encode())
    if not all(map(_fits_the_fast_path, objects)):
        assert fast is None
        return
    event("decode_fast answered")
    assert fast is not None, "decode_fast declined a well-formed body"
    parsed = [fast] if isinstance(fast, Balance) else fast
    assert isinstance(fast, Balance) is isinstance(data, dict)
    assert all(same(outcome_of(b), expected(o)) for b, o in zip(parsed, objects, strict=True))


def client_returning(body: bytes) -> Any:
    return signed_client(
        "A" * 64,
        "S" * 64,
        base_url="http://sim.invalid",
        retry=RetryPolicy.disabled(),
        httpx_args={"transport": httpx.MockTransport(lambda _: httpx.Response(200, content=body))},
        governor=None,
    )


@settings(max_examples=100, deadline=None)
@given(st.lists(balances(), min_size=1, max_size=3), st.booleans())
def test_the_client_returns_what_the_spec_says(items: list[dict[str, Any]], one_asset: bool) -> None:
    data: Any = items[0] if one_asset else items
    body = json.dumps(data).encode()
    client = client_returning(body)
    seen = json.loads(body, parse_float=Decimal)  # the client reads a JSON fraction as a Decimal
    wanted = [expected(item) for item in ([seen] if one_asset else seen)]
    errors = [w for w in wanted if w[0] == "error"]
    if errors:
        with pytest.raises(InvalidResponseError) as caught:
            get_balance.sync(client=client, asset="USDT") if one_asset else get_balance.sync(client=client)
        assert caught.value.message == f"GET /papi/v1/balance: {errors[0][1]}"
        assert (caught.value.status_code, caught.value.content) == (200, _blanked(body.decode()).encode())
        return
    result = get_balance.sync(client=client, asset="USDT") if one_asset else get_balance.sync(client=client)
    parsed = [result] if isinstance(result, Balance) else result
    assert isinstance(result, Balance) is one_asset
    assert all(same(outcome_of(b), w) for b, w in zip(parsed, wanted, strict=True))


# --- the cases the mutants showed nothing pinned ------------------------------------------------------------------

# The docs' example with a non-empty cmUnrealizedPNL: a "" there would hide a parser that always gives None.
DOC_ITEM = {**MODEL_DOC_ITEM, "cmUnrealizedPNL": "-1.5"}


def test_an_unknown_field_does_not_change_the_known_ones() -> None:
    """With a field the spec lacks, every body goes through from_dicts: each amount still parses exactly."""
    for body in ([{**DOC_ITEM, "newField": "1"}], {**DOC_ITEM, "newField": "1"}):
        client = client_returning(json.dumps(body).encode())
        # One asset is asked for to get one object; without, an array (another shape is refused).
        if isinstance(body, list):
            result: Any = get_balance.sync(client=client)
        else:
            result = get_balance.sync(client=client, asset="USDT")
        balance = result[0] if isinstance(result, list) else result
        assert balance.cm_unrealized_pnl == Decimal("-1.5")
        assert balance.um_unrealized_pnl == Decimal("23.72469206")
        assert balance.cross_margin_asset == Decimal("92.27530794")
        assert balance.additional_properties == {"newField": "1"}
        assert balance.to_dict() == {**DOC_ITEM, "newField": "1"}


@pytest.mark.parametrize("field", ["negativeBalance", "crossMarginAsset", "totalWalletBalance", "cmWalletBalance"])
def test_empty_string_is_refused_where_the_spec_has_no_empty_value(field: str) -> None:
    for parse in (Balance.from_dict, lambda d: Balance.from_dicts([d, {**d, "x": 1}])):
        with pytest.raises(InvalidResponseError, match=rf"^Balance\.{field}: expected a decimal number in a JSON "):
            parse({**DOC_ITEM, field: ""})
    assert Balance.decode_fast(json.dumps({**DOC_ITEM, field: ""}).encode()) is None


@pytest.mark.parametrize("value", ["--5", "-", "+5", "5-", "\u0663", "1e3", "", " 5"])
def test_a_malformed_numeric_string_is_an_invalid_response_not_a_bare_value_error(value: str) -> None:
    body = json.dumps([{**DOC_ITEM, "updateTime": value}]).encode()
    with pytest.raises(InvalidResponseError, match=r"Balance\.updateTime: expected an integer, or a string of digits"):
        get_balance.sync(client=client_returning(body))


def test_a_json_number_for_an_amount_is_named_as_one() -> None:
    # The amount arrived as a JSON number, not a string: the message shows it as sent, not as a float.
    body = b'[{"asset": "USDT", "totalWalletBalance": 0.10000000000000001}]'
    with pytest.raises(InvalidResponseError) as caught:
        get_balance.sync(client=client_returning(body))
    assert caught.value.message.endswith(
        ": expected a decimal number in a JSON string, got 0.10000000000000001 (a JSON number)"
    )


def test_numeric_strings_parse_where_the_spec_allows_them() -> None:
    assert Balance.from_dict({**DOC_ITEM, "updateTime": "-12"}).update_time == -12
    assert Balance.from_dicts([{**DOC_ITEM, "updateTime": "007"}])[0].update_time == 7


@pytest.mark.parametrize("code", [True, False, 1.0, "-1022", None])
def test_an_integer_field_wants_a_json_integer(code: object) -> None:
    with pytest.raises(InvalidResponseError, match=r"Error\.code: expected an integer"):
        parse_int(code, "Error.code")


def test_any_mapping_is_accepted_and_anything_else_named() -> None:
    balance = Balance.from_dicts([types.MappingProxyType(DOC_ITEM)])[0]
    assert balance.to_dict() == DOC_ITEM
    with pytest.raises(InvalidResponseError, match=r"^Balance: expected a JSON object, got list: \"\['USDT'\]\"$"):
        Balance.from_dicts([["USDT"]])


def test_additional_properties_read_like_a_mapping() -> None:
    balance = Balance.from_dict({**DOC_ITEM, "newField": "1"})
    assert "newField" in balance
    assert "asset" not in balance
    balance["other"] = 2
    assert balance.additional_keys == ["newField", "other"]
    del balance["newField"]
    assert balance.to_dict() == {**DOC_ITEM, "other": 2}


def test_a_fast_decoder_takes_exactly_its_fields() -> None:
    """What every model's `decode_fast` is built on: JSON names to attributes, types checked, unknowns refused."""
    decoder = FastDecoder("Row", [("name", "jsonName", str, True), ("count", "n", int, False)])
    many, rows = decoder.decode(b'[{"jsonName": "a", "n": 2}, {"jsonName": "b"}]') or (None, [])
    assert many is True
    assert [(row.name, row.count) for row in rows] == [("a", 2), ("b", UNSET)]
    assert type(rows[0]).__name__ == "Row"
    many, rows = decoder.decode(b'{"jsonName": "c"}') or (None, [])
    assert many is False
    assert [row.name for row in rows] == ["c"]
    for declined in (b'{"jsonName": "a", "other": 1}', b'{"n": 1}', b'{"jsonName": 1}', b'{"jsonName": "a", "n": "2"}'):
        assert decoder.decode(declined) is None, declined
    assert decoder.decode(b"[" * 3000 + b"]" * 3000) is None
    assert decoder.decode(b"not json") is None


@pytest.mark.parametrize("field", [name for name, _, _ in FIELDS if name != "crossMarginAsset"])
def test_a_missing_field_is_named(field: str) -> None:
    data = {k: v for k, v in DOC_ITEM.items() if k != field}
    for parse in (Balance.from_dict, lambda d: Balance.from_dicts([d])[0]):
        with pytest.raises(InvalidResponseError, match=rf"^Balance\.{field}: required field is missing$"):
            parse(data)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("a b " * 14 + "ab", "'" + "a b " * 14 + "ab' (str)"),  # a repr of 60 characters is shown whole
        ("a b " * 14 + "abc", "'" + "a b " * 14 + "... (str)"),  # longer ones are cut to 57 and "..."
        (list(range(30)), str(list(range(30)))[:57] + "... (list)"),
        # 40 or more characters of a key's alphabet could be a key or secret echoed by a server: blanked
        ("a" * 58, "'<redacted>' (str)"),
        ("a" * 59, "'<redacted>... (str)"),
    ],
)
def test_a_long_wrong_value_is_shown_cut(value: object, shown: str) -> None:
    with pytest.raises(InvalidResponseError) as caught:
        Balance.from_dict({**DOC_ITEM, "totalWalletBalance": value})
    assert str(caught.value) == f"Balance.totalWalletBalance: expected a decimal number in a JSON string, got {shown}"


def test_a_long_non_object_is_shown_cut() -> None:
    item = list(range(40))
    with pytest.raises(InvalidResponseError) as caught:
        Balance.from_dicts([item])
    assert str(caught.value) == f"Balance: expected a JSON object, got list: {str(item)[:60]!r}"


def test_empty_amounts_round_trip() -> None:
    data = {**DOC_ITEM, "umUnrealizedPNL": "", "cmUnrealizedPNL": ""}
    balance = Balance.from_dict(data)
    assert (balance.um_unrealized_pnl, balance.cm_unrealized_pnl) == (None, None)
    assert balance.to_dict() == data


def test_the_json_type_parsers() -> None:
    assert parse_int(-3, "f") == -3
    assert [parse_bool(value, "f") for value in (False, True)] == [False, True]
    for value, parse, expected_text in ((True, parse_int, "an integer"), (1, parse_bool, "a boolean")):
        with pytest.raises(InvalidResponseError, match=rf"^f: expected {expected_text}, got {value!r}"):
            parse(value, "f")
    with pytest.raises(InvalidResponseError, match=r"^f: required field is missing$"):
        parse_bool(UNSET, "f")
    assert not UNSET


def test_a_numeric_int_is_64_bit_and_at_most_20_characters() -> None:
    """updateTime and the like: a JSON integer or a string of digits, within 64 bits, the string bounded."""
    for edge in (-(2**63), 2**63 - 1):
        assert parse_numeric_int(edge, "f") == edge
        assert parse_numeric_int(str(edge), "f") == edge  # 20 characters with the sign
    assert parse_numeric_int("0" * 19 + "7", "f") == 7
    for wrong in (-(2**63) - 1, 2**63, "-0" + "0" * 18 + "1", "0" * 20 + "7", "\uff11", True, 1.0):
        with pytest.raises(InvalidResponseError, match=r"^f: expected an integer, or a string of digits, got "):
            parse_numeric_int(wrong, "f")


@pytest.mark.parametrize(("field", "kind"), [(name, kind) for name, _, kind in FIELDS])
def test_a_wrong_value_is_named_with_its_field(field: str, kind: str) -> None:
    wrong = 1.5 if kind != "str" else 5
    for parse in (Balance.from_dict, lambda d: Balance.from_dicts([d])[0]):
        with pytest.raises(InvalidResponseError) as caught:
            parse({**DOC_ITEM, field: wrong})
        assert str(caught.value) == f"Balance.{field}: expected {EXPECTED_TEXT[kind]}, got {_shown(wrong)}"


def from_dicts_watching_the_checked_path(items: list[dict[str, Any]]) -> tuple[list[Balance], list[object]]:
    """`Balance.from_dicts(items)`, and the objects it sent down the checked, field-by-field path."""
    checked: list[object] = []
    original = Balance.from_dict_checked

    def spy(src: Any) -> Balance:
        checked.append(src)
        return original(src)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Balance, "from_dict_checked", spy)
        parsed = Balance.from_dicts(items)
    return parsed, checked


@PROPERTY
@given(st.lists(valid_balances() | valid_balances().map(lambda d: {**d, "newField": 1}), max_size=4))
def test_well_formed_objects_never_take_the_checked_path(items: list[dict[str, Any]]) -> None:
    """The inlined fast path of `from_dicts` (README, Performance) handles every object of documented JSON
    types, unknown fields included; only the unusual go field by field. Numeric-string updateTime excepted."""
    items = [item for item in items if type(item["updateTime"]) is int]
    parsed, checked = from_dicts_watching_the_checked_path(items)
    assert checked == []
    assert all(same(outcome_of(b), expected(i)) for b, i in zip(parsed, items, strict=True))


# --- the field parsers of the other models, one by one: what each accepts, gives back, and how it refuses ---------


class Side(Enum):
    BUY = "BUY"
    SELL = "SELL"


PARSERS: dict[str, tuple[Callable[[object, str], object], list[tuple[object, object]], list[tuple[object, str]]]] = {
    "number": (
        parse_number_decimal,
        [(7, Decimal(7)), (Decimal("1.50"), Decimal("1.50"))],
        [("1.5", "a JSON number (decoded exactly, as int or Decimal)"), (1.5, "a JSON number (decoded exactly")],
    ),
    "flex": (
        parse_flex_decimal,
        [("0.10", Decimal("0.10")), (3, Decimal(3)), (Decimal("2.5"), Decimal("2.5"))],
        [("NaN", "a decimal number in a JSON string, or a JSON number"), (True, "a decimal number")],
    ),
    "optional str": (
        parse_optional_str,
        [("BTCUSDT", "BTCUSDT"), ("", None)],
        [(0, 'a string, or ""'), (None, 'a string, or ""')],
    ),
    "id": (parse_id_str, [("0042", "0042"), (42, "42")], [(4.2, "a string, or an integer")]),
    "bool string": (
        parse_bool_string,
        [("true", True), ("false", False), (True, True), (False, False)],
        [("True", '"true" or "false"'), (1, '"true" or "false"'), (0, '"true" or "false"'), ("", '"true"')],
    ),
    "open enum": (
        lambda value, field: parse_open_enum(open_enum_members(Side), value, field),
        [("BUY", Side.BUY), ("SELL", Side.SELL), ("HOLD", "HOLD")],
        [(1, "a string")],
    ),
    "enum": (
        lambda value, field: parse_enum(Side, value, field),
        [("BUY", Side.BUY)],
        [("HOLD", "one of ['BUY', 'SELL']"), (None, "one of ['BUY', 'SELL']")],
    ),
}


@pytest.mark.parametrize("kind", list(PARSERS))
def test_each_field_parser_gives_the_documented_value_or_names_the_field_and_value(kind: str) -> None:
    parse, accepted, refused = PARSERS[kind]
    for value, result in accepted:
        parsed = parse(value, "M.f")
        assert (parsed, type(parsed)) == (result, type(result))
        if isinstance(result, Decimal):
            assert parsed.as_tuple() == result.as_tuple()  # type: ignore[attr-defined]
    for value, expected_text in refused:
        with pytest.raises(InvalidResponseError) as caught:
            parse(value, "M.f")
        shown = f"{value!r} ({type(value).__name__})"
        assert caught.value.message.startswith(f"M.f: expected {expected_text}")
        assert caught.value.message.endswith(f", got {shown}")
    with pytest.raises(InvalidResponseError, match=r"^M\.f: required field is missing$"):
        parse(UNSET, "M.f")


class _Inner:
    """A nested model whose errors start with its own name (as the generated ones) or not."""

    @classmethod
    def from_dict(cls, src: Mapping[str, Any], /) -> _Inner:
        if "price" in src:
            raise InvalidResponseError("_Inner.price: expected a decimal number in a JSON string, got 1 (int)")
        if "whole" in src:
            raise InvalidResponseError("_Inner: refused as a whole")
        if "other" in src:
            raise InvalidResponseError("something else is wrong")
        return cls()

    @classmethod
    def from_dicts(cls, items: list[Any], /) -> list[_Inner]:
        return [cls.from_dict(item) for item in items]


def test_a_nested_error_names_the_path_from_the_outer_model() -> None:
    assert isinstance(parse_model(_Inner, {}, "Outer.inner"), _Inner)
    cases = [
        ({"price": 1}, "Outer.inner.price: expected a decimal number in a JSON string, got 1 (int)"),
        ({"whole": 1}, "Outer.inner: refused as a whole"),
        ({"other": 1}, "Outer.inner: something else is wrong"),
        (["x"], "Outer.inner: expected a JSON object (_Inner), got ['x'] (list)"),
    ]
    for value, message in cases:
        with pytest.raises(InvalidResponseError) as caught:
            parse_model(_Inner, value, "Outer.inner")
        assert caught.value.message == message
    with pytest.raises(InvalidResponseError) as caught:
        parse_model_list(_Inner, [{}, {}, {"price": 1}], "Outer.items")
    assert caught.value.message == "Outer.items[2].price: expected a decimal number in a JSON string, got 1 (int)"
    with pytest.raises(InvalidResponseError) as caught:
        parse_model_list(_Inner, {"price": 1}, "Outer.items")
    assert caught.value.message == "Outer.items: expected a JSON array of _Inner, got {'price': 1} (dict)"


def test_a_fresh_fast_decoder_reads_every_field_kind_and_nested_rows() -> None:
    # Fresh decoders: the models' own are built once per process, so this pins how rows are made.
    inner = FastDecoder(
        "Inner", [("price", "p", "number", True), ("flag", "f", "bool-string", True), ("ident", "i", "id", True)]
    )
    outer = FastDecoder(
        "Outer",
        [
            ("one", "one", NestedRows(lambda: inner, many=False), True),
            ("many", "many", NestedRows(lambda: inner, many=True), False),
        ],
    )
    decoded = outer.decode(b'{"one": {"p": 1.50, "f": "true", "i": 7}, "many": [{"p": 2, "f": "false", "i": "x"}]}')
    assert decoded is not None
    is_array, (row,) = decoded
    assert not is_array
    assert (row.one.price, type(row.one.price), row.one.flag, row.one.ident) == (Decimal("1.50"), Decimal, "true", 7)
    assert [(r.price, r.flag, r.ident) for r in row.many] == [(2, "false", "x")]
    # A "number" row field takes any JSON value: the model checks it, so the wrong type is named, not declined.
    assert outer.decode(b'{"one": {"p": 1, "f": "true", "i": 7}}') is not None  # "many" is optional
    for refused in (
        b'{"one": {"p": 1, "f": "TRUE", "i": 7}}',  # only "true" and "false"
        b'{"one": {"p": 1, "f": true, "i": 7}}',  # a JSON boolean takes the checked path
        b'{"one": {"p": 1, "f": "true", "i": 1.5}}',  # an id is a string or an integer
        b'{"one": [{"p": 1, "f": "true", "i": 7}]}',  # one object, not an array
        b'{"one": {"p": 1, "f": "true", "i": 7}, "many": {"p": 1, "f": "true", "i": 7}}',  # an array
    ):
        assert outer.decode(refused) is None, refused
    no_fast_path = FastDecoder("Outer", [("one", "one", NestedRows(lambda: None, many=False), True)])
    assert no_fast_path.decode(b'{"one": {}}') is None
    assert no_fast_path.decode(b'{"one": {}}') is None  # declines again, without rebuilding


# --- strict values (README, "Strict values"): 64-bit integers, bounded JSON numbers, the shape asked for ----------


@pytest.mark.parametrize("parse", [parse_int, parse_number_decimal, parse_flex_decimal], ids=["int", "number", "flex"])
def test_integers_are_taken_exactly_in_the_64_bit_range(parse: Callable[[object, str], object]) -> None:
    for value in (-(2**63), 2**63 - 1):
        assert parse(value, "M.f") == value
    for value in (-(2**63) - 1, 2**63):
        with pytest.raises(InvalidResponseError, match=rf"^M\.f: expected .*, got {value} \(int\)$"):
            parse(value, "M.f")


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ("1" + "0" * 99, True),  # 100 characters
        ("1." + "0" * 98, True),
        ("1." + "0" * 99, False),  # 101 characters
        ("1e100", True),
        ("1e101", False),
        ("-1e100", True),
        ("1e-100", True),
        ("1e-101", False),
        ("0.1e-99", True),  # adjusted exponent -100
        ("0.1e-100", False),
        ("0." + "0" * 97 + "1", True),  # exponent -99 ... -100 digits after the point at most
        ("12.5e-99", True),  # exponent -100
        ("12.5e-100", False),  # exponent -101 though the adjusted one is -99
    ],
)
def test_a_json_number_is_bounded_in_length_and_exponent(text: str, accepted: bool) -> None:
    from binance_papi._parsing import decode_json

    body = f'{{"n": {text}}}'.encode()
    if accepted:
        assert decode_json(body) == {"n": Decimal(text)}
    else:
        with pytest.raises(ValueError, match=r"^a JSON number (of \d+ characters|out of range: )"):
            decode_json(body)


def test_a_json_number_is_named_in_the_refusal() -> None:
    from binance_papi._parsing import decode_json

    with pytest.raises(ValueError, match=r"^a JSON number of 101 characters$"):
        decode_json(b"1." + b"0" * 99)
    with pytest.raises(ValueError, match=r"^a JSON number out of range: 1e101$"):
        decode_json(b"1e101")
    long = "1." + "2" * 60 + "e200"
    with pytest.raises(ValueError) as caught:
        decode_json(long.encode())
    assert str(caught.value) == f"a JSON number out of range: {long[:40]}"


@pytest.mark.parametrize("asked_one", [True, False], ids=["one asked, array answered", "array asked, one answered"])
def test_the_answer_must_have_the_shape_asked_for(asked_one: bool) -> None:
    body = json.dumps([DOC_ITEM] if asked_one else DOC_ITEM).encode()
    client = client_returning(body)
    with pytest.raises(InvalidResponseError) as caught:
        get_balance.sync(client=client, asset="USDT") if asked_one else get_balance.sync(client=client)
    wanted, got = ("one object", "an array") if asked_one else ("an array", "one object")
    error = caught.value
    assert error.message == f"GET /papi/v1/balance: the request asked for {wanted}, the answer is {got}"
    assert (error.status_code, error.content) == (200, body)


def test_update_times_at_the_64_bit_bounds_take_the_fast_path() -> None:
    items = [{**DOC_ITEM, "updateTime": 2**63 - 1}, {**DOC_ITEM, "updateTime": -(2**63)}]
    parsed, checked = from_dicts_watching_the_checked_path(items)
    assert checked == []
    assert [b.update_time for b in parsed] == [2**63 - 1, -(2**63)]
