"""Run every benchmark in turn (figures, not pass/fail); results land in benchmarks/results/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["bench_sandbox.py", "bench_plan.py", "bench_plan_base.py", "bench_scan.py"]


def main() -> int:
    worst = 0
    for name in BENCHES:
        print(f"== {name}", flush=True)
        worst = max(worst, subprocess.call([sys.executable, str(HERE / name)]))
    return worst


if __name__ == "__main__":
    raise SystemExit(main())
