"""Running the real Terraform and the real hashicorp/aws provider offline.

Everything here works without network access: the provider comes from a filesystem
mirror, credentials are fake and every check that would call AWS is switched off.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

MIRROR = Path(os.environ.get("PF_PLUGIN_MIRROR", "/opt/tf-plugins"))
PROVIDER_SOURCE = "registry.terraform.io/hashicorp/aws"
ORACLE_VERSION = os.environ.get("PF_ORACLE_VERSION", "5.100.0")
TERRAFORM = os.environ.get("PF_TERRAFORM", "terraform")
TERRAFORM_VERSION = "1.11.4"

PROVIDER_BLOCK = """provider "aws" {
  region                      = "us-east-1"
  access_key                  = "x"
  secret_key                  = "y"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  max_retries                 = 1
}
"""

CLI_CONFIG = """provider_installation {
  filesystem_mirror {
    path    = "%s"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
"""


def log(msg: str) -> None:
    if os.environ.get("PF_QUIET") != "1":
        print(msg, file=sys.stderr, flush=True)


class ToolMissing(SystemExit):
    pass


def provider_binary(version: str = ORACLE_VERSION) -> Path:
    return (MIRROR / PROVIDER_SOURCE / version / "linux_amd64"
            / f"terraform-provider-aws_v{version}_x5")


def check_tools() -> str:
    """Fail clearly when terraform or the provider binary is missing. Returns terraform's version."""
    binary = provider_binary()
    if not binary.is_file():
        raise ToolMissing(
            f"error: the real hashicorp/aws {ORACLE_VERSION} provider binary is missing: {binary}\n"
            f"  Put it in a filesystem mirror at {MIRROR} (or set PF_PLUGIN_MIRROR), e.g. on a\n"
            f"  networked machine: terraform providers mirror -platform=linux_amd64 {MIRROR}\n"
            f"  with a configuration that requires hashicorp/aws = {ORACLE_VERSION}.")
    exe = shutil.which(TERRAFORM)
    if not exe:
        raise ToolMissing(f"error: terraform ({TERRAFORM_VERSION}) is not on PATH (or set PF_TERRAFORM)")
    out = subprocess.run([exe, "version", "-json"], capture_output=True, text=True,
                         env=tf_env(None))
    try:
        version = json.loads(out.stdout)["terraform_version"]
    except (ValueError, KeyError):
        raise ToolMissing(f"error: could not run {exe} version -json: {out.stderr.strip()}")
    if version != TERRAFORM_VERSION:
        print(f"warning: terraform {version}, the recorded facts were made with {TERRAFORM_VERSION}",
              file=sys.stderr)
    return version


_CLI_CONFIG_PATH: Path | None = None


def setup(work: Path) -> None:
    """Write our own CLI config (the environment's TF_CLI_CONFIG_FILE may not exist)."""
    global _CLI_CONFIG_PATH
    work.mkdir(parents=True, exist_ok=True)
    path = work / "terraformrc"
    path.write_text(CLI_CONFIG % MIRROR)
    _CLI_CONFIG_PATH = path


def tf_env(work_cli: Path | None) -> dict:
    env = dict(os.environ)
    if _CLI_CONFIG_PATH is not None:
        env["TF_CLI_CONFIG_FILE"] = str(_CLI_CONFIG_PATH)
    env["TF_IN_AUTOMATION"] = "1"
    env["CHECKPOINT_DISABLE"] = "1"
    env["TF_INPUT"] = "0"
    for k in ("TF_LOG", "TF_LOG_PATH", "AWS_PROFILE", "AWS_CONFIG_FILE", "TF_WORKSPACE",
              "TF_DATA_DIR", "TF_PLUGIN_CACHE_DIR"):
        env.pop(k, None)
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    return env


def versions_tf(version: str = ORACLE_VERSION) -> str:
    return ('terraform {\n  required_providers {\n    aws = {\n      source  = "hashicorp/aws"\n'
            f'      version = "{version}"\n    }}\n  }}\n}}\n\n' + PROVIDER_BLOCK)


def run(args: list[str], cwd: Path, check: bool = True, timeout: int = 1800) -> subprocess.CompletedProcess:
    proc = subprocess.run([TERRAFORM, *args], cwd=cwd, capture_output=True, text=True,
                          env=tf_env(None), timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"terraform {' '.join(args)} failed in {cwd}:\n{proc.stderr[-4000:]}")
    return proc


_INIT_DIR: Path | None = None


def init_shared(work: Path) -> Path:
    """`terraform init` once; every other directory reuses its .terraform and lock file."""
    global _INIT_DIR
    d = work / "_init"
    if not (d / ".terraform.lock.hcl").is_file():
        d.mkdir(parents=True, exist_ok=True)
        (d / "versions.tf").write_text(versions_tf())
        run(["init", "-input=false", "-no-color", "-backend=false"], d)
    _INIT_DIR = d
    return d


def workdir(work: Path, name: str) -> Path:
    """A fresh directory that shares the initialised provider."""
    assert _INIT_DIR is not None, "init_shared first"
    d = work / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    (d / ".terraform").symlink_to(_INIT_DIR / ".terraform")
    shutil.copy(_INIT_DIR / ".terraform.lock.hcl", d / ".terraform.lock.hcl")
    (d / "versions.tf").write_text(versions_tf())
    return d


def validate(d: Path) -> dict:
    proc = run(["validate", "-json", "-no-color"], d, check=False)
    try:
        return json.loads(proc.stdout)
    except ValueError:
        raise RuntimeError(f"terraform validate gave no JSON in {d}:\n{proc.stderr[-4000:]}")


def plan(d: Path, state: Path | None = None) -> tuple[dict | None, list[dict]]:
    """Plan with -refresh=false. Returns (plan JSON or None, diagnostics)."""
    args = ["plan", "-refresh=false", "-input=false", "-lock=false", "-json", "-out=plan.bin"]
    if state is not None:
        args.append(f"-state={state}")
    proc = run(args, d, check=False)
    diags = []
    for line in proc.stdout.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("type") == "diagnostic":
            diags.append(msg["diagnostic"])
    if proc.returncode != 0:
        if not diags:
            diags.append({"severity": "error", "summary": "terraform plan failed",
                          "detail": proc.stderr[-2000:]})
        return None, diags
    show = run(["show", "-json", "plan.bin"], d)
    return json.loads(show.stdout), diags


def providers_schema(d: Path) -> dict:
    proc = run(["providers", "schema", "-json"], d)
    return json.loads(proc.stdout)["provider_schemas"][PROVIDER_SOURCE]
