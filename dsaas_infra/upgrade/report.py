"""How an upgrade or a re-render check is shown: text lines, a unified diff, a JSON document."""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

from dsaas_infra.upgrade.changes import CONFLICT, KEPT, UNCHANGED, Upgrade


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def headline(up: Upgrade) -> str:
    source = f"dsaas-infra {up.from_version}" if up.from_version else "an unknown dsaas-infra version"
    spec = f" (spec {_shown(up.spec)})" if up.spec is not None else ""
    return f"{_shown(up.dir)}: from {source} to {up.to_version}{spec}"


def text_lines(up: Upgrade, check: bool = False) -> list[str]:
    """One line per file that changes or needs attention; conflicts with their line ranges."""
    lines = [headline(up)]
    if up.base_missing:
        lines.append("  note: no base was kept by the render that wrote this blueprint: hand-edited files "
                     "are shown as conflicts against the new render")
    for f in up.files:
        if f.action == UNCHANGED:
            continue
        if f.action == CONFLICT:
            where = ", ".join(f"{c.start_line}-{c.end_line}" for c in f.conflicts)
            lines.append(f"  CONFLICT {f.name}:{where}" + (f" ({f.note})" if f.note else ""))
        elif f.changes_disk or f.action == KEPT:
            lines.append(f"  {f.action:<8} {f.name}" + (f" ({f.note})" if f.note else ""))
    for move in up.moves:
        lines.append(f"  moved    {move.source} -> {move.target}")
    verb = "would change" if check else "changed"
    conflicts = sum(len(f.conflicts) for f in up.conflicts)
    summary = f"  {len(up.changed)} file(s) {verb}"
    if conflicts:
        summary += (f", {conflicts} conflict(s) in {len(up.conflicts)} file(s): edit the marked sections "
                    "(<<<<<<< ours ... ||||||| base ... ======= ... >>>>>>> dsaas-infra), keep what is right, "
                    "remove the markers")
    elif not up.changed:
        summary = "  up to date"
    lines.append(summary)
    return lines


def unified_diff(name: str, before: bytes | None, after: bytes | None) -> str:
    """The diff of one file as `git diff` shows it (a/ and b/ prefixes, /dev/null for none)."""
    def text(data: bytes | None) -> list[str]:
        if data is None:
            return []
        try:
            return data.decode("utf-8").splitlines(keepends=True)
        except UnicodeDecodeError:
            return [f"<binary, {len(data)} bytes>\n"]

    lines = list(difflib.unified_diff(text(before), text(after),
                                      "/dev/null" if before is None else f"a/{name}",
                                      "/dev/null" if after is None else f"b/{name}"))
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def diff_text(up: Upgrade) -> str:
    return "".join(unified_diff(f"{_shown(up.dir)}/{f.name}", f.before, f.after) for f in up.changed)


def as_json(upgrades: list[Upgrade], written: bool) -> str:
    blueprints = [{
        "dir": str(up.dir),
        "spec": str(up.spec) if up.spec is not None else None,
        "from_version": up.from_version,
        "to_version": up.to_version,
        "base_missing": up.base_missing,
        "up_to_date": not up.changed,
        "files": [{"file": f.name, "action": f.action, "note": f.note} for f in up.files
                  if f.action != UNCHANGED],
        "conflicts": [{"file": f.name, "start_line": c.start_line, "end_line": c.end_line}
                      for f in up.conflicts for c in f.conflicts],
        "moved": [{"from": m.source, "to": m.target} for m in up.moves],
    } for up in upgrades]
    conflicts = sum(len(c.conflicts) for up in upgrades for c in up.conflicts)
    data = {"written": written, "conflicts": conflicts, "blueprints": blueprints}
    return json.dumps(data, indent=2) + "\n"
