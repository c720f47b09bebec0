"""Glue ETL job of the DSaaS data phase: raw bucket -> curated bucket (Parquet, catalogued).

Shipped by dsaas-infra and uploaded by Terraform; the job arguments (set in data.tf) name the
buckets and the catalog database. Job bookmarks make each run process only files that arrived
since the last successful run, so the pipeline can run it on a schedule without reprocessing.

Each top-level prefix of the raw bucket is one dataset (``raw/<dataset>/...``) and gets its own
curated table: ``<dataset>`` (lowercase snake_case) under ``s3://<curated>/<dataset>/``, with its
own job bookmark, so datasets with different columns never mix. For each dataset, in order:
1. reads its new raw files (``--source_format``: csv with a header line, json or parquet);
2. normalises column names to lowercase snake_case (Athena and Spark both accept them) and
   drops rows where every column is empty (blank lines);
3. quarantines the records it cannot curate, each with its reason: a malformed record (one the
   reader could not parse: Spark's ``_corrupt_record``, or a Glue error record) and a record
   without a value in a column ``--required_columns`` requires for its table. They are written
   as JSON lines to ``<quarantine_path><table>/ingest_date=<date>/`` (``record``, ``reason``);
   a bad record never fails the run;
4. drops exact duplicate rows;
5. stamps each row with the ingestion date and writes Parquet to the curated bucket,
   partitioned by that date, creating or updating the dataset's table in the catalog.
At the end the run publishes how many records it curated and quarantined (CloudWatch,
``--metric_namespace``, dimension JobName): the blueprint alarms on the quarantined share and
when nothing new was curated for longer than the schedule allows.

Files directly at the top of the raw bucket belong to no dataset and are skipped (logged).
Table names are snake_case, so they never collide with the pipeline's ``training-sets/``; a raw
dataset called ``inference`` is refused at reactive level's batch input prefix ``inference/``.

The transformation is plain PySpark (``split_records``, ``error_records``, ``write_quarantine``,
``publish_counts``); only ``read_new``, ``write_curated`` and ``main`` use the Glue libraries
(bookmarks, the catalog sink), so the logic runs unchanged in Spark's local mode.
"""

import json
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
# The column Spark's readers (PERMISSIVE mode) put an unparseable record in.
CORRUPT = "_corrupt_record"
REASON = "_quarantine_reason"


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


def required_columns(argument, tables):
    """--required_columns (JSON {table: [column, ...]}) -> the snake_case columns per table.

    A table that is not among this run's datasets is fine (its data may come later); a value that
    is not such a map is an error of the configuration, reported before any data is touched.
    """
    mapping = json.loads(argument or "{}")
    if not isinstance(mapping, dict) or not all(
            isinstance(cols, list) and all(isinstance(c, str) for c in cols) for cols in mapping.values()):
        raise ValueError("--required_columns must be a JSON object of table -> list of column names")
    return {table: [snake_case(c) for c in mapping.get(table, [])] for table in tables}


def split_records(frame, required, ingest_date, source_format):
    """A dataset's new rows -> (curated rows, quarantined rows), in plain PySpark.

    Quarantined rows have the columns ``record`` (the raw text, or the row as JSON), ``reason``
    and ``ingest_date``; curated rows have snake_case columns and ``ingest_date``.
    """
    from pyspark.sql import functions as F

    data_columns = [c for c in frame.columns if c != CORRUPT]
    names = unique_names(data_columns)
    renamed = [F.col(f"`{old}`").alias(new) for old, new in zip(data_columns, names)]
    has_corrupt = CORRUPT in frame.columns
    if has_corrupt:
        renamed.append(F.col(CORRUPT))
    # Spark refuses queries over a raw file's corrupt-record column alone unless it is cached.
    frame = frame.select(*renamed).cache()
    # A row with every column empty (a blank CSV line) is no record: dropped, not quarantined.
    if names:
        blank = F.lit(True)
        for column in names:
            blank = blank & (F.col(column).isNull() | (F.trim(F.col(column).cast("string")) == ""))
        if has_corrupt:
            blank = blank & F.col(CORRUPT).isNull()
        frame = frame.where(~blank)

    missing = [c for c in required if c not in names]
    reason = F.lit(None).cast("string")
    checks = []
    if has_corrupt:
        checks.append((F.col(CORRUPT).isNotNull(), F.lit(f"malformed {source_format} record")))
    for column in missing:
        checks.append((F.lit(True), F.lit(f"missing required column {column}")))
    for column in required:
        if column in names:
            value = F.col(column)
            empty = value.isNull() | (F.trim(value.cast("string")) == "")
            checks.append((empty, F.lit(f"missing required value: {column}")))
    for condition, text in reversed(checks):  # the first failing check names the reason
        reason = F.when(condition, text).otherwise(reason)
    frame = frame.withColumn(REASON, reason)

    as_json = F.to_json(F.struct(*[F.col(c) for c in names])) if names else F.lit("{}")
    record = F.coalesce(F.col(CORRUPT), as_json) if has_corrupt else as_json
    quarantined = frame.where(F.col(REASON).isNotNull()).select(
        record.alias("record"), F.col(REASON).alias("reason"), F.lit(ingest_date).alias("ingest_date"))
    curated = (frame.where(F.col(REASON).isNull()).select(*names).dropDuplicates()
               .withColumn("ingest_date", F.lit(ingest_date)))
    return curated, quarantined


def error_records(errors, ingest_date):
    """Glue's error records (rows its reader could not build) -> quarantined rows."""
    from pyspark.sql import functions as F

    return errors.select(
        F.to_json(F.struct(*[F.col(f"`{c}`") for c in errors.columns])).alias("record"),
        F.lit("unreadable record (Glue error record)").alias("reason"),
        F.lit(ingest_date).alias("ingest_date"))


def write_quarantine(quarantined, path):
    """Quarantined rows -> JSON lines under <path>ingest_date=<date>/ (appended, never fatal)."""
    quarantined.write.mode("append").partitionBy("ingest_date").json(path)


def publish_counts(cloudwatch, namespace, job_name, counts):
    """The run's record counts -> CloudWatch (0 is published too: it is what freshness watches)."""
    dimensions = [{"Name": "JobName", "Value": job_name}]
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": "RecordsCurated", "Dimensions": dimensions,
         "Value": float(counts["curated"]), "Unit": "Count"},
        {"MetricName": "RecordsQuarantined", "Dimensions": dimensions,
         "Value": float(counts["quarantined"]), "Unit": "Count"},
    ])


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


def read_new(glue, args, dataset, table):
    """Glue: the dataset's files since the last run (job bookmark) -> (rows, Glue error rows)."""
    source_format = args["source_format"]
    raw = glue.create_dynamic_frame.from_options(
        connection_type="s3",
        connection_options={"paths": [f"{args['raw_path']}{dataset}/"], "recurse": True},
        format=source_format,
        format_options=FORMATS[source_format],
        transformation_ctx=f"raw_{table}",  # the job bookmark key, one per dataset
    )
    errors = raw.errorsAsDynamicFrame().toDF() if raw.errorsCount() else None
    return raw.toDF(), errors


def write_curated(glue, args, table, frame):
    """Glue: curated rows -> Parquet partitioned by ingest_date, the table kept in the catalog."""
    from awsglue.dynamicframe import DynamicFrame

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


def main() -> None:
    import boto3
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    args = getResolvedOptions(sys.argv, [
        "JOB_NAME", "raw_path", "curated_path", "database", "source_format",
        "quarantine_path", "required_columns", "metric_namespace",
    ])
    if args["source_format"] not in FORMATS:
        raise ValueError(f"--source_format must be one of {sorted(FORMATS)}, not {args['source_format']!r}")

    glue = GlueContext(SparkContext.getOrCreate())
    job = Job(glue)
    job.init(args["JOB_NAME"], args)
    tables = dataset_tables(raw_datasets(args["raw_path"]))
    required = required_columns(args["required_columns"], tables.values())
    ingest_date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    counts = {"curated": 0, "quarantined": 0}
    updated = []
    for dataset, table in sorted(tables.items()):
        frame, errors = read_new(glue, args, dataset, table)
        if not frame.columns or frame.rdd.isEmpty():
            print(f"{dataset}: no new raw data since the last run")
            continue
        curated, quarantined = split_records(frame, required[table], ingest_date, args["source_format"])
        if errors is not None:
            quarantined = quarantined.unionByName(error_records(errors, ingest_date))
        n_curated, n_quarantined = curated.count(), quarantined.count()
        if n_curated:
            write_curated(glue, args, table, curated)
            updated.append(table)
        if n_quarantined:
            write_quarantine(quarantined, f"{args['quarantine_path']}{table}/")
            print(f"{dataset}: {n_quarantined} record(s) quarantined under {args['quarantine_path']}{table}/")
        counts["curated"] += n_curated
        counts["quarantined"] += n_quarantined
    print(f"curated tables updated: {updated or 'none'} of {sorted(tables.values())}; records: {counts}")
    publish_counts(boto3.client("cloudwatch"), args["metric_namespace"], args["JOB_NAME"], counts)
    job.commit()


if __name__ == "__main__":
    main()
