"""Write the gate's outputs: JUnit XML, SARIF 2.1.0, JSON and the Markdown comment."""

from __future__ import annotations

from pathlib import Path

import toolkit
from toolkit.artifacts.layout import GateFiles
from toolkit.fsutil import atomic_write_json, atomic_write_text
from toolkit.gate.junit import to_junit
from toolkit.gate.markdown import to_markdown
from toolkit.gate.model import GateDecision
from toolkit.gate.sarif import to_sarif

GateOutputs = GateFiles


def write_outputs(decision: GateDecision, out_dir: Path) -> GateOutputs:
    outputs = GateFiles.of(out_dir, decision.environment)
    atomic_write_text(outputs.junit, to_junit(decision))
    unwaived = {id(s) for s in decision.unwaived_skips}
    sarif = to_sarif(decision.findings, tool_version=toolkit.__version__, checkov_version=decision.checkov_version,
                     skips=[(s, id(s) not in unwaived) for s in decision.skipped])
    atomic_write_json(outputs.sarif, sarif)
    atomic_write_json(outputs.json, decision.to_dict())
    atomic_write_text(outputs.markdown, to_markdown(decision))
    return outputs
