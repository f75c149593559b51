"""Issue 11: node volumes (EC2NodeClass blockDeviceMappings in the rendered manifests, checked by
CKV_INFRA_24) are evidence for the EBS-encryption controls instead of "not applicable"."""

from __future__ import annotations

import re
from typing import Any

from tests.report.conftest import Project
from toolkit.report import load_catalogue, render_html, render_markdown
from toolkit.report.catalogue import CATALOGUE_PATH
from toolkit.report.locate import manifest_objects
from toolkit.report.models import ControlResult, Report

EBS_CONTROLS = ("cis-aws/2.2.1", "iso27001/A.8.24", "gdpr/Art. 32(1)(a)")
KEY = "arn:aws:kms:us-east-1:210987654321:alias/prod-us-east-ebs"
NODECLASSES = f"""\
# rendered by infra render (test copy)
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata:
  name: general
spec:
  amiSelectorTerms:
  - alias: al2023@latest
  blockDeviceMappings:
  - deviceName: /dev/xvda
    ebs:
      deleteOnTermination: true
      encrypted: true
      kmsKeyID: {KEY}
      volumeSize: 100Gi
      volumeType: gp3
    rootVolume: true
  role: prod-us-east-karpenter-node
---
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata:
  name: gpu-training
spec:
  amiSelectorTerms:
  - alias: bottlerocket@latest
  blockDeviceMappings:
  - deviceName: /dev/xvda
    ebs:
      encrypted: true
      kmsKeyID: {KEY}
      volumeSize: 4Gi
      volumeType: gp3
  - deviceName: /dev/xvdb
    ebs:
      encrypted: true
      kmsKeyID: {KEY}
      volumeSize: 500Gi
      volumeType: gp3
    rootVolume: true
  role: prod-us-east-karpenter-node
"""
MANIFEST = ".infra/prod/us-east/manifests/karpenter-ec2nodeclasses.yaml"


def _render_nodeclasses(project: Project) -> None:
    (project.region_dir("us-east") / "manifests" / "karpenter-ec2nodeclasses.yaml").write_text(NODECLASSES)


def _add_ckv_infra_24(project: Project, status: str = "passed") -> None:
    def add(d: dict[str, Any]) -> None:
        for name, line in (("general", 2), ("gpu-training", 20)):
            d["findings"].append({
                "check_id": "CKV_INFRA_24", "severity": "HIGH", "environment": "prod", "region": "us-east",
                "title": "EC2NodeClass block device mappings are EBS-encrypted (not with the AWS managed key)",
                "resource": f"EC2NodeClass.default.{name}", "file": MANIFEST, "line": line,
                "status": status, "source": "manifest", "waiver": None})

    project.edit("us-east", "findings.json", add)


def result(report: Report, key: str, region: str = "us-east") -> ControlResult:
    return next(r for c in report.controls if c.key == key for r in c.results if r.region == region)


def test_catalogue_maps_node_volume_checks_to_the_ebs_controls(project: Project) -> None:
    catalogue = load_catalogue(project.root / CATALOGUE_PATH)
    by_key = {c.key: c for c in catalogue.controls}
    for key in EBS_CONTROLS:
        assert {"CKV_INFRA_23", "CKV_INFRA_24"} <= set(by_key[key].checks), key
        assert {"aws_launch_template", "EC2NodeClass"} <= set(by_key[key].applies_to), key


def test_manifest_objects_read_block_devices(project: Project) -> None:
    _render_nodeclasses(project)
    path = project.region_dir("us-east") / "manifests" / "karpenter-ec2nodeclasses.yaml"
    general, gpu = manifest_objects([path], {path: MANIFEST})
    assert (general.resource, general.line, general.volumes_line, general.file) == (
        "EC2NodeClass.default.general", 2, 9, MANIFEST)
    assert [(v.device, v.encrypted, v.kms_key, v.size, v.root) for v in gpu.volumes] == [
        ("/dev/xvda", True, KEY, "4Gi", False), ("/dev/xvdb", True, KEY, "500Gi", True)]


def test_node_volumes_evidence_the_ebs_controls(project: Project) -> None:
    before = project.build()
    assert result(before, "cis-aws/2.2.1", "us-west").status == "met"  # the launch template only
    _render_nodeclasses(project)
    _add_ckv_infra_24(project)
    report = project.build()
    assert not report.issues, report.issues
    for key in EBS_CONTROLS:
        r = result(report, key)
        assert r.status == "met", (key, r.reason)
        assert {"EC2NodeClass.default.general", "EC2NodeClass.default.gpu-training"} <= set(r.in_scope_resources)
        node = [e for e in r.evidence if e.check_id == "CKV_INFRA_24"]
        assert [e.resource for e in node] == ["EC2NodeClass.default.general", "EC2NodeClass.default.gpu-training"]
        assert node[0].file == MANIFEST and node[0].line == 2
        assert node[0].detail == f"blockDeviceMappings (line 9): /dev/xvda (root): 100Gi gp3, encrypted with {KEY}"
        assert "node volumes: 3 EBS volume(s) in the blockDeviceMappings of 2 EC2NodeClass(es)" in r.reason
    html = render_html(report)
    detail = html[html.index('<span class="detail">'):]
    detail = re.sub(r"<[^>]+>", "", detail[:detail.index("</span></td>")])
    assert detail.startswith(f"blockDeviceMappings (line 9): /dev/xvda (root): 100Gi gp3, encrypted with {KEY}")
    assert f'<span class="tok">{KEY}</span>' in html  # the key's ARN never wraps at its hyphens
    assert "node volumes: 3 EBS volume(s)" in render_markdown(report)


def test_rendered_node_classes_without_results_are_not_met(project: Project) -> None:
    """In scope (rendered) but no CKV_INFRA_24 result: evidence is missing, never 'not applicable'."""
    _render_nodeclasses(project)
    project.edit("us-east", "findings.json", lambda d: d.__setitem__(
        "findings", [f for f in d["findings"] if f["check_id"] != "CKV_INFRA_23"]))
    r = result(project.build(), "cis-aws/2.2.1")
    assert r.status == "not_met" and "evidence is missing" in r.reason
    assert "EC2NodeClass.default.general" in r.in_scope_resources


def test_unencrypted_node_volume_fails_the_control(project: Project) -> None:
    _render_nodeclasses(project)
    _add_ckv_infra_24(project, status="failed")
    r = result(project.build(), "cis-aws/2.2.1")
    assert r.status == "not_met" and "CKV_INFRA_24" in r.reason
