"""Benchmark of `infra plan --base REF` against a plain sandbox plan, one region, in one run.

A temporary git repository holds a copy of the project: commit BASE, then a "PR" commit that
bumps the EKS version of staging/us-east. Each measured run uses fresh artifacts (--no-scan,
so the figures are the plans, not checkov):

  plain   infra plan us-east --env staging --sandbox                  (from empty local state)
  first   infra plan us-east --env staging --sandbox --base BASE      (base state not cached:
          export, render, plan and apply of BASE, then the plan of the PR against it)
  cached  the same with the base state cached (a second run, or CI with the cache restored)

Reports first/plain and cached/plain (medians) and the peak RSS of each process tree.
The sandbox provider's mirror and schema cache are warmed once before measuring.

    .venv/bin/python benchmarks/bench_plan_base.py [--repeat 3] [--json-out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import Run, median, run

REPO = Path(__file__).resolve().parents[1]
INFRA = str(Path(sys.executable).parent / "infra")
GIT = ["git", "-c", "user.email=bench@example.com", "-c", "user.name=bench", "-c", "commit.gpgsign=false"]


def make_repo(dest: Path) -> str:
    """The project copy with two commits; returns the base commit."""
    for sub in ("environments", "terraform", "modules", "policy"):
        shutil.copytree(REPO / sub, dest / sub, ignore=shutil.ignore_patterns(".terraform", ".infra", "*.tfstate*"))

    def git(*args: str) -> str:
        return subprocess.run([*GIT, "-C", str(dest), *args], check=True, capture_output=True, text=True).stdout

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-qm", "base")
    base = git("rev-parse", "HEAD").strip()
    region = dest / "environments" / "staging" / "us-east.yaml"
    region.write_text(region.read_text() + 'eks:\n  kubernetes_version: "1.34"\n')
    git("commit", "-qam", "pr")
    return base


def plan(project: Path, artifacts: Path, env: dict[str, str], *extra: str) -> Run:
    return run([INFRA, "--project", str(project), "--artifacts", str(artifacts), "plan", "us-east", "--env",
                "staging", "--sandbox", "--no-scan", *extra], env=env)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json-out", type=Path, default=REPO / "benchmarks" / "results" / "plan_base.json")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-plan-base-"))
    cache = tmp / "cache"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "INFRA_"))}
    env.update({"INFRA_CACHE_DIR": str(cache), "NO_COLOR": "1", "TF_IN_AUTOMATION": "1", "PYTHONPATH": str(REPO),
                "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    if os.environ.get("INFRA_PROVIDER_SCHEMA"):
        env["INFRA_PROVIDER_SCHEMA"] = os.environ["INFRA_PROVIDER_SCHEMA"]
    project = tmp / "project"
    base = make_repo(project)
    warm = plan(project, tmp / "warm", env)  # the provider mirror and schema cache, once

    plain: list[Run] = []
    first: list[Run] = []
    cached: list[Run] = []
    for i in range(args.repeat):
        plain.append(plan(project, tmp / f"plain{i}", env))
        shutil.rmtree(cache / "base", ignore_errors=True)  # the base state (and export) not cached
        first.append(plan(project, tmp / f"first{i}", env, "--base", base))
        cached.append(plan(project, tmp / f"cached{i}", env, "--base", base))
    failures = [r for r in [warm, *plain, *first, *cached] if r.returncode != 0]
    result: dict[str, object] = {
        "repeat": args.repeat,
        "cores": os.cpu_count(),
        "plain_sandbox_plan_s": median([r.seconds for r in plain]),
        "base_plan_first_s": median([r.seconds for r in first]),
        "base_plan_cached_s": median([r.seconds for r in cached]),
        "peak_rss_mib": {"plain": max(r.peak_rss_mib for r in plain), "first": max(r.peak_rss_mib for r in first),
                         "cached": max(r.peak_rss_mib for r in cached)},
        "nonzero_exits": len(failures),
    }
    plain_s = float(result["plain_sandbox_plan_s"])  # type: ignore[arg-type]
    result["ratio_base_first_over_plain"] = float(result["base_plan_first_s"]) / plain_s  # type: ignore[arg-type]
    result["ratio_base_cached_over_plain"] = float(result["base_plan_cached_s"]) / plain_s  # type: ignore[arg-type]
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(result, indent=2) + "\n")
    width = max(len(k) for k in result)
    for key, value in result.items():
        shown = json.dumps(value) if isinstance(value, dict) else round(value, 3) if isinstance(value, float) else value
        print(f"{key:<{width}}  {shown}")
    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
