"""The ``ARTIFACTS/ENV/REGION/`` contract: file names (:mod:`.layout`), one model per file
(:mod:`.summary`, :mod:`.findings`, :mod:`.terraform`), one reader and one writer (:mod:`.io`)."""

from toolkit.artifacts.findings import Finding, FindingsDocument, WaiverRef
from toolkit.artifacts.io import read_artifact, read_artifact_if_present, write_artifact
from toolkit.artifacts.layout import GateFiles, RegionLayout
from toolkit.artifacts.summary import Status, Summary
from toolkit.artifacts.terraform import TerraformPlan, TfVars

__all__ = [
    "Finding",
    "FindingsDocument",
    "GateFiles",
    "RegionLayout",
    "Status",
    "Summary",
    "TerraformPlan",
    "TfVars",
    "WaiverRef",
    "read_artifact",
    "read_artifact_if_present",
    "write_artifact",
]
