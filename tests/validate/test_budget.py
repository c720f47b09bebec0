"""The budget stage: the estimate against `budget.monthly_usd`, through `validate SPEC`."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from dsaas_infra.commands import validate

REPO = Path(__file__).resolve().parents[2]


def _spec(tmp_path: Path, budget: float | None) -> Path:
    data = yaml.safe_load((REPO / "blueprints" / "aws-proactive.yaml").read_text())
    data.pop("budget", None)
    if budget is not None:
        data["budget"] = {"monthly_usd": budget}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _budget_stage(tmp_path: Path, budget: float | None) -> tuple[int, dict]:
    out = tmp_path / "report.json"
    status = validate.run([_spec(tmp_path, budget)], fmt="json", output=out,
                          skip=["syntax", "references", "schema", "format", "terraform", "security"])
    stage = next(s for s in json.loads(out.read_text())["stages"] if s["stage"] == "budget")
    return status, stage


def test_over_budget_when_idle_is_an_error(tmp_path):
    status, stage = _budget_stage(tmp_path, 10)
    assert status == 1
    assert [f["rule_id"] for f in stage["findings"]] == ["COST001"]


def test_over_budget_only_at_max_scale_is_a_warning(tmp_path):
    from dsaas_infra.cost.estimate import estimate
    from dsaas_infra.cost.prices import load_prices
    from dsaas_infra.render import render_blueprint
    from dsaas_infra.spec import load_spec

    spec = load_spec(REPO / "blueprints" / "aws-proactive.yaml")
    lo, hi = estimate(spec, render_blueprint(spec), load_prices()).total
    status, stage = _budget_stage(tmp_path, (lo + hi) / 2)
    assert status == 0
    assert [(f["rule_id"], f["severity"]) for f in stage["findings"]] == [("COST002", "warning")]
    status, stage = _budget_stage(tmp_path, hi + 1)
    assert status == 0 and stage["findings"] == [] and stage["status"] == "passed"


def test_no_budget_is_not_applicable_not_passed(tmp_path):
    status, stage = _budget_stage(tmp_path, None)
    assert status == 0 and stage["status"] == "skipped"
    assert "nothing to check" in stage["skipped_reason"]
