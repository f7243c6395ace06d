"""The Account family's models, driven by the spec: every example body parses to the documented types (through
the endpoint's fast path and through the checked path, equal), round-trips exactly through `to_dict`, and
every vendor extension behaves as the spec's header says. Errors name the path to the wrong field."""

from __future__ import annotations

import importlib
import json
import re
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from binance_papi import InvalidResponseError
from binance_papi._parsing import decode_json, encode_json
from binance_papi_generated import models
from binance_papi_generated.models import (
    AccountStatus,
    MarginMaxBorrowable,
    UmAccount,
    UmApiTradingStatus,
    UmBracket,
    UmIncome,
    UmPositionRisk,
    UmSymbolConfig,
)
from binance_papi_generated.types import UNSET

SPEC: dict[str, Any] = yaml.safe_load((Path(__file__).parent.parent / "openapi" / "papi.yaml").read_text())
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]


def _module_name(operation_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()


def _examples() -> list[Any]:
    cases = []
    for path, item in SPEC["paths"].items():
        operation = item["get"]
        content = operation["responses"]["200"]["content"]["application/json"]
        bodies = [content["example"]] if "example" in content else [e["value"] for e in content["examples"].values()]
        for index, body in enumerate(bodies):
            schema = content["schema"]
            cases.append(pytest.param(path, operation["operationId"], schema, body, id=f"{path}#{index}"))
    return cases


def _schema_for(schema: dict[str, Any], body: object) -> dict[str, Any]:
    """The branch of a oneOf that the body's JSON shape takes, with $refs resolved."""
    if "oneOf" in schema:
        return next(
            _schema_for(s, body) for s in schema["oneOf"] if (s.get("type") == "array") == isinstance(body, list)
        )
    if "$ref" in schema:
        resolved: dict[str, Any] = SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
        return resolved
    return schema


def _attribute(model: object, json_name: str) -> object:
    """The attribute for a JSON name: the generated name is its snake_case (`type` -> `type_`)."""
    for field in attrs.fields(type(model)):  # type: ignore[arg-type]
        if field.name.replace("_", "") == json_name.lower():
            return getattr(model, field.name)
    raise AssertionError(f"{type(model).__name__} has no attribute for {json_name}")


def _check_types(schema: dict[str, Any], value: object, raw: object, where: str) -> None:  # noqa: C901, PLR0912
    """The parsed value has the type the spec documents for the raw JSON value."""
    schema = _schema_for(schema, raw)
    if schema.get("type") == "array":
        assert isinstance(value, list), where
        assert isinstance(raw, list)
        for index, (item, raw_item) in enumerate(zip(value, raw, strict=True)):
            _check_types(schema["items"], item, raw_item, f"{where}[{index}]")
    elif schema.get("type") == "object" and "properties" not in schema:  # a map (#18)
        assert isinstance(raw, dict)
        for key, raw_item in raw.items():
            _check_types(schema["additionalProperties"], value[key], raw_item, f"{where}.{key}")  # type: ignore[index]
    elif schema.get("type") == "object":
        assert isinstance(raw, dict)
        assert type(value).__name__ != "dict", where
        for name, raw_item in raw.items():
            _check_types(schema["properties"][name], _attribute(value, name), raw_item, f"{where}.{name}")
    elif "enum" in schema and not schema.get("x-bool-string"):
        assert isinstance(value, Enum), where
        assert value.value == raw, where
    elif schema.get("x-bool-string") or schema.get("type") == "boolean":
        assert type(value) is bool, where
        assert value == (raw in (True, "true")), where
    elif schema.get("format") == "decimal":
        if raw == "" and schema.get("x-empty-is-none"):
            assert value is None, where
        else:
            assert type(value) is Decimal, where
            assert value == Decimal(str(raw)), where
    elif schema.get("type") == "integer":
        assert type(value) is int, where
        assert value == raw, where
    else:
        assert schema.get("type") == "string", where
        assert value == (None if raw == "" and schema.get("x-empty-is-none") else raw), where


def _comparable(value: object) -> object:
    """JSON values compared exactly: numbers by their JSON text (5000 and Decimal('5000') are the same)."""
    if isinstance(value, dict):
        return {key: _comparable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    if type(value) in (int, Decimal):
        return ("number", encode_json(value))
    return value


def _parse(path: str, operation_id: str, body: bytes) -> object:
    module = importlib.import_module(f"binance_papi_generated.api.account.{_module_name(operation_id)}")
    request = httpx.Request("GET", f"https://papi.binance.com{path}")
    return module._parse_response(client=None, response=httpx.Response(200, content=body, request=request))


@pytest.mark.parametrize(("path", "operation_id", "schema", "example"), _examples())
def test_every_example_parses_to_the_documented_types_and_round_trips(
    path: str, operation_id: str, schema: dict[str, Any], example: object
) -> None:
    body = json.dumps(example).encode()
    parsed = _parse(path, operation_id, body)
    _check_types(schema, parsed, example, operation_id)

    # the checked path gives the same models as the endpoint (which tries decode_fast first)
    model_schema = _schema_for(schema, example)
    name = (model_schema.get("items", {}).get("$ref") or schema.get("$ref") or "").rsplit("/", 1)[-1]
    if not name:  # a oneOf: the branch's model
        name = next(s["$ref"] for s in schema["oneOf"] if "$ref" in s).rsplit("/", 1)[-1]
    model = getattr(models, name)
    decoded = decode_json(body)
    checked = model.from_dicts(decoded) if isinstance(decoded, list) else model.from_dict(decoded)
    assert checked == parsed

    # to_dict gives back exactly the JSON received
    back = [item.to_dict() for item in parsed] if isinstance(parsed, list) else parsed.to_dict()  # type: ignore[attr-defined]
    assert _comparable(decode_json(encode_json(back))) == _comparable(decode_json(body))
    assert "object at 0x" not in repr(parsed)


def _um_account_body(positions: int) -> dict[str, Any]:
    example = SPEC["paths"]["/papi/v1/um/account"]["get"]["responses"]["200"]["content"]["application/json"]["example"]
    body: dict[str, Any] = json.loads(json.dumps(example))
    row = body["positions"][0]
    body["positions"] = [dict(row, symbol=f"SYM{i}USDT", entryPrice=f"{i}.5") for i in range(positions)]
    return body


def test_nested_models_take_the_fast_path_and_equal_the_checked_path() -> None:
    body = _um_account_body(300)
    content = json.dumps(body).encode()
    fast = UmAccount.decode_fast(content)
    assert isinstance(fast, UmAccount)
    assert fast == UmAccount.from_dict(decode_json(content))
    assert fast.positions[299].entry_price == Decimal("299.5")
    # an unknown field deep inside declines the fast path; the checked path keeps it
    body["positions"][5]["newField"] = "x"
    content = json.dumps(body).encode()
    assert UmAccount.decode_fast(content) is None
    assert UmAccount.from_dict(decode_json(content)).positions[5]["newField"] == "x"


@pytest.mark.parametrize("field", ["entryPrice", "breakEvenPrice"])  # a required amount, an optional one
@pytest.mark.parametrize("amount", ["01.5", "5.", ".5", "1_000", "1e5", " 1"])
def test_a_nested_amount_out_of_plain_form_declines_the_fast_path(field: str, amount: str) -> None:
    # The fast path checks a body's amounts in one call, the nested rows' included: one bad amount deep in
    # the body declines it, and the checked path names where it is.
    body = _um_account_body(5)
    assert UmAccount.decode_fast(json.dumps(body).encode()) is not None
    body["positions"][3][field] = amount
    content = json.dumps(body).encode()
    assert UmAccount.decode_fast(content) is None
    with pytest.raises(InvalidResponseError, match=rf"^UmAccount\.positions\[3\]\.{field}: expected a decimal"):
        UmAccount.from_dict(decode_json(content))


def test_an_optional_nested_amount_present_in_some_rows_keeps_the_fast_path() -> None:
    body = _um_account_body(5)
    assert "breakEvenPrice" not in body["positions"][2]
    body["positions"][1]["breakEvenPrice"] = "12.5"
    fast = UmAccount.decode_fast(json.dumps(body).encode())
    assert isinstance(fast, UmAccount)
    assert fast == UmAccount.from_dict(body)
    assert fast.positions[1].break_even_price == Decimal("12.5")
    assert fast.positions[2].break_even_price is UNSET


def test_errors_name_the_path_to_the_field() -> None:
    body = _um_account_body(5)
    body["positions"][3]["entryPrice"] = 1.5
    with pytest.raises(InvalidResponseError, match=r"^UmAccount\.positions\[3\]\.entryPrice: expected a decimal"):
        UmAccount.from_dict(decode_json(json.dumps(body).encode()))
    del body["positions"][3]["entryPrice"]
    with pytest.raises(InvalidResponseError, match=r"UmAccount\.positions\[3\]\.entryPrice: required field is missing"):
        UmAccount.from_dict(body)
    with pytest.raises(InvalidResponseError, match=r"^UmAccount\.assets: expected a JSON array"):
        UmAccount.from_dict({"assets": {}, "positions": []})
    # through the endpoint: method, path and the field
    body = _um_account_body(2)
    body["positions"][1]["positionAmt"] = None
    with pytest.raises(InvalidResponseError, match=r"GET /papi/v1/um/account: UmAccount\.positions\[1\]\.positionAmt"):
        _parse("/papi/v1/um/account", "getUmAccount", json.dumps(body).encode())
    # a map of arrays (#18): the key and the index
    status = {
        "indicators": {
            "BTCUSDT": [
                {"isLocked": True, "plannedRecoverTime": 1, "indicator": "UFR", "value": "0.9", "triggerValue": 0.95}
            ]
        },
        "updateTime": 1,
    }
    with pytest.raises(
        InvalidResponseError, match=r"^UmApiTradingStatus\.indicators\.BTCUSDT\[0\]\.value: expected a JSON number"
    ):
        UmApiTradingStatus.from_dict(status)


def test_open_enum_keeps_an_unknown_value_as_a_string() -> None:
    row = _um_account_body(1)["positions"][0]
    row["positionSide"] = "SOMETHING_NEW"
    body = {"assets": [], "positions": [row]}
    for parsed in (UmAccount.decode_fast(json.dumps(body).encode()), UmAccount.from_dict(body)):
        assert isinstance(parsed, UmAccount)
        side = parsed.positions[0].position_side
        assert side == "SOMETHING_NEW"
        assert type(side) is str
        assert parsed.to_dict()["positions"][0]["positionSide"] == "SOMETHING_NEW"
    account = SPEC["paths"]["/papi/v1/account"]["get"]["responses"]["200"]["content"]["application/json"]["example"]
    assert models.Account.from_dict(account).account_status is AccountStatus.NORMAL
    with pytest.raises(InvalidResponseError, match=r"Account\.accountStatus: expected a string"):
        models.Account.from_dict(dict(account, accountStatus=3))


def test_type_number_decimal_is_exact_and_refuses_strings_and_floats() -> None:
    row = {
        "bracket": 1,
        "initialLeverage": 125,
        "notionalCap": 50000,
        "notionalFloor": 0,
        "maintMarginRatio": 0.004,
        "cum": 0.1,
    }
    content = json.dumps(row).encode()
    for parsed in (UmBracket.decode_fast(content), UmBracket.from_dict(decode_json(content))):
        assert isinstance(parsed, UmBracket)
        assert parsed.maint_margin_ratio == Decimal("0.004")  # not Decimal(0.004), the float's expansion
        assert str(parsed.cum) == "0.1"
        assert parsed.notional_cap == Decimal(50000)
    # a number with more digits than a float holds stays exact
    big = (
        b'{"bracket": 1, "initialLeverage": 1, "notionalCap": 12345678901234567890.123456789, "notionalFloor": 0,'
        b' "maintMarginRatio": 0.1, "cum": 0}'
    )
    assert UmBracket.from_dict(decode_json(big)).notional_cap == Decimal("12345678901234567890.123456789")
    assert UmBracket.decode_fast(big).notional_cap == Decimal("12345678901234567890.123456789")  # type: ignore[union-attr]
    as_string = json.dumps(dict(row, cum="0.1")).encode()
    assert UmBracket.decode_fast(as_string) is None
    with pytest.raises(InvalidResponseError, match=r"UmBracket\.cum: expected a JSON number"):
        UmBracket.from_dict(decode_json(as_string))
    with pytest.raises(InvalidResponseError, match=r"UmBracket\.maintMarginRatio: expected a JSON number"):
        UmBracket.from_dict(json.loads(content))  # json.loads made floats: refused, never rounded
    assert encode_json(UmBracket.from_dict(decode_json(content)).to_dict()) == encode_json(decode_json(content))


def test_accept_number_and_accept_integer() -> None:
    parsed = MarginMaxBorrowable.from_dict(decode_json(b'{"amount": 0.36000000, "borrowLimit": 50}'))
    assert parsed.amount == Decimal("0.36000000")
    assert parsed.borrow_limit == Decimal(50)
    assert MarginMaxBorrowable.from_dict({"amount": "1.5", "borrowLimit": "2"}).amount == Decimal("1.5")
    with pytest.raises(InvalidResponseError, match=r"MarginMaxBorrowable\.amount"):
        MarginMaxBorrowable.from_dict({"amount": "", "borrowLimit": "2"})

    income = {
        "symbol": "",
        "incomeType": "NEW_KIND",
        "income": "1.00",
        "asset": "USDT",
        "info": "",
        "time": 1,
        "tranId": 9007199254740993,
        "tradeId": "",
    }
    for parsed_income in (UmIncome.from_dict(income), UmIncome.decode_fast(json.dumps(income).encode())):
        assert isinstance(parsed_income, UmIncome)
        assert parsed_income.tran_id == "9007199254740993"  # beyond 2^53: exact digits
        assert parsed_income.symbol is None
        assert parsed_income.info is None
        assert parsed_income.trade_id is None
        assert parsed_income.income_type == "NEW_KIND"
    with pytest.raises(InvalidResponseError, match=r"UmIncome\.tranId: expected a string, or an integer"):
        UmIncome.from_dict(dict(income, tranId=1.5))


def test_bool_string_is_a_bool() -> None:
    row = {
        "symbol": "BTCUSDT",
        "marginType": "CROSSED",
        "isAutoAddMargin": "true",
        "leverage": 20,
        "maxNotionalValue": "3000000",
    }
    for parsed in (UmSymbolConfig.from_dict(row), UmSymbolConfig.decode_fast(json.dumps(row).encode())):
        assert isinstance(parsed, UmSymbolConfig)
        assert parsed.is_auto_add_margin is True
        assert parsed.to_dict()["isAutoAddMargin"] == "true"
    with pytest.raises(InvalidResponseError, match=r'UmSymbolConfig\.isAutoAddMargin: expected "true" or "false"'):
        UmSymbolConfig.from_dict(dict(row, isAutoAddMargin="yes"))
    assert not hasattr(models, "UmSymbolConfigIsAutoAddMargin")
    assert not [name for name in dir(models) if name.endswith("Archived")]  # one shared bool, no enum per operation


def test_fast_path_declines_a_non_finite_amount_and_the_checked_path_names_it() -> None:
    row = SPEC["paths"]["/papi/v1/um/positionRisk"]["get"]["responses"]["200"]["content"]["application/json"]
    body = [dict(row["example"][0], markPrice="NaN")]
    assert UmPositionRisk.decode_fast(json.dumps(body).encode()) is None
    with pytest.raises(InvalidResponseError, match=r"UmPositionRisk\.markPrice"):
        UmPositionRisk.from_dicts(body)


JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.decimals(allow_nan=False, allow_infinity=False, places=6).map(lambda d: d.normalize()),
    st.sampled_from(["", "1.5", "-0.00000001", "NaN", "Infinity", "x", "BOTH", "NEW_SIDE", "true", "12"]),
    st.just([]),
    st.just({}),
)


@settings(max_examples=300, deadline=None)
@given(
    where=st.sampled_from(["assets", "positions"]),
    index=st.integers(0, 2),
    field=st.sampled_from(["asset", "symbol", "entryPrice", "positionSide", "updateTime", "leverage", "crossUnPnl"]),
    value=JSON_VALUES,
    drop=st.booleans(),
)
def test_nested_fast_path_equals_the_checked_path_on_any_change(
    where: str, index: int, field: str, value: object, drop: bool
) -> None:
    """Whatever one field of one nested row becomes (or if it goes), the fast path declines or agrees."""
    body = _um_account_body(3)
    body["assets"] = [dict(asset) for asset in body["assets"] * 3]
    row = body[where][index]
    if drop:
        row.pop(field, None)
    else:
        row[field] = value
    content = encode_json(body)
    fast = UmAccount.decode_fast(content)
    try:
        checked: UmAccount | str = UmAccount.from_dict(decode_json(content))
    except InvalidResponseError as exc:
        checked = exc.message
    if isinstance(checked, str):
        assert checked.startswith(f"UmAccount.{where}[{index}].{field}: ")
        assert fast is None
    elif fast is not None:
        assert fast == checked
