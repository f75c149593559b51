"""Issue 11: evidence from plans names the file and line of the resource in our modules
(``modules/kms/main.tf:12``), not the plan.json checkov read."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.report.conftest import REPO, Project
from toolkit.report import render_html, render_markdown
from toolkit.report.locate import Locator, split_address

PLAN_JSON = ".infra/prod/us-east/plan.json"


def line_of(path: str, pattern: str) -> int:
    lines = (REPO / path).read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if re.match(pattern, text))


def _with_sources(project: Project) -> None:
    ignore = shutil.ignore_patterns("examples", "tests", ".terraform*", "*.md")
    shutil.copytree(REPO / "modules", project.root / "modules", ignore=ignore)
    shutil.copytree(REPO / "terraform", project.root / "terraform", ignore=ignore)


def _as_checkov_reports_plans(project: Project) -> None:
    """What the real scan writes for most plan results: the plan file, no line."""
    def strip(d: dict[str, Any]) -> None:
        for f in d["findings"]:
            if f["source"] == "plan":
                f["file"], f["line"] = PLAN_JSON, None

    project.edit("us-east", "findings.json", strip)


@pytest.mark.parametrize(("address", "parsed"), [
    ('module.kms.aws_kms_key.this["ebs"]', (["kms"], "resource", "aws_kms_key", "this")),
    ("module.eks.data.aws_iam_policy_document.cluster_kms", (["eks"], "data", "aws_iam_policy_document",
                                                             "cluster_kms")),
    ('module.a.module.b.aws_x.y[0]', (["a", "b"], "resource", "aws_x", "y")),
    ('module.eks.aws_iam_role_policy_attachment.addon["aws-ebs-csi-driver/service-role/Policy.v1"]',
     (["eks"], "resource", "aws_iam_role_policy_attachment", "addon")),
    ("aws_vpc.main", ([], "resource", "aws_vpc", "main")),
    ("data.aws_region.current", ([], "data", "aws_region", "current")),
    ("aws.default", None),
    ("EC2NodeClass.default.general", None),
])
def test_split_address(address: str, parsed: object) -> None:
    assert split_address(address) == parsed


def test_locator_follows_the_plans_module_calls(tmp_path: Path) -> None:
    (tmp_path / "terraform").mkdir()
    (tmp_path / "vendor" / "kms").mkdir(parents=True)
    (tmp_path / "vendor" / "kms" / "keys.tf").write_text('\n\nresource "aws_kms_key" "this" {\n}\n')
    (tmp_path / "terraform" / "main.tf").write_text('module "kms" {\n  source = "../modules/kms"\n}\n')
    plan = {"configuration": {"root_module": {"module_calls": {
        "kms": {"source": "../vendor/kms", "module": {}},
        "remote": {"source": "terraform-aws-modules/vpc/aws", "module": {}}}}}}
    locator = Locator(tmp_path, plan)
    assert locator.locate('module.kms.aws_kms_key.this["ebs"]') == ("vendor/kms/keys.tf", 3)
    assert locator.locate("module.remote.aws_vpc.this") is None  # not our code: no file to name
    assert locator.locate("module.kms.aws_kms_key.other") is None
    # Without a configuration section, the module blocks of the root stack name the sources.
    (tmp_path / "modules" / "kms").mkdir(parents=True)
    (tmp_path / "modules" / "kms" / "main.tf").write_text('resource "aws_kms_key" "this" {}\n')
    assert Locator(tmp_path).locate("module.kms.aws_kms_key.this") == ("modules/kms/main.tf", 1)


def test_plan_evidence_names_the_module_file_and_line(project: Project) -> None:
    _with_sources(project)
    _as_checkov_reports_plans(project)
    report = project.build()
    evidence = [e for c in report.controls for r in c.results if r.region == "us-east" for e in r.evidence
                if e.source == "plan"]
    assert evidence and not [e for e in evidence if e.file == PLAN_JSON or e.line is None]
    assert all(e.file and e.file.startswith("modules/") and e.scanned == PLAN_JSON for e in evidence)
    cluster = next(e for e in evidence if e.resource == "module.eks.aws_eks_cluster.this")
    assert (cluster.file, cluster.line) == (
        "modules/eks-cluster/main.tf", line_of("modules/eks-cluster/main.tf", r'resource "aws_eks_cluster" "this"'))
    key = next(e for e in evidence if e.resource.startswith("module.kms.aws_kms_key.this["))
    assert (key.file, key.line) == ("modules/kms/main.tf", line_of("modules/kms/main.tf",
                                                                   r'resource "aws_kms_key" "this"'))
    where = f"{cluster.file}:{cluster.line}"
    assert where in render_markdown(report)
    html = render_html(report)
    assert f'title="read from {PLAN_JSON}"' in html
    assert f'<span class="tok">modules/</span><wbr><span class="tok">eks-cluster/</span><wbr>' \
           f'<span class="tok">main.tf:{cluster.line}</span>' in html


def test_plan_configuration_wins_over_the_checkout(project: Project) -> None:
    """The plan's own module calls say which source was planned."""
    _with_sources(project)
    _as_checkov_reports_plans(project)
    (project.root / "terraform" / "main.tf").write_text("# moved away\n")

    def configure(plan: dict[str, Any]) -> None:
        plan["configuration"] = {"root_module": {"module_calls": {
            name: {"source": f"../modules/{d}", "module": {}}
            for name, d in (("eks", "eks-cluster"), ("kms", "kms"), ("network", "network"),
                            ("secrets", "secrets"), ("karpenter", "karpenter"))}}}

    project.edit("us-east", "plan.json", configure)
    report = project.build()
    cluster = next(e for c in report.controls if c.key == "cis-eks/5.3.1" for r in c.results
                   if r.region == "us-east" for e in r.evidence)
    assert cluster.file == "modules/eks-cluster/main.tf" and cluster.line


def test_without_sources_the_plan_file_is_kept(project: Project) -> None:
    _as_checkov_reports_plans(project)
    report = project.build()
    e = next(e for c in report.controls for r in c.results if r.region == "us-east" for e in r.evidence
             if e.source == "plan")
    assert (e.file, e.line, e.scanned) == (PLAN_JSON, None, None)
    assert json.loads(json.dumps(report.model_dump(mode="json")))  # still a valid document
