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
BATCH = "20261202T131500Z"


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
    return sorted((r.asDict() for r in frame.collect()), key=lambda d: json.dumps(d, sort_keys=True, default=str))


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


def test_quarantine_of_a_batch_is_json_lines_under_its_date_and_batch(spark, tmp_path):
    source = tmp_path / "bad.json"
    source.write_text('{"id": 1}\n{"id": \n')
    _, quarantined = etl.split_records(spark.read.json(str(source)), [], DATE, "json")
    target = tmp_path / "quarantine" / "sales"

    etl.write_quarantine(quarantined, str(target) + "/", BATCH)
    etl.write_quarantine(quarantined, str(target) + "/", BATCH)  # a retry of the batch replaces it

    files = sorted((target / f"ingest_date={DATE}" / f"ingest_batch={BATCH}").glob("*.json"))
    lines = [json.loads(line) for f in files for line in f.read_text().splitlines()]
    assert lines == [{"record": '{"id": ', "reason": "malformed json record"}]


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


# Retries: the same input, written twice, gives the same curated data (files/glue/etl.py,
# "Idempotent across retries"). The Spark writes go to local files; the catalog is moto's Glue.

RAW = {
    "sales": "Order ID,Amount\n1,10\n2,\n3,30\n",        # order 2 has no amount: quarantined
    "web_logs": '{"path": "/a", "ms": 5}\n{"path": \n',    # one malformed line: quarantined
}


class Crash(Exception):
    pass


def raw_reader(spark, raw_dir, crash_on=None):
    def read(dataset, table):
        if dataset == crash_on:
            raise Crash(f"the run dies before {dataset}")
        path = str(raw_dir / dataset)
        frame = spark.read.csv(path, header=True) if dataset == "sales" else spark.read.json(path)
        return frame, None
    return read


def write_raw(root):
    for dataset, text in RAW.items():
        (root / dataset).mkdir(parents=True, exist_ok=True)
        (root / dataset / "part-0").write_text(text)


def contents(spark, root):
    """Every curated and quarantined row under root, with its partition, in a stable order."""
    out = {}
    for table_dir in sorted({p.parent for p in root.rglob("ingest_date=*") if p.is_dir()}):
        table = table_dir.relative_to(root).as_posix()
        frame = spark.read.format("parquet" if "_quarantine" not in table else "json").load(str(table_dir))
        out[table] = rows(frame.select(*sorted(frame.columns)))
    return out


def run_curate(spark, glue_api, raw_dir, out, batch, crash_on=None):
    args = {"curated_path": f"{out.as_uri()}/", "quarantine_path": f"{out.as_uri()}/_quarantine/",
            "database": "acme_prod"}
    tables = etl.dataset_tables([f"{d}/" for d in RAW])
    required = etl.required_columns('{"sales": ["amount"]}', tables.values())
    return etl.curate(tables, raw_reader(spark, raw_dir, crash_on), required, "csv", batch, args, glue_api)


def test_a_run_that_dies_half_way_and_its_retry_write_what_one_clean_run_writes(spark, tmp_path, moto):
    glue_api = boto3.client("glue")
    glue_api.create_database(DatabaseInput={"Name": "acme_prod"})
    raw_dir, out = tmp_path / "raw", tmp_path / "curated"
    write_raw(raw_dir)

    with pytest.raises(Crash):  # sales is written, then the run dies
        run_curate(spark, glue_api, raw_dir, out, BATCH, crash_on="web_logs")
    assert (out / "sales").is_dir() and not (out / "web_logs").exists()
    counts, updated = run_curate(spark, glue_api, raw_dir, out, BATCH)  # the retry, same batch
    run_curate(spark, glue_api, raw_dir, out, BATCH)                     # and once more

    clean = tmp_path / "clean"
    glue_api.delete_database(Name="acme_prod")
    glue_api.create_database(DatabaseInput={"Name": "acme_prod"})
    run_curate(spark, glue_api, raw_dir, clean, BATCH)
    assert contents(spark, out) == contents(spark, clean)
    assert contents(spark, out)["sales"] == [
        {"amount": "10", "ingest_batch": BATCH, "ingest_date": datetime(2026, 12, 2).date(), "order_id": "1"},
        {"amount": "30", "ingest_batch": BATCH, "ingest_date": datetime(2026, 12, 2).date(), "order_id": "3"},
    ]
    assert len(contents(spark, out)["_quarantine/sales"]) == 1
    assert len(contents(spark, out)["_quarantine/web_logs"]) == 1
    assert counts == {"curated": 3, "quarantined": 2} and updated == ["sales", "web_logs"]


def test_the_next_batch_is_added_beside_the_last_and_both_are_catalogued(spark, tmp_path, moto):
    glue_api = boto3.client("glue")
    glue_api.create_database(DatabaseInput={"Name": "acme_prod"})
    raw_dir, out = tmp_path / "raw", tmp_path / "curated"
    write_raw(raw_dir)
    run_curate(spark, glue_api, raw_dir, out, BATCH)
    run_curate(spark, glue_api, raw_dir, out, "20261203T000000Z")

    assert len(contents(spark, out)["sales"]) == 4  # two batches of the same two rows
    table = glue_api.get_table(DatabaseName="acme_prod", Name="sales")["Table"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["ingest_date", "ingest_batch"]
    assert {c["Name"] for c in table["StorageDescriptor"]["Columns"]} == {"order_id", "amount"}
    assert table["StorageDescriptor"]["Location"] == f"{out.as_uri()}/sales/"
    partitions = glue_api.get_partitions(DatabaseName="acme_prod", TableName="sales")["Partitions"]
    assert sorted((p["Values"], p["StorageDescriptor"]["Location"]) for p in partitions) == [
        (["2026-12-02", BATCH], f"{out.as_uri()}/sales/ingest_date=2026-12-02/ingest_batch={BATCH}/"),
        (["2026-12-03", "20261203T000000Z"],
         f"{out.as_uri()}/sales/ingest_date=2026-12-03/ingest_batch=20261203T000000Z/"),
    ]


def test_a_new_column_is_added_to_the_catalogued_table_and_none_is_dropped(spark, moto):
    glue_api = boto3.client("glue")
    glue_api.create_database(DatabaseInput={"Name": "db"})
    first = spark.createDataFrame([(1, "a")], ["id", "name"])
    later = spark.createDataFrame([(2, 1.5)], ["id", "score"])
    etl.catalog_batch(glue_api, "db", "t", "s3://c/t/", first.schema, BATCH)
    etl.catalog_batch(glue_api, "db", "t", "s3://c/t/", later.schema, "20261203T000000Z")
    etl.catalog_batch(glue_api, "db", "t", "s3://c/t/", later.schema, "20261203T000000Z")  # a retry
    columns = glue_api.get_table(DatabaseName="db", Name="t")["Table"]["StorageDescriptor"]["Columns"]
    assert [(c["Name"], c["Type"]) for c in columns] == [("id", "bigint"), ("name", "string"), ("score", "double")]
    assert len(glue_api.get_partitions(DatabaseName="db", TableName="t")["Partitions"]) == 2


def stubbed_bookmark(committed_run):
    """GetJobBookmark, which moto does not model: the job's last committed run (None: never)."""
    from botocore.stub import Stubber

    glue_api = boto3.client("glue")
    stub = Stubber(glue_api)
    if committed_run is None:
        stub.add_client_error("get_job_bookmark", "EntityNotFoundException",
                              expected_params={"JobName": "acme-prod-etl"})
    else:
        stub.add_response("get_job_bookmark", {"JobBookmarkEntry": {
            "JobName": "acme-prod-etl", "RunId": committed_run, "Run": 3}},
            expected_params={"JobName": "acme-prod-etl"})
    stub.activate()
    return glue_api, stub


def test_a_run_adopts_the_batch_a_run_that_did_not_commit_left_open(moto):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="curated", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    t1, t2 = datetime(2026, 12, 2, 13, 15, tzinfo=UTC), datetime(2026, 12, 3, 1, 0, tzinfo=UTC)

    first = etl.claim_batch(s3, None, "curated", "acme-prod-etl", "jr_1", t1)  # no marker: no lookup
    assert first == BATCH
    glue_api, stub = stubbed_bookmark(None)  # jr_1 died before committing
    assert etl.claim_batch(s3, glue_api, "curated", "acme-prod-etl", "jr_2", t2) == BATCH
    stub.assert_no_pending_responses()
    marker = json.loads(s3.get_object(Bucket="curated", Key=etl.PENDING_BATCH_KEY)["Body"].read())
    assert marker == {"batch": BATCH, "runs": ["jr_1", "jr_2"]}

    glue_api, stub = stubbed_bookmark("jr_other")  # another run committed, not one of this batch
    assert etl.claim_batch(s3, glue_api, "curated", "acme-prod-etl", "jr_3", t2) == BATCH

    etl.release_batch(s3, "curated")  # jr_3 committed and removed the marker
    assert etl.claim_batch(s3, None, "curated", "acme-prod-etl", "jr_4", t2) == "20261203T010000Z"


def test_a_batch_whose_run_committed_is_closed_even_if_its_marker_was_left_behind(moto):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="curated", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    t1, t2 = datetime(2026, 12, 2, 13, 15, tzinfo=UTC), datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    etl.claim_batch(s3, None, "curated", "acme-prod-etl", "jr_1", t1)
    glue_api, stub = stubbed_bookmark("jr_1")  # jr_1 committed, then died before removing the marker
    assert etl.claim_batch(s3, glue_api, "curated", "acme-prod-etl", "jr_2", t2) == "20261203T010000Z"
    stub.assert_no_pending_responses()
    assert etl.batch_date("20261203T010000Z") == "2026-12-03"
