"""The gate's JUnit XML: one testsuite per region, one testcase per (check, resource)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from toolkit.gate.model import GateDecision


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
            tc = ET.SubElement(suite, "testcase", classname=f"{env}.{r.region}.{f.check_id}", name=f.resource,
                               file=f.file or "")
            if f.line:
                tc.set("line", str(f.line))
            if f.status == "failed":
                msg = f"[{f.severity}] {f.title}" + (
                    f" (waiver {f.waiver.id} expired {f.waiver.expires})" if f.waiver else ""
                )
                ET.SubElement(tc, "failure", message=msg, type=f.severity).text = f"{msg}\n{f.location}"
            elif f.status == "waived" and f.waiver:
                ET.SubElement(tc, "skipped", message=f"waived by {f.waiver.id}: {f.waiver.reason}")
        total += len(fs)
        failures += n_failed
        skipped += n_waived
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    suites.set("skipped", str(skipped))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
