"""GCP preflight: the project's Vertex AI metadata store `default` (the blueprint leaves it to the first
pipeline run), against the local fake Google API server."""

from __future__ import annotations

import pytest
from google.auth.credentials import AnonymousCredentials

from dsaas_infra.preflight.gcp import run_checks
from dsaas_infra.preflight.gcp_session import Connection
from dsaas_infra.preflight.gcp_vertex_metadata import blueprint_key
from dsaas_infra.render.gcp import build as gcp_build

PROJECT = "acme-dsaas-prod"
STORE = f"projects/{PROJECT}/locations/europe-west1/metadataStores/default"


@pytest.fixture
def connection(fake_gcp):
    fake_gcp.projects[PROJECT] = "ACTIVE"
    return Connection(credentials=AnonymousCredentials(), endpoint=fake_gcp.url)


def store_check(spec, connection):
    return {r.id: (r.status, r.detail) for r in run_checks(spec, connection)}["gcp-metadata-store"]


def test_the_key_is_the_one_the_pipeline_runs_are_encrypted_with(gcp_spec):
    spec = gcp_spec()
    kms = gcp_build.build_context(spec).kms
    assert blueprint_key(spec) == (f"projects/{PROJECT}/locations/europe-west1/keyRings/{kms.key_ring}"
                                   f"/cryptoKeys/{kms.keys['vertex'].name}")
    assert blueprint_key(spec).endswith("/keyRings/acme-prod-keyring/cryptoKeys/acme-prod-vertex")


def test_a_fresh_project_passes_and_says_the_first_run_creates_the_store(fake_gcp, connection, gcp_spec):
    spec = gcp_spec()
    status, detail = store_check(spec, connection)
    assert status == "pass"
    assert detail == (f"no metadata store yet: the first pipeline run creates {STORE} encrypted with "
                      f"{blueprint_key(spec)}")
    assert ("GET", f"/v1/{STORE}") in fake_gcp.requests


def test_a_store_the_blueprint_created_passes(fake_gcp, connection, gcp_spec):
    spec = gcp_spec()
    fake_gcp.metadata_stores[STORE] = {"encryptionSpec": {"kmsKeyName": blueprint_key(spec)}}
    assert store_check(spec, connection) == ("pass", f"{STORE} exists, encrypted with the blueprint's key "
                                                     f"{blueprint_key(spec)}")


@pytest.mark.parametrize("store, held", [
    ({}, "Google-managed encryption"),
    ({"encryptionSpec": {"kmsKeyName": "projects/x/locations/europe-west1/keyRings/r/cryptoKeys/k"}},
     "key projects/x/locations/europe-west1/keyRings/r/cryptoKeys/k"),
])
def test_a_store_an_earlier_run_created_is_a_warning_that_says_what_to_do(fake_gcp, connection, gcp_spec,
                                                                           store, held):
    spec = gcp_spec()
    fake_gcp.metadata_stores[STORE] = store
    status, detail = store_check(spec, connection)
    assert status == "warn"
    assert detail.startswith(f"{STORE} already exists (an earlier pipeline run or experiment created it) with {held}: ")
    assert f"not under {blueprint_key(spec)}, and a store's key cannot be changed" in detail
    assert f"DELETE https://europe-west1-aiplatform.googleapis.com/v1/{STORE}" in detail


def test_an_unreadable_store_is_a_warning(fake_gcp, connection, gcp_spec):
    fake_gcp.metadata_store_denied = True  # as Vertex AI answers a caller without metadataStores.get
    status, detail = store_check(gcp_spec(), connection)
    assert status == "warn"
    assert detail.startswith(f"cannot read {STORE} (PERMISSION_DENIED: Permission "
                             "'aiplatform.metadataStores.get' denied")
    assert detail.endswith("if it exists, the pipeline's runs record their metadata there under the key it was "
                           "created with")


def test_without_a_data_phase_there_is_no_pipeline_to_ask_about(fake_gcp, connection, gcp_spec):
    spec = gcp_spec("phases: {data: {enabled: false}, training: {enabled: false}, deployment: {enabled: false}}",
                    maturity="reactive")
    assert store_check(spec, connection) == ("pass", "no data phase: the blueprint runs no pipeline")
    assert not [r for r in fake_gcp.requests if "metadataStores" in r[1]]
