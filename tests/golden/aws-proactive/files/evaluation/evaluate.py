"""Evaluation step of the ML pipeline: score the trained model on the held-out test split.

Shipped by dsaas-infra and uploaded by Terraform; the pipeline runs it as a SageMaker processing
job in the training image (AWS's built-in XGBoost, which has xgboost and numpy), with:

- ``/opt/ml/processing/model/model.tar.gz``: the training job's output (``xgboost-model`` inside);
- ``/opt/ml/processing/test/``: CSV files, label in the first column, no header (the prepare
  step's ``test/`` split);
- ``/opt/ml/processing/evaluation/evaluation.json``: what it writes, in SageMaker's model quality
  format, ``{"regression_metrics": {"rmse": {"value": ..., "standard_deviation": ...}, ...}}``.

The pipeline registers that file as the model package's ModelMetrics and, with
``phases.deployment.approval: {metric, threshold}``, compares one metric with the threshold.
No test rows is an error (exit status 1): a model that was never evaluated must not pass.
Run it locally with ``--model``, ``--test`` and ``--output`` to check a model by hand.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import tarfile
import tempfile
from pathlib import Path

MODEL_FILE = "xgboost-model"


def read_csv_dir(folder: Path) -> tuple[list[float], list[list[float]]]:
    """Labels and feature rows of every CSV file under folder (label first, no header)."""
    labels: list[float] = []
    rows: list[list[float]] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith((".", "_"))):
        with path.open(newline="") as handle:
            for record in csv.reader(handle):
                if not record:
                    continue
                labels.append(float(record[0]))
                rows.append([float(v) if v != "" else math.nan for v in record[1:]])
    return labels, rows


def load_model(model: Path):
    """An xgboost Booster from model.tar.gz (or from a folder or file holding xgboost-model)."""
    import xgboost

    if model.is_dir():
        archives = sorted(model.glob("*.tar.gz"))
        model = archives[0] if archives else model / MODEL_FILE
    if model.name.endswith(".tar.gz"):
        target = Path(tempfile.mkdtemp())
        with tarfile.open(model) as archive:
            # Only the model file, never a path outside the folder (the image's Python may
            # predate tarfile's extraction filters).
            member = archive.getmember(MODEL_FILE)
            if not member.isfile():
                raise SystemExit(f"{MODEL_FILE} in {model} is not a regular file")
            archive.extract(member, target)
        model = target / MODEL_FILE
    booster = xgboost.Booster()
    booster.load_model(str(model))
    return booster


def regression_metrics(labels: list[float], predictions: list[float]) -> dict[str, dict[str, float]]:
    """mse, rmse, mae and r2, each with the standard deviation of its per-row terms."""
    n = len(labels)
    errors = [p - y for p, y in zip(predictions, labels)]
    squared = [e * e for e in errors]
    absolute = [abs(e) for e in errors]
    mse = sum(squared) / n
    mae = sum(absolute) / n
    mean = sum(labels) / n
    total = sum((y - mean) ** 2 for y in labels)
    r2 = 1.0 - sum(squared) / total if total > 0 else 0.0

    def std(values: list[float], centre: float) -> float:
        return math.sqrt(sum((v - centre) ** 2 for v in values) / n)

    return {
        "mse": {"value": mse, "standard_deviation": std(squared, mse)},
        "rmse": {"value": math.sqrt(mse), "standard_deviation": std(absolute, mae)},
        "mae": {"value": mae, "standard_deviation": std(absolute, mae)},
        "r2": {"value": r2, "standard_deviation": 0.0},
    }


def evaluate(model: Path, test: Path, output: Path) -> dict:
    labels, rows = read_csv_dir(test)
    if not labels:
        raise SystemExit(f"no test rows under {test}: the prepare step wrote an empty test split")
    import numpy
    import xgboost

    booster = load_model(model)
    predictions = booster.predict(xgboost.DMatrix(numpy.array(rows, dtype=float)))
    report = {
        "regression_metrics": regression_metrics(labels, [float(p) for p in predictions]),
        "test_rows": len(labels),
    }
    output.mkdir(parents=True, exist_ok=True)
    (output / "evaluation.json").write_text(json.dumps(report, indent=2, sort_keys=True))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("/opt/ml/processing/model"))
    parser.add_argument("--test", type=Path, default=Path("/opt/ml/processing/test"))
    parser.add_argument("--output", type=Path, default=Path("/opt/ml/processing/evaluation"))
    args = parser.parse_args(argv)
    report = evaluate(args.model, args.test, args.output)
    print(json.dumps(report["regression_metrics"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
