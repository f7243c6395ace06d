"""The hand-written spec: valid OpenAPI, faithful to the docs page, and its examples parse into the models."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from binance_papi_generated.models import Balance
from spec_data import DOC_FIELDS, SPEC, resolve

ROOT = Path(__file__).resolve().parent.parent
SEED = next((ROOT.parent / "shared" / "seed").glob("*.txt"), None)
OPERATION = SPEC["paths"]["/papi/v1/balance"]["get"]


def _ok_schema() -> dict[str, Any]:
    schema: dict[str, Any] = resolve(OPERATION["responses"]["200"]["content"]["application/json"]["schema"])
    return schema


def test_spec_is_valid_openapi() -> None:
    validate(SPEC)


def test_operation_metadata() -> None:
    assert SPEC["servers"][0]["url"] == "https://papi.binance.com"
    assert OPERATION["operationId"] == "getBalance"
    assert OPERATION["tags"] == ["account"]
    assert OPERATION["summary"] == "Query Account Balance (USER_DATA)"
    assert OPERATION["x-weight"] == 20
    assert OPERATION["x-security-type"] == "USER_DATA"
    assert OPERATION["x-signed"] is True
    assert SPEC["components"]["securitySchemes"]["ApiKeyAuth"] == {
        **SPEC["components"]["securitySchemes"]["ApiKeyAuth"],
        "type": "apiKey",
        "in": "header",
        "name": "X-MBX-APIKEY",
    }


def test_parameter_table_is_fully_accounted_for() -> None:
    params = {p["name"]: p for p in resolve(OPERATION["parameters"])}
    # The docs' table: asset STRING NO, recvWindow LONG NO, timestamp LONG YES; plus the signature.
    assert set(params) == {"asset", "recvWindow", "timestamp", "signature"}
    assert params["asset"]["required"] is False
    assert params["asset"]["schema"]["type"] == "string"
    assert params["recvWindow"]["required"] is False
    assert params["recvWindow"]["schema"] == {"type": "integer", "format": "int64", "minimum": 1, "maximum": 60000}
    for name in ("timestamp", "signature"):
        assert params[name]["required"] is True
        assert params[name]["x-added-by-auth"] is True
        assert "signing hook" in params[name]["description"]
    assert params["timestamp"]["schema"]["format"] == "int64"


@pytest.mark.skipif(SEED is None, reason="the seed docs page is not beside this checkout")
def test_parameter_table_matches_the_docs_page() -> None:
    assert SEED is not None
    rows = re.findall(r"^\| (\w+) \| (\w+) \| (YES|NO) \|", SEED.read_text(encoding="utf-8"), re.MULTILINE)
    params = {p["name"]: p for p in resolve(OPERATION["parameters"])}
    assert rows
    for name, wire_type, required in rows:
        assert name in params, name
        assert params[name]["required"] is (required == "YES")
        assert params[name]["schema"]["type"] == {"STRING": "string", "LONG": "integer"}[wire_type]


def test_balance_schema_has_every_documented_field() -> None:
    balance = SPEC["components"]["schemas"]["Balance"]
    # Every documented field, in the docs' order; fields Binance adds later may follow (README, "When Binance
    # changes the API"), each described, and optional unless the docs say otherwise.
    assert [name for name in balance["properties"] if name in DOC_FIELDS] == DOC_FIELDS
    for name in set(balance["properties"]) - set(DOC_FIELDS):
        assert balance["properties"][name].get("description"), name
    assert set(DOC_FIELDS) - set(balance["required"]) == {"crossMarginAsset"}
    for name in DOC_FIELDS:
        prop = balance["properties"][name]
        if name == "asset":
            assert prop["type"] == "string"
        elif name == "updateTime":
            assert (prop["type"], prop["format"]) == ("integer", "int64")
        else:
            assert (prop["type"], prop["format"]) == ("string", "decimal"), name
    assert balance["properties"]["cmUnrealizedPNL"]["x-empty-is-none"] is True
    assert balance["properties"]["updateTime"]["x-numeric-string"] is True  # "0" seen on the wire


def test_error_responses_are_declared() -> None:
    for status in ("4XX", "5XX"):
        schema = resolve(OPERATION["responses"][status])["content"]["application/json"]["schema"]
        assert schema["required"] == ["code", "msg"]


@pytest.mark.parametrize("example", ["allAssets", "oneAsset"])
def test_docs_examples_validate_and_parse(example: str) -> None:
    value = OPERATION["responses"]["200"]["content"]["application/json"]["examples"][example]["value"]
    OAS30Validator(_ok_schema()).validate(value)
    items = value if isinstance(value, list) else [value]
    for item in items:
        parsed = Balance.from_dict(item)
        assert parsed.to_dict() == item


def test_ok_schema_rejects_what_the_api_never_sends() -> None:
    validator = OAS30Validator(_ok_schema())
    good = OPERATION["responses"]["200"]["content"]["application/json"]["examples"]["oneAsset"]["value"]
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "totalWalletBalance": 1.5})  # a number, not a string
    assert not validator.is_valid({**good, "totalWalletBalance": ""})  # "" only where the docs show it
    assert not validator.is_valid({k: v for k, v in good.items() if k != "asset"})
    assert not validator.is_valid("USDT")
