"""Every kind of bad input: one clear line, exit 1, nothing written."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

Mutation = Callable[[Path], None]


def _write(rel: str, text: str) -> Mutation:
    def apply(root: Path) -> None:
        (root / "environments" / rel).write_text(text, encoding="utf-8")
    return apply


def _append(rel: str, text: str) -> Mutation:
    def apply(root: Path) -> None:
        path = root / "environments" / rel
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
    return apply


def _replace(rel: str, old: str, new: str) -> Mutation:
    def apply(root: Path) -> None:
        path = root / "environments" / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, f"fixture drift: {old!r} not in {rel}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return apply


def _nothing(root: Path) -> None:
    return None


def _delete(rel: str) -> Mutation:
    def apply(root: Path) -> None:
        (root / "environments" / rel).unlink()
    return apply


def _dir_instead(rel: str) -> Mutation:
    def apply(root: Path) -> None:
        path = root / "environments" / rel
        path.unlink()
        path.mkdir()
    return apply


def _bytes(rel: str, data: bytes) -> Mutation:
    def apply(root: Path) -> None:
        (root / "environments" / rel).write_bytes(data)
    return apply


US = "staging/us-east.yaml"
def _pools(text: str) -> Mutation:
    """Add pool settings under the region file's existing `karpenter.pools`."""
    return _replace(US, "karpenter:\n  pools:\n", "karpenter:\n  pools:\n" + text)


GPU_POOL = _replace(US, "    gpu-inference:\n", "    gpu-inference:\n      taints: []\n")

# (id, mutation, args after the global options, expected fragment of the message)
CASES: list[tuple[str, Mutation, list[str], str]] = [
    ("malformed-yaml", _write(US, "network: [unclosed\n"), ["render", "us-east"], "malformed YAML"),
    ("tab-indent", _write(US, "network:\n\tcidr: 10.20.0.0/16\n"), ["render", "us-east"], "malformed YAML"),
    ("unknown-top-key", _append(US, "netwrok: {}\n"), ["render", "us-east"], "netwrok: unknown key"),
    ("unknown-nested-key", _append(US, "eks:\n  endpoint_public: true\n"), ["render", "us-east"],
     "eks.endpoint_public: unknown key"),
    ("wrong-type-int", _replace(US, "az_count: 2", "az_count: three"), ["render", "us-east"], "network.az_count"),
    ("wrong-type-bool", _append(US, "eks:\n  deletion_protection: maybe\n"), ["render", "us-east"],
     "eks.deletion_protection"),
    ("unknown-region-cli", _nothing, ["render", "us-middle"], "unknown region 'us-middle'; valid regions: eu-central, eu-west, us-east, us-west"),
    ("eu-in-us-only-env", _replace("staging/env.yaml", "residency_zones: [us, eu]", "residency_zones: [us]"),
     ["render", "us-east"], "region 'eu-central' is in residency zone 'eu'"),
    ("overlapping-cidrs", _replace("staging/eu-central.yaml", "10.21.0.0/16", "10.20.0.0/17"),
     ["render", "us-east"], "overlaps"),
    ("gpu-pool-without-taint", GPU_POOL, ["render", "us-east"], "nvidia.com/gpu NoSchedule taint"),
    ("replica-outside-zone", _replace("prod/us-east.yaml", "replica_regions: [us-west]\nsecrets", "replica_regions: [eu-west]\nsecrets"),
     ["render", "us-east", "--env", "prod"], "outside this region's residency zone 'us'"),
    ("secret-replica-outside-zone", _replace("prod/eu-west.yaml", "    replica_regions: [eu-central]\n  model", "    replica_regions: [us-east]\n  model"),
     ["render", "eu-west", "--env", "prod"], "secrets.grafana-admin.replica_regions[0]: replica region 'us-east' is in zone 'us'"),
    ("missing-catalog", _delete("catalog.yaml"), ["render", "us-east"], "catalog.yaml: file not found"),
    ("unreadable-file", _dir_instead(US), ["render", "us-east"], "is a directory"),
    ("not-utf8", _bytes(US, b"network:\n  cidr: \xff\xfe\n"), ["render", "us-east"], "not UTF-8"),
    ("empty-file", _write(US, "   \n"), ["render", "us-east"], "file is empty"),
    ("hostile-tag", _replace("staging/env.yaml", "owner: platform-team", 'owner: "x\\"${jndi:ldap}\\n"'),
     ["render", "us-east"], "is not allowed in AWS tags"),
    ("unknown-env", _nothing, ["render", "us-east", "--env", "nope"], "unknown environment 'nope'"),
    ("bad-cidr", _replace(US, "10.20.0.0/16", "10.20.0.0/33"), ["render", "us-east"], "not a valid CIDR"),
    ("spot-share-range", _pools("    general:\n      capacity_mix: {policy: ratio, spot_share: 1.5}\n"),
     ["render", "us-east"], "spot_share"),
    ("unknown-capacity-policy", _pools("    general:\n      capacity_mix: {policy: cheapest}\n"),
     ["render", "us-east"], "capacity_mix.policy"),
    ("duplicate-key", _append(US, "network:\n  cidr: 10.30.0.0/16\n"), ["render", "us-east"], "duplicate key 'network'"),
    ("bad-account-id", _replace("staging/env.yaml", '"123456789012"', '"12345"'), ["render", "us-east"], "account_id"),
    ("required-tag-missing", _replace("staging/env.yaml", "  owner: platform-team\n", ""), ["render", "us-east"],
     "required tags missing: owner"),
    ("environment-tag-mismatch", _replace("staging/env.yaml", "environment: staging", "environment: prod"),
     ["render", "us-east"], "tags.environment: expected 'staging'"),
    ("public-endpoint-no-cidrs", _append(US, "eks:\n  endpoint_public_access: true\n"), ["render", "us-east"],
     "allow-list"),
    ("public-endpoint-world", _append(US, "eks:\n  endpoint_public_access: true\n  public_access_cidrs: [0.0.0.0/0]\n"),
     ["render", "us-east"], "0.0.0.0/0 is not an allow-list"),
    ("public-endpoint-split-world", _append(US, "eks:\n  endpoint_public_access: true\n  public_access_cidrs: [0.0.0.0/1, 128.0.0.0/1]\n"),
     ["render", "us-east"], "wider than /8"),
    ("bad-bucket-name", _append("staging/env.yaml", "state:\n  bucket: \"Bad_Bucket..{environment}\"\n"),
     ["render", "us-east"], "is not a valid S3 bucket name"),
    ("yaml-alias-bomb", _write(US, "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\nnetwork: {cidr: 10.20.0.0/16}\n"),
     ["render", "us-east"], "anchors and aliases are not supported"),
    ("yaml-self-reference", _write(US, "a: &a [*a]\n"), ["render", "us-east"], "anchors and aliases are not supported"),
    ("baseline-above-limit", _replace(US, "    gpu-inference:\n", "    gpu-inference:\n      capacity_mix: {policy: on-demand-baseline, baseline_cpu: 9999}\n"),
     ["render", "us-east"], "baseline_cpu 9999 exceeds limits.cpu"),
    ("budget-schedule-without-duration", _pools("    general:\n      disruption_budgets: [{nodes: '0', schedule: '0 9 * * *'}]\n"),
     ["render", "us-east"], "schedule and duration go together"),
    ("pool-weight-above-100", _pools("    general:\n      weight: 101\n"), ["render", "us-east"],
     "karpenter.pools.general.weight: expected a whole number between 0 and 100"),
    ("baseline-policy-without-baseline", _pools("    general:\n      capacity_mix: {policy: on-demand-baseline}\n"),
     ["render", "us-east"], "policy on-demand-baseline needs baseline_cpu or baseline_gpu"),
    ("budget-duration-in-seconds", _pools("    general:\n      disruption_budgets: [{nodes: '0', schedule: '@daily', duration: 30s}]\n"),
     ["render", "us-east"], "duration: expected hours and/or minutes"),
    ("top-level-list", _write(US, "- network\n"), ["render", "us-east"], "expected a mapping"),
    ("two-documents", _write(US, "network: {}\n---\neks: {}\n"), ["render", "us-east"], "exactly one YAML document"),
    ("replicas-without-multi-region", _append(US, "kms:\n  keys:\n    logs: {description: x, replica_regions: [us-west]}\n"),
     ["render", "us-east"], "needs multi_region"),
    ("unknown-replica-region", _replace("prod/us-east.yaml", "replica_regions: [us-west]\nsecrets", "replica_regions: [ap-south]\nsecrets"),
     ["render", "us-east", "--env", "prod"], "unknown region 'ap-south'"),
    ("region-file-not-in-catalog", _write("staging/ap-south.yaml", "network: {cidr: 10.40.0.0/16}\n"),
     ["render", "us-east"], "unknown region 'ap-south' (file name)"),
    ("bad-retention", _append(US, "eks:\n  log_retention_days: 42\n"), ["render", "us-east"], "CloudWatch"),
    ("python-tag", _write(US, "network: !!python/object:os.system {}\n"), ["render", "us-east"], "malformed YAML"),
    ("missing-required", _replace(US, "  cidr: 10.20.0.0/16\n", ""), ["render", "us-east"],
     "network.cidr: required key is missing"),
    ("rotation-without-lambda", _replace(US, "    length: 32\n", "    length: 32\n    rotation_days: 30\n"),
     ["render", "us-east"], "rotation (rotation_days or rotation_schedule) and rotation_lambda_arn go together"),
    ("hostile-pool-name", _pools('    "x\\"} ${evil}":\n      instance_families: [m6i]\n'),
     ["render", "us-east"], "does not match the expected pattern"),
    ("hostile-region-arg", _nothing, ["render", "us-east\n$(rm -rf /)"], "unknown region"),
]


@pytest.mark.parametrize("case_id, mutate, args, expected", CASES, ids=[c[0] for c in CASES])
def test_bad_input(case_id: str, mutate: Mutation, args: list[str], expected: str, project_copy: Path,
                   infra: Callable[..., object], tmp_path: Path) -> None:
    mutate(project_copy)
    out_dir = tmp_path / "artifacts"
    result = infra("--project", str(project_copy), "--artifacts", str(out_dir), *args)
    assert result.code == 1, (result.code, result.err)
    message = result.err.strip()
    assert "\n" not in message, f"not one line: {message!r}"
    assert message.startswith("error: ")
    assert "Traceback" not in message
    assert expected in message, message
    assert not out_dir.exists() or not any(out_dir.rglob("*")), "a failed run left artifacts behind"


def test_at_least_25_cases() -> None:
    assert len(CASES) >= 25


def test_infra_env_is_named_in_error(project_copy: Path, infra: Callable[..., object],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    result = infra("--project", str(project_copy), "config", "show", "us-east")
    assert result.code == 0
    monkeypatch.setenv("INFRA_ENV", "qa")
    result = infra("--project", str(project_copy), "config", "show", "us-east")
    assert result.code == 1
    assert re.search(r"unknown environment 'qa' \(from INFRA_ENV\)", result.err)


def test_bad_render_keeps_previous_artifacts(project_copy: Path, infra: Callable[..., object], tmp_path: Path) -> None:
    out_dir = tmp_path / "artifacts"
    ok = infra("--project", str(project_copy), "--artifacts", str(out_dir), "render", "us-east")
    assert ok.code == 0, ok.err
    before = {p: p.read_bytes() for p in out_dir.rglob("*") if p.is_file()}
    assert before
    _append(US, "netwrok: {}\n")(project_copy)
    bad = infra("--project", str(project_copy), "--artifacts", str(out_dir), "render", "us-east")
    assert bad.code == 1
    after = {p: p.read_bytes() for p in out_dir.rglob("*") if p.is_file()}
    assert after == before


def test_usage_error_exit_2(infra: Callable[..., object], project_copy: Path) -> None:
    result = infra("--project", str(project_copy), "render")
    assert result.code == 2
    assert "name at least one REGION or use --all" in result.err


def test_no_project_found(infra: Callable[..., object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INFRA_PROJECT", raising=False)
    result = infra("regions")
    assert result.code == 1
    assert "no infra project found" in result.err


def test_unexpected_error_exit_3_with_log(infra: Callable[..., object], project_copy: Path,
                                          monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import toolkit.cli.commands.regions

    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(toolkit.cli.commands.regions, "region_rows", boom)
    monkeypatch.setenv("INFRA_CACHE_DIR", str(tmp_path / "cache"))
    result = infra("--project", str(project_copy), "regions")
    assert result.code == 3
    match = re.search(r"traceback in (\S+)\)", result.err)
    assert match, result.err
    log = Path(match.group(1))
    assert "kaboom" in log.read_text() and "Traceback" in log.read_text()
    assert "Traceback" not in result.err


def test_ctrl_c_exit_130(infra: Callable[..., object], project_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import toolkit.cli.commands.regions

    def interrupt(*a: object, **k: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(toolkit.cli.commands.regions, "region_rows", interrupt)
    assert infra("--project", str(project_copy), "regions").code == 130


@pytest.mark.skipif(os.geteuid() == 0, reason="running as root, which reads a mode-000 file anyway: "
                                            "permission denied cannot happen here")
def test_permission_denied(project_copy: Path, infra: Callable[..., object]) -> None:  # pragma: no cover
    path = project_copy / "environments" / US
    path.chmod(0)
    result = infra("--project", str(project_copy), "render", "us-east")
    assert result.code == 1 and "permission denied" in result.err
    shutil.rmtree(project_copy)
