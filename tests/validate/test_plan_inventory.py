"""Every example plans with Terraform against the stub providers, and its reviewed plan inventory holds.

The inventory (tests/validate/plan_inventory/<example>.yaml) is short on purpose: resource counts by
type plus a few chosen planned values. Regenerate it after changing templates with
``pytest tests/validate/test_plan_inventory.py --update-golden`` and read the diff.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
import yaml

from dsaas_infra.render import render_spec_file
from dsaas_infra.validate import plan_stage
from dsaas_infra.validate.blueprint import load_blueprint

REPO = Path(__file__).resolve().parents[2]
SPECS = sorted((REPO / "blueprints").glob("*.yaml"))
GOLDEN = Path(__file__).resolve().parent / "plan_inventory"
# planned values worth a reviewer's eye: names, runtimes, locations, retention, encryption choices
CHOSEN = {
    "aws_s3_bucket": ["bucket"],
    "aws_lambda_function": ["runtime", "timeout"],
    "aws_sfn_state_machine": ["name"],
    "aws_sagemaker_endpoint_configuration": ["name"],
    "aws_cloudwatch_log_group": ["retention_in_days"],
    "aws_kms_key": ["enable_key_rotation"],
    "google_storage_bucket": ["name", "location", "uniform_bucket_level_access"],
    "google_kms_crypto_key": ["rotation_period"],
    "google_container_cluster": ["location"],
    "google_vertex_ai_endpoint": ["location"],
    "google_logging_project_bucket_config": ["retention_days"],
}


def test_there_is_one_inventory_per_example() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.yaml")) == [p.stem for p in SPECS]


@pytest.fixture(scope="module")
def plan_env(tmp_path_factory) -> dict[str, str]:
    """No user Terraform config, one stub mirror for the whole module (built once, reused per example)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "DSAAS_"))}
    env.update(HOME=str(tmp_path_factory.mktemp("home")), DSAAS_STUB_MIRROR=str(tmp_path_factory.mktemp("stubs")))
    return env


def inventory(outcome: plan_stage.Outcome) -> dict:
    counts = Counter(r["type"] for r in outcome.resources)
    actions = Counter(r["action"] for r in outcome.resources)
    chosen: dict[str, dict] = {}
    for r in outcome.resources:
        wanted = CHOSEN.get(r["type"])
        if wanted:
            values = outcome.values.get(r["address"], {})
            chosen[r["address"]] = {k: values.get(k) for k in wanted}
    return {
        "resources": len(outcome.resources),
        "actions": dict(sorted(actions.items())),
        "stub_providers": sorted(outcome.stubs),
        "warnings": sorted({f.message.split(":")[0] + f" ({f.file.split('/')[-1]}:{f.line})"
                            for f in outcome.findings if f.severity == "warning"}),
        "by_type": dict(sorted(counts.items())),
        "values": dict(sorted(chosen.items())),
    }


@pytest.mark.parametrize("spec", SPECS, ids=[p.stem for p in SPECS])
def test_example_plans_and_matches_its_inventory(spec: Path, tmp_path: Path, plan_env, terraform_bin,
                                                  update_golden: bool) -> None:
    out = tmp_path / "bp"
    render_spec_file(spec, out)
    outcome = plan_stage.plan_blueprint(load_blueprint(out, spec.stem), terraform_bin, plan_env, tmp_path / "work",
                                        with_values=True)
    assert outcome.not_run is None
    errors = [f"{f.rule_id} {f.location()} {f.address}: {f.message}" for f in outcome.findings if f.severity == "error"]
    assert errors == []
    got = inventory(outcome)
    golden = GOLDEN / f"{spec.stem}.yaml"
    if update_golden:
        golden.write_text(f"# plan inventory of blueprints/{spec.name} against the stub providers "
                          f"(regenerate: pytest {Path(__file__).relative_to(REPO)} --update-golden)\n"
                          + yaml.safe_dump(got, sort_keys=False, width=120))
    assert golden.is_file(), f"no inventory for {spec.stem}: run with --update-golden and review it"
    assert got == yaml.safe_load(golden.read_text())
