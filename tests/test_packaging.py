"""The package as a user installs it.

`python -m build` (the `build` pinned in the dev extra, `make dist`) makes the sdist and then the wheel from
that sdist, so a file missing from the sdist breaks the wheel. The wheel is checked (top-level names,
metadata, licence), then installed into a fresh virtual environment with the runtime dependencies only
(pip fetches them, from its cache when it can), where a signed balance call and the `binance-papi` command
run against the simulator from a subprocess, outside the repository.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from email.parser import HeaderParser
from pathlib import Path

import pytest

from binance_papi.simulator import DEMO_API_KEY, DEMO_API_SECRET, SimulatorHandle

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
DEV_TOOLS = {"pytest", "mypy", "ruff", "openapi-python-client", "hypothesis", "schemathesis", "build", "pyyaml"}

CALL = """
import json, os, sys
import binance_papi
from binance_papi import signed_client

with signed_client(os.environ["KEY"], os.environ["SECRET"], base_url=sys.argv[1]) as client:
    usdt = client.get_balance(asset="USDT")
print(json.dumps({
    "module": binance_papi.__file__,
    "total_wallet_balance": repr(usdt.total_wallet_balance),
    "cm_unrealized_pnl": repr(usdt.cm_unrealized_pnl),
    "wire": usdt.to_dict(),
}))
"""


@dataclass(frozen=True)
class Dists:
    wheel: Path
    sdist: Path


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    out = tmp_path_factory.mktemp("dist")
    _ok([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)])
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return Dists(wheel, sdist)


def _ok(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run `argv` (at most 5 minutes); its stdout, or a failure showing its output."""
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False, cwd=cwd, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _wheel_text(wheel: Path, name: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        (member,) = (n for n in archive.namelist() if n.endswith(f".dist-info/{name}"))
        return archive.read(member).decode("utf-8")


def test_every_top_level_name_in_the_wheel_starts_with_binance_papi(dists: Dists) -> None:
    recorded = [line.split(",")[0] for line in _wheel_text(dists.wheel, "RECORD").splitlines() if line]
    with zipfile.ZipFile(dists.wheel) as archive:
        assert sorted(recorded) == sorted(archive.namelist())
    top = {path.split("/")[0] for path in recorded}
    installed = {name.removesuffix(".py") for name in top if not name.endswith((".dist-info", ".data"))}
    assert "binance_papi" in installed
    foreign = sorted(name for name in installed if not name.startswith("binance_papi"))
    assert foreign == [], f"the wheel installs top-level names another package could clash with: {foreign}"


def test_wheel_metadata_and_sdist_contents(dists: Dists) -> None:
    metadata = HeaderParser().parsestr(_wheel_text(dists.wheel, "METADATA"))
    project = PYPROJECT["project"]
    assert metadata["License-Expression"] == project["license"] == "MIT"
    assert _wheel_text(dists.wheel, "licenses/LICENSE") == (ROOT / "LICENSE").read_text()
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert metadata["Requires-Python"] == ">=3.11"
    classifiers = metadata.get_all("Classifier") or []
    for version in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in classifiers
    assert "Typing :: Typed" in classifiers
    runtime = sorted(r for r in metadata.get_all("Requires-Dist") or [] if "extra ==" not in r)
    assert len(runtime) == len(project["dependencies"])  # the dev tools only under the `dev` extra
    assert "binance-papi = binance_papi._cli:main" in _wheel_text(dists.wheel, "entry_points.txt")
    with zipfile.ZipFile(dists.wheel) as archive:
        assert "binance_papi/py.typed" in archive.namelist()
    with tarfile.open(dists.sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "README.md", "pyproject.toml", "openapi/papi.yaml"} <= names
    assert not any(name.startswith((".venv", "bench/results/", "dist/")) for name in names)


def test_the_wheel_in_a_clean_venv_makes_a_signed_call(
    dists: Dists, simulator: SimulatorHandle, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    _ok([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check"]
    _ok([*pip, "install", "--quiet", str(dists.wheel)])
    names = {item["name"].lower() for item in json.loads(_ok([*pip, "list", "--format=json"]))}
    assert "binance-papi" in names
    assert names & DEV_TOOLS == set()

    # -I: no PYTHON* variables, no user site, not the current directory; run from outside the repository.
    env = {"PATH": os.environ.get("PATH", ""), "KEY": DEMO_API_KEY, "SECRET": DEMO_API_SECRET}
    result = json.loads(_ok([str(python), "-I", "-c", CALL, simulator.base_url], cwd=tmp_path, env=env))
    assert Path(result["module"]).is_relative_to(venv)
    wire = json.loads(simulator.simulator.demo.asset_body("USDT") or b"")
    assert result["wire"] == wire
    assert result["total_wallet_balance"] == repr(Decimal(wire["totalWalletBalance"]))
    assert wire["cmUnrealizedPNL"] == ""  # the demo's USDT: Binance's "no value"
    assert result["cm_unrealized_pnl"] == "None"
    (request,) = simulator.simulator.requests
    assert request.status == 200
    assert "signature" in request.params()

    cli_env = {**env, "BINANCE_API_KEY": DEMO_API_KEY, "BINANCE_API_SECRET": DEMO_API_SECRET}
    command = [str(venv / "bin" / "binance-papi"), "balance", "--json", "--base-url", simulator.base_url]
    assert json.loads(_ok(command, cwd=tmp_path, env=cli_env)) == json.loads(simulator.simulator.demo.list_body)
