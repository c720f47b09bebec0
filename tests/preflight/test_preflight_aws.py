"""AWS preflight against a real moto server: each check's verdict on a known account state."""

from __future__ import annotations

import boto3

from dsaas_infra.bootstrap.aws import bootstrap
from dsaas_infra.preflight.aws import needed_quotas, run_checks
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
    for later in ("aws-region", "aws-state-bucket", "aws-lock-table", "aws-sagemaker-quotas"):
        assert results[later].status == "skip"


def test_missing_state_bucket_and_table_point_to_bootstrap(moto, aws_spec):
    listed = run_checks(aws_spec())
    results = by_id(listed)
    assert results["aws-account"].status == "pass"
    assert results["aws-region"].status == "pass"
    assert results["aws-state-bucket"].status == "fail"
    assert "acme-prod-tfstate-123456789012 does not exist" in results["aws-state-bucket"].detail
    assert "dsaas-infra bootstrap" in results["aws-state-bucket"].detail
    assert results["aws-lock-table"].status == "fail"
    assert failure_line(listed).startswith("preflight failed: state bucket")
    assert "and 1 more failed check(s)" in failure_line(listed)


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
    assert statuses["aws-lock-table"] == "pass"


def test_sagemaker_quotas_unsupported_by_moto_is_a_warning(moto, aws_spec):
    # moto has no Service Quotas for SageMaker: the check must say so, not block the plan.
    result = by_id(run_checks(aws_spec()))["aws-sagemaker-quotas"]
    assert result.status == "warn"
    assert result.detail == "cannot read them (ListServiceQuotas failed (HTTP 500))"


def test_needed_quotas_follow_the_resolved_instance_types(aws_spec):
    spec = aws_spec(extra="phases: {training: {size: large}, deployment: {instance_type: ml.g5.xlarge}}")
    assert needed_quotas(spec) == ["ml.m5.2xlarge for training job usage", "ml.g5.xlarge for endpoint usage"]
