"""Names of the CI identity a blueprint creates (ci.create_identity), shared by the renderer and the fleet."""

from __future__ import annotations

from dsaas_infra.spec.gcp_rules import ENV_SHORT
from dsaas_infra.spec.resolved import GcpSpec, ResolvedSpec

PURPOSES = ("apply", "plan")
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
# How long an AWS CI login lasts (aws-actions/configure-aws-credentials `role-duration-seconds`, at most
# the role's max_session_duration; IAM allows 3600 to 43200). A managed blueprint's first apply
# (SageMaker domain, endpoints, VPC endpoints) can outlast an hour; a plan does not. A role the spec
# names (aws.ci_role_arn) is asked for the action's default hour (IAM's default maximum).
AWS_SESSION_SECONDS = {"apply": 4 * 3600, "plan": 3600}
AWS_DEFAULT_SESSION_SECONDS = 3600
# Workload Identity Federation: one provider per pool; the pool is the client's.
GCP_WIF_PROVIDER_ID = "github"
# Service account id suffixes (ids are 6-30 chars: the longest client name, 20, leaves 5).
GCP_SA_SUFFIX = {"apply": "ci", "plan": "cipl"}
# google.subject holds at most 127 bytes: the GitHub subject must fit.
GCP_SUBJECT_MAX = 127


def environments(spec: ResolvedSpec) -> dict[str, str]:
    """The GitHub environment each identity is trusted from: <client>-<env> (apply), <client>-<env>-plan."""
    name = spec.name_prefix
    return {"apply": name, "plan": f"{name}-plan"}


def github_subjects(spec: ResolvedSpec) -> dict[str, str]:
    """The `sub` claim of a job of the fleet repository in each environment (exact, no wildcard)."""
    assert spec.ci is not None
    return {k: f"repo:{spec.ci.repository}:environment:{v}" for k, v in environments(spec).items()}


def gcp_pool_id(spec: GcpSpec) -> str:
    return f"{spec.client.name}-{ENV_SHORT[spec.client.environment]}-github"


def gcp_service_account_ids(spec: GcpSpec) -> dict[str, str]:
    return {k: f"{spec.client.name}-{ENV_SHORT[spec.client.environment]}-{v}" for k, v in GCP_SA_SUFFIX.items()}


def gcp_service_accounts(spec: GcpSpec) -> dict[str, str]:
    return {k: f"{v}@{spec.gcp.project_id}.iam.gserviceaccount.com" for k, v in gcp_service_account_ids(spec).items()}


def gcp_provider_name(spec: GcpSpec) -> str | None:
    """projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/github (None without the number)."""
    if not spec.gcp.project_number:
        return None
    return (f"projects/{spec.gcp.project_number}/locations/global/workloadIdentityPools/{gcp_pool_id(spec)}"
            f"/providers/{GCP_WIF_PROVIDER_ID}")
