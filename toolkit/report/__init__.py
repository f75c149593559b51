"""Compliance report for auditors: controls x environment/region, evidence, waivers, provenance.

Public API (used by ``infra report``)::

    report = build_report(project_root, artifacts_dir, env, regions=None)
    html = render_html(report); md = render_markdown(report); data = render_json(report)
    write_report(report, "html" | "md" | "json", out_path)   # atomic
"""

from toolkit.report.build import build_report
from toolkit.report.catalogue import Catalogue, Control, load_catalogue
from toolkit.report.markdown import render_markdown
from toolkit.report.models import SCHEMA_VERSION, STATUS_LABELS, STATUSES, Report
from toolkit.report.renderers import (
    FORMATS,
    render,
    render_html,
    render_json,
    write_report,
)

__all__ = [
    "FORMATS",
    "SCHEMA_VERSION",
    "STATUSES",
    "STATUS_LABELS",
    "Catalogue",
    "Control",
    "Report",
    "build_report",
    "load_catalogue",
    "render",
    "render_html",
    "render_json",
    "render_markdown",
    "write_report",
]
