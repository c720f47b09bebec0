"""The Glue scripts shipped in AWS blueprints: their pure parts, run without Glue or Spark.

The scripts import awsglue/pyspark only inside main(), so the helpers that decide what becomes a
curated table and how the training set is split are loaded and run here as they are shipped.
The ETL's Spark transformation runs in Spark's local mode in test_glue_etl_spark.py; the
Glue-only parts (bookmarked reads, the catalog sink, main()) and prepare.py's Spark job are not
run offline.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

GLUE = Path(__file__).resolve().parents[2] / "templates" / "aws" / "files" / "glue"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"blueprint_glue_{name}", GLUE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


etl = load("etl")
prepare = load("prepare")


def test_every_raw_dataset_prefix_gets_its_own_table():
    assert etl.dataset_tables(["sales/", "WebLogs/", "customer data/"]) == {
        "sales": "sales", "WebLogs": "web_logs", "customer data": "customer_data"}


def test_two_prefixes_that_would_share_a_table_are_an_error_not_a_merge():
    with pytest.raises(ValueError, match="both map to table 'sales'"):
        etl.dataset_tables(["sales/", "Sales/"])


def test_the_batch_input_prefix_is_not_a_dataset_table():
    with pytest.raises(ValueError, match="reserved"):
        etl.dataset_tables(["inference/"])


def test_table_names_never_reach_the_pipelines_training_sets():
    # training-sets/ holds the prepare step's output; snake_case names cannot contain "-".
    assert "-" not in "".join(etl.dataset_tables(["training-sets/", "a-b/"]).values())


def test_prepare_keeps_numeric_features_in_table_order_without_label_or_ingest_date():
    types = [("label", "double"), ("ingest_date", "string"), ("age", "int"), ("city", "string"),
             ("income", "decimal(10,2)"), ("active", "boolean")]
    assert prepare.feature_columns(types, "label") == ["age", "income", "active"]


def test_prepare_splits_every_hash_bucket_into_exactly_one_split_80_10_10():
    splits = [prepare.split_of(bucket) for bucket in range(10)]
    assert splits.count("train") == 8 and splits.count("validation") == 1 and splits.count("test") == 1
    with pytest.raises(ValueError):
        prepare.split_of(10)
