"""GCP preflight: Vertex AI training and serving quotas, against the local fake Google API server."""

from __future__ import annotations

import pytest
from google.auth.credentials import AnonymousCredentials

from dsaas_infra.preflight.gcp import needed_permissions, run_checks
from dsaas_infra.preflight.gcp_session import Connection
from dsaas_infra.preflight.gcp_vertex_quotas import cpu_metric, needed
from dsaas_infra.render.gcp import build as gcp_build

PROJECT = "acme-dsaas-prod"
SERVICE = "aiplatform.googleapis.com"


@pytest.fixture
def connection(fake_gcp):
    return Connection(credentials=AnonymousCredentials(), endpoint=fake_gcp.url)


def ready(fake, spec, region="europe-west1", headroom=0):
    fake.projects[PROJECT] = "ACTIVE"
    fake.granted.update(needed_permissions(spec))
    # An unrelated metric first: the list is paged (one per page), the ones that matter come later.
    infos = fake.quota_infos.setdefault(SERVICE, {"aiplatform.googleapis.com/a_first_unrelated_metric": {"": 5}})
    for row in needed(spec):
        infos[row["metric"]] = {"": 0, region: row["amount"] + headroom}


def result(spec, connection):
    return {r.id: (r.status, r.detail) for r in run_checks(spec, connection)}["gcp-vertex-quotas"]


@pytest.mark.parametrize("use, machine, metric", [
    ("training", "n1-standard-8", "custom_model_training_cpus"),
    ("training", "e2-standard-4", "custom_model_training_cpus"),
    ("training", "n2-standard-8", "custom_model_training_n2_cpus"),
    ("serving", "n2-standard-4", "custom_model_serving_n2_cpus"),
    ("serving", "c2-standard-8", "custom_model_serving_c2_cpus"),
])
def test_vertex_meters_vcpus_per_machine_family(use, machine, metric):
    assert cpu_metric(use, machine) == f"{SERVICE}/{metric}"


def test_what_the_loop_needs(gcp_spec):
    rows = {r["metric"]: r for r in needed(gcp_spec())}
    pipeline = gcp_build.build_context(gcp_spec()).pipeline
    serving = rows[cpu_metric("serving", pipeline.serving_machine_type)]
    vcpus = int(pipeline.serving_machine_type.rsplit("-", 1)[1])
    # Every variant at max_replicas, plus the new version while it comes up.
    assert serving["amount"] == (len(pipeline.variants) + 1) * pipeline.max_replicas * vcpus
    training = rows[cpu_metric("training", pipeline.training_machine_type)]
    assert training["amount"] == int(pipeline.training_machine_type.rsplit("-", 1)[1])


def test_enough_quota_passes_and_reads_the_region_not_the_default(fake_gcp, connection, gcp_spec):
    spec = gcp_spec()
    ready(fake_gcp, spec)
    status, detail = result(spec, connection)
    assert status == "pass", detail
    assert ("GET", f"/v1/projects/{PROJECT}/locations/global/services/{SERVICE}/quotaInfos") in fake_gcp.requests


def test_a_fresh_projects_serving_quota_fails_with_the_number_to_request(fake_gcp, connection, gcp_spec):
    spec = gcp_spec()
    ready(fake_gcp, spec)
    pipeline = gcp_build.build_context(spec).pipeline
    metric = cpu_metric("serving", pipeline.serving_machine_type)
    wanted = next(r["amount"] for r in needed(spec) if r["metric"] == metric)
    fake_gcp.quota_infos[SERVICE][metric] = {"": 8}  # no regional override: the default applies
    status, detail = result(spec, connection)
    assert status == "fail"
    assert f"{metric} (europe-west1): needs {wanted} vCPUs" in detail and "limit 8" in detail
    assert f"request a limit of at least {wanted}" in detail


def test_a_quota_cloud_quotas_does_not_report_is_a_warning(fake_gcp, connection, gcp_spec):
    spec = gcp_spec()
    ready(fake_gcp, spec)
    missing = needed(spec)[0]["metric"]
    del fake_gcp.quota_infos[SERVICE][missing]
    status, detail = result(spec, connection)
    assert status == "warn" and missing in detail


def test_an_unreadable_quota_api_is_a_warning_that_lists_what_to_check(fake_gcp, connection, gcp_spec):
    spec = gcp_spec()
    ready(fake_gcp, spec)
    fake_gcp.quota_infos.clear()  # the fake answers 403, as for a project without the Cloud Quotas API
    status, detail = result(spec, connection)
    assert status == "warn"  # a check that did not run is never a pass
    assert "cannot read the Vertex AI quotas" in detail and "Cloud Quotas API has not been used" in detail
    assert all(r["metric"] in detail for r in needed(spec))
