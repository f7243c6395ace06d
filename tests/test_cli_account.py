"""`binance-papi account`, `positions`, `snapshot` and `doctor` against the simulator: exact strings as served,
error causes, exit statuses, and no secret in any output."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from binance_papi._cli import main
from binance_papi._doctor import CREDENTIALS_CHECK
from binance_papi.simulator import DEMO_API_KEY, DEMO_API_SECRET, ENDPOINTS, PING_PATH, TIME_PATH, SimulatorHandle
from binance_papi_generated.client import OPERATIONS

OUTPUTS: list[str] = []  # every output of this module, searched for secrets at the end
ENV = {"BINANCE_API_KEY": DEMO_API_KEY, "BINANCE_API_SECRET": DEMO_API_SECRET}


def run(handle: SimulatorHandle, *args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(
        main, [*args, "--base-url", handle.base_url], env={**ENV, **(env or {})}, catch_exceptions=False
    )
    OUTPUTS.append(result.stdout + result.stderr)
    return result


def served(handle: SimulatorHandle, path: str) -> Any:
    """The body the simulator serves the demo account for `path` (no parameters)."""
    sim = handle.simulator
    return json.loads(sim.demo.body(ENDPOINTS[path], {}, sim.now_ms()), parse_float=Decimal)


def line_of(text: str, start: str) -> list[str]:
    return next(line for line in text.splitlines() if line.startswith(start)).split()


# --- account -------------------------------------------------------------------------------------------------------


def test_account_table_and_json_are_the_served_strings(simulator: SimulatorHandle) -> None:
    wire = served(simulator, "/papi/v1/account")
    table = run(simulator, "account")
    assert table.exit_code == 0, table.stderr
    assert line_of(table.stdout, "uniMMR") == ["uniMMR", wire["uniMMR"]]
    assert line_of(table.stdout, "equity")[-1] == wire["accountEquity"]
    assert line_of(table.stdout, "maintenance margin")[-1] == wire["accountMaintMargin"]
    assert line_of(table.stdout, "status")[-1] == wire["accountStatus"] == "NORMAL"
    assert "2026-01-01 00:00:00" in table.stdout
    as_json = run(simulator, "account", "--json")
    assert as_json.exit_code == 0, as_json.stderr
    assert json.loads(as_json.stdout) == wire
    assert f'"uniMMR": "{wire["uniMMR"]}"' in as_json.stdout  # a string, never a float


# --- positions -----------------------------------------------------------------------------------------------------


def test_positions_show_the_open_ones_of_both_sides_exactly(simulator: SimulatorHandle) -> None:
    um = served(simulator, "/papi/v1/um/positionRisk")
    cm = served(simulator, "/papi/v1/cm/positionRisk")
    open_cm = [row for row in cm if Decimal(row["positionAmt"]) != 0]
    assert len(open_cm) < len(cm)  # the demo lists a CM symbol without a position
    result = run(simulator, "positions", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"um": um, "cm": open_cm}
    everything = run(simulator, "positions", "--all", "--json")
    assert json.loads(everything.stdout) == {"um": um, "cm": cm}
    table = run(simulator, "positions")
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:4] == ["KIND", "SYMBOL", "SIDE", "AMOUNT"]
    assert len(lines) == 1 + len(um) + len(open_cm)
    row = line_of(table.stdout, "UM ")
    assert row[:7] == ["UM", um[0]["symbol"], um[0]["positionSide"], um[0]["positionAmt"], um[0]["entryPrice"],
                       um[0]["markPrice"], um[0]["unRealizedProfit"]]  # fmt: skip
    assert um[0]["notional"] in row
    assert line_of(table.stdout, "CM ")[3] == open_cm[0]["positionAmt"]
    assert open_cm[0]["notionalValue"] in line_of(table.stdout, "CM ")


# --- snapshot ------------------------------------------------------------------------------------------------------


def test_snapshot_json_holds_the_served_strings_and_the_documented_formulas(simulator: SimulatorHandle) -> None:
    result = run(simulator, "snapshot", "--json")
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    balances = {row["asset"]: row for row in json.loads(simulator.simulator.demo.list_body)}
    um = {row["asset"]: row for row in served(simulator, "/papi/v2/um/account")["assets"]}
    cm = {row["asset"]: row for row in served(simulator, "/papi/v1/cm/account")["assets"]}
    assert [row["asset"] for row in body["assets"]] == list(balances)
    for row in body["assets"]:
        balance = balances[row["asset"]]
        for key in (
            "crossMarginFree",
            "crossMarginLocked",
            "crossMarginBorrowed",
            "umWalletBalance",
            "cmWalletBalance",
        ):
            assert row[key] == balance[key]
        assert row["total"] == balance["totalWalletBalance"]
        if row["asset"] in um:
            assert row["umInitialMargin"] == um[row["asset"]]["initialMargin"]
        if row["asset"] in cm:
            assert row["cmInitialMargin"] == cm[row["asset"]]["initialMargin"]
        used = Decimal(balance["crossMarginLocked"]) + Decimal(row["umInitialMargin"]) + Decimal(row["cmInitialMargin"])
        assert Decimal(row["used"]) == used
        assert Decimal(row["free"]) == Decimal(row["total"]) - used
    usdt = next(row for row in body["assets"] if row["asset"] == "USDT")
    assert (usdt["total"], usdt["used"], usdt["free"]) == ("15250.00000000", "295.25000000", "14954.75000000")
    assert body["account"] == served(simulator, "/papi/v1/account")
    assert body["positions"]["um"] == served(simulator, "/papi/v1/um/positionRisk")
    assert body["weight"] == 56


def test_snapshot_table(simulator: SimulatorHandle) -> None:
    result = run(simulator, "snapshot")
    assert result.exit_code == 0, result.stderr
    account = served(simulator, "/papi/v1/account")
    head = result.stdout.splitlines()[0]
    for key in ("uniMMR", "accountEquity", "accountMaintMargin", "accountStatus"):
        assert account[key] in head
    assert line_of(result.stdout, "USDT")[:4] == ["USDT", "15250.00000000", "295.25000000", "14954.75000000"]
    assert line_of(result.stdout, "UM ")[1] == "BTCUSDT"
    assert "Weight 56" in result.stdout


def test_a_failed_snapshot_part_exits_as_that_part(simulator: SimulatorHandle) -> None:
    simulator.simulator.set_fault("timestamp-1021")
    result = run(simulator, "snapshot")
    assert result.exit_code == 5, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("binance-papi: SnapshotError: account_snapshot: part ")
    assert "-1021" in result.stderr


# --- doctor --------------------------------------------------------------------------------------------------------


def checks(result: Result) -> dict[str, tuple[str, str]]:
    """{check name: (marker, detail)} from the doctor's lines."""
    found = {}
    for line in result.stdout.splitlines():
        marker, rest = line.split(None, 1)
        name = "key type" if rest.startswith("key type") else rest.split()[0]
        found[name] = (marker, rest[len(name) :].strip())
    return found


def test_doctor_all_well_sends_three_light_requests(simulator: SimulatorHandle) -> None:
    result = run(simulator, "doctor")
    assert result.exit_code == 0, result.stdout + result.stderr
    found = checks(result)
    assert list(found) == ["connectivity", "clock", "key type", "credentials", "weight", "ban"]
    assert {marker for marker, _ in found.values()} == {"OK"}
    assert found["key type"][1].startswith("HMAC")
    assert "server - local = " in found["clock"][1]
    sent = [r.path for r in simulator.simulator.requests]
    assert sent == [PING_PATH, TIME_PATH, OPERATIONS[CREDENTIALS_CHECK].path]
    assert OPERATIONS[CREDENTIALS_CHECK].weight == min(op.weight for op in OPERATIONS.values())
    assert found["weight"][1].startswith(f"{simulator.simulator.used_weight()} of 6000")
    used = simulator.simulator.used_weight()
    assert f"; the governor allows {5700 - used} more now (cap 5700 of 6000, next window in " in found["weight"][1]


@pytest.mark.parametrize(
    ("env", "code", "cause"),
    [
        ({"BINANCE_API_SECRET": "W" * 64}, 4, "wrong secret (-1022)"),
        ({"BINANCE_API_KEY": "U" * 64}, 4, "key rejected (-2015)"),
        ({"BINANCE_API_KEY": "short"}, 4, "bad API key format (-2014)"),
    ],
)
def test_doctor_names_the_cause_of_refused_credentials(
    simulator: SimulatorHandle, env: dict[str, str], code: int, cause: str
) -> None:
    result = run(simulator, "doctor", env=env)
    assert result.exit_code == code, result.stdout + result.stderr
    found = checks(result)
    assert found["credentials"][0] == "FAIL"
    assert found["credentials"][1].startswith(cause)
    assert found["connectivity"][0] == found["clock"][0] == "OK"
    if "-2015" in cause:
        detail = found["credentials"][1]
        for words in ("unknown", "Portfolio Margin is not enabled", "127.0.0.1 as Binance saw it", "not whitelisted"):
            assert words in detail


def test_doctor_tells_clock_skew_from_credentials(simulator: SimulatorHandle) -> None:
    simulator.simulator.clock_offset_ms = 30_000
    result = run(simulator, "doctor")
    assert result.exit_code == 5, result.stdout
    found = checks(result)
    assert found["clock"][0] == "FAIL"
    measured = re.search(r"server - local = \+(\d+) ms", found["clock"][1])
    assert measured is not None, found["clock"][1]
    assert abs(int(measured[1]) - 30_000) < 1000  # measured over a round trip: within it of the 30 s set
    assert "-1021" in found["clock"][1]
    assert found["credentials"][0] == "OK"  # signed with the measured offset


def test_doctor_sends_nothing_more_once_rate_limited(simulator: SimulatorHandle) -> None:
    simulator.simulator.weight_limit = 0
    result = run(simulator, "doctor")
    assert result.exit_code == 6, result.stdout
    found = checks(result)
    assert found["connectivity"][0] == "FAIL"
    assert found["clock"] == ("SKIP", "not checked: nothing is sent during a ban")
    assert found["credentials"][0] == "SKIP"
    assert found["ban"][0] == "FAIL"
    assert "rate limited (429)" in found["ban"][1]
    assert [r.path for r in simulator.simulator.requests] == [PING_PATH]


def test_doctor_without_a_server(unused_port: int) -> None:
    result = CliRunner().invoke(
        main, ["doctor", "--base-url", f"http://127.0.0.1:{unused_port}", "--timeout", "2"], env=ENV
    )
    OUTPUTS.append(result.stdout + result.stderr)
    assert result.exit_code == 8
    found = checks(result)
    assert found["connectivity"][0] == "FAIL"
    assert {found[name][0] for name in ("clock", "credentials", "weight", "ban")} == {"SKIP"}


# --- the installed command -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["snapshot", "--json"], ["doctor"], ["account"], ["positions"]])
def test_installed_command(simulator: SimulatorHandle, args: list[str]) -> None:
    command = Path(sys.executable).parent / "binance-papi"
    env = {**os.environ, **ENV, "BINANCE_BASE_URL": simulator.base_url}
    env.pop("BINANCE_PRIVATE_KEY_FILE", None)
    done = subprocess.run([str(command), *args], env=env, capture_output=True, text=True, timeout=60, check=False)
    OUTPUTS.append(done.stdout + done.stderr)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    if args[0] == "snapshot":
        body = json.loads(done.stdout)
        assert body["account"]["uniMMR"] == served(simulator, "/papi/v1/account")["uniMMR"]
    elif args[0] == "doctor":
        assert [line.split()[0] for line in done.stdout.splitlines()] == ["OK"] * 6
    else:
        assert done.stdout.strip()


def test_no_secret_in_any_output(simulator: SimulatorHandle) -> None:
    run(simulator, "doctor")  # at least one run in the record, whatever ran before
    signatures = [r.params().get("signature", "") for r in simulator.simulator.requests]
    text = "\n".join(OUTPUTS)
    for secret in (DEMO_API_SECRET, DEMO_API_KEY, "W" * 64, "U" * 64, *filter(None, signatures)):
        assert secret not in text
