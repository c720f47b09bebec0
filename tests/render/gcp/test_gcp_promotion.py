"""The GCP promotion path in the rendered HCL: who may promote, what the promote job runs, what it sends.

The path itself (approve -> promote job -> promote run -> traffic -> monitoring) runs against the
fake Google APIs in tests/files/test_gcp_promote_run.py; this checks that the blueprint wires it so:
approvers hold no Cloud Scheduler permission (Cloud Scheduler has no per-job IAM) and may execute
only the promote job; the job runs the shipped promote.py as the scheduler's account, which may
read only the promote request; the request is the scheduled run's with promote = true.
"""

from __future__ import annotations

import pytest
import yaml

from dsaas_infra.spec import load_spec_text
from tests.conftest import BLUEPRINTS
from tests.render.parsed_blueprint import parse

APPROVERS = ["group:ml-approvers@stark.example", "user:pepper@stark.example"]


@pytest.fixture(scope="module")
def managed():
    raw = yaml.safe_load((BLUEPRINTS / "gcp-managed.yaml").read_text())
    raw["gcp"]["model_approvers"] = APPROVERS
    return parse(load_spec_text(yaml.safe_dump(raw)))


def test_approvers_hold_no_scheduler_permission_and_may_execute_only_the_promote_job(managed):
    role = managed.resources[("google_project_iam_custom_role", "model_approver")]
    assert not [p for p in role["permissions"] if p.startswith("cloudscheduler.")]
    assert "aiplatform.models.update" in role["permissions"]  # mergeVersionAliases: the approval
    assert not [p for p in role["permissions"] if p.split(".")[-1] in ("create", "delete", "deploy", "undeploy")]
    # Project level: only the custom role; nothing that runs or changes jobs.
    project_grants = managed.resources[("google_project_iam_member", "model_approvers")]
    assert project_grants["role"] == "${google_project_iam_custom_role.model_approver.name}"
    job_grants = managed.resources[("google_cloud_run_v2_job_iam_member", "approvers_promote")]
    assert job_grants["name"] == "${google_cloud_run_v2_job.promote.name}"
    assert job_grants["role"] == "${each.value.role}" and job_grants["member"] == "${each.value.member}"
    text = managed.text("pipeline.tf")
    assert ('setproduct(["group:ml-approvers@stark.example", "user:pepper@stark.example"], '
            '["roles/run.invoker", "roles/run.viewer"])') in text
    # No other IAM in the blueprint names the approvers.
    for (rtype, name), body in managed.resources.items():
        if rtype.endswith(("_iam_member", "_iam_binding")) and name not in ("model_approvers", "approvers_promote"):
            assert not any(a in str(body) for a in APPROVERS), (rtype, name)


def test_the_promote_job_runs_the_shipped_script_as_the_scheduler_and_never_retries(managed):
    job = managed.resources[("google_cloud_run_v2_job", "promote")]
    (outer,) = job["template"]
    (inner,) = outer["template"]
    assert inner["service_account"] == "${google_service_account.scheduler.email}"
    assert inner["max_retries"] == 0  # a retry would start a second promote run
    (container,) = inner["containers"]
    assert container["command"] == ["python3", "-c", '${file("${path.module}/files/pipeline/promote.py")}']
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["PROMOTE_REQUEST"] == (
        "gs://${google_storage_bucket.artifacts.name}/${google_storage_bucket_object.promote_request.name}")
    assert set(env) == {"PROJECT", "REGION", "PROMOTE_REQUEST"}  # no API_ENDPOINT: Google's own APIs
    assert "files/pipeline/promote.py" in managed.files
    assert "run.googleapis.com" in managed.text("services.tf")


def test_the_scheduler_reads_only_the_promote_request(managed):
    grant = managed.resources[("google_storage_bucket_iam_member", "scheduler_promote_request")]
    assert grant["role"] == "roles/storage.objectViewer"
    (condition,) = grant["condition"]
    assert condition["expression"] == (
        'resource.name == \\"projects/_/buckets/${google_storage_bucket.artifacts.name}'
        '/objects/pipeline/promote-request.json\\"')
    obj = managed.resources[("google_storage_bucket_object", "promote_request")]
    assert obj["name"] == "pipeline/promote-request.json"


def test_the_promote_request_is_the_scheduled_request_with_promote_set(managed):
    obj = managed.resources[("google_storage_bucket_object", "promote_request")]
    content = obj["content"].replace(" ", "").replace("\n", "")
    assert content.startswith("${jsonencode(merge(local.pipeline_request,")
    assert "parameterValues=merge(local.pipeline_parameters,{promote=true})" in content
    scheduler = managed.resources[("google_cloud_scheduler_job", "pipeline")]
    (target,) = scheduler["http_target"]
    assert target["body"] == "${base64encode(jsonencode(local.pipeline_request))}"
    # The scheduled runs never promote: the compiled default is false and nothing sets it.
    assert "promote" not in managed.locals["pipeline_parameters"]
    spec = yaml.safe_load(managed.files["files/pipeline/pipeline.yaml"])
    assert spec["root"]["inputDefinitions"]["parameters"]["promote"]["defaultValue"] is False


def test_without_an_endpoint_there_is_nothing_to_promote():
    bp = parse(load_spec_text((BLUEPRINTS / "gcp-reactive.yaml").read_text()))
    assert not [k for k in bp.resources if k[0].startswith("google_cloud_run_v2_job")]
    assert "files/pipeline/promote.py" not in bp.files
    assert "run.googleapis.com" not in bp.text("services.tf")
