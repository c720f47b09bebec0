"""GCP preflight gcp-network: a reused network's Private Google Access and Dataflow firewall rule,
against the local fake Google API server."""

from __future__ import annotations

import pytest
from google.auth.credentials import AnonymousCredentials

from dsaas_infra.preflight.gcp import run_checks
from dsaas_infra.preflight.gcp_session import Connection
from dsaas_infra.spec import load_spec_text

PROJECT = "acme-dsaas-prod"
HOST = "acme-net-host"  # the network may live in another (Shared VPC host) project
NETWORK = f"projects/{HOST}/global/networks/corp"
SUBNET = f"projects/{HOST}/regions/europe-west1/subnetworks/analytics"
LINK = "https://www.googleapis.com/compute/v1/"


@pytest.fixture
def connection(fake_gcp):
    return Connection(credentials=AnonymousCredentials(), endpoint=fake_gcp.url)


def spec(data: bool = True):
    phases = "" if data else "phases:\n  data: {enabled: false}\n"
    return load_spec_text(f"""
apiVersion: dsaas-infra/v1
client: {{name: acme, environment: prod, owner: ml@acme.example, maturity: reactive}}
cloud: gcp
gcp:
  project_id: {PROJECT}
  region: europe-west1
  network: {{network: {NETWORK}, subnetwork: {SUBNET}}}
{phases}""", "acme.yaml")


def network_check(connection):
    return {r.id: (r.status, r.detail) for r in run_checks(spec(), connection)}["gcp-network"]


def subnet(fake, private_access=True, cidr="10.20.0.0/20"):
    fake.projects[PROJECT] = "ACTIVE"
    fake.subnetworks[SUBNET] = {"ipCidrRange": cidr, "privateIpGoogleAccess": private_access,
                                "network": LINK + NETWORK, "region": LINK + "projects/x/regions/europe-west1"}


def rule(**fields):
    return {"name": fields.pop("name", "r"), "network": LINK + NETWORK, "direction": "INGRESS", **fields}


def test_a_ready_network_passes(fake_gcp, connection):
    subnet(fake_gcp)
    fake_gcp.firewalls[HOST] = [
        rule(name="ssh", allowed=[{"IPProtocol": "tcp", "ports": ["22"]}], sourceRanges=["35.235.240.0/20"]),
        rule(name="other-net", network=LINK + f"projects/{HOST}/global/networks/else",
             allowed=[{"IPProtocol": "tcp"}], sourceTags=["dataflow"]),
        rule(name="dataflow", allowed=[{"IPProtocol": "tcp", "ports": ["12345-12346"]}],
             sourceTags=["dataflow"], targetTags=["dataflow"]),
    ]
    status, detail = network_check(connection)
    assert status == "pass", detail
    # The firewall list is paged (one rule per page in the fake) and read in the network's project.
    assert sum(1 for m, p in fake_gcp.requests if p == f"/compute/v1/projects/{HOST}/global/firewalls") == 3


def test_private_google_access_off_fails_with_the_command(fake_gcp, connection):
    subnet(fake_gcp, private_access=False)
    fake_gcp.firewalls[HOST] = [rule(allowed=[{"IPProtocol": "all"}], sourceRanges=["10.0.0.0/8"])]
    status, detail = network_check(connection)
    assert status == "fail"
    assert "Private Google Access is off on analytics" in detail
    assert f"--region europe-west1 --project {HOST} --enable-private-ip-google-access" in detail
    assert "firewall" not in detail  # a range covering the subnet on all ports is a valid rule


@pytest.mark.parametrize("rules", [
    [],
    [rule(allowed=[{"IPProtocol": "tcp", "ports": ["12345"]}], sourceTags=["dataflow"])],  # 12346 missing
    [rule(allowed=[{"IPProtocol": "tcp", "ports": ["12345-12346"]}], sourceRanges=["10.99.0.0/16"])],  # not ours
    [rule(allowed=[{"IPProtocol": "tcp", "ports": ["12345-12346"]}], sourceTags=["dataflow"], disabled=True)],
    [rule(allowed=[{"IPProtocol": "udp", "ports": ["12345-12346"]}], sourceTags=["dataflow"])],
    [rule(allowed=[{"IPProtocol": "tcp", "ports": ["12345-12346"]}], sourceTags=["dataflow"],
          targetTags=["web"])],
], ids=["none", "one-port", "other-range", "disabled", "udp", "other-target"])
def test_no_rule_for_dataflow_fails_with_the_rule_to_create(fake_gcp, connection, rules):
    subnet(fake_gcp)
    fake_gcp.firewalls[HOST] = rules
    status, detail = network_check(connection)
    assert status == "fail"
    assert "no firewall rule of corp lets Dataflow workers reach each other on TCP 12345-12346" in detail
    assert "--allow tcp:12345-12346 --source-tags dataflow" in detail


def test_an_unreadable_subnetwork_is_a_warning(fake_gcp, connection):
    fake_gcp.projects[PROJECT] = "ACTIVE"
    status, detail = network_check(connection)
    assert status == "warn" and "NOT_FOUND" in detail and "Private Google Access" in detail


def test_a_created_network_needs_nothing(fake_gcp, connection, gcp_spec):
    fake_gcp.projects[PROJECT] = "ACTIVE"
    results = {r.id: r for r in run_checks(gcp_spec(), connection)}
    assert results["gcp-network"].status == "pass"
    assert not any("subnetworks" in p for _, p in fake_gcp.requests)
