"""The pipeline's training script: runs in a Vertex AI custom job (the train step).

Reads the training set prepare wrote (CSV, no header, label first), fits a scikit-learn gradient
boosting regressor and writes what the serving container and the monitoring step need to the
model directory: model.joblib (Vertex AI's prebuilt scikit-learn container serves it),
features.json (feature names, in instance order), instance_schema.yaml (the same, as the
OpenAPI schema object Vertex AI Model Monitoring parses array instances with) and
training_data.csv (the training set with a header row of the label and feature names: Model
Monitoring's training dataset, the baseline of its training-serving skew detection).
scikit-learn trains on CPUs: the blueprint gives this job no GPU. Replace the estimator to
train another model.

    python3 train.py --train TRAIN.csv --features FEATURES.json --model-dir DIR
"""

from __future__ import annotations

import argparse
import csv
import json
import os

import joblib
from sklearn.ensemble import GradientBoostingRegressor


def instance_schema(names: list[str]) -> str:
    """The analysis instance schema of Vertex AI Model Monitoring: an OpenAPI schema object in
    YAML. The serving container takes each instance as an array of numbers, so `type` is array;
    `properties` types every feature and `required` lists them in the order of the array (Model
    Monitoring reads array instances by that order)."""
    lines = ["type: array", "properties:"]
    lines += [f"  {json.dumps(n)}:\n    type: number" for n in names]
    lines += ["required:"] + [f"  - {json.dumps(n)}" for n in names]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", required=True)
    parser.add_argument("--features", required=True)
    parser.add_argument("--model-dir", required=True)
    args = parser.parse_args(argv)

    with open(args.train, newline="") as f:
        rows = [[float(v) for v in row] for row in csv.reader(f) if row]
    if not rows:
        raise SystemExit(f"no training rows in {args.train}")
    with open(args.features) as f:
        described = json.load(f)
    names, label = described["features"], described.get("label", "label")
    estimator = GradientBoostingRegressor(random_state=0)
    estimator.fit([r[1:] for r in rows], [r[0] for r in rows])

    os.makedirs(args.model_dir, exist_ok=True)
    joblib.dump(estimator, os.path.join(args.model_dir, "model.joblib"))
    with open(os.path.join(args.model_dir, "features.json"), "w") as f:
        json.dump({"label": label, "features": names}, f)
    # Written row by row from the training set (never held twice in memory).
    with open(args.train, newline="") as src, \
            open(os.path.join(args.model_dir, "training_data.csv"), "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([label, *names])
        writer.writerows(row for row in csv.reader(src) if row)
    with open(os.path.join(args.model_dir, "instance_schema.yaml"), "w") as f:
        f.write(instance_schema(names))
    print(f"trained on {len(rows)} rows, {len(names)} features")


if __name__ == "__main__":
    main()
