"""The AWS account baseline: what exists once per account and region, never in a client's stack.

SageMaker and Glue write to log groups of fixed names shared by every client of the account, and
API Gateway logs through one CloudWatch role per account and region. A client blueprint owning
them would be overwritten by the next client and break the others on destroy, so bootstrap
creates them once: a KMS key for those log groups, the groups with that key and a retention, and
API Gateway's role. The GitHub OIDC provider is one per account as well (a second
`aws_iam_openid_connect_provider` for the same URL fails with EntityAlreadyExists): bootstrap creates it
when the spec's blueprint creates its CI identity (ci.create_identity), and the client stacks look it
up by its URL. What already exists is only inspected, never changed (reported as `warn`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from dsaas_infra.bootstrap.partition import partition_of
from dsaas_infra.bootstrap.steps import Step
from dsaas_infra.preflight.aws_session import error_code
from dsaas_infra.spec import ci_names
from dsaas_infra.spec.resolved import AwsSpec

KEY_ALIAS = "alias/dsaas-account-logs"
# Service-created log groups of fixed names (one per account and region).
LOG_GROUPS = (
    "/aws/sagemaker/TrainingJobs",
    "/aws/sagemaker/ProcessingJobs",
    "/aws/sagemaker/TransformJobs",
    "/aws/sagemaker/NotebookInstances",
    "/aws/sagemaker/studio",
    "/aws-glue/crawlers",
)
APIGATEWAY_ROLE = "dsaas-apigateway-cloudwatch"
# What AWS's AmazonAPIGatewayPushToCloudWatchLogs grants, limited to this account's log groups.
APIGATEWAY_ACTIONS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups",
                      "logs:DescribeLogStreams", "logs:FilterLogEvents", "logs:GetLogEvents", "logs:PutLogEvents"]
TAGS = {"managed-by": "dsaas-infra", "scope": "account-baseline"}
# GitHub Actions' OIDC tokens are for STS. IAM verifies GitHub's issuer against its own trusted CAs
# (no thumbprint is used for it); the API still stores one, so GitHub's published ones are given.
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"
GITHUB_OIDC_THUMBPRINTS = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]


def needs_github_oidc_provider(spec: AwsSpec) -> bool:
    """The blueprint creates CI roles trusting the account's provider, and the spec names none of its own."""
    return spec.ci is not None and spec.ci.create_identity and spec.ci.aws_oidc_provider_arn is None


def ensure_github_oidc_provider(iam: Any, account: str, partition: str = "aws") -> Step:
    resource = f"iam oidc provider {ci_names.GITHUB_OIDC_HOST}"
    arn = f"arn:{partition}:iam::{account}:oidc-provider/{ci_names.GITHUB_OIDC_HOST}"
    for provider in iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", []):
        if provider["Arn"] != arn:
            continue
        audiences = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn).get("ClientIDList", [])
        if GITHUB_OIDC_AUDIENCE not in audiences:
            return Step(resource, "warn", f"already existed without the audience {GITHUB_OIDC_AUDIENCE}; left "
                        f"unchanged: aws iam add-client-id-to-open-id-connect-provider --open-id-connect-"
                        f"provider-arn {arn} --client-id {GITHUB_OIDC_AUDIENCE}")
        return Step(resource, "exists", "already existed; left unchanged (shared by every client of the account)")
    iam.create_open_id_connect_provider(
        Url=ci_names.GITHUB_ISSUER, ClientIDList=[GITHUB_OIDC_AUDIENCE], ThumbprintList=GITHUB_OIDC_THUMBPRINTS,
        Tags=[{"Key": k, "Value": v} for k, v in TAGS.items()])
    return Step(resource, "created", "GitHub Actions OIDC for the account's CI roles (account wide)")


def _key_policy(account: str, region: str) -> str:
    partition = partition_of(region)
    groups = [f"arn:{partition}:logs:{region}:{account}:log-group:{name}" for name in LOG_GROUPS]
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AccountAdministersKeyAndDelegatesToIam", "Effect": "Allow",
             "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "CloudWatchLogsEncryptsTheBaselineLogGroups", "Effect": "Allow",
             "Principal": {"Service": f"logs.{region}.amazonaws.com"},
             "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
             "Resource": "*",
             "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": groups}}},
        ],
    })


def ensure_key(kms: Any, spec: AwsSpec) -> tuple[Step, str]:
    for page in kms.get_paginator("list_aliases").paginate():
        for alias in page.get("Aliases", []):
            if alias["AliasName"] == KEY_ALIAS and alias.get("TargetKeyId"):
                arn = kms.describe_key(KeyId=alias["TargetKeyId"])["KeyMetadata"]["Arn"]
                return Step(f"kms key {KEY_ALIAS}", "exists", "already existed; left unchanged"), arn
    key = kms.create_key(
        Description="dsaas-infra account baseline: the service-created SageMaker and Glue log groups",
        Policy=_key_policy(spec.aws.account_id, spec.aws.region),
        Tags=[{"TagKey": k, "TagValue": v} for k, v in TAGS.items()],
    )["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])
    kms.create_alias(AliasName=KEY_ALIAS, TargetKeyId=key["KeyId"])
    detail = "yearly rotation; usable by CloudWatch Logs for the baseline log groups only"
    return Step(f"kms key {KEY_ALIAS}", "created", detail), key["Arn"]


def ensure_log_groups(logs: Any, spec: AwsSpec, key_arn: str) -> list[Step]:
    retention = spec.phases.data.log_retention_days
    existing: dict[str, dict] = {}
    for prefix in sorted({n.rsplit("/", 1)[0] + "/" for n in LOG_GROUPS}):
        for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix):
            for group in page.get("logGroups", []):
                existing[group["logGroupName"]] = group
    steps = []
    for name in LOG_GROUPS:
        resource = f"log group {name}"
        group = existing.get(name)
        if group is None:
            logs.create_log_group(logGroupName=name, kmsKeyId=key_arn, tags=TAGS)
            logs.put_retention_policy(logGroupName=name, retentionInDays=retention)
            steps.append(Step(resource, "created", f"KMS ({KEY_ALIAS}), {retention} days"))
            continue
        lacks = [label for label, field in (("a KMS key", "kmsKeyId"), ("a retention", "retentionInDays"))
                 if not group.get(field)]
        if lacks:
            fix = (f"aws logs associate-kms-key --log-group-name {name} --kms-key-id {key_arn}; "
                   f"aws logs put-retention-policy --log-group-name {name} --retention-in-days {retention}")
            steps.append(Step(resource, "warn", f"already existed (created by the service?) without "
                              f"{' and '.join(lacks)}; left unchanged: {fix}"))
        else:
            steps.append(Step(resource, "exists", "already existed with a KMS key and a retention; left unchanged"))
    return steps


def ensure_apigateway_role(iam: Any, apigw: Any, account: str,
                           wait: Callable[[float], None] = time.sleep, partition: str = "aws") -> list[Step]:
    current = apigw.get_account().get("cloudwatchRoleArn")
    if current:
        return [Step("api gateway cloudwatch role", "exists", f"already set to {current}; left unchanged")]
    steps = []
    try:
        arn = iam.get_role(RoleName=APIGATEWAY_ROLE)["Role"]["Arn"]
        steps.append(Step(f"iam role {APIGATEWAY_ROLE}", "exists", "already existed; left unchanged"))
    except ClientError as e:
        if error_code(e) != "NoSuchEntity":
            raise
        # API Gateway is not documented to send aws:SourceAccount when it assumes this role: no
        # condition (a StringEquals on a missing key would refuse it).
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        arn = iam.create_role(
            RoleName=APIGATEWAY_ROLE, AssumeRolePolicyDocument=json.dumps(trust),
            Description="API Gateway (all APIs of this account and region): writes execution logs to CloudWatch Logs",
            Tags=[{"Key": k, "Value": v} for k, v in TAGS.items()],
        )["Role"]["Arn"]
        iam.put_role_policy(RoleName=APIGATEWAY_ROLE, PolicyName="push-to-cloudwatch-logs", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": APIGATEWAY_ACTIONS,
                           "Resource": f"arn:{partition}:logs:*:{account}:log-group:*"}],
        }))
        steps.append(Step(f"iam role {APIGATEWAY_ROLE}", "created", "writes API Gateway logs of this account"))
    # IAM is eventually consistent: API Gateway refuses a brand-new role for a few seconds.
    for attempt in range(12):
        try:
            apigw.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": arn}])
            break
        except ClientError as e:
            if error_code(e) != "BadRequestException" or attempt == 11:
                raise
            wait(5)
    steps.append(Step("api gateway cloudwatch role", "created", f"set to {arn} (account and region wide)"))
    return steps


def ensure_baseline(client: Callable[[str], Any], spec: AwsSpec) -> list[Step]:
    """Every step of the account baseline; ``client(service)`` gives a boto3 client."""
    step, key_arn = ensure_key(client("kms"), spec)
    steps = [step, *ensure_log_groups(client("logs"), spec, key_arn)]
    steps += ensure_apigateway_role(client("iam"), client("apigateway"), spec.aws.account_id,
                                    partition=partition_of(spec.aws.region))
    if needs_github_oidc_provider(spec):
        steps.append(ensure_github_oidc_provider(client("iam"), spec.aws.account_id, partition_of(spec.aws.region)))
    return steps
