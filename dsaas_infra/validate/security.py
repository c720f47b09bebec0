"""Stage 6: checkov (its own venv, run as a process) once over all blueprints; results become findings."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from dsaas_infra.validate.blueprint import Blueprint
from dsaas_infra.validate.findings import ERROR, INFO, WARNING, Finding, Rule, StageResult
from dsaas_infra.validate.limits import copy_tree
from dsaas_infra.validate.tools import locate_checkov

NAME = "security"
RULES = {r.id: r for r in [
    Rule("SEC001", "skip-without-reason", "A checkov:skip comment gives no reason (write checkov:skip=ID:reason)."),
    Rule("SEC002", "checkov-parse-error", "checkov could not parse a file."),
    Rule("SEC003", "checkov-failed", "checkov crashed or exited with a status other than 0 (no failed checks) "
         "or 1 (failed checks): nothing it printed is trusted."),
    Rule("SEC004", "checkov-timeout", "checkov did not finish in time: the blueprints were not scanned."),
    Rule("SEC005", "checkov-no-report", "checkov printed no report, or one that is not checkov's JSON: the "
         "blueprints were not scanned."),
    Rule("SEC006", "checkov-report-inconsistent", "checkov's exit status contradicts its report (1 without a "
         "failed check, 0 with one)."),
    Rule("SEC007", "checkov-blueprint-not-scanned", "checkov's report has no result for a blueprint that "
         "declares cloud resources: that blueprint was not scanned."),
    Rule("SEC008", "override-not-scanned", "checkov does not merge Terraform override files (*_override.tf): "
         "the blueprint is scanned without them; review what they change.", WARNING),
]}
TIMEOUT_SECONDS = 900  # 100 blueprints take about 5 minutes on 2 cores
# Resource types checkov has checks for: a blueprint declaring any must appear in the report.
SCANNED_PREFIXES = ("aws_", "google_")
NO_REASON = {"", "no comment provided"}
# keep checkov offline and quiet: no guideline download, no PyPI update check
CHECKOV_ENV = {"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE", "LOG_LEVEL": "ERROR"}


def checkov_args(binary: str, scan_dir: Path) -> list[str]:
    return [binary, "-d", str(scan_dir), "-o", "json", "--framework", "terraform", "--skip-download",
            "--download-external-modules", "false"]


def parse_reports(stdout: str) -> list[dict]:
    """checkov prints one JSON value (or several back to back); keep the terraform reports.

    Raises ValueError for text that is not JSON or JSON that is not a checkov report: a report is a
    mapping with ``results`` (or, when nothing at all was scannable, checkov's bare summary)."""
    decoder, pos, reports = json.JSONDecoder(), 0, []
    text = stdout.strip()
    while pos < len(text):
        value, pos = decoder.raw_decode(text, pos)
        while pos < len(text) and text[pos].isspace():
            pos += 1
        for report in value if isinstance(value, list) else [value]:
            if not isinstance(report, dict) or not ("results" in report or "passed" in report):
                raise ValueError("JSON that is not a checkov report")
            if report.get("check_type", "terraform") == "terraform":
                reports.append(report)
    return reports


def _scanned_roots(reports: list[dict], copies: dict[Path, Blueprint]) -> set[Path]:
    """The staged blueprint copies that some check result (passed, failed or skipped) is in."""
    seen: set[Path] = set()
    for report in reports:
        results = report.get("results") or {}
        for kind in ("passed_checks", "failed_checks", "skipped_checks"):
            for check in results.get(kind) or []:
                path = check.get("file_abs_path")
                if not path:
                    continue
                resolved = Path(path).resolve()
                seen.update(root for root in copies if resolved.is_relative_to(root))
    return seen


def declares_cloud_resources(bp: Blueprint) -> bool:
    return any(block.type in ("resource", "data") and block.labels and block.labels[0].startswith(SCANNED_PREFIXES)
               for module in bp.modules.values() for block in module.blocks)


def _failed_count(reports: list[dict]) -> int:
    return sum(len((r.get("results") or {}).get("failed_checks") or []) for r in reports)


def _tail(proc) -> str:
    return " ".join(((proc.stderr or "") + " " + (proc.stdout or "")).split())[-500:] or "(no output)"


def check_run(proc, copies: dict[Path, Blueprint],
              declares: list[bool] | None = None) -> tuple[list[dict], list[Finding]]:
    """checkov's exit status and output, both checked: the reports to use, or the error findings
    saying why none can be trusted (then the stage fails; it is never passed unscanned)."""
    if proc.returncode not in (0, 1):
        how = f"was killed by signal {-proc.returncode}" if proc.returncode < 0 else f"exited {proc.returncode}"
        return [], [Finding(NAME, "SEC003", ERROR, f"checkov {how}: {_tail(proc)}")]
    if not (proc.stdout or "").strip():
        if proc.returncode == 1:  # what an uncaught Python exception exits with
            return [], [Finding(NAME, "SEC003", ERROR, f"checkov crashed: exit 1 and no report: {_tail(proc)}")]
        return [], [Finding(NAME, "SEC005", ERROR, f"checkov exited 0 and printed no report: {_tail(proc)}")]
    try:
        reports = parse_reports(proc.stdout)
    except ValueError as e:  # json.JSONDecodeError is one
        return [], [Finding(NAME, "SEC005", ERROR, f"checkov's output is not a checkov JSON report ({e}): "
                            f"{_tail(proc)}")]
    failed = _failed_count(reports)
    if (proc.returncode == 1) != (failed > 0):
        return [], [Finding(NAME, "SEC006", ERROR, f"checkov exited {proc.returncode} but its report lists "
                            f"{failed} failed check(s): {_tail(proc)}")]
    problems = []
    scanned = _scanned_roots(reports, copies)
    for i, (root, bp) in enumerate(copies.items()):
        if root not in scanned and (declares[i] if declares is not None else declares_cloud_resources(bp)):
            problems.append(Finding(NAME, "SEC007", ERROR, "checkov's report has no result for this blueprint: "
                                    "it was not scanned", file=bp.label))
    return reports, problems


def _display(path: str | None, copies: dict[Path, Blueprint]) -> str | None:
    """A path inside the staged copies, shown as the user's blueprint path."""
    if not path:
        return None
    resolved = Path(path).resolve()
    for root, bp in copies.items():
        if resolved.is_relative_to(root):
            return bp.display(bp.path / resolved.relative_to(root))
    return path


def to_findings(reports: list[dict], copies: dict[Path, Blueprint]) -> list[Finding]:
    findings, seen = [], set()
    for report in reports:
        results = report.get("results", {})
        for kind in ("failed_checks", "skipped_checks"):
            for check in results.get(kind, []):
                file = _display(check.get("file_abs_path"), copies) or check.get("file_path")
                lines = check.get("file_line_range") or [None, None]
                key = (kind, check["check_id"], file, lines[0], check.get("resource"))
                if key in seen:
                    continue
                seen.add(key)
                common = dict(file=file, line=lines[0], end_line=lines[1], address=check.get("resource"),
                              guideline=check.get("guideline"))
                if kind == "failed_checks":
                    findings.append(Finding(NAME, check["check_id"], ERROR, check.get("check_name", ""), **common))
                    continue
                reason = (check.get("check_result") or {}).get("suppress_comment") or ""
                if reason.strip().lower() in NO_REASON:
                    findings.append(Finding(NAME, "SEC001", ERROR, f"{check['check_id']} is skipped without a "
                                            f"reason: write checkov:skip={check['check_id']}:<why>", **common))
                else:
                    findings.append(Finding(NAME, check["check_id"], INFO,
                                            f"skipped: {check.get('check_name', '')} (reason: {reason})",
                                            suppression=reason, **common))
        for path in results.get("parsing_errors", []):
            findings.append(Finding(NAME, "SEC002", ERROR, "checkov could not parse this file",
                                    file=_display(path, copies)))
    return findings


def run(blueprints: list[Blueprint], context) -> StageResult:
    started = start([bp.path for bp in blueprints], context)
    if isinstance(started, StageResult):
        return started
    return collect(started, blueprints)[0]


@dataclass
class Started:
    """A checkov process scanning staged copies of the blueprints, running while other stages do."""

    proc: subprocess.Popen | None  # None: it could not start (``error`` says why)
    argv: list[str]
    tmp: Path
    roots: list[Path]  # the staged copy of each blueprint, in order
    timeout: float
    started: float
    error: Finding | None = None


def start(paths: list[Path], context) -> Started | StageResult:
    """Stage copies of the blueprint directories under one folder and start one checkov over all of
    them (checkov 3 with several ``-d`` options mixes up the reports, so one parent directory it
    is). Not waited for: ``collect`` does. A StageResult when checkov is not installed (skipped)."""
    tool = locate_checkov(context.checkov_bin, context.env)
    if tool.path is None:
        return StageResult(NAME, rules=RULES, skipped_reason=tool.reason)
    tmp = Path(tempfile.mkdtemp(prefix="dsaas-checkov-"))
    roots = []
    for i, path in enumerate(paths):
        target = tmp / f"bp{i}"
        # .dsaas/ holds the pristine base of `upgrade`: a second copy of every rendered file.
        copy_tree(path, target, skip=frozenset({".terraform", ".git", ".dsaas"}))
        for override in _override_files(target):
            override.unlink()  # scanned alone, a partial block fails checks the merged one passes
        roots.append(target.resolve())
    argv = checkov_args(tool.path, tmp)
    timeout = float(context.env.get("DSAAS_CHECKOV_TIMEOUT") or TIMEOUT_SECONDS)
    try:
        proc = subprocess.Popen(argv, cwd=tmp, env={**context.env, **CHECKOV_ENV}, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except OSError as e:
        return Started(None, argv, tmp, roots, timeout, time.monotonic(),
                       Finding(NAME, "SEC003", ERROR, f"cannot run {argv[0]}: {e}"))
    return Started(proc, argv, tmp, roots, timeout, time.monotonic())


def collect(started: Started, blueprints: list[Blueprint],
            declares: list[bool] | None = None) -> tuple[StageResult, list[StageResult], bool]:
    """Wait for checkov and judge its run: (the stage's result for all blueprints, one result per
    blueprint, whether each blueprint's result stands on its own). The last is False when
    checkov's run as a whole cannot be trusted (crash, timeout, no report): that failure is
    the first blueprint's, and no blueprint's part may be remembered as its own result.
    ``declares`` says per blueprint whether it declares cloud resources (default: read from
    its parsed modules, which a caller that parsed them elsewhere need not pass)."""
    try:
        whole = StageResult(NAME, rules=RULES)
        parts = [StageResult(NAME, rules=RULES) for _ in blueprints]
        if started.error is not None:
            whole.findings.append(started.error)
            parts[0].findings.append(started.error)
            return whole, parts, False
        assert started.proc is not None
        remaining = max(1.0, started.timeout - (time.monotonic() - started.started))
        try:
            stdout, stderr = started.proc.communicate(timeout=remaining)
        except subprocess.TimeoutExpired:
            started.proc.kill()
            started.proc.communicate()
            error = Finding(NAME, "SEC004", ERROR, f"{Path(started.argv[0]).name} timed out after "
                            f"{started.timeout:.0f}s: {' '.join(started.argv)}")
            whole.findings.append(error)
            parts[0].findings.append(error)
            return whole, parts, False
        proc = subprocess.CompletedProcess(started.argv, started.proc.returncode, stdout, stderr)
        copies = dict(zip(started.roots, blueprints, strict=True))
        reports, problems = check_run(proc, copies, declares)
        whole.findings.extend(problems)
        whole.findings.extend(to_findings(reports, copies))
        index = {root: i for i, root in enumerate(started.roots)}
        label = {bp.label: i for i, bp in enumerate(blueprints)}
        standalone = True
        for finding in problems:
            if finding.rule_id == "SEC007" and finding.file in label:
                parts[label[finding.file]].findings.append(finding)
            else:
                parts[0].findings.append(finding)
                standalone = False
        for root, own in split_reports(reports, started.roots).items():
            target = parts[index[root]] if root is not None else parts[0]
            target.findings.extend(to_findings(own, copies))
            standalone = standalone and root is not None
        for i, bp in enumerate(blueprints):
            for path in _override_files(bp.path):
                note = Finding(NAME, "SEC008", WARNING, "checkov does not merge override files: the blueprint "
                               "was scanned without this one; review what it changes", file=bp.display(path))
                whole.findings.append(note)
                parts[i].findings.append(note)
        return whole, parts, standalone
    finally:
        shutil.rmtree(started.tmp, ignore_errors=True)


def _override_files(root: Path) -> list[Path]:
    from dsaas_infra.validate.tf_override import is_override

    found = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = [d for d in dirs if d not in (".dsaas", ".terraform", ".git")]
        found += [Path(folder) / f for f in files if is_override(Path(f)) and not os.path.islink(Path(folder) / f)]
    return sorted(found)


def split_reports(reports: list[dict], roots: list[Path]) -> dict[Path | None, list[dict]]:
    """checkov's results regrouped per staged blueprint copy (None: a result in none of them)."""
    grouped: dict[Path | None, dict[str, list]] = {}
    for report in reports:
        results = report.get("results") or {}
        for kind in ("failed_checks", "skipped_checks", "parsing_errors"):
            for item in results.get(kind) or []:
                path = item if kind == "parsing_errors" else item.get("file_abs_path")
                resolved = Path(path).resolve() if path else None
                owner = next((r for r in roots if resolved is not None and resolved.is_relative_to(r)), None)
                grouped.setdefault(owner, {}).setdefault(kind, []).append(item)
    return {owner: [{"results": results}] for owner, results in grouped.items()}
