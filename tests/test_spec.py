"""The hand-written spec: valid OpenAPI, faithful to the docs page, and its examples parse into the models."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from binance_papi_generated.models import Balance
from spec_data import DOC_FIELDS, SPEC, SPEC_PATH, resolve

ROOT = Path(__file__).resolve().parent.parent
SEED = next((ROOT.parent / "shared" / "seed").glob("*.txt"), None)
OPERATION = SPEC["paths"]["/papi/v1/balance"]["get"]
SPEC_TEXT = SPEC_PATH.read_text(encoding="utf-8")


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


# ---------------------------------------------------------------------------------------------------------------
# The whole read-only Account family (shared/reference/papi-account-endpoints.md, endpoints #1-#27).

REFERENCE = ROOT.parent / "shared" / "reference" / "papi-account-endpoints.md"
DAY_MS = 86_400_000

# The reference's index: path -> (operationId, IP weight). #18's weight depends on `symbol` (x-weight-with).
FAMILY: dict[str, tuple[str, int]] = {
    "/papi/v1/balance": ("getBalance", 20),
    "/papi/v1/account": ("getAccount", 20),
    "/papi/v1/um/account": ("getUmAccount", 5),
    "/papi/v2/um/account": ("getUmAccountV2", 5),
    "/papi/v1/cm/account": ("getCmAccount", 5),
    "/papi/v1/um/positionRisk": ("getUmPositionRisk", 5),
    "/papi/v1/cm/positionRisk": ("getCmPositionRisk", 1),
    "/papi/v1/margin/maxWithdraw": ("getMarginMaxWithdraw", 5),
    "/papi/v1/margin/maxBorrowable": ("getMarginMaxBorrowable", 5),
    "/papi/v1/um/leverageBracket": ("getUmLeverageBracket", 1),
    "/papi/v1/cm/leverageBracket": ("getCmLeverageBracket", 1),
    "/papi/v1/um/commissionRate": ("getUmCommissionRate", 20),
    "/papi/v1/cm/commissionRate": ("getCmCommissionRate", 20),
    "/papi/v1/um/positionSide/dual": ("getUmPositionSideDual", 30),
    "/papi/v1/cm/positionSide/dual": ("getCmPositionSideDual", 30),
    "/papi/v1/um/accountConfig": ("getUmAccountConfig", 5),
    "/papi/v1/um/symbolConfig": ("getUmSymbolConfig", 5),
    "/papi/v1/um/apiTradingStatus": ("getUmApiTradingStatus", 10),
    "/papi/v1/rateLimit/order": ("getOrderRateLimit", 1),
    "/papi/v1/repay-futures-switch": ("getRepayFuturesSwitch", 30),
    "/papi/v1/um/income": ("getUmIncome", 30),
    "/papi/v1/cm/income": ("getCmIncome", 30),
    "/papi/v1/margin/marginLoan": ("getMarginLoanRecords", 10),
    "/papi/v1/margin/repayLoan": ("getMarginRepayRecords", 10),
    "/papi/v1/margin/marginInterestHistory": ("getMarginInterestHistory", 1),
    "/papi/v1/portfolio/interest-history": ("getPortfolioInterestHistory", 50),
    "/papi/v1/portfolio/negative-balance-exchange-record": ("getNegativeBalanceExchangeRecord", 100),
}
OPERATIONS: dict[str, dict[str, Any]] = {path: item["get"] for path, item in SPEC["paths"].items()}

# Parameter rules the reference states, as the operation extensions that carry them.
MAX_TIME_RANGE_MS = {
    "/papi/v1/cm/income": 200 * DAY_MS,
    "/papi/v1/margin/marginLoan": 30 * DAY_MS,
    "/papi/v1/margin/repayLoan": 30 * DAY_MS,
    "/papi/v1/margin/marginInterestHistory": 30 * DAY_MS,
    "/papi/v1/portfolio/interest-history": 30 * DAY_MS,
    "/papi/v1/portfolio/negative-balance-exchange-record": 90 * DAY_MS,  # "3 months", taken as 90 days
}
MUTUALLY_EXCLUSIVE = {"/papi/v1/cm/positionRisk": [["marginAsset", "pair"]]}
ONE_OF_REQUIRED = {
    "/papi/v1/margin/marginLoan": [["txId", "startTime"]],
    "/papi/v1/margin/repayLoan": [["txId", "startTime"]],
}
# path -> (limit parameter, its maximum, row time field, order, where the rows are)
PAGING = {
    "/papi/v1/um/income": ("limit", "page", 1000, "time", "asc", ""),
    "/papi/v1/cm/income": ("limit", "page", 1000, "time", "asc", ""),
    "/papi/v1/margin/marginLoan": ("size", "current", 100, "timestamp", "desc", "rows"),
    "/papi/v1/margin/repayLoan": ("size", "current", 100, "timestamp", "desc", "rows"),
    "/papi/v1/margin/marginInterestHistory": ("size", "current", 100, "interestAccuredTime", "desc", "rows"),
    "/papi/v1/portfolio/interest-history": ("size", None, 100, "interestAccuredTime", "desc", ""),
}


def _parameters(operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in resolve(operation["parameters"])}


def _ok_content(operation: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = operation["responses"]["200"]["content"]["application/json"]
    return content


def _examples(operation: dict[str, Any]) -> list[Any]:
    content = _ok_content(operation)
    if "example" in content:
        return [content["example"]]
    return [example["value"] for example in content["examples"].values()]


def _walk(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every mapping in the spec with its location (examples excluded: they are data, not schemas)."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            if key not in {"example", "examples"}:
                yield from _walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{where}/{index}")


def _rows(body: Any, rows: str) -> list[Any]:
    found = body[rows] if rows else body
    assert isinstance(found, list)
    return found


def test_the_spec_holds_exactly_the_read_only_account_family() -> None:
    assert {path: set(item) for path, item in SPEC["paths"].items()} == {path: {"get"} for path in FAMILY}
    assert not any("/asyn" in path for path in SPEC["paths"])
    assert {path: op["operationId"] for path, op in OPERATIONS.items()} == {p: v[0] for p, v in FAMILY.items()}


@pytest.mark.parametrize("path", FAMILY)
def test_operation_is_tagged_weighted_signed_and_retry_safe(path: str) -> None:
    operation = OPERATIONS[path]
    assert operation["tags"] == ["account"]
    assert operation["x-weight"] == FAMILY[path][1]
    assert type(operation["x-weight"]) is int
    assert operation["x-retry-safe"] is True  # every one only reads
    assert operation["x-security-type"] == "USER_DATA"
    assert operation["x-signed"] is True
    assert operation["security"] == [{"ApiKeyAuth": []}]
    expected_with = {"symbol": 1} if path == "/papi/v1/um/apiTradingStatus" else None
    assert operation.get("x-weight-with") == expected_with


@pytest.mark.skipif(not REFERENCE.exists(), reason="the endpoint reference is not beside this checkout")
def test_weights_and_paths_match_the_reference_index() -> None:
    index = re.findall(
        r"^\| (\d+) \| GET (/papi/\S+) \| ([^|]+) \|", REFERENCE.read_text(encoding="utf-8"), re.MULTILINE
    )
    assert len(index) == len(FAMILY)
    for _number, path, weight in index:
        operation = OPERATIONS[path]
        if weight.strip().isdigit():
            assert operation["x-weight"] == int(weight), path
            assert "x-weight-with" not in operation, path
        else:  # "1 with `symbol`, 10 without"
            depends = re.fullmatch(r"(\d+) with `(\w+)`, (\d+) without", weight.strip())
            assert depends is not None, (path, weight)
            with_weight, parameter, without_weight = depends.groups()
            assert operation["x-weight"] == int(without_weight)
            assert operation["x-weight-with"] == {parameter: int(with_weight)}


@pytest.mark.parametrize("path", FAMILY)
def test_signing_parameters_are_the_shared_ones(path: str) -> None:
    operation = OPERATIONS[path]
    refs = [p["$ref"] for p in operation["parameters"] if "$ref" in p]
    assert "#/components/parameters/timestamp" in refs
    assert refs[-1] == "#/components/parameters/signature"  # the signature is always last on the wire
    params = _parameters(operation)
    assert params["recvWindow"]["required"] is False
    assert params["recvWindow"]["schema"] == _parameters(OPERATION)["recvWindow"]["schema"]
    added = {name for name, p in params.items() if p.get("x-added-by-auth")}
    assert added == {"timestamp", "signature"}
    assert all(p["in"] == "query" for p in params.values())


@pytest.mark.parametrize("path", FAMILY)
def test_errors_are_declared_like_the_balance_endpoint(path: str) -> None:
    responses = OPERATIONS[path]["responses"]
    assert set(responses) == {"200", "4XX", "5XX"}
    assert responses["4XX"] == responses["5XX"] == {"$ref": "#/components/responses/Error"}
    assert responses["200"]["headers"]["X-MBX-USED-WEIGHT-1M"] == {"$ref": "#/components/headers/UsedWeight"}


@pytest.mark.parametrize("path", FAMILY)
def test_every_example_validates_against_its_schema(path: str) -> None:
    operation = OPERATIONS[path]
    validator = OAS30Validator(resolve(_ok_content(operation)["schema"]))
    examples = _examples(operation)
    assert examples
    for example in examples:
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(example)]
        assert errors == [], path


def test_money_is_never_a_float() -> None:
    numbers = [(where, node) for where, node in _walk(SPEC) if node.get("type") == "number"]
    assert numbers  # brackets, indicators and negative-balance details are JSON numbers
    assert [where for where, node in numbers if node.get("format") != "decimal"] == []
    decimals = [(where, node) for where, node in _walk(SPEC) if node.get("format") == "decimal"]
    assert {node["type"] for _, node in decimals} == {"string", "number"}


def test_decimal_strings_accept_exactly_what_binance_sends() -> None:
    decimal_strings = [
        (where, node) for where, node in _walk(SPEC) if node.get("type") == "string" and node.get("format") == "decimal"
    ]
    assert len(decimal_strings) > 50
    for where, node in decimal_strings:
        validator = OAS30Validator(node)
        for good in ("0", "60", "0.0", "0.00000000", "-1.06214947", "0.000000010", "500000.0"):
            assert validator.is_valid(good), (where, good)
        for bad in ("abc", "1e5", "1.", ".5", 1.5):
            assert not validator.is_valid(bad), (where, bad)
        assert validator.is_valid("") is bool(node.get("x-empty-is-none")), where


def test_empty_string_and_alternative_wire_types_only_where_the_reference_shows_them() -> None:
    marked = {
        extension: sorted(where for where, node in _walk(SPEC["components"]["schemas"]) if node.get(extension))
        for extension in ("x-empty-is-none", "x-accept-number", "x-accept-integer")
    }
    assert marked == {
        "x-empty-is-none": [
            "/Account/properties/totalAvailableBalance",
            "/Account/properties/totalMarginOpenLoss",
            "/Balance/properties/cmUnrealizedPNL",
            "/Balance/properties/umUnrealizedPNL",
            "/CmIncome/properties/info",
            "/CmIncome/properties/symbol",
            "/CmIncome/properties/tradeId",
            "/UmIncome/properties/info",
            "/UmIncome/properties/symbol",
            "/UmIncome/properties/tradeId",
        ],
        "x-accept-number": [
            "/MarginMaxBorrowable/properties/amount",
            "/MarginMaxBorrowable/properties/borrowLimit",
        ],
        "x-accept-integer": ["/CmIncome/properties/tranId", "/UmIncome/properties/tranId"],
    }
    for where, node in _walk(SPEC["components"]["schemas"]):
        if node.get("x-accept-number"):
            assert (node["type"], node["format"]) == ("string", "decimal"), where
        if node.get("x-accept-integer"):
            assert node["type"] == "string", where


def test_times_and_ids_are_64_bit_integers() -> None:
    schemas = SPEC["components"]["schemas"]
    for name, schema in schemas.items():
        for field, prop in schema.get("properties", {}).items():
            if field.endswith("Time") or field in {"time", "timestamp", "txId", "tradeGroupId"}:
                assert (prop.get("type"), prop.get("format")) == ("integer", "int64"), f"{name}.{field}"
    # Ids beyond 2**53 survive in the examples exactly (a float would round them).
    loan = _examples(OPERATIONS["/papi/v1/margin/marginLoan"])[0]["rows"][0]["txId"]
    assert loan == 1440000000000000123
    assert loan > 2**53


def test_enumerations_are_named_open_component_schemas() -> None:
    schemas = SPEC["components"]["schemas"]
    named = {name for name, schema in schemas.items() if "enum" in schema}
    assert named == {
        "AccountStatus",
        "PositionSide",
        "MarginType",
        "TradingIndicatorType",
        "RateLimitType",
        "RateLimitInterval",
        "UmIncomeType",
        "CmIncomeType",
        "LoanStatus",
        "MarginInterestType",
    }
    for name in named:
        assert schemas[name]["type"] == "string", name
        assert schemas[name]["x-open-enum"] is True, name
    # Anywhere else an inline enum is only a boolean carried as "true"/"false".
    for where, node in _walk(SPEC):
        if "enum" in node and not re.fullmatch(r"/components/schemas/\w+", where):
            assert node == {**node, "type": "string", "enum": ["true", "false"], "x-bool-string": True}, where
    assert schemas["UmAccountPosition"]["properties"]["positionSide"] == {"$ref": "#/components/schemas/PositionSide"}
    assert schemas["Account"]["properties"]["accountStatus"] == {"$ref": "#/components/schemas/AccountStatus"}
    assert len(schemas["UmIncomeType"]["enum"]) == 19
    assert set(schemas["CmIncomeType"]["enum"]) < set(schemas["UmIncomeType"]["enum"])


def test_booleans_carried_as_strings() -> None:
    schemas = SPEC["components"]["schemas"]
    assert schemas["UmSymbolConfig"]["properties"]["isAutoAddMargin"]["x-bool-string"] is True
    assert _parameters(OPERATIONS["/papi/v1/margin/marginLoan"])["archived"]["schema"]["x-bool-string"] is True
    assert schemas["PositionSideDual"]["properties"]["dualSidePosition"]["type"] == "boolean"


def test_nested_objects_and_arrays_are_named_schemas() -> None:
    """No inline object schema anywhere: every object and every array item is a named component."""
    for where, node in _walk(SPEC["paths"]):
        if node.get("type") == "object":
            pytest.fail(f"inline object at {where}")
        if node.get("type") == "array":
            assert set(node["items"]) == {"$ref"}, where
    for name, schema in SPEC["components"]["schemas"].items():
        assert "type" in schema, name
        for field, prop in schema.get("properties", {}).items():
            assert ("type" in prop) != ("$ref" in prop), f"{name}.{field}"  # typed, or a named schema
            assert prop.get("type") != "object", f"{name}.{field}"
            if prop.get("type") == "array":
                assert set(prop["items"]) == {"$ref"}, f"{name}.{field}"
        if schema.get("type") == "object":
            assert schema.get("additionalProperties", True) is not False, name


def test_api_trading_status_is_a_map_of_indicator_lists() -> None:
    schemas = SPEC["components"]["schemas"]
    indicators = resolve(schemas["UmApiTradingStatus"]["properties"]["indicators"])
    assert "properties" not in indicators  # keyed by symbol (or ACCOUNT), not by fixed names
    assert indicators["additionalProperties"]["type"] == "array"
    validator = OAS30Validator(resolve(schemas["UmApiTradingStatus"]))
    indicator = {"isLocked": False, "plannedRecoverTime": 0, "indicator": "TMV", "value": 5, "triggerValue": 3}
    assert validator.is_valid({"indicators": {}, "updateTime": 0})
    assert validator.is_valid({"indicators": {"ACCOUNT": [indicator], "ETHUSDT": []}, "updateTime": 1})
    assert not validator.is_valid({"indicators": {"ACCOUNT": indicator}, "updateTime": 1})


def test_required_fields_follow_the_examples_and_optional_ones_are_the_extras() -> None:
    schemas = SPEC["components"]["schemas"]
    optional = {
        name: sorted(set(schema["properties"]) - set(schema.get("required", [])))
        for name, schema in schemas.items()
        if "properties" in schema and set(schema["properties"]) - set(schema.get("required", []))
    }
    assert optional == {
        "Balance": ["crossMarginAsset"],
        "UmAccountPosition": ["breakEvenPrice", "notional"],
        "CmAccountPosition": ["breakEvenPrice", "notionalValue"],
        "UmPositionRisk": ["breakEvenPrice"],
        "CmPositionRisk": ["breakEvenPrice"],
    }


@pytest.mark.parametrize("path", FAMILY)
def test_parameter_rules_are_extensions_naming_real_parameters(path: str) -> None:
    operation = OPERATIONS[path]
    params = _parameters(operation)
    assert operation.get("x-max-time-range-ms") == MAX_TIME_RANGE_MS.get(path)
    if path in MAX_TIME_RANGE_MS:
        assert {"startTime", "endTime"} <= set(params)
    assert operation.get("x-mutually-exclusive") == MUTUALLY_EXCLUSIVE.get(path)
    assert operation.get("x-one-of-required") == ONE_OF_REQUIRED.get(path)
    for group in [*operation.get("x-mutually-exclusive", []), *operation.get("x-one-of-required", [])]:
        assert len(group) >= 2
        assert all(name in params and params[name]["required"] is False for name in group), group
    for name in ("limit", "size"):
        if name in params:
            schema = params[name]["schema"]
            assert schema["minimum"] == 1
            assert schema["maximum"] == (1000 if name == "limit" else 100)
    assert "default" not in str([p["schema"] for p in params.values()])  # a schema default is always sent


@pytest.mark.parametrize("path", FAMILY)
def test_paging_describes_how_to_walk_the_history(path: str) -> None:
    operation = OPERATIONS[path]
    if path not in PAGING:
        assert "x-paging" not in operation
        return
    limit, page, max_limit, time_field, order, rows = PAGING[path]
    assert operation["x-paging"] == {
        "start": "startTime",
        "end": "endTime",
        "limit": limit,
        **({"page": page} if page else {}),
        "max-limit": max_limit,
        "time-field": time_field,
        "order": order,
        "rows": rows,
        **({"exclude": ["txId"]} if "txId" in _parameters(operation) else {}),
    }
    params = _parameters(operation)
    assert params[limit]["schema"]["maximum"] == max_limit
    if page:
        assert params[page]["schema"]["minimum"] == 1
    assert params["startTime"]["required"] is params["endTime"]["required"] is False
    schema = resolve(_ok_content(operation)["schema"])
    row_schema = (schema["properties"][rows] if rows else schema)["items"]
    assert time_field in row_schema["required"]
    assert (row_schema["properties"][time_field]["type"], row_schema["properties"][time_field]["format"]) == (
        "integer",
        "int64",
    )
    times = [row[time_field] for row in _rows(_examples(operation)[0], rows)]
    assert times == sorted(times, reverse=order == "desc")


def test_every_extension_used_is_documented_at_the_top() -> None:
    header = SPEC_TEXT.split("\nopenapi:", 1)[0]
    used = {key for _, node in _walk(SPEC) for key in node if key.startswith("x-")}
    documented = set(re.findall(r"^#\s+(x-[\w-]+)", header, re.MULTILINE))
    assert used <= documented, used - documented
    for key in ("start", "end", "limit", "max-limit", "time-field", "order", "rows"):
        assert key in header
