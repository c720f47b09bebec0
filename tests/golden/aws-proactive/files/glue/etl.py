"""Glue ETL job of the DSaaS data phase: raw bucket -> curated bucket (Parquet, catalogued).

Shipped by dsaas-infra and uploaded by Terraform; the job arguments (set in data.tf) name the
buckets and the catalog database. Job bookmarks make each run process only files that arrived
since the last successful run, so the pipeline can run it on a schedule without reprocessing.

Each top-level prefix of the raw bucket is one dataset (``raw/<dataset>/...``) and gets its own
curated table: ``<dataset>`` (lowercase snake_case) under ``s3://<curated>/<dataset>/``, with its
own job bookmark, so datasets with different columns never mix. For each dataset, in order:
1. reads its new raw files (``--source_format``: csv with a header line, json or parquet);
2. normalises column names to lowercase snake_case (Athena and Spark both accept them);
3. drops rows where every column is empty, and exact duplicate rows;
4. stamps each row with the ingestion date and writes Parquet to the curated bucket,
   partitioned by that date, creating or updating the dataset's table in the catalog.
Files directly at the top of the raw bucket belong to no dataset and are skipped (logged).
Table names are snake_case, so they never collide with the pipeline's ``training-sets/``; a raw
dataset called ``inference`` is refused at reactive level's batch input prefix ``inference/``.
"""

import re
import sys
from datetime import datetime, timezone

FORMATS = {
    "csv": {"withHeader": True, "separator": ","},
    "json": {},
    "parquet": {},
}
# Prefixes of the curated bucket that are not dataset tables.
RESERVED_TABLES = {"inference"}


def snake_case(name: str) -> str:
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    name = re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_").lower()
    return name or "column"


def unique_names(names):
    seen = {}
    out = []
    for name in names:
        base = snake_case(name)
        count = seen.get(base, 0)
        seen[base] = count + 1
        out.append(base if count == 0 else f"{base}_{count}")
    return out


def dataset_tables(prefixes):
    """Raw dataset prefix ("sales/") -> curated table name ("sales"), one per dataset.

    Two prefixes that normalise to the same name (``Sales/`` and ``sales/``) would write one
    table: that is an error, not a silent merge.
    """
    tables = {}
    for prefix in prefixes:
        dataset = prefix.rstrip("/")
        if not dataset:
            continue
        table = snake_case(dataset)
        if table in RESERVED_TABLES:
            raise ValueError(f"raw dataset {dataset!r}: the curated prefix {table}/ is reserved")
        if table in tables.values():
            raise ValueError(f"raw datasets {dataset!r} and "
                             f"{[d for d, t in tables.items() if t == table][0]!r} both map to table {table!r}")
        tables[dataset] = table
    return tables


def raw_datasets(raw_path):
    """Top-level prefixes of the raw bucket: s3://bucket/ -> ["sales/", "web_logs/"]."""
    import boto3

    bucket, _, root = raw_path[len("s3://"):].partition("/")
    s3 = boto3.client("s3")
    prefixes, loose = [], 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=root, Delimiter="/"):
        prefixes += [p["Prefix"][len(root):] for p in page.get("CommonPrefixes", [])]
        loose += len(page.get("Contents", []))
    if loose:
        print(f"{loose} file(s) at the top of {raw_path} belong to no dataset and are skipped")
    return prefixes


def curate(glue, args, dataset, table):
    """One dataset's new raw files -> its curated table. Returns whether it had new data."""
    from awsglue.dynamicframe import DynamicFrame
    from pyspark.sql import functions as F

    source_format = args["source_format"]
    raw = glue.create_dynamic_frame.from_options(
        connection_type="s3",
        connection_options={"paths": [f"{args['raw_path']}{dataset}/"], "recurse": True},
        format=source_format,
        format_options=FORMATS[source_format],
        transformation_ctx=f"raw_{table}",  # the job bookmark key, one per dataset
    )
    frame = raw.toDF()
    if not frame.columns or frame.rdd.isEmpty():
        print(f"{dataset}: no new raw data since the last run")
        return False

    frame = frame.toDF(*unique_names(frame.columns))
    frame = frame.dropna(how="all").dropDuplicates()
    ingest_date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    frame = frame.withColumn("ingest_date", F.lit(ingest_date))

    sink = glue.getSink(
        connection_type="s3",
        path=f"{args['curated_path']}{table}/",
        enableUpdateCatalog=True,
        updateBehavior="UPDATE_IN_DATABASE",
        partitionKeys=["ingest_date"],
        transformation_ctx=f"curated_{table}",
    )
    sink.setFormat("glueparquet", compression="snappy")
    sink.setCatalogInfo(catalogDatabase=args["database"], catalogTableName=table)
    sink.writeFrame(DynamicFrame.fromDF(frame, glue, table))
    return True


def main() -> None:
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    args = getResolvedOptions(
        sys.argv, ["JOB_NAME", "raw_path", "curated_path", "database", "source_format"]
    )
    if args["source_format"] not in FORMATS:
        raise ValueError(f"--source_format must be one of {sorted(FORMATS)}, not {args['source_format']!r}")

    glue = GlueContext(SparkContext.getOrCreate())
    job = Job(glue)
    job.init(args["JOB_NAME"], args)
    tables = dataset_tables(raw_datasets(args["raw_path"]))
    updated = [table for dataset, table in sorted(tables.items()) if curate(glue, args, dataset, table)]
    print(f"curated tables updated: {updated or 'none'} of {sorted(tables.values())}")
    job.commit()


if __name__ == "__main__":
    main()
