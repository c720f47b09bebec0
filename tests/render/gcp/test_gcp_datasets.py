"""One raw prefix, curated table, quarantine table and freshness check per dataset (phases.data.datasets),
and the training set from phases.training.dataset: what the GCP blueprint renders and its README says."""

from __future__ import annotations

import re

import pytest

from dsaas_infra.spec import load_spec
from tests.conftest import example_specs
from tests.render.parsed_blueprint import ParsedBlueprint, parse

GCP_SPECS = {p.stem: p for p in example_specs() if p.stem.startswith("gcp-")}


@pytest.fixture(scope="module")
def examples() -> dict[str, ParsedBlueprint]:
    return {stem: parse(load_spec(path)) for stem, path in GCP_SPECS.items()}


def _parameters(bp: ParsedBlueprint) -> dict:
    text = bp.text("pipeline.tf")
    block = text[text.index("pipeline_parameters = {"):]
    return {"datasets": re.search(r"datasets\s*=\s*(.+)", block).group(1).strip(),
            "training_dataset": re.search(r"training_dataset\s*=\s*(.+)", block).group(1).strip()}


@pytest.mark.parametrize("stem", sorted(GCP_SPECS))
def test_every_dataset_gets_a_curated_and_a_quarantine_table_with_the_cmek(examples, stem):
    bp, spec = examples[stem], load_spec(GCP_SPECS[stem])
    tables = bp.of_type("google_bigquery_table")
    assert set(tables) == {"curated", "quarantine"}  # for_each over the datasets, no fixed table
    for name in ("curated", "quarantine"):
        table = tables[name]
        assert table["for_each"] == "${toset([" + ", ".join(f'"{d}"' for d in spec.phases.data.datasets) + "])}"
        assert table["encryption_configuration"][0]["kms_key_name"] == '${google_kms_crypto_key.keys["bigquery"].id}'
        assert table["dataset_id"] == "${google_bigquery_dataset.curated.dataset_id}"
    assert tables["curated"]["table_id"] == "${each.value}"
    assert tables["quarantine"]["table_id"] == "${each.value}_quarantine"
    assert tables["curated"]["time_partitioning"][0]["field"] == "event_time"


def test_the_managed_example_has_two_datasets_and_the_pipeline_gets_both(examples):
    bp = examples["gcp-managed"]
    params = _parameters(bp)
    assert params["datasets"] == (
        '[for name in ["transactions", "customers"] : google_bigquery_table.curated[name].table_id]')
    assert params["training_dataset"] == '"transactions"'
    # The scheduler job waits for every quarantine table too (the curate step inserts into them).
    depends = bp.of_type("google_cloud_scheduler_job")["pipeline"]["depends_on"]
    assert "${google_bigquery_table.quarantine}" in depends


def test_the_freshness_check_covers_every_curated_table(examples):
    query = examples["gcp-managed"].text("alerts.tf")
    for table in ("transactions", "customers"):
        assert re.search(rf"ERROR\('no new curated rows in \w+\.{table} for more than", query), table
        assert re.search(rf"FROM `[^`]+\.{table}` WHERE event_time >=", query), table
    assert query.count(" UNION ALL ") == 1
    single = examples["gcp-proactive"].text("alerts.tf")
    assert " UNION ALL " not in single and ".training for more than" in single


def test_the_readme_names_each_datasets_prefix_and_table(examples):
    readme = " ".join(examples["gcp-managed"].text("README.md").split())
    assert "`incoming/transactions/`, `incoming/customers/`" in readme
    assert "one curated table per raw dataset, `transactions`, `customers`" in readme
    assert "`<dataset>_quarantine`" in readme and "belong to no dataset and are never loaded" in readme
    assert "training dataset `transactions`" in readme
    assert "curated/datasets/<dataset>/export_state.json" in readme
    assert "SKIP" in readme and "No model is retrained on data it has already seen" in readme
    assert "were **all** quarantined fails the run" in readme
