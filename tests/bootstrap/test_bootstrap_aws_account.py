"""The AWS account baseline against a real moto server: created once, shared, never overwritten."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from dsaas_infra.bootstrap import aws_account
from dsaas_infra.bootstrap.aws import bootstrap
from dsaas_infra.preflight.aws import Context, check_apigateway_logging

REGION = "eu-west-1"


def client(service):
    return boto3.client(service, region_name=REGION)


def baseline(steps):
    return {s.resource: s for s in steps if not s.resource.startswith(("s3 bucket", "dynamodb table"))}


def test_first_bootstrap_creates_the_baseline_encrypted_and_expiring(moto, aws_spec):
    steps = baseline(bootstrap(aws_spec()))
    assert steps[f"kms key {aws_account.KEY_ALIAS}"].outcome == "created"
    groups = {g["logGroupName"]: g for g in client("logs").describe_log_groups()["logGroups"]}
    key_arn = client("kms").describe_key(KeyId=aws_account.KEY_ALIAS)["KeyMetadata"]["Arn"]
    for name in aws_account.LOG_GROUPS:
        assert steps[f"log group {name}"].outcome == "created"
        assert groups[name]["kmsKeyId"] == key_arn
        assert groups[name]["retentionInDays"] == 90  # the spec's (proactive) log retention
    policy = json.loads(client("kms").get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"])
    logs = next(s for s in policy["Statement"] if s["Sid"] == "CloudWatchLogsEncryptsTheBaselineLogGroups")
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == [
        f"arn:aws:logs:{REGION}:123456789012:log-group:{n}" for n in aws_account.LOG_GROUPS]
    role = client("iam").get_role(RoleName=aws_account.APIGATEWAY_ROLE)["Role"]
    assert client("apigateway").get_account()["cloudwatchRoleArn"] == role["Arn"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert "Condition" not in trust["Statement"][0]  # API Gateway does not send aws:SourceAccount
    # The preflight now finds the account's API Gateway role.
    assert check_apigateway_logging(Context(aws_spec(), boto3.session.Session()))[0] == "pass"


def test_a_second_client_in_the_account_changes_nothing(moto, aws_spec):
    bootstrap(aws_spec())
    other = aws_spec(extra="state: {bucket: globex-prod-tfstate-123456789012}")
    other.client.name = "globex"
    steps = baseline(bootstrap(other))
    assert {s.outcome for s in steps.values()} == {"exists"}
    assert len([a for a in client("kms").list_aliases()["Aliases"] if a["AliasName"] == aws_account.KEY_ALIAS]) == 1


def test_service_created_groups_are_reported_not_changed(moto, aws_spec):
    logs = client("logs")
    logs.create_log_group(logGroupName="/aws/sagemaker/TrainingJobs")  # as SageMaker creates it
    steps = baseline(bootstrap(aws_spec()))
    step = steps["log group /aws/sagemaker/TrainingJobs"]
    assert step.outcome == "warn"
    assert "without a KMS key and a retention" in step.detail and "put-retention-policy" in step.detail
    group = logs.describe_log_groups(logGroupNamePrefix="/aws/sagemaker/TrainingJobs")["logGroups"][0]
    assert "kmsKeyId" not in group and "retentionInDays" not in group


def test_an_existing_api_gateway_role_is_left_alone(moto, aws_spec):
    client("apigateway").update_account(patchOperations=[
        {"op": "replace", "path": "/cloudwatchRoleArn", "value": "arn:aws:iam::123456789012:role/theirs"}])
    steps = baseline(bootstrap(aws_spec()))
    assert steps["api gateway cloudwatch role"].outcome == "exists"
    with pytest.raises(ClientError):
        client("iam").get_role(RoleName=aws_account.APIGATEWAY_ROLE)


def test_preflight_fails_without_the_api_gateway_role(moto, aws_spec):
    status, detail = check_apigateway_logging(Context(aws_spec(), boto3.session.Session()))
    assert status == "fail" and "dsaas-infra bootstrap" in detail


def test_a_brand_new_role_is_retried_until_api_gateway_accepts_it(moto, aws_spec):
    # IAM's eventual consistency is not modelled by moto: API Gateway's documented refusal of a
    # role it cannot assume yet (BadRequestException) comes from a Stubber.
    apigw = boto3.client("apigateway", region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t",
                         endpoint_url="http://127.0.0.1:9")
    waits = []
    with Stubber(apigw) as stub:
        stub.add_response("get_account", {})
        stub.add_client_error("update_account", "BadRequestException",
                              "The role ARN does not have required permissions set to API Gateway")
        stub.add_response("update_account", {"cloudwatchRoleArn": "arn"})
        steps = aws_account.ensure_apigateway_role(client("iam"), apigw, "123456789012", waits.append)
        stub.assert_no_pending_responses()
    assert waits == [5]
    assert [s.outcome for s in steps] == ["created", "created"]


CI = "ci: {repository: dsaas/fleet, create_identity: true}"
GITHUB_PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"


def test_the_github_oidc_provider_is_created_once_per_account_for_created_ci_identities(moto, aws_spec):
    """Two client stacks each creating the provider: the second apply fails EntityAlreadyExists. It is the
    account baseline's: the first bootstrap creates it, the next client's finds it."""
    resource = "iam oidc provider token.actions.githubusercontent.com"
    first = baseline(bootstrap(aws_spec(extra=CI)))
    assert first[resource].outcome == "created"
    provider = client("iam").get_open_id_connect_provider(OpenIDConnectProviderArn=GITHUB_PROVIDER)
    assert provider["ClientIDList"] == ["sts.amazonaws.com"]
    assert provider["Url"].removeprefix("https://") == "token.actions.githubusercontent.com"
    other = aws_spec(extra=CI + "\nstate: {bucket: globex-prod-tfstate-123456789012}")
    assert baseline(bootstrap(other))[resource].outcome == "exists"
    assert len(client("iam").list_open_id_connect_providers()["OpenIDConnectProviderList"]) == 1


@pytest.mark.parametrize("extra", ["", "ci: {repository: dsaas/fleet}",
                                   f"ci: {{repository: dsaas/fleet, create_identity: true, "
                                   f"aws_oidc_provider_arn: '{GITHUB_PROVIDER}'}}"])
def test_no_provider_without_a_created_identity_that_needs_it(moto, aws_spec, extra):
    steps = baseline(bootstrap(aws_spec(extra=extra)))
    assert not [s for s in steps if s.startswith("iam oidc provider")]
    assert client("iam").list_open_id_connect_providers()["OpenIDConnectProviderList"] == []


def test_a_provider_without_the_sts_audience_is_reported_not_changed(moto, aws_spec):
    client("iam").create_open_id_connect_provider(Url="https://token.actions.githubusercontent.com",
                                                  ClientIDList=["other"], ThumbprintList=["a" * 40])
    step = baseline(bootstrap(aws_spec(extra=CI)))["iam oidc provider token.actions.githubusercontent.com"]
    assert step.outcome == "warn" and "add-client-id-to-open-id-connect-provider" in step.detail
    assert client("iam").get_open_id_connect_provider(
        OpenIDConnectProviderArn=GITHUB_PROVIDER)["ClientIDList"] == ["other"]
