"""JUnit XML report: one testsuite per stage, one testcase per blueprint in it (so a CI page names the
client that failed); a testcase fails with every error finding of that blueprint and stage."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from dsaas_infra.render.escape import xml_clean
from dsaas_infra.validate.findings import ERROR, Finding, Report


def belongs_to(finding: Finding, target: str) -> bool:
    """A finding is the target's when its file is inside it; a finding with no file (a tool that
    failed for the whole run) is every target's."""
    if not finding.file:
        return True
    return finding.file == target or finding.file.startswith(target.rstrip("/") + "/")


def _target_of(finding: Finding, targets: list[str]) -> list[str]:
    mine = [t for t in targets if belongs_to(finding, t)]
    if not finding.file:
        return mine
    # the longest label wins when labels nest (build/a and build/a/b)
    return [max(mine, key=len)] if mine else []


def to_xml(report: Report) -> ET.Element:
    root = ET.Element("testsuites", name="dsaas-infra validate")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    targets = report.targets or ["."]
    for stage in report.stages:
        suite = ET.SubElement(root, "testsuite", name=stage.stage, time=f"{stage.seconds:.3f}")
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        per_target: dict[str, list[Finding]] = {t: [] for t in targets}
        unplaced = []
        for f in stage.findings:
            owners = _target_of(f, targets)
            for t in owners:
                per_target[t].append(f)
            if not owners:
                unplaced.append(f)
        for target in targets:
            case = ET.SubElement(suite, "testcase", name=target, classname=f"validate.{stage.stage}")
            counts["tests"] += 1
            if stage.skipped_reason is not None:
                ET.SubElement(case, "skipped", message=stage.skipped_reason)
                counts["skipped"] += 1
                continue
            findings = per_target[target] + (unplaced if target == targets[0] else [])
            errors = [f for f in findings if f.severity == ERROR]
            if errors:
                first = errors[0]
                message = first.message if len(errors) == 1 else f"{len(errors)} errors; first: {first.message}"
                failure = ET.SubElement(case, "failure", message=message, type=first.rule_id)
                failure.text = "\n".join(
                    " ".join(x for x in (f.rule_id, f.location(), f.address, f.message, f.guideline) if x)
                    for f in errors)
                counts["failures"] += 1
            others = [f for f in findings if f.severity != ERROR]
            if others:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(f"{f.severity} {f.rule_id} {f.location()} {f.address or ''} {f.message}"
                                     for f in others)
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    return root


def render(report: Report) -> str:
    root = to_xml(report)
    ET.indent(root)
    # Findings quote file names and text from the checked files: characters XML forbids (or
    # that change how text is shown) are written as their code, so the report always parses.
    return xml_clean('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n")
