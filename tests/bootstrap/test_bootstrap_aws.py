"""AWS bootstrap against a real moto server: what it creates, and that it never touches what exists."""

from __future__ import annotations

import json

import boto3
import pytest

from dsaas_infra.bootstrap.aws import bootstrap
from dsaas_infra.errors import OperationError

BUCKET = "acme-prod-tfstate-123456789012"
TABLE = f"{BUCKET}-lock"


def s3():
    return boto3.client("s3", region_name="eu-west-1")


def ddb():
    return boto3.client("dynamodb", region_name="eu-west-1")


def create_table(name: str = TABLE, key: str = "LockID") -> None:
    ddb().create_table(TableName=name, AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
                       KeySchema=[{"AttributeName": key, "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")


def state_steps(steps):
    """The state-storage steps (the account baseline follows them: test_bootstrap_aws_account.py)."""
    return [s for s in steps if s.resource.startswith(("s3 bucket", "dynamodb table"))]


def test_creates_a_locked_down_bucket_and_no_lock_table(moto, aws_spec):
    steps = state_steps(bootstrap(aws_spec()))
    # State is locked with a lock file in the bucket (use_lockfile): no DynamoDB table.
    assert [(s.resource, s.outcome) for s in steps] == [(f"s3 bucket {BUCKET}", "created")]
    assert ddb().list_tables()["TableNames"] == []
    c = s3()
    assert c.get_bucket_location(Bucket=BUCKET)["LocationConstraint"] == "eu-west-1"
    assert c.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    rule = c.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("aws:kms", "AES256")
    assert all(c.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"].values())
    statement = json.loads(c.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"][0]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_deprecated_lock_table_is_inspected_never_created(moto, aws_spec, capsys):
    spec = aws_spec(extra=f"state: {{lock_table: {TABLE}}}")
    assert "state.lock_table: deprecated" in capsys.readouterr().err
    steps = state_steps(bootstrap(spec))
    assert (steps[1].resource, steps[1].outcome) == (f"dynamodb table {TABLE}", "warn")
    assert "does not exist" in steps[1].detail and "remove state.lock_table" in steps[1].detail
    assert ddb().list_tables()["TableNames"] == []
    create_table()
    steps = state_steps(bootstrap(spec))
    assert [s.outcome for s in steps] == ["exists", "exists"]
    assert "deprecated" in steps[1].detail


def test_second_bootstrap_is_a_no_op(moto, aws_spec):
    bootstrap(aws_spec())
    before = s3().get_bucket_policy(Bucket=BUCKET)["Policy"]
    steps = state_steps(bootstrap(aws_spec()))
    assert [s.outcome for s in steps] == ["exists"]
    assert s3().get_bucket_policy(Bucket=BUCKET)["Policy"] == before


def test_existing_weak_bucket_is_reported_and_left_untouched(moto, aws_spec):
    c = s3()
    c.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    c.put_object(Bucket=BUCKET, Key="keep.txt", Body=b"data")
    steps = state_steps(bootstrap(aws_spec()))
    assert steps[0].outcome == "warn"
    assert "left unchanged" in steps[0].detail and "versioning" in steps[0].detail
    assert c.get_bucket_versioning(Bucket=BUCKET).get("Status") is None
    with pytest.raises(c.exceptions.ClientError):
        c.get_bucket_policy(Bucket=BUCKET)
    assert c.get_object(Bucket=BUCKET, Key="keep.txt")["Body"].read() == b"data"
    assert len(steps) == 1


def test_us_east_1_bucket_has_no_location_constraint(moto, aws_spec):
    bootstrap(aws_spec(region="us-east-1"))
    assert s3().get_bucket_location(Bucket=BUCKET)["LocationConstraint"] in (None, "us-east-1")


def test_wrong_account_creates_nothing(moto, aws_spec):
    with pytest.raises(OperationError, match="before creating anything.*111122223333"):
        bootstrap(aws_spec(account="111122223333"))
    assert s3().list_buckets()["Buckets"] == []
