"""Stage 6: checkov (its own venv, run as a process) once over all blueprints; results become findings."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from dsaas_infra.errors import OperationError
from dsaas_infra.validate.blueprint import Blueprint
from dsaas_infra.validate.findings import ERROR, INFO, Finding, Rule, StageResult
from dsaas_infra.validate.limits import copy_tree
from dsaas_infra.validate.tools import locate_checkov, run_tool

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
    seen = set()
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


def _declares_cloud_resources(bp: Blueprint) -> bool:
    return any(block.type in ("resource", "data") and block.labels and block.labels[0].startswith(SCANNED_PREFIXES)
               for module in bp.modules.values() for block in module.blocks)


def _failed_count(reports: list[dict]) -> int:
    return sum(len((r.get("results") or {}).get("failed_checks") or []) for r in reports)


def _tail(proc) -> str:
    return " ".join(((proc.stderr or "") + " " + (proc.stdout or "")).split())[-500:] or "(no output)"


def check_run(proc, copies: dict[Path, Blueprint]) -> tuple[list[dict], list[Finding]]:
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
    for root, bp in copies.items():
        if root not in scanned and _declares_cloud_resources(bp):
            problems.append(Finding(NAME, "SEC007", ERROR, "checkov's report has no result for this blueprint: "
                                    "it was not scanned", file=bp.label))
    return reports, problems


def stage_copies(blueprints: list[Blueprint], root: Path) -> dict[Path, Blueprint]:
    """Copy every blueprint under one directory so a single checkov run covers them all.

    (checkov 3 with several ``-d`` options mixes up the reports, so one parent directory it is.)
    """
    copies = {}
    for i, bp in enumerate(blueprints):
        target = root / f"bp{i}"
        copy_tree(bp.path, target, skip=frozenset({".terraform", ".git"}))
        copies[target.resolve()] = bp
    return copies


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
    result = StageResult(NAME, rules=RULES)
    tool = locate_checkov(context.checkov_bin, context.env)
    if tool.path is None:
        result.skipped_reason = tool.reason
        return result
    with tempfile.TemporaryDirectory(prefix="dsaas-checkov-") as tmp:
        copies = stage_copies(blueprints, Path(tmp))
        timeout = float(context.env.get("DSAAS_CHECKOV_TIMEOUT") or TIMEOUT_SECONDS)
        try:
            proc = run_tool(checkov_args(tool.path, Path(tmp)), cwd=Path(tmp),
                            env={**context.env, **CHECKOV_ENV}, timeout=timeout)
        except OperationError as e:  # timed out, or could not start
            rule = "SEC004" if "timed out" in str(e) else "SEC003"
            result.findings.append(Finding(NAME, rule, ERROR, str(e)))
            return result
        reports, problems = check_run(proc, copies)
        result.findings.extend(problems)
        result.findings.extend(to_findings(reports, copies))
    return result
