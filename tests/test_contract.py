"""Contract test: openapi/papi.yaml against the simulator, so the spec and the simulator cannot drift apart.

Two parts, both over real HTTP against the `simulator` fixture, both signing every request:

- generative: schemathesis generates GET /papi/v1/balance requests from the spec (asset, recvWindow; positive
  and negative data), a signing step adds `timestamp` and, last, `signature` to the query that is actually on
  the wire, and schemathesis' checks validate every response against the spec;
- deterministic: one signed request per docs-shaped scenario, its body validated with OAS30Validator against
  the spec's response schema for its status, so the contract holds even where generation is thin.

The signing here is written from Binance's rules (shared/reference/papi-facts.md), independently of the
client's signing code and of the simulator's verifier.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import time
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from openapi_schema_validator import OAS30Validator
from schemathesis import Case, GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from binance_papi.simulator import DEMO_API_KEY, DEMO_API_SECRET, FAULT_HEADER, SimulatorHandle, demo_account
from spec_data import SPEC, resolve

BALANCE = "/papi/v1/balance"
OPERATION: dict[str, Any] = SPEC["paths"][BALANCE]["get"]
API_KEY_HEADER = "X-MBX-APIKEY"
KNOWN_ASSETS = tuple(balance.asset for balance in demo_account().balances)
UNKNOWN_KEY = "Unknown" + "k" * 57  # well-formed (64 alphanumerics), but not registered

CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
"""What every generated response must pass. The other built-in checks are left out on purpose: some send
requests of their own (ignored_auth, unsupported_method, ...), which exercise auth handling rather than the
response contract, and negative_data_rejection would be flaky here: recvWindow=0 (below the spec's minimum
of 1) is accepted when the request arrives within the same millisecond."""


def auth_parameters(operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The operation's parameters marked `x-added-by-auth` (the signing step's, never a caller's), by name."""
    resolved = (resolve(parameter) for parameter in operation.get("parameters", []))
    return {parameter["name"]: parameter for parameter in resolved if parameter.get("x-added-by-auth")}


AUTH_PARAMETERS = auth_parameters(OPERATION)


def caller_view(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec as a caller sees it: the same, minus the parameters the signing step adds.

    Schemathesis then generates only what a caller passes (asset, recvWindow) in every phase, and the
    signing step produces `timestamp` and `signature` on each send. Responses are untouched.
    """
    view = copy.deepcopy(spec)
    for path_item in view["paths"].values():
        for operation in path_item.values():
            if isinstance(operation, dict) and "parameters" in operation:
                added = auth_parameters(operation)
                operation["parameters"] = [p for p in operation["parameters"] if resolve(p)["name"] not in added]
    return view


def hmac_signature(payload: str, secret: str = DEMO_API_SECRET) -> str:
    """Binance HMAC-SHA256: lower-case hex, the secret as key, over the exact encoded query."""
    return hmac.new(secret.encode("utf-8"), payload.encode("utf-8"), hashlib.sha256).hexdigest()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class _PreparedRequest(Protocol):
    """The part of a `requests.PreparedRequest` the signing step touches (requests ships no type hints)."""

    url: str
    headers: MutableMapping[str, str]


@dataclass
class SignedSend:
    """What the signing step put on the wire for one request."""

    timestamp: int
    query: str
    """The full query sent, `signature` last."""


@dataclass
class FakePreparedRequest:
    url: str
    headers: MutableMapping[str, str]


@dataclass
class HmacSigner:
    """The signing step, as a `requests` auth callable.

    `requests` calls it on the prepared request, after it has encoded the query, so it signs exactly the
    bytes that are sent: it appends `timestamp` (now) to the encoded query, then `signature` over everything
    before it, and sets the API-key header.
    """

    api_key: str = DEMO_API_KEY
    secret: str = DEMO_API_SECRET
    sent: list[SignedSend] = field(default_factory=list)

    def __call__(self, request: _PreparedRequest) -> _PreparedRequest:
        base, _, query = request.url.partition("?")
        timestamp = now_ms()
        payload = f"{query}&timestamp={timestamp}" if query else f"timestamp={timestamp}"
        wire_query = f"{payload}&signature={hmac_signature(payload, self.secret)}"
        request.url = f"{base}?{wire_query}"
        request.headers[API_KEY_HEADER] = self.api_key
        self.sent.append(SignedSend(timestamp, wire_query))
        return request


# The generative part -------------------------------------------------------------------------------------

schema = schemathesis.openapi.from_dict(
    caller_view(SPEC),
    # Explicit, so a schemathesis.toml found on disk cannot change what this test does. No security
    # parameters: the X-MBX-APIKEY header comes from the signing step, with the demo key.
    config=schemathesis.Config.from_dict({"generation": {"mode": "all", "with-security-parameters": False}}),
)


@schema.hook
def flatmap_query(context: schemathesis.HookContext, query: dict[str, Any] | None) -> st.SearchStrategy[Any]:
    """Half the generated `asset` values become ones the demo account holds, so the single-object 200 shape
    is generated, not only the -1108 answer to a random string."""
    if query is None or not isinstance(query.get("asset"), str) or not query["asset"]:
        return st.just(query)
    return st.one_of(st.just(query), st.sampled_from(KNOWN_ASSETS).map(lambda asset: {**query, "asset": asset}))


@pytest.fixture
def outcomes(request: pytest.FixtureRequest) -> Iterator[set[str]]:
    """Which answers the generative run saw; it must have reached both 200 shapes and the -1108 error."""
    failed_before = request.session.testsfailed
    seen: set[str] = set()
    yield seen
    if request.session.testsfailed > failed_before or BALANCE not in request.node.name:
        return  # the test failed and said why; what it did not reach before failing is noise
    expected = {"200 array", "200 object", "400 -1108"}
    assert expected <= seen, f"the generated requests never got {sorted(expected - seen)} (saw {sorted(seen)})"


# What a spec-conforming request may still be refused for on the other operations: values the spec cannot
# constrain (an unknown symbol or asset, a time window too long or reversed, a parameter combination).
PARAMETER_CODES = frozenset({-1021, -1023, -1102, -1108, -1121, -1127, -1128, -1130, -4144, -4165})


def check_well_formed_request_accepted(
    path: str, query: dict[str, Any], response: schemathesis.Response, sent: SignedSend, arrived_ms: int
) -> None:
    """A positive (spec-conforming) request, correctly signed, gets the documented answer for its inputs."""
    body = response.json()
    if path != BALANCE:
        if response.status_code != 200:
            assert response.status_code == 400, f"{path}: refused with {response.status_code} {body}"
            assert body["code"] in PARAMETER_CODES, f"{path}: a well-formed signed request was refused: {body}"
        return
    asset = query.get("asset")
    if response.status_code == 200:
        if asset is None:
            assert isinstance(body, list), "without asset the 200 body is an array"
            assert [item["asset"] for item in body] == list(KNOWN_ASSETS)
        else:
            assert isinstance(body, dict), "with asset the 200 body is a single object"
            assert body["asset"] == asset
            assert asset in KNOWN_ASSETS
        return
    allowed: set[int] = set()
    if asset is not None and asset not in KNOWN_ASSETS:
        allowed.add(-1108)
    if "recvWindow" in query and arrived_ms - sent.timestamp > int(query["recvWindow"]):
        allowed.add(-1021)  # a tiny recvWindow (the spec allows 1 ms) can really expire in transit
    assert response.status_code == 400, f"a well-formed signed request was refused: {response.status_code} {body}"
    assert body["code"] in allowed, f"a well-formed signed request was refused: {body} (query sent: {sent.query})"


@schema.parametrize()
@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,  # a stable gate: the same requests on every run
    # `simulator` is reset once per test, not per example; fine, since no example changes its state.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_generated_requests_get_answers_that_conform_to_the_spec(
    case: Case[Any], simulator: SimulatorHandle, outcomes: set[str]
) -> None:
    # Over a hundred requests in about a second: the IP weight limit (tested in test_simulator) would answer
    # 429s, which conform too but would crowd out the answers under test.
    simulator.simulator.weight_limit = 10**9
    query = dict(case.query or {})
    assert not set(query) & set(AUTH_PARAMETERS), "timestamp and signature must come from signing"
    signer = HmacSigner()

    response = case.call(base_url=simulator.base_url, auth=signer)
    case.validate_response(response, checks=CHECKS, transport_kwargs={"base_url": simulator.base_url})

    # The signing step's query is what arrived: the simulator checks the signature over these raw bytes.
    [sent] = signer.sent
    record = simulator.simulator.requests[-1]
    assert record.raw_query == sent.query
    assert sent.query.rpartition("&")[2].startswith("signature=")
    body = response.json()
    if response.status_code == 200:
        outcomes.add("200 array" if isinstance(body, list) else "200 object")
    else:
        outcomes.add(f"{response.status_code} {body['code']}")
    if case.meta is not None and case.meta.generation.mode is GenerationMode.POSITIVE:
        check_well_formed_request_accepted(case.path, query, response, sent, record.time_ms)


# The deterministic part ----------------------------------------------------------------------------------


def response_schema(status: int, content_type: str) -> dict[str, Any]:
    """The spec's schema for a response with this status and media type (exact status, then `4XX`, `default`)."""
    responses = OPERATION["responses"]
    key = next((k for k in (str(status), f"{str(status)[0]}XX", "default") if k in responses), None)
    assert key is not None, f"status {status} is not in the spec"
    content = resolve(responses[key])["content"]
    media_type = content_type.partition(";")[0].strip()
    assert media_type in content, f"{media_type!r} is not a documented content type for {key}"
    result: dict[str, Any] = content[media_type]["schema"]
    return result


def schema_errors(status: int, content_type: str, body: Any) -> list[str]:
    """Why `body` does not fit the spec's schema for its response, one line per problem (empty: it fits)."""
    validator = OAS30Validator(response_schema(status, content_type))
    return [
        f"/{'/'.join(map(str, leaf.absolute_path))}: {leaf.message}"
        for error in validator.iter_errors(body)
        # For oneOf the reasons are in each branch's errors; the top error only says "no branch fits".
        for leaf in error.context or [error]
    ]


def signed_query(params: dict[str, str], secret: str = DEMO_API_SECRET) -> str:
    payload = urlencode({**params, "timestamp": now_ms()})
    return f"{payload}&signature={hmac_signature(payload, secret)}"


@dataclass(frozen=True)
class Scenario:
    name: str
    params: dict[str, str]
    status: int
    code: int | None = None
    api_key: str | None = DEMO_API_KEY
    secret: str = DEMO_API_SECRET


SCENARIOS = [
    Scenario("no asset", {}, 200),
    Scenario("asset=USDT", {"asset": "USDT"}, 200),
    Scenario("unknown asset", {"asset": "NOSUCHASSET"}, 400, -1108),
    Scenario("bad signature", {}, 400, -1022, secret="not-the-demo-secret"),
    Scenario("missing API key", {}, 401, -2014, api_key=None),
    Scenario("unknown API key", {}, 401, -2015, api_key=UNKNOWN_KEY),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_docs_scenario_conforms_to_the_spec(simulator: SimulatorHandle, scenario: Scenario) -> None:
    headers = {} if scenario.api_key is None else {API_KEY_HEADER: scenario.api_key}
    query = signed_query(scenario.params, scenario.secret)
    response = httpx.get(f"{simulator.base_url}{BALANCE}?{query}", headers=headers, timeout=5)

    assert response.status_code == scenario.status, response.text
    body = response.json()
    assert schema_errors(response.status_code, response.headers["content-type"], body) == []
    if scenario.code is not None:
        assert body["code"] == scenario.code
    elif "asset" in scenario.params:
        assert isinstance(body, dict)
        assert body["asset"] == scenario.params["asset"]
    else:
        assert isinstance(body, list)
        assert [item["asset"] for item in body] == list(KNOWN_ASSETS)


def test_spec_declares_exactly_what_the_signing_step_adds() -> None:
    """`timestamp` and `signature` are required query parameters added by auth, and what the signer produces
    fits their declared schemas; the signer reproduces Binance's published HMAC test vector."""
    added = AUTH_PARAMETERS
    assert sorted(added) == ["signature", "timestamp"]
    assert all(p["in"] == "query" and p["required"] for p in added.values())
    signer = HmacSigner()
    signed = signer(FakePreparedRequest(f"http://127.0.0.1{BALANCE}?asset=USDT", {}))
    [sent] = signer.sent
    wire = httpx.URL(signed.url).params
    assert list(wire) == ["asset", "timestamp", "signature"]
    assert OAS30Validator(added["timestamp"]["schema"]).is_valid(sent.timestamp)
    assert OAS30Validator(added["signature"]["schema"]).is_valid(wire["signature"])
    assert signed.headers == {API_KEY_HEADER: DEMO_API_KEY}
    vector = (
        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
    )
    secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
    assert hmac_signature(vector, secret) == "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"


def test_a_drifted_body_fails_the_contract(simulator: SimulatorHandle) -> None:
    """Both validators have teeth: an amount sent as a JSON number (fault `wrong-type`) fails each of them."""
    signer = HmacSigner()
    case = schema[BALANCE]["GET"].Case(query={}, headers={FAULT_HEADER: "wrong-type"})
    response = case.call(base_url=simulator.base_url, auth=signer)
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body[0]["totalWalletBalance"], float)
    assert schema_errors(200, response.headers["content-type"][0], body) != []
    with pytest.raises(FailureGroup):
        case.validate_response(response, checks=CHECKS, transport_kwargs={"base_url": simulator.base_url})
