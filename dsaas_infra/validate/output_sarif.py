"""SARIF 2.1.0 report, uploadable to GitHub code scanning (github/codeql-action/upload-sarif)."""

from __future__ import annotations

import json

from dsaas_infra.validate.findings import ERROR, INFO, WARNING, Finding, Report, Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {ERROR: "error", WARNING: "warning", INFO: "note"}


def _rules(report: Report) -> list[tuple[str, Rule]]:
    """Every rule a finding uses, (stage, rule); checkov ids get a rule built from the check name."""
    rules: dict[str, tuple[str, Rule]] = {}
    for stage in report.stages:
        for finding in stage.findings:
            if finding.rule_id in rules:
                continue
            rule = stage.rules.get(finding.rule_id) or Rule(
                finding.rule_id, finding.rule_id, finding.message.removeprefix("skipped: ").split(" (reason:")[0])
            rules[finding.rule_id] = (stage.stage, rule)
    return sorted(rules.values(), key=lambda sr: sr[1].id)


def _result(finding: Finding, index: int) -> dict:
    region = {"startLine": max(finding.line or 1, 1)}
    if finding.end_line and finding.end_line >= region["startLine"]:
        region["endLine"] = finding.end_line
    location: dict = {"physicalLocation": {"artifactLocation": {"uri": finding.file or "."}, "region": region}}
    if finding.address:
        location["logicalLocations"] = [{"fullyQualifiedName": finding.address, "kind": "resource"}]
    result = {"ruleId": finding.rule_id, "ruleIndex": index, "level": LEVEL[finding.severity],
              "message": {"text": finding.message + (f" ({finding.address})" if finding.address else "")},
              "locations": [location], "properties": {"stage": finding.stage}}
    if finding.guideline:
        result["properties"]["guideline"] = finding.guideline
    return result


def to_dict(report: Report, version: str = "0") -> dict:
    rules = _rules(report)
    index = {rule.id: i for i, (_, rule) in enumerate(rules)}
    driver_rules = []
    for stage, rule in rules:
        entry = {"id": rule.id, "name": rule.name, "shortDescription": {"text": rule.description},
                 "defaultConfiguration": {"level": LEVEL[rule.severity]}, "properties": {"tags": [stage]}}
        driver_rules.append(entry)
    notes = [{"level": "warning", "message": {"text": f"stage {s.stage} skipped: {s.skipped_reason}"}}
             for s in report.stages if s.skipped_reason]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "dsaas-infra", "version": version,
                                "informationUri": "https://github.com/dsaas-infra/dsaas-infra",
                                "rules": driver_rules}},
            "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notes}],
            "results": [_result(f, index[f.rule_id]) for f in report.findings],
        }],
    }


def render(report: Report, version: str = "0") -> str:
    return json.dumps(to_dict(report, version), indent=2) + "\n"
