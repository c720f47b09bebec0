"""The AWS CI identity (templates/aws/ci.tf.j2): two roles trusting the account's GitHub OIDC provider.

Plan (pull requests, drift) reads configuration: ReadOnlyAccess with what reads data denied (object
contents except its own state, its lock and the files the blueprint uploads; kms:Decrypt except
through S3, and through Step Functions and Lambda for their definitions and environments; items, log
events, query results, secrets, messages, execution data).

Apply administers the platform: PowerUserAccess (every service but IAM, Organizations, Account), IAM
only on the blueprint's own names and roles only with the permissions boundary ci.tf creates (every
role of the blueprint carries it), S3 only on the blueprint's buckets and its own state prefix.
"""

from __future__ import annotations

from typing import Any

from dsaas_infra.bootstrap.partition import partition_of
from dsaas_infra.fleet.index import role_name
from dsaas_infra.render.aws import kms as aws_kms
from dsaas_infra.spec import aws_rules, ci_names
from dsaas_infra.spec.resolved import AwsSpec

# Every aws_iam_role of the blueprint but the CI roles carries this boundary (AwsContext.role_permissions_boundary).
ROLE_BOUNDARY_REF = "aws_iam_policy.ci_boundary.arn"


def role_permissions_boundary(spec: AwsSpec) -> str | None:
    """The HCL reference of the boundary the blueprint's roles carry, None without a created CI identity."""
    return ROLE_BOUNDARY_REF if spec.ci is not None and spec.ci.create_identity else None


# The objects Terraform uploads (aws_s3_object) are in the artifacts bucket under these prefixes; plan
# refreshes them (HeadObject needs s3:GetObject). A test checks that every aws_s3_object is covered.
MANAGED_OBJECT_PREFIXES = ("code/", "glue/scripts/")
# What returns an object's contents.
OBJECT_READ_ACTIONS = ("s3-object-lambda:GetObject", "s3:GetObject", "s3:GetObjectTorrent", "s3:GetObjectVersion",
                       "s3:GetObjectVersionTorrent")
# Reads of data, not configuration, that ReadOnlyAccess allows; no refresh of the blueprint's
# resource types needs them (tests/render/aws/test_ci_identity_aws.py: REFRESH_READS).
DATA_READ_ACTIONS = (
    "athena:GetQueryResults", "athena:GetQueryResultsStream", "dynamodb:BatchGetItem", "dynamodb:GetItem",
    "dynamodb:GetRecords", "dynamodb:Query", "dynamodb:Scan", "kinesis:GetRecords", "logs:FilterLogEvents",
    "logs:GetLogEvents", "logs:GetLogRecord", "logs:GetQueryResults", "logs:StartLiveTail", "logs:StartQuery",
    "sagemaker:BatchGetRecord", "sagemaker:GetRecord", "secretsmanager:GetSecretValue", "sqs:ReceiveMessage",
    # Execution inputs and outputs: plan decrypts through Step Functions for the definitions only.
    "states:DescribeExecution", "states:GetExecutionHistory",
)
# Terraform's refresh decrypts through these services with the blueprint's keys: DescribeStateMachine
# returns the definition of a state machine encrypted with a customer managed key, GetFunction the
# environment of a Lambda function encrypted with one (else the refresh fails or reads no variables).
REFRESH_DECRYPT_SERVICES = ("lambda", "states")


SESSION_SECONDS = ci_names.AWS_SESSION_SECONDS


# Every IAM role the blueprint creates, by what follows `<client>-<env>-` (a test checks the list against
# every aws_iam_role of the rendered examples). Apply may manage exactly these roles, not `<client>-<env>-*`:
# client `acme` (prod) would match every role of client `acme-prod` (`acme-prod-prod-*`). No suffix has an
# environment name as a part followed by more, so no exact name is another client's.
ROLE_SUFFIXES = ("deploy", "deploy-pipeline", "github-apply", "github-plan", "glue", "model-approved", "pipeline",
                 "pipeline-schedule", "predict", "sagemaker-execution", "sagemaker-pipeline",
                 "vpc-flow-logs")


def role_names(spec: AwsSpec) -> list[str]:
    """The names of every role the blueprint may create (the access phase's one per API consumer included)."""
    consumers = [f"api-{c.name}" for c in spec.phases.access.consumers]
    return sorted(f"{spec.name_prefix}-{s}" for s in (*ROLE_SUFFIXES, *consumers))


def boundary_name(spec: AwsSpec) -> str:
    # Outside the <name>-* policies apply may write (and denied to it by ARN as well).
    return f"dsaas-ci-boundary-{spec.name_prefix}"


def build(spec: AwsSpec, ctx: Any) -> dict[str, Any]:
    assert spec.ci is not None
    account = spec.aws.account_id
    arn = f"arn:{partition_of(spec.aws.region)}"
    state = f"{arn}:s3:::{spec.state.bucket}"
    state_key = f"{state}/{spec.state.prefix}/terraform.tfstate"
    lock_object = f"{state_key}.tflock"
    names = aws_rules.derived_names(spec)
    bucket_names = sorted(n.name for k, n in names.items() if k.startswith("bucket_"))
    own_buckets = [f"{arn}:s3:::{b}" for b in bucket_names]
    artifacts = f"{arn}:s3:::{names['bucket_artifacts'].name}"
    return dict(
        # The account's provider (bootstrap creates it) has a known ARN: no lookup by URL, which needs
        # iam:ListOpenIDConnectProviders on "*" that the apply role does not have.
        oidc_provider_arn_given=spec.ci.aws_oidc_provider_arn is not None,
        oidc_provider_arn=(spec.ci.aws_oidc_provider_arn
                           or f"{arn}:iam::{account}:oidc-provider/{ci_names.GITHUB_OIDC_HOST}"),
        oidc_host=ci_names.GITHUB_OIDC_HOST,
        roles={k: role_name(spec, k) for k in ci_names.PURPOSES},
        session_seconds=SESSION_SECONDS,
        aws_managed_policy=f"{arn}:iam::aws:policy/",
        # IAM apply may manage: exactly the roles the blueprint creates and passes (it creates no other
        # managed policy than the boundary and no instance profile: tests/render/aws/test_ci_identity_aws.py).
        own_roles=[f"{arn}:iam::{account}:role/{r}" for r in role_names(spec)],
        iam_resources=[f"{arn}:iam::{account}:role/{r}" for r in role_names(spec)],
        # What Terraform refreshes besides those: the OIDC provider, AWS managed policies, the boundary.
        iam_read_resources=[f"{arn}:iam::{account}:oidc-provider/{ci_names.GITHUB_OIDC_HOST}",
                            f"{arn}:iam::aws:policy/*", f"{arn}:iam::{account}:policy/{boundary_name(spec)}"],
        boundary_name=boundary_name(spec),
        # S3 native locking (use_lockfile): the lock is an object next to the state.
        lock_object_arn=lock_object,
        # The deprecated DynamoDB lock table, while a spec still names one.
        lock_table_arn=(f"{arn}:dynamodb:{spec.aws.region}:{account}:table/{spec.state.lock_table}"
                        if spec.state.lock_table else None),
        state_bucket_arn=state,
        object_read_actions=list(OBJECT_READ_ACTIONS),
        data_read_actions=list(DATA_READ_ACTIONS),
        plan_readable_objects=[state_key, lock_object, *(f"{artifacts}/{p}*" for p in MANAGED_OBJECT_PREFIXES)],
        s3_service=f"s3.{spec.aws.region}.amazonaws.com",
        refresh_decrypt_services=[f"{svc}.{spec.aws.region}.amazonaws.com" for svc in REFRESH_DECRYPT_SERVICES],
        # The keys of the families whose services are those (HCL references, once each).
        refresh_decrypt_keys=list(dict.fromkeys(
            ctx.kms[family] for family, info in aws_kms.FAMILIES.items()
            if set(info.services) & set(REFRESH_DECRYPT_SERVICES))),
        own_bucket_names=bucket_names,
        own_role_names=role_names(spec),
        managed_object_prefixes=list(MANAGED_OBJECT_PREFIXES),
        # Buckets (their configuration), the objects Terraform uploads and its state: no object of the
        # client's data (Terraform reads and writes none; force_destroy is off).
        apply_s3_resources=[*own_buckets, *(f"{artifacts}/{p}*" for p in MANAGED_OBJECT_PREFIXES), state,
                            f"{state}/{spec.state.prefix}/*"],
        # The backend lists the workspaces (prefix env:/) and its own prefix.
        state_list_prefixes=[f"{spec.state.prefix}/*", "env:/*"],
    )
