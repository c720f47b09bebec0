"""The shipped Glue ETL's transformation, executed in PySpark's local mode (no Glue, no cloud).

files/glue/etl.py keeps its logic in plain PySpark; only its reading with job bookmarks, the
catalog sink and main() need the Glue libraries (awsglue is not on PyPI) and are not run here.
These tests load the shipped file and run split_records, error_records, write_quarantine on
real Spark DataFrames read from files they write, and publish_counts against the moto server.
PySpark needs a Java runtime: scripts/install_test_tools.sh installs Debian's default-jre-headless.
"""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

GLUE = Path(__file__).resolve().parents[2] / "templates" / "aws" / "files" / "glue"
DATE = "2026-12-02"


def load_etl():
    spec = importlib.util.spec_from_file_location("blueprint_glue_etl_spark", GLUE / "etl.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


etl = load_etl()


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[1]").appName("dsaas-etl-test")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def rows(frame) -> list[dict]:
    return sorted((r.asDict() for r in frame.collect()), key=lambda d: json.dumps(d, sort_keys=True))


def test_malformed_json_lines_are_quarantined_with_their_text_and_the_rest_curated(spark, tmp_path):
    source = tmp_path / "orders.json"
    source.write_text("\n".join([
        '{"OrderId": 1, "Amount": 9.5}',
        '{"OrderId": 2, "Amount": 3.0}',
        '{"OrderId": 2, "Amount": 3.0}',          # exact duplicate: dropped, not quarantined
        '{"OrderId": 3, "Amount": ',               # truncated
        'not json at all',
    ]) + "\n")
    frame = spark.read.json(str(source))
    assert etl.CORRUPT in frame.columns  # what Spark's PERMISSIVE reader gives the job

    curated, quarantined = etl.split_records(frame, [], DATE, "json")

    assert curated.columns == ["amount", "order_id", "ingest_date"]
    assert rows(curated) == [
        {"amount": 3.0, "order_id": 2, "ingest_date": DATE},
        {"amount": 9.5, "order_id": 1, "ingest_date": DATE},
    ]
    assert rows(quarantined) == [
        {"record": "not json at all", "reason": "malformed json record", "ingest_date": DATE},
        {"record": '{"OrderId": 3, "Amount": ', "reason": "malformed json record", "ingest_date": DATE},
    ]


def test_records_without_a_required_value_are_quarantined_with_the_column_named(spark, tmp_path):
    source = tmp_path / "sales.csv"
    source.write_text("Order ID,Amount,Region\n"
                      "1,10,eu\n"
                      "2,,us\n"        # no amount
                      "3,  ,us\n"      # blank amount
                      ",7,eu\n"        # no order id
                      ",,\n"           # every column empty: dropped
                      "4,12,\n")       # region is not required
    frame = spark.read.csv(str(source), header=True)

    curated, quarantined = etl.split_records(frame, ["order_id", "amount"], DATE, "csv")

    assert sorted(r["order_id"] for r in rows(curated)) == ["1", "4"]
    reasons = {json.loads(r["record"]).get("order_id"): r["reason"] for r in rows(quarantined)}
    assert reasons == {"2": "missing required value: amount", "3": "missing required value: amount",
                       None: "missing required value: order_id"}
    # The whole row is kept as JSON, so the client can fix and re-deliver it.
    assert {json.loads(r["record"])["region"] for r in rows(quarantined)} == {"eu", "us"}


def test_a_required_column_the_dataset_lacks_quarantines_every_record_instead_of_failing(spark, tmp_path):
    source = tmp_path / "sales.csv"
    source.write_text("order_id,region\n1,eu\n2,us\n")
    frame = spark.read.csv(str(source), header=True)

    curated, quarantined = etl.split_records(frame, ["amount"], DATE, "csv")

    assert curated.count() == 0
    assert {r["reason"] for r in rows(quarantined)} == {"missing required column amount"}
    assert quarantined.count() == 2


def test_glue_error_records_become_quarantined_rows(spark):
    errors = spark.createDataFrame([("s3://raw/sales/a.csv", "unbalanced quote")], ["path", "error"])
    [row] = rows(etl.error_records(errors, DATE))
    assert json.loads(row["record"]) == {"path": "s3://raw/sales/a.csv", "error": "unbalanced quote"}
    assert row["reason"] == "unreadable record (Glue error record)" and row["ingest_date"] == DATE


def test_quarantine_is_appended_as_json_lines_partitioned_by_ingest_date(spark, tmp_path):
    source = tmp_path / "bad.json"
    source.write_text('{"id": 1}\n{"id": \n')
    _, quarantined = etl.split_records(spark.read.json(str(source)), [], DATE, "json")
    target = tmp_path / "quarantine" / "sales"

    etl.write_quarantine(quarantined, str(target) + "/")
    etl.write_quarantine(quarantined, str(target) + "/")  # the next run appends

    files = sorted((target / f"ingest_date={DATE}").glob("*.json"))
    lines = [json.loads(line) for f in files for line in f.read_text().splitlines()]
    assert lines == [{"record": '{"id": ', "reason": "malformed json record"}] * 2


@pytest.mark.parametrize("argument,error", [
    ('["sales"]', "JSON object"),
    ('{"sales": "amount"}', "JSON object"),
    ("{not json", "Expecting"),
])
def test_required_columns_argument_is_checked_before_any_data_is_read(argument, error):
    with pytest.raises(ValueError, match=error):
        etl.required_columns(argument, ["sales"])


def test_required_columns_are_matched_by_their_curated_snake_case_names():
    assert etl.required_columns('{"sales": ["Order ID"]}', ["sales", "web_logs"]) == {
        "sales": ["order_id"], "web_logs": []}
    assert etl.required_columns("{}", ["sales"]) == {"sales": []}


def test_the_run_publishes_both_counts_even_when_zero(moto):
    cloudwatch = boto3.client("cloudwatch")
    etl.publish_counts(cloudwatch, "DSaaS/Curation", "acme-prod-etl", {"curated": 0, "quarantined": 3})
    now = datetime.now(UTC)
    values = {}
    for metric in ("RecordsCurated", "RecordsQuarantined"):
        stats = cloudwatch.get_metric_statistics(
            Namespace="DSaaS/Curation", MetricName=metric,
            Dimensions=[{"Name": "JobName", "Value": "acme-prod-etl"}],
            StartTime=now - timedelta(hours=1), EndTime=now + timedelta(minutes=5),
            Period=3600, Statistics=["Sum"])
        values[metric] = [p["Sum"] for p in stats["Datapoints"]]
    assert values == {"RecordsCurated": [0.0], "RecordsQuarantined": [3.0]}


def test_the_quarantine_prefix_can_never_be_a_dataset_table():
    # Table names are snake_case without leading underscores; the prefix is "_quarantine".
    assert etl.snake_case("_quarantine") == "quarantine"
    assert not any(t.startswith("_") for t in etl.dataset_tables(["_quarantine/", "__x/"]).values())
