"""GCP preflight against a local fake of the Resource Manager v3 and Cloud Storage REST APIs."""

from __future__ import annotations

import pytest
from google.auth.credentials import AnonymousCredentials

from dsaas_infra.preflight.gcp import PERMISSIONS, needed_permissions, run_checks
from dsaas_infra.preflight.gcp_session import Connection

PROJECT = "acme-dsaas-prod"
BUCKET = "acme-dsaas-prod-prod-tfstate"


def statuses(results):
    return {r.id: (r.status, r.detail) for r in results}


@pytest.fixture
def connection(fake_gcp):
    return Connection(credentials=AnonymousCredentials(), endpoint=fake_gcp.url)


def all_good(fake, spec):
    fake.projects[PROJECT] = "ACTIVE"
    fake.granted.update(needed_permissions(spec))
    fake.buckets[BUCKET] = {"name": BUCKET, "versioning": {"enabled": True}}


def test_all_good(fake_gcp, connection, gcp_spec):
    spec = gcp_spec()
    all_good(fake_gcp, spec)
    results = statuses(run_checks(spec, connection))
    # Quotas and org policies: tests/preflight/test_preflight_gcp_limits.py.
    assert results.pop("gcp-org-policies")[0] == "pass"
    assert results.pop("gcp-quotas")[0] == "warn"  # the fake reports no quotas here
    assert results.pop("gcp-vertex-quotas")[0] == "warn"  # nor Vertex AI's (test_preflight_gcp_vertex_quotas.py)
    # No metadata store yet (test_preflight_gcp_metadata_store.py).
    assert results.pop("gcp-metadata-store")[0] == "pass"
    assert results.pop("gcp-network")[0] == "pass"  # the blueprint creates its network
    # No budget in this spec: tests/preflight/test_preflight_gcp_budget.py.
    assert results.pop("gcp-budget")[0] == "pass"
    # A dedicated Apigee organisation: nothing from a shared one (test_preflight_gcp_apigee.py).
    assert results.pop("gcp-apigee-psc")[0] == results.pop("gcp-apigee-proxy-account")[0] == "pass"
    assert results == {
        "gcp-credentials": ("pass", "AnonymousCredentials"),
        "gcp-project": ("pass", f"{PROJECT} is ACTIVE"),
        "gcp-permissions": ("pass", f"all {len(needed_permissions(spec))} permissions held"),
        "gcp-state-bucket": ("pass", BUCKET),
    }
    assert ("POST", f"/v3/projects/{PROJECT}:testIamPermissions") in fake_gcp.requests


def test_missing_project_stops_the_checks(fake_gcp, connection, gcp_spec):
    results = statuses(run_checks(gcp_spec(), connection))
    status, detail = results["gcp-project"]
    assert status == "fail"
    assert detail.startswith(f"project {PROJECT} does not exist or these credentials cannot see it")
    assert results["gcp-permissions"][0] == results["gcp-state-bucket"][0] == "skip"


def test_project_being_deleted(fake_gcp, connection, gcp_spec):
    spec = gcp_spec()
    all_good(fake_gcp, spec)
    fake_gcp.projects[PROJECT] = "DELETE_REQUESTED"
    status, detail = statuses(run_checks(spec, connection))["gcp-project"]
    assert status == "fail"
    assert detail == (f"project {PROJECT} is DELETE_REQUESTED, not ACTIVE "
                      "(it is being deleted: `gcloud projects undelete` restores it)")


def test_missing_permissions_are_named(fake_gcp, connection, gcp_spec):
    spec = gcp_spec()
    all_good(fake_gcp, spec)
    fake_gcp.granted -= {"aiplatform.endpoints.create", "apigee.organizations.create"}
    status, detail = statuses(run_checks(spec, connection))["gcp-permissions"]
    assert status == "fail"
    assert detail == "missing 2 permission(s): aiplatform.endpoints.create, apigee.organizations.create"


@pytest.mark.parametrize("bucket, expected", [
    (None, ("fail", f"{BUCKET} does not exist: run `dsaas-infra bootstrap SPEC`")),
    ({"name": BUCKET}, ("fail", f"{BUCKET}: versioning is off (state history could be lost)")),
])
def test_state_bucket(fake_gcp, connection, gcp_spec, bucket, expected):
    spec = gcp_spec()
    all_good(fake_gcp, spec)
    fake_gcp.buckets.clear()
    if bucket:
        fake_gcp.buckets[BUCKET] = bucket
    assert statuses(run_checks(spec, connection))["gcp-state-bucket"] == expected


def test_permissions_follow_the_enabled_phases(gcp_spec):
    reactive = gcp_spec(maturity="reactive")
    wanted = needed_permissions(reactive)
    assert not reactive.phases.access.enabled
    assert not set(PERMISSIONS["access"]) & set(wanted)
    assert set(PERMISSIONS["shared"]) | set(PERMISSIONS["data"]) <= set(wanted)
    assert set(PERMISSIONS["access"]) <= set(needed_permissions(gcp_spec()))


def test_unreachable_api_fails_fast(gcp_spec):
    import time

    started = time.monotonic()
    conn = Connection(credentials=AnonymousCredentials(), endpoint="http://127.0.0.1:1")
    status, detail = statuses(run_checks(gcp_spec(), conn))["gcp-project"]
    assert status == "fail" and detail.startswith(f"project {PROJECT}: ")
    assert time.monotonic() - started < 30
