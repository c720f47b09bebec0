"""Stage 4: ``terraform fmt -check`` (or tofu) on each blueprint; skipped with a reason without a binary."""

from __future__ import annotations

import re
from dsaas_infra.validate.blueprint import Blueprint
from dsaas_infra.validate.findings import ERROR, Finding, Rule, StageResult
from dsaas_infra.validate.tools import find_terraform, run_tool

NAME = "format"
RULES = {r.id: r for r in [
    Rule("FMT001", "not-formatted", "The file is not in canonical `terraform fmt` style."),
    Rule("FMT002", "fmt-failed", "`terraform fmt` could not process the blueprint."),
]}
_HUNK = re.compile(r"^@@ -(\d+)")


def fmt_args(binary: str) -> list[str]:
    return [binary, "fmt", "-check", "-diff", "-recursive", "-no-color", "."]


def parse_diff(stdout: str) -> list[tuple[str, int, str]]:
    """(file, first changed line, first changed text) per file in ``fmt -check -diff`` output."""
    out: list[tuple[str, int, str]] = []
    current, line, done = None, 0, True
    for text in stdout.splitlines():
        if text.startswith("--- old/"):
            current, done = text[len("--- old/"):], False
        elif text.startswith("+++ ") or current is None or done:
            continue
        elif m := _HUNK.match(text):
            line = int(m.group(1))
        elif text.startswith(("-", "+")):
            out.append((current, line, text[1:].strip()))
            done = True
        else:
            line += 1
    return out


def run(blueprints: list[Blueprint], context) -> StageResult:
    result = StageResult(NAME, rules=RULES)
    tool = find_terraform(context.terraform_bin, context.env)
    if tool.path is None:
        result.skipped_reason = tool.reason
        return result
    for bp in blueprints:
        proc = run_tool(fmt_args(tool.path), cwd=bp.path, env=context.env, timeout=120)
        if proc.returncode == 0:
            continue
        changed = parse_diff(proc.stdout)
        for file, line, text in changed:
            result.findings.append(Finding(NAME, "FMT001", ERROR,
                                           f"not `terraform fmt` clean; first difference: {text!r}",
                                           bp.display(bp.path / file), line))
        if not changed:
            detail = " ".join(_diagnostic(proc.stderr).split())[:500]
            result.findings.append(Finding(NAME, "FMT002", ERROR, f"terraform fmt failed: {detail}",
                                           bp.label))
    return result


def _diagnostic(stderr: str) -> str:
    """Terraform's error text without the CLI-configuration warnings it may print first."""
    errors = stderr.split("Error: ", 1)
    return "Error: " + errors[1] if len(errors) == 2 else stderr

