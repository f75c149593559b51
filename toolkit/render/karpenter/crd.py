"""Karpenter CRD checks: the ``openAPIV3Schema`` of the bundled CRDs and the CEL rules.

:func:`validate` checks a NodePool or EC2NodeClass against the schema of its kind (with
jsonschema) and against the CEL rules (``x-kubernetes-validations``) of those CRDs that
matter for generated objects. The schemas come from the CRDs bundled in
``toolkit/render/crds/`` (Karpenter 1.14.1, see ``crds/PROVENANCE.json``), loaded by
:func:`toolkit.render.karpenter.crd_schema`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from toolkit.errors import UserError
from toolkit.render.karpenter.common import CAPACITY_TYPE, NODECLASS_API, NODEPOOL_API, Json

CRD_FILES = {
    "NodePool": "karpenter.sh_nodepools.yaml",
    "EC2NodeClass": "karpenter.k8s.aws_ec2nodeclasses.yaml",
}


def load_schema(file: Path) -> Json:
    """The v1 ``openAPIV3Schema`` of a CRD file."""
    if not file.is_file():
        raise UserError(f"{file}: bundled Karpenter CRD missing (a broken install: reinstall the toolkit)")
    crd = yaml.safe_load(file.read_text(encoding="utf-8"))
    for version in crd["spec"]["versions"]:
        if version["name"] == "v1":
            schema: Json = version["schema"]["openAPIV3Schema"]
            return schema
    raise UserError(f"{file}: spec.versions has no v1 schema")


def _path(parts: Any) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(root)"


_LABEL_RESTRICTED_AWS = frozenset("karpenter.k8s.aws/" + s for s in (
    "instance-tenancy", "capacity-reservation-type", "capacity-reservation-id",
    "capacity-reservation-interruptible", "ec2nodeclass", "instance-encryption-in-transit-supported",
    "nitro-sandbox",
    "instance-category", "instance-hypervisor", "instance-family", "instance-generation", "instance-local-nvme",
    "instance-size", "instance-cpu", "instance-cpu-manufacturer", "instance-cpu-sustained-clock-speed-mhz",
    "instance-memory", "instance-ebs-bandwidth", "instance-network-bandwidth", "instance-gpu-name",
    "instance-gpu-manufacturer", "instance-gpu-count", "instance-gpu-memory", "instance-accelerator-name",
    "instance-accelerator-manufacturer", "instance-accelerator-count", "instance-capability-flex",
    "placement-group-id", "placement-group-partition",
))
_CRON_ITEM = r"(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?"
_CRON_FIELD = re.compile(rf"^{_CRON_ITEM}(,{_CRON_ITEM})*$")
_CRON_MACRO = re.compile(r"^@(annually|yearly|monthly|weekly|daily|midnight|hourly)$")


def _label_key_errors(key: str, where: str) -> list[str]:
    domain = key.split("/", 1)[0] if "/" in key else ""
    errors = []
    if key not in (CAPACITY_TYPE, "karpenter.sh/nodepool") and domain.endswith("karpenter.sh"):
        errors.append(f"{where}: label domain \"karpenter.sh\" is restricted ({key})")
    if key == "karpenter.sh/nodepool":
        errors.append(f"{where}: label \"karpenter.sh/nodepool\" is restricted")
    if key == "kubernetes.io/hostname":
        errors.append(f"{where}: label \"kubernetes.io/hostname\" is restricted")
    if key not in _LABEL_RESTRICTED_AWS and domain.endswith("karpenter.k8s.aws"):
        errors.append(f"{where}: label domain \"karpenter.k8s.aws\" is restricted ({key})")
    return errors


def _is_nonneg_int(text: Any) -> bool:
    return isinstance(text, str) and re.fullmatch(r"[+]?[0-9]+", text.strip()) is not None


def _cel_nodepool(obj: Json) -> list[str]:
    errors: list[str] = []
    spec = obj.get("spec") or {}
    template = spec.get("template") or {}
    tspec = template.get("spec") or {}
    for key in ((template.get("metadata") or {}).get("labels") or {}):
        errors += _label_key_errors(key, "spec.template.metadata.labels")
    for i, req in enumerate(tspec.get("requirements") or []):
        where = f"spec.template.spec.requirements[{i}]"
        op = req.get("operator")
        values = req.get("values") or []
        errors += _label_key_errors(str(req.get("key", "")), f"{where}.key")
        if op in ("In", "NotIn") and not values:
            errors.append(f"{where}: requirements with operator '{op}' must have a value defined")
        if op in ("Exists", "DoesNotExist") and values:
            errors.append(f"{where}: requirements with operator '{op}' must not have values")
        if op in ("Gt", "Lt", "Gte", "Lte") and not (len(values) == 1 and _is_nonneg_int(values[0])):
            errors.append(
                f"{where}: requirements operator 'Gt', 'Lt', 'Gte', or 'Lte' must have a single positive integer value"
            )
        if op == "In" and "minValues" in req and len(values) < int(req["minValues"]):
            errors.append(f"{where}: requirements with 'minValues' must have at least that many values")
    budgets = (spec.get("disruption") or {}).get("budgets") or []
    for i, b in enumerate(budgets):
        where = f"spec.disruption.budgets[{i}]"
        if ("schedule" in b) != ("duration" in b):
            errors.append(f"{where}: 'schedule' must be set with 'duration'")
        sched = b.get("schedule")
        if isinstance(sched, str) and not _CRON_MACRO.match(sched):
            fields = sched.split()
            if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
                errors.append(f"{where}.schedule: expected a 5-field cron expression or @macro, got {sched!r}")
    ref = tspec.get("nodeClassRef") or {}
    for field in ("group", "kind", "name"):
        if field in ref and ref[field] == "":
            errors.append(f"spec.template.spec.nodeClassRef.{field}: may not be empty")
    if "replicas" in spec:
        if "weight" in spec:
            errors.append("spec: 'weight' is not supported on static NodePools")
        limits = spec.get("limits") or {}
        if limits and set(limits) != {"nodes"}:
            errors.append("spec: only 'limits.nodes' is supported on static NodePools")
    return errors


def _selector_errors(terms: list[Json], where: str, fields: tuple[str, ...], exclusive: tuple[str, ...]) -> list[str]:
    errors = []
    if not terms:
        errors.append(f"{where}: cannot be empty")
    for i, term in enumerate(terms):
        if not any(f in term for f in fields):
            errors.append(f"{where}[{i}]: expected at least one of {list(fields)}")
        for ex in exclusive:
            if ex in term and len(set(term) & set(fields)) > 1:
                errors.append(f"{where}[{i}]: '{ex}' is mutually exclusive with the other fields")
        for k, v in (term.get("tags") or {}).items():
            if k == "" or v == "":
                errors.append(f"{where}[{i}].tags: empty tag keys or values aren't supported")
    return errors


_FAMILY = {"al2": "AL2", "al2023": "AL2023", "bottlerocket": "Bottlerocket",
           "windows2019": "Windows2019", "windows2022": "Windows2022", "windows2025": "Windows2025"}


def _reservation_errors(terms: Any) -> list[str]:
    """The CEL rules of ``capacityReservationSelectorTerms`` (may be absent or empty)."""
    where = "spec.capacityReservationSelectorTerms"
    errors: list[str] = []
    terms = terms or []
    for i, term in enumerate(terms):
        if not any(f in term for f in ("tags", "id", "instanceMatchCriteria")):
            errors.append(f"{where}[{i}]: expected at least one, got none, ['tags', 'id', 'instanceMatchCriteria']")
        for k, v in (term.get("tags") or {}).items():
            if k == "" or v == "":
                errors.append(f"{where}[{i}].tags: empty tag keys or values aren't supported")
    # As the CRD states it: rejected only when every term combines id with another field.
    if terms and all("id" in t and {"tags", "ownerID", "instanceMatchCriteria"} & set(t) for t in terms):
        errors.append(f"{where}: 'id' is mutually exclusive, cannot be set along with other fields in a capacity "
                      "reservation selector term")
    return errors


def _network_interface_errors(interfaces: Any) -> list[str]:
    """The CEL rules of ``networkInterfaces``: a primary ENA interface (card 0, device 0), no
    card/device pair twice, at most one efa-only interface per network card."""
    where = "spec.networkInterfaces"
    nics = [n for n in interfaces or [] if isinstance(n, dict)]
    if not nics:
        return []
    errors: list[str] = []
    if not any(n.get("deviceIndex") == 0 and n.get("networkCardIndex") == 0 and n.get("interfaceType") == "interface"
               for n in nics):
        errors.append(f"{where}: networkInterfaces must include a primary interface with interfaceType='interface'")
    pairs = [(n.get("networkCardIndex"), n.get("deviceIndex")) for n in nics]
    efa_cards = [n.get("networkCardIndex") for n in nics if n.get("interfaceType") == "efa-only"]
    if len(set(pairs)) != len(pairs) or len(set(efa_cards)) != len(efa_cards):
        errors.append(f"{where}: networkInterfaces must not have duplicate networkCardIndex and deviceIndex pairs, "
                      "and can have at most one efa device per network card")
    return errors


def _cel_nodeclass(obj: Json) -> list[str]:
    errors: list[str] = []
    spec = obj.get("spec") or {}
    ami = spec.get("amiSelectorTerms") or []
    errors += _selector_errors(ami, "spec.amiSelectorTerms", ("tags", "id", "name", "alias", "ssmParameter"), ())
    aliases = [t["alias"] for t in ami if "alias" in t]
    for i, term in enumerate(ami):
        if "id" in term and set(term) & {"alias", "tags", "name", "owner"}:
            errors.append(f"spec.amiSelectorTerms[{i}]: 'id' is mutually exclusive")
        if "alias" in term and set(term) & {"id", "tags", "name", "owner"}:
            errors.append(f"spec.amiSelectorTerms[{i}]: 'alias' is mutually exclusive")
    if aliases and len(ami) != 1:
        errors.append("spec.amiSelectorTerms: 'alias' cannot be combined with other amiSelectorTerms")
    for alias in aliases:
        if not re.fullmatch(r"[a-zA-Z0-9]+@.+", alias):
            errors.append(f"spec.amiSelectorTerms: alias {alias!r} must match the format 'family@version'")
            continue
        family, version = alias.split("@", 1)
        if family not in _FAMILY:
            errors.append(f"spec.amiSelectorTerms: alias family {family!r} is not supported")
            continue
        if family.startswith("windows") and version != "latest":
            errors.append("spec.amiSelectorTerms: windows families may only specify version 'latest'")
        if "amiFamily" in spec and spec["amiFamily"] not in ("Custom", _FAMILY[family]):
            errors.append(f"spec.amiFamily: must be {_FAMILY[family]!r} or 'Custom' with alias {alias!r}")
    if not aliases and "amiFamily" not in spec:
        errors.append("spec.amiFamily: required when amiSelectorTerms has no alias")
    errors += _selector_errors(
        spec.get("subnetSelectorTerms") or [], "spec.subnetSelectorTerms", ("tags", "id"), ("id",),
    )
    errors += _selector_errors(
        spec.get("securityGroupSelectorTerms") or [], "spec.securityGroupSelectorTerms", ("tags", "id", "name"),
        ("id", "name"),
    )
    errors += _reservation_errors(spec.get("capacityReservationSelectorTerms"))
    errors += _network_interface_errors(spec.get("networkInterfaces"))
    group = spec.get("placementGroupSelector")
    if isinstance(group, dict):
        if "name" not in group and "id" not in group:
            errors.append("spec.placementGroupSelector: expected at least one, got none, ['name', 'id']")
        if "name" in group and "id" in group:
            errors.append("spec.placementGroupSelector: 'name' and 'id' are mutually exclusive")
    if ("role" in spec) == ("instanceProfile" in spec):
        errors.append("spec: must specify exactly one of ['role', 'instanceProfile']")
    for field in ("role", "instanceProfile"):
        if spec.get(field) == "":
            errors.append(f"spec.{field}: cannot be empty")
    devices = spec.get("blockDeviceMappings") or []
    if sum(1 for d in devices if d.get("rootVolume") is True) > 1:
        errors.append("spec.blockDeviceMappings: must have only one blockDeviceMappings with rootVolume")
    for i, d in enumerate(devices):
        ebs = d.get("ebs")
        if ebs is not None and "snapshotID" not in ebs and "volumeSize" not in ebs:
            errors.append(f"spec.blockDeviceMappings[{i}].ebs: snapshotID or volumeSize must be defined")
    for key in spec.get("tags") or {}:
        if key == "" or key in ("eks:eks-cluster-name", "karpenter.sh/nodepool", "karpenter.sh/nodeclaim",
                                "karpenter.k8s.aws/ec2nodeclass") or key.startswith("kubernetes.io/cluster"):
            errors.append(f"spec.tags: tag {key!r} is restricted")
    return errors



def validate(obj: Json, schema_of: Callable[[str], Json]) -> list[str]:
    """Problems with a NodePool or EC2NodeClass (empty list: valid).

    Checks the CRD's ``openAPIV3Schema`` (types, enums, patterns: durations, budgets'
    ``nodes``, label values, taint effects) with jsonschema, then the CEL rules
    (``x-kubernetes-validations``) that apply to a new object.
    """
    kind = obj.get("kind") if isinstance(obj, dict) else None
    if kind not in CRD_FILES:
        return [f"kind: expected one of {sorted(CRD_FILES)}, got {kind!r}"]
    expected_api = NODEPOOL_API if kind == "NodePool" else NODECLASS_API
    errors: list[str] = []
    if obj.get("apiVersion") != expected_api:
        errors.append(f"apiVersion: expected {expected_api!r} for {kind}, got {obj.get('apiVersion')!r}")
    if not (obj.get("metadata") or {}).get("name"):
        errors.append("metadata.name: required")
    validator = jsonschema.Draft7Validator(schema_of(kind))
    for err in sorted(validator.iter_errors(obj), key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        errors.append(f"{_path(err.absolute_path)}: {err.message}")
    try:
        errors += _cel_nodepool(obj) if kind == "NodePool" else _cel_nodeclass(obj)
    except (TypeError, AttributeError, ValueError) as exc:  # shapes the schema already rejected
        errors.append(f"(root): cannot evaluate validation rules: {exc}")
    return errors
