"""Bootstrap writes ARNs of the region's partition (aws, aws-cn, aws-us-gov), never a hard-coded arn:aws."""

from __future__ import annotations

import json

import boto3
import pytest

from dsaas_infra.bootstrap import aws_account
from dsaas_infra.bootstrap.aws import tls_only_policy
from dsaas_infra.bootstrap.partition import partition_of


@pytest.mark.parametrize("region,partition", [
    ("eu-west-1", "aws"), ("us-east-1", "aws"), ("cn-north-1", "aws-cn"), ("cn-northwest-1", "aws-cn"),
    ("us-gov-west-1", "aws-us-gov"), ("us-iso-east-1", "aws-iso"), ("us-isob-east-1", "aws-iso-b"),
])
def test_partition_of_region(region, partition):
    assert partition_of(region) == partition


def arns(document: str) -> list[str]:
    found = []

    def walk(node):
        if isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, str) and node.startswith("arn:"):
            found.append(node)

    walk(json.loads(document))
    return found


@pytest.mark.parametrize("region", ["cn-north-1", "us-gov-west-1", "eu-west-1"])
def test_the_baseline_key_policy_and_the_state_bucket_policy_use_the_partition(region):
    partition = partition_of(region)
    for document in (aws_account._key_policy("123456789012", region),
                     tls_only_policy("state-bucket", partition)):
        found = arns(document)
        assert found and all(a.startswith(f"arn:{partition}:") for a in found), found


def test_the_api_gateway_role_policy_uses_the_partition_on_moto(moto):
    region = "us-gov-west-1"
    iam = boto3.client("iam", region_name=region)
    apigw = boto3.client("apigateway", region_name=region)
    aws_account.ensure_apigateway_role(iam, apigw, "123456789012", partition="aws-us-gov")
    policy = iam.get_role_policy(RoleName=aws_account.APIGATEWAY_ROLE, PolicyName="push-to-cloudwatch-logs")
    document = policy["PolicyDocument"]
    document = json.dumps(document) if isinstance(document, dict) else document
    assert arns(document) == ["arn:aws-us-gov:logs:*:123456789012:log-group:*"]
