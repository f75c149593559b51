"""One violation, one finding: checks that ``policy/severity.yaml`` lists as ``same_as`` (one of
ours and a checkov built-in, e.g. CKV_INFRA_13 and CKV_AWS_7 for KMS rotation) and that report
the same resource with the same result are merged into one finding carrying both ids, at the
higher severity (the id of the more severe check leads; ours on a tie)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from toolkit.artifacts.findings import Finding, severity_rank


def merge_duplicates(findings: Sequence[Finding], groups: Mapping[str, str]) -> list[Finding]:
    """``findings`` with each set of duplicates replaced by one finding (order kept: the first
    of a set stands for it). ``groups``: check id -> its ``same_as`` group."""
    if not groups:
        return list(findings)
    buckets: dict[tuple[str, ...], list[Finding]] = {}
    order: list[tuple[str, ...] | int] = []
    for i, f in enumerate(findings):
        group = groups.get(f.check_id)
        if group is None:
            order.append(i)
            continue
        key = (group, f.environment, f.region, f.source, f.resource, f.status)
        if key not in buckets:
            buckets[key] = []
            order.append(key)
        buckets[key].append(f)
    out: list[Finding] = []
    for item in order:
        if isinstance(item, int):
            out.append(findings[item])
            continue
        same = buckets[item]
        if len({f.check_id for f in same}) == 1:
            out.extend(same)
            continue
        group = item[0]
        lead = min(same, key=lambda f: (severity_rank(f.severity), f.check_id != group, f.check_id))
        also = tuple(sorted({c for f in same for c in f.check_ids} - {lead.check_id}))
        out.append(lead.model_copy(update={"also": also}))
    return out
