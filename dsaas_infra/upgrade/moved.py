"""Resource and module addresses the new render renamed, and the ``moved {}`` blocks that keep their state."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Rendered .tf files are formatted: a top-level block opens at column 0 and closes with "}" there.
_HEADER = re.compile(r'^(resource|module)\s+"([^"]+)"(?:\s+"([^"]+)")?\s*\{\s*$')
MOVED_FILE = "moved.tf"


@dataclass(frozen=True)
class Move:
    source: str  # the address in the last render
    target: str  # the address in the new render

    def block(self) -> str:
        return f"moved {{\n  from = {self.source}\n  to   = {self.target}\n}}\n"


def blocks(files: dict[str, bytes]) -> dict[str, str]:
    """address -> body text of every top-level resource and module block of the .tf files."""
    found: dict[str, str] = {}
    for name, data in sorted(files.items()):
        if not name.endswith(".tf") or "/" in name:
            continue
        try:
            lines = data.decode("utf-8").splitlines()
        except UnicodeDecodeError:
            continue
        address: str | None = None
        body: list[str] = []
        for line in lines:
            if address is None:
                m = _HEADER.match(line)
                if m:
                    kind, first, second = m.groups()
                    if kind == "module":
                        address = f"module.{first}"
                    elif second is not None:
                        address = f"{first}.{second}"
                    body = []
            elif line == "}":
                found[address] = "\n".join(body)
                address = None
            else:
                body.append(line)
    return found


def _kind(address: str) -> str:
    return address.rsplit(".", 1)[0]


def renames(old: dict[str, bytes], new: dict[str, bytes]) -> list[Move]:
    """Addresses that disappeared and reappeared under another name with the same body.

    A body counts as the same after the renames already found are applied to it (a renamed
    bucket's policy refers to the bucket by its new name), repeated until nothing more matches.
    Only exact matches move: a block that was renamed and changed is left to Terraform's plan.
    """
    before, after = blocks(old), blocks(new)
    gone = sorted(set(before) - set(after))
    appeared = sorted(set(after) - set(before))
    moves: dict[str, str] = {}
    while True:
        found = False
        for source in gone:
            if source in moves:
                continue
            body = _renamed(before[source], moves)
            candidates = [t for t in appeared if t not in moves.values() and _kind(t) == _kind(source)
                          and after[t] == body]
            if len(candidates) == 1:
                moves[source] = candidates[0]
                found = True
        if not found:
            break
    return [Move(s, t) for s, t in sorted(moves.items())]


def _renamed(body: str, moves: dict[str, str]) -> str:
    for source, target in moves.items():
        body = re.sub(rf"(?<![\w.-]){re.escape(source)}(?![\w-])", target, body)
    return body


def moved_file(existing: bytes | None, moves: list[Move]) -> bytes | None:
    """``moved.tf`` with a block for each move not already in it (None: nothing to add)."""
    text = existing.decode("utf-8") if existing is not None else ""
    present = {(m.group(1), m.group(2)) for m in
               re.finditer(r"moved\s*\{\s*from\s*=\s*(\S+)\s*to\s*=\s*(\S+)\s*\}", text)}
    new = [m for m in moves if (m.source, m.target) not in present]
    if not new:
        return None
    if not text:
        text = ("# Written by `dsaas-infra upgrade`: resources the templates renamed keep their state.\n"
                "# Keep these blocks until every workspace of this blueprint has applied them.\n")
    elif not text.endswith("\n"):
        text += "\n"
    return (text + "".join("\n" + m.block() for m in new)).encode("utf-8")
