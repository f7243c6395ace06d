"""The benchmark's report and its import-scenario venv: what `make test` (quick mode) and `make bench` show."""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import pytest

from bench import _runtime
from bench._report import Results, passed, table

ROOT = Path(__file__).resolve().parent.parent
DEV_TOOLS = {"pytest", "mypy", "ruff", "openapi-python-client", "hypothesis", "schemathesis", "build", "rich"}


def _results(ours_ms: float) -> Results:
    results = Results()
    for sample in (100.0, 101.0, 99.0, 100.0):
        results.add("import", "httpx", sample)
        results.add("import", "ours", ours_ms)
    return results


@pytest.mark.parametrize("enforced", [False, True])
def test_a_missed_target_says_fail_only_when_enforced(enforced: bool) -> None:
    missed = _results(ours_ms=200.0).evaluate()  # 2x, target <= 1.3x
    assert not passed(missed)
    text = table(missed, enforced)
    if enforced:
        assert "FAIL" in text
    else:
        assert "FAIL" not in text.upper()
        assert "misses target (not enforced in quick mode)" in text


@pytest.mark.parametrize("enforced", [False, True])
def test_a_met_target(enforced: bool) -> None:
    met = _results(ours_ms=110.0).evaluate()
    assert passed(met)
    text = table(met, enforced)
    assert "FAIL" not in text.upper()
    assert ("PASS" if enforced else "within target") in text


@pytest.mark.parametrize(("ours_ms", "met"), [(104.0, True), (106.0, False)])
@pytest.mark.parametrize("enforced", [False, True])
def test_a_difference_target_compares_ours_minus_the_other(ours_ms: float, met: bool, enforced: bool) -> None:
    """Scenario 4b: the whole family may import at most 5 ms slower than the balance endpoint alone."""
    results = Results()
    for sample in (100.0, 101.0, 99.0, 100.0):
        results.add("import_family", "balance", sample)
        results.add("import_family", "ours", ours_ms)
    evaluated = results.evaluate()
    [target] = evaluated["import_family"]["targets"]
    assert target["diff"] == ours_ms - 100.0
    assert passed(evaluated) is met
    text = table(evaluated, enforced)
    assert f"+{ours_ms - 100.0:.2f}" in text
    assert ("FAIL" in text.upper()) is (enforced and not met)


def test_the_import_venv_holds_the_runtime_dependencies_only(tmp_path: Path) -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pinned = _runtime.requirements()
    assert len(pinned) == len(declared)
    assert all("==" in requirement for requirement in pinned)

    venv = tmp_path / "runtime"
    python = _runtime.ensure(venv)
    stamp = (venv / _runtime.STAMP_NAME).stat().st_mtime_ns
    assert _runtime.ensure(venv) == python  # cached: not rebuilt
    assert (venv / _runtime.STAMP_NAME).stat().st_mtime_ns == stamp

    listed = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m, json; print(json.dumps([d.name for d in m.distributions()]))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    installed = {name.lower() for name in json.loads(listed.stdout)}
    assert {requirement.split("==")[0].lower() for requirement in pinned} <= installed
    assert installed & DEV_TOOLS == set()

    # Both sides of the scenario import there; ours from the work tree, as the editable install does.
    probe = "import sys, httpx, binance_papi; print(json.dumps([binance_papi.__file__, 'rich' in sys.modules]))"
    loaded = subprocess.run(
        [str(python), "-c", f"import json; {probe}"], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    module, rich_loaded = json.loads(loaded.stdout)
    assert Path(module).is_relative_to(ROOT / "src")
    assert rich_loaded is False
