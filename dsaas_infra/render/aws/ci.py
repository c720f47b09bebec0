"""The AWS CI identity (templates/aws/ci.tf.j2): the GitHub OIDC provider it trusts and two roles."""

from __future__ import annotations

from typing import Any

from dsaas_infra.fleet.index import role_name
from dsaas_infra.spec import ci_names
from dsaas_infra.spec.resolved import AwsSpec


def build(spec: AwsSpec, ctx: Any) -> dict[str, Any]:
    assert spec.ci is not None
    account = spec.aws.account_id
    name = spec.name_prefix
    return dict(
        # None: the account's provider (bootstrap creates it) is looked up by its URL.
        oidc_provider_arn=spec.ci.aws_oidc_provider_arn,
        oidc_host=ci_names.GITHUB_OIDC_HOST,
        roles={k: role_name(spec, k) for k in ci_names.PURPOSES},
        # The apply role manages the client's platform: everything but IAM, plus IAM on the
        # blueprint's own names (roles, policies, profiles it creates and passes).
        iam_resources=[f"arn:aws:iam::{account}:{kind}/{name}-*"
                       for kind in ("role", "policy", "instance-profile")],
        # What Terraform refreshes besides those: the OIDC provider and AWS managed policies.
        iam_read_resources=[f"arn:aws:iam::{account}:oidc-provider/{ci_names.GITHUB_OIDC_HOST}",
                            "arn:aws:iam::aws:policy/*"],
        # S3 native locking (use_lockfile): the lock is an object next to the state.
        lock_object_arn=f"arn:aws:s3:::{spec.state.bucket}/{spec.state.prefix}/terraform.tfstate.tflock",
        # The deprecated DynamoDB lock table, while a spec still names one.
        lock_table_arn=(f"arn:aws:dynamodb:{spec.aws.region}:{account}:table/{spec.state.lock_table}"
                        if spec.state.lock_table else None),
        state_bucket_arn=f"arn:aws:s3:::{spec.state.bucket}",
    )
