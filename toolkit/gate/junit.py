"""The gate's JUnit XML: one testsuite per region, one testcase per (check, resource)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from toolkit.artifacts.findings import Finding
from toolkit.gate.model import GateDecision


def _finding_case(suite: ET.Element, classname: str, f: Finding) -> None:
    tc = ET.SubElement(suite, "testcase", classname=f"{classname}.{f.check_id}", name=f.resource, file=f.file or "")
    if f.line:
        tc.set("line", str(f.line))
    also = f" (also {', '.join(f.also)})" if f.also else ""
    if f.status == "failed":
        msg = f"[{f.severity}] {f.title}{also}" + (
            f" (waiver {f.waiver.id} expired {f.waiver.expires})" if f.waiver else ""
        )
        ET.SubElement(tc, "failure", message=msg, type=f.severity).text = f"{msg}\n{f.location}"
    elif f.status == "waived" and f.waiver:
        ET.SubElement(tc, "skipped", message=f"waived by {f.waiver.id}: {f.waiver.reason}{also}")


def to_junit(decision: GateDecision) -> str:
    """Failed findings are failures, waived ones skipped; the decision itself is a testcase."""
    env = decision.environment
    suites = ET.Element("testsuites", name=f"infra gate {env}")
    gate_suite = ET.SubElement(suites, "testsuite", name=f"{env}/gate", tests="1",
                               failures="0" if decision.passed else "1", skipped="0", errors="0")
    case = ET.SubElement(gate_suite, "testcase", classname=f"{env}.gate", name="merge gate")
    if not decision.passed:
        ET.SubElement(case, "failure", message=decision.reason, type="gate").text = decision.reason
    total, failures, skipped = 1, (0 if decision.passed else 1), 0
    for r in decision.regions:
        fs = r.all_findings
        n_failed = sum(f.status == "failed" for f in fs)
        n_waived = sum(f.status == "waived" for f in fs)
        suite = ET.SubElement(suites, "testsuite", name=f"{env}/{r.region}", tests=str(len(fs)),
                              failures=str(n_failed), skipped=str(n_waived), errors=str(len(r.problems)))
        for problem in r.problems:
            err = ET.SubElement(suite, "testcase", classname=f"{env}.{r.region}.artifacts", name="artifacts")
            ET.SubElement(err, "error", message=problem, type="artifacts")
        for f in fs:
            _finding_case(suite, f"{env}.{r.region}", f)
        total += len(fs)
        failures += n_failed
        skipped += n_waived
    # The environment's own: floors lowered against the base, inline skips (each once), waiver rules.
    policy = decision.policy_findings
    unwaived = {id(s) for s in decision.unwaived_skips}
    n_failed = sum(f.status == "failed" for f in policy) + len(unwaived) + len(decision.rule_violations)
    n_skipped = sum(f.status == "waived" for f in policy) + len(decision.skipped) - len(unwaived)
    n_tests = len(policy) + len(decision.skipped) + len(decision.rule_violations)
    if n_tests:
        suite = ET.SubElement(suites, "testsuite", name=f"{env}/policy", tests=str(n_tests), failures=str(n_failed),
                              skipped=str(n_skipped), errors="0")
        for f in policy:
            _finding_case(suite, f"{env}.policy", f)
        for sk in decision.skipped:
            tc = ET.SubElement(suite, "testcase", classname=f"{env}.inline-skip.{sk.check_id}", name=sk.resource,
                               file=sk.file or "")
            if sk.line:
                tc.set("line", str(sk.line))
            if id(sk) in unwaived:
                msg = f"[{sk.severity}] inline #checkov:skip without a live waiver: {sk.title}"
                ET.SubElement(tc, "failure", message=msg, type="inline-skip").text = f"{msg}\n{sk.location}"
            else:
                w = sk.waiver
                ET.SubElement(tc, "skipped", message=f"inline skip waived by {w.id if w else '?'}: {sk.reason}")
        for v in decision.rule_violations:
            tc = ET.SubElement(suite, "testcase", classname=f"{env}.waiver-rules.{v.rule}", name=v.waiver)
            ET.SubElement(tc, "failure", message=str(v), type="waiver-rule").text = str(v)
        total += n_tests
        failures += n_failed
        skipped += n_skipped
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    suites.set("skipped", str(skipped))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
