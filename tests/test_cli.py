"""The `binance-papi` command against the simulator: tables and JSON for both shapes, errors, exit codes,
and no secret in any output."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from binance_papi._cli import EXIT_CODES, main
from binance_papi.simulator import DEMO_API_KEY, DEMO_API_SECRET, PublicKeyVerifier, SimulatorHandle

OUTPUTS: list[str] = []  # every output of this module, searched for secrets at the end


def run(handle: SimulatorHandle | None, *args: str, env: dict[str, str] | None = None) -> Result:
    base = ["--base-url", handle.base_url] if handle is not None else []
    environment = {"BINANCE_API_KEY": DEMO_API_KEY, "BINANCE_API_SECRET": DEMO_API_SECRET}
    environment.update(env or {})
    result = CliRunner().invoke(main, ["balance", *args, *base], env=environment, catch_exceptions=False)
    OUTPUTS.append(result.stdout + result.stderr)
    return result


def wire(handle: SimulatorHandle, asset: str | None = None) -> Any:
    body = handle.simulator.demo.list_body if asset is None else handle.simulator.demo.asset_body(asset)
    assert body is not None
    return json.loads(body)


def test_table_of_all_assets(simulator: SimulatorHandle) -> None:
    result = run(simulator)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["ASSET", "TOTAL", "WALLET"]
    expected = wire(simulator)
    assert len(lines) == 1 + len(expected)
    for line, item in zip(lines[1:], expected, strict=True):
        assert line.startswith(item["asset"])
        for key in ("totalWalletBalance", "crossMarginFree", "umWalletBalance", "negativeBalance"):
            assert item[key] in line.split()  # exactly as received
    usdt = next(line for line in lines if line.startswith("USDT"))
    assert "None" not in usdt  # "" stays an empty cell
    assert "2026-01-01 00:00:00" in usdt  # update time in UTC


def test_table_of_one_asset(simulator: SimulatorHandle) -> None:
    result = run(simulator, "--asset", "BTC")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[1].split()[:2] == ["BTC", wire(simulator, "BTC")["totalWalletBalance"]]


@pytest.mark.parametrize("asset", [None, "USDT"])
def test_json_is_exactly_what_binance_sent(simulator: SimulatorHandle, asset: str | None) -> None:
    result = run(simulator, "--json", *(["--asset", asset] if asset else []))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == wire(simulator, asset)
    assert '"0.00000000"' in result.stdout  # strings, never floats


@pytest.mark.parametrize(
    ("setup", "args", "env", "code", "fragments"),
    [
        ("none", [], {"BINANCE_API_SECRET": "W" * 64}, 4, ["InvalidSignatureError", "-1022", "secret or private key"]),
        ("none", [], {"BINANCE_API_KEY": "U" * 64}, 4, ["AuthenticationError", "-2015", "Portfolio Margin is enabled"]),
        ("none", [], {"BINANCE_API_KEY": "short"}, 4, ["AuthenticationError", "-2014"]),
        ("timestamp-1021", [], {}, 5, ["TimestampError", "-1021", "sync the clock"]),
        ("none", ["--asset", "NOPE"], {}, 3, ["BadRequestError", "-1108", "Invalid asset", "upper case"]),
        ("none", ["--asset", "usdt"], {}, 3, ["BadRequestError", "-1108", "upper case"]),
        ("none", ["--recv-window", "70000"], {}, 3, ["RequestValidationError", "recvWindow"]),
        ("wrong-type", [], {}, 9, ["InvalidResponseError", "Balance.totalWalletBalance"]),
        ("503-unavailable", [], {}, 7, ["ServerError", "HTTP 503", "Service Unavailable"]),
        ("none", [], {"BINANCE_API_SECRET": ""}, 3, ["BINANCE_API_SECRET"]),
    ],
)
def test_errors_are_one_clear_line_with_a_distinct_exit_code(
    simulator: SimulatorHandle, setup: str, args: list[str], env: dict[str, str], code: int, fragments: list[str]
) -> None:
    if setup != "none":
        simulator.simulator.set_fault(setup)
    result = run(simulator, *args, env=env)
    assert result.exit_code == code, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("binance-papi: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_network_failure_exit_code(unused_port: int) -> None:
    result = CliRunner().invoke(
        main,
        ["balance", "--base-url", f"http://127.0.0.1:{unused_port}", "--timeout", "2"],
        env={"BINANCE_API_KEY": DEMO_API_KEY, "BINANCE_API_SECRET": DEMO_API_SECRET},
    )
    OUTPUTS.append(result.stdout + result.stderr)
    assert result.exit_code == 8
    assert "TransportError" in result.stderr


def test_private_key_file(simulator: SimulatorHandle, tmp_path: Path) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    api_key = "E" * 64
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    simulator.simulator.add_key(api_key, PublicKeyVerifier(public))
    path = tmp_path / "ed25519.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"hunter22"),
        )
    )
    env = {
        "BINANCE_API_KEY": api_key,
        "BINANCE_API_SECRET": "",
        "BINANCE_PRIVATE_KEY_FILE": str(path),
        "BINANCE_PRIVATE_KEY_PASSPHRASE": "hunter22",
    }
    result = run(simulator, "--json", env=env)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == wire(simulator)
    wrong = run(simulator, env={**env, "BINANCE_PRIVATE_KEY_PASSPHRASE": "nope"})
    assert wrong.exit_code == 3
    assert "wrong passphrase" in wrong.stderr
    assert "hunter22" not in wrong.stderr


def test_base_url_from_the_environment(simulator: SimulatorHandle, unused_port: int) -> None:
    result = run(None, "--asset", "BTC", "--json", env={"BINANCE_BASE_URL": simulator.base_url})
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == wire(simulator, "BTC")
    # The flag wins over the variable.
    elsewhere = {"BINANCE_BASE_URL": f"http://127.0.0.1:{unused_port}"}
    result = run(simulator, "--asset", "BTC", "--json", env=elsewhere)
    assert result.exit_code == 0, result.stderr
    assert len(simulator.simulator.requests) == 2


@pytest.mark.parametrize(
    "args",
    [["--help"], *([command, "--help"] for command in ("balance", "account", "positions", "snapshot", "doctor"))],
)
def test_help_lists_the_environment_and_the_exit_statuses(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0
    text = result.stdout
    for name in (
        "BINANCE_API_KEY",
        "BINANCE_API_SECRET",
        "BINANCE_PRIVATE_KEY_FILE",
        "BINANCE_PRIVATE_KEY_PASSPHRASE",
        "BINANCE_BASE_URL",
    ):
        assert re.search(rf"^ +{name} +\S", text, re.MULTILINE), name
    exit_block = text.split("Exit status:\n", 1)[1]
    described = {int(line.split()[0]) for line in exit_block.splitlines() if line.strip()}
    assert described == {0, 2} | {code for _, code in EXIT_CODES}


def _key_file(tmp_path: Path, passphrase: bytes | None) -> Path:
    """An Ed25519 private key in a PEM file (PKCS#8, encrypted when a passphrase is given)."""
    encryption = serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    path = tmp_path / "ed25519.pem"
    key = ed25519.Ed25519PrivateKey.generate()
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption))
    return path


def test_a_secret_and_a_key_file_together_are_refused(simulator: SimulatorHandle, tmp_path: Path) -> None:
    path = _key_file(tmp_path, None)
    for args, env in (
        (["--private-key-file", str(path)], {}),
        ([], {"BINANCE_PRIVATE_KEY_FILE": str(path)}),
    ):
        result = run(simulator, *args, env=env)  # BINANCE_API_SECRET is set too
        assert result.exit_code == 3, result.stderr
        assert "RequestValidationError" in result.stderr
        assert "BINANCE_API_SECRET" in result.stderr
        assert "give one" in result.stderr
    assert simulator.simulator.requests == []


def test_an_encrypted_key_without_a_terminal_names_the_passphrase_variable(
    simulator: SimulatorHandle, tmp_path: Path
) -> None:
    path = _key_file(tmp_path, b"hunter22")
    env = {"BINANCE_API_SECRET": "", "BINANCE_PRIVATE_KEY_FILE": str(path)}
    result = run(simulator, env=env)  # CliRunner's stdin is not a terminal: no prompt
    assert result.exit_code == 3, result.stderr
    assert "encrypted" in result.stderr
    assert "BINANCE_PRIVATE_KEY_PASSPHRASE" in result.stderr
    assert simulator.simulator.requests == []


def test_no_secret_in_any_output(simulator: SimulatorHandle) -> None:
    run(simulator)  # at least one successful run in the record, whatever ran before
    signatures = [r.params().get("signature", "") for r in simulator.simulator.requests]
    text = "\n".join(OUTPUTS)
    for secret in (DEMO_API_SECRET, DEMO_API_KEY, "W" * 64, "hunter22", *filter(None, signatures)):
        assert secret not in text
