"""The one HCL test helper of both clouds: rendered .tf files parsed with python-hcl2 into plain dicts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import hcl2

from dsaas_infra.render import render_blueprint
from dsaas_infra.spec.resolved import ResolvedSpec


def unquote(value):
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def norm(value):
    """python-hcl2's output without its quotes and metadata keys."""
    if isinstance(value, dict):
        return {unquote(k): norm(v) for k, v in value.items() if k not in ("__comments__", "__is_block__")}
    if isinstance(value, list):
        return [norm(v) for v in value]
    return unquote(value)


def parse_tf(content: bytes | str) -> dict:
    """One .tf file as python-hcl2 reads it, normalised ({block kind: [bodies]})."""
    return norm(hcl2.loads(content.decode() if isinstance(content, bytes) else content))


def parse_tf_files(files: Mapping[str, bytes]) -> dict[str, dict]:
    """Every .tf file of a rendered blueprint, parsed: {file name: document}."""
    return {name: parse_tf(content) for name, content in files.items() if name.endswith(".tf")}


def merge(documents: Iterable[dict]) -> dict[str, list]:
    """The top-level blocks of several documents together: {block kind: [bodies]}."""
    out: dict[str, list] = {}
    for doc in documents:
        for kind, bodies in doc.items():
            out.setdefault(kind, []).extend(bodies)
    return out


def blocks(doc: Mapping[str, list], kind: str, rtype: str | None = None) -> dict[str, dict]:
    """Labelled blocks of a kind (resource, data): of one type by name, or all by "type.name"."""
    out = {}
    for item in doc.get(kind, []):
        for t, named in item.items():
            if rtype is None:
                out.update({f"{t}.{name}": body for name, body in named.items()})
            elif t == rtype:
                out.update(named)
    return out


@dataclass
class ParsedBlueprint:
    spec: ResolvedSpec
    files: dict[str, bytes]
    resources: dict[tuple[str, str], dict] = field(default_factory=dict)
    data: dict[tuple[str, str], dict] = field(default_factory=dict)
    locals: dict[str, object] = field(default_factory=dict)
    variables: dict[str, dict] = field(default_factory=dict)
    comments: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    origin: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (kind, type, name) -> file

    def of_type(self, rtype: str) -> dict[str, dict]:
        """Resources of one type, by name."""
        return {name: body for (t, name), body in self.resources.items() if t == rtype}

    def data_of_type(self, rtype: str) -> dict[str, dict]:
        """Data sources of one type, by name."""
        return {name: body for (t, name), body in self.data.items() if t == rtype}

    def declared_in(self, kind: str, rtype: str, files: frozenset[str] | set[str]) -> dict[str, dict]:
        """Blocks of a type declared in the given files."""
        source = self.resources if kind == "resource" else self.data
        return {name: body for (t, name), body in source.items()
                if t == rtype and self.origin[(kind, t, name)] in files}

    def text(self, name: str) -> str:
        return self.files[name].decode()


def parse(spec: ResolvedSpec, cls: type[ParsedBlueprint] = ParsedBlueprint) -> ParsedBlueprint:
    bp = cls(spec, render_blueprint(spec))
    for name, content in bp.files.items():
        if not name.endswith(".tf"):
            continue
        # Comments are read from python-hcl2's raw output (norm drops them).
        parsed = hcl2.loads(content.decode())
        for kind, target in (("resource", bp.resources), ("data", bp.data)):
            for item in parsed.get(kind, []):
                for rtype, named in item.items():
                    for rname, body in named.items():
                        key = (unquote(rtype), unquote(rname))
                        assert key not in target, f"{kind} {key} declared twice"
                        target[key] = norm(body)
                        bp.origin[(kind, *key)] = name
                        bp.comments[key] = [c["value"] for c in body.get("__comments__", [])]
        for item in parsed.get("locals", []):
            bp.locals.update(norm(item))
        for item in parsed.get("variable", []):
            bp.variables.update(norm(item))
    return bp
