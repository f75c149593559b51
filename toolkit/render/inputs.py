"""Render one environment/region's inputs: tfvars JSON, backend.hcl, Karpenter manifests.

Everything is deterministic (sorted keys, fixed formatting) and written
atomically. Values that land in HCL go through :func:`hcl_string`, never raw
interpolation, so a quote, backslash, newline, ``${`` or ``%{`` in a value
cannot change the structure of the file.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import yaml

from toolkit.artifacts.layout import RegionLayout
from toolkit.artifacts.lock import acquire, parse_duration
from toolkit.fsutil import atomic_write_text, dump_json
from toolkit.paths import region_dir
from toolkit.render import karpenter
from toolkit.settings import Project, RegionConfig, stack_inputs

TEMPLATES = Path(__file__).parent / "templates"


def hcl_string(value: object) -> str:
    """Encode a value as an HCL quoted string literal (no template sequences survive)."""
    text = str(value)
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    encoded = "".join(out)
    # Template sequences are escaped by doubling their introducer.
    encoded = encoded.replace("${", "$${").replace("%{", "%%{")
    return f'"{encoded}"'


def hcl_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, dict):
        inner = ", ".join(f"{hcl_string(k)} = {hcl_value(v)}" for k, v in sorted(value.items()))
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(hcl_value(v) for v in value) + "]"
    return hcl_string(value)


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # HCL/JSON/YAML: encoded by the filters below, never HTML
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["hcl"] = hcl_value
    env.filters["canonical_json"] = dump_json
    return env


def backend_settings(cfg: RegionConfig) -> dict[str, Any]:
    return {
        "bucket": cfg.state_bucket,
        "key": cfg.state_key,
        "region": cfg.aws_region,
        "encrypt": True,
        "kms_key_id": cfg.state_kms_key_alias,
        "use_lockfile": True,
    }


def render_backend(cfg: RegionConfig) -> str:
    text = _env().get_template("backend.hcl.j2").render(backend=backend_settings(cfg), cfg=cfg)
    return text if text.endswith("\n") else text + "\n"


def render_tfvars(inputs: dict[str, Any]) -> str:
    return _env().get_template("terraform.tfvars.json.j2").render(inputs=inputs)


def dump_yaml(obj: Any) -> str:
    return yaml.safe_dump(obj, sort_keys=True, default_flow_style=False, allow_unicode=True, width=100)


@dataclass(frozen=True)
class RenderResult:
    directory: Path
    files: tuple[Path, ...]
    inputs: dict[str, Any]


def _replace_dir(target: Path, files: dict[str, str]) -> None:
    """Write a directory of files so readers see the old set or the new set."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in target.parent.glob(f".{target.name}.*"):  # from an interrupted earlier render
        shutil.rmtree(leftover, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    staging.chmod(0o755)  # mkdtemp makes 0700; the manifests are not secret
    try:
        for name, text in files.items():
            atomic_write_text(staging / name, text)
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            if old.exists():
                shutil.rmtree(old)
            target.rename(old)
        staging.rename(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def render_region(project: Project, cfg: RegionConfig, out_dir: Path, *, manifests: bool = True) -> RenderResult:
    """Write terraform.tfvars.json, backend.hcl and manifests/ under ``out_dir``.

    All content is produced in memory first, so a failure writes nothing.
    """
    inputs = stack_inputs(cfg, project.catalog)
    outputs = {
        "terraform.tfvars.json": render_tfvars(inputs),
        "backend.hcl": render_backend(cfg),
    }
    manifest_files = karpenter.render_files(inputs) if manifests else {}
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in outputs.items():
        atomic_write_text(out_dir / name, text)
        written.append(out_dir / name)
    if manifests:
        _replace_dir(out_dir / "manifests", manifest_files)
        written.extend(out_dir / "manifests" / n for n in sorted(manifest_files))
    return RenderResult(out_dir, tuple(written), inputs)


def render_many(project: Project, env: str, regions: list[str], artifacts: Path, *,
                lock_timeout: str | None = None) -> dict[str, RenderResult]:
    """Render each region into its artifacts directory, under the region's lock (a plan or scan
    of the region reads these files: another run holding it is named, or waited for up to
    ``lock_timeout``). Every region is validated first, so one bad file writes nothing at all."""
    configs = {r: project.region(env, r) for r in regions}
    out: dict[str, RenderResult] = {}
    for r, cfg in configs.items():
        lock = acquire(RegionLayout.of(artifacts, env, r), command="infra render", wait=parse_duration(lock_timeout))
        try:
            out[r] = render_region(project, cfg, region_dir(artifacts, env, r))
        finally:
            lock.release()
    return out
