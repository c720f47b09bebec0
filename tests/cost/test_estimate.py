"""Cost estimates of real renderings: golden JSON for the examples, and properties that must hold."""

from __future__ import annotations

import copy
import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dsaas_infra.cost.estimate import estimate
from dsaas_infra.cost.inventory import scan
from dsaas_infra.cost.prices import PriceTable, load_prices
from dsaas_infra.cost.report import to_json
from dsaas_infra.render import render_blueprint
from dsaas_infra.spec import load_spec
from dsaas_infra.spec.loader import load_spec_text
from tests.conftest import example_specs

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden" / "cost"
PRICES = load_prices()
LEVELS = ("reactive", "proactive", "managed")

# Resource types that cost money by the hour or month whatever the usage, and the family the
# estimate must list them under. A new always-on type in a template must be added here AND priced.
PRICED_TYPES = {
    "aws_sagemaker_notebook_instance": "SageMaker notebook instances",
    "aws_glue_job": "Glue ETL",
    "aws_kms_key": "KMS keys",
    "aws_cloudwatch_dashboard": "CloudWatch dashboard",
    "aws_cloudwatch_metric_alarm": "CloudWatch alarms",
    "aws_wafv2_web_acl": "WAF",
    "aws_nat_gateway": "NAT gateway",
    "aws_api_gateway_rest_api": "API Gateway requests",
    "google_container_cluster": "GKE cluster fee",
    "google_container_node_pool": "GKE nodes",
    "google_workbench_instance": "Vertex AI Workbench",
    "google_apigee_environment": "Apigee environment",
    "google_compute_global_forwarding_rule": "Load balancer",
    "google_compute_router_nat": "Cloud NAT",
    "google_kms_crypto_key": "Cloud KMS keys",
    "google_cloud_scheduler_job": "Cloud Scheduler",
    "google_compute_security_policy": "Cloud Armor",
}


def _estimate(spec):
    return estimate(spec, render_blueprint(spec), PRICES)


def _variant(spec_path: Path, **changes) -> object:
    """The example spec with its phase settings dropped (level defaults apply) and changes made."""
    data = yaml.safe_load(spec_path.read_text())
    data = copy.deepcopy(data)
    data.pop("phases", None)
    for dotted, value in changes.items():
        node = data
        *parents, last = dotted.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return load_spec_text(yaml.safe_dump(data), str(spec_path))


@pytest.mark.parametrize("spec_path", example_specs(), ids=lambda p: p.stem)
def test_matches_golden_cost(spec_path, update_golden):
    doc = to_json([_estimate(load_spec(spec_path))])
    golden = GOLDEN / f"{spec_path.stem}.json"
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(doc)
    assert doc == golden.read_text(), f"cost of {spec_path.name} changed: review, then --update-golden"


@pytest.mark.parametrize("spec_path", example_specs(), ids=lambda p: p.stem)
def test_more_mature_levels_never_cost_less(spec_path):
    totals = [_estimate(_variant(spec_path, **{"client.maturity": lvl})).total for lvl in LEVELS]
    for lower, higher in itertools.pairwise(totals):
        assert higher[0] >= lower[0] and higher[1] >= lower[1], totals


@pytest.mark.parametrize("cloud_example", ["aws-managed", "gcp-managed"])
def test_cost_grows_with_max_instances(cloud_example):
    path = REPO / "blueprints" / f"{cloud_example}.yaml"
    small = _estimate(_variant(path, **{"phases": {"deployment": {"max_instances": 4}}}))
    large = _estimate(_variant(path, **{"phases": {"deployment": {"max_instances": 10}}}))
    assert large.total[1] > small.total[1]
    assert large.total[0] == small.total[0]  # the idle floor is min_instances


@pytest.mark.parametrize("spec_path", example_specs(), ids=lambda p: p.stem)
def test_every_always_on_resource_is_priced(spec_path):
    spec = load_spec(spec_path)
    files = render_blueprint(spec)
    est = estimate(spec, files, PRICES)
    families = {i.family for i in est.items if i.priced}
    present = {r.type for r in scan(files).resources}
    missing = {t: f for t, f in PRICED_TYPES.items() if t in present and f not in families}
    assert not missing, missing


def test_a_family_without_a_price_is_listed_never_zero():
    spec = load_spec(REPO / "blueprints" / "aws-managed.yaml")
    rows = {k: v for k, v in PRICES.rows.items() if k != "aws.kms.key"}
    est = estimate(spec, render_blueprint(spec), PriceTable(rows, PRICES.hours_per_month))
    kms = [i for i in est.items if i.family == "KMS keys"]
    assert kms and all(i.price is None for i in kms)
    assert {i.family for i in est.unpriced} >= {"KMS keys"}
    doc = json.loads(to_json([est]))
    project = doc["projects"][0]
    assert any(u["family"] == "KMS keys" for u in project["unpriced"])
    assert all(r["monthlyCost"] is None for r in project["breakdown"]["resources"] if r["family"] == "KMS keys")


def test_json_has_per_phase_and_total_ranges():
    spec = load_spec(REPO / "blueprints" / "gcp-proactive.yaml")
    project = json.loads(to_json([_estimate(spec)]))["projects"][0]
    assert set(project["phases"]) >= {"data", "training", "deployment", "access"}
    lo = sum(p["monthly_min"] for p in project["phases"].values())
    hi = sum(p["monthly_max"] for p in project["phases"].values())
    assert abs(lo - project["total"]["monthly_min"]) < 0.05 and abs(hi - project["total"]["monthly_max"]) < 0.05
    assert project["total"]["monthly_min"] <= project["total"]["monthly_max"]
    # infracost-like breakdown: resources with cost components carrying the price's provenance
    component = project["breakdown"]["resources"][0]["costComponents"][0]
    assert {"priceId", "monthlyQuantity"} <= set(component)


def _cli(*args, cwd=REPO):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "dsaas_infra", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


def test_cli_text_json_folder_and_rendered_blueprint(tmp_path):
    text = _cli("cost", "blueprints/aws-proactive.yaml")
    assert text.returncode == 0, text.stderr
    assert "total" in text.stdout and "SageMaker endpoint" in text.stdout
    folder = _cli("cost", "blueprints", "--format", "json")
    assert folder.returncode == 0, folder.stderr
    assert len(json.loads(folder.stdout)["projects"]) == len(example_specs())
    out = tmp_path / "bp"
    assert _cli("render", "blueprints/gcp-reactive.yaml", "--out", str(out)).returncode == 0
    rendered = _cli("cost", str(out), "--format", "json")
    assert rendered.returncode == 0, rendered.stderr
    direct = _cli("cost", "blueprints/gcp-reactive.yaml", "--format", "json")
    assert json.loads(rendered.stdout) == json.loads(direct.stdout)


def test_cli_bad_input_is_exit_2(tmp_path):
    missing = _cli("cost", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and missing.stderr.startswith("error: ")
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: dsaas-infra/v1\ncloud: aws\n")
    result = _cli("cost", str(bad))
    assert result.returncode == 2 and "client" in result.stderr


def _items(stem: str):
    return _estimate(load_spec(REPO / "blueprints" / f"{stem}.yaml")).items


def test_gcp_kms_keys_are_counted_per_family_and_priced_by_protection_level():
    """kms.tf's for_each holds one key per service family; managed's keys are HSM (a dollar each)."""
    spec = load_spec(REPO / "blueprints" / "gcp-managed.yaml")
    files = render_blueprint(spec)
    text = files["kms.tf"].decode()
    families = text.split("  kms_keys = {\n", 1)[1].split("\n  }\n", 1)[0].count(" = {")
    keys = [i for i in estimate(spec, files, PRICES).items if i.family == "Cloud KMS keys"]
    per_family = next(i for i in keys if i.resource == "google_kms_crypto_key.keys")
    assert families >= 5 and per_family.quantity_min == per_family.quantity_max == families
    assert per_family.price_id == "gcp.kms.hsm_key"
    assert 'protection_level = "HSM"' in text
    # Below managed the keys are software keys.
    reactive = [i for i in _items("gcp-reactive") if i.family == "Cloud KMS keys"]
    assert reactive and {i.price_id for i in reactive} == {"gcp.kms.key"}


def test_gcp_workbench_disks_are_billed_while_the_instances_are_stopped():
    spec = load_spec(REPO / "blueprints" / "gcp-reactive.yaml")
    est = _estimate(spec)
    disks = [i for i in est.items if i.family == "Vertex AI Workbench disks"]
    users = len(spec.phases.training.users)
    assert users and len(disks) == 1
    assert disks[0].quantity_min == disks[0].quantity_max == users * 250  # 150 GB boot + 100 GB data each
    # The rendered instance has exactly those disks.
    text = render_blueprint(spec)["training.tf"].decode()
    assert sorted(int(n) for n in re.findall(r"disk_size_gb\s+=\s+(\d+)", text)) == [100, 150]
    machines = next(i for i in est.items if i.family == "Vertex AI Workbench")
    assert machines.quantity_min == 0  # stopped when idle: the disks are the floor
    assert est.total[0] > 0


def test_gcp_dataflow_is_priced_on_the_workers_the_pipeline_asks_for():
    spec = load_spec(REPO / "blueprints" / "gcp-managed.yaml")
    files = render_blueprint(spec)
    assert re.search(r'dataflow_machine_type\s+= "n2-standard-4"', files["pipeline.tf"].decode())
    vcpu = next(i for i in estimate(spec, files, PRICES).items if i.resource == "scheduled Dataflow runs (vCPU)")
    assert "n2-standard-4" in vcpu.assumption and "1-10" in vcpu.assumption
    memory = next(i for i in estimate(spec, files, PRICES).items if i.resource == "scheduled Dataflow runs (memory)")
    assert memory.quantity_max == vcpu.quantity_max * 4  # 4 GB per vCPU


def test_gcp_cloud_armor_policy_and_rules_are_priced():
    spec = load_spec(REPO / "blueprints" / "gcp-managed.yaml")
    files = render_blueprint(spec)
    armor = [i for i in estimate(spec, files, PRICES).items if i.family == "Cloud Armor"]
    rules = files["access.tf"].decode().split('resource "google_compute_security_policy" "api"', 1)[1]
    rules = rules.split("\nresource ", 1)[0].count("\n  rule {")
    assert {i.price_id for i in armor} == {"gcp.armor.policy", "gcp.armor.rule", "gcp.armor.requests"}
    assert next(i for i in armor if i.price_id == "gcp.armor.rule").quantity_max == rules > 0
