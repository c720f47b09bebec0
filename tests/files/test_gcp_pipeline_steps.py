"""The GCP pipeline's steps that call Google, executed with kfp.local against a local fake of the APIs.

Each shipped component runs as the Vertex AI run would run it (kfp's executor in a subprocess, the
component's pinned packages already installed: PIP_NO_INDEX makes any other install fail), with
Application Default Credentials that refresh against the fake's token endpoint and `api_endpoint`
pointing at the fake. The tests assert on the requests (URL, body fields) and on failure handling:
an error answer or a failed job fails the step, loudly.
"""

# no `from __future__ import annotations`: kfp reads the components' annotations as types

import importlib.metadata
import importlib.util
import json
import re
from pathlib import Path

import pytest
import yaml
from kfp import dsl, local
from kfp.dsl import Artifact, Dataset, Output

from dsaas_infra.render.gcp.pipeline import (
    PIPELINE_BASE_PERMISSIONS,
    PIPELINE_DEPLOY_PERMISSIONS,
    PIPELINE_DRIFT_PERMISSIONS,
    PIPELINE_TRAINING_PERMISSIONS,
)
from tests.files.fake_google_apis import start, vertex_permission

# The pipeline account's role at its widest (training, deployment and drift monitoring on; batch
# scoring is the tier without an endpoint: tests/files/test_gcp_batch_predict.py checks its own role).
RUNNER_PERMISSIONS = (PIPELINE_BASE_PERMISSIONS + PIPELINE_TRAINING_PERMISSIONS + PIPELINE_DEPLOY_PERMISSIONS
                      + PIPELINE_DRIFT_PERMISSIONS)

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "templates" / "gcp" / "files" / "pipeline"
PROJECT, REGION = "acme-dsaas-prod", "europe-west1"
PARENT = f"projects/{PROJECT}/locations/{REGION}"
RAW, DATAFLOW, ARTIFACTS = "acme-prod-raw", "acme-prod-dataflow", "acme-prod-artifacts"
KEY = f"{PARENT}/keyRings/acme/cryptoKeys/vertex"
ATTACHMENT = f"projects/{PROJECT}/regions/{REGION}/networkAttachments/acme-prod-training"
ENDPOINT = "1234567890"
CHANNELS = [f"projects/{PROJECT}/notificationChannels/42"]
VARIANTS = [{"name": "champion", "weight": 80}, {"name": "challenger", "weight": 20}]
STAGING = "acme_prod_curated_staging"


def _load(path: Path):
    spec = importlib.util.spec_from_file_location("dsaas_pipeline_steps_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


m = _load(SOURCE / "pipeline.py")


def _private_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


_KEY = _private_key()


@pytest.fixture
def google(tmp_path, monkeypatch):
    state, server = start(tmp_path / "buckets")
    adc = tmp_path / "adc.json"
    # A service account key whose token_uri is the fake (google-auth honours it for this type).
    adc.write_text(json.dumps({
        "type": "service_account", "project_id": PROJECT, "private_key_id": "fake", "private_key": _KEY,
        "client_email": f"acme-prod-pipeline@{PROJECT}.iam.gserviceaccount.com", "client_id": "1",
        "token_uri": f"{state.url}/token"}))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(adc))
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # the components' packages are installed: never download
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(tmp_path / "root"),
               raise_on_error=True)
    yield state
    server.shutdown()
    server.server_close()
    # Every Vertex AI call a step made is one the pipeline's custom role allows (the scheduler's
    # pipelineJobs.create: the launch role): the role is checked against what the steps call.
    allowed = set(RUNNER_PERMISSIONS) | {"aiplatform.pipelineJobs.create"}
    used = {vertex_permission(r) for r in state.requests} - {None}
    assert used <= allowed, f"the steps call Vertex AI with {sorted(used - allowed)}: not in render/gcp/pipeline.py"


def test_the_components_pinned_google_packages_are_the_ones_tested_here():
    """A step installs GOOGLE_PACKAGES in its container; these tests run it with the installed ones."""
    for pin in m.GOOGLE_PACKAGES:
        name, version = pin.split("==")
        assert importlib.metadata.version(name) == version, (
            f"{pin} in pipeline.py, {importlib.metadata.version(name)} installed: keep them and "
            "pyproject.toml's test extra the same")


@dsl.component(base_image="python:3.11-slim")
def text_artifacts(train_csv: str, features_json: str, train: Output[Dataset], features: Output[Artifact]):
    """Stands in for prepare: a training set and its features file."""
    with open(train.path, "w") as f:
        f.write(train_csv)
    with open(features.path, "w") as f:
        f.write(features_json)


def _rows(n: int) -> list[list[float]]:
    return [[2.0 * (i % 7) - (i * 3) % 5 + 0.5, float(i % 7), float((i * 3) % 5)] for i in range(n)]


def _csv(rows) -> str:
    return "".join(",".join(str(v) for v in r) + "\n" for r in rows)


# --- curate -------------------------------------------------------------------------------------
def _curate(run_id="dsaas-mlops-loop-20260101", **extra):
    return m.curate(
        project=PROJECT, region=REGION, run_id=run_id, raw_bucket=RAW,
        dataflow_bucket=DATAFLOW, artifacts_bucket=ARTIFACTS, dataset="acme_prod_curated",
        datasets=extra.pop("datasets", ["training"]), training_dataset=extra.pop("training_dataset", "training"),
        template=f"gs://dataflow-templates-{REGION}/latest/flex/GCS_Text_to_BigQuery_Flex",
        dataflow_service_account=f"acme-prod-dataflow@{PROJECT}.iam.gserviceaccount.com",
        subnetwork=f"https://www.googleapis.com/compute/v1/projects/{PROJECT}/regions/{REGION}/subnetworks/main",
        kms_key="compute-key", machine_type="n2-standard-2", max_workers=3, staging_dataset=STAGING, **extra)


def test_curate_claims_loads_quarantines_merges_and_exports(google):
    google.put(RAW, "incoming/training/pos/a.jsonl", '{"id": 1}\n')
    google.put(RAW, "incoming/training/b.jsonl", '{"id": 2}\nnot json\n')
    google.staging_counts = (1, 1)
    google.curated_rows = [{"record_id": "1", "event_time": "2026-01-01T00:00:00Z", "payload": '{"label": 1}'}]
    task = _curate(api_endpoint=google.url)
    assert task.outputs["Output"] == "train"  # new rows in the training dataset, no model trained on them yet
    assert task.outputs["report"].metadata["quarantined"] == 1  # one quarantined line
    run = "dsaas_mlops_loop_20260101"
    # Each file moved incoming/ -> processing/<run>/ -> processed/<run>/, deleting only the copied generation.
    rewrites = [r.path.split("/o/", 1)[1] for r in google.calls("POST", "/rewriteTo/")]
    assert rewrites == [
        f"incoming/training/b.jsonl/rewriteTo/b/{RAW}/o/processing/{run}/training/b.jsonl",
        f"incoming/training/pos/a.jsonl/rewriteTo/b/{RAW}/o/processing/{run}/training/pos/a.jsonl",
        f"processing/{run}/training/b.jsonl/rewriteTo/b/{RAW}/o/processed/{run}/training/b.jsonl",
        f"processing/{run}/training/pos/a.jsonl/rewriteTo/b/{RAW}/o/processed/{run}/training/pos/a.jsonl",
    ]
    assert all(r.query.get("ifGenerationMatch") == "1" for r in google.calls("DELETE", f"/b/{RAW}/o/"))
    assert google.objects(RAW) == [f"processed/{run}/training/b.jsonl", f"processed/{run}/training/pos/a.jsonl"]
    # The Dataflow launch: only this run's files, private workers in the subnet, the spec's machines.
    (launch,) = google.calls("POST", "flexTemplates:launch")
    assert launch.path == f"/v1b3/projects/{PROJECT}/locations/{REGION}/flexTemplates:launch"
    params, env = launch.body["launchParameter"]["parameters"], launch.body["launchParameter"]["environment"]
    assert params["inputFilePattern"] == f"gs://{RAW}/processing/{run}/training/**"
    assert params["outputTable"] == f"{PROJECT}:{STAGING}.training_{run}"  # expires with its dataset
    assert params["javascriptTextTransformGcsPath"] == f"gs://{DATAFLOW}/udf/transform.js"
    assert env["ipConfiguration"] == "WORKER_IP_PRIVATE" and env["subnetwork"].endswith("/subnetworks/main")
    assert (env["machineType"], env["maxWorkers"], env["kmsKeyName"]) == ("n2-standard-2", 3, "compute-key")
    # BigQuery: a fresh staging table, count, quarantine + idempotent MERGE on record_id, then the
    # first export (all of it).
    sql = _sql(google)
    assert sql[0] == f"DROP TABLE IF EXISTS `{PROJECT}.{STAGING}.training_{run}`"
    assert "COUNTIF(error IS NULL)" in sql[1]
    assert "_quarantine" in sql[2] and "ON t.record_id = s.record_id" in sql[2] and "DROP TABLE" in sql[2]
    assert "EXPORT DATA" in sql[3] and "FROM `acme-dsaas-prod.acme_prod_curated.training` ;" in sql[3]
    assert f"uri = 'gs://{ARTIFACTS}/curated/datasets/training/exports/{run}/part-*.json'" in sql[3]
    # The run record: which pipeline job owns processing/<run>/ (the next runs requeue a dead one's files).
    record = json.loads((google.root / ARTIFACTS / "curated" / "runs" / f"{run}.json").read_text())
    assert record["job"] == "dsaas-mlops-loop-20260101"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["since"])
    jobs = google.calls("POST", "/bigquery/v2/projects/.*/jobs$")
    assert all(r.body["jobReference"]["location"] == REGION for r in jobs)
    # The watermark for the next run, and the lock released.
    assert _state(google) == {"watermark": google.bq_now, "pending_since": None, "run": run}
    assert google.objects(ARTIFACTS, "curated/lock") == []


def test_each_dataset_gets_its_own_prefix_load_table_quarantine_watermark_and_export(google, capfd):
    """Two raw datasets with different fields (and a malformed line in one): each is claimed from
    incoming/<dataset>/, loaded by a Dataflow job of its own into a staging table of its own,
    quarantined into <dataset>_quarantine and MERGEd into <dataset>, exported with its own
    watermark; the snapshot names the training dataset's exports. A file outside every dataset's
    prefix stays where it is, named in a warning."""
    google.put(RAW, "incoming/sales/day1/a.jsonl", '{"id": 1, "amount": 3, "label": 1}\n{"id": 2, "label": 2}\n')
    google.put(RAW, "incoming/customers/c.jsonl", '{"id": "c1", "country": "BE"}\nnot json\n')
    google.put(RAW, "incoming/loose.jsonl", '{"id": 9}\n')
    google.staging_counts = {"sales": (2, 0), "customers": (1, 1)}
    sales_rows = [_row(1, "2026-01-01T10:00:00.000000Z"), _row(2, "2026-01-01T10:00:00.000000Z")]
    customer_rows = [{"record_id": "c1", "event_time": "2026-01-01T00:00:00.000000Z",
                      "ingested_at": "2026-01-01T10:00:00.000000Z", "payload": '{"id": "c1", "country": "BE"}'}]
    google.curated_rows = {"sales": sales_rows, "customers": customer_rows}
    task = _curate(api_endpoint=google.url, datasets=["sales", "customers"], training_dataset="sales")
    assert task.outputs["Output"] == "train"
    out = "".join(capfd.readouterr())
    assert "1 file(s) under incoming/ belong to no dataset" in out and "incoming/loose.jsonl" in out
    run = "dsaas_mlops_loop_20260101"
    assert google.objects(RAW) == ["incoming/loose.jsonl", f"processed/{run}/customers/c.jsonl",
                                   f"processed/{run}/sales/day1/a.jsonl"]
    launches = {r.body["launchParameter"]["parameters"]["inputFilePattern"]: r.body["launchParameter"]
                for r in google.calls("POST", "flexTemplates:launch")}
    assert sorted(launches) == [f"gs://{RAW}/processing/{run}/customers/**", f"gs://{RAW}/processing/{run}/sales/**"]
    sales = launches[f"gs://{RAW}/processing/{run}/sales/**"]
    customers = launches[f"gs://{RAW}/processing/{run}/customers/**"]
    assert sales["parameters"]["outputTable"] == f"{PROJECT}:{STAGING}.sales_{run}"
    assert customers["parameters"]["outputTable"] == f"{PROJECT}:{STAGING}.customers_{run}"
    assert sales["jobName"] != customers["jobName"] and all(
        re.fullmatch(r"[a-z][-a-z0-9]{0,61}[a-z0-9]", j["jobName"]) for j in (sales, customers))
    merges = [q for q in _sql(google) if "MERGE" in q]
    assert len(merges) == 2
    for name, script in zip(("sales", "customers"), merges, strict=True):
        assert f"MERGE `{PROJECT}.acme_prod_curated.{name}` AS t" in script
        assert f"INSERT INTO `{PROJECT}.acme_prod_curated.{name}_quarantine`" in script
        assert f"FROM `{PROJECT}.{STAGING}.{name}_{run}`" in script
    # One export per dataset, of its own table, under its own prefix, with its own watermark.
    assert google.exported_tables == ["sales", "customers"] and google.exported == [sales_rows, customer_rows]
    for name in ("sales", "customers"):
        assert google.objects(ARTIFACTS, f"curated/datasets/{name}/exports/") == [
            f"curated/datasets/{name}/exports/{run}/part-000000000000.json"]
        state = json.loads((google.root / ARTIFACTS / f"curated/datasets/{name}/export_state.json").read_text())
        assert state == {"watermark": google.bq_now, "pending_since": None, "run": run}
    snapshot = json.loads(Path(task.outputs["snapshot"].path).read_text())
    assert snapshot == {"exports": f"gs://{ARTIFACTS}/curated/datasets/sales/exports/", "run": run,
                        "dataset": "sales", "watermark": google.bq_now}
    report = json.loads(Path(task.outputs["report"].path).read_text())
    assert report["datasets"]["customers"]["quarantined"] == 1 and report["datasets"]["sales"]["loaded"] == 2
    assert report["unassigned"] == ["incoming/loose.jsonl"] and report["failures"] == []


def test_a_dataset_whose_new_lines_are_all_quarantined_fails_the_run_after_committing(google, capfd):
    """100% of a dataset's new lines rejected: they are kept in its quarantine table and the files
    move on (the next run does not fail on them again), the other dataset is curated as usual,
    and the run fails with the counts: a source that changed its format never ends green."""
    google.put(RAW, "incoming/sales/a.jsonl", '{"id": 1}\n')
    google.put(RAW, "incoming/customers/c.jsonl", "a,b,c\n1,2,3\n4,5,6\n")
    google.staging_counts = {"sales": (1, 0), "customers": (0, 3)}
    google.curated_rows = {"sales": [_row(1, "2026-01-01T10:00:00.000000Z")]}
    with pytest.raises(RuntimeError):
        _curate(api_endpoint=google.url, datasets=["sales", "customers"], training_dataset="sales")
    out = "".join(capfd.readouterr())
    assert "dataset customers: all 3 new line(s) of 1 file(s) were quarantined" in out
    assert "acme_prod_curated.customers_quarantine" in out
    run = "dsaas_mlops_loop_20260101"
    assert google.objects(RAW) == [f"processed/{run}/customers/c.jsonl", f"processed/{run}/sales/a.jsonl"]
    (script,) = [q for q in _sql(google) if "MERGE" in q and ".customers`" in q]
    assert "INSERT INTO `acme-dsaas-prod.acme_prod_curated.customers_quarantine`" in script
    # Nothing of customers to export (no row merged); sales exported as usual.
    assert google.exported_tables == ["sales"]
    assert not (google.root / ARTIFACTS / "curated/datasets/customers/export_state.json").exists()
    assert google.objects(ARTIFACTS, "curated/lock") == []


def test_a_dataset_whose_load_fails_keeps_its_files_while_the_others_are_committed(google, capfd):
    google.put(RAW, "incoming/sales/a.jsonl", '{"id": 1}\n')
    google.put(RAW, "incoming/customers/c.jsonl", '{"id": "c1"}\n')
    google.staging_counts = {"sales": (1, 0), "customers": (1, 0)}
    google.curated_rows = {"sales": [_row(1, "2026-01-01T10:00:00.000000Z")]}
    google.dataflow_failing_inputs = ("/customers/",)
    with pytest.raises(RuntimeError):
        _curate(api_endpoint=google.url, datasets=["sales", "customers"], training_dataset="sales")
    out = "".join(capfd.readouterr())
    run = "dsaas_mlops_loop_20260101"
    assert f"its 1 file(s) stay in processing/{run}/customers/" in out
    assert google.objects(RAW) == [f"processed/{run}/sales/a.jsonl", f"processing/{run}/customers/c.jsonl"]
    assert [q for q in _sql(google) if "MERGE" in q and ".sales`" in q]
    assert not [q for q in _sql(google) if "MERGE" in q and ".customers`" in q]


@dsl.component(base_image="python:3.11-slim")
def snapshot_of(content: str, snapshot: Output[Dataset]):
    """Stands in for curate's snapshot output."""
    with open(snapshot.path, "w") as f:
        f.write(content)


@dsl.pipeline
def only_mark_trained(snapshot: str, model: str, api_endpoint: str):
    made = snapshot_of(content=snapshot)
    m.mark_trained(artifacts_bucket=ARTIFACTS, snapshot=made.outputs["snapshot"], model=model,
                   api_endpoint=api_endpoint)


def test_no_new_input_is_a_visible_skip_and_nothing_is_retrained_on_seen_data(google, capfd):
    """No file at all: no Dataflow job, no query, output "skip". Once a model was trained on the
    training dataset up to its watermark (mark_trained), a run without new training rows skips
    too, also when another dataset got new rows; new training rows make the next run train."""
    task = _curate(api_endpoint=google.url, datasets=["sales", "customers"], training_dataset="sales")
    assert task.outputs["Output"] == "skip"
    assert "SKIP: no new rows in sales since the last trained model (none yet)" in "".join(capfd.readouterr())
    assert not google.calls("POST", "flexTemplates:launch") and not _sql(google)
    assert task.outputs["report"].metadata["outcome"] == "skip"
    assert json.loads(Path(task.outputs["report"].path).read_text())["datasets"]["sales"]["status"] == "no new input"

    google.put(RAW, "incoming/sales/a.jsonl", '{"id": 1}\n')
    google.staging_counts = {"sales": (1, 0), "customers": (1, 0)}
    google.curated_rows = {"sales": [_row(1, "2026-01-01T10:00:00.000000Z")], "customers": []}
    trained = _curate(run_id="run-2", api_endpoint=google.url, datasets=["sales", "customers"],
                      training_dataset="sales")
    assert trained.outputs["Output"] == "train"
    only_mark_trained(snapshot=Path(trained.outputs["snapshot"].path).read_text(),
                      model=f"{PARENT}/models/acme-prod-model@1", api_endpoint=google.url)
    mark = json.loads((google.root / ARTIFACTS / "curated/datasets/sales/trained.json").read_text())
    assert mark == {"watermark": google.bq_now, "run": "run_2", "model": f"{PARENT}/models/acme-prod-model@1"}

    google.put(RAW, "incoming/customers/c.jsonl", '{"id": "c1"}\n')  # new rows, not of the training dataset
    google.bq_now = "2026-01-03T00:00:00.000000Z"
    assert _curate(run_id="run-3", api_endpoint=google.url, datasets=["sales", "customers"],
                   training_dataset="sales").outputs["Output"] == "skip"
    assert "SKIP: no new rows in sales since the last trained model (run_2)" in "".join(capfd.readouterr())
    google.put(RAW, "incoming/sales/b.jsonl", '{"id": 2}\n')
    google.bq_now = "2026-01-04T00:00:00.000000Z"
    assert _curate(run_id="run-4", api_endpoint=google.url, datasets=["sales", "customers"],
                   training_dataset="sales").outputs["Output"] == "train"


def test_curate_refuses_bad_dataset_parameters_before_touching_anything(google):
    for datasets, training in ((["sales", "sales"], "sales"), (["Sales"], "Sales"), (["sales"], "customers")):
        with pytest.raises(RuntimeError):
            _curate(api_endpoint=google.url, datasets=datasets, training_dataset=training)
    assert not google.calls("POST", "/rewriteTo/") and not google.calls("POST", "/upload/")


def _sql(google) -> list[str]:
    return [r.body["configuration"]["query"]["query"] for r in google.calls("POST", "/bigquery/v2/projects/.*/jobs$")]


def _state(google) -> dict:
    return json.loads((google.root / ARTIFACTS / "curated" / "datasets" / "training" / "export_state.json").read_text())


def _row(i: int, ingested: str, event: str = "2026-01-01T00:00:00.000000Z", label: float = 1.0) -> dict:
    return {"record_id": str(i), "event_time": event, "ingested_at": ingested,
            "payload": json.dumps({"x": float(i % 7), "y": float(i % 5), "label": label})}


def test_curate_exports_only_the_rows_merged_since_the_last_export(google):
    """Run 1 exports the table once; run 2 only what was merged after run 1's watermark, from the
    partitions of its new rows; a run with nothing new exports nothing."""
    old = [_row(i, "2026-01-01T10:00:00.000000Z") for i in range(5)]
    google.curated_rows = old
    google.put(RAW, "incoming/training/a.jsonl", '{"id": 1}\n')
    google.staging_counts = (5, 0)
    google.bq_now = "2026-01-01T12:00:00.000000Z"
    _curate(run_id="run-1", api_endpoint=google.url)
    assert google.exported == [old]
    assert _state(google)["watermark"] == "2026-01-01T12:00:00.000000Z"

    # Run 2: two rows merged (one new, one updated), with events from 2026-01-03 on.
    new = [_row(5, "2026-01-02T06:00:00.000000Z", event="2026-01-03T00:00:00.000000Z"),
           _row(1, "2026-01-02T06:00:00.000000Z", event="2026-01-04T00:00:00.000000Z", label=9.0)]
    google.curated_rows = [r for r in old if r["record_id"] != "1"] + new
    google.put(RAW, "incoming/training/b.jsonl", '{"id": 5}\n{"id": 1}\n')
    google.staging_counts, google.staging_earliest = (2, 0), "2026-01-03T00:00:00.000000Z"
    google.bq_now = "2026-01-02T12:00:00.000000Z"
    _curate(run_id="run-2", api_endpoint=google.url)
    export = _sql(google)[-1]
    assert "WHERE ingested_at > TIMESTAMP('2026-01-01T12:00:00.000000Z') AND ingested_at <= mark" in export
    assert "AND event_time >= TIMESTAMP('2026-01-03T00:00:00.000000Z')" in export  # partition pruning
    assert google.exported[-1] == new
    assert google.objects(ARTIFACTS, "curated/datasets/training/exports/") == [
        "curated/datasets/training/exports/run_1/part-000000000000.json",
        "curated/datasets/training/exports/run_2/part-000000000000.json"]
    assert _state(google) == {"watermark": "2026-01-02T12:00:00.000000Z", "pending_since": None, "run": "run_2"}

    # Run 3: no new files, nothing pending: not one BigQuery query.
    before = len(_sql(google))
    _curate(run_id="run-3", api_endpoint=google.url)
    assert len(_sql(google)) == before and len(google.exported) == 2


def test_every_compact_after_exports_one_is_of_the_whole_table_and_the_older_ones_go(google, capfd):
    """Three exports already (compact_after=3): this run exports every record's latest version
    (no watermark filter), then deletes the three older prefixes; prepare reads one export."""
    rows = [_row(i, "2026-01-01T10:00:00.000000Z") for i in range(4)]
    google.curated_rows = rows
    for old in ("run_a", "run_b", "run_c"):
        google.put(ARTIFACTS, f"curated/datasets/training/exports/{old}/part-000000000000.json", "{}\n")
    google.put(ARTIFACTS, "curated/datasets/training/export_state.json", json.dumps(
        {"watermark": "2026-01-01T09:00:00.000000Z", "pending_since": "2026-01-01T00:00:00.000000Z", "run": "run_c"}))
    google.put(RAW, "incoming/training/a.jsonl", '{"id": 1}\n')
    google.staging_counts = (1, 0)
    _curate(api_endpoint=google.url, compact_after=3)
    assert "training: 3 exports: this one is of the whole table" in "".join(capfd.readouterr())
    export = _sql(google)[-1]
    assert "EXPORT DATA" in export and "WHERE" not in export.split("FROM", 1)[1].split(";")[0]
    assert google.exported[-1] == rows
    assert google.objects(ARTIFACTS, "curated/datasets/training/exports/") == [
        "curated/datasets/training/exports/dsaas_mlops_loop_20260101/part-000000000000.json"]
    assert _state(google)["pending_since"] is None

    # Below the threshold: a delta, and nothing deleted.
    google.put(RAW, "incoming/training/b.jsonl", '{"id": 2}\n')
    _curate(run_id="run-2", api_endpoint=google.url, compact_after=3)
    assert "WHERE ingested_at > TIMESTAMP(" in _sql(google)[-1]
    assert len(google.objects(ARTIFACTS, "curated/datasets/training/exports/")) == 2


def test_a_failed_export_is_made_good_by_the_next_run(google, capfd):
    """The MERGE went through, the export failed: the watermark stays, the partitions of the
    merged rows are remembered, and the next run (without new files) exports those rows."""
    google.curated_rows = [_row(1, "2026-01-01T10:00:00.000000Z")]
    google.put(RAW, "incoming/training/a.jsonl", '{"id": 1}\n')
    google.staging_counts = (1, 0)
    google.bq_now = "2026-01-01T12:00:00.000000Z"
    _curate(run_id="run-1", api_endpoint=google.url)

    merged = _row(2, "2026-01-02T06:00:00.000000Z", event="2025-12-30T00:00:00.000000Z")  # late data
    google.curated_rows.append(merged)
    google.put(RAW, "incoming/training/b.jsonl", '{"id": 2}\n')
    google.staging_earliest = "2025-12-30T00:00:00.000000Z"
    google.export_error = {"reason": "backendError", "message": "export backend error"}
    with pytest.raises(RuntimeError):
        _curate(run_id="run-2", api_endpoint=google.url)
    assert "export backend error" in "".join(capfd.readouterr())
    assert "MERGE" in _sql(google)[-2] and "EXPORT DATA" in _sql(google)[-1]
    assert _state(google) == {"watermark": "2026-01-01T12:00:00.000000Z",
                              "pending_since": "2025-12-30T00:00:00.000000Z", "run": "run_1"}
    assert google.objects(ARTIFACTS, "curated/lock") == []  # released on the failure too
    google.export_error = None

    google.bq_now = "2026-01-03T00:00:00.000000Z"
    _curate(run_id="run-3", api_endpoint=google.url)
    assert "AND event_time >= TIMESTAMP('2025-12-30T00:00:00.000000Z')" in _sql(google)[-1]
    assert google.exported[-1] == [merged]
    assert _state(google)["watermark"] == "2026-01-03T00:00:00.000000Z"


def test_curate_waits_for_the_lock_of_a_live_run_and_gives_up_without_merging(google, capfd):
    import time

    google.put(ARTIFACTS, "curated/lock", json.dumps({"run": "other", "expires": time.time() + 3600}))
    google.put(RAW, "incoming/training/a.jsonl", '{"id": 1}\n')
    with pytest.raises(RuntimeError):
        _curate(api_endpoint=google.url, lock_wait_seconds=0)
    assert "locked by run other" in "".join(capfd.readouterr())
    assert not [q for q in _sql(google) if "MERGE" in q or "EXPORT" in q]  # not while another run holds the table
    assert google.objects(RAW) == ["processing/dsaas_mlops_loop_20260101/training/a.jsonl"]
    assert json.loads((google.root / ARTIFACTS / "curated/lock").read_text())["run"] == "other"


def _transaction(script: str) -> str:
    """The statements between BEGIN TRANSACTION and COMMIT TRANSACTION of a script."""
    body = re.search(r"BEGIN TRANSACTION;(.*?)COMMIT TRANSACTION;", script, re.S)
    assert body, script
    return body.group(1)


def test_quarantine_and_merge_commit_in_one_transaction_and_the_drop_follows_it(google):
    """INSERT and MERGE inside one BigQuery transaction (rolled back and re-raised on any
    error); the staging DROP is DDL, which a transaction may not hold: after the COMMIT."""
    google.put(RAW, "incoming/training/a.jsonl", '{"id": 1}\nbad\n')
    google.staging_counts = (1, 1)
    _curate(api_endpoint=google.url)
    (script,) = [q for q in _sql(google) if "MERGE" in q]
    inside = _transaction(script)
    assert re.search(r"INSERT INTO `[^`]+\.training_quarantine`", inside) and "MERGE `" in inside
    assert not re.search(r"\b(CREATE|DROP|ALTER|TRUNCATE)\b", inside)  # no DDL in a transaction
    assert re.search(r"EXCEPTION WHEN ERROR THEN\s+ROLLBACK TRANSACTION;\s+RAISE USING MESSAGE = @@error.message;",
                     script)
    after = script[script.index("END;"):]
    assert f"DROP TABLE IF EXISTS `{PROJECT}.{STAGING}.training_dsaas_mlops_loop_20260101`" in after
    assert script.index("COMMIT TRANSACTION") < script.index("DROP TABLE")


def test_a_failed_merge_keeps_the_files_and_a_retry_of_the_run_loads_them_again_once(google, capfd):
    """Attempt 1: the transaction fails (nothing committed). Vertex AI's retry of the same run:
    it claims a new file too, drops the partial staging table before loading every file of
    processing/<run>/ again, quarantines only lines this run has not quarantined yet (pruned to
    the run's partitions) and moves all files on."""
    run = "dsaas_mlops_loop_20260101"
    google.put(RAW, "incoming/training/a.jsonl", '{"id": 1}\nbad\n')
    google.staging_counts = (1, 1)
    google.merge_error = {"reason": "invalidQuery", "message": "Transaction is aborted due to concurrent update"}
    with pytest.raises(RuntimeError):
        _curate(api_endpoint=google.url)
    assert "concurrent update" in "".join(capfd.readouterr())
    assert google.objects(RAW) == [f"processing/{run}/training/a.jsonl"]
    assert google.objects(ARTIFACTS, "curated/lock") == []
    first = json.loads((google.root / ARTIFACTS / "curated" / "runs" / f"{run}.json").read_text())

    google.merge_error = None
    google.put(RAW, "incoming/training/b.jsonl", '{"id": 2}\n')
    before = len(google.requests)
    _curate(api_endpoint=google.url)
    assert "was here before (a retry)" in "".join(capfd.readouterr())
    retry = google.requests[before:]
    order = [r for r in retry if "flexTemplates:launch" in r.path
             or (r.path.endswith("/jobs") and "DROP TABLE IF EXISTS" in r.body["configuration"]["query"]["query"]
                 and "MERGE" not in r.body["configuration"]["query"]["query"])]
    assert [("launch" if "launch" in r.path else "drop") for r in order] == ["drop", "launch"]
    (launch,) = [r for r in retry if "flexTemplates:launch" in r.path]
    assert launch.body["launchParameter"]["parameters"]["inputFilePattern"] == f"gs://{RAW}/processing/{run}/training/**"
    (script,) = [q for q in _sql(google)[-3:] if "MERGE" in q]
    assert f"WHERE q.run_id = '{run}'" in script and "NOT EXISTS" in _transaction(script)
    assert f"q.quarantined_at >= TIMESTAMP_SUB(TIMESTAMP('{first['since']}'), INTERVAL 1 DAY)" in script
    assert google.objects(RAW) == [f"processed/{run}/training/a.jsonl", f"processed/{run}/training/b.jsonl"]
    # The run record kept its first time (the retry's pruning starts from there).
    assert json.loads((google.root / ARTIFACTS / "curated" / "runs" / f"{run}.json").read_text()) == first


def test_files_a_dead_run_left_in_processing_are_requeued_and_loaded(google, capfd):
    """A failed run (and a cancelled one) left files in processing/: the next run moves them back
    under incoming/training/requeued-<run>/ and loads them with its own; a live run's files, and files
    no run record names, are left alone."""
    for owner, job, state in (("run_failed", "run-failed", "PIPELINE_STATE_FAILED"),
                              ("run_cancelled", "run-cancelled", "PIPELINE_STATE_CANCELLED"),
                              ("run_live", "run-live", "PIPELINE_STATE_RUNNING")):
        google.put(RAW, f"processing/{owner}/training/day/a.jsonl", '{"id": 1}\n')
        google.put(ARTIFACTS, f"curated/runs/{owner}.json", json.dumps({"job": job, "since": "2026-01-01T00:00:00Z"}))
        google.pipeline_jobs.append(_job(job, "2026-01-01T00:00:00Z", state=state))
    google.put(RAW, "processing/unknown/a.jsonl", '{"id": 9}\n')
    google.staging_counts = (2, 0)
    _curate(api_endpoint=google.url)
    out = "".join(capfd.readouterr())
    assert "run run_failed ended with 1 file(s)" in out and "processing/unknown/ has 1 file(s) and no run record" in out
    run = "dsaas_mlops_loop_20260101"
    assert google.objects(RAW) == [
        f"processed/{run}/training/requeued-run_cancelled/day/a.jsonl",
        f"processed/{run}/training/requeued-run_failed/day/a.jsonl",
        "processing/run_live/training/day/a.jsonl", "processing/unknown/a.jsonl"]
    requeue = [r for r in google.calls("POST", "/rewriteTo/")
               if f"/rewriteTo/b/{RAW}/o/incoming/training/requeued-" in r.path]
    assert len(requeue) == 2 and all(r.query["ifGenerationMatch"] == "0" for r in requeue)  # never over a file


def test_a_requeue_never_overwrites_a_file_already_in_incoming(google):
    google.put(RAW, "processing/run_failed/training/a.jsonl", '{"id": 1}\n')
    google.put(ARTIFACTS, "curated/runs/run_failed.json", json.dumps({"job": "run-failed", "since": "x"}))
    google.pipeline_jobs.append(_job("run-failed", "2026-01-01T00:00:00Z", state="PIPELINE_STATE_FAILED"))
    # another run's requeue, not claimed yet
    google.put(RAW, "incoming/training/requeued-run_failed/a.jsonl", '{"id": 2}\n')
    google.failures[("POST", "/o/incoming/training/a.jsonl/rewriteTo/")] = (500, {})  # never asked
    google.staging_counts = (1, 0)
    _curate(api_endpoint=google.url)
    assert "processing/run_failed/training/a.jsonl" in google.objects(RAW)  # kept: its copy would overwrite
    loaded = google.root / RAW / "processed/dsaas_mlops_loop_20260101/training/requeued-run_failed/a.jsonl"
    assert loaded.read_text() == '{"id": 2}\n'


def test_curate_takes_over_the_lock_of_a_dead_run(google, capfd):
    import time

    google.put(ARTIFACTS, "curated/lock", json.dumps({"run": "dead", "expires": time.time() - 1}))
    google.put(RAW, "incoming/training/a.jsonl", '{"id": 1}\n')
    google.staging_counts = (1, 0)
    _curate(api_endpoint=google.url, lock_wait_seconds=0)
    assert "took over the lock of run dead" in "".join(capfd.readouterr())
    (takeover,) = [r for r in google.calls("POST", f"/upload/storage/v1/b/{ARTIFACTS}/o")
                   if r.query["name"] == "curated/lock" and r.query["ifGenerationMatch"] != "0"]
    assert takeover.query["ifGenerationMatch"] == "1"  # exactly the dead run's generation
    assert google.objects(ARTIFACTS, "curated/lock") == []


def test_a_file_another_run_claimed_first_is_not_loaded_twice(google, capfd):
    """Two runs listed the same file; the other deleted it from incoming/ first: this run drops
    its copy and loads only what it claimed."""
    google.put(RAW, "incoming/training/a.jsonl", '{"id": 1}\n')
    google.put(RAW, "incoming/training/b.jsonl", '{"id": 2}\n')
    google.failures[("DELETE", f"/b/{RAW}/o/incoming/training/a.jsonl$")] = (
        404, {"error": {"code": 404, "status": "NOT_FOUND", "message": "No such object"}})
    google.staging_counts = (1, 0)
    _curate(api_endpoint=google.url)
    assert "incoming/training/a.jsonl was claimed by another run" in "".join(capfd.readouterr())
    run = "dsaas_mlops_loop_20260101"
    # a.jsonl: the fake kept it
    assert google.objects(RAW) == ["incoming/training/a.jsonl", f"processed/{run}/training/b.jsonl"]
    rewrites = [r for r in google.calls("POST", "/rewriteTo/")]
    assert all("sourceGeneration" in r.query for r in rewrites)  # never a newer upload than listed


@dsl.component(base_image="python:3.11-slim")
def exports_manifest(exports: str, snapshot: Output[Dataset]):
    """Stands in for curate's output: where the exports are."""
    import json

    with open(snapshot.path, "w") as f:
        json.dump({"exports": exports}, f)


@dsl.pipeline
def only_prepare(exports: str, api_endpoint: str, chunk_bytes: int):
    made = exports_manifest(exports=exports)
    m.prepare(snapshot=made.outputs["snapshot"], label_field="label", test_percent=20,
              api_endpoint=api_endpoint, chunk_bytes=chunk_bytes)


def test_prepare_streams_every_export_in_bounded_chunks_and_keeps_the_latest_version(google, tmp_path, capfd):
    """Two exports (run 2 updates records 0-9): the training set has each record once, in its
    latest version, and is the same whether the exports fit one spool or need many."""
    first = [_row(i, "2026-01-01T10:00:00.000000Z", label=1.0) for i in range(80)]
    updates = [_row(i, "2026-01-02T10:00:00.000000Z", event="2026-01-02T00:00:00.000000Z", label=50.0)
               for i in range(10)]
    google.put(ARTIFACTS, "curated/datasets/training/exports/run_1/part-000000000000.json",
               "".join(json.dumps(r) + "\n" for r in first[:40]))
    google.put(ARTIFACTS, "curated/datasets/training/exports/run_1/part-000000000001.json",
               "".join(json.dumps(r) + "\n" for r in first[40:]))
    google.put(ARTIFACTS, "curated/datasets/training/exports/run_2/part-000000000000.json",
               "".join(json.dumps(r) + "\n" for r in updates) + "\n")
    google.put(ARTIFACTS, "curated/datasets/training/export_state.json", "{}")  # not an export: never read as one
    results = {}
    for chunk in (1 << 30, 500):
        root = tmp_path / f"root-{chunk}"
        local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(root), raise_on_error=True)
        only_prepare(exports=f"gs://{ARTIFACTS}/curated/datasets/training/exports/", api_endpoint=google.url,
                     chunk_bytes=chunk)
        out = "".join(capfd.readouterr())
        spools = int(re.search(r"(\d+) spool\(s\)", out).group(1))
        files = {p.name: p for p in root.rglob("*") if p.is_file() and p.name in ("train", "test", "features")}
        results[chunk] = (spools, {side: sorted(files[side].read_text().splitlines()) for side in ("train", "test")},
                          json.loads(files["features"].read_text()))
    (one, small), (many, chunked) = (results[1 << 30][0], results[1 << 30][1:]), (results[500][0], results[500][1:])
    assert one == 1 and many > 10  # the exports (about 8 kB) in 500-byte chunks: many spools
    assert small == chunked
    sides, features = small
    assert features == {"label": "label", "features": ["x", "y"]}
    rows = [line.split(",") for line in sides["train"] + sides["test"]]
    assert len(rows) == 80  # each record once
    assert sorted(float(r[0]) for r in rows).count(50.0) == 10  # records 0-9 in their updated version


# --- one run at a time: a retried launch (or a slow run at the next slot) gives way -----------------
LOOP = "acme-prod MLOps loop"


def _job(job_id: str, created: str, state: str = "PIPELINE_STATE_RUNNING", name: str = LOOP) -> dict:
    return {"name": f"{PARENT}/pipelineJobs/{job_id}", "displayName": name, "state": state, "createTime": created}


@pytest.fixture
def this_run(google, monkeypatch):
    """Name the kfp.local run as Vertex AI would name the job (its id) and list it in the fake as
    a job Cloud Scheduler created at 03:00; returns a function that sets its display name."""
    from kfp.local import executor_input_utils

    job = _job("this-run", "2026-01-01T03:00:00Z")
    google.pipeline_jobs.append(job)
    monkeypatch.setattr(executor_input_utils, "get_local_pipeline_resource_name", lambda name: "this-run")

    def named(display_name: str) -> None:
        job["displayName"] = display_name
    return named


@pytest.mark.parametrize("others, expected", [
    ([], "run"),
    ([_job("retry-of-this-slot", "2026-01-01T03:00:01Z")], "run"),  # created after this run: it gives way
    ([_job("same-second", "2026-01-01T03:00:00Z")], "skip"),  # same time: the smaller job id works
    ([_job("previous", "2026-01-01T02:59:00Z")], "skip"),
    ([_job("promote", "2026-01-01T02:59:00Z", name=f"{LOOP} (promote)")], "skip"),  # an approver's run
    ([_job("previous", "2026-01-01T02:59:00Z", state="PIPELINE_STATE_FAILED")], "run"),
    ([_job("previous", "2026-01-01T02:59:00Z", name="someone's experiment")], "run"),
])
def test_only_the_earliest_active_run_of_the_loop_works(google, others, expected):
    google.pipeline_jobs = [_job("this-run", "2026-01-01T03:00:00Z"), *others]
    task = m.single_run(project=PROJECT, region=REGION, run_id="this-run", display_name=LOOP,
                        api_endpoint=google.url)
    assert task.output == expected
    (own,) = google.calls("GET", "/pipelineJobs/this-run$")  # its own creation time, read, not listed
    assert own.path == f"/v1/{PARENT}/pipelineJobs/this-run"
    (listed,) = google.calls("GET", "/pipelineJobs$")
    assert listed.path == f"/v1/{PARENT}/pipelineJobs"
    assert "PIPELINE_STATE_RUNNING" in listed.query["filter"] and "PIPELINE_STATE_QUEUED" in listed.query["filter"]


def test_a_run_missing_from_the_eventually_consistent_list_still_knows_its_place(google):
    """The list does not show this run yet (Vertex lists are eventually consistent); a retry of the
    slot created a second later does: this run, the earlier, works (it used to give way, and the
    retry, seeing this run, gave way too: a slot lost, or with the list the other way round, two
    runs at once)."""
    google.pipeline_jobs = [_job("this-run", "2026-01-01T03:00:00Z"), _job("retry", "2026-01-01T03:00:01Z")]
    google.failures[("GET", "/pipelineJobs$")] = (200, {"pipelineJobs": [
        {**_job("retry", "2026-01-01T03:00:01Z"), "name": f"projects/123/locations/{REGION}/pipelineJobs/retry"}]})
    task = m.single_run(project=PROJECT, region=REGION, run_id="this-run", display_name=LOOP,
                        api_endpoint=google.url)
    assert task.output == "run"


def test_a_run_that_cannot_read_its_own_job_fails_rather_than_guess(google, capfd):
    google.pipeline_jobs = [_job("previous", "2026-01-01T02:59:00Z")]
    with pytest.raises(RuntimeError):
        m.single_run(project=PROJECT, region=REGION, run_id="this-run", display_name=LOOP, api_endpoint=google.url)
    assert "PipelineJob this-run not found" in "".join(capfd.readouterr())


@pytest.mark.parametrize("by_hand", [{"promote": True}, {"approved_model": f"{PARENT}/models/acme-prod-model@1"}])
def test_a_run_started_by_hand_that_is_not_the_earliest_fails(google, capfd, by_hand):
    """An approver's promote run (or an operator's approved_model run) while a scheduled run works:
    it deploys nothing, and says so by failing (a green run that did nothing would be believed)."""
    google.pipeline_jobs = [_job("this-run", "2026-01-01T03:00:00Z", name=f"{LOOP} (promote)"),
                            _job("scheduled", "2026-01-01T02:59:00Z")]
    with pytest.raises(RuntimeError):
        m.single_run(project=PROJECT, region=REGION, run_id="this-run", display_name=LOOP,
                     api_endpoint=google.url, **by_hand)
    assert "is still active: this run started by hand deploys nothing" in "".join(capfd.readouterr())


def test_a_retried_launch_of_the_loop_does_nothing_while_the_first_run_works(google, this_run):
    """Cloud Scheduler retried pipelineJobs.create after a lost answer: the second run finds the
    first one active, claims no file and ends green; the first run's files stay its own."""
    this_run(LOOP)
    google.put(RAW, "incoming/training/a.jsonl", "{}\n")
    google.endpoints[ENDPOINT] = {"deployedModels": [], "trafficSplit": {}}
    google.pipeline_jobs.append(_job("dsaas-mlops-loop-first", "2026-01-01T02:00:00Z"))
    m.loop(**_loop_arguments(google, loop_display_name=LOOP))
    assert google.calls("GET", "/pipelineJobs$")
    assert not google.calls("POST", "/rewriteTo/") and not google.calls("POST", "flexTemplates:launch")
    assert not google.calls("POST", "/bigquery/") and not google.calls("POST", "models:upload$")
    assert google.objects(RAW) == ["incoming/training/a.jsonl"]


def test_a_scheduled_run_gives_way_to_a_promote_run_that_is_deploying(google, this_run):
    """The approver's promote run started first and is deploying: the scheduled run touches
    neither the table nor the endpoint (it would otherwise deploy its approved version beside it)."""
    this_run(LOOP)
    google.put(RAW, "incoming/training/a.jsonl", "{}\n")
    google.endpoints[ENDPOINT] = {"deployedModels": [], "trafficSplit": {}}
    google.add_model_version("acme-prod-model", PROJECT, REGION, "gs://x/model", aliases=("approved",))
    google.pipeline_jobs.append(_job("promote-1", "2026-01-01T02:58:00Z", name=f"{LOOP} (promote)"))
    m.loop(**_loop_arguments(google, loop_display_name=LOOP))
    assert not google.calls("POST", "/rewriteTo/") and not google.calls("POST", ":deployModel$")
    assert not google.calls("GET", "@approved$")


def test_a_promote_run_while_a_scheduled_run_works_fails_and_deploys_nothing(google, this_run, capfd):
    """The promote branch passes single_run too: a promote run that is not the earliest active
    run of the loop neither looks up the approval nor touches the endpoint, and fails."""
    this_run(f"{LOOP} (promote)")
    google.endpoints[ENDPOINT] = {"deployedModels": [], "trafficSplit": {}}
    google.add_model_version("acme-prod-model", PROJECT, REGION, "gs://x/model", aliases=("approved",))
    google.pipeline_jobs.append(_job("scheduled", "2026-01-01T02:00:00Z"))
    with pytest.raises(RuntimeError):
        m.loop(**_loop_arguments(google, loop_display_name=LOOP, promote=True))
    assert "deploys nothing" in "".join(capfd.readouterr())
    assert not google.calls("GET", "@approved$") and not google.calls("POST", ":deployModel$")


def test_an_approved_model_run_while_a_scheduled_run_works_fails_and_deploys_nothing(google, this_run):
    this_run("an operator's run")
    google.endpoints[ENDPOINT] = {"deployedModels": [], "trafficSplit": {}}
    google.pipeline_jobs.append(_job("scheduled", "2026-01-01T02:00:00Z"))
    with pytest.raises(RuntimeError):
        m.loop(**_loop_arguments(google, loop_display_name=LOOP,
                                 approved_model=f"{PARENT}/models/acme-prod-model@1"))
    assert not google.calls("POST", ":deployModel$")


def test_curate_with_a_failed_dataflow_job_fails_and_keeps_the_files_in_processing(google, capfd):
    google.put(RAW, "incoming/training/a.jsonl", '{"id": 1}\n')
    google.dataflow_state = "JOB_STATE_FAILED"
    with pytest.raises(RuntimeError):
        _curate(api_endpoint=google.url)
    assert "ended JOB_STATE_FAILED" in "".join(capfd.readouterr())
    assert google.objects(RAW) == ["processing/dsaas_mlops_loop_20260101/training/a.jsonl"]
    assert [q.split(" `")[0] for q in _sql(google)] == ["DROP TABLE IF EXISTS"]  # only the fresh staging table


def test_curate_stops_at_an_error_answer(google, capfd):
    google.put(RAW, "incoming/training/a.jsonl", '{"id": 1}\n')
    google.failures[("POST", "flexTemplates:launch")] = (
        403, {"error": {"code": 403, "status": "PERMISSION_DENIED", "message": "dataflow.jobs.create denied"}})
    with pytest.raises(RuntimeError):
        _curate(api_endpoint=google.url)
    assert "403" in "".join(capfd.readouterr()) and not [q for q in _sql(google) if "MERGE" in q]


# --- train -> evaluate -> register -> gate -> deploy -> monitor -----------------------------------
def _endpoint_with_champion(google, features=("x", "y")) -> None:
    google.add_model_version("acme-prod-model", PROJECT, REGION, "gs://old/model")
    # The champion's own training set and features, as train.py wrote them for its version.
    google.put("old", "model/features.json", json.dumps({"features": list(features), "label": "target"}))
    google.endpoints[ENDPOINT] = {
        "deployedModels": [{"id": "dm-old", "displayName": "champion",
                            "model": f"{PARENT}/models/acme-prod-model", "modelVersionId": "1"},
                           {"id": "dm-stale", "displayName": "challenger",
                            "model": f"{PARENT}/models/acme-prod-model", "modelVersionId": "1"}],
        "trafficSplit": {"dm-old": 80, "dm-stale": 20},
    }
    # Another endpoint's job first: the list is paged, the one to replace is on the second page.
    google.monitoring_jobs[f"{PARENT}/modelDeploymentMonitoringJobs/6"] = {
        "name": f"{PARENT}/modelDeploymentMonitoringJobs/6", "endpoint": f"{PARENT}/endpoints/999"}
    google.monitoring_jobs[f"{PARENT}/modelDeploymentMonitoringJobs/7"] = {
        "name": f"{PARENT}/modelDeploymentMonitoringJobs/7", "endpoint": f"{PARENT}/endpoints/{ENDPOINT}"}


def test_train_register_gate_deploy_and_monitor_against_the_fake(google):
    google.put(ARTIFACTS, "pipeline/train.py", (SOURCE / "train.py").read_text())
    _endpoint_with_champion(google)
    url = google.url

    @dsl.pipeline
    def chain(train_csv: str, test_csv: str, features_json: str) -> str:
        data = text_artifacts(train_csv=train_csv, features_json=features_json)
        held = text_artifacts(train_csv=test_csv, features_json=features_json)
        fit = m.train(project=PROJECT, region=REGION, run_id="run-1", train_data=data.outputs["train"],
                      features=data.outputs["features"], trainer_uri=f"gs://{ARTIFACTS}/pipeline/train.py",
                      image=m.SKLEARN_IMAGE, machine_type="n2-standard-8", accelerator_type="",
                      accelerator_count=0, service_account=f"acme-prod-training@{PROJECT}.iam.gserviceaccount.com",
                      network_attachment=ATTACHMENT, kms_key=KEY, api_endpoint=url)
        ev = m.evaluate(model=fit.outputs["model"], test=held.outputs["train"])
        reg = m.register(project=PROJECT, region=REGION, run_id="run-1", model_id="acme-prod-model",
                         display_name="acme-prod-model", serving_image=m.SKLEARN_IMAGE, kms_key=KEY,
                         model=fit.outputs["model"], evaluation=ev.outputs["evaluation"], api_endpoint=url)
        verdict = m.gate(evaluation=ev.outputs["evaluation"], approval="threshold",
                         metric="rootMeanSquaredError", threshold=5.0)
        dep = m.deploy(project=PROJECT, region=REGION, endpoint=ENDPOINT, model=reg.output, variants=VARIANTS,
                       promote=False, machine_type="n2-standard-4", min_replicas=2, max_replicas=8,
                       service_account="", api_endpoint=url).after(verdict)
        mon = m.monitor(project=PROJECT, region=REGION, endpoint=ENDPOINT, model=reg.output,
                        emails=["oncall@acme.example"], notification_channels=CHANNELS, kms_key=KEY,
                        drift_threshold=0.3, sample_rate=0.8, interval_hours=1, api_endpoint=url).after(dep)
        return mon.output

    rows = _rows(60)
    out = chain(train_csv=_csv(rows[:45]), test_csv=_csv(rows[45:]),
                features_json=json.dumps({"label": "label", "features": ["x", "y"]}))
    assert out.output.startswith(f"{PARENT}/modelDeploymentMonitoringJobs/")

    # train: a custom job on the given machine, in the client's network, as the training account.
    (job,) = google.calls("POST", "/customJobs$")
    assert job.path == f"/v1/{PARENT}/customJobs"
    pool = job.body["jobSpec"]["workerPoolSpecs"][0]
    assert pool["machineSpec"] == {"machineType": "n2-standard-8"}
    assert job.body["jobSpec"]["pscInterfaceConfig"] == {"networkAttachment": ATTACHMENT}
    assert job.body["jobSpec"]["serviceAccount"] == f"acme-prod-training@{PROJECT}.iam.gserviceaccount.com"
    assert job.body["encryptionSpec"] == {"kmsKeyName": KEY}
    assert pool["containerSpec"]["command"] == ["python3", f"/gcs/{ARTIFACTS}/pipeline/train.py"]
    model_dir = Path(pool["containerSpec"]["args"][pool["containerSpec"]["args"].index("--model-dir") + 1]
                     .removeprefix("/gcs/"))
    assert {"model.joblib", "features.json", "instance_schema.yaml", "training_data.csv"} <= \
        {p.name for p in model_dir.iterdir()}
    # The skew baseline: the training set itself, with a header of the label and the features.
    baseline = (model_dir / "training_data.csv").read_text().splitlines()
    assert baseline[0] == "label,x,y" and len(baseline) == 1 + 45

    # register: a new version of the existing model, with its evaluation.
    (upload,) = google.calls("POST", "models:upload$")
    assert upload.body["parentModel"] == f"{PARENT}/models/acme-prod-model" and "modelId" not in upload.body
    assert upload.body["model"]["containerSpec"] == {"imageUri": m.SKLEARN_IMAGE}
    assert upload.body["model"]["encryptionSpec"] == {"kmsKeyName": KEY}
    assert google.calls("GET", r"/operations/\d+$")  # the upload's long-running operation was waited for
    (evaluation,) = google.calls("POST", "evaluations:import$")
    assert evaluation.path == f"/v1/{PARENT}/models/acme-prod-model@2/evaluations:import"
    metrics = set(evaluation.body["modelEvaluation"]["metrics"])
    assert metrics == {"rootMeanSquaredError", "meanAbsoluteError", "rSquared"}

    # deploy: the challenger variant with the spec's machine and replicas, the champion keeps 80%.
    (deploy,) = google.calls("POST", ":deployModel$")
    assert deploy.body["trafficSplit"] == {"dm-old": 80, "0": 20}
    dm = deploy.body["deployedModel"]
    assert dm["model"] == f"{PARENT}/models/acme-prod-model@2" and dm["displayName"] == "challenger"
    assert dm["dedicatedResources"] == {"machineSpec": {"machineType": "n2-standard-4"},
                                        "minReplicaCount": 2, "maxReplicaCount": 8}
    assert dm["enableAccessLogging"] is True
    # The old challenger, no longer in the split, was undeployed after the new split served.
    assert [r.body for r in google.calls("POST", ":undeployModel$")] == [{"deployedModelId": "dm-stale"}]
    served = google.endpoints[ENDPOINT]
    (new,) = [d["id"] for d in served["deployedModels"] if d["id"] != "dm-old"]
    assert served["trafficSplit"] == {"dm-old": 80, new: 20}

    # monitor: the old job replaced by one on the models now deployed, every feature watched.
    # Vertex answers with the project number in names: the job is still found (second page) and
    # replaced; the other endpoint's job is left alone.
    assert google.calls("DELETE", "modelDeploymentMonitoringJobs/7$")
    assert not google.calls("DELETE", "modelDeploymentMonitoringJobs/6$")
    (created,) = google.calls("POST", "modelDeploymentMonitoringJobs$")
    body = created.body
    assert body["endpoint"] == f"{PARENT}/endpoints/{ENDPOINT}"
    assert {c["deployedModelId"] for c in body["modelDeploymentMonitoringObjectiveConfigs"]} == \
        {d["id"] for d in google.endpoints[ENDPOINT]["deployedModels"]}
    for objective in body["modelDeploymentMonitoringObjectiveConfigs"]:
        config = objective["objectiveConfig"]
        assert config["predictionDriftDetectionConfig"]["driftThresholds"] == {
            "x": {"value": 0.3}, "y": {"value": 0.3}}
        # Training-serving skew against each model's own training set (its version's artifact
        # directory): the champion (version 1) keeps its baseline, the new version gets its own.
        own, label = ("gs://old/model", "target") if objective["deployedModelId"] == "dm-old" else (model_dir, "label")
        assert config["trainingDataset"] == {"gcsSource": {"uris": [f"{own}/training_data.csv"]},
                                             "dataFormat": "csv", "targetField": label}
        assert config["trainingPredictionSkewDetectionConfig"]["skewThresholds"] == {
            "x": {"value": 0.3}, "y": {"value": 0.3}}
    assert body["modelMonitoringAlertConfig"]["notificationChannels"] == CHANNELS
    assert body["modelMonitoringAlertConfig"]["emailAlertConfig"] == {"userEmails": ["oncall@acme.example"]}
    assert body["encryptionSpec"] == {"kmsKeyName": KEY}
    assert body["analysisInstanceSchemaUri"] == f"{model_dir}/instance_schema.yaml"
    assert body["loggingSamplingStrategy"] == {"randomSampleConfig": {"sampleRate": 0.8}}


def _train_only(google, capfd):
    google.put(ARTIFACTS, "pipeline/train.py", (SOURCE / "train.py").read_text())
    url = google.url

    @dsl.pipeline
    def only_train(train_csv: str, features_json: str):
        data = text_artifacts(train_csv=train_csv, features_json=features_json)
        m.train(project=PROJECT, region=REGION, run_id="run-1", train_data=data.outputs["train"],
                features=data.outputs["features"], trainer_uri=f"gs://{ARTIFACTS}/pipeline/train.py",
                image=m.SKLEARN_IMAGE, machine_type="n2-standard-8", accelerator_type="", accelerator_count=0,
                service_account="sa", network_attachment=ATTACHMENT, kms_key=KEY, api_endpoint=url)

    with pytest.raises(RuntimeError):
        only_train(train_csv=_csv(_rows(20)), features_json=json.dumps({"features": ["x", "y"]}))
    return "".join(capfd.readouterr())


def test_a_failed_training_job_fails_the_step(google, capfd):
    google.custom_job_state = "JOB_STATE_FAILED"
    assert "ended JOB_STATE_FAILED" in _train_only(google, capfd)


def test_a_refused_training_job_fails_the_step(google, capfd):
    google.failures[("POST", "/customJobs$")] = (
        400, {"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "network attachment not found"}})
    assert "network attachment not found" in _train_only(google, capfd)


def test_a_refused_upload_fails_register_and_imports_no_evaluation(google, tmp_path, capfd):
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    google.failures[("POST", "models:upload$")] = (
        400, {"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "bad container"}})

    @dsl.component(base_image="python:3.11-slim")
    def evaluation_file(evaluation: Output[Artifact], model: Output[dsl.Model]):
        import json
        import os

        os.makedirs(model.path, exist_ok=True)
        with open(evaluation.path, "w") as f:
            json.dump({"rootMeanSquaredError": 0.5, "meanAbsoluteError": 0.4, "rSquared": 0.9, "rows": 9}, f)

    url = google.url

    @dsl.pipeline
    def only_register():
        made = evaluation_file()
        m.register(project=PROJECT, region=REGION, run_id="run-1", model_id="acme-prod-model",
                   display_name="acme-prod-model", serving_image=m.SKLEARN_IMAGE, kms_key=KEY,
                   model=made.outputs["model"], evaluation=made.outputs["evaluation"], api_endpoint=url)

    with pytest.raises(RuntimeError):
        only_register()
    assert "bad container" in "".join(capfd.readouterr())
    assert not google.calls("POST", "evaluations:import")
    (upload,) = google.requests[-1:]
    assert upload.body["modelId"] == "acme-prod-model"  # a first version creates the model


def test_deploy_fails_when_the_endpoint_does_not_serve_the_new_split(google, capfd):
    _endpoint_with_champion(google)
    google.served_split_override = {"dm-old": 100}
    with pytest.raises(RuntimeError):
        m.deploy(project=PROJECT, region=REGION, endpoint=ENDPOINT, model=f"{PARENT}/models/acme-prod-model@1",
                 variants=VARIANTS, promote=False, machine_type="n2-standard-4", min_replicas=2,
                 max_replicas=8, service_account="", api_endpoint=google.url)
    assert "expected" in "".join(capfd.readouterr())
    assert not google.calls("POST", ":undeployModel$")  # nothing pruned while the split is wrong


def test_deploy_promote_gives_the_new_version_all_traffic_and_prunes_the_rest(google):
    _endpoint_with_champion(google)
    m.deploy(project=PROJECT, region=REGION, endpoint=ENDPOINT, model=f"{PARENT}/models/acme-prod-model@1",
             variants=VARIANTS, promote=True, machine_type="n2-standard-4", min_replicas=1, max_replicas=2,
             service_account="", api_endpoint=google.url)
    (deploy,) = google.calls("POST", ":deployModel$")
    assert deploy.body["trafficSplit"] == {"0": 100} and deploy.body["deployedModel"]["displayName"] == "champion"
    assert sorted(r.body["deployedModelId"] for r in google.calls("POST", ":undeployModel$")) == ["dm-old", "dm-stale"]


def test_a_refused_monitoring_job_fails_the_monitor_step(google, capfd):
    _endpoint_with_champion(google, features=("x",))
    google.add_model_version("acme-prod-model", PROJECT, REGION, f"gs://{ARTIFACTS}/runs/1/model")
    google.put(ARTIFACTS, "runs/1/model/features.json", json.dumps({"features": ["x"]}))
    google.failures[("POST", "modelDeploymentMonitoringJobs$")] = (
        400, {"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "schema unreadable"}})
    with pytest.raises(RuntimeError):
        m.monitor(project=PROJECT, region=REGION, endpoint=ENDPOINT, model=f"{PARENT}/models/acme-prod-model@2",
                  emails=[], notification_channels=CHANNELS, kms_key=KEY, drift_threshold=0.3,
                  sample_rate=0.8, interval_hours=1, api_endpoint=google.url)
    assert "schema unreadable" in "".join(capfd.readouterr())
    (get,) = google.calls("GET", f"/storage/v1/b/{ARTIFACTS}/o/")
    assert get.path == f"/storage/v1/b/{ARTIFACTS}/o/runs/1/model/features.json" and get.query["alt"] == "media"


def _monitor_two_versions(google, champion_features):
    """Champion version 1 (gs://old/model) and challenger version 2 (runs/2/model) deployed side by side."""
    _endpoint_with_champion(google, features=champion_features)
    google.add_model_version("acme-prod-model", PROJECT, REGION, f"gs://{ARTIFACTS}/runs/2/model")
    google.put(ARTIFACTS, "runs/2/model/features.json", json.dumps({"features": ["x", "y"], "label": "label"}))
    google.endpoints[ENDPOINT]["deployedModels"] = [
        {"id": "dm-champion", "model": f"{PARENT}/models/acme-prod-model", "modelVersionId": "1"},
        {"id": "dm-challenger", "model": f"{PARENT}/models/acme-prod-model", "modelVersionId": "2"}]
    return m.monitor(project=PROJECT, region=REGION, endpoint=ENDPOINT, model=f"{PARENT}/models/acme-prod-model@2",
                     emails=[], notification_channels=CHANNELS, kms_key=KEY, drift_threshold=0.3,
                     sample_rate=0.8, interval_hours=1, api_endpoint=google.url)


def test_each_deployed_model_is_monitored_against_its_own_versions_training_set(google):
    """Senior GCP review MUST-FIX 1: the champion's skew baseline was the challenger's training set."""
    _monitor_two_versions(google, champion_features=("x", "y"))
    (created,) = google.calls("POST", "modelDeploymentMonitoringJobs$")
    datasets = {o["deployedModelId"]: o["objectiveConfig"]["trainingDataset"]
                for o in created.body["modelDeploymentMonitoringObjectiveConfigs"]}
    assert datasets == {
        "dm-champion": {"gcsSource": {"uris": ["gs://old/model/training_data.csv"]}, "dataFormat": "csv",
                        "targetField": "target"},
        "dm-challenger": {"gcsSource": {"uris": [f"gs://{ARTIFACTS}/runs/2/model/training_data.csv"]},
                          "dataFormat": "csv", "targetField": "label"}}
    # Each version read by its own id, its features from its own artifact directory.
    assert {c.path for c in google.calls("GET", "/models/acme-prod-model@[12]$")} >= {
        f"/v1/{PARENT}/models/acme-prod-model@1", f"/v1/{PARENT}/models/acme-prod-model@2"}
    assert google.calls("GET", "/storage/v1/b/old/o/model%2Ffeatures.json|/storage/v1/b/old/o/model/features.json")


def test_deployed_versions_with_different_features_fail_the_monitor_step_before_any_job(google, capfd):
    with pytest.raises(RuntimeError):
        _monitor_two_versions(google, champion_features=("x", "y", "z"))
    assert "one monitoring job has one instance schema" in "".join(capfd.readouterr())
    assert not google.calls("POST", "modelDeploymentMonitoringJobs$")


# --- the approval path ----------------------------------------------------------------------------
def _approved(google):
    return m.approved(project=PROJECT, region=REGION, endpoint=ENDPOINT, model_id="acme-prod-model",
                      alias="approved", api_endpoint=google.url).output


def test_nothing_approved_deploys_nothing(google):
    _endpoint_with_champion(google)
    assert _approved(google) == ""
    (get,) = google.calls("GET", "/models/")
    assert get.path == f"/v1/{PARENT}/models/acme-prod-model@approved"


def test_an_approved_version_already_served_is_not_deployed_again(google):
    _endpoint_with_champion(google)
    google.models["acme-prod-model"]["aliases"]["approved"] = "1"
    assert _approved(google) == ""


def test_an_approved_version_not_served_yet_is_the_one_to_deploy(google):
    _endpoint_with_champion(google)
    google.add_model_version("acme-prod-model", PROJECT, REGION, "gs://new/model", aliases=("approved",))
    assert _approved(google) == f"{PARENT}/models/acme-prod-model@2"


def test_a_registry_error_fails_the_approval_lookup(google, capfd):
    _endpoint_with_champion(google)
    google.failures[("GET", "@approved$")] = (
        403, {"error": {"code": 403, "status": "PERMISSION_DENIED", "message": "aiplatform.models.get denied"}})
    with pytest.raises(RuntimeError):
        _approved(google)
    assert "aiplatform.models.get denied" in "".join(capfd.readouterr())


def test_the_written_instance_schema_is_an_openapi_3_schema_with_every_feature(tmp_path):
    """Model Monitoring's analysis instance schema: an OpenAPI schema object (YAML) with the
    features as properties, required in instance order."""
    import subprocess
    import sys

    from openapi_spec_validator import validate

    names = ["x", "odd name: with colon", "y"]
    (tmp_path / "features.json").write_text(json.dumps({"features": names}))
    rows = [[r[0], r[1], r[2], r[1] + r[2]] for r in _rows(30)]
    (tmp_path / "train.csv").write_text(_csv(rows))
    subprocess.run([sys.executable, str(SOURCE / "train.py"), "--train", str(tmp_path / "train.csv"),
                    "--features", str(tmp_path / "features.json"), "--model-dir", str(tmp_path / "model")],
                   check=True)
    schema = yaml.safe_load((tmp_path / "model" / "instance_schema.yaml").read_text())
    assert schema["type"] == "array"
    assert schema["required"] == names
    assert schema["properties"] == {n: {"type": "number"} for n in names}
    validate({"openapi": "3.0.3", "info": {"title": "instance", "version": "1"}, "paths": {},
              "components": {"schemas": {"instance": schema}}})


# --- the whole compiled loop, as Cloud Scheduler starts it ---------------------------------------
def _loop_arguments(google, **overrides) -> dict:
    args = dict(
        project=PROJECT, region=REGION, raw_bucket=RAW, dataflow_bucket=DATAFLOW, artifacts_bucket=ARTIFACTS,
        dataset="acme_prod_curated", datasets=["training"], training_dataset="training",
        dataflow_template=f"gs://dataflow-templates-{REGION}/latest/flex/GCS_Text_to_BigQuery_Flex",
        dataflow_service_account="df@x", subnetwork="subnet", dataflow_kms_key="compute-key", kms_key=KEY,
        dataflow_machine_type="n2-standard-2", dataflow_max_workers=2, training_enabled=True,
        training_service_account="training@x", training_machine_type="n2-standard-4",
        training_network_attachment=ATTACHMENT, model_id="acme-prod-model", model_display_name="acme-prod-model",
        deploy_enabled=True, endpoint=ENDPOINT, variants=[{"name": "champion", "weight": 100}],
        approval="manual", serving_machine_type="n2-standard-2", min_replicas=1, max_replicas=2,
        drift_enabled=True, alert_emails=["oncall@acme.example"], notification_channels=CHANNELS,
        api_endpoint=google.url)
    args.update(overrides)
    return args


def test_the_loop_holds_a_new_version_until_a_human_approves_it_then_deploys_that_one(google):
    """pipeline.py's loop itself (its conditions, its wiring), three times: manual approval holds
    run 1's version; once a human sets the alias on it, run 2 (no new input: no retraining)
    deploys it; run 3 has new input and trains a new version again."""
    google.put(ARTIFACTS, "pipeline/train.py", (SOURCE / "train.py").read_text())
    google.endpoints[ENDPOINT] = {"deployedModels": [], "trafficSplit": {}}
    google.curated_rows = [
        {"record_id": str(i), "event_time": "2026-01-01T00:00:00Z",
         "payload": json.dumps({"x": x, "y": y, "label": label})}
        for i, (label, x, y) in enumerate(_rows(60))]
    google.put(RAW, "incoming/training/a.jsonl", "{}\n")
    google.staging_counts = (60, 0)

    m.loop(**_loop_arguments(google))
    assert len(google.calls("POST", "models:upload$")) == 1
    assert google.calls("GET", "models/acme-prod-model@approved$")  # the approval was looked up
    assert not google.calls("POST", ":deployModel$")  # held: nothing deployed, the run still succeeds

    assert (google.root / ARTIFACTS / "curated/datasets/training/trained.json").exists()  # mark trained ran

    google.models["acme-prod-model"]["aliases"]["approved"] = "1"  # the approver's mergeVersionAliases
    m.loop(**_loop_arguments(google))
    # No new input since the model was trained: no retraining (a visible skip), but the version a
    # human approved meanwhile is deployed.
    assert len(google.calls("POST", "models:upload$")) == 1 and len(google.calls("POST", "customJobs$")) == 1
    (deploy,) = google.calls("POST", ":deployModel$")
    assert deploy.body["deployedModel"]["model"] == f"{PARENT}/models/acme-prod-model@1"
    assert deploy.body["trafficSplit"] == {"0": 100}
    assert len(google.calls("POST", "modelDeploymentMonitoringJobs$")) == 1

    google.put(RAW, "incoming/training/b.jsonl", "{}\n")
    google.bq_now = "2026-01-03T00:00:00.000000Z"
    m.loop(**_loop_arguments(google))
    assert len(google.calls("POST", "models:upload$")) == 2  # new data: a new version
    assert len(google.calls("POST", ":deployModel$")) == 1  # held again; version 1 is already served

def test_a_version_waiting_for_approval_too_long_is_logged_for_the_overdue_alert(google, capfd):
    """Manual approval: while versions newer than the approved one wait more than overdue_days,
    each run's approved step writes an entry to the approval-overdue log (alerts.tf matches it)."""
    _endpoint_with_champion(google)
    entry = google.models["acme-prod-model"]
    entry["versions"]["1"]["versionCreateTime"] = "2020-01-01T00:00:00.000Z"
    entry["aliases"]["approved"] = "1"

    def approved_step():
        return m.approved(project=PROJECT, region=REGION, endpoint=ENDPOINT, model_id="acme-prod-model",
                          alias="approved", api_endpoint=google.url, overdue_days=7,
                          overdue_log="dsaas-approval-overdue").output

    approved_step()  # nothing newer than the approved version: nothing waits
    assert google.log_entries == []
    google.add_model_version("acme-prod-model", PROJECT, REGION, "gs://new/model")
    entry["versions"]["2"]["versionCreateTime"] = "2099-01-01T00:00:00.000Z"  # just registered
    approved_step()
    assert google.log_entries == []
    entry["versions"]["2"]["versionCreateTime"] = "2021-01-01T00:00:00.000Z"  # held for years
    approved_step()
    (logged,) = google.log_entries
    assert logged["logName"] == f"projects/{PROJECT}/logs/dsaas-approval-overdue"
    assert logged["severity"] == "WARNING" and logged["jsonPayload"]["oldest_version"] == "2"
    assert "approval overdue" in "".join(capfd.readouterr())
