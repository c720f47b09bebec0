"""Each row of an AWS blueprint's cost table is something the rendered blueprint runs, on the instance type it renders.

The README's cost table is the estimate of the rendered files (render/renderer.py); these tests read
the same rendered HCL (parsed with python-hcl2) and check every priced item against it: a Terraform
address exists, and an instance type in a price id is the one the resource, the state machine or the
deploy step's configuration names.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dsaas_infra.cost.estimate import estimate
from dsaas_infra.cost.prices import load_prices
from dsaas_infra.spec import load_spec
from tests.render.aws.test_aws_serving import build

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.stem for p in (REPO / "blueprints").glob("aws-*.yaml"))
_ADDRESS = re.compile(r"^aws_[a-z0-9_]+\.[a-z0-9_]+$")


@pytest.fixture(scope="module", params=EXAMPLES)
def example(request):
    bp = build(load_spec(REPO / "blueprints" / f"{request.param}.yaml"))
    return bp, estimate(bp.spec, bp.files, load_prices())


def _states(bp) -> dict[str, dict]:
    return bp.locals["pipeline_definition"]["States"]


def _task_instance_types(bp, resource_suffix: str) -> list[str]:
    """InstanceType of every pipeline state calling the SageMaker integration (e.g. createTrainingJob)."""
    out = []
    for state in _states(bp).values():
        if str(state.get("Resource", "")).endswith(resource_suffix):
            params = state["Parameters"]
            resources = (params.get("ResourceConfig") or params.get("ProcessingResources", {}).get("ClusterConfig")
                         or params.get("TransformResources"))
            out.append(resources["InstanceType"])
    return out


def _instance(price_id: str) -> str | None:
    m = re.search(r"\.(ml\.[a-z0-9]+\.[a-z0-9]+)$", price_id)
    return m.group(1) if m else None


def test_every_terraform_address_in_the_table_is_rendered(example):
    bp, est = example
    addresses = {f"{t}.{n}" for t, n in bp.resources}
    for item in est.items:
        if _ADDRESS.match(item.resource):
            assert item.resource in addresses, item


def test_every_instance_row_is_on_the_instance_type_the_blueprint_renders(example):
    bp, est = example
    seen = set()
    for item in est.items:
        itype = _instance(item.price_id)
        if itype is None:
            continue
        seen.add(item.family)
        if item.family == "SageMaker notebook instances":
            assert bp.resources[("aws_sagemaker_notebook_instance", "workspace")]["instance_type"] == itype
        elif item.family == "SageMaker Studio JupyterLab":
            domain = bp.resources[("aws_sagemaker_domain", "main")]
            lab = domain["default_user_settings"][0]["jupyter_lab_app_settings"][0]
            assert lab["default_resource_spec"][0]["instance_type"] == itype
        elif item.family == "SageMaker training jobs":
            assert _task_instance_types(bp, "sagemaker:createTrainingJob.sync") == [itype]
        elif item.family == "SageMaker processing jobs":
            types = _task_instance_types(bp, "sagemaker:createProcessingJob.sync")
            assert types and set(types) == {itype}
            assert f"{len(types)} job(s)" in item.assumption
        elif item.family == "SageMaker batch transform":
            assert _task_instance_types(bp, "sagemaker:createTransformJob.sync") == [itype]
        elif item.family == "SageMaker Model Monitor (drift)":
            assert re.search(rf'monitor_instance_type\s*=\s*"{re.escape(itype)}"', bp.text("deployment.tf"))
            assert 'monitor_schedule      = "cron(0 * ? * * *)"' in bp.text("deployment.tf")
        elif item.family == "SageMaker endpoint":
            variants = bp.spec.phases.deployment.variants
            assert re.search(rf'SupportedRealtimeInferenceInstanceTypes\s*=\s*\["{re.escape(itype)}"\]',
                             bp.text("deployment.tf"))
            assert f"{len(variants)} variant(s)" in item.assumption
        else:
            pytest.fail(f"no check for the instance row {item.family}")
        assert itype in item.assumption, item
    assert seen, "no instance rows at all"


def test_the_drift_job_is_in_the_table_exactly_when_the_blueprint_schedules_it(example):
    bp, est = example
    families = {i.family for i in est.items}
    scheduled = "monitor_schedule" in bp.text("deployment.tf") and bp.spec.phases.deployment.drift_detection
    assert ("SageMaker Model Monitor (drift)" in families) is bool(scheduled)


def test_the_readme_table_is_this_estimate(example):
    bp, est = example
    readme = bp.text("README.md")
    for item in est.items:
        if item.priced:
            assert f"| {item.phase} | {item.family}" in readme.replace("\\(", "(").replace("\\)", ")"), item
