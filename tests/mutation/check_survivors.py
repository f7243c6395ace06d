"""`make mutation`'s verdict: fail when a mutant survived that EQUIVALENT.md does not list.

Run in the mutation copy (.mutation/) after `mutmut run`; the argument is the list of accepted survivors.
EQUIVALENT.md names each accepted mutant in backticks (`module.function__mutmut_N`) with its reason.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path


def main() -> int:
    accepted = set(re.findall(r"`([\w.ǁ]+__mutmut_\d+)`", Path(sys.argv[1]).read_text(encoding="utf-8")))
    mutmut = Path(sys.executable).with_name("mutmut")
    listing = subprocess.run([mutmut, "results", "--all", "true"], capture_output=True, text=True, check=True)
    verdicts = dict(line.strip().rsplit(": ", 1) for line in listing.stdout.splitlines() if ": " in line)
    counts: dict[str, int] = {}
    for verdict in verdicts.values():
        counts[verdict] = counts.get(verdict, 0) + 1
    bad = sorted(n for n, verdict in verdicts.items() if verdict not in ("killed", "timeout") and n not in accepted)
    stale = sorted(accepted - {name for name, verdict in verdicts.items() if verdict == "survived"})
    print("mutants: " + ", ".join(f"{n} {v}" for v, n in sorted(counts.items())))
    print(f"survivors listed in EQUIVALENT.md: {len(accepted) - len(stale)}")
    for name in stale:
        print(f"listed in EQUIVALENT.md but not a survivor (renumbered or killed?): {name}")
    for name in bad:
        print(f"NOT KILLED ({verdicts[name]}): {name}  (mutmut show {name})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
