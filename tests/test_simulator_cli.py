"""`python -m binance_papi.simulator --public-key API_KEY=PEM_FILE`: RSA and Ed25519 keys from the command
line, tried the way the README shows, with the `binance-papi` command signing with the private halves."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from binance_papi._cli import main
from binance_papi.simulator import demo_account

RSA_KEY = "R" * 64
ED25519_KEY = "E" * 64


def _write_pair(
    folder: Path, name: str, key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey, passphrase: bytes
) -> tuple[Path, Path]:
    private = folder / f"{name}.pem"
    public = folder / f"{name}.pub.pem"
    encryption = serialization.BestAvailableEncryption(passphrase)
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption))
    public.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return private, public


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("keys")
    return {
        "rsa": _write_pair(folder, "rsa", rsa.generate_private_key(public_exponent=65537, key_size=2048), b"pw-rsa"),
        "ed25519": _write_pair(folder, "ed25519", ed25519.Ed25519PrivateKey.generate(), b"pw-ed"),
    }


@pytest.fixture(scope="module")
def served(keys: dict[str, tuple[Path, Path]]) -> Iterator[str]:
    argv = [sys.executable, "-m", "binance_papi.simulator", "--port", "0"]
    argv += ["--public-key", f"{RSA_KEY}={keys['rsa'][1]}", "--public-key", f"{ED25519_KEY}={keys['ed25519'][1]}"]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.fullmatch(r"PAPI simulator listening on (http://127\.0\.0\.1:\d+)\n", line)
        assert match, line + (process.stderr.read() if process.stderr and process.poll() is not None else "")
        yield match.group(1)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def _balance(base_url: str, api_key: str, private_key: Path, passphrase: str) -> tuple[int, str, str]:
    env = {
        "BINANCE_API_KEY": api_key,
        "BINANCE_API_SECRET": "",
        "BINANCE_PRIVATE_KEY_FILE": str(private_key),
        "BINANCE_PRIVATE_KEY_PASSPHRASE": passphrase,
    }
    result = CliRunner().invoke(main, ["balance", "--json", "--base-url", base_url], env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("kind", "api_key", "passphrase"), [("rsa", RSA_KEY, "pw-rsa"), ("ed25519", ED25519_KEY, "pw-ed")]
)
def test_registered_public_keys_verify_signed_calls(
    served: str, keys: dict[str, tuple[Path, Path]], kind: str, api_key: str, passphrase: str
) -> None:
    code, out, err = _balance(served, api_key, keys[kind][0], passphrase)
    assert code == 0, err
    assert json.loads(out) == json.loads(demo_account().list_body)


def test_a_key_signed_by_another_private_key_is_rejected(served: str, keys: dict[str, tuple[Path, Path]]) -> None:
    code, out, err = _balance(served, ED25519_KEY, keys["rsa"][0], "pw-rsa")
    assert (code, out) == (4, "")
    assert "InvalidSignatureError" in err
    assert "-1022" in err


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("no-equals-sign", "expected API_KEY=PEM_FILE"),
        ("short=x.pem", "64 letters and digits"),
        (f"{RSA_KEY}=/nonexistent/key.pem", "cannot read /nonexistent/key.pem"),
        (f"{RSA_KEY}=PRIVATE", "that is a private key: give its public half"),
    ],
)
def test_bad_public_key_options_are_usage_errors(keys: dict[str, tuple[Path, Path]], value: str, message: str) -> None:
    value = value.replace("PRIVATE", str(keys["rsa"][0]))
    result = subprocess.run(
        [sys.executable, "-m", "binance_papi.simulator", "--public-key", value],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr
