"""AWS preflight: credentials, account, region, state bucket and locking, SageMaker quotas."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from dsaas_infra.preflight.aws_session import AWS_ERRORS, client, describe, error_code, session
from dsaas_infra.preflight.results import Check, CheckResult, Outcome, run_all
from dsaas_infra.preflight.s3_owner import expect_owner, foreign_owner
from dsaas_infra.spec.model import ClientSpec
from dsaas_infra.spec.sizes import aws_inference_type, aws_training_type

BOOTSTRAP_HINT = "run `dsaas-infra bootstrap SPEC`"


@dataclass
class Context:
    spec: ClientSpec
    session: Any
    identity: dict[str, str] = field(default_factory=dict)

    def client(self, service: str, region: str | None = None):
        assert self.spec.aws is not None
        return client(self.session, service, region or self.spec.aws.region)


def check_credentials(ctx: Context) -> Outcome:
    try:
        ctx.identity = ctx.client("sts").get_caller_identity()
    except AWS_ERRORS as e:
        return ("fail", describe(e))
    return ("pass", ctx.identity.get("Arn", ""))


def check_account(ctx: Context) -> Outcome:
    want = ctx.spec.aws.account_id
    got = ctx.identity.get("Account")
    if got != want:
        return ("fail", f"the credentials belong to account {got} ({ctx.identity.get('Arn')}), "
                 f"the spec says {want}")
    return ("pass", want)


def check_region(ctx: Context) -> Outcome:
    region = ctx.spec.aws.region
    try:
        # Asked in us-east-1, which is always enabled: a disabled region's own endpoint
        # would only answer with an authentication error.
        regions = ctx.client("ec2", "us-east-1").describe_regions(
            AllRegions=True, RegionNames=[region])["Regions"]
    except AWS_ERRORS as e:
        return ("warn", f"cannot tell ({describe(e)})")
    status = regions[0].get("OptInStatus", "") if regions else "unknown"
    if status in ("opt-in-not-required", "opted-in"):
        return ("pass", f"{region} ({status})")
    return ("fail", f"{region} is {status}: enable it under Account > AWS Regions first")


def check_state_bucket(ctx: Context) -> Outcome:
    bucket = ctx.spec.state.bucket
    # Every call names the spec's account as the owner: another account's bucket of this
    # name is refused by S3 itself, never inspected as if it were the client's.
    s3 = expect_owner(ctx.client("s3"), ctx.spec.aws.account_id)
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as e:
        if error_code(e) in ("404", "NoSuchBucket", "NotFound"):
            return ("fail", f"{bucket} does not exist: {BOOTSTRAP_HINT}")
        if error_code(e) in ("403", "AccessDenied"):
            foreign = foreign_owner(ctx.client("s3"), bucket, ctx.spec.aws.account_id)
            if foreign:
                return ("fail", f"{foreign}: choose another state.bucket")
            return ("fail", f"{bucket} exists but these credentials cannot use it (another account's?)")
        return ("fail", f"{bucket}: {describe(e)}")
    except AWS_ERRORS as e:
        return ("fail", f"{bucket}: {describe(e)}")
    problems = []
    try:
        if s3.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled":
            problems.append("versioning is off (state history could be lost)")
        try:
            s3.get_bucket_encryption(Bucket=bucket)
        except ClientError as e:
            if error_code(e) != "ServerSideEncryptionConfigurationNotFoundError":
                raise
            problems.append("no default encryption")
    except AWS_ERRORS as e:
        return ("fail", f"{bucket}: {describe(e)}")
    if problems:
        return ("fail", f"{bucket}: {'; '.join(problems)}")
    return ("pass", bucket)


def legacy_lock_table(bucket: str) -> str:
    """The DynamoDB lock table earlier releases created by default (bootstrap) and rendered."""
    return f"{bucket}-lock"


def check_state_lock(ctx: Context) -> Outcome:
    """S3 native locking needs nothing but the bucket; a DynamoDB table is checked only if the spec
    still names one (deprecated) and a table left from an earlier release is pointed out."""
    table = ctx.spec.state.lock_table
    if table:
        try:
            desc = ctx.client("dynamodb").describe_table(TableName=table)["Table"]
        except ClientError as e:
            if error_code(e) == "ResourceNotFoundException":
                return ("fail", f"{table} does not exist (and bootstrap no longer creates lock tables): "
                        "remove state.lock_table from the spec, S3 native locking needs no table")
            return ("fail", f"{table}: {describe(e)}")
        except AWS_ERRORS as e:
            return ("fail", f"{table}: {describe(e)}")
        keys = [(k["AttributeName"], k["KeyType"]) for k in desc.get("KeySchema", [])]
        if keys != [("LockID", "HASH")]:
            return ("fail", f"{table} must have the string hash key LockID (Terraform's lock key)")
        return ("warn", f"S3 lock file and {table} (state.lock_table is deprecated: remove it once every "
                "run uses this version)")
    native = "S3 lock file (use_lockfile)"
    legacy = legacy_lock_table(ctx.spec.state.bucket)
    try:
        ctx.client("dynamodb").describe_table(TableName=legacy)
    except ClientError as e:
        if error_code(e) == "ResourceNotFoundException":
            return ("pass", native)
        return ("pass", f"{native}; could not look for an old lock table ({describe(e)})")
    except AWS_ERRORS as e:
        return ("pass", f"{native}; could not look for an old lock table ({describe(e)})")
    return ("warn", f"{native}, but the DynamoDB lock table {legacy} of an earlier release exists: while any run "
            f"still uses an older rendering, set state.lock_table: {legacy} so that both locks are taken; "
            "delete the table afterwards")


def needed_quotas(spec: ClientSpec) -> list[str]:
    """The SageMaker quota names the blueprint relies on, from the resolved instance types."""
    names = []
    t, d = spec.phases.training, spec.phases.deployment
    if t.enabled:
        names.append(f"{t.instance_type or aws_training_type(t.size, t.gpu)} for training job usage")
    if d.enabled and d.realtime:
        names.append(f"{d.instance_type or aws_inference_type(d.size, d.gpu)} for endpoint usage")
    return names


def _quota_values(sq, operation: str) -> dict[str, float]:
    values: dict[str, float] = {}
    for page in sq.get_paginator(operation).paginate(ServiceCode="sagemaker"):
        for q in page.get("Quotas", []):
            values[q["QuotaName"]] = q.get("Value", 0)
    return values


def check_sagemaker_quotas(ctx: Context) -> Outcome:
    names = needed_quotas(ctx.spec)
    if not names:
        return ("pass", "no SageMaker instances needed")
    sq = ctx.client("service-quotas")
    try:
        values = _quota_values(sq, "list_service_quotas")
        if any(n not in values for n in names):
            # Quotas never raised are listed only among the defaults.
            values = {**_quota_values(sq, "list_aws_default_service_quotas"), **values}
    except AWS_ERRORS as e:
        # Quotas are advisory: Terraform itself reports a quota error; do not block on it.
        return ("warn", f"cannot read them ({describe(e)})")
    zero = [n for n in names if values.get(n) == 0]
    unknown = [n for n in names if n not in values]
    if zero:
        return ("fail", f"quota is 0 for {', '.join(zero)}: request an increase in Service Quotas")
    if unknown:
        return ("warn", f"no quota named {', '.join(unknown)}")
    return ("pass", ", ".join(f"{n}: {values[n]:g}" for n in names))


# After a blocking check fails the later ones would only repeat its error or look at the wrong
# account, so they are reported as skipped.
CHECKS = [
    Check("aws-credentials", "credentials resolve", check_credentials, blocking=True),
    Check("aws-account", "account matches aws.account_id", check_account, blocking=True),
    Check("aws-region", "region enabled", check_region, blocking=True),
    Check("aws-state-bucket", "state bucket (versioning, encryption)", check_state_bucket),
    Check("aws-state-lock", "state locking", check_state_lock),
    Check("aws-sagemaker-quotas", "SageMaker quotas above zero", check_sagemaker_quotas),
]


def run_checks(spec: ClientSpec, sess: Any = None) -> list[CheckResult]:
    return run_all(CHECKS, Context(spec, sess if sess is not None else session()))
