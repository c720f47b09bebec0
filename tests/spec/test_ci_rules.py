"""The CI identity keys: formats, and the rules across keys (accounts, pairs, create_identity)."""

from __future__ import annotations

import pytest

from dsaas_infra.errors import SpecError
from dsaas_infra.spec import load_spec_text
from tests.spec.conftest import GOOD_AWS

GCP = """apiVersion: dsaas-infra/v1
client: {name: acme, environment: prod, maturity: reactive, owner: ml@acme.example}
cloud: gcp
gcp:
  project_id: acme-dsaas-prod
  region: europe-west1
"""
ROLE = "arn:aws:iam::123456789012:role/acme-prod-github-apply"
WIF = "projects/123456789012/locations/global/workloadIdentityPools/acme-prod-gh/providers/github"
SA = "acme-ci@acme-dsaas-prod.iam.gserviceaccount.com"


def aws(extra: str, ci: str = "") -> str:
    return GOOD_AWS.replace('account_id: "123456789012"\n', f'account_id: "123456789012"\n{extra}') + ci


def test_valid_identities_load():
    spec = load_spec_text(aws(f"  ci_role_arn: {ROLE}\n"))
    assert spec.aws.ci_role_arn == ROLE and spec.ci is None
    spec = load_spec_text(GCP + f"  workload_identity_provider: {WIF}\n  ci_service_account: {SA}\n")
    assert spec.gcp.workload_identity_provider == WIF
    spec = load_spec_text(aws("", "ci:\n  repository: dsaas-co/fleet\n  create_identity: true\n"))
    assert spec.ci.create_identity and spec.ci.aws_oidc_provider_arn is None


@pytest.mark.parametrize("text, fragment", [
    (aws("  ci_role_arn: arn:aws:iam::999999999999:role/x\n"), "aws.ci_role_arn: role is in account 999999999999"),
    (aws("  ci_role_arn: not-an-arn\n"), "aws.ci_role_arn"),
    (aws("  ci_plan_role_arn: arn:aws:iam::999999999999:role/x\n"), "aws.ci_plan_role_arn: role is in account"),
    (aws("", "ci:\n  repository: no-slash\n"), "ci.repository"),
    (aws("", "ci:\n  repository: a/b\n  aws_oidc_provider_arn: arn:aws:iam::999999999999:oidc-provider/"
             "token.actions.githubusercontent.com\n"), "ci.aws_oidc_provider_arn: the OIDC provider must be in"),
    (aws(f"  ci_role_arn: {ROLE}\n", "ci:\n  repository: a/b\n  create_identity: true\n"),
     "with ci.create_identity the blueprint creates the roles"),
    (GCP + f"  workload_identity_provider: {WIF}\n", "gcp.ci_service_account: workload_identity_provider and"),
    (GCP + "  workload_identity_provider: projects/acme/locations/global/workloadIdentityPools/p/providers/x\n",
     "gcp.workload_identity_provider"),
    (GCP + "ci:\n  repository: a/b\n  aws_oidc_provider_arn: arn:aws:iam::123456789012:oidc-provider/"
           "token.actions.githubusercontent.com\n", "only allowed when cloud is aws"),
])
def test_bad_identities_are_located_errors(text, fragment):
    with pytest.raises(SpecError) as info:
        load_spec_text(text, "s.yaml")
    assert any(fragment in line for line in info.value.lines()), info.value.lines()
    assert all(line.startswith("s.yaml:") for line in info.value.lines())
