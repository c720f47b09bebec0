"""Stage 4: ``terraform fmt -check`` (or tofu), once for all blueprints; skipped with a reason without a binary."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from dsaas_infra.validate.blueprint import Blueprint
from dsaas_infra.validate.findings import ERROR, Finding, Rule, StageResult
from dsaas_infra.validate.limits import MAX_TF_BYTES
from dsaas_infra.validate.tools import locate_terraform, run_tool

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
    """One `terraform fmt` for all blueprints (staged side by side under one folder), with a
    timeout that grows with the bytes to format."""
    result = StageResult(NAME, rules=RULES)
    tool = locate_terraform(context.terraform_bin, context.env)
    if tool.path is None:
        result.skipped_reason = tool.reason
        return result
    with tempfile.TemporaryDirectory(prefix="dsaas-fmt-") as tmp:
        root = Path(tmp)
        size = sum(_stage(bp.path, root / f"bp{i}") for i, bp in enumerate(blueprints))
        timeout = BASE_TIMEOUT + SECONDS_PER_MB * size / 1_000_000
        proc = run_tool(fmt_args(tool.path), cwd=root, env=context.env, timeout=timeout)
    if proc.returncode == 0:
        return result
    changed = parse_diff(proc.stdout)
    for file, line, text in changed:
        index, _, rel = file.partition("/")
        bp = blueprints[int(index[2:])]
        result.findings.append(Finding(NAME, "FMT001", ERROR,
                                       f"not `terraform fmt` clean; first difference: {text!r}",
                                       bp.display(bp.path / rel), line))
    if proc.returncode != 0 and (not changed or "Error: " in proc.stderr):
        detail = _diagnostic(proc.stderr)
        named = [bp for i, bp in enumerate(blueprints) if f"bp{i}/" in detail]
        detail = " ".join(re.sub(r"\bbp\d+/", "", detail).split())[:500]
        for bp in named or ([] if changed else blueprints):
            result.findings.append(Finding(NAME, "FMT002", ERROR, f"terraform fmt failed: {detail}",
                                           bp.label))
    return result


# `terraform fmt` formats some MB a second; the base covers start-up on a loaded machine.
BASE_TIMEOUT = 60.0
SECONDS_PER_MB = 20.0


def _ignored(name: str) -> bool:
    """Names `terraform fmt` skips (configs.IsIgnoredFile): hidden, editor backups."""
    return name.startswith(".") or name.endswith("~") or (name.startswith("#") and name.endswith("#"))


def _stage(source: Path, target: Path) -> int:
    """Link (or copy) the files `terraform fmt -recursive` would format under ``target``; never
    through a symlink, never a file over the size limit (the syntax stage reports it).
    Returns the bytes staged."""
    total = 0
    for here, dirs, files in os.walk(source, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not _ignored(d) and not os.path.islink(os.path.join(here, d)))
        rel = Path(here).relative_to(source)
        for name in sorted(files):
            path = Path(here) / name
            if _ignored(name) or not name.endswith((".tf", ".tfvars")) or path.is_symlink():
                continue
            try:
                size = path.stat().st_size
            except OSError:
                continue
            if size > MAX_TF_BYTES:
                continue
            (target / rel).mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, target / rel / name)
            except OSError:
                shutil.copyfile(path, target / rel / name)
            total += size
    return total


def _diagnostic(stderr: str) -> str:
    """Terraform's error text without the CLI-configuration warnings it may print first."""
    errors = stderr.split("Error: ", 1)
    return "Error: " + errors[1] if len(errors) == 2 else stderr

