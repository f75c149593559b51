# ruff: noqa: E402  (the script puts the project root on sys.path before importing it)
"""Benchmark of the sandbox provider (a script, not a test).

Measures, with the real embedded Terraform and the real plugin:

- plugin start time: process spawn to go-plugin handshake line (schema cache warm);
- ``validate`` and ``plan`` time of a stack with the full hashicorp/aws schema
  (default: the test fixture stack; ``--stack DIR --var-file FILE`` for another,
  e.g. ``--stack terraform --var-file .infra/prod/us-east/terraform.tfvars.json``);
- the same plan with one reattached provider server (``infra_sandbox.reattach``);
- ``plan`` time of a provider-less stack with as many ``terraform_data``
  resources as the sandbox plan has, and the ratio between the two plans.

Prints a table and writes JSON (``--json``, default ``.infra/bench/sandbox.json``).

    .venv/bin/python benchmarks/bench_sandbox.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infra_sandbox.install import (
    install,
    prepare_workdir,
    stage_tree,
    use_local_backend,
)
from infra_sandbox.reattach import reattached_provider
from infra_sandbox.server import MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE
from toolkit.adapters.terraform.runner import Terraform, engine_info
from toolkit.fsutil import atomic_write_json

DEFAULT_SCHEMA = ROOT.parent / "shared" / "schemas" / "terraform" / "hashicorp-aws-6.47.0.json"
FIXTURE = ROOT / "tests" / "sandbox" / "fixtures" / "stack"


def plugin_start(plugin: Path, env: dict[str, str]) -> float:
    full = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")}
    full.update(env)
    full[MAGIC_COOKIE_KEY] = MAGIC_COOKIE_VALUE
    full["PLUGIN_PROTOCOL_VERSIONS"] = "6"
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(plugin)], env=full, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.kill()
    proc.wait()
    if "|grpc|" not in line:
        raise SystemExit(f"plugin did not hand shake: {line!r}")
    return elapsed


def timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def stage(stack: Path, dest: Path) -> Path:
    """Copy the stack (and a sibling modules/ dir) and give it a local backend."""
    stack = stack.resolve()
    if (stack.parent / "modules").is_dir() and stack.name != "modules":
        stage_tree(stack.parent, dest, (stack.name, "modules"))
        work = dest / stack.name
    else:
        work = prepare_workdir(stack, dest / stack.name)
    use_local_backend(work)
    return work


def provider_less_stack(dest: Path, count: int) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    blocks = [
        f'resource "terraform_data" "r{i}" {{\n  input = {{ index = {i}, name = "r{i}" }}\n}}\n' for i in range(count)
    ]
    (dest / "main.tf").write_text("\n".join(blocks))
    return dest


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stack", type=Path, default=FIXTURE)
    ap.add_argument("--var-file", type=Path, default=None)
    ap.add_argument("--schema", type=Path, default=Path(os.environ.get("INFRA_PROVIDER_SCHEMA") or DEFAULT_SCHEMA))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, default=ROOT / ".infra" / "bench" / "sandbox.json")
    args = ap.parse_args()
    var_file = args.var_file
    if var_file is None and args.stack.resolve() == FIXTURE:
        var_file = FIXTURE / "sandbox.tfvars.json"

    with tempfile.TemporaryDirectory(prefix="infra-bench-") as tmp:
        tmpdir = Path(tmp)
        t_install, inst = timed(lambda: install(args.schema, tmpdir / "cache"))  # cold: converts the schema
        env = inst.env()
        starts = [plugin_start(inst.plugin_path, env) for _ in range(max(args.repeat, 3))]

        work = stage(args.stack, tmpdir / "stack")
        tf = Terraform(work, env=env)
        t_init, _ = timed(lambda: tf.init())
        validate_times, plan_times = [], []
        resources = 0
        vfs = [var_file.resolve()] if var_file else []
        for _ in range(args.repeat):
            t, res = timed(tf.validate)
            if not res.valid:
                raise SystemExit("validate failed: " + "; ".join(d.one_line() for d in res.errors))
            validate_times.append(t)
            t, _ = timed(lambda: tf.plan(work / "tfplan", var_files=vfs))
            plan_times.append(t)
        reattach_times = []
        with reattached_provider(inst) as reattach_env:
            tf_re = Terraform(work, env={**env, **reattach_env})
            for _ in range(args.repeat):
                t, _ = timed(lambda: tf_re.plan(work / "tfplan-r", var_files=vfs))
                reattach_times.append(t)
        plan_json = tf.show_json(work / "tfplan")
        resources = sum(1 for rc in plan_json.get("resource_changes", []) if rc.get("mode") == "managed")

        plain = provider_less_stack(tmpdir / "plain", max(resources, 1))
        tf_plain = Terraform(plain, env={"TF_CLI_CONFIG_FILE": os.devnull})
        tf_plain.init(backend=False)
        plain_times = []
        for _ in range(args.repeat):
            t, _ = timed(lambda: tf_plain.plan(plain / "tfplan"))
            plain_times.append(t)

    med = statistics.median
    figures: dict[str, Any] = {
        "engine": engine_info(),
        "stack": str(args.stack),
        "schema": str(args.schema),
        "schema_sha256": inst.schema_sha256,
        "managed_resources_planned": resources,
        "repeat": args.repeat,
        "install_cold_s": round(t_install, 3),
        "plugin_start_s": round(med(starts), 3),
        "init_s": round(t_init, 3),
        "validate_s": round(med(validate_times), 3),
        "sandbox_plan_s": round(med(plan_times), 3),
        "sandbox_plan_reattached_s": round(med(reattach_times), 3),
        "plain_plan_s": round(med(plain_times), 3),
        "plan_ratio": round(med(plan_times) / med(plain_times), 2),
        "plan_ratio_reattached": round(med(reattach_times) / med(plain_times), 2),
    }
    rows = [
        ("plugin start (spawn -> handshake)", f"{figures['plugin_start_s']:.3f} s"),
        ("install (cold schema conversion)", f"{figures['install_cold_s']:.3f} s"),
        ("terraform init", f"{figures['init_s']:.3f} s"),
        ("terraform validate (full schema)", f"{figures['validate_s']:.3f} s"),
        (f"sandbox plan ({resources} resources)", f"{figures['sandbox_plan_s']:.3f} s"),
        (f"plain plan ({resources} terraform_data)", f"{figures['plain_plan_s']:.3f} s"),
        ("sandbox plan, reattached provider", f"{figures['sandbox_plan_reattached_s']:.3f} s"),
        ("ratio sandbox / plain plan", f"{figures['plan_ratio']:.2f}x"),
        ("ratio reattached / plain plan", f"{figures['plan_ratio_reattached']:.2f}x"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  value  (median of {args.repeat})")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    atomic_write_json(args.json, figures)
    print(f"written {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
