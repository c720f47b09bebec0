"""A rendered blueprint parsed with python-hcl2 into plain dicts, for assertions on its HCL."""

from __future__ import annotations

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
