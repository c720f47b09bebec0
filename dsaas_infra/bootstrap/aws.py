"""AWS state storage: an S3 bucket (versioning, KMS encryption, no public access, TLS only); Terraform
locks state with a lock file in it (use_lockfile), so no DynamoDB table is created. A deprecated
state.lock_table is only inspected. Then the account baseline (aws_account). Existing resources are
only inspected, never changed."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from dsaas_infra.bootstrap import aws_account
from dsaas_infra.bootstrap.partition import partition_of
from dsaas_infra.bootstrap.steps import Step
from dsaas_infra.errors import OperationError
from dsaas_infra.preflight import aws as preflight
from dsaas_infra.preflight.aws_session import AWS_ERRORS, describe, error_code, session
from dsaas_infra.preflight.s3_owner import expect_owner, foreign_owner
from dsaas_infra.spec.resolved import AwsSpec

PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
ENCRYPTION = {
    "Rules": [{
        # The AWS-managed aws/s3 key: encrypted with KMS without a key to manage before the
        # blueprint (which creates the client's own key) even exists.
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"},
        "BucketKeyEnabled": True,
    }]
}


def tls_only_policy(bucket: str, partition: str = "aws") -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:{partition}:s3:::{bucket}", f"arn:{partition}:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }],
    })


def _tags(spec: AwsSpec) -> list[dict[str, str]]:
    return [{"Key": "managed-by", "Value": "dsaas-infra"},
            {"Key": "client", "Value": spec.client.name},
            {"Key": "environment", "Value": spec.client.environment}]


def _create_bucket(s3: Any, spec: AwsSpec, bucket: str) -> None:
    region = spec.aws.region
    kwargs: dict[str, Any] = {"Bucket": bucket, "ObjectOwnership": "BucketOwnerEnforced"}
    if region != "us-east-1":  # us-east-1 rejects an explicit location constraint
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**kwargs)
    # Locked down before anything can be written into it.
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=PUBLIC_ACCESS_BLOCK)
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=ENCRYPTION)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_policy(Bucket=bucket, Policy=tls_only_policy(bucket, partition_of(region)))
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tags(spec)})


def _weaknesses(s3: Any, bucket: str) -> list[str]:
    """What an existing bucket lacks compared with one we create (reported, not fixed)."""
    missing = []
    if s3.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled":
        missing.append("versioning")
    for call, label, not_found in (
        (s3.get_bucket_encryption, "default encryption", "ServerSideEncryptionConfigurationNotFoundError"),
        (s3.get_public_access_block, "public access block", "NoSuchPublicAccessBlockConfiguration"),
        (s3.get_bucket_policy, "TLS-only policy", "NoSuchBucketPolicy"),
    ):
        try:
            result = call(Bucket=bucket)
        except ClientError as e:
            if error_code(e) != not_found:
                raise
            missing.append(label)
            continue
        if label == "public access block" and not all(result["PublicAccessBlockConfiguration"].values()):
            missing.append("full public access block")
        if label == "TLS-only policy" and "aws:SecureTransport" not in result.get("Policy", ""):
            missing.append(label)
    return missing


def ensure_bucket(s3: Any, spec: AwsSpec, plain_s3: Any = None) -> Step:
    """``s3`` passes ExpectedBucketOwner on every call (s3_owner.expect_owner); ``plain_s3``,
    without it, only tells a bucket of another account from one we may not read."""
    bucket = spec.state.bucket
    resource = f"s3 bucket {bucket}"
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as e:
        if error_code(e) in ("403", "AccessDenied"):
            foreign = foreign_owner(plain_s3, bucket, spec.aws.account_id) if plain_s3 is not None else None
            if foreign:
                raise OperationError(f"{foreign}: choose another state.bucket") from e
            raise OperationError(f"{bucket}: exists but these credentials cannot use it "
                                 "(S3 bucket names are global: it may belong to another account)") from e
        if error_code(e) not in ("404", "NoSuchBucket", "NotFound"):
            raise
        _create_bucket(s3, spec, bucket)
        return Step(resource, "created", "versioning, SSE-KMS, public access block, TLS-only policy")
    missing = _weaknesses(s3, bucket)
    if missing:
        return Step(resource, "warn", f"already existed, left unchanged; it lacks: {', '.join(missing)}")
    return Step(resource, "exists", "already existed with versioning and encryption; left unchanged")


def inspect_lock_table(ddb: Any, spec: AwsSpec) -> Step:
    """The deprecated state.lock_table: never created now (S3 native locking needs no table), only
    checked, because the rendered backend still locks it for one release of migration."""
    table = spec.state.lock_table
    resource = f"dynamodb table {table}"
    try:
        desc = ddb.describe_table(TableName=table)["Table"]
    except ClientError as e:
        if error_code(e) != "ResourceNotFoundException":
            raise
        return Step(resource, "warn", "state.lock_table names a table that does not exist and bootstrap no "
                    "longer creates lock tables (state is locked in S3): remove state.lock_table from the spec")
    keys = [(k["AttributeName"], k["KeyType"]) for k in desc.get("KeySchema", [])]
    if keys != [("LockID", "HASH")]:
        return Step(resource, "warn", "already existed without the hash key LockID: Terraform cannot lock with it")
    return Step(resource, "exists", "deprecated state.lock_table: locked as well as the S3 lock file for this "
                "release; left unchanged")


def bootstrap(spec: AwsSpec, sess: Any = None) -> list[Step]:
    ctx = preflight.Context(spec, sess if sess is not None else session())
    # Never create anything in an account the spec does not name.
    for check in (preflight.check_credentials, preflight.check_account):
        status, detail = check(ctx)
        if status == "fail":
            raise OperationError(f"bootstrap stopped before creating anything: {detail}")
    try:
        s3 = expect_owner(ctx.client("s3"), spec.aws.account_id)
        steps = [ensure_bucket(s3, spec, ctx.client("s3"))]
        if spec.state.lock_table:
            steps.append(inspect_lock_table(ctx.client("dynamodb"), spec))
        # Once per account and region, shared by every client there (bootstrap/aws_account.py).
        return steps + aws_account.ensure_baseline(ctx.client, spec)
    except AWS_ERRORS as e:
        raise OperationError(f"bootstrap failed: {describe(e)} (it is safe to run it again)") from e
