"""Stage 6: checkov (its own venv, run as a process) once over all blueprints; results become findings."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from dsaas_infra.validate.blueprint import Blueprint
from dsaas_infra.validate.findings import ERROR, INFO, Finding, Rule, StageResult
from dsaas_infra.validate.tools import find_checkov, run_tool

NAME = "security"
RULES = {r.id: r for r in [
    Rule("SEC001", "skip-without-reason", "A checkov:skip comment gives no reason (write checkov:skip=ID:reason)."),
    Rule("SEC002", "checkov-parse-error", "checkov could not parse a file."),
    Rule("SEC003", "checkov-failed", "checkov did not produce a report."),
]}
NO_REASON = {"", "no comment provided"}
# keep checkov offline and quiet: no guideline download, no PyPI update check
CHECKOV_ENV = {"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE", "LOG_LEVEL": "ERROR"}


def checkov_args(binary: str, scan_dir: Path) -> list[str]:
    return [binary, "-d", str(scan_dir), "-o", "json", "--framework", "terraform", "--skip-download",
            "--download-external-modules", "false"]


def parse_reports(stdout: str) -> list[dict]:
    """checkov prints one JSON value (or several back to back); keep the terraform reports."""
    decoder, pos, reports = json.JSONDecoder(), 0, []
    text = stdout.strip()
    while pos < len(text):
        value, pos = decoder.raw_decode(text, pos)
        while pos < len(text) and text[pos].isspace():
            pos += 1
        for report in value if isinstance(value, list) else [value]:
            if isinstance(report, dict) and report.get("check_type", "terraform") == "terraform":
                reports.append(report)
    return reports


def stage_copies(blueprints: list[Blueprint], root: Path) -> dict[Path, Blueprint]:
    """Copy every blueprint under one directory so a single checkov run covers them all.

    (checkov 3 with several ``-d`` options mixes up the reports, so one parent directory it is.)
    """
    copies = {}
    for i, bp in enumerate(blueprints):
        target = root / f"bp{i}"
        shutil.copytree(bp.path, target, ignore=shutil.ignore_patterns(".terraform", ".git"))
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
                                            f"skipped: {check.get('check_name', '')} (reason: {reason})", **common))
        for path in results.get("parsing_errors", []):
            findings.append(Finding(NAME, "SEC002", ERROR, "checkov could not parse this file",
                                    file=_display(path, copies)))
    return findings


def run(blueprints: list[Blueprint], context) -> StageResult:
    result = StageResult(NAME, rules=RULES)
    tool = find_checkov(context.checkov_bin, context.env)
    if tool.path is None:
        result.skipped_reason = tool.reason
        return result
    with tempfile.TemporaryDirectory(prefix="dsaas-checkov-") as tmp:
        copies = stage_copies(blueprints, Path(tmp))
        proc = run_tool(checkov_args(tool.path, Path(tmp)), cwd=Path(tmp),
                        env={**context.env, **CHECKOV_ENV}, timeout=900)
        try:
            reports = parse_reports(proc.stdout) if proc.returncode in (0, 1) else None
        except json.JSONDecodeError:
            reports = None
        if reports is None:
            detail = " ".join((proc.stderr or proc.stdout).split())[-500:]
            result.findings.append(Finding(NAME, "SEC003", ERROR,
                                           f"checkov exited {proc.returncode} without a report: {detail}"))
            return result
        result.findings.extend(to_findings(reports, copies))
    return result
