"""The GCP pipeline's batch tier (no endpoint): the batch predict step, executed with kfp.local against
the local fake of the Google APIs, which scores the job's input with the model's own model.joblib.

The pipeline account's Vertex AI role here is the one the batch tier renders (no deploy or monitoring
permission): every call the steps make must be in it.
"""

# no `from __future__ import annotations`: kfp reads the components' annotations as types

import json
import subprocess
import sys

import joblib
import pytest
from kfp import local

from dsaas_infra.render.gcp.pipeline import (
    PIPELINE_BASE_PERMISSIONS,
    PIPELINE_BATCH_PERMISSIONS,
    PIPELINE_TRAINING_PERMISSIONS,
)
from tests.files.fake_google_apis import start, vertex_permission
from tests.files.test_gcp_pipeline_steps import (
    _KEY,
    ARTIFACTS,
    KEY,
    PARENT,
    PROJECT,
    RAW,
    REGION,
    SOURCE,
    _csv,
    _loop_arguments,
    _rows,
    m,
)

BATCH_ROLE = set(PIPELINE_BASE_PERMISSIONS + PIPELINE_TRAINING_PERMISSIONS + PIPELINE_BATCH_PERMISSIONS)
TRAINING_SA = f"acme-prod-training@{PROJECT}.iam.gserviceaccount.com"
MODEL = "acme-prod-model"


@pytest.fixture
def google(tmp_path, monkeypatch):
    state, server = start(tmp_path / "buckets")
    adc = tmp_path / "adc.json"
    adc.write_text(json.dumps({
        "type": "service_account", "project_id": PROJECT, "private_key_id": "fake", "private_key": _KEY,
        "client_email": f"acme-prod-pipeline@{PROJECT}.iam.gserviceaccount.com", "client_id": "1",
        "token_uri": f"{state.url}/token"}))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(adc))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(tmp_path / "root"),
               raise_on_error=True)
    yield state
    server.shutdown()
    server.server_close()
    used = {vertex_permission(r) for r in state.requests} - {None}
    assert used <= BATCH_ROLE, f"the steps call Vertex AI with {sorted(used - BATCH_ROLE)}: not in the batch role"


def _trained_version(google, aliases=()) -> str:
    """Version 1 of the model: the shipped train.py fitted on _rows(60), in the artifacts bucket."""
    model_dir = google.local(ARTIFACTS, "models/1")
    (google.root.parent / "train.csv").write_text(_csv(_rows(60)))
    (google.root.parent / "features.json").write_text(json.dumps({"label": "label", "features": ["x", "y"]}))
    subprocess.run([sys.executable, str(SOURCE / "train.py"), "--train", str(google.root.parent / "train.csv"),
                    "--features", str(google.root.parent / "features.json"), "--model-dir", str(model_dir)], check=True)
    google.add_model_version(MODEL, PROJECT, REGION, f"gs://{ARTIFACTS}/models/1", aliases=aliases)
    return f"{PARENT}/models/{MODEL}@1"


def _batch(google, run_id="loop-run-1", decision="deploy", candidate=f"{PARENT}/models/{MODEL}@1"):
    return m.batch_predict(
        project=PROJECT, region=REGION, run_id=run_id, raw_bucket=RAW, artifacts_bucket=ARTIFACTS,
        model_id=MODEL, alias="approved", candidate=candidate, decision=decision,
        machine_type="e2-standard-4", min_replicas=1, max_replicas=3, service_account=TRAINING_SA,
        kms_key=KEY, api_endpoint=google.url).output


def _instances(n: int, offset: int = 0) -> list[dict]:
    return [{"x": r[1], "y": r[2], "id": offset + i, "note": "ignored"} for i, r in enumerate(_rows(n))]


def _jsonl(rows) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def _predictions(google, folder: str) -> list[dict]:
    bucket, _, prefix = folder.removeprefix("gs://").partition("/")
    lines = google.local(bucket, f"{prefix}/predictions_00001.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_the_new_input_is_scored_once_with_the_version_the_gate_passed(google, capfd):
    version = _trained_version(google)
    google.put(RAW, "inference/incoming/a.jsonl", _jsonl(_instances(5)))
    google.put(RAW, "inference/incoming/shop/b.jsonl", _jsonl(_instances(3, offset=5)))
    folder = _batch(google)
    run = "loop_run_1"
    assert folder.startswith(f"gs://{ARTIFACTS}/predictions/{run}/prediction-")

    (job,) = google.calls("POST", "/batchPredictionJobs$")
    body = job.body
    assert job.path == f"/v1/{PARENT}/batchPredictionJobs"
    assert body["model"] == version
    # Exactly the claimed files, read as JSON objects turned into arrays in the model's feature order.
    assert sorted(body["inputConfig"]["gcsSource"]["uris"]) == [
        f"gs://{RAW}/inference/processing/{run}/a.jsonl", f"gs://{RAW}/inference/processing/{run}/shop/b.jsonl"]
    assert body["inputConfig"]["instancesFormat"] == "jsonl"
    assert body["instanceConfig"] == {"instanceType": "array", "includedFields": ["x", "y"]}
    assert body["outputConfig"] == {"predictionsFormat": "jsonl",
                                    "gcsDestination": {"outputUriPrefix": f"gs://{ARTIFACTS}/predictions/{run}"}}
    assert body["dedicatedResources"] == {"machineSpec": {"machineType": "e2-standard-4"},
                                          "startingReplicaCount": 1, "maxReplicaCount": 3}
    assert body["serviceAccount"] == TRAINING_SA
    assert body["encryptionSpec"] == {"kmsKeyName": KEY}
    assert google.calls("GET", r"/batchPredictionJobs/\d+$")  # waited for

    # The predictions are the trained model's, one per input line.
    estimator = joblib.load(google.local(ARTIFACTS, "models/1/model.joblib"))
    scored = _predictions(google, folder)
    assert len(scored) == 8
    for line in scored:
        assert line["prediction"] == pytest.approx(float(estimator.predict([line["instance"]])[0]))
    # The input moved on: scored once, never again.
    assert google.objects(RAW, "inference/") == [
        f"inference/processed/{run}/a.jsonl", f"inference/processed/{run}/shop/b.jsonl"]
    assert "8 prediction(s)" in "".join(capfd.readouterr())

    # The next run has nothing new: a visible skip, no job.
    assert _batch(google, run_id="loop-run-2") == ""
    assert len(google.calls("POST", "/batchPredictionJobs$")) == 1
    assert "skipped: no new inference input" in "".join(capfd.readouterr())


def test_without_an_approved_version_nothing_is_scored_and_the_input_waits(google, capfd):
    _trained_version(google)
    google.put(RAW, "inference/incoming/a.jsonl", _jsonl(_instances(2)))
    assert _batch(google, decision="reject", candidate=f"{PARENT}/models/{MODEL}@1") == ""
    assert not google.calls("POST", "/batchPredictionJobs$")
    assert google.objects(RAW, "inference/") == ["inference/incoming/a.jsonl"]
    assert "no version of acme-prod-model carries the alias 'approved'" in "".join(capfd.readouterr())

    # A human approves version 1: the next run scores with it although its own version is held.
    google.models[MODEL]["aliases"]["approved"] = "1"
    google.add_model_version(MODEL, PROJECT, REGION, f"gs://{ARTIFACTS}/models/1")  # this run's, held
    assert _batch(google, run_id="loop-run-2", decision="hold", candidate=f"{PARENT}/models/{MODEL}@2")
    (job,) = google.calls("POST", "/batchPredictionJobs$")
    assert job.body["model"] == f"{PARENT}/models/{MODEL}@1"


def test_a_failed_job_fails_the_step_keeps_the_input_and_the_next_run_requeues_and_scores_it(google, capfd):
    _trained_version(google)
    google.put(RAW, "inference/incoming/a.jsonl", _jsonl(_instances(4)))
    google.batch_job_state = "JOB_STATE_FAILED"
    with pytest.raises(RuntimeError):
        _batch(google, run_id="loop-run-1")
    out = "".join(capfd.readouterr())
    assert "ended JOB_STATE_FAILED" in out and "inference/processing/loop_run_1/" in out
    assert google.objects(RAW, "inference/") == ["inference/processing/loop_run_1/a.jsonl"]
    assert google.objects(ARTIFACTS, "predictions/runs/") == ["predictions/runs/loop_run_1.json"]

    # That run has ended (failed, the pipeline-failure alert fired): the next run requeues its input.
    google.pipeline_jobs.append({"name": f"{PARENT}/pipelineJobs/loop-run-1", "state": "PIPELINE_STATE_FAILED"})
    google.batch_job_state = "JOB_STATE_SUCCEEDED"
    folder = _batch(google, run_id="loop-run-2")
    assert len(_predictions(google, folder)) == 4
    assert google.objects(RAW, "inference/") == ["inference/processed/loop_run_2/requeued-loop_run_1/a.jsonl"]


def test_the_files_of_a_run_still_going_are_left_to_it(google):
    _trained_version(google)
    google.put(RAW, "inference/processing/loop_run_1/a.jsonl", _jsonl(_instances(2)))
    google.put(ARTIFACTS, "predictions/runs/loop_run_1.json", json.dumps({"job": "loop-run-1"}))
    google.pipeline_jobs.append({"name": f"{PARENT}/pipelineJobs/loop-run-1", "state": "PIPELINE_STATE_RUNNING"})
    assert _batch(google, run_id="loop-run-2") == ""
    assert google.objects(RAW, "inference/") == ["inference/processing/loop_run_1/a.jsonl"]


def test_lines_the_job_could_not_score_fail_the_step_after_the_input_moved_on(google, capfd):
    _trained_version(google)
    google.put(RAW, "inference/incoming/a.jsonl", _jsonl(_instances(3)) + json.dumps({"x": 1}) + "\n")
    with pytest.raises(RuntimeError):
        _batch(google)
    out = "".join(capfd.readouterr())
    assert "1 instance(s) not scored" in out and "errors_*.jsonl" in out
    assert google.objects(RAW, "inference/") == ["inference/processed/loop_run_1/a.jsonl"]


def test_a_refused_job_fails_the_step_and_keeps_the_input(google, capfd):
    _trained_version(google)
    google.put(RAW, "inference/incoming/a.jsonl", _jsonl(_instances(2)))
    google.failures[("POST", "/batchPredictionJobs$")] = (
        403, {"error": {"code": 403, "status": "PERMISSION_DENIED",
                        "message": "Permission 'iam.serviceAccounts.actAs' denied"}})
    with pytest.raises(RuntimeError):
        _batch(google)
    assert "iam.serviceAccounts.actAs" in "".join(capfd.readouterr())
    assert google.objects(RAW, "inference/") == ["inference/processing/loop_run_1/a.jsonl"]


def test_the_loop_at_the_batch_tier_registers_then_scores_the_new_input_with_that_version(google):
    """pipeline.py's loop itself as the reactive blueprint starts it (no endpoint, automatic
    approval): curate -> ... -> register -> gate -> batch predict, with the version it registered."""
    google.put(ARTIFACTS, "pipeline/train.py", (SOURCE / "train.py").read_text())
    google.curated_rows = [
        {"record_id": str(i), "event_time": "2026-01-01T00:00:00Z",
         "payload": json.dumps({"x": x, "y": y, "label": label})}
        for i, (label, x, y) in enumerate(_rows(60))]
    google.put(RAW, "incoming/training/a.jsonl", "{}\n")
    google.staging_counts = (60, 0)
    google.put(RAW, "inference/incoming/today.jsonl", _jsonl(_instances(6)))
    arguments = _loop_arguments(google, deploy_enabled=False, endpoint="", variants=[], drift_enabled=False,
                                approval="auto", batch_enabled=True, batch_service_account=TRAINING_SA,
                                serving_machine_type="e2-standard-4", min_replicas=1, max_replicas=1)
    m.loop(**arguments)
    (upload,) = google.calls("POST", "models:upload$")
    (job,) = google.calls("POST", "/batchPredictionJobs$")
    assert job.body["model"] == f"{PARENT}/models/{MODEL}@1"
    assert job.body["serviceAccount"] == TRAINING_SA
    assert not google.calls("POST", ":deployModel$")
    (folder,) = {"/".join(p.split("/")[:3]) for p in google.objects(ARTIFACTS, "predictions/") if "prediction-" in p}
    assert len(_predictions(google, f"gs://{ARTIFACTS}/{folder}")) == 6
    assert [p for p in google.objects(RAW, "inference/")] and all(
        p.startswith("inference/processed/") for p in google.objects(RAW, "inference/"))

    # Next run: new inference input, no new training data: no retraining (curate's skip), and the
    # input is scored with the version the last run trained and registered.
    google.put(RAW, "inference/incoming/tomorrow.jsonl", _jsonl(_instances(2)))
    m.loop(**arguments)
    assert len(google.calls("POST", "models:upload$")) == 1
    jobs = google.calls("POST", "/batchPredictionJobs$")
    assert len(jobs) == 2 and jobs[1].body["model"] == f"{PARENT}/models/{MODEL}@1"
    assert not [p for p in google.objects(RAW, "inference/") if p.startswith("inference/incoming/")]
