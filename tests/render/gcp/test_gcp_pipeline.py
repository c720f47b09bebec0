"""The GCP blueprint's Vertex AI pipeline: compiled with kfp, its components run with kfp.local."""


import importlib.util
import json
import sys
from pathlib import Path

import pytest
import yaml

# kfp is in the test extra (pyproject.toml): a missing kfp fails here, it is never skipped.
from kfp import dsl, local
from kfp.dsl import Artifact, Dataset, Input, Model, Output

from dsaas_infra.render import render_blueprint
from dsaas_infra.spec import load_spec
from tests.conftest import BLUEPRINTS

REPO = Path(__file__).resolve().parents[3]
SOURCE = REPO / "templates" / "gcp" / "files" / "pipeline"


def _load_pipeline_module(path: Path):
    spec = importlib.util.spec_from_file_location("dsaas_pipeline_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pipeline_module():
    return _load_pipeline_module(SOURCE / "pipeline.py")


@pytest.fixture(scope="module")
def rendered():
    return render_blueprint(load_spec(BLUEPRINTS / "gcp-managed.yaml"))


def test_shipped_compiled_spec_equals_a_fresh_compile(tmp_path, rendered):
    """The blueprint ships the source and its compiled spec: they must never drift apart."""
    (tmp_path / "pipeline.py").write_bytes(rendered["files/pipeline/pipeline.py"])
    module = _load_pipeline_module(tmp_path / "pipeline.py")
    module.compile_to(str(tmp_path / "fresh.yaml"))
    assert (tmp_path / "fresh.yaml").read_bytes() == rendered["files/pipeline/pipeline.yaml"], (
        "templates/gcp/files/pipeline/pipeline.yaml is stale: run "
        "`python pipeline.py pipeline.yaml` in that folder")


def test_compiled_spec_has_every_loop_step_and_fits_a_scheduler_job(rendered):
    spec = yaml.safe_load(rendered["files/pipeline/pipeline.yaml"])
    executors = spec["deploymentSpec"]["executors"]
    for step in ("single-run", "curate", "prepare", "train", "evaluate", "register", "gate", "deploy", "monitor",
                 "batch-predict"):
        assert f"exec-{step}" in executors, step
    # Cloud Scheduler sends it inline: a job's payload is at most 1 MB, base64 adds a third.
    assert len(rendered["files/pipeline/pipeline.yaml"]) * 4 / 3 < 900_000


def _snapshot_lines(n: int, label: bool = True) -> list[str]:
    lines = []
    for i in range(n):
        payload = {"id": i, "x": i % 7, "y": (i * 3) % 5}
        if label:
            payload["label"] = 2.0 * payload["x"] - payload["y"] + 0.5
        lines.append(json.dumps({"record_id": str(i), "event_time": "2026-01-01T00:00:00Z",
                                 "payload": json.dumps(payload)}))
    return lines


@dsl.component(base_image="python:3.11-slim")
def curated_snapshot(lines: list, snapshot: Output[Dataset]):
    """Stands in for curate's BigQuery exports: JSON lines files in a folder the snapshot names
    (prepare reads a local folder as it reads the gs:// prefix of the real exports)."""
    import json
    import os

    exports = snapshot.path + "-exports"
    os.makedirs(os.path.join(exports, "run_1"), exist_ok=True)
    with open(os.path.join(exports, "run_1", "part-000000000000.json"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(snapshot.path, "w") as f:
        json.dump({"exports": exports}, f)


@dsl.component(base_image="python:3.11-slim")
def shipped_trainer(trainer: str, train_data: Input[Dataset], features: Input[Artifact],
                    model: Output[Model]):
    """Runs the shipped train.py the way the custom job does (a script with three paths)."""
    import subprocess
    import sys
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(trainer)
    subprocess.run([sys.executable, f.name, "--train", train_data.path, "--features",
                    features.path, "--model-dir", model.path], check=True)


@pytest.fixture
def local_runner(tmp_path):
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(tmp_path / "root"),
               raise_on_error=True)
    return tmp_path / "root"


def test_prepare_train_evaluate_and_gate_run_locally_on_a_tiny_data_set(pipeline_module, local_runner):
    m = pipeline_module
    trainer = (SOURCE / "train.py").read_text()

    @dsl.pipeline
    def tiny_loop(lines: list, trainer: str, threshold: float) -> str:
        snap = curated_snapshot(lines=lines)
        prep = m.prepare(snapshot=snap.outputs["snapshot"], label_field="label", test_percent=25)
        fit = shipped_trainer(trainer=trainer, train_data=prep.outputs["train"],
                              features=prep.outputs["features"])
        ev = m.evaluate(model=fit.outputs["model"], test=prep.outputs["test"])
        verdict = m.gate(evaluation=ev.outputs["evaluation"], approval="threshold",
                         metric="rootMeanSquaredError", threshold=threshold)
        return verdict.outputs["Output"]

    lines = _snapshot_lines(80)
    assert tiny_loop(lines=lines, trainer=trainer, threshold=1.0).output == "deploy"
    assert tiny_loop(lines=lines, trainer=trainer, threshold=0.0).output == "reject"

    # The artefacts each step wrote, as the Vertex run would keep them.
    files = {p.name: p for p in local_runner.rglob("*") if p.is_file()}
    train_rows = (files["train"]).read_text().splitlines()
    test_rows = (files["test"]).read_text().splitlines()
    assert len(train_rows) + len(test_rows) == 80 and test_rows
    assert json.loads(files["features"].read_text()) == {"label": "label", "features": ["x", "y"]}
    first = next(json.loads(line) for line in lines if json.loads(line)["record_id"] == "0")
    assert first  # the label leads each CSV row, the features follow in name order
    assert all(len(r.split(",")) == 3 for r in train_rows)
    evaluation = json.loads(files["evaluation"].read_text())
    assert evaluation["rows"] == len(test_rows) and evaluation["rootMeanSquaredError"] < 1.0
    decision = json.loads(files["decision"].read_text())
    assert decision["decision"] in ("deploy", "reject") and "rootMeanSquaredError" in decision["reason"]
    for name in ("model.joblib", "features.json", "instance_schema.yaml"):
        assert name in files, name


def test_manual_approval_holds_every_version(pipeline_module, local_runner, tmp_path):
    evaluation = tmp_path / "evaluation.json"
    evaluation.write_text(json.dumps({"rootMeanSquaredError": 0.1, "rSquared": 0.99}))

    @dsl.pipeline
    def gate_only(lines: list, trainer: str) -> str:
        snap = curated_snapshot(lines=lines)
        prep = pipeline_module.prepare(snapshot=snap.outputs["snapshot"], label_field="label",
                                       test_percent=25)
        fit = shipped_trainer(trainer=trainer, train_data=prep.outputs["train"],
                              features=prep.outputs["features"])
        ev = pipeline_module.evaluate(model=fit.outputs["model"], test=prep.outputs["test"])
        return pipeline_module.gate(evaluation=ev.outputs["evaluation"], approval="manual",
                                    metric="rootMeanSquaredError", threshold=10.0).outputs["Output"]

    assert gate_only(lines=_snapshot_lines(40), trainer=(SOURCE / "train.py").read_text()).output == "hold"


def test_no_training_set_is_a_loud_failure(pipeline_module, local_runner, capfd):
    @dsl.pipeline
    def unlabelled(lines: list):
        snap = curated_snapshot(lines=lines)
        pipeline_module.prepare(snapshot=snap.outputs["snapshot"], label_field="label", test_percent=25)

    with pytest.raises(RuntimeError):
        unlabelled(lines=_snapshot_lines(20, label=False))
    out, err = capfd.readouterr()
    assert "no training set" in out + err


@pytest.mark.parametrize("hash_seed", ["0", "1"])
def test_the_pipeline_source_runs_as_a_script_and_compiles_the_same_every_time(tmp_path, hash_seed):
    """`python pipeline.py OUT` is how the README says to recompile. The compile must not depend
    on string hashing (a dict-valued parameter default once came out in a different key order)."""
    import os
    import subprocess

    out = tmp_path / "spec.yaml"
    subprocess.run([sys.executable, str(SOURCE / "pipeline.py"), str(out)], check=True,
                   env={**os.environ, "PYTHONHASHSEED": hash_seed})
    assert out.read_bytes() == (SOURCE / "pipeline.yaml").read_bytes()


def test_the_reactive_readme_says_where_inference_input_goes_and_predictions_appear(pipeline_module):
    """The batch tier's README claims are the paths the batch predict step uses
    (tests/files/test_gcp_batch_predict.py runs it)."""
    import inspect

    from dsaas_infra.render.gcp.pipeline import INFERENCE_PREFIX, PREDICTIONS_PREFIX

    rendered = render_blueprint(load_spec(BLUEPRINTS / "gcp-reactive.yaml"))
    readme = rendered["README.md"].decode()
    step = inspect.getsource(pipeline_module.batch_predict.python_func)
    assert f'"{INFERENCE_PREFIX}"' in step and f"/{PREDICTIONS_PREFIX}{{run}}" in step
    raw, artifacts = "hooli-dsaas-dev-dev-raw", "hooli-dsaas-dev-dev-artifacts"
    assert f"`gs://{raw}/{INFERENCE_PREFIX}`" in readme
    assert f"`gs://{artifacts}/{PREDICTIONS_PREFIX}<run>/prediction-<model>-<time>/`" in readme
    assert "**batch predict**" in readme and "skipped: no new inference input" in readme
    assert "skipped: no new inference input" in step
    # Proactive and managed serve from the endpoint: no batch step there.
    managed = render_blueprint(load_spec(BLUEPRINTS / "gcp-managed.yaml"))["README.md"].decode()
    assert "**batch predict**" not in managed
