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
    # ... and the account baseline bootstrap also sets up (API Gateway's CloudWatch role).
    assert results["aws-apigateway-logging"].status == "fail"
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


REUSED = """aws:
  region: eu-west-1
  account_id: "123456789012"
  network: {{vpc_id: {vpc}, subnet_ids: [{a}, {b}]{extra}}}
"""


def reused_vpc_spec(aws_spec, existing: str = ""):
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.0.0/20", AvailabilityZone="eu-west-1a")["Subnet"]["SubnetId"]
    b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.16.0/20", AvailabilityZone="eu-west-1b")["Subnet"]["SubnetId"]
    extra = f", existing_endpoints: [{existing}]" if existing else ""
    text = REUSED.format(vpc=vpc, a=a, b=b, extra=extra)
    from dsaas_infra.spec import load_spec_text
    spec = load_spec_text("apiVersion: dsaas-infra/v1\nclient: {name: acme, environment: prod, "
                          "owner: ml@acme.example}\ncloud: aws\n" + text, "acme.yaml")
    return spec, ec2, vpc


def test_reused_vpc_with_an_unnamed_private_dns_endpoint_fails(moto, aws_spec):
    from dsaas_infra.preflight.aws import Context, check_vpc_endpoints
    from dsaas_infra.preflight.aws_session import session
    spec, ec2, vpc = reused_vpc_spec(aws_spec)
    ep = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.eu-west-1.sts", VpcEndpointType="Interface",
                                 PrivateDnsEnabled=True)["VpcEndpoint"]["VpcEndpointId"]
    status, detail = check_vpc_endpoints(Context(spec, session()))
    assert status == "fail"
    assert f"the VPC already has sts ({ep}): add them to aws.network.existing_endpoints" in detail


def test_reused_vpc_with_its_own_autoscaling_endpoint_must_name_it(moto, aws_spec):
    """The deploy function's Application Auto Scaling endpoint is one the blueprint would create."""
    from dsaas_infra.preflight.aws import Context, check_vpc_endpoints
    from dsaas_infra.preflight.aws_session import session
    spec, ec2, vpc = reused_vpc_spec(aws_spec)
    assert spec.phases.deployment.realtime
    ep = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.eu-west-1.application-autoscaling",
                                 VpcEndpointType="Interface", PrivateDnsEnabled=True)["VpcEndpoint"]["VpcEndpointId"]
    status, detail = check_vpc_endpoints(Context(spec, session()))
    assert status == "fail"
    assert f"the VPC already has application-autoscaling ({ep})" in detail


def test_reused_vpc_endpoints_named_in_the_spec_pass_and_missing_ones_fail(moto, aws_spec):
    from dsaas_infra.preflight.aws import Context, check_vpc_endpoints
    from dsaas_infra.preflight.aws_session import session
    spec, ec2, vpc = reused_vpc_spec(aws_spec, "sts, s3")
    ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.eu-west-1.sts", VpcEndpointType="Interface",
                            PrivateDnsEnabled=True)
    status, detail = check_vpc_endpoints(Context(spec, session()))
    assert status == "fail" and "names s3 but" in detail
    ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.eu-west-1.s3", VpcEndpointType="Gateway")
    assert check_vpc_endpoints(Context(spec, session())) == ("pass", "uses s3, sts; creates the rest")


def test_a_created_ci_identity_needs_the_github_oidc_provider(moto, aws_spec):
    """ci.create_identity: the roles trust the account's provider by ARN; without it the apply of ci.tf fails,
    so preflight says so and points to bootstrap, which creates it (moto server: ListOpenIDConnectProviders)."""
    import dataclasses

    from dsaas_infra.spec.model import CiSettings

    plain = aws_spec()
    assert by_id(run_checks(plain))["aws-github-oidc"].status == "pass"
    spec = dataclasses.replace(plain, ci=CiSettings(repository="dsaas/fleet", create_identity=True))
    result = by_id(run_checks(spec))["aws-github-oidc"]
    assert result.status == "fail", result
    assert result.detail.startswith("ci.create_identity: ") and "dsaas-infra bootstrap" in result.detail
    assert f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com" in result.detail
    bootstrap(spec)
    assert by_id(run_checks(spec))["aws-github-oidc"].status == "pass"


def test_the_audit_trail_needs_room_among_the_regions_five_trails(moto, aws_spec):
    """CloudTrail's 5 trails per region (fixed): a managed client's audit trail is refused before apply."""
    from dsaas_infra.spec import load_spec_text

    text = f"""
apiVersion: dsaas-infra/v1
client: {{name: acme, environment: prod, owner: ml@acme.example, maturity: managed}}
cloud: aws
aws: {{region: eu-west-1, account_id: "{ACCOUNT}"}}
"""
    spec = load_spec_text(text, "acme.yaml")
    assert spec.phases.data.audit_trail  # the managed default
    s3 = boto3.client("s3", region_name="eu-west-1")
    s3.create_bucket(Bucket="trail-logs", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    ct = boto3.client("cloudtrail", region_name="eu-west-1")
    for i in range(4):
        ct.create_trail(Name=f"other-{i}", S3BucketName="trail-logs")
    check = by_id(run_checks(spec))["aws-cloudtrail-trails"]
    assert check.status == "pass" and "4 of 5" in check.detail
    ct.create_trail(Name="other-4", S3BucketName="trail-logs")
    check = by_id(run_checks(spec))["aws-cloudtrail-trails"]
    assert check.status == "fail"
    assert "5 trails" in check.detail and "phases.data.audit_trail: false" in check.detail
    # Its own trail, already created by an earlier apply, is no new trail.
    ct.delete_trail(Name="other-4")
    ct.create_trail(Name=f"{spec.name_prefix}-audit", S3BucketName="trail-logs")
    check = by_id(run_checks(spec))["aws-cloudtrail-trails"]
    assert check.status == "pass" and "exists" in check.detail
    # Proactive has no audit trail: nothing to check.
    assert by_id(run_checks(aws_spec()))["aws-cloudtrail-trails"].detail == "no audit trail in this blueprint"
