"""GCP preflight: the rights a billing budget needs on the billing account, against the local fake Google API server."""

from __future__ import annotations

import dataclasses

import pytest
from google.auth.credentials import AnonymousCredentials

from dsaas_infra.preflight.gcp import run_checks
from dsaas_infra.preflight.gcp_billing import BUDGET_PERMISSIONS
from dsaas_infra.preflight.gcp_session import Connection
from dsaas_infra.spec.model import Budget

PROJECT = "acme-dsaas-prod"
ACCOUNT = "0A1B2C-3D4E5F-6A7B8C"
BUDGET = "budget: {monthly_usd: 9000}\n"


@pytest.fixture
def connection(fake_gcp):
    fake_gcp.projects[PROJECT] = "ACTIVE"
    return Connection(credentials=AnonymousCredentials(), endpoint=fake_gcp.url)


def budget_check(spec, connection):
    return {r.id: (r.status, r.detail) for r in run_checks(spec, connection)}["gcp-budget"]


def with_account(gcp_spec):
    spec = gcp_spec()  # a budget without the account does not load (SPEC017): add both
    return dataclasses.replace(spec, gcp=spec.gcp.model_copy(update={"billing_account": ACCOUNT}),
                               budget=Budget(monthly_usd=9000))


def test_the_caller_may_create_the_budget(fake_gcp, connection, gcp_spec):
    fake_gcp.billing_granted[ACCOUNT] = set(BUDGET_PERMISSIONS)
    assert budget_check(with_account(gcp_spec), connection) == (
        "pass", f"may create the budget on billing account {ACCOUNT}")
    assert ("POST", f"/v1/billingAccounts/{ACCOUNT}:testIamPermissions") in fake_gcp.requests


def test_a_missing_budget_permission_fails_naming_the_role(fake_gcp, connection, gcp_spec):
    fake_gcp.billing_granted[ACCOUNT] = {"billing.budgets.get"}
    status, detail = budget_check(with_account(gcp_spec), connection)
    assert status == "fail"
    assert "billing.budgets.create" in detail and "billing.budgets.update" in detail
    assert "roles/billing.costsManager" in detail


def test_an_account_the_caller_cannot_see_fails(fake_gcp, connection, gcp_spec):
    status, detail = budget_check(with_account(gcp_spec), connection)
    assert status == "fail" and "PERMISSION_DENIED" in detail and ACCOUNT in detail


def test_a_budget_without_a_billing_account_is_a_located_spec_error(gcp_spec):
    """No budget resource could be created, so the spec does not load (SPEC017): preflight never meets one."""
    from dsaas_infra.errors import SpecError

    with pytest.raises(SpecError) as e:
        gcp_spec(BUDGET)
    lines = e.value.lines()
    assert len(lines) == 1 and lines[0].startswith("acme.yaml:") and lines[0].endswith("[SPEC017]"), lines
    assert "budget.monthly_usd" in lines[0] and "gcp.billing_account" in lines[0]


def test_no_budget_asks_nothing_of_billing(fake_gcp, connection, gcp_spec):
    status, detail = budget_check(gcp_spec(), connection)
    assert status == "pass" and "no budget" in detail
    assert not any("billingAccounts" in path for _, path in fake_gcp.requests)


def test_the_spec_takes_a_billing_account_in_google_format(gcp_spec):
    from dsaas_infra.errors import SpecError
    from dsaas_infra.spec import load_spec_text

    text = """
apiVersion: dsaas-infra/v1
client: {name: acme, environment: prod, owner: ml@acme.example, maturity: managed}
cloud: gcp
gcp: {project_id: acme-dsaas-prod, region: europe-west1, billing_account: "0a1b2c-3d4e5f"}
"""
    with pytest.raises(SpecError) as e:
        load_spec_text(text, "acme.yaml")
    assert "gcp.billing_account" in str(e.value)
