"""What the hand-written docs, docstrings, comments and config name must exist: every dotted
`binance_papi....` name resolves (module, then attributes) and every extra named (as in "`dev` extra") is in
pyproject.toml. Generated code and the generator's templates are not scanned."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOTTED = re.compile(r"\bbinance_papi(?:\.[A-Za-z_]\w*)+")
EXTRA = re.compile(r"`([\w-]+)` extra\b")
RESOLVE = """
import importlib, json, sys

unresolved = []
for dotted in json.loads(sys.argv[1]):
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:end]))
        except ModuleNotFoundError:
            continue
        break
    try:
        for attribute in parts[end:]:
            found = getattr(found, attribute)
    except AttributeError:
        unresolved.append(dotted)
print(json.dumps(unresolved))
"""


def _texts() -> dict[str, str]:
    files = [ROOT / "README.md", ROOT / "Makefile", ROOT / "pyproject.toml", ROOT / "generator" / "config.yaml"]
    for folder, pattern in (("src", "**/*.py"), ("generator", "*.py"), ("openapi", "*.yaml"), ("scripts", "*.py")):
        files += (ROOT / folder).glob(pattern)
    files += (ROOT / "bench").glob("*.py")
    files += (ROOT / "tests").glob("*.py")
    return {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8") for path in sorted(files)}


def test_every_dotted_binance_papi_name_in_the_text_exists() -> None:
    mentioned: dict[str, set[str]] = {}
    for name, text in _texts().items():
        for dotted in DOTTED.findall(text):
            mentioned.setdefault(dotted, set()).add(name)
    assert "binance_papi.simulator" in mentioned  # the scan sees the text
    # A fresh interpreter: importing the simulator here would load aiohttp into the test process.
    done = subprocess.run(
        [sys.executable, "-c", RESOLVE, json.dumps(sorted(mentioned))], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    stale = {dotted: sorted(mentioned[dotted]) for dotted in json.loads(done.stdout)}
    assert stale == {}, f"names that do not exist (rename them in these files): {stale}"


def test_every_extra_named_in_the_text_exists() -> None:
    extras = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"])
    named = {(extra, name) for name, text in _texts().items() for extra in EXTRA.findall(text)}
    assert named, "the scan sees the text"
    stale = sorted((extra, name) for extra, name in named if extra not in extras)
    assert stale == [], f"extras that pyproject.toml does not define: {stale}"
