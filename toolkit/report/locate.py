"""Where the evidence lives in our code: plan addresses traced to ``file:line`` of the modules,
and the rendered manifests' objects (EC2NodeClass block devices) read for the report.

checkov reads plan findings from ``plan.json``, which holds no line numbers; only some of its
results carry the HCL location. The plan's ``configuration`` section names the source of every
module call, so ``module.kms.aws_kms_key.this["ebs"]`` becomes ``modules/kms/main.tf:12``: the
``resource "aws_kms_key" "this"`` block in the called module's directory. The scan hashed those
``.tf`` files (``findings.json`` inputs) and the provenance section verifies them, so a location
is as current as the scan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from toolkit.artifacts.findings import Finding
from toolkit.scan import karpenter

STACK_DIR = "terraform"  # the root stack, relative to the project root
_BLOCK = re.compile(r'^\s*(resource|data)\s+"([A-Za-z0-9_]+)"\s+"([A-Za-z0-9_-]+)"')
_MODULE = re.compile(r'^\s*module\s+"([A-Za-z0-9_-]+)"\s*\{')
_SOURCE = re.compile(r'^\s*source\s*=\s*"([^"]+)"')


def split_address(address: str) -> tuple[list[str], str, str, str] | None:
    """``module.a.module.b.data.T.N["k"]`` -> (["a", "b"], "data", "T", "N"); None if not a resource."""
    parts: list[str] = []
    for piece in re.finditer(r'(\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\])|([^.\[]+)', address):
        if piece.group(2):
            parts.append(piece.group(2))
    modules: list[str] = []
    i = 0
    while i + 1 < len(parts) and parts[i] == "module":
        modules.append(parts[i + 1])
        i += 2
    rest = parts[i:]
    mode = "resource"
    if rest and rest[0] == "data":
        mode, rest = "data", rest[1:]
    if len(rest) != 2 or "_" not in rest[0]:
        return None  # a provider configuration (aws.default), a manifest object, ...
    return modules, mode, rest[0], rest[1]


def _norm(path: PurePosixPath) -> str:
    out: list[str] = []
    for part in path.parts:
        if part == "..":
            if out:
                out.pop()
        elif part not in (".", ""):
            out.append(part)
    return "/".join(out)


def _local(source: object) -> bool:
    return isinstance(source, str) and source.startswith(("./", "../"))


@dataclass
class Locator:
    """Looks up ``resource "T" "N"`` blocks in the project's ``.tf`` files, per module directory."""

    root: Path
    plan: Mapping[str, Any] | None = None
    _blocks: dict[str, dict[tuple[str, str, str], tuple[str, int]]] = field(default_factory=dict)
    _calls: dict[str, dict[str, str]] = field(default_factory=dict)
    _found: dict[str, tuple[str, int] | None] = field(default_factory=dict)

    def _files(self, directory: str) -> list[Path]:
        d = self.root / directory
        return sorted(d.glob("*.tf")) if d.is_dir() else []

    def blocks(self, directory: str) -> dict[tuple[str, str, str], tuple[str, int]]:
        if directory not in self._blocks:
            found: dict[tuple[str, str, str], tuple[str, int]] = {}
            for tf in self._files(directory):
                try:
                    lines = tf.read_text(encoding="utf-8").splitlines()
                except (OSError, UnicodeDecodeError):
                    continue
                for n, text in enumerate(lines, 1):
                    m = _BLOCK.match(text)
                    if m:
                        found.setdefault((m.group(1), m.group(2), m.group(3)), (f"{directory}/{tf.name}", n))
            self._blocks[directory] = found
        return self._blocks[directory]

    def _hcl_calls(self, directory: str) -> dict[str, str]:
        """module name -> source, read from the ``.tf`` files (when the plan has no configuration)."""
        if directory not in self._calls:
            calls: dict[str, str] = {}
            for tf in self._files(directory):
                current: str | None = None
                for text in tf.read_text(encoding="utf-8", errors="replace").splitlines():
                    m = _MODULE.match(text)
                    if m:
                        current = m.group(1)
                        continue
                    s = _SOURCE.match(text)
                    if current and s:
                        calls.setdefault(current, s.group(1))
                        current = None
            self._calls[directory] = calls
        return self._calls[directory]

    def module_dir(self, modules: Iterable[str]) -> str | None:
        """The directory (relative to the project root) of a module path such as ["eks"]."""
        directory = STACK_DIR
        config: Any = ((self.plan or {}).get("configuration") or {}).get("root_module")
        for name in modules:
            source: object = None
            if isinstance(config, dict):
                call = (config.get("module_calls") or {}).get(name)
                if isinstance(call, dict):
                    source = call.get("source")
                    config = call.get("module")
                else:
                    config = None
            if source is None:
                source = self._hcl_calls(directory).get(name)
            if not _local(source):
                return None  # a registry or git module: not ours, no file to name
            directory = _norm(PurePosixPath(directory) / str(source))
        return directory

    def locate(self, address: str) -> tuple[str, int] | None:
        """``(file, line)`` of the block that declares ``address``; None outside our code."""
        if address not in self._found:
            self._found[address] = self._locate(address)
        return self._found[address]

    def _locate(self, address: str) -> tuple[str, int] | None:
        parsed = split_address(address)
        if parsed is None:
            return None
        modules, mode, rtype, name = parsed
        directory = self.module_dir(modules)
        if directory is None:
            return None
        return self.blocks(directory).get((mode, rtype, name))


def needs_location(f: Finding) -> bool:
    """A plan result that points at the plan file (or nowhere) rather than at our code."""
    return f.source == "plan" and (f.line is None or not f.file or f.file.endswith(".json"))


# --------------------------------------------------------------------------- manifests

@dataclass(frozen=True)
class Volume:
    device: str
    encrypted: bool | None
    kms_key: str | None
    size: str | None
    type: str | None
    root: bool


@dataclass(frozen=True)
class ManifestObject:
    """One object of the rendered manifests, named as checkov names it (``Kind.namespace.name``)."""

    kind: str
    name: str
    file: str
    line: int
    volumes_line: int | None = None
    volumes: tuple[Volume, ...] = ()
    prefix: str = ""  # "module.karpenter/" for the plan's objects, as the scan names them

    @property
    def resource(self) -> str:
        return f"{self.prefix}{self.kind}.default.{self.name}"

    def volumes_text(self) -> str:
        if not self.volumes:
            return "no blockDeviceMappings: the AMI family's default volumes, not encrypted with our key"
        parts = []
        for v in self.volumes:
            enc = "encrypted" if v.encrypted else "NOT encrypted"
            key = f" with {v.kms_key}" if v.kms_key else (" with the account default key" if v.encrypted else "")
            size = " ".join(x for x in (v.size, v.type) if x)
            parts.append(f"{v.device}{' (root)' if v.root else ''}: {size + ', ' if size else ''}{enc}{key}")
        return "; ".join(parts)


def _scalar(node: yaml.Node | None) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return yaml.safe_load(node.value) if node.tag != "tag:yaml.org,2002:str" else node.value
    return None


def _get(node: yaml.Node | None, key: str) -> tuple[yaml.Node | None, int | None]:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v, k.start_mark.line + 1
    return None, None


def _volume(node: yaml.Node) -> Volume | None:
    ebs, _ = _get(node, "ebs")
    if ebs is None:
        return None
    device = _scalar(_get(node, "deviceName")[0])
    encrypted = _scalar(_get(ebs, "encrypted")[0])
    return Volume(
        device=str(device or "?"),
        encrypted=encrypted if isinstance(encrypted, bool) else None,
        kms_key=(lambda k: str(k) if k else None)(_scalar(_get(ebs, "kmsKeyID")[0])),
        size=(lambda s: str(s) if s else None)(_scalar(_get(ebs, "volumeSize")[0])),
        type=(lambda t: str(t) if t else None)(_scalar(_get(ebs, "volumeType")[0])),
        root=_scalar(_get(node, "rootVolume")[0]) is True,
    )


def manifest_objects(files: Iterable[Path], shown_as: Mapping[Path, str]) -> list[ManifestObject]:
    """Every object with a ``kind`` and ``metadata.name`` in the manifest files; EC2NodeClasses with
    their EBS volumes. ``shown_as`` names each file as the findings do. Unreadable files are skipped:
    the scan, not the report, judges the manifests."""
    out: list[ManifestObject] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        out += _objects(text, shown_as.get(path, path.name))
    return out


def plan_objects(plan: Any, file: str) -> list[ManifestObject]:
    """The Karpenter objects the plan's ``module.karpenter`` outputs (what reaches the cluster),
    named as the scan names its findings on them; ``file`` is where the module builds them."""
    objects = karpenter.plan_objects(plan) if isinstance(plan, dict) else None
    docs = [o for kind_objects in (objects or {}).values() for o in kind_objects or []]
    if not docs:
        return []
    return _objects(yaml.safe_dump_all(docs, sort_keys=False), file, prefix=karpenter.RESOURCE_PREFIX)


def _objects(text: str, file: str, prefix: str = "") -> list[ManifestObject]:
    try:
        docs = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return []
    out: list[ManifestObject] = []
    for doc in docs:
        kind = _scalar(_get(doc, "kind")[0])
        name = _scalar(_get(_get(doc, "metadata")[0], "name")[0])
        if not isinstance(kind, str) or not isinstance(name, str) or doc is None:
            continue
        volumes: list[Volume] = []
        volumes_line = None
        if kind == "EC2NodeClass":
            mappings, volumes_line = _get(_get(doc, "spec")[0], "blockDeviceMappings")
            if isinstance(mappings, yaml.SequenceNode):
                volumes = [v for v in (_volume(m) for m in mappings.value) if v is not None]
        out.append(ManifestObject(kind=kind, name=name, file=file, line=doc.start_mark.line + 1,
                                  volumes_line=volumes_line if not prefix else None, volumes=tuple(volumes),
                                  prefix=prefix))
    return out
