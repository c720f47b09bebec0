"""Rules of the CI identity keys (aws.ci_*, gcp.workload_identity_provider, ci.*) across keys.

What is common to every cloud is here; each cloud's own rules are its registry entry's ``ci_rules``
(clouds/aws.py, clouds/gcp.py call check_aws / check_gcp below).
"""

from __future__ import annotations

from dsaas_infra import clouds
from dsaas_infra.spec import ci_names, gcp_rules
from dsaas_infra.spec.resolved import AwsSpec, GcpSpec, ResolvedSpec

Problem = tuple[tuple[str | int, ...], str]


def check(spec: ResolvedSpec) -> list[Problem]:
    problems = clouds.of(spec).ci_rules(spec)
    if spec.ci is not None and ".." in spec.ci.default_branch:
        problems.append((("ci", "default_branch"), "not a branch name (no '..')"))
    return problems


def check_aws(spec: AwsSpec) -> list[Problem]:
    problems: list[Problem] = []
    for key in ("ci_role_arn", "ci_plan_role_arn"):
        arn = getattr(spec.aws, key)
        if arn and arn.split(":")[4] != spec.aws.account_id:
            problems.append((("aws", key), f"role is in account {arn.split(':')[4]}, not in this client's "
                             f"account {spec.aws.account_id}"))
    provider = spec.ci.aws_oidc_provider_arn if spec.ci else None
    if provider and provider.split(":")[4] != spec.aws.account_id:
        problems.append((("ci", "aws_oidc_provider_arn"), "the OIDC provider must be in this client's account "
                         f"{spec.aws.account_id}"))
    if spec.ci is not None and spec.ci.create_identity:
        if spec.aws.ci_role_arn or spec.aws.ci_plan_role_arn:
            problems.append((("aws", "ci_role_arn"), "with ci.create_identity the blueprint creates the roles: "
                             "leave aws.ci_role_arn and aws.ci_plan_role_arn unset"))
    return problems


def check_gcp(spec: GcpSpec) -> list[Problem]:
    problems: list[Problem] = []
    if spec.ci is not None and spec.ci.aws_oidc_provider_arn:
        problems.append((("ci", "aws_oidc_provider_arn"), "only allowed when cloud is aws"))
    if spec.ci is not None and spec.ci.create_identity:
        problems.extend(_gcp_created_identity(spec))
    elif bool(spec.gcp.workload_identity_provider) != bool(spec.gcp.ci_service_account):
        missing = "ci_service_account" if spec.gcp.workload_identity_provider else "workload_identity_provider"
        problems.append((("gcp", missing), "workload_identity_provider and ci_service_account go together"))
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
