"""Every pattern-checked spec field is matched whole: a final newline is not a match (issue 12)."""

import copy

import pytest
import yaml

from dsaas_infra.errors import SpecError
from dsaas_infra.spec.loader import load_spec_text
from tests.conftest import BLUEPRINTS

AWS = yaml.safe_load((BLUEPRINTS / "aws-proactive.yaml").read_text())
GCP = yaml.safe_load((BLUEPRINTS / "gcp-proactive.yaml").read_text())


def _load(base: dict, *path_and_value):
    data = copy.deepcopy(base)
    *path, value = path_and_value
    node = data
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    return load_spec_text(yaml.safe_dump(data), "spec.yaml")


def _tags(base: dict, tags: dict) -> dict:
    data = copy.deepcopy(base)
    data["client"]["tags"] = tags
    return data


@pytest.mark.parametrize("base", [AWS, GCP], ids=["aws", "gcp"])
@pytest.mark.parametrize("tags", [{"team\n": "x"}, {"team": "x\n"}, {"a=b\n": "c"}])
def test_tag_keys_and_values_ending_in_a_newline_are_refused(base, tags):
    with pytest.raises(SpecError) as e:
        load_spec_text(yaml.safe_dump(_tags(base, tags)), "spec.yaml")
    assert all(p.path.startswith("client.tags") for p in e.value.problems), e.value.lines()


@pytest.mark.parametrize("base", [AWS, GCP], ids=["aws", "gcp"])
@pytest.mark.parametrize("key,value", [
    ("bucket", "acme-prod-tfstate\n"), ("prefix", "dsaas/acme\n"),
])
def test_state_location_ending_in_a_newline_is_refused(base, key, value):
    with pytest.raises(SpecError, match=f"state.{key}"):
        _load(base, "state", key, value)


@pytest.mark.parametrize("value", [
    "locks\n", "<script>alert(1)</script>", "x](javascript:alert(1))", "%%{init: {}}%%", "ab",
    "t" * 256, "lock table",
])
def test_lock_table_is_a_dynamodb_table_name(value):
    with pytest.raises(SpecError, match="state.lock_table: .*DynamoDB table names"):
        _load(AWS, "state", "lock_table", value)
    assert _load(AWS, "state", "lock_table", "acme-prod-tfstate.lock_1").state.lock_table


@pytest.mark.parametrize("value", ["acme\n", "ACME\u202eevil", "ACME\u2028x", "ACME\u2029x", "A\u200bB",
                                   "A\u2066B\u2069", "A\u061cB"])
def test_display_name_refuses_controls_bidi_and_separators(value):
    with pytest.raises(SpecError, match="client.display_name"):
        _load(AWS, "client", "display_name", value)


@pytest.mark.parametrize("base,path,value", [
    (AWS, ("client", "name"), "acme\n"),
    (AWS, ("client", "owner"), "a@b.example\n"),
    (AWS, ("aws", "account_id"), "123456789012\n"),
    (GCP, ("gcp", "project_id"), "acme-ml-prod\n"),
    (AWS, ("phases", "training", "instance_type"), "ml.m5.xlarge\n"),
    (GCP, ("phases", "training", "instance_type"), "n2-standard-4\n"),
    (AWS, ("phases", "data", "schedule"), "0 3 * * *\n"),
])
def test_other_pattern_fields_ending_in_a_newline_are_refused(base, path, value):
    with pytest.raises(SpecError):
        _load(base, *path, value)
