"""Stage 4: ``terraform fmt -check`` (or tofu), once for all blueprints; skipped with a reason without a binary."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from dsaas_infra.errors import OperationError
from dsaas_infra.validate.blueprint import Blueprint
from dsaas_infra.validate.findings import ERROR, Finding, Rule, StageResult
from dsaas_infra.validate.limits import MAX_TF_BYTES
from dsaas_infra.validate.tools import locate_terraform

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
    started = start([bp.path for bp in blueprints], context)
    return started if isinstance(started, StageResult) else collect(started, blueprints)


@dataclass
class Started:
    """A `terraform fmt` process over staged links to the blueprints' files, running while other stages do."""

    proc: subprocess.Popen
    argv: list[str]
    tmp: Path
    timeout: float
    started: float


def start(paths: list[Path], context) -> Started | StageResult:
    """Stage the blueprints and start `terraform fmt` (``collect`` waits for it); a StageResult
    when no Terraform is installed (the stage is skipped)."""
    tool = locate_terraform(context.terraform_bin, context.env)
    if tool.path is None:
        return StageResult(NAME, rules=RULES, skipped_reason=tool.reason)
    root = Path(tempfile.mkdtemp(prefix="dsaas-fmt-"))
    try:
        size = sum(_stage(path, root / f"bp{i}") for i, path in enumerate(paths))
        timeout = BASE_TIMEOUT + SECONDS_PER_MB * size / 1_000_000
        argv = fmt_args(tool.path)
        try:
            proc = subprocess.Popen(argv, cwd=root, env=context.env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        except OSError as e:
            raise OperationError(f"cannot run {argv[0]}: {e}") from e
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return Started(proc, argv, root, timeout, time.monotonic())


def collect(started: Started, blueprints: list[Blueprint]) -> StageResult:
    """Wait for `terraform fmt` and turn its diff into findings (a timeout raises OperationError)."""
    result = StageResult(NAME, rules=RULES)
    try:
        remaining = max(1.0, started.timeout - (time.monotonic() - started.started))
        try:
            stdout, stderr = started.proc.communicate(timeout=remaining)
        except subprocess.TimeoutExpired as e:
            started.proc.kill()
            started.proc.communicate()
            raise OperationError(f"{Path(started.argv[0]).name} timed out after {started.timeout:.0f}s: "
                                 f"{' '.join(started.argv)}") from e
    finally:
        shutil.rmtree(started.tmp, ignore_errors=True)
    proc = subprocess.CompletedProcess(started.argv, started.proc.returncode, stdout, stderr)
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

