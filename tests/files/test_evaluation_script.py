"""The evaluation script shipped in AWS blueprints, run on a tiny data set it is given here.

A real XGBoost model is trained on generated data, packed the way a SageMaker training job packs
it (model.tar.gz holding xgboost-model), and the script runs as the processing job runs it: a
separate Python process with the model, test and output folders.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy
import pytest
import xgboost  # test dependencies (pyproject's test extra), as in the SageMaker XGBoost image

SCRIPT = Path(__file__).resolve().parents[2] / "templates" / "aws" / "files" / "evaluation" / "evaluate.py"


def rows(count: int, seed: int, noise: float) -> list[list[float]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        a, b = rng.uniform(0, 1), rng.uniform(0, 1)
        out.append([3 * a - 2 * b + rng.gauss(0, noise), a, b])  # label first, as the pipeline's CSV
    return out


def write_csv(folder: Path, data: list[list[float]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "part-00000.csv").write_text("".join(",".join(f"{v:.6f}" for v in r) + "\n" for r in data))
    (folder / "_SUCCESS").write_text("")  # what Spark leaves next to its output


def packed_model(tmp_path: Path, train: list[list[float]]) -> Path:
    matrix = numpy.array(train)
    booster = xgboost.train({"objective": "reg:squarederror", "max_depth": 3},
                            xgboost.DMatrix(matrix[:, 1:], label=matrix[:, 0]), num_boost_round=60)
    model = tmp_path / "xgboost-model"
    booster.save_model(str(model))  # no extension: what SageMaker's XGBoost writes
    archive = tmp_path / "model" / "model.tar.gz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(model, arcname="xgboost-model")
    return archive.parent


def run(model: Path, test: Path, output: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--model", str(model), "--test", str(test),
                           "--output", str(output)], capture_output=True, text=True, timeout=120)


def test_the_script_scores_the_model_on_the_test_split_in_sagemakers_format(tmp_path):
    model = packed_model(tmp_path, rows(400, seed=1, noise=0.05))
    write_csv(tmp_path / "test", rows(80, seed=2, noise=0.05))
    done = run(model, tmp_path / "test", tmp_path / "evaluation")
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "evaluation" / "evaluation.json").read_text())
    metrics = report["regression_metrics"]
    assert set(metrics) == {"mse", "rmse", "mae", "r2"}
    assert all(set(m) == {"value", "standard_deviation"} for m in metrics.values())
    assert report["test_rows"] == 80
    assert metrics["rmse"]["value"] == pytest.approx(metrics["mse"]["value"] ** 0.5)
    assert metrics["rmse"]["value"] < 0.3 and metrics["r2"]["value"] > 0.9  # a model that learnt


def test_a_worse_model_scores_worse(tmp_path):
    """The metrics measure the model: noise in training shows in the held-out error."""
    results = []
    for noise in (0.05, 1.5):
        folder = tmp_path / str(noise)
        folder.mkdir()
        model = packed_model(folder, rows(400, seed=1, noise=noise))
        write_csv(folder / "test", rows(80, seed=2, noise=0.05))
        assert run(model, folder / "test", folder / "out").returncode == 0
        results.append(json.loads((folder / "out" / "evaluation.json").read_text())["regression_metrics"])
    assert results[1]["rmse"]["value"] > results[0]["rmse"]["value"]
    assert results[1]["r2"]["value"] < results[0]["r2"]["value"]


def test_no_test_rows_is_a_failure_not_a_perfect_score(tmp_path):
    model = packed_model(tmp_path, rows(50, seed=1, noise=0.05))
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "_SUCCESS").write_text("")
    done = run(model, tmp_path / "test", tmp_path / "evaluation")
    assert done.returncode != 0
    assert "no test rows" in done.stderr
    assert not (tmp_path / "evaluation" / "evaluation.json").exists()
