"""Spec validation: the good spec loads; each bad one gives one located line per problem."""

import pytest

from dsaas_infra.errors import SpecError
from dsaas_infra.spec import load_spec, load_spec_text
from tests.spec.conftest import GOOD_AWS


def test_good_spec_loads_with_explicit_values_kept():
    spec = load_spec_text(GOOD_AWS, "acme.yaml")
    assert spec.client.name == "acme"
    assert spec.phases.deployment.max_instances == 3
    assert [v.weight for v in spec.phases.deployment.variants] == [90, 10]
    assert spec.phases.training.users == ["alice", "bob"]
    assert spec.state.bucket == "acme-prod-tfstate-123456789012"
    assert spec.state.prefix == "dsaas-infra/acme/prod"


def _error(text: str) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_spec_text(text, "acme.yaml")
    return info.value


# (replace this, with that) -> (expected line, key path, message fragment)
BAD = [
    (("schedule:", "shedule:"), 14, "phases.data.shedule", "did you mean 'schedule'?"),
    (("  tags:", "  tagz:"), 8, "client.tagz", "did you mean 'tags'?"),
    (("name: acme", "name: Acme"), 3, "client.name", "lowercase"),
    (("name: acme", "name: ac"), 3, "client.name", "3 to 20"),
    (("name: acme", "name: ac--me"), 3, "client.name", "'--'"),
    (("name: acme", "name: acme-"), 3, "client.name", "not ending with '-'"),
    (('account_id: "123456789012"', "account_id: 123456789012"), 12, "aws.account_id", "quote it"),
    (('account_id: "123456789012"', 'account_id: "1234"'), 12, "aws.account_id", "does not match"),
    (("region: us-east-1", "region: us-east-9"), 11, "aws.region", "unknown AWS region"),
    (("owner: ml-platform@acme.example", "owner: nobody"), 7, "client.owner", "not an e-mail"),
    (("environment: prod", "environment: qa"), 5, "client.environment", "'dev', 'staging' or 'prod'"),
    (("maturity: proactive", "maturity: expert"), 6, "client.maturity", "'reactive'"),
    (("cloud: aws", "cloud: azure"), 9, "cloud", "'aws' or 'gcp'"),
    (("size: small", "size: huge"), 18, "phases.deployment.size", "'small'"),
    (("gpu: none", "gpu: h100"), 15, "phases.training.gpu", "'t4'"),
    (("weight: 10}", "weight: 20}"), 21, "phases.deployment.variants", "add up to 100"),
    (("max_instances: 3", "max_instances: 0"), 20, "phases.deployment.max_instances", "greater than or equal to 1"),
    (("min_instances: 1", "min_instances: 5"), 19, "phases.deployment.min_instances", "above max_instances"),
    (('"0 3 * * *"', '"0 3 * *"'), 14, "phases.data.schedule", "5-field cron"),
    (('"0 3 * * *"', '"61 3 * * *"'), 14, "phases.data.schedule", "outside 0-59"),
    (("users: [alice, bob]", "users: [Alice]"), 15, "phases.training.users[0]", "does not match"),
    (("users: [alice, bob]", "users: [bob, bob]"), 15, "phases.training.users", "unique"),
    (("alert_emails: [oncall@acme.example]", "alert_emails: [oncall]"), 23, "phases.deployment.alert_emails[0]",
     "e-mail"),
    (("burst_limit: 100", "burst_limit: 10"), 26, "phases.access.consumers[0].burst_limit", "at least rate_limit"),
    (("aws:\n", "gcp:\n"), 10, "gcp.project_id", "required key is missing"),
    (("apiVersion: dsaas-infra/v1\n", "apiVersion: dsaas-infra/v2\n"), 1, "apiVersion", "dsaas-infra/v1"),
    (("apiVersion: dsaas-infra/v1\n", ""), 1, "apiVersion", "required key is missing"),
    (("cost-center: cc-1234", 'cost-center: "a\\"b"'), 8, "client.tags.cost-center", "value must be"),
    (("tags: {cost-center: cc-1234}", "tags: {ok: fine, aws:x: y}"), 8, "client.tags.aws:x", "not start with 'aws:'"),
    (("region: us-east-1", "region: [us-east-1]"), 11, "aws.region", "must be a string, got a list"),
    (("max_instances: 3", "max_instances: {n: 3}"), 20, "phases.deployment.max_instances",
     "must be a whole number, got a mapping"),
    (("display_name: ACME Analytics", 'display_name: "x\\ny"'), 4, "client.display_name", "control characters"),
    (("display_name: ACME Analytics", "display_name: " + "x" * 101), 4, "client.display_name", "at most 100"),
    (("drift_detection: true", "drift_detection: true\n    realtime: false"), 22, "phases.deployment.drift_detection",
     "real-time"),
    (("  access:\n    enabled: true", "  access:\n    enabled: true\n    waf: maybe"), 26, "phases.access.waf",
     "boolean"),
]


@pytest.mark.parametrize("change, line, path, fragment", BAD, ids=[b[2] + ":" + b[3] for b in BAD])
def test_bad_spec_reports_file_line_path_and_reason(change, line, path, fragment):
    old, new = change
    assert old in GOOD_AWS
    error = _error(GOOD_AWS.replace(old, new, 1))
    lines = error.lines()
    matching = [ln for ln in lines if f" {path}: " in ln]
    assert matching, lines
    assert matching[0].startswith(f"acme.yaml:{line}:"), matching[0]
    assert fragment in matching[0], matching[0]
    assert all("\n" not in ln for ln in lines)


def test_every_problem_gets_its_own_line():
    text = GOOD_AWS.replace("name: acme", "name: A").replace("region: us-east-1", "region: mars")
    lines = _error(text).lines()
    assert len(lines) == 2
    assert lines[0].startswith("acme.yaml:3:")
    assert lines[1].startswith("acme.yaml:11:")


def test_gcp_block_is_rejected_when_cloud_is_aws():
    text = GOOD_AWS + "gcp:\n  project_id: acme-dsaas-prod\n  region: us-central1\n"
    lines = _error(text).lines()
    assert any(" gcp: only allowed when cloud is gcp" in ln for ln in lines), lines


def test_spec_that_is_not_a_mapping():
    assert "a spec is a YAML mapping" in _error("- 1\n- 2\n").lines()[0]


def test_unreadable_file_is_a_spec_error(tmp_path):
    with pytest.raises(SpecError) as info:
        load_spec(tmp_path / "missing.yaml")
    assert "cannot read" in str(info.value)


def test_non_utf8_file_is_a_spec_error(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(GOOD_AWS.replace("ACME", "\xc9CME").encode("latin-1"))
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert "not UTF-8" in str(info.value)
