"""GCP preflight: what the provider's shared Apigee organisation must give the client first, against the local fake.

The client's PSC network endpoint group only connects when the Apigee instance's service
attachment accepts the client project (consumerAcceptList), and the proxy deploys as the
service account the provider's baseline created for this client, on which the apply identity
needs actAs. Both are checked before Terraform runs, with what to do when they are missing.
"""

from __future__ import annotations

import pytest
from google.auth.credentials import AnonymousCredentials

from dsaas_infra.preflight.gcp import SHARED_APIGEE, apigee_project_permissions, run_checks
from dsaas_infra.preflight.gcp_apigee import accept_list_command
from dsaas_infra.preflight.gcp_session import Connection
from dsaas_infra.spec import load_spec
from tests.conftest import BLUEPRINTS

SPEC = load_spec(BLUEPRINTS / "gcp-managed.yaml")  # the shared organisation dsaas-apigee-prod
CLIENT, ORG, INSTANCE = SPEC.gcp.project_id, SPEC.gcp.apigee.project_id, SPEC.gcp.apigee.instance
PROXY = f"stark-prd-api@{ORG}.iam.gserviceaccount.com"
ACT_AS = "iam.serviceAccounts.actAs"


@pytest.fixture
def connection(fake_gcp):
    fake_gcp.projects[CLIENT] = "ACTIVE"
    return Connection(credentials=AnonymousCredentials(), endpoint=fake_gcp.url)


def check(connection, name, spec=SPEC):
    return {r.id: (r.status, r.detail) for r in run_checks(spec, connection)}[name]


def test_the_instance_accepts_the_client_project(fake_gcp, connection):
    fake_gcp.apigee_instances[f"organizations/{ORG}/instances/{INSTANCE}"] = {
        "consumerAcceptList": [ORG, CLIENT]}
    assert check(connection, "gcp-apigee-psc") == ("pass", f"instance {INSTANCE} of {ORG} accepts {CLIENT}")
    assert ("GET", f"/v1/organizations/{ORG}/instances/{INSTANCE}") in fake_gcp.requests


def test_an_accept_list_that_names_the_project_by_number_accepts_it(fake_gcp, connection):
    fake_gcp.project_numbers[CLIENT] = "123456789012"
    fake_gcp.apigee_instances[f"organizations/{ORG}/instances/{INSTANCE}"] = {
        "consumerAcceptList": [ORG, "123456789012"]}
    status, detail = check(connection, "gcp-apigee-psc")
    assert status == "pass" and "project number 123456789012" in detail


def test_a_project_missing_from_the_accept_list_fails_with_the_command_that_adds_it(fake_gcp, connection):
    fake_gcp.apigee_instances[f"organizations/{ORG}/instances/{INSTANCE}"] = {
        "consumerAcceptList": [ORG, "other-client-prod"]}
    status, detail = check(connection, "gcp-apigee-psc")
    assert status == "fail"
    assert f"does not accept project {CLIENT}" in detail and "PENDING" in detail
    command = accept_list_command(ORG, INSTANCE, [ORG, "other-client-prod"], CLIENT)
    assert detail.endswith(command)
    # The command keeps every client already accepted and adds this one.
    assert f'{{"consumerAcceptList": ["{ORG}", "other-client-prod", "{CLIENT}"]}}' in command
    assert command.endswith(f'/v1/organizations/{ORG}/instances/{INSTANCE}?updateMask=consumerAcceptList"')


def test_an_instance_the_caller_cannot_read_fails(fake_gcp, connection):
    status, detail = check(connection, "gcp-apigee-psc")
    assert status == "fail" and "NOT_FOUND" in detail and f"instance {INSTANCE} of organisation {ORG}" in detail


def test_the_baseline_proxy_account_with_act_as_passes(fake_gcp, connection):
    fake_gcp.service_accounts[PROXY] = {ACT_AS}
    assert check(connection, "gcp-apigee-proxy-account") == ("pass", f"may deploy the proxy as {PROXY}")
    assert ("POST", f"/v1/projects/{ORG}/serviceAccounts/{PROXY}:testIamPermissions") in fake_gcp.requests


def test_a_missing_proxy_account_says_what_the_baseline_must_create(fake_gcp, connection):
    status, detail = check(connection, "gcp-apigee-proxy-account")
    assert status == "fail" and detail.startswith(f"service account {PROXY} does not exist")
    assert "roles/iam.serviceAccountTokenCreator" in detail and "roles/iam.serviceAccountUser" in detail


def test_no_act_as_on_the_proxy_account_fails(fake_gcp, connection):
    fake_gcp.service_accounts[PROXY] = {"iam.serviceAccounts.get"}
    status, detail = check(connection, "gcp-apigee-proxy-account")
    assert status == "fail" and f"no {ACT_AS} on it" in detail


def test_the_apply_identity_needs_no_iam_administration_in_the_shared_project():
    project, wanted = apigee_project_permissions(SPEC)
    assert project == ORG
    assert not [p for p in wanted if p.startswith(("iam.", "resourcemanager.projects.setIamPolicy"))]
    assert set(wanted) == set(SHARED_APIGEE)


def test_a_dedicated_organisation_asks_the_shared_one_nothing(fake_gcp, connection, gcp_spec):
    spec = gcp_spec()  # apigee: dedicated
    fake_gcp.projects[spec.gcp.project_id] = "ACTIVE"
    assert check(connection, "gcp-apigee-psc", spec)[0] == "pass"
    assert check(connection, "gcp-apigee-proxy-account", spec)[0] == "pass"
    assert not any("/organizations/" in path or "serviceAccounts" in path for _, path in fake_gcp.requests)
