"""The generated client of the balance endpoint alone, for scenario 4b (import time against the whole family).

    python -m bench.balance_only OUTPUT     (OUTPUT/binance_papi_generated; needs the dev venv: yaml, the generator)

The spec is `openapi/papi.yaml` with every path but `/papi/v1/balance` removed; the generator drops the
schemas no remaining operation uses, so the package holds one operation and one model, made by the same
pipeline and templates as the committed one. `run.py` calls this once per spec and generator version and
keeps the result in `.bench-cache/` (git-ignored).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from ._procs import ROOT

BALANCE_PATH = "/papi/v1/balance"


def generate(output: Path) -> None:
    """Write the balance-only `binance_papi_generated` package into `output`."""
    spec = yaml.safe_load((ROOT / "openapi" / "papi.yaml").read_text(encoding="utf-8"))
    spec["paths"] = {BALANCE_PATH: spec["paths"][BALANCE_PATH]}
    with tempfile.TemporaryDirectory() as folder:
        subset = Path(folder) / "balance-only.yaml"
        subset.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
        subprocess.run(
            [sys.executable, str(ROOT / "generator" / "generate.py"), "--spec", str(subset), "--output", str(output)],
            check=True,
            timeout=300,
        )


if __name__ == "__main__":
    generate(Path(sys.argv[1]) / "binance_papi_generated")
