"""Rules of the CI identity keys (aws.ci_*, gcp.workload_identity_provider, ci.*) across keys."""

from __future__ import annotations

from dsaas_infra.spec.resolved import ResolvedSpec

Problem = tuple[tuple[str | int, ...], str]


def check(spec: ResolvedSpec) -> list[Problem]:
    problems: list[Problem] = []
    if spec.cloud == "aws" and spec.aws is not None:
        for key in ("ci_role_arn", "ci_plan_role_arn"):
            arn = getattr(spec.aws, key)
            if arn and arn.split(":")[4] != spec.aws.account_id:
                problems.append((("aws", key), f"role is in account {arn.split(':')[4]}, not in this client's "
                                 f"account {spec.aws.account_id}"))
        provider = spec.ci.aws_oidc_provider_arn if spec.ci else None
        if provider and provider.split(":")[4] != spec.aws.account_id:
            problems.append((("ci", "aws_oidc_provider_arn"), "the OIDC provider must be in this client's account "
                             f"{spec.aws.account_id}"))
    if spec.cloud == "gcp" and spec.ci is not None and spec.ci.aws_oidc_provider_arn:
        problems.append((("ci", "aws_oidc_provider_arn"), "only allowed when cloud is aws"))
    if spec.cloud == "gcp" and spec.ci is not None and spec.ci.create_identity:
        problems.append((("ci", "create_identity"), "not available on GCP yet: create the Workload Identity "
                         "Federation pool, provider and service accounts, then set gcp.workload_identity_provider "
                         "and gcp.ci_service_account"))
    if spec.cloud == "gcp" and spec.gcp is not None:
        if bool(spec.gcp.workload_identity_provider) != bool(spec.gcp.ci_service_account):
            missing = "ci_service_account" if spec.gcp.workload_identity_provider else "workload_identity_provider"
            problems.append((("gcp", missing), "workload_identity_provider and ci_service_account go together"))
    if spec.cloud == "aws" and spec.ci is not None and spec.ci.create_identity:
        if spec.aws.ci_role_arn or spec.aws.ci_plan_role_arn:
            problems.append((("aws", "ci_role_arn"), "with ci.create_identity the blueprint creates the roles: "
                             "leave aws.ci_role_arn and aws.ci_plan_role_arn unset"))
    return problems
