"""Benchmark of `infra plan` (issue 5), ratios measured in one run on one machine.

  A  infra plan us-east --env prod            (render, init, plan, show, summary, scan)
  B  infra plan --all --env prod              (4 regions in parallel, one scan)
  C  the raw tools by hand for us-east: terraform init, plan -out, show -json with the
     same embedded Terraform and sandbox provider, then checkov on the plan JSON with
     the same custom checks

Reports B/A (goal <= 2.2) and A/C (goal <= 1.0) three ways:
  first   an empty toolkit cache (~/.cache/infra: provider mirror, schema, scan results)
          and fresh artifacts: the first run on a new machine;
  cold    fresh artifacts, the toolkit cache kept (a new checkout or CI job with the cache
          restored: the modules' HCL scan is a cache hit while they are unchanged);
  warm    the same artifacts again (a user re-planning: init skipped when unchanged);
and the peak RSS of each process tree. Figures, not pass/fail.

    .venv/bin/python benchmarks/bench_plan.py [--repeat 3] [--json-out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import Run, median, run

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
INFRA = str(VENV_BIN / "infra")


def infra_plan(artifacts: Path, env: dict[str, str], *regions: str) -> Run:
    args = [INFRA, "--project", str(REPO), "--artifacts", str(artifacts), "plan", *regions, "--env", "prod",
            "--sandbox", "--parallelism", str(os.cpu_count() or 2)]
    return run(args, env=env)


def raw_tools(work: Path, env: dict[str, str], rendered: Path) -> Run:
    """init + plan + show -json + checkov, each as a user would type them."""
    script = work / "raw.sh"
    stack = work / "terraform"
    plan_json = work / "plan.json"
    checks = REPO / "policy" / "checks"
    tf = f"{sys.executable} -m toolkit.adapters.terraform.engine -chdir={stack}"
    script.write_text(
        "set -e\n"
        f"{tf} init -input=false -no-color >/dev/null\n"
        f"{tf} plan -input=false -no-color -out={work}/tfplan -var-file={rendered}/terraform.tfvars.json >/dev/null\n"
        f"{tf} show -json {work}/tfplan > {plan_json}\n"
        f"{VENV_BIN}/checkov -f {plan_json} --framework terraform_plan --skip-download --quiet --compact "
        + (f"--external-checks-dir {checks} " if checks.is_dir() else "")
        + f"--repo-root-for-plan-enrichment {REPO} >/dev/null || true\n")
    return run(["bash", str(script)], env=env)


def stage_raw(work: Path, state: Path) -> None:
    stack = work / "terraform"
    if stack.exists():
        shutil.rmtree(work)
    stack.mkdir(parents=True)
    for tf in (REPO / "terraform").glob("*.tf"):
        shutil.copy2(tf, stack / tf.name)
    (work / "modules").symlink_to(REPO / "modules", target_is_directory=True)
    (stack / "backend_override.tf").write_text(
        'terraform {\n  backend "local" {\n    path = "%s"\n  }\n}\n' % state)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json-out", type=Path, default=REPO / "benchmarks" / "results" / "plan.json")
    args = ap.parse_args()

    schema = os.environ.get("INFRA_PROVIDER_SCHEMA") or str(
        REPO.parent / "shared" / "schemas" / "terraform" / "hashicorp-aws-6.47.0.json")
    tmp = Path(tempfile.mkdtemp(prefix="bench-plan-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"INFRA_PROVIDER_SCHEMA": schema, "INFRA_CACHE_DIR": str(tmp / "cache"), "NO_COLOR": "1",
                "TF_IN_AUTOMATION": "1", "PYTHONPATH": str(REPO)})

    # Warm-up: builds the sandbox's schema cache and the mirror once, for both sides.
    infra_plan(tmp / "warm", env, "us-east")
    from infra_sandbox import install

    sandbox_env = install(Path(schema), tmp / "cache").env()
    raw_env = env | sandbox_env | {"INFRA_SANDBOX_ACCOUNT_ID": "210987654321"}
    rendered = tmp / "warm" / "prod" / "us-east"

    first_a: list[Run] = []
    cold_a: list[Run] = []
    cold_b: list[Run] = []
    raw: list[Run] = []
    warm_a: list[Run] = []
    for i in range(args.repeat):
        first_a.append(infra_plan(tmp / f"f{i}", env | {"INFRA_CACHE_DIR": str(tmp / f"cache-first{i}")}, "us-east"))
        a_dir = tmp / f"a{i}"
        cold_a.append(infra_plan(a_dir, env, "us-east"))
        warm_a.append(infra_plan(a_dir, env, "us-east"))
        cold_b.append(infra_plan(tmp / f"b{i}", env, "--all"))
        work = tmp / f"raw{i}"
        stage_raw(work, work / "state.tfstate")
        raw.append(raw_tools(work, raw_env, rendered))
    failures = [r for r in first_a + cold_a + cold_b + raw + warm_a if r.returncode not in (0,)]
    result = {
        "repeat": args.repeat,
        "cores": os.cpu_count(),
        "infra_plan_one_region_first_s": median([r.seconds for r in first_a]),
        "infra_plan_one_region_cold_s": median([r.seconds for r in cold_a]),
        "infra_plan_one_region_warm_s": median([r.seconds for r in warm_a]),
        "infra_plan_all_4_regions_cold_s": median([r.seconds for r in cold_b]),
        "raw_tools_one_region_s": median([r.seconds for r in raw]),
        "peak_rss_mib": {"one_region": max(r.peak_rss_mib for r in first_a + cold_a),
                         "all_regions": max(r.peak_rss_mib for r in cold_b),
                         "raw_tools": max(r.peak_rss_mib for r in raw)},
        "nonzero_exits": len(failures),
    }
    result["ratio_all_over_one"] = result["infra_plan_all_4_regions_cold_s"] / result["infra_plan_one_region_cold_s"]
    result["ratio_infra_over_raw_first"] = result["infra_plan_one_region_first_s"] / result["raw_tools_one_region_s"]
    result["ratio_infra_over_raw_cold"] = result["infra_plan_one_region_cold_s"] / result["raw_tools_one_region_s"]
    result["ratio_infra_over_raw_warm"] = result["infra_plan_one_region_warm_s"] / result["raw_tools_one_region_s"]
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(result, indent=2) + "\n")
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {json.dumps(value) if isinstance(value, dict) else round(value, 3) if isinstance(value, float) else value}")
    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
