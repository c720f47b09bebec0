"""The optional CI identity of a blueprint (ci.create_identity): values for templates/aws/ci.tf.j2.

GitHub Actions jobs of the fleet repository authenticate without stored keys: to AWS with the
account's GitHub OIDC provider and two roles (GCP: not rendered yet; the spec refuses it). The apply
identity is trusted only from the GitHub environment `<client>-<env>` (approvals per client), the
read-only plan identity only from `<client>-<env>-plan`.
"""

from __future__ import annotations

from typing import Any

from dsaas_infra.fleet.index import role_name
from dsaas_infra.spec.resolved import ResolvedSpec

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"


def enabled(spec: ResolvedSpec) -> bool:
    # AWS only for now: the GCP identity (WIF pool, provider, service accounts) is not rendered yet
    # (spec rule ci.create_identity refuses it on GCP).
    return spec.cloud == "aws" and spec.ci is not None and spec.ci.create_identity


def files(spec: ResolvedSpec) -> list[tuple[str, str]]:
    return [("ci.tf", f"{spec.cloud}/ci.tf.j2")] if enabled(spec) else []


def context(spec: ResolvedSpec) -> dict[str, Any]:
    if not enabled(spec):
        return {}
    assert spec.ci is not None
    name = spec.name_prefix
    environments = {"apply": name, "plan": f"{name}-plan"}
    ci: dict[str, Any] = {"repository": spec.ci.repository, "environments": environments}
    if spec.cloud == "aws":
        assert spec.aws is not None
        account = spec.aws.account_id
        ci.update(
            create_oidc_provider=spec.ci.aws_oidc_provider_arn is None,
            oidc_provider_arn=spec.ci.aws_oidc_provider_arn,
            oidc_host=GITHUB_OIDC_HOST,
            issuer=GITHUB_ISSUER,
            subjects={k: f"repo:{spec.ci.repository}:environment:{v}" for k, v in environments.items()},
            roles={k: role_name(spec, k) for k in ("apply", "plan")},
            # The apply role manages the client's platform: everything but IAM, plus IAM on the
            # blueprint's own names (roles, policies, profiles it creates and passes).
            iam_resources=[f"arn:aws:iam::{account}:{kind}/{name}-*"
                           for kind in ("role", "policy", "instance-profile")],
            # What Terraform refreshes besides those: the OIDC provider and AWS managed policies.
            iam_read_resources=[f"arn:aws:iam::{account}:oidc-provider/{GITHUB_OIDC_HOST}",
                                "arn:aws:iam::aws:policy/*"],
            # S3 native locking (use_lockfile): the lock is an object next to the state.
            lock_object_arn=f"arn:aws:s3:::{spec.state.bucket}/{spec.state.prefix}/terraform.tfstate.tflock",
            # The deprecated DynamoDB lock table, while a spec still names one.
            lock_table_arn=(f"arn:aws:dynamodb:{spec.aws.region}:{account}:table/{spec.state.lock_table}"
                            if spec.state.lock_table else None),
            state_bucket_arn=f"arn:aws:s3:::{spec.state.bucket}",
        )
    return {"ci": ci}
