"""AWS preflight: credentials, account, region, state bucket and locking, quotas the blueprint needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from dsaas_infra.preflight.aws_alerts import check_alert_subscriptions
from dsaas_infra.preflight.aws_cost_tags import check_cost_allocation_tags
from dsaas_infra.preflight.aws_limits import check_cloudtrail_trails
from dsaas_infra.preflight.aws_session import AWS_ERRORS, client, describe, error_code, session
from dsaas_infra.preflight.results import Check, CheckResult, Outcome, run_all
from dsaas_infra.preflight.s3_owner import expect_owner, foreign_owner
from dsaas_infra.spec.aws_capacity import (
    LAMBDA_CONCURRENCY_QUOTA,
    LAMBDA_UNRESERVED_MINIMUM,
    interface_endpoints_to_create,
    quota_needs,
)
from dsaas_infra.spec.resolved import AwsSpec

BOOTSTRAP_HINT = "run `dsaas-infra bootstrap SPEC`"


@dataclass
class Context:
    spec: AwsSpec
    session: Any
    identity: dict[str, str] = field(default_factory=dict)
    # Ready-made clients by service (tests hand in botocore-Stubber clients for APIs moto lacks).
    clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str, region: str | None = None):
        assert self.spec.aws is not None
        if service in self.clients and region is None:
            return self.clients[service]
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


def _quota_values(sq, operation: str, service: str) -> dict[str, tuple[str, float]]:
    """Quota name -> (quota code, value) of one service."""
    values: dict[str, tuple[str, float]] = {}
    for page in sq.get_paginator(operation).paginate(ServiceCode=service):
        for q in page.get("Quotas", []):
            values[q["QuotaName"]] = (q.get("QuotaCode", "?"), q.get("Value", 0))
    return values


def _request_hint(service: str, code: str, value: int) -> str:
    return (f"request {value} (aws service-quotas request-service-quota-increase --service-code "
            f"{service} --quota-code {code} --desired-value {value})")


def check_sagemaker_quotas(ctx: Context) -> Outcome:
    """Each SageMaker instance quota against the count the blueprint needs (spec/aws_capacity.py)."""
    needs = [n for n in quota_needs(ctx.spec) if n.service == "sagemaker"]
    if not needs:
        return ("pass", "no SageMaker instances needed")
    sq = ctx.client("service-quotas")
    try:
        values = _quota_values(sq, "list_service_quotas", "sagemaker")
        if any(n.name not in values for n in needs):
            # Quotas never raised are listed only among the defaults.
            values = {**_quota_values(sq, "list_aws_default_service_quotas", "sagemaker"), **values}
    except AWS_ERRORS as e:
        return ("warn", f"cannot read them ({describe(e)}); the table in the blueprint's README lists what to request")
    fails, warns, passes = [], [], []
    for n in needs:
        if n.name not in values:
            warns.append(f"no quota named {n.name!r} in this region (is the instance type offered here?)")
            continue
        code, value = values[n.name]
        if value < n.needed:
            fails.append(f"{n.name} ({code}) is {value:g}, the blueprint needs {n.needed} ({n.why}): "
                         + _request_hint("sagemaker", code, n.target))
        elif value < n.target:
            warns.append(f"{n.name} ({code}) is {value:g}: enough to start, a deploy at full scale needs "
                         f"{n.target}: " + _request_hint("sagemaker", code, n.target))
        else:
            passes.append(f"{n.name}: {value:g} >= {n.target}")
    if fails:
        return ("fail", "; ".join(fails + warns))
    if warns:
        return ("warn", "; ".join(warns + passes))
    return ("pass", ", ".join(passes))


def check_lambda_concurrency(ctx: Context) -> Outcome:
    """The predict function's reserved concurrency fits the account (AWS keeps 100 unreserved)."""
    need = next((n for n in quota_needs(ctx.spec) if n.service == "lambda"), None)
    if need is None:
        return ("pass", "no reserved Lambda concurrency needed")
    reserved = need.needed - LAMBDA_UNRESERVED_MINIMUM
    lam = ctx.client("lambda")
    function = f"{ctx.spec.name_prefix}-predict"
    try:
        settings = lam.get_account_settings()["AccountLimit"]
        try:
            ours = lam.get_function_concurrency(FunctionName=function).get("ReservedConcurrentExecutions") or 0
        except ClientError as e:
            if error_code(e) != "ResourceNotFoundException":
                raise
            ours = 0
    except AWS_ERRORS as e:
        return ("warn", f"cannot read the Lambda account settings ({describe(e)})")
    limit = settings.get("ConcurrentExecutions", 0)
    unreserved = settings.get("UnreservedConcurrentExecutions", limit) + ours
    code = LAMBDA_CONCURRENCY_QUOTA
    if limit < need.needed:
        return ("fail", f"Concurrent executions ({code}) is {limit}, the blueprint needs {need.needed} "
                f"({need.why}): " + _request_hint("lambda", code, need.needed))
    if unreserved - reserved < LAMBDA_UNRESERVED_MINIMUM:
        taken = limit - unreserved
        return ("fail", f"other functions reserve {taken} of {limit}: reserving {reserved} would leave "
                f"{unreserved - reserved} unreserved (AWS keeps {LAMBDA_UNRESERVED_MINIMUM}): "
                + _request_hint("lambda", code, need.needed + taken))
    return ("pass", f"{limit} (reserves {reserved}, {unreserved - reserved} stay unreserved)")


def check_vpc_endpoints(ctx: Context) -> Outcome:
    """A reused VPC: the endpoints it has match aws.network.existing_endpoints (no duplicates)."""
    network = ctx.spec.aws.network
    if network is None or not ctx.spec.phases.training.enabled:
        return ("pass", "the blueprint creates its own VPC and endpoints")
    region = ctx.spec.aws.region
    try:
        found = ctx.client("ec2").describe_vpc_endpoints(
            Filters=[{"Name": "vpc-id", "Values": [network.vpc_id]}])["VpcEndpoints"]
    except AWS_ERRORS as e:
        return ("warn", f"cannot list the VPC's endpoints ({describe(e)})")
    have: dict[str, str] = {}
    for ep in found:
        if ep.get("State", "").lower() in ("deleted", "deleting", "failed", "rejected", "expired"):
            continue
        service = ep.get("ServiceName", "").removeprefix(f"com.amazonaws.{region}.")
        # Only endpoints that would clash: interface endpoints with private DNS, S3 gateways.
        if ep.get("VpcEndpointType") == "Gateway" and service == "s3" or ep.get("PrivateDnsEnabled"):
            have[service] = ep.get("VpcEndpointId", "?")
    named = set(network.existing_endpoints)
    creates = set(interface_endpoints_to_create(ctx.spec)) | ({"s3"} - named)
    clash = sorted(creates & set(have))
    missing = sorted(named - set(have))
    problems = []
    if clash:
        problems.append("the VPC already has " + ", ".join(f"{s} ({have[s]})" for s in clash)
                        + ": add them to aws.network.existing_endpoints (a second one cannot be created)")
    if missing:
        problems.append("aws.network.existing_endpoints names " + ", ".join(missing)
                        + f" but {network.vpc_id} has no such endpoint (with private DNS)")
    if problems:
        return ("fail", "; ".join(problems))
    used = sorted(named)
    return ("pass", f"uses {', '.join(used)}; creates the rest" if used else "creates every endpoint")


def check_apigateway_logging(ctx: Context) -> Outcome:
    """API Gateway's account-wide CloudWatch role (the account baseline) is set."""
    if not ctx.spec.phases.access.enabled:
        return ("pass", "no API in this blueprint")
    try:
        role = ctx.client("apigateway").get_account().get("cloudwatchRoleArn")
    except AWS_ERRORS as e:
        return ("warn", f"cannot read the API Gateway account settings ({describe(e)})")
    if not role:
        return ("fail", f"API Gateway has no CloudWatch role in this account and region (the stage's "
                f"execution logging would fail the apply): {BOOTSTRAP_HINT}")
    return ("pass", role)


def check_github_oidc_provider(ctx: Context) -> Outcome:
    """ci.create_identity: the CI roles trust the account's GitHub OIDC provider by ARN (bootstrap creates it)."""
    ci = ctx.spec.ci
    if ci is None or not ci.create_identity:
        return ("pass", "no CI identity in this blueprint")
    from dsaas_infra.bootstrap.partition import partition_of
    from dsaas_infra.spec import ci_names

    arn = ci.aws_oidc_provider_arn or (f"arn:{partition_of(ctx.spec.aws.region)}:iam::{ctx.spec.aws.account_id}"
                                       f":oidc-provider/{ci_names.GITHUB_OIDC_HOST}")
    try:
        listed = ctx.client("iam").list_open_id_connect_providers().get("OpenIDConnectProviderList", [])
    except AWS_ERRORS as e:
        return ("warn", f"cannot list the account's OIDC providers ({describe(e)})")
    if arn not in {p.get("Arn") for p in listed}:
        where = "ci.aws_oidc_provider_arn" if ci.aws_oidc_provider_arn else "ci.create_identity"
        return ("fail", f"{where}: the CI roles trust the GitHub OIDC provider {arn}, which this account does not "
                f"have (the apply of ci.tf would fail): {BOOTSTRAP_HINT}")
    return ("pass", arn)


# After a blocking check fails the later ones would only repeat its error or look at the wrong
# account, so they are reported as skipped.
CHECKS = [
    Check("aws-credentials", "credentials resolve", check_credentials, blocking=True),
    Check("aws-account", "account matches aws.account_id", check_account, blocking=True),
    Check("aws-region", "region enabled", check_region, blocking=True),
    Check("aws-state-bucket", "state bucket (versioning, encryption)", check_state_bucket),
    Check("aws-state-lock", "state locking", check_state_lock),
    Check("aws-sagemaker-quotas", "SageMaker instance quotas cover the blueprint", check_sagemaker_quotas),
    Check("aws-lambda-concurrency", "Lambda concurrency for the API", check_lambda_concurrency),
    Check("aws-vpc-endpoints", "reused VPC's endpoints match the spec", check_vpc_endpoints),
    Check("aws-apigateway-logging", "API Gateway CloudWatch role (account baseline)", check_apigateway_logging),
    Check("aws-github-oidc", "GitHub OIDC provider for the CI identity (account baseline)", check_github_oidc_provider),
    Check("aws-cloudtrail-trails", "room for the audit trail (5 trails per region)", check_cloudtrail_trails),
    Check("aws-cost-allocation-tags", "the budget's tags are active cost allocation tags",
          check_cost_allocation_tags),
    Check("aws-alert-subscriptions", "alert e-mail subscriptions confirmed (after the apply)",
          check_alert_subscriptions),
]


def run_checks(spec: AwsSpec, sess: Any = None) -> list[CheckResult]:
    return run_all(CHECKS, Context(spec, sess if sess is not None else session()))
