"""AWS preflight against a real moto server: each check's verdict on a known account state."""

from __future__ import annotations

import boto3

from dsaas_infra.bootstrap.aws import bootstrap
from dsaas_infra.preflight.aws import run_checks
from dsaas_infra.preflight.results import failure_line, failures

ACCOUNT = "123456789012"  # moto's default account


def by_id(results):
    return {r.id: r for r in results}


def test_account_mismatch_names_the_credentials_account(moto, aws_spec):
    results = by_id(run_checks(aws_spec(account="111122223333")))
    assert results["aws-credentials"].status == "pass"
    assert results["aws-account"].status == "fail"
    assert f"belong to account {ACCOUNT}" in results["aws-account"].detail
    assert "the spec says 111122223333" in results["aws-account"].detail
    # Nothing is looked at in an account the spec does not name.
    for later in ("aws-region", "aws-state-bucket", "aws-state-lock", "aws-sagemaker-quotas"):
        assert results[later].status == "skip"


def test_missing_state_bucket_points_to_bootstrap(moto, aws_spec):
    listed = run_checks(aws_spec())
    results = by_id(listed)
    assert results["aws-account"].status == "pass"
    assert results["aws-region"].status == "pass"
    assert results["aws-state-bucket"].status == "fail"
    assert "acme-prod-tfstate-123456789012 does not exist" in results["aws-state-bucket"].detail
    assert "dsaas-infra bootstrap" in results["aws-state-bucket"].detail
    # S3 native locking needs nothing but the bucket.
    assert results["aws-state-lock"].status == "pass"
    assert results["aws-state-lock"].detail == "S3 lock file (use_lockfile)"
    assert failure_line(listed).startswith("preflight failed: state bucket")


def test_bucket_without_versioning_fails(moto, aws_spec):
    s3 = boto3.client("s3", region_name="eu-west-1")
    s3.create_bucket(Bucket="acme-prod-tfstate-123456789012",
                     CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    detail = by_id(run_checks(aws_spec()))["aws-state-bucket"].detail
    assert "versioning is off" in detail


def test_all_good_after_bootstrap(moto, aws_spec):
    spec = aws_spec()
    bootstrap(spec)
    results = run_checks(spec)
    assert failures(results) == []
    statuses = {r.id: r.status for r in results}
    assert statuses["aws-state-bucket"] == "pass"
    assert statuses["aws-state-lock"] == "pass"


def create_table(name: str, key: str = "LockID") -> None:
    boto3.client("dynamodb", region_name="eu-west-1").create_table(
        TableName=name, AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")


def test_a_lock_table_left_by_an_earlier_release_is_pointed_out(moto, aws_spec):
    spec = aws_spec()
    bootstrap(spec)
    create_table("acme-prod-tfstate-123456789012-lock")
    result = by_id(run_checks(spec))["aws-state-lock"]
    assert result.status == "warn"
    assert "set state.lock_table: acme-prod-tfstate-123456789012-lock" in result.detail


def test_deprecated_lock_table_is_checked(moto, aws_spec):
    spec = aws_spec(extra="state: {lock_table: old-locks}")
    bootstrap(spec)
    missing = by_id(run_checks(spec))["aws-state-lock"]
    assert missing.status == "fail" and "old-locks does not exist" in missing.detail
    create_table("old-locks", key="Id")
    wrong = by_id(run_checks(spec))["aws-state-lock"]
    assert wrong.status == "fail" and "hash key LockID" in wrong.detail
    boto3.client("dynamodb", region_name="eu-west-1").delete_table(TableName="old-locks")
    create_table("old-locks")
    good = by_id(run_checks(spec))["aws-state-lock"]
    assert good.status == "warn" and "deprecated" in good.detail and "S3 lock file and old-locks" in good.detail


def test_sagemaker_quotas_unsupported_by_moto_is_a_warning(moto, aws_spec):
    # moto has no Service Quotas for SageMaker: the check must say so, not block the plan.
    result = by_id(run_checks(aws_spec()))["aws-sagemaker-quotas"]
    assert result.status == "warn"
    assert result.detail.startswith("cannot read them (ListServiceQuotas failed (HTTP 500))")
