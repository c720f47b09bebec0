"""The plan stage: real Terraform against the stub providers finds each broken fixture's problem at its line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dsaas_infra.validate import pipeline, plan_stage
from dsaas_infra.validate.blueprint import load_blueprint

BROKEN = Path(__file__).resolve().parents[1] / "fixtures" / "broken"
PLAN_CASES = sorted(p.name for p in BROKEN.iterdir()
                    if (p / "expected.json").is_file() and ("plan" in json.loads((p / "expected.json").read_text())
                                                            or json.loads((p / "expected.json").read_text())[
                                                                "stage"] == "plan"))


def test_the_six_kinds_of_issue_17_are_there() -> None:
    assert PLAN_CASES == ["block_as_attribute", "indexing_a_set", "missing_required_argument", "unknown_argument",
                          "unknown_exported_attribute", "wrong_literal_type"]


@pytest.fixture(scope="module")
def plan_env(tmp_path_factory, terraform_bin) -> dict[str, str]:
    """No user Terraform config or real providers: every provider is a stub from one module-wide mirror."""
    home = tmp_path_factory.mktemp("home")
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "DSAAS_"))}
    env.update(HOME=str(home), DSAAS_STUB_MIRROR=str(tmp_path_factory.mktemp("stubs")))
    return env


@pytest.fixture(scope="module")
def result(plan_env, terraform_bin):
    """All six fixtures in one stage run (one stub mirror, one init per fixture)."""
    blueprints = [load_blueprint(BROKEN / case, case) for case in PLAN_CASES]
    return plan_stage.run(blueprints, pipeline.Context(terraform_bin=terraform_bin, env=plan_env))


@pytest.mark.parametrize("case", PLAN_CASES)
def test_terraform_finds_the_problem_at_its_line(case: str, result) -> None:
    expected = json.loads((BROKEN / case / "expected.json").read_text())
    want = expected.get("plan") or {"rule": expected["rule"], "line": expected["line"]}
    found = [(f.rule_id, f.line) for f in result.findings if f.file == f"{case}/main.tf" and f.severity == "error"]
    assert (want["rule"], want["line"]) in found, [f for f in result.findings if f.file.startswith(case)]


def test_messages_are_terraforms_own(result) -> None:
    by_case = {c: " ".join(f.message for f in result.findings if f.file.startswith(f"{c}/")) for c in PLAN_CASES}
    assert "Unsupported argument" in by_case["unknown_argument"]
    assert "Missing required argument" in by_case["missing_required_argument"]
    assert "Unsupported attribute" in by_case["unknown_exported_attribute"]
    assert "Incorrect attribute value type" in by_case["wrong_literal_type"]
    assert "Unsupported argument" in by_case["block_as_attribute"]  # a block is not an argument
    assert "Invalid index" in by_case["indexing_a_set"]


def test_a_stage_without_terraform_is_skipped_not_passed(plan_env) -> None:
    env = {**plan_env, "PATH": "/nonexistent"}
    bp = load_blueprint(BROKEN / "unknown_argument", "u")
    res = plan_stage.run([bp], pipeline.Context(env=env))
    assert res.status == "skipped" and res.skipped_reason


def test_a_provider_without_stub_or_mirror_is_not_run(plan_env, terraform_bin, tmp_path) -> None:
    (tmp_path / "main.tf").write_text('terraform {\n  required_providers {\n    acme = {\n      source = "acme/thing"\n'
                                      '    }\n  }\n}\nresource "thing_x" "y" {\n  provider = acme\n}\n')
    res = plan_stage.run([load_blueprint(tmp_path, "acme")], pipeline.Context(terraform_bin=terraform_bin,
                                                                               env=plan_env))
    assert res.status == "skipped" and "no provider or stub for acme/thing" in res.skipped_reason


def test_version_constraints() -> None:
    assert plan_stage.satisfies("6.69.1", "~> 6.0") and not plan_stage.satisfies("7.0.0", "~> 6.0")
    assert plan_stage.satisfies("2.1.2", ">= 2.1, < 3") and not plan_stage.satisfies("2.1.2", "~> 3.2")
    assert plan_stage.satisfies("0.14.2", "~> 0.12") and not plan_stage.satisfies("0.14.2", "~> 0.12.1")
