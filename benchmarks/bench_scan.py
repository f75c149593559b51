"""Scan benchmark: 4 regions vs 1 region, and a re-scan of unchanged inputs vs the first scan.

    .venv/bin/python benchmarks/bench_scan.py                       # fixture plans, repo HCL
    .venv/bin/python benchmarks/bench_scan.py --artifacts .infra --env prod

With ``--artifacts`` the regions are the first four ``ENV/REGION/plan.json`` found there
(copied to a scratch folder, so the real findings.json files are left alone); without it,
four hand-built fixture plans (tests/policy/builders.py) stand in. Every cold scan gets a
fresh cache. Goals (issue 6): 4 regions / 1 region <= 1.5; re-scan / first scan <= 0.1.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from toolkit import scan  # noqa: E402


def _fixture_artifacts(dest: Path, env: str, count: int) -> list[str]:
    from tests.policy import builders

    regions = ["us-east", "us-west", "eu-west", "eu-central"][:count]
    for region in regions:
        builders.write_region(dest, env, region)
    return regions


def _copy_artifacts(src: Path, dest: Path, env: str, count: int) -> list[str]:
    regions = sorted(p.parent.name for p in (src / env).glob("*/plan.json"))[:count]
    if not regions:
        raise SystemExit(f"{src / env}: no REGION/plan.json found")
    for region in regions:
        shutil.copytree(
            src / env / region, dest / env / region, ignore=shutil.ignore_patterns("tfplan", "findings.json")
        )
    return regions


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(project: Path, artifacts: Path, env: str, regions: list[str], cache: Path) -> tuple[float, float, int]:
    """Wall time, CPU time of the checkov process(es), checkov runs."""
    before, cpu = scan.checkov_runs, _children_cpu()
    start = time.perf_counter()
    scan.scan_regions(project, artifacts, env, regions, cache_dir=cache)
    return time.perf_counter() - start, _children_cpu() - cpu, scan.checkov_runs - before


def _best(
    project: Path, artifacts: Path, env: str, regions: list[str], work: Path, repeat: int
) -> tuple[float, float, int]:
    """Fastest of ``repeat`` cold scans (fresh cache each): the machine may be shared."""
    runs = [_timed(project, artifacts, env, regions, work / f"cache-{len(regions)}-{i}") for i in range(repeat)]
    return min(r[0] for r in runs), min(r[1] for r in runs), runs[0][2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", type=Path, help="artifacts dir holding ENV/REGION/plan.json")
    parser.add_argument("--env", default="prod")
    parser.add_argument("--project", type=Path, default=ROOT, help="project root (HCL in modules/, terraform/)")
    parser.add_argument("--repeat", type=int, default=3, help="cold scans per case; the fastest counts")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-scan-") as tmp:
        work = Path(tmp)
        artifacts = work / "artifacts"
        if args.artifacts:
            regions = _copy_artifacts(args.artifacts.resolve(), artifacts, args.env, 4)
        else:
            regions = _fixture_artifacts(artifacts, args.env, 4)
        one, one_cpu, one_runs = _best(args.project, artifacts, args.env, regions[:1], work, args.repeat)
        four, four_cpu, four_runs = _best(args.project, artifacts, args.env, regions, work, args.repeat)
        again, _cpu, again_runs = _timed(args.project, artifacts, args.env, regions, work / f"cache-{len(regions)}-0")

    figures = {
        "regions": regions,
        "scan_1_region_s": round(one, 2),
        "scan_4_regions_s": round(four, 2),
        "rescan_4_regions_s": round(again, 3),
        "ratio_4_over_1": round(four / one, 3),
        "checkov_cpu_1_region_s": round(one_cpu, 2),
        "checkov_cpu_4_regions_s": round(four_cpu, 2),
        "cpu_ratio_4_over_1": round(four_cpu / one_cpu, 3) if one_cpu else None,
        "ratio_rescan_over_first": round(again / four, 4),
        "checkov_runs": {"1_region": one_runs, "4_regions": four_runs, "rescan": again_runs},
        "goals": {"ratio_4_over_1": 1.5, "ratio_rescan_over_first": 0.1},
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"scan 1 region : {one:7.2f} s ({one_runs} checkov run)")
        print(f"scan {len(regions)} regions: {four:7.2f} s ({four_runs} checkov run)")
        print(f"re-scan       : {again:7.3f} s ({again_runs} checkov runs)")
        print(f"4 / 1         : {four / one:7.3f}  (goal <= 1.5; checkov CPU {four_cpu:.1f}s / {one_cpu:.1f}s)")
        print(f"re-scan / 1st : {again / four:7.4f}  (goal <= 0.1)")
    ok = four / one <= 1.5 and again / four <= 0.1
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
