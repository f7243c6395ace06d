"""`make demo` runs in CI: the same script, end to end (simulator process + CLI process on loopback)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from binance_papi.simulator import DEMO_API_SECRET

DEMO = Path(__file__).resolve().parent.parent / "scripts" / "demo.py"


def test_demo_prints_tables_and_exits_zero() -> None:
    result = subprocess.run([sys.executable, str(DEMO)], capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Local simulator at http://127.0.0.1:" in out
    tables = [line for line in out.splitlines() if line.startswith("ASSET")]
    assert len(tables) == 3  # all balances, USDT alone, then the snapshot's assets
    assert tables[2].split()[:4] == ["ASSET", "TOTAL", "USED", "FREE"]
    usdt = [line.split() for line in out.splitlines() if line.startswith("USDT ")]
    assert len(usdt) == 3
    assert usdt[2][:4] == ["USDT", "15250.00000000", "295.25000000", "14954.75000000"]  # total, used, free
    assert "15250.00000000" in out  # the demo account's USDT total, exactly as sent
    assert "$ binance-papi snapshot --base-url" in out
    assert DEMO_API_SECRET not in out + result.stderr
