"""`make demo`: start the local simulator, fetch balances (all, then USDT) and the snapshot with the CLI, stop.

Everything stays on 127.0.0.1: the simulator binds a free loopback port and the CLI is pointed at it with
--base-url. The demo account's well-known credentials are passed to the CLI through its environment, the
same way a user passes real ones.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from binance_papi.simulator import DEMO_API_KEY, DEMO_API_SECRET

BIN = Path(sys.executable).parent
START_TIMEOUT = 20.0


def main() -> int:
    """Run the demo; the exit status is the first failing command's, or 0."""
    simulator = subprocess.Popen(
        [sys.executable, "-m", "binance_papi.simulator", "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert simulator.stdout is not None  # noqa: S101  (stdout=PIPE above)
        line = simulator.stdout.readline().strip()
        if not line.startswith("PAPI simulator listening on "):
            print(f"demo: the simulator did not start: {line!r}", file=sys.stderr)
            return 1
        base_url = line.rsplit(" ", 1)[1]
        print(f"Local simulator at {base_url} (demo account; nothing leaves this machine)\n")
        env = {**os.environ, "BINANCE_API_KEY": DEMO_API_KEY, "BINANCE_API_SECRET": DEMO_API_SECRET}
        for title, args in (
            ("All balances", ["balance"]),
            ("One asset: USDT", ["balance", "--asset", "USDT"]),
            ("The account snapshot: per-asset total/used/free, health, positions (six endpoints)", ["snapshot"]),
        ):
            print(f"$ binance-papi {' '.join(args)} --base-url {base_url}")
            print(f"# {title}")
            sys.stdout.flush()
            result = subprocess.run(
                [str(BIN / "binance-papi"), *args, "--base-url", base_url],
                env=env,
                check=False,
                timeout=60,
            )
            print()
            if result.returncode != 0:
                return result.returncode
        return 0
    finally:
        simulator.terminate()
        simulator.wait(timeout=10)


if __name__ == "__main__":
    raise SystemExit(main())
