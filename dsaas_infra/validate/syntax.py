"""Stage 1: every ``.tf`` file of every blueprint (and of the local modules it calls) parses."""

from __future__ import annotations

from dsaas_infra.validate.blueprint import Blueprint
from dsaas_infra.validate.findings import ERROR, Finding, Rule, StageResult

NAME = "syntax"
RULES = {
    "HCL001": Rule("HCL001", "parse-error", "The file is not valid HCL2 (python-hcl2 cannot parse it)."),
    "HCL002": Rule("HCL002", "no-terraform-files", "The blueprint directory holds no .tf file."),
    "HCL003": Rule("HCL003", "input-limit", "The file is over the size or nesting limit and was not checked."),
}


def run(blueprints: list[Blueprint], context: object = None) -> StageResult:
    result = StageResult(NAME, rules=RULES)
    for bp in blueprints:
        if not bp.root.files:
            result.findings.append(Finding(NAME, "HCL002", ERROR, "no .tf files found", file=bp.label))
        for module in bp.modules.values():
            for err in module.errors:
                result.findings.append(Finding(NAME, err.rule, ERROR, f"column {err.column}: {err.message}",
                                               file=bp.display(err.file), line=err.line))
    return result
