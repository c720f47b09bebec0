"""Preflight asks for actAs on every service account the rendered blueprint attaches to a resource.

Creating a resource that runs as a service account (a scheduler job's OAuth token, a Workbench
instance, an Apigee proxy deployment) needs iam.serviceAccounts.actAs on that account; without it
the apply fails halfway. The list preflight tests is checked against the rendered HCL here.
"""

from __future__ import annotations

import re

import pytest
from google.auth.credentials import AnonymousCredentials

from dsaas_infra.preflight.gcp import (
    ACT_AS,
    SHARED_APIGEE,
    apigee_project_permissions,
    attached_service_accounts,
    needed_permissions,
    run_checks,
)
from dsaas_infra.preflight.gcp_session import Connection
from dsaas_infra.render import render_blueprint
from dsaas_infra.spec import load_spec
from tests.conftest import example_specs

GCP_SPECS = {p.stem: p for p in example_specs() if p.stem.startswith("gcp-")}
# Attributes through which a resource runs as a service account of the blueprint.
ATTACHING = re.compile(
    r"^\s*(service_account|service_account_email|email)\s*=\s*google_service_account\.([a-z_]+)\.email\s*$",
    re.MULTILINE)


def attached_in_hcl(files: dict[str, bytes]) -> set[str]:
    out = set()
    for name, content in files.items():
        if name.endswith(".tf") and name != "outputs.tf":
            out |= {m.group(2) for m in ATTACHING.finditer(content.decode())}
    return out


@pytest.mark.parametrize("stem", sorted(GCP_SPECS))
def test_every_attached_account_is_in_the_preflight_list(stem):
    spec = load_spec(GCP_SPECS[stem])
    attached = attached_in_hcl(render_blueprint(spec))
    assert attached, "the examples attach accounts (scheduler, workbench)"
    listed = {account for account, _ in attached_service_accounts(spec)}
    shared = spec.phases.access.enabled and spec.gcp.apigee.organization == "shared"
    # The shared organisation's proxy account comes from the provider's baseline (a data source):
    # the apply identity's actAs on it is checked by gcp-apigee-proxy-account, not project-wide.
    assert listed == attached
    assert ACT_AS in needed_permissions(spec)
    if shared:
        files = render_blueprint(spec)
        access = files["access.tf"].decode()
        assert 'data "google_service_account" "apigee_proxy" {' in access
        assert 'resource "google_service_account" "apigee_proxy"' not in access
        # Nothing in the blueprint sets IAM in the shared project (no account, no grant on one).
        assert "google_service_account_iam_member" not in access
        deployment = access[access.index('resource "google_apigee_api_deployment" "predict"'):]
        assert "service_account = data.google_service_account.apigee_proxy.email" in deployment.split("\n}")[0]
        project, wanted = apigee_project_permissions(spec)
        assert project == spec.gcp.apigee.project_id
        assert not [p for p in wanted if p.startswith("iam.")]


@pytest.fixture
def connection(fake_gcp):
    return Connection(credentials=AnonymousCredentials(), endpoint=fake_gcp.url)


def test_shared_organisation_permissions_are_tested_on_its_project(fake_gcp, connection):
    spec = load_spec(GCP_SPECS["gcp-managed"])
    client, apigee = spec.gcp.project_id, spec.gcp.apigee.project_id
    fake_gcp.projects[client] = "ACTIVE"
    fake_gcp.granted_on[client] = set(needed_permissions(spec))
    fake_gcp.granted_on[apigee] = set(SHARED_APIGEE) - {"apigee.deployments.create"}
    results = {r.id: (r.status, r.detail) for r in run_checks(spec, connection)}
    assert results["gcp-permissions"] == (
        "fail", f"missing 1 permission(s): apigee.deployments.create on {apigee}")
    assert ("POST", f"/v3/projects/{apigee}:testIamPermissions") in fake_gcp.requests
    fake_gcp.granted_on[apigee].add("apigee.deployments.create")
    fake_gcp.granted_on[client].discard(ACT_AS)
    results = {r.id: (r.status, r.detail) for r in run_checks(spec, connection)}
    assert results["gcp-permissions"] == ("fail", f"missing 1 permission(s): {ACT_AS}")
    fake_gcp.granted_on[client].add(ACT_AS)
    status, _ = {r.id: (r.status, r.detail) for r in run_checks(spec, connection)}["gcp-permissions"]
    assert status == "pass"


def test_without_a_ci_account_the_blueprint_still_grants_nothing_in_the_shared_project():
    from dsaas_infra.spec import load_spec_text

    text = GCP_SPECS["gcp-managed"].read_text()
    spec = load_spec_text("\n".join(line for line in text.splitlines()
                                    if not line.strip().startswith(("ci_service_account:", "workload_identity"))),
                          "stark.yaml")
    assert spec.gcp.ci_service_account is None and spec.gcp.apigee.organization == "shared"
    access = render_blueprint(spec)["access.tf"].decode()
    assert "google_client_openid_userinfo" not in access
    assert "google_service_account_iam_member" not in access
