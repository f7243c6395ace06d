"""The generated models: exact decimals, "" as None, strict types with clear errors, exact round trips."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from binance_papi import InvalidResponseError, RetryPolicy, signed_client
from binance_papi._parsing import parse_int
from binance_papi_generated.api.account import get_balance
from binance_papi_generated.models import Balance
from binance_papi_generated.types import UNSET

DOC_ITEM: dict[str, Any] = {
    "asset": "USDT",
    "totalWalletBalance": "122607.35137903",
    "crossMarginAsset": "92.27530794",
    "crossMarginBorrowed": "10.00000000",
    "crossMarginFree": "100.00000000",
    "crossMarginInterest": "0.72469206",
    "crossMarginLocked": "3.00000000",
    "umWalletBalance": "0.00000000",
    "umUnrealizedPNL": "23.72469206",
    "cmWalletBalance": "23.72469206",
    "cmUnrealizedPNL": "",
    "updateTime": 1617939110373,
    "negativeBalance": "0",
}


def item(**changes: Any) -> dict[str, Any]:
    result = copy.deepcopy(DOC_ITEM)
    result.update(changes)
    return result


def test_amounts_are_exact_decimals() -> None:
    balance = Balance.from_dict(item())
    assert balance.total_wallet_balance == Decimal("122607.35137903")
    assert type(balance.total_wallet_balance) is Decimal
    assert balance.cross_margin_asset == Decimal("92.27530794")
    assert balance.um_wallet_balance == Decimal("0.00000000")
    assert str(balance.cross_margin_borrowed) == "10.00000000"  # exponent kept: no float on the path
    assert balance.negative_balance == 0
    assert balance.update_time == 1617939110373


def test_digits_beyond_float_precision_survive() -> None:
    balance = Balance.from_dict(item(totalWalletBalance="12345678901234567890.123456789012345678"))
    assert balance.total_wallet_balance == Decimal("12345678901234567890.123456789012345678")
    assert balance.to_dict()["totalWalletBalance"] == "12345678901234567890.123456789012345678"


def test_empty_string_is_none_where_the_spec_allows_it() -> None:
    balance = Balance.from_dict(item(umUnrealizedPNL=""))
    assert balance.cm_unrealized_pnl is None
    assert balance.um_unrealized_pnl is None
    assert balance.to_dict()["cmUnrealizedPNL"] == ""


def test_empty_string_is_an_error_where_the_spec_does_not_allow_it() -> None:
    with pytest.raises(InvalidResponseError, match=r"Balance\.totalWalletBalance: expected a decimal .* got ''"):
        Balance.from_dict(item(totalWalletBalance=""))


def test_update_time_accepts_a_numeric_string() -> None:
    assert Balance.from_dict(item(updateTime="0")).update_time == 0
    assert Balance.from_dict(item(updateTime="1617939110373")).update_time == 1617939110373


def test_optional_cross_margin_asset_may_be_absent() -> None:
    data = item()
    del data["crossMarginAsset"]
    balance = Balance.from_dict(data)
    assert balance.cross_margin_asset is UNSET
    assert "crossMarginAsset" not in balance.to_dict()


def test_unknown_fields_are_kept() -> None:
    balance = Balance.from_dict(item(newField="1.5", nested={"a": 1}))
    assert balance.additional_properties == {"newField": "1.5", "nested": {"a": 1}}
    assert balance["newField"] == "1.5"
    assert balance.to_dict()["nested"] == {"a": 1}


@pytest.mark.parametrize(
    "data",
    [
        item(),
        item(totalWalletBalance="0.0", umWalletBalance="-0.00000001", crossMarginFree="100"),
        {k: v for k, v in item().items() if k != "crossMarginAsset"},
    ],
)
def test_to_dict_reproduces_the_received_strings(data: dict[str, Any]) -> None:
    assert Balance.from_dict(data).to_dict() == data


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("totalWalletBalance", 1.5, "1.5 (float)"),
        ("totalWalletBalance", 100, "100 (int)"),
        ("crossMarginFree", "abc", "'abc' (str)"),
        ("crossMarginFree", "NaN", "'NaN' (str)"),
        ("crossMarginFree", "Infinity", "'Infinity' (str)"),
        ("cmUnrealizedPNL", None, "None (NoneType)"),
        ("negativeBalance", ["0"], "['0'] (list)"),
        ("updateTime", 1.5, "1.5 (float)"),
        ("updateTime", True, "True (bool)"),
        ("updateTime", "12x", "'12x' (str)"),
        ("asset", 5, "5 (int)"),
    ],
)
def test_wrong_type_names_the_field_and_the_value(field: str, value: object, shown: str) -> None:
    with pytest.raises(InvalidResponseError) as caught:
        Balance.from_dict(item(**{field: value}))
    assert f"Balance.{field}" in str(caught.value)
    assert shown in str(caught.value)


def test_missing_required_field_is_named() -> None:
    data = item()
    del data["umWalletBalance"]
    with pytest.raises(InvalidResponseError, match=r"Balance\.umWalletBalance: required field is missing"):
        Balance.from_dict(data)


def test_not_an_object_is_a_clear_error() -> None:
    with pytest.raises(InvalidResponseError, match="Balance: expected a JSON object, got int"):
        Balance.from_dict(5)  # type: ignore[arg-type]


def test_invalid_response_error_is_a_value_error() -> None:
    # Callers that already catch ValueError around parsing keep working.
    with pytest.raises(ValueError, match="Balance"):
        Balance.from_dict(item(totalWalletBalance=1.0))


def test_numeric_strings_are_only_accepted_where_the_spec_says_so() -> None:
    # updateTime is x-numeric-string in the spec; a plain integer field (parse_int) is not.
    assert Balance.from_dict(item(updateTime="1617939110373")).update_time == 1617939110373
    assert parse_int(-1022, "Error.code") == -1022
    with pytest.raises(InvalidResponseError, match=r"Error\.code: expected an integer, got '-1022' \(str\)"):
        parse_int("-1022", "Error.code")


# The properties (every parsing path against an independent reading of the spec) are in test_parsing.py.


def test_decode_fast_declines_what_only_the_checked_path_can_say() -> None:
    good = [item(asset=f"A{i}") for i in range(200)]
    assert Balance.decode_fast(json.dumps(good).encode()) == Balance.from_dicts(good)
    for bad in (
        [*good, item(newField="1")],  # unknown fields are kept by the checked path only
        [*good, item(updateTime="0")],  # a numeric string where the spec says integer
        [*good, item(crossMarginFree=1.5)],
        [*good, item(negativeBalance="NaN")],
        [*good, item(cmWalletBalance="")],  # "" only where x-empty-is-none
        [*good[:199], item(umWalletBalance="-Infinity")],
        {"foo": 1},
    ):
        assert Balance.decode_fast(json.dumps(bad).encode()) is None, bad
    assert Balance.decode_fast(b"[1,") is None
    assert Balance.decode_fast(b"[]") == []


def test_from_dicts_wants_a_list() -> None:
    with pytest.raises(InvalidResponseError) as caught:
        Balance.from_dicts(item())  # type: ignore[arg-type]
    assert str(caught.value) == f"expected a JSON array of Balance, got dict: {str(item())[:60]!r}"


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 5000 + b"]" * 5000,
        json.dumps([item()]).encode()[:-2] + b',"x":' + b"[" * 5000 + b"]" * 5000 + b"}]",
    ],
)
def test_deeply_nested_bodies_are_invalid_responses_not_recursion_errors(body: bytes) -> None:
    transport = httpx.MockTransport(lambda _: httpx.Response(200, content=body))
    client = signed_client(
        "k" * 64,
        "s" * 64,
        base_url="http://127.0.0.1:9",
        httpx_args={"transport": transport},
        retry=RetryPolicy.disabled(),
    )
    with pytest.raises(InvalidResponseError, match=r"the body is not valid JSON \(JSON nested too deeply\)"):
        get_balance.sync(client=client)


# The whole-body fast path checks a body's amounts at once (`_parsing.plain_amounts`): it must take every amount
# the checked path takes (up to its 40-character row limit) and decline every other, with equal results.
_amount_texts = st.one_of(
    st.text(alphabet="0123456789.-+eE _,\t\n\r\x0b\u00a0\u0661]x", max_size=44),
    st.decimals(allow_nan=False, allow_infinity=False).map(lambda d: format(d, "f")),
    st.tuples(st.integers(-(10**45), 10**45), st.integers(0, 45)).map(
        lambda t: format(Decimal(t[0]).scaleb(-t[1]), "f")
    ),
    st.sampled_from(["", "0", "-0", "00", "01.5", ".5", "5.", "-.5", "1e5", "1E-8", "NaN", "-Infinity", "1,2"]),
)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["totalWalletBalance", "umUnrealizedPNL", "crossMarginAsset"]), _amount_texts)
def test_the_whole_body_fast_path_takes_exactly_the_plain_amounts(field: str, amount: str) -> None:
    data = item(**{field: amount})
    fast = Balance.decode_fast(json.dumps([data]).encode())
    try:
        checked = Balance.from_dict_checked(data)
    except InvalidResponseError:
        assert fast is None
        return
    if len(amount) <= 40:
        assert fast == [checked]
    else:
        assert fast is None  # a long amount (up to 40 digits each side) takes the checked path


@pytest.mark.parametrize("amount", ["1\n", "\n1", "1\r", "\r1", "1\t", " 1", "1 "])
@pytest.mark.parametrize("field", ["totalWalletBalance", "cmUnrealizedPNL", "crossMarginAsset"])
def test_whitespace_around_an_amount_is_refused_on_every_path(field: str, amount: str) -> None:
    """`Decimal()` strips whitespace; Binance never sends it: both paths refuse it (README, "exact amounts")."""
    data = item(**{field: amount})
    assert Decimal(amount) == 1  # what a lenient parser would make of it
    assert Balance.decode_fast(json.dumps([data]).encode()) is None  # the fast path declines ...
    with pytest.raises(InvalidResponseError, match=rf"^Balance\.{field}: "):  # ... and the checked path refuses
        Balance.from_dicts([data])


@pytest.mark.parametrize("amount", ["1E+2", "1e5", "NaN", "Infinity", "0x10", "1_000"])
def test_a_cross_margin_asset_that_is_no_plain_decimal_is_refused(amount: str) -> None:
    """The optional field is checked like the others when present, on the inlined `from_dicts` route too."""
    with pytest.raises(InvalidResponseError, match=r"^Balance\.crossMarginAsset: "):
        Balance.from_dicts([item(crossMarginAsset=amount)])
    with pytest.raises(InvalidResponseError, match=r"^Balance\.crossMarginAsset: "):
        Balance.from_dict(item(crossMarginAsset=amount))
