"""The shipped price table: every row and region dated and sourced; user overrides are checked."""

from __future__ import annotations

import re

import pytest

from dsaas_infra.cost.prices import load_prices
from dsaas_infra.errors import UsageError


def test_every_row_and_region_has_a_price_a_date_and_a_source():
    table = load_prices()
    assert len(table.rows) > 50
    for id_, row in table.rows.items():
        assert row["unit"] and row["describe"], id_
        for region, entry in row["regions"].items():
            assert isinstance(entry["usd"], (int, float)) and entry["usd"] > 0, (id_, region)
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(entry["as_of"])), (id_, region)
            assert re.fullmatch(r"https://[a-z0-9.-]+/\S*", entry["source"]), (id_, region)


def test_a_region_not_in_the_table_uses_the_reference_price_and_says_so():
    table = load_prices()
    listed = table.get("aws.kms.key", "us-east-1")
    other = table.get("aws.kms.key", "ap-south-1")
    assert not listed.reference and other.reference and other.region == "us-east-1"
    assert table.get("aws.nothing.like.this", "us-east-1") is None


def test_a_user_file_overrides_rows_and_adds_regions(tmp_path):
    user = tmp_path / "prices.yaml"
    user.write_text(
        "rows:\n"
        "  aws.kms.key:\n"
        "    regions:\n"
        "      eu-west-1: {usd: 1.10, as_of: '2026-11-30', source: 'https://example.org/kms'}\n"
    )
    table = load_prices(user)
    assert table.get("aws.kms.key", "eu-west-1").usd == 1.10
    assert table.get("aws.kms.key", "us-east-1").usd == 1.0  # the shipped region is kept


@pytest.mark.parametrize("body, message", [
    ("rows: []\n", "a price table is a mapping"),
    ("rows:\n  x:\n    regions:\n      r: {usd: 1}\n", "every price needs `as_of`"),
    ("rows:\n  x:\n    regions:\n      r: {usd: cheap, as_of: '2026-01-01', source: 'https://e.org'}\n",
     "a number `usd`"),
])
def test_a_bad_user_file_is_a_usage_error(tmp_path, body, message):
    user = tmp_path / "prices.yaml"
    user.write_text(body)
    with pytest.raises(UsageError, match=message):
        load_prices(user)
