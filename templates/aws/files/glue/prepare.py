"""Prepare step of the ML pipeline: one curated table -> this run's versioned training set.

Shipped by dsaas-infra as the default of a pluggable step: the pipeline runs the Glue job
``<prefix>-prepare`` after the ETL and before training. To plug in your own feature logic, upload
a Glue 5.0 PySpark script that honours the same contract and set the Terraform variable
``prepare_script_s3_uri`` to it; the pipeline does not change.

Contract (what the pipeline relies on):
- arguments: ``--curated_path`` (s3://<curated bucket>/), ``--database`` (Glue catalog database),
  ``--dataset`` and ``--label`` (Terraform variables ``training_dataset``, ``training_label``) and
  ``--output_uri`` (s3://<curated bucket>/training-sets/<run id>/, set per run by the pipeline);
- output under ``--output_uri``: ``train/``, ``validation/`` and ``test/`` as CSV without a
  header, the label in the first column and numeric features after it (what the built-in
  XGBoost and files/evaluation/evaluate.py read), and ``baseline/`` with the same features
  without the label (the drift baseline; the endpoint receives features only);
- no training rows is a failure: raise, and the pipeline alerts. (It also checks that
  ``train/`` is not empty, so a script that writes nothing fails the run too.)

The default: reads the curated table ``--dataset`` (Parquet under <curated_path><dataset>/),
keeps the label and the numeric columns (the ETL's partition columns ``ingest_date`` and
``ingest_batch`` are dropped), drops rows without a label, and splits deterministically by a
hash of each row: 80% train, 10% validation, 10% test.
"""

import sys

# Columns the ETL adds that are not features.
NOT_FEATURES = {"ingest_date", "ingest_batch"}
# Hash buckets (of 10) per split: deterministic, so a rerun on the same data splits the same way.
SPLITS = {"train": range(0, 8), "validation": range(8, 9), "test": range(9, 10)}
NUMERIC = {"tinyint", "smallint", "int", "bigint", "float", "double", "decimal", "boolean"}


def feature_columns(schema_types, label):
    """Numeric columns other than the label and the ETL's own, in table order."""
    out = []
    for name, kind in schema_types:
        base = kind.split("(")[0].lower()
        if name != label and name not in NOT_FEATURES and base in NUMERIC:
            out.append(name)
    return out


def split_of(bucket):
    for name, buckets in SPLITS.items():
        if bucket in buckets:
            return name
    raise ValueError(f"hash bucket {bucket} is outside 0-9")


def main():
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext
    from pyspark.sql import functions as F

    args = getResolvedOptions(
        sys.argv, ["JOB_NAME", "curated_path", "database", "dataset", "label", "output_uri"]
    )
    glue = GlueContext(SparkContext.getOrCreate())
    job = Job(glue)
    job.init(args["JOB_NAME"], args)
    spark = glue.spark_session

    dataset, label = args["dataset"], args["label"]
    source = f"{args['curated_path']}{dataset}/"
    try:
        frame = spark.read.parquet(source)
    except Exception as error:  # AnalysisException: path does not exist yet
        raise RuntimeError(f"no curated table {dataset!r} under {source}: upload raw data to "
                           f"raw/{dataset}/ or set the Terraform variable training_dataset") from error
    if label not in frame.columns:
        raise RuntimeError(f"the curated table {dataset!r} has no label column {label!r} "
                           f"(columns: {', '.join(frame.columns)}); set training_label")
    features = feature_columns(frame.dtypes, label)
    if not features:
        raise RuntimeError(f"the curated table {dataset!r} has no numeric feature columns")

    columns = [F.col(label).cast("double").alias(label)] + [F.col(c).cast("double") for c in features]
    frame = frame.select(*columns).where(F.col(label).isNotNull())
    frame = frame.withColumn("_bucket", F.abs(F.xxhash64(*[F.col(c) for c in [label] + features])) % 10)

    output = args["output_uri"].rstrip("/") + "/"
    counts = {}
    for name, buckets in SPLITS.items():
        part = frame.where(F.col("_bucket").isin(list(buckets))).drop("_bucket")
        part.write.mode("overwrite").option("header", "false").csv(output + name + "/")
        counts[name] = part.count()
        if name == "train":
            part.drop(label).write.mode("overwrite").option("header", "false").csv(output + "baseline/")
    print(f"training set of {dataset}: {counts}")
    if counts["train"] == 0:
        raise RuntimeError(f"no training rows in {dataset!r} (label {label!r} set on no row)")
    job.commit()


if __name__ == "__main__":
    main()
