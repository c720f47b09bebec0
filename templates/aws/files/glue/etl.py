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
5. stamps each row with the run's batch (``ingest_date``, ``ingest_batch``) and writes Parquet
   to ``s3://<curated>/<table>/ingest_date=<date>/ingest_batch=<batch>/``, then creates or
   updates the dataset's table and that partition in the catalog (the Glue API: no crawler).
At the end the run publishes how many records it curated and quarantined (CloudWatch,
``--metric_namespace``, dimension JobName): the blueprint alarms on the quarantined share and
when nothing new was curated for longer than the schedule allows.

Idempotent across retries. Job bookmarks advance only when a run commits (its last step), so a
run that fails after writing some tables, Glue's own retry, a Step Functions retry and the next
scheduled run all read the same new files again (plus any that arrived since). Each of those
runs writes the same batch: the first one records the batch it opened in
``s3://<curated>/_etl/pending-batch.json`` with its run id, every later run adopts it unless
the bookmark's last committed run (GetJobBookmark) is among the runs recorded there, and every
write replaces that batch's partitions (dynamic partition overwrite) instead of appending to
them. A re-run of the same input therefore produces the same curated and quarantined data; the
marker is removed after the commit. (Resetting the job bookmark reprocesses every raw file into
a new batch: empty the curated tables first.)

Files directly at the top of the raw bucket belong to no dataset and are skipped (logged).
Table names are snake_case, so they never collide with the pipeline's ``training-sets/``; a raw
dataset called ``inference`` is refused at reactive level's batch input prefix ``inference/``.

The transformation and the writes are plain PySpark and boto3 (``curate``, ``split_records``,
``write_batch``, ``catalog_batch``, ``claim_batch``, ``publish_counts``); only ``read_new`` and
``main`` use the Glue libraries (job bookmarks), so the logic runs unchanged in Spark's local mode.
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
# The curated and quarantined partitions: the run's batch (see "Idempotent across retries").
PARTITIONS = ("ingest_date", "ingest_batch")
# The open batch of a run that has not committed yet (under the curated bucket, never a table).
PENDING_BATCH_KEY = "_etl/pending-batch.json"
PARQUET = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}


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


def new_batch(now):
    """A new batch id: the UTC time it was opened, sortable (20261202T131500Z)."""
    return now.strftime("%Y%m%dT%H%M%SZ")


def batch_date(batch):
    """The ingest_date of a batch: the day it was opened (2026-12-02), the same on every retry."""
    return f"{batch[0:4]}-{batch[4:6]}-{batch[6:8]}"


def last_committed_run(glue_api, job_name):
    """The id of the job's last run that committed its bookmark, None before the first commit."""
    try:
        entry = glue_api.get_job_bookmark(JobName=job_name)["JobBookmarkEntry"]
    except glue_api.exceptions.EntityNotFoundException:
        return None
    return entry.get("RunId")


def claim_batch(s3, glue_api, bucket, job_name, run_id, now):
    """The batch this run writes: the one a run that did not commit left open, else a new one.

    The open batch and the runs that wrote to it are kept in s3://<bucket>/PENDING_BATCH_KEY. If
    one of those runs committed the bookmark (its marker was not removed), the batch is closed.
    """
    try:
        pending = json.loads(s3.get_object(Bucket=bucket, Key=PENDING_BATCH_KEY)["Body"].read())
    except s3.exceptions.NoSuchKey:
        pending = None
    if pending and last_committed_run(glue_api, job_name) not in pending["runs"]:
        batch, runs = pending["batch"], pending["runs"] + [run_id]
        print(f"batch {batch}: retrying after runs {pending['runs']} that did not commit; "
              "its partitions are rewritten, not appended to")
    else:
        batch, runs = new_batch(now), [run_id]
    s3.put_object(Bucket=bucket, Key=PENDING_BATCH_KEY, ContentType="application/json",
                  Body=json.dumps({"batch": batch, "runs": runs}).encode())
    return batch


def release_batch(s3, bucket):
    """After the bookmark commit: the batch is complete, the next run opens a new one."""
    s3.delete_object(Bucket=bucket, Key=PENDING_BATCH_KEY)


def write_batch(frame, path, batch, output_format):
    """Rows of one table -> <path>ingest_date=<date>/ingest_batch=<batch>/, replacing that batch.

    Dynamic partition overwrite replaces only the partitions this frame has (this batch's), so
    a retry rewrites what a failed attempt wrote and earlier batches stay untouched.
    """
    from pyspark.sql import functions as F

    stamped = frame.withColumn("ingest_date", F.lit(batch_date(batch))).withColumn(
        "ingest_batch", F.lit(batch))
    (stamped.write.mode("overwrite").option("partitionOverwriteMode", "dynamic")
     .partitionBy(*PARTITIONS).format(output_format).save(path))
    return stamped


def write_quarantine(quarantined, path, batch):
    """Quarantined rows -> JSON lines under <path>ingest_date=<date>/ingest_batch=<batch>/."""
    write_batch(quarantined.drop("ingest_date"), path, batch, "json")


def catalog_columns(schema):
    """A Spark schema -> Glue columns (Hive type names), partition columns left out."""
    return [{"Name": f.name, "Type": f.dataType.simpleString()} for f in schema.fields
            if f.name not in PARTITIONS]


def catalog_batch(glue_api, database, table, location, schema, batch):
    """Create or update the table (new columns are added, none dropped) and add the batch's partition."""
    columns = catalog_columns(schema)
    try:
        existing = glue_api.get_table(DatabaseName=database, Name=table)["Table"]
    except glue_api.exceptions.EntityNotFoundException:
        existing = None
    if existing is None or any(c["Name"] not in {e["Name"] for e in existing["StorageDescriptor"]["Columns"]}
                               for c in columns):
        known = existing["StorageDescriptor"]["Columns"] if existing else []
        names = {c["Name"] for c in known}
        table_input = {
            "Name": table,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "parquet"},
            "PartitionKeys": [{"Name": name, "Type": "string"} for name in PARTITIONS],
            "StorageDescriptor": {"Columns": known + [c for c in columns if c["Name"] not in names],
                                  "Location": location, **PARQUET},
        }
        if existing is None:
            glue_api.create_table(DatabaseName=database, TableInput=table_input)
        else:
            glue_api.update_table(DatabaseName=database, TableInput=table_input)
    values = [batch_date(batch), batch]
    result = glue_api.batch_create_partition(DatabaseName=database, TableName=table, PartitionInputList=[{
        "Values": values,
        "StorageDescriptor": {"Columns": columns, **PARQUET,
                              "Location": f"{location}ingest_date={values[0]}/ingest_batch={batch}/"},
    }])
    errors = [e for e in result.get("Errors", [])
              if e.get("ErrorDetail", {}).get("ErrorCode") != "AlreadyExistsException"]
    if errors:  # a retry finds the partition already there; anything else is a failure
        raise RuntimeError(f"cannot catalogue {table} batch {batch}: {errors}")


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


def curate(tables, read, required, source_format, batch, args, glue_api):
    """Each dataset's new rows -> its curated table and quarantine, all as batch ``batch``.

    ``read(dataset, table)`` returns (rows, Glue error rows or None). Returns the record counts
    and the tables that got curated rows.
    """
    ingest_date = batch_date(batch)
    counts = {"curated": 0, "quarantined": 0}
    updated = []
    for dataset, table in sorted(tables.items()):
        frame, errors = read(dataset, table)
        if not frame.columns or frame.rdd.isEmpty():
            print(f"{dataset}: no new raw data since the last run")
            continue
        curated, quarantined = split_records(frame, required[table], ingest_date, source_format)
        if errors is not None:
            quarantined = quarantined.unionByName(error_records(errors, ingest_date))
        n_curated, n_quarantined = curated.count(), quarantined.count()
        if n_curated:
            location = f"{args['curated_path']}{table}/"
            stamped = write_batch(curated.drop("ingest_date"), location, batch, "parquet")
            catalog_batch(glue_api, args["database"], table, location, stamped.schema, batch)
            updated.append(table)
        if n_quarantined:
            write_quarantine(quarantined, f"{args['quarantine_path']}{table}/", batch)
            print(f"{dataset}: {n_quarantined} record(s) quarantined under {args['quarantine_path']}{table}/")
        counts["curated"] += n_curated
        counts["quarantined"] += n_quarantined
    return counts, updated


def main() -> None:
    import boto3
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    args = getResolvedOptions(sys.argv, [
        "JOB_NAME", "JOB_RUN_ID", "raw_path", "curated_path", "database", "source_format",
        "quarantine_path", "required_columns", "metric_namespace",
    ])
    if args["source_format"] not in FORMATS:
        raise ValueError(f"--source_format must be one of {sorted(FORMATS)}, not {args['source_format']!r}")

    glue = GlueContext(SparkContext.getOrCreate())
    job = Job(glue)
    job.init(args["JOB_NAME"], args)
    s3, glue_api = boto3.client("s3"), boto3.client("glue")
    curated_bucket = args["curated_path"][len("s3://"):].split("/", 1)[0]
    batch = claim_batch(s3, glue_api, curated_bucket, args["JOB_NAME"], args["JOB_RUN_ID"],
                        datetime.now(timezone.utc))
    tables = dataset_tables(raw_datasets(args["raw_path"]))
    required = required_columns(args["required_columns"], tables.values())
    counts, updated = curate(tables, lambda dataset, table: read_new(glue, args, dataset, table),
                             required, args["source_format"], batch, args, glue_api)
    print(f"batch {batch}: curated tables updated: {updated or 'none'} of {sorted(tables.values())}; "
          f"records: {counts}")
    publish_counts(boto3.client("cloudwatch"), args["metric_namespace"], args["JOB_NAME"], counts)
    job.commit()
    release_batch(s3, curated_bucket)


if __name__ == "__main__":
    main()
