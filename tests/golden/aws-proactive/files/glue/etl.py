"""Glue ETL job of the DSaaS data phase: raw bucket -> curated bucket (Parquet, catalogued).

Shipped by dsaas-infra and uploaded by Terraform; the job arguments (set in data.tf) name the
buckets and the catalog database. Job bookmarks make each run process only files that arrived
since the last successful run, so the pipeline can run it on a schedule without reprocessing.

What it does, in order:
1. reads the new raw files (``--source_format``: csv with a header line, json or parquet);
2. normalises column names to lowercase snake_case (Athena and Spark both accept them);
3. drops rows where every column is empty, and exact duplicate rows;
4. stamps each row with the ingestion date and writes Parquet to the curated bucket,
   partitioned by that date, creating or updating the ``curated`` table in the catalog.
"""

import re
import sys
from datetime import datetime, timezone

from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import functions as F

ARGS = getResolvedOptions(
    sys.argv, ["JOB_NAME", "raw_path", "curated_path", "database", "source_format"]
)
FORMATS = {
    "csv": {"withHeader": True, "separator": ","},
    "json": {},
    "parquet": {},
}
CURATED_TABLE = "curated"


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


def main() -> None:
    source_format = ARGS["source_format"]
    if source_format not in FORMATS:
        raise ValueError(f"--source_format must be one of {sorted(FORMATS)}, not {source_format!r}")

    glue = GlueContext(SparkContext.getOrCreate())
    job = Job(glue)
    job.init(ARGS["JOB_NAME"], ARGS)

    raw = glue.create_dynamic_frame.from_options(
        connection_type="s3",
        connection_options={"paths": [ARGS["raw_path"]], "recurse": True},
        format=source_format,
        format_options=FORMATS[source_format],
        transformation_ctx="raw",  # the job bookmark key
    )
    frame = raw.toDF()
    if not frame.columns or frame.rdd.isEmpty():
        print("no new raw data since the last run")
        job.commit()
        return

    frame = frame.toDF(*unique_names(frame.columns))
    frame = frame.dropna(how="all").dropDuplicates()
    ingest_date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    frame = frame.withColumn("ingest_date", F.lit(ingest_date))

    sink = glue.getSink(
        connection_type="s3",
        path=ARGS["curated_path"] + CURATED_TABLE + "/",
        enableUpdateCatalog=True,
        updateBehavior="UPDATE_IN_DATABASE",
        partitionKeys=["ingest_date"],
        transformation_ctx="curated",
    )
    sink.setFormat("glueparquet", compression="snappy")
    sink.setCatalogInfo(catalogDatabase=ARGS["database"], catalogTableName=CURATED_TABLE)
    sink.writeFrame(DynamicFrame.fromDF(frame, glue, "curated"))
    job.commit()


if __name__ == "__main__":
    main()
