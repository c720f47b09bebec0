"""Rules of the CI identity keys (aws.ci_*, gcp.workload_identity_provider, ci.*) across keys."""

from __future__ import annotations

from dsaas_infra.spec import ci_names, gcp_rules
from dsaas_infra.spec.resolved import GcpSpec, ResolvedSpec

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
    if spec.cloud == "gcp" and spec.ci is not None and spec.ci.create_identity and spec.gcp is not None:
        problems.extend(_gcp_created_identity(spec))
    if spec.ci is not None and ".." in spec.ci.default_branch:
        problems.append((("ci", "default_branch"), "not a branch name (no '..')"))
    if spec.cloud == "gcp" and spec.gcp is not None and not (spec.ci is not None and spec.ci.create_identity):
        if bool(spec.gcp.workload_identity_provider) != bool(spec.gcp.ci_service_account):
            missing = "ci_service_account" if spec.gcp.workload_identity_provider else "workload_identity_provider"
            problems.append((("gcp", missing), "workload_identity_provider and ci_service_account go together"))
    if spec.cloud == "aws" and spec.ci is not None and spec.ci.create_identity:
        if spec.aws.ci_role_arn or spec.aws.ci_plan_role_arn:
            problems.append((("aws", "ci_role_arn"), "with ci.create_identity the blueprint creates the roles: "
                             "leave aws.ci_role_arn and aws.ci_plan_role_arn unset"))
    return problems


def _gcp_created_identity(spec: GcpSpec) -> list[Problem]:
    """ci.create_identity on GCP: the blueprint names the pool and accounts; what its CI grants must hold."""
    assert spec.gcp is not None and spec.ci is not None
    problems: list[Problem] = []
    for key in ("workload_identity_provider", "ci_service_account", "ci_plan_service_account"):
        if getattr(spec.gcp, key):
            problems.append((("gcp", key), "with ci.create_identity the blueprint creates the Workload Identity "
                             "Federation provider and the CI service accounts: leave gcp.workload_identity_provider, "
                             "gcp.ci_service_account and gcp.ci_plan_service_account unset"))
            break
    longest = max(len(s.encode()) for s in ci_names.github_subjects(spec).values())
    if longest > ci_names.GCP_SUBJECT_MAX:
        problems.append((("ci", "repository"), f"the GitHub subject repo:<repository>:environment:<env> is {longest} "
                         f"bytes; Workload Identity Federation keeps at most {ci_names.GCP_SUBJECT_MAX}"))
    # The apply identity administers the blueprint's buckets by name: the state must not be one.
    if spec.state.bucket in gcp_rules.bucket_names(spec).values():
        problems.append((("state", "bucket"), "is one of the blueprint's own buckets, which its CI apply identity "
                         "administers: keep the state in a bucket of its own"))
    return problems
