"""Every deliberately broken blueprint fails with its expected stage, rule and location, and exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dsaas_infra.commands import validate

BROKEN = Path(__file__).resolve().parents[1] / "fixtures" / "broken"
CASES = sorted(p.name for p in BROKEN.iterdir() if (p / "expected.json").is_file())


def test_all_kinds_are_there() -> None:
    assert CASES == ["block_as_attribute", "indexing_a_set", "missing_required_argument", "misspelt_resource_type",
                     "public_bucket", "syntax_error", "unclosed_block", "unencrypted_bucket", "unknown_argument",
                     "unknown_exported_attribute", "unresolved_reference", "wrong_literal_type"]


@pytest.fixture(scope="module")
def reports(tmp_path_factory, terraform_bin, checkov_bin) -> dict[str, tuple[int, dict]]:
    """One call per fixture (exit status is per call); checkov only where security is the expected stage
    (it is the slow one, and the offline stages must catch the others on their own)."""
    out = {}
    root = tmp_path_factory.mktemp("broken")
    for case in CASES:
        target = root / f"{case}.json"
        stage = json.loads((BROKEN / case / "expected.json").read_text())["stage"]
        skip = ["terraform"] if stage == "security" else ["terraform", "security"]
        code = validate.run([BROKEN / case], fmt="json", output=target, terraform_bin=terraform_bin,
                            checkov_bin=checkov_bin, skip=skip, enable=["plan"] if stage == "plan" else [])
        out[case] = (code, json.loads(target.read_text()))
    return out


@pytest.mark.parametrize("case", CASES)
def test_fixture_fails_with_the_expected_finding(case: str, reports) -> None:
    expected = json.loads((BROKEN / case / "expected.json").read_text())
    code, doc = reports[case]
    assert code == 1
    stage = next(s for s in doc["stages"] if s["stage"] == expected["stage"])
    assert stage["status"] == "failed"
    wanted = {"rule_id": expected["rule"], "file": f"{BROKEN / case}/{expected['file']}",
              "line": expected["line"], "address": expected.get("address")}
    found = [{k: f[k] for k in wanted} for f in stage["findings"] if f["severity"] == "error"]
    assert wanted in found


@pytest.mark.parametrize("case", CASES)
def test_offline_stages_report_nothing_but_the_expected_problem(case: str, reports) -> None:
    expected = json.loads((BROKEN / case / "expected.json").read_text())
    _, doc = reports[case]
    for stage in doc["stages"]:
        if stage["stage"] in ("syntax", "references", "schema") and stage["stage"] != expected["stage"]:
            assert stage["findings"] == [], stage
