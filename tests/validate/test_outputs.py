"""Report formats: text table, JSON, SARIF 2.1.0 (GitHub code scanning) and JUnit XML."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

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
                    "bp/main.tf", 1, "aws_s3_bucket.b"),
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


def test_sarif_meets_what_github_code_scanning_requires(report: Report) -> None:
    doc = json.loads(output_sarif.render(report, "1.2.3"))
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "dsaas-infra" and driver["version"] == "1.2.3"
    ids = [r["id"] for r in driver["rules"]]
    assert ids == sorted(set(ids)) == ["CKV_AWS_144", "CKV_AWS_18", "SCH002"]
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note", "none")
        assert result["message"]["text"]
        loc = result["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == "bp/main.tf" and loc["region"]["startLine"] >= 1
    assert [r["level"] for r in run["results"]] == ["error", "error", "note"]
    assert run["results"][1]["locations"][0]["physicalLocation"]["region"] == {"startLine": 1, "endLine": 4}
    assert run["results"][1]["properties"]["guideline"] == "https://docs.example/ckv_aws_18"
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["message"]["text"] for n in notes] == ["stage format skipped: no terraform or tofu binary",
                                                     "stage terraform skipped: skipped on request (--skip)"]


def test_junit(report: Report) -> None:
    root = ET.fromstring(output_junit.render(report))
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("5", "2", "2")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["syntax", "schema", "format", "security", "terraform"]
    failure = suites["schema"].find("testcase/failure")
    assert failure.get("type") == "SCH002" and failure.get("message") == "unknown argument 'buckt'"
    assert suites["format"].find("testcase/skipped").get("message") == "no terraform or tofu binary"
    assert "CKV_AWS_144" in suites["security"].find("system-out").text
