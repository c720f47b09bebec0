"""SARIF 2.1.0 report, uploadable to GitHub code scanning (github/codeql-action/upload-sarif).

One run per stage that ran, named after the tool that did the work (dsaas-infra itself, terraform,
checkov), each with its own ``automationDetails.id`` so code scanning keeps their alerts apart.
A stage that did not run gets no run: an empty run would tell code scanning that its alerts were
fixed. Deliberate, reasoned checkov suppressions are results carrying ``suppressions`` (kind
``inSource``, the reason as justification), which code scanning shows as dismissed, not as alerts.
"""

from __future__ import annotations

import json
from typing import Any

from dsaas_infra.validate.findings import ERROR, INFO, WARNING, Finding, Report, Rule, StageResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {ERROR: "error", WARNING: "warning", INFO: "note"}
INFORMATION_URI = "https://github.com/dsaas-infra/dsaas-infra"
# The tool behind each stage, as code scanning names it.
TOOLS = {"format": ("terraform", "https://developer.hashicorp.com/terraform/cli/commands/fmt"),
         "terraform": ("terraform", "https://developer.hashicorp.com/terraform/cli/commands/validate"),
         "plan": ("terraform", "https://developer.hashicorp.com/terraform/cli/commands/plan"),
         "security": ("checkov", "https://www.checkov.io/")}
STAGE_HELP = {
    "syntax": "Every .tf file must parse as HCL2. Fix the file at the reported line (the offending token, or "
              "where an unclosed block, bracket or string opens) and validate again.",
    "references": "Every var., local., module., data. and resource reference must resolve inside its module. "
                  "Declare what is referenced or correct the name.",
    "schema": "Resource and data-source types, arguments, nested blocks and literal values are checked against "
              "the provider schema snapshot of the pinned provider major (docs/schemas.md).",
    "budget": "The blueprint's cost estimate is compared with the spec's budget.monthly_usd.",
    "format": "Run `terraform fmt -recursive` in the blueprint (a rendered blueprint is always formatted: "
              "re-render rather than edit by hand).",
    "terraform": "`terraform init -backend=false` and `terraform validate` reported this diagnostic.",
    "plan": "`terraform validate` or `terraform plan -refresh=false` against stub providers (the shipped provider "
            "schemas) reported this diagnostic; provider-side checks did not run.",
    "security": "checkov reported this. Fix the resource, or, where the finding is deliberate, suppress it "
                "inline with `#checkov:skip=ID:<reason>` (a reason is required; docs/security.md lists every "
                "suppression).",
}


def _is_checkov(stage: StageResult, rule_id: str) -> bool:
    return stage.stage == "security" and rule_id not in stage.rules


def _rule(stage: StageResult, finding: Finding) -> Rule:
    known = stage.rules.get(finding.rule_id)
    if known is not None:
        return known
    name = finding.message.removeprefix("skipped: ").split(" (reason:")[0]
    return Rule(finding.rule_id, finding.rule_id, name or finding.rule_id)


def _rule_entry(stage: StageResult, rule: Rule, guideline: str | None) -> dict:
    if _is_checkov(stage, rule.id):
        help_text = (f"checkov check {rule.id}: {rule.description}. {STAGE_HELP['security']}"
                     + (f" Guideline: {guideline}" if guideline else ""))
    else:
        help_text = f"{rule.description} {STAGE_HELP.get(stage.stage, '')}".strip()
    entry = {"id": rule.id, "name": rule.name, "shortDescription": {"text": rule.description},
             "fullDescription": {"text": rule.description}, "help": {"text": help_text, "markdown": help_text},
             "defaultConfiguration": {"level": LEVEL[rule.severity]},
             "properties": {"tags": [stage.stage], "stage": stage.stage}}
    if guideline:
        entry["helpUri"] = guideline
    return entry


def _result(finding: Finding, index: int) -> dict:
    region = {"startLine": max(finding.line or 1, 1)}
    if finding.end_line and finding.end_line >= region["startLine"]:
        region["endLine"] = finding.end_line
    location: dict = {"physicalLocation": {"artifactLocation": {"uri": finding.file or "."}, "region": region}}
    if finding.address:
        location["logicalLocations"] = [{"fullyQualifiedName": finding.address, "kind": "resource"}]
    message = finding.message
    level = LEVEL[finding.severity]
    if finding.suppression is not None:
        # The check did fail; it is reported as the failure it is, suppressed with its reason.
        message = message.removeprefix("skipped: ").split(" (reason:")[0]
        level = "error"
    result: dict[str, Any] = {"ruleId": finding.rule_id, "ruleIndex": index, "level": level,
              "message": {"text": message + (f" ({finding.address})" if finding.address else "")},
              "locations": [location], "properties": {"stage": finding.stage}}
    if finding.suppression is not None:
        result["suppressions"] = [{"kind": "inSource", "status": "accepted", "justification": finding.suppression}]
    if finding.guideline:
        result["properties"]["guideline"] = finding.guideline
    return result


def _run(stage: StageResult, version: str, notes: list[dict]) -> dict:
    rules: dict[str, tuple[Rule, str | None]] = {}
    for finding in stage.findings:
        if finding.rule_id not in rules:
            rules[finding.rule_id] = (_rule(stage, finding), finding.guideline)
    ordered = sorted(rules.values(), key=lambda rg: rg[0].id)
    index = {rule.id: i for i, (rule, _) in enumerate(ordered)}
    tool_name, tool_uri = TOOLS.get(stage.stage, ("dsaas-infra", INFORMATION_URI))
    driver: dict[str, Any] = {"name": tool_name, "informationUri": tool_uri,
              "rules": [_rule_entry(stage, rule, guideline) for rule, guideline in ordered],
              "properties": {"stage": stage.stage}}
    if tool_name == "dsaas-infra":
        driver["version"] = version
    else:
        # the stage's rules and messages come through dsaas-infra, which ran the tool
        driver["properties"]["runBy"] = f"dsaas-infra {version}"
    return {
        "tool": {"driver": driver},
        "automationDetails": {"id": f"dsaas-infra/{stage.stage}/"},
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notes}],
        "results": [_result(f, index[f.rule_id]) for f in stage.findings],
    }


def to_dict(report: Report, version: str = "0") -> dict:
    notes = [{"level": "warning", "message": {"text": f"stage {s.stage} skipped: {s.skipped_reason}"}}
             for s in report.stages if s.skipped_reason]
    ran = [s for s in report.stages if s.skipped_reason is None]
    # Which stages did not run is said once, in the first run's invocation.
    runs = [_run(stage, version, notes if i == 0 else []) for i, stage in enumerate(ran)]
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": runs}


def render(report: Report, version: str = "0") -> str:
    return json.dumps(to_dict(report, version), indent=2) + "\n"
