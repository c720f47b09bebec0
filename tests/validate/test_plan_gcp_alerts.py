"""The GCP platform alerts, budget and approver role plan with Terraform against the stub providers."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from dsaas_infra.render import render_spec_file
from dsaas_infra.validate import plan_stage
from dsaas_infra.validate.blueprint import load_blueprint

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def plan_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "DSAAS_"))}
    env.update(HOME=str(tmp_path / "home"), DSAAS_STUB_MIRROR=str(tmp_path / "stubs"))
    return env


def test_managed_with_budget_and_approvers_plans_every_alert_to_the_channels(tmp_path, plan_env, terraform_bin):
    text = (REPO / "blueprints" / "gcp-managed.yaml").read_text().replace(
        "\ngcp:\n", "\ngcp:\n  model_approvers: [\"group:ml-approvers@stark.example\"]\n", 1)
    text = re.sub(r"billing_account: \S+", "billing_account: 0A1B2C-3D4E5F-6A7B8C", text, count=1)
    text = re.sub(r"monthly_usd: \d+", "monthly_usd: 100000", text, count=1)
    spec = tmp_path / "gcp-managed.yaml"
    spec.write_text(text)
    render_spec_file(spec, tmp_path / "bp")
    outcome = plan_stage.plan_blueprint(load_blueprint(tmp_path / "bp", "gcp-managed"), terraform_bin, plan_env,
                                        tmp_path / "work", with_values=True)
    assert outcome.not_run is None
    assert [f.message for f in outcome.findings if f.severity == "error"] == []
    planned = {r["address"] for r in outcome.resources}
    for address in ("google_billing_budget.main", "google_monitoring_uptime_check_config.api",
                    "google_cloud_scheduler_job.freshness", "google_compute_network_attachment.training",
                    "google_project_iam_custom_role.model_approver",
                    'google_project_iam_member.model_approvers["group:ml-approvers@stark.example"]'):
        assert address in planned, address
    alerts = [r["address"] for r in outcome.resources if r["type"] == "google_monitoring_alert_policy"]
    for name in ("data_stale", "api_latency", "api_certificate", "api_certificate_expiry", "scheduler_rejected"):
        assert f"google_monitoring_alert_policy.{name}" in alerts
    budget = outcome.values["google_billing_budget.main"]
    assert budget["billing_account"] == "0A1B2C-3D4E5F-6A7B8C"
    assert budget["amount"][0]["specified_amount"][0]["units"] == "100000"
