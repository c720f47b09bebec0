"""What a rendered blueprint deploys, read from its files: resources by type, with their literals.

Rendered files are `terraform fmt`-clean, so a line scan is exact for what the estimate needs (the
top-level literal attributes of each resource block), and far cheaper than a full HCL parse.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from dsaas_infra.hcl_scan import code_lines
from dsaas_infra.phases import phase_of_file

_BLOCK = re.compile(r'^resource\s+"([^"]+)"\s+"([^"]+)"\s*\{\s*$')
_LOCALS = re.compile(r'^locals\s*\{\s*$')
_ATTR = re.compile(r'^(  |    )([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(.+?)\s*$')
# The same match, twice as fast where the value holds a non-space character (then both take it from
# its first to its last one); _attr falls back to _ATTR for a value of only spaces.
_ATTR_FAST = re.compile(r'^(  |    )([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(.*\S)\s*$')
_NESTED = re.compile(r'^  ([A-Za-z_][A-Za-z0-9_]*)\s*\{\s*$')


@dataclass
class Resource:
    type: str
    name: str
    file: str
    phase: str
    # attr (or block.attr, one level deep) -> str/number/bool/list, or the expression's source text
    literals: dict[str, object] = field(default_factory=dict)
    expressions: dict[str, str] = field(default_factory=dict)
    blocks: dict[str, int] = field(default_factory=dict)  # nested block type -> how many

    @property
    def address(self) -> str:
        return f"{self.type}.{self.name}"


# What a JSON value can start with (json.loads also reads NaN and Infinity); anything else is an
# expression (a reference, a call), which would cost a raised and caught ValueError to find out.
_JSON_START = frozenset('"-[{0123456789')
_JSON_WORDS = frozenset({"true", "false", "null", "NaN", "Infinity"})


def _attr(line: str) -> re.Match[str] | None:
    """``_ATTR.match(line)``."""
    m = _ATTR_FAST.match(line)
    if m is None and line[-1:].isspace():
        m = _ATTR.match(line)
    return m


def _literal(text: str):
    if text[:1] not in _JSON_START and text not in _JSON_WORDS:
        return None
    found = _LITERALS.get(text, _UNSEEN)
    if found is not _UNSEEN:
        return found
    try:
        value = json.loads(text)  # HCL strings, numbers, bools and flat lists are JSON here
    except ValueError:
        value = None
    if not isinstance(value, (list, dict)) and len(_LITERALS) < _LITERALS_MAX:
        _LITERALS[text] = value  # immutable: shared safely between resources
    return value


# Rendered blueprints repeat most values ("true", 7, "aws:kms", ...), within a blueprint and across
# a fleet: each distinct scalar literal is parsed once per process.
_UNSEEN = object()
_LITERALS: dict[str, object] = {}
_LITERALS_MAX = 100_000


@dataclass
class Inventory:
    resources: list[Resource]
    locals: dict[str, object]  # top-level literal locals
    text: str  # every .tf file, for "does the blueprint call this API at all" questions

    def of(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def has(self, type_: str) -> bool:
        return any(r.type == type_ for r in self.resources)


def scan(files: dict[str, bytes]) -> Inventory:
    out: list[Resource] = []
    local_values: dict[str, object] = {}
    texts: list[str] = []
    for name, data in sorted(files.items()):
        if not name.endswith(".tf") or "/" in name:
            continue
        phase = phase_of_file(name)
        text = data.decode("utf-8")
        texts.append(text)
        in_locals = False
        current: Resource | None = None
        nested: str | None = None
        # Each regex only runs on a line that can match it (the literal text it must hold first):
        # most lines of a blueprint are none of these, and this scan prices every render.
        for line in code_lines(text):
            if in_locals:
                if line == "}":
                    in_locals = False
                elif "=" in line and (m := _attr(line)) is not None and len(m.group(1)) == 2:
                    value = _literal(m.group(3))
                    if value is not None:
                        local_values[m.group(2)] = value
            elif current is None:
                if line.startswith("resource"):
                    m = _BLOCK.match(line)
                    if m:
                        current = Resource(m.group(1), m.group(2), name, phase)
                elif line.startswith("locals") and _LOCALS.match(line):
                    in_locals = True
            elif line == "}":
                out.append(current)
                current = None
            elif line == "  }":
                nested = None
            elif "{" in line and (n := _NESTED.match(line)) is not None:
                nested = n.group(1)
                current.blocks[nested] = current.blocks.get(nested, 0) + 1
            elif "=" in line and (m := _attr(line)) is not None:
                deep = len(m.group(1)) == 4
                if deep and nested is None:
                    continue  # inside an object expression or a deeper block
                key = f"{nested}.{m.group(2)}" if deep else m.group(2)
                value = _literal(m.group(3))
                if value is None:
                    current.expressions[key] = m.group(3)
                else:
                    current.literals[key] = value
    return Inventory(out, local_values, "\n".join(texts))
