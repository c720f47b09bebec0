"""What a `terraform destroy` of a GCP blueprint does, as its README says (senior GCP review MUST-FIX 6):
with phases.data.prevent_destroy false nothing carries lifecycle.prevent_destroy (the keys did, so a
destroy the README promised aborted); with it true everything that holds or unlocks data does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dsaas_infra.spec import load_spec_text
from tests.render.parsed_blueprint import ParsedBlueprint, parse

BLUEPRINTS = Path(__file__).resolve().parents[3] / "blueprints"
STEMS = ("gcp-reactive", "gcp-proactive", "gcp-managed")
PREVENT = re.compile(r"^\s*prevent_destroy\s*=\s*(\w+)", re.M)


def render(stem: str, prevent: bool) -> ParsedBlueprint:
    text = BLUEPRINTS.joinpath(f"{stem}.yaml").read_text()
    text = re.sub(r"\n    prevent_destroy: [^\n]*", "", text)
    text = text.replace("\n  data:\n", f"\n  data:\n    prevent_destroy: {str(prevent).lower()}\n", 1)
    bp = parse(load_spec_text(text, f"{stem}.yaml"))
    assert bp.spec.phases.data.prevent_destroy is prevent
    return bp


def tf_text(bp: ParsedBlueprint) -> str:
    return "".join(c.decode() for name, c in sorted(bp.files.items()) if name.endswith(".tf"))


def protected(bp: ParsedBlueprint) -> dict[str, list[str]]:
    """Each .tf file's prevent_destroy values, in order."""
    return {name: PREVENT.findall(content.decode()) for name, content in sorted(bp.files.items())
            if name.endswith(".tf") and PREVENT.search(content.decode())}


@pytest.mark.parametrize("stem", STEMS)
def test_without_prevent_destroy_nothing_blocks_a_destroy_and_the_readme_says_what_it_does(stem):
    bp = render(stem, prevent=False)
    values = protected(bp)
    assert "kms.tf" in values  # the keys follow the spec too
    assert all(v == "false" for vs in values.values() for v in vs), values
    for key in bp.of_type("google_kms_crypto_key"):
        assert f'resource "google_kms_crypto_key" "{key}" {{\n  #checkov:skip=CKV_GCP_82:' in tf_text(bp)
    assert all(d.get("deletion_protection") in (None, False) for d in bp.of_type("google_bigquery_table").values())
    readme = bp.text("README.md")
    assert "Nothing blocks `terraform destroy`" in readme and "protected from `terraform destroy`" not in readme
    assert "schedules the destruction of every key version" in readme
    assert ("A destroy deletes the log bucket" in readme) == (("google_kms_crypto_key", "logging") in bp.resources)
    assert "`_Default` log bucket keeps" not in readme


@pytest.mark.parametrize("stem", STEMS)
def test_with_prevent_destroy_keys_buckets_and_table_are_protected_and_a_destroy_stops(stem):
    bp = render(stem, prevent=True)
    values = protected(bp)
    assert {"kms.tf", "data.tf"} <= set(values)
    assert all(v == "true" for vs in values.values() for v in vs), values
    assert "CKV_GCP_82" not in tf_text(bp)
    readme = bp.text("README.md")
    assert "protected from `terraform destroy`" in readme and "a destroy stops with an error" in readme
    assert "Nothing blocks" not in readme
