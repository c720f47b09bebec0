"""GCP spec rules: tags as labels, derived names, project/region/network checks, located errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dsaas_infra.errors import SpecError
from dsaas_infra.spec import gcp_rules, load_spec_text

GOOD_GCP = """\
apiVersion: dsaas-infra/v1
client:
  name: acme
  environment: prod
  maturity: proactive
  owner: ml-platform@acme.example
  tags:
    cost-center: cc-1234
cloud: gcp
gcp:
  project_id: acme-dsaas-prod
  region: us-central1
  apigee: {organization: dedicated}
phases:
  training: {users: [alice]}
"""


def with_tags(*lines: str) -> str:
    return GOOD_GCP.replace("    cost-center: cc-1234\n", "".join(f"    {line}\n" for line in lines))


def lines_of(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_spec_text(text, "acme.yaml")
    return info.value.lines()


def test_good_spec_gives_identifying_labels_and_tags():
    spec = load_spec_text(GOOD_GCP, "acme.yaml")
    assert gcp_rules.labels(spec) == {
        "client": "acme", "cost-center": "cc-1234", "environment": "prod",
        "managed-by": "dsaas-infra", "maturity": "proactive", "owner": "ml-platform_at_acme_example",
    }


def test_uppercase_tags_are_lowercased_not_rejected():
    spec = load_spec_text(with_tags("Team: Data-Platform"), "acme.yaml")
    assert gcp_rules.labels(spec)["team"] == "data-platform"


@pytest.mark.parametrize(
    "tag, line_fragment",
    [
        ('"Cost Center": cc-1', "client.tags.Cost Center"),
        ('"1team": a', "client.tags.1team"),
        ("team: Data Platform", "client.tags.team"),
        ('"owner.name": bob', "client.tags.owner.name"),
        ("team: " + "x" * 64, "client.tags.team"),
    ],
)
def test_tag_that_cannot_become_a_label_is_a_located_error(tag, line_fragment):
    lines = lines_of(with_tags(tag))
    assert len(lines) == 1, lines
    assert line_fragment in lines[0]
    assert "acme.yaml:8:" in lines[0]  # the tag's own line
    assert "GCP label" in lines[0] and "suggestion" in lines[0]


def test_tags_that_collide_once_lowercased_are_reported():
    lines = lines_of(with_tags("Team: a", "team: b"))
    assert len(lines) == 1 and "both become the GCP label 'team'" in lines[0]


@pytest.mark.parametrize(
    "old, new, fragment",
    [
        ("project_id: acme-dsaas-prod", "project_id: Acme-Prod", "gcp.project_id"),
        ("project_id: acme-dsaas-prod", "project_id: acme", "gcp.project_id"),
        ("project_id: acme-dsaas-prod", "project_id: my-google-proj", "gcp.project_id"),
        ("region: us-central1", "region: us-central9", "unknown GCP region"),
    ],
)
def test_bad_project_id_or_region_is_located(old, new, fragment):
    lines = lines_of(GOOD_GCP.replace(old, new))
    assert len(lines) == 1 and fragment in lines[0]


def test_reused_subnetwork_must_be_in_the_spec_region():
    text = GOOD_GCP.replace("  region: us-central1\n", (
        "  region: us-central1\n"
        "  network:\n"
        "    network: projects/acme-host/global/networks/shared\n"
        "    subnetwork: projects/acme-host/regions/europe-west1/subnetworks/ml\n"
    ))
    lines = lines_of(text)
    assert len(lines) == 1
    assert "gcp.network.subnetwork" in lines[0] and "'europe-west1'" in lines[0]


def test_derived_names_fit_gcp_limits_for_the_longest_client_name():
    text = GOOD_GCP.replace("name: acme", "name: abcdefghij-klmnopqrs").replace(
        "environment: prod", "environment: staging")
    spec = load_spec_text(text, "acme.yaml")
    for sa in gcp_rules.service_account_ids(spec).values():
        assert 6 <= len(sa) <= 30 and gcp_rules.SERVICE_ACCOUNT_ID.match(sa), sa
    for bucket in gcp_rules.bucket_names(spec).values():
        assert bucket.startswith(spec.gcp.project_id) and len(bucket) <= 63, bucket
    assert gcp_rules.check(spec) == []


def test_bad_tag_exits_2_through_the_cli_with_one_located_line(tmp_path):
    spec = tmp_path / "acme.yaml"
    spec.write_text(with_tags('"Cost Center": cc-1'))
    result = subprocess.run(
        [sys.executable, "-m", "dsaas_infra", "render", str(spec), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {spec}:8:") and "client.tags.Cost Center" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "out").exists()
