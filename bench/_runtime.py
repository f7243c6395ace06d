"""A virtual environment with the runtime dependencies only, where the cold-import scenario runs.

The development venv also holds the dev tools, and some change what an import loads: `import httpx` there
also imports rich (and pygments) for httpx's own command line. A user's environment holds only the runtime
dependencies, so both sides of the import scenario run in `.venv-bench-runtime/` (git-ignored). It is built
once from pyproject.toml's `[project] dependencies`, each pinned to the version installed in the running
venv (both venvs then hold the same code), with the project's source folders on its path through a `.pth`
file, as the editable install does (`[tool.hatch.build] dev-mode-dirs`). It is rebuilt when that list, the
folders or the interpreter change. Standard library only, like the rest of the orchestrator.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from ._procs import ROOT

VENV = ROOT / ".venv-bench-runtime"
STAMP_NAME = ".bench-runtime.json"
PTH_NAME = "_binance_papi_bench.pth"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def requirements() -> list[str]:
    """The runtime dependencies, `name==version` as installed here (one `pip install`, no resolution surprises)."""
    project = _pyproject()["project"]
    assert isinstance(project, dict)  # noqa: S101  (pyproject.toml's shape)
    pinned = []
    for dependency in project["dependencies"]:
        match = _NAME.match(dependency)
        if match is None:
            raise RuntimeError(f"cannot read the dependency {dependency!r} in pyproject.toml")
        pinned.append(f"{match.group()}=={metadata.version(match.group())}")
    return sorted(pinned)


def source_dirs() -> list[Path]:
    """The folders the editable install puts on the path (pyproject.toml, `[tool.hatch.build] dev-mode-dirs`)."""
    tool = _pyproject()["tool"]
    assert isinstance(tool, dict)  # noqa: S101  (pyproject.toml's shape)
    return [ROOT / folder for folder in tool["hatch"]["build"]["dev-mode-dirs"]]


def python_in(venv: Path) -> Path:
    return venv / "bin" / "python"


def ensure(venv: Path = VENV) -> Path:
    """The runtime venv's interpreter; creates or refreshes the venv first when needed (a few seconds)."""
    pinned = requirements()
    folders = [str(folder) for folder in source_dirs()]
    wanted = {"python": sys.version, "requirements": pinned, "path": folders}
    stamp = venv / STAMP_NAME
    python = python_in(venv)
    try:
        if python.exists() and json.loads(stamp.read_text()) == wanted:
            return python
    except (OSError, ValueError):
        pass
    print(f"bench: building {venv.name}/ (the runtime dependencies only) for the import scenario", file=sys.stderr)
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    pip = [sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "--quiet", *pinned], check=True, timeout=600)
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    (Path(purelib) / PTH_NAME).write_text("".join(f"{folder}\n" for folder in folders))
    stamp.write_text(json.dumps(wanted))
    return python
