"""The GCP promotion path, as a human uses it: approve -> promote job -> promote run -> traffic -> monitoring.

The approver sets the alias on a version (the fake's Model Registry), executes the promote job
(the shipped promote.py, run as the Cloud Run job runs it, against the fake's metadata server,
Cloud Storage and Vertex AI), and the pipeline job it creates is run with kfp.local: the loop's
own conditions pick the promote branch, the approved version becomes the champion with all
traffic, the rest is pruned and the drift monitoring is re-created for the new champion.
"""

# no `from __future__ import annotations`: kfp reads the components' annotations as types

import json
import os
import subprocess
import sys

import pytest

from tests.files.test_gcp_pipeline_steps import (  # noqa: F401 (google is a fixture)
    ARTIFACTS,
    ENDPOINT,
    LOOP,
    PARENT,
    PROJECT,
    REGION,
    SOURCE,
    VARIANTS,
    _loop_arguments,
    google,
    m,
)

MODEL = "acme-prod-model"
REQUEST = "pipeline/promote-request.json"


def _ab_test_running(google) -> None:
    """Version 1 is the champion (80 %), version 2 the challenger (20 %), both monitored."""
    google.add_model_version(MODEL, PROJECT, REGION, f"gs://{ARTIFACTS}/runs/1/model")
    google.add_model_version(MODEL, PROJECT, REGION, f"gs://{ARTIFACTS}/runs/2/model")
    google.put(ARTIFACTS, "runs/2/model/features.json", json.dumps({"features": ["x", "y"]}))
    google.endpoints[ENDPOINT] = {
        "deployedModels": [
            {"id": "dm-champion", "displayName": "champion", "model": f"{PARENT}/models/{MODEL}",
             "modelVersionId": "1"},
            {"id": "dm-challenger", "displayName": "challenger", "model": f"{PARENT}/models/{MODEL}",
             "modelVersionId": "2"}],
        "trafficSplit": {"dm-champion": 80, "dm-challenger": 20},
    }
    google.monitoring_jobs[f"{PARENT}/modelDeploymentMonitoringJobs/7"] = {
        "name": f"{PARENT}/modelDeploymentMonitoringJobs/7", "endpoint": f"{PARENT}/endpoints/{ENDPOINT}",
        "modelDeploymentMonitoringObjectiveConfigs": [{"deployedModelId": "dm-champion"},
                                                      {"deployedModelId": "dm-challenger"}]}


def _write_promote_request(google, **parameters) -> None:
    """What pipeline.tf writes to the artifacts bucket: the scheduler's request with promote = true."""
    values = {**_loop_arguments(google, variants=VARIANTS, loop_display_name=LOOP), "promote": True, **parameters}
    google.put(ARTIFACTS, REQUEST, json.dumps({
        "displayName": f"{LOOP} (promote)",
        "pipelineSpec": {"pipelineInfo": {"name": "dsaas-mlops-loop"}},
        "serviceAccount": f"acme-prod-pipe@{PROJECT}.iam.gserviceaccount.com",
        "runtimeConfig": {"gcsOutputDirectory": f"gs://{ARTIFACTS}/pipeline-root", "parameterValues": values},
    }))


def _execute_promote_job(google) -> subprocess.CompletedProcess:
    """The Cloud Run job: `python3 -c <promote.py>` with the job's environment (pipeline.tf)."""
    env = {**os.environ, "PROJECT": PROJECT, "REGION": REGION, "PROMOTE_REQUEST": f"gs://{ARTIFACTS}/{REQUEST}",
           "API_ENDPOINT": google.url, "METADATA_ENDPOINT": google.url, "NO_PROXY": "127.0.0.1"}
    return subprocess.run([sys.executable, "-c", (SOURCE / "promote.py").read_text()], env=env,
                          capture_output=True, text=True, timeout=60)


def test_approve_then_promote_job_makes_the_approved_version_the_champion_and_monitoring_follows(
        google, monkeypatch):
    from kfp.local import executor_input_utils

    _ab_test_running(google)
    google.models[MODEL]["aliases"]["approved"] = "2"  # the approver's mergeVersionAliases
    _write_promote_request(google)

    job = _execute_promote_job(google)
    assert job.returncode == 0, job.stderr
    (created,) = google.created_pipeline_jobs.values()
    (post,) = google.calls("POST", "/pipelineJobs$")
    assert post.path == f"/v1/{PARENT}/pipelineJobs" and post.authorization == "Bearer fake-access-token"
    assert created["serviceAccount"] == f"acme-prod-pipe@{PROJECT}.iam.gserviceaccount.com"

    # The run Vertex AI would start from that request, with the loop's own conditions (and its
    # job id: single_run finds it the earliest active run of the loop, a scheduled run that
    # ended before it does not count).
    google.pipeline_jobs.insert(0, {"name": f"{PARENT}/pipelineJobs/scheduled", "displayName": LOOP,
                                    "state": "PIPELINE_STATE_SUCCEEDED", "createTime": "2026-01-01T03:00:00Z"})
    job_id = created["name"].rsplit("/", 1)[-1]
    monkeypatch.setattr(executor_input_utils, "get_local_pipeline_resource_name", lambda name: job_id)
    m.loop(**created["runtimeConfig"]["parameterValues"])
    assert google.calls("GET", f"/pipelineJobs/{job_id}$")

    assert not google.calls("POST", "models:upload$")  # a promote run trains nothing
    assert not google.calls("POST", "flexTemplates:launch$")  # nor curates
    (deploy,) = google.calls("POST", ":deployModel$")
    assert deploy.body["deployedModel"]["model"] == f"{PARENT}/models/{MODEL}@2"
    assert deploy.body["deployedModel"]["displayName"] == "champion"
    assert deploy.body["trafficSplit"] == {"0": 100}
    endpoint = google.endpoints[ENDPOINT]
    (new_id,) = [d["id"] for d in endpoint["deployedModels"]]
    assert endpoint["trafficSplit"] == {new_id: 100}
    assert sorted(r.body["deployedModelId"] for r in google.calls("POST", ":undeployModel$")) == [
        "dm-challenger", "dm-champion"]
    # The old monitoring job is gone; the new one watches exactly the new champion.
    assert google.calls("DELETE", "modelDeploymentMonitoringJobs/7$")
    (monitoring,) = google.monitoring_jobs.values()
    assert [c["deployedModelId"] for c in monitoring["modelDeploymentMonitoringObjectiveConfigs"]] == [new_id]
    assert monitoring["analysisInstanceSchemaUri"] == f"gs://{ARTIFACTS}/runs/2/model/instance_schema.yaml"


def test_a_promote_run_of_the_current_champion_changes_nothing(google):
    _ab_test_running(google)
    google.endpoints[ENDPOINT]["trafficSplit"] = {"dm-champion": 100}
    google.endpoints[ENDPOINT]["deployedModels"].pop()
    google.models[MODEL]["aliases"]["approved"] = "1"
    m.loop(**_loop_arguments(google, variants=VARIANTS, promote=True))
    assert not google.calls("POST", ":deployModel$") and not google.calls("POST", ":undeployModel$")
    assert not google.calls("POST", "modelDeploymentMonitoringJobs$")


def test_a_challenger_with_a_fifth_of_the_traffic_is_not_yet_the_champion(google):
    """Named champion is not enough: the approved version must also hold all the traffic."""
    _ab_test_running(google)
    google.endpoints[ENDPOINT]["deployedModels"][0]["modelVersionId"] = "2"
    google.models[MODEL]["aliases"]["approved"] = "2"
    assert m.promotion(project=PROJECT, region=REGION, endpoint=ENDPOINT, model_id=MODEL, alias="approved",
                       variants=VARIANTS, api_endpoint=google.url).output == f"{PARENT}/models/{MODEL}@2"


def test_a_promote_run_with_nothing_approved_fails_loudly(google, capfd):
    _ab_test_running(google)
    with pytest.raises(RuntimeError):
        m.loop(**_loop_arguments(google, variants=VARIANTS, promote=True))
    assert "carries the alias 'approved'" in "".join(capfd.readouterr())
    assert not google.calls("POST", ":deployModel$")


def test_the_promote_job_fails_with_googles_message_when_the_run_is_refused(google):
    _write_promote_request(google)
    google.failures[("POST", "/pipelineJobs$")] = (
        403, {"error": {"code": 403, "status": "PERMISSION_DENIED",
                        "message": "aiplatform.pipelineJobs.create denied"}})
    job = _execute_promote_job(google)
    assert job.returncode == 1
    assert "403" in job.stderr and "aiplatform.pipelineJobs.create denied" in job.stderr


def test_the_promote_job_refuses_a_request_that_does_not_promote(google):
    """The job only ever starts promote runs: a request without promote = true starts nothing."""
    _write_promote_request(google, promote=False)
    job = _execute_promote_job(google)
    assert job.returncode == 1 and "not a promote request" in job.stderr
    assert not google.calls("POST", "/pipelineJobs$")
