"""GCP bootstrap against a local fake of the Cloud Storage JSON API."""

from __future__ import annotations

import pytest
from google.auth.credentials import AnonymousCredentials

from dsaas_infra.bootstrap.gcp import bootstrap
from dsaas_infra.errors import OperationError
from dsaas_infra.preflight.gcp_session import Connection

BUCKET = "acme-dsaas-prod-prod-tfstate"


@pytest.fixture
def connection(fake_gcp):
    return Connection(credentials=AnonymousCredentials(), endpoint=fake_gcp.url)


def test_creates_a_versioned_private_bucket(fake_gcp, connection, gcp_spec):
    steps = bootstrap(gcp_spec(), connection)
    assert [(s.resource, s.outcome) for s in steps] == [(f"gcs bucket {BUCKET}", "created")]
    created = fake_gcp.buckets[BUCKET]
    assert created["project"] == "acme-dsaas-prod"
    assert created["location"] == "europe-west1"
    assert created["versioning"] == {"enabled": True}
    assert created["iamConfiguration"]["uniformBucketLevelAccess"]["enabled"] is True
    assert created["iamConfiguration"]["publicAccessPrevention"] == "enforced"
    assert created["labels"]["managed-by"] == "dsaas-infra"


def test_second_bootstrap_is_a_no_op(fake_gcp, connection, gcp_spec):
    bootstrap(gcp_spec(), connection)
    posts = [r for r in fake_gcp.requests if r[0] == "POST"]
    steps = bootstrap(gcp_spec(), connection)
    assert [s.outcome for s in steps] == ["exists"]
    assert [r for r in fake_gcp.requests if r[0] == "POST"] == posts


def test_existing_weak_bucket_is_reported_and_left_untouched(fake_gcp, connection, gcp_spec):
    fake_gcp.buckets[BUCKET] = {"name": BUCKET, "versioning": {"enabled": False}}
    steps = bootstrap(gcp_spec(), connection)
    assert steps[0].outcome == "warn"
    assert steps[0].detail == ("already existed, left unchanged; it lacks: versioning, "
                               "uniform bucket-level access, public access prevention")
    assert fake_gcp.buckets[BUCKET] == {"name": BUCKET, "versioning": {"enabled": False}}
    assert all(method == "GET" for method, _ in fake_gcp.requests)


def test_unreachable_api_is_an_operation_error(gcp_spec):
    conn = Connection(credentials=AnonymousCredentials(), endpoint="http://127.0.0.1:1")
    with pytest.raises(OperationError, match="bootstrap failed: .*safe to run it again"):
        bootstrap(gcp_spec(), conn)
