"""Which blueprint file declares a resource address (dsaas_infra.phases says which phase a file is)."""

from __future__ import annotations

import re
from pathlib import Path

from dsaas_infra.hcl_scan import code_lines

_BLOCK = re.compile(r'^(resource|data|module)\s+"([^"]+)"(?:\s+"([^"]+)")?\s*\{')


def _blocks(text: str):
    for line in code_lines(text):
        match = _BLOCK.match(line)
        if match:
            yield match.groups()


def declarations(blueprint: Path) -> dict[str, str]:
    """Map each root-module declaration ("aws_s3_bucket.raw", "data.x.y", "module.m") to its file."""
    found: dict[str, str] = {}
    for path in sorted(blueprint.glob("*.tf")):
        for kind, first, second in _blocks(path.read_text(encoding="utf-8", errors="replace")):
            if kind == "resource":
                found[f"{first}.{second}"] = path.name
            elif kind == "data":
                found[f"data.{first}.{second}"] = path.name
            else:
                found[f"module.{first}"] = path.name
    return found


_INDEX = re.compile(r"\[[^\]]*\]$")


def declaration_of(address: str) -> str:
    """The root-module declaration an instance address comes from.

    ``aws_s3_bucket.raw["x"]`` -> ``aws_s3_bucket.raw``; ``module.m[0].aws_x.y`` -> ``module.m``.
    """
    if address.startswith("module."):
        name = address.split(".", 2)[1]
        return "module." + _INDEX.sub("", name)
    parts = address.split(".")
    head = parts[:3] if parts[0] == "data" else parts[:2]
    joined = ".".join(head)
    # Instance keys may themselves contain dots (["a.b"]); cut at the first bracket instead.
    bracket = address.find("[")
    if bracket != -1 and bracket < len(joined):
        joined = address[:bracket]
    return _INDEX.sub("", joined)


def file_of(address: str, decls: dict[str, str]) -> str | None:
    return decls.get(declaration_of(address))
