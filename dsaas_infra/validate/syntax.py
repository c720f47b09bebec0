"""Stage 1: every ``.tf`` file of every blueprint (and of the local modules it calls) parses."""

from __future__ import annotations

from pathlib import Path

from dsaas_infra.upgrade.merge3 import Conflict, find_markers
from dsaas_infra.validate.blueprint import Blueprint
from dsaas_infra.validate.findings import ERROR, Finding, Rule, StageResult
from dsaas_infra.validate.limits import MAX_TF_BYTES

NAME = "syntax"
RULES = {
    "HCL001": Rule("HCL001", "parse-error", "The file is not valid HCL2 (python-hcl2 cannot parse it)."),
    "HCL002": Rule("HCL002", "no-terraform-files", "The blueprint directory holds no .tf file."),
    "HCL003": Rule("HCL003", "input-limit", "The file is over the size or nesting limit and was not checked."),
    "HCL005": Rule("HCL005", "override-without-base", "An override file (*_override.tf) changes a block that "
                   "no other file of the module declares."),
    "HCL004": Rule("HCL004", "conflict-markers", "The file holds merge conflict markers (<<<<<<< ... >>>>>>>) "
                   "left by `dsaas-infra upgrade` or git: resolve the conflict and remove the markers."),
}


def run(blueprints: list[Blueprint], context: object = None) -> StageResult:
    result = StageResult(NAME, rules=RULES)
    for bp in blueprints:
        if not bp.root.files:
            result.findings.append(Finding(NAME, "HCL002", ERROR, "no .tf files found", file=bp.label))
        for module in bp.modules.values():
            marked = set()
            for path in module.files:
                conflicts = _conflicts(path)
                if conflicts:
                    marked.add(path)
                for c in conflicts:
                    result.findings.append(Finding(
                        NAME, "HCL004", ERROR, f"unresolved merge conflict (lines {c.start_line}-{c.end_line}): "
                        "keep the right lines, remove the <<<<<<< ||||||| ======= >>>>>>> markers",
                        file=bp.display(path), line=c.start_line, end_line=c.end_line))
            for err in module.errors:
                if err.file in marked and err.rule == "HCL001":
                    continue  # the markers are the parse error: one finding, the one that says why
                result.findings.append(Finding(NAME, err.rule, ERROR, f"column {err.column}: {err.message}",
                                               file=bp.display(err.file), line=err.line))
    return result


def _conflicts(path: Path) -> list[Conflict]:
    try:
        if path.stat().st_size > MAX_TF_BYTES:
            return []  # HCL003 reports it
        return find_markers(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return []  # HCL001 reports an unreadable file
