"""The quota preflight: the counts the blueprint needs against Service Quotas and Lambda's settings.

moto models neither SageMaker's Service Quotas nor Lambda's GetAccountSettings, so both are
botocore Stubbers holding the documented response shapes; the checks run unchanged on them.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from dsaas_infra.preflight.aws import Context, check_lambda_concurrency, check_sagemaker_quotas
from dsaas_infra.spec import aws_capacity, load_spec_text
from dsaas_infra.spec.aws_capacity import quota_needs

TRAINING = "ml.m5.xlarge for training job usage"  # proactive default: medium
ENDPOINT = "ml.c5.large for endpoint usage"  # proactive default: small
PROCESSING = "ml.m5.large for processing job usage"
CODES = {TRAINING: "L-TRAIN001", ENDPOINT: "L-ENDPT001", PROCESSING: "L-PROC0001"}


def _client(service: str):
    return boto3.client(service, region_name="eu-west-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing", endpoint_url="http://127.0.0.1:9")


def _quotas(values: dict[str, float]) -> dict:
    return {"Quotas": [{"ServiceCode": "sagemaker", "QuotaName": n, "QuotaCode": CODES.get(n, "L-OTHER000"),
                        "Value": v} for n, v in values.items()]}


def run_sagemaker(spec, applied: dict[str, float], defaults: dict[str, float] | None = None):
    sq = _client("service-quotas")
    with Stubber(sq) as stub:
        stub.add_response("list_service_quotas", _quotas(applied), {"ServiceCode": "sagemaker"})
        if defaults is not None:
            stub.add_response("list_aws_default_service_quotas", _quotas(defaults), {"ServiceCode": "sagemaker"})
        result = check_sagemaker_quotas(Context(spec, None, clients={"service-quotas": sq}))
        stub.assert_no_pending_responses()
    return result


def test_proactive_needs_training_processing_and_a_blue_green_endpoint_fleet(aws_spec):
    needs = {n.name: (n.needed, n.target) for n in quota_needs(aws_spec())}
    # One variant, 1..2 instances: a deploy needs a second fleet of 2 x min, autoscaling reaches
    # max, a deploy at full scale needs 2 x max.
    assert needs == {TRAINING: (1, 1), PROCESSING: (1, 1), ENDPOINT: (2, 4),
                     "Concurrent executions": (110, 110)}


def test_managed_needs_per_variant_capacity_drift_jobs_and_jupyterlab_apps():
    spec = load_spec_text("""
apiVersion: dsaas-infra/v1
client: {name: acme, environment: prod, owner: ml@acme.example, maturity: managed}
cloud: aws
aws: {region: eu-west-1, account_id: "123456789012"}
phases:
  training: {users: [ada, bob, cy]}
  deployment: {min_instances: 2, max_instances: 6}
  access: {consumers: [{name: shop, rate_limit: 200, burst_limit: 400,
                        aws_principals: ["arn:aws:iam::123456789012:role/shop-app"]},
                       {name: partner-b, rate_limit: 20, burst_limit: 40,
                        aws_principals: ["arn:aws:iam::210987654321:role/partner-b-app"]}]}
""", "acme.yaml")
    needs = {n.name: (n.needed, n.target) for n in quota_needs(spec)}
    # Two variants (champion, challenger), each 2..6 instances.
    assert needs["ml.m5.xlarge for endpoint usage"] == (2 * max(2 * 2, 6), 2 * 2 * 6)
    assert needs["Studio JupyterLab Apps running on ml.m5.2xlarge instances"] == (3, 3)
    # The evaluation job and the hourly drift job can overlap.
    assert needs[PROCESSING] == (2, 2)
    assert needs["Concurrent executions"] == (220 + 100, 220 + 100)


def test_small_size_asks_for_a_quota_that_exists(aws_spec):
    # ml.t3.medium cannot run training jobs: the blueprint trains on ml.m5.large, and asks for that.
    spec = aws_spec(extra="phases: {training: {size: small}, deployment: {realtime: false}, access: {enabled: false}}")
    names = [n.name for n in quota_needs(spec)]
    assert "ml.m5.large for training job usage" in names
    assert not [n for n in names if "ml.t3.medium for training" in n]
    # Batch inference: transform jobs start at ml.m5.large for the small size.
    assert "ml.m5.large for transform job usage" in names
    assert not [n for n in names if "endpoint usage" in n]


def test_gpu_only_for_training_and_single_gpu_unless_distributed(aws_spec):
    spec = aws_spec(extra="phases: {training: {gpu: a100, users: [ada]}}")
    names = [n.name for n in quota_needs(spec)]
    assert "ml.g5.2xlarge for training job usage" in names
    assert "Studio JupyterLab Apps running on ml.m5.xlarge instances" in names  # CPU workspace
    spec = aws_spec(extra="phases: {training: {gpu: a100, distributed: true}}")
    assert aws_capacity.training_instance_type(spec) == "ml.p4d.24xlarge"


def test_enough_quota_passes(aws_spec):
    status, detail = run_sagemaker(aws_spec(), {TRAINING: 4, ENDPOINT: 4, PROCESSING: 2})
    assert status == "pass"
    assert f"{ENDPOINT}: 4 >= 4" in detail


def test_new_account_fails_with_the_quota_code_and_the_number_to_request(aws_spec):
    # A new account: every instance quota 0, listed only among the defaults.
    status, detail = run_sagemaker(aws_spec(), {}, {TRAINING: 0, ENDPOINT: 0, PROCESSING: 0})
    assert status == "fail"
    assert f"{ENDPOINT} (L-ENDPT001) is 0, the blueprint needs 2" in detail
    assert "--quota-code L-ENDPT001 --desired-value 4" in detail
    assert f"{TRAINING} (L-TRAIN001) is 0, the blueprint needs 1" in detail


def test_enough_to_start_but_not_for_a_deploy_at_full_scale_warns(aws_spec):
    status, detail = run_sagemaker(aws_spec(), {TRAINING: 1, ENDPOINT: 2, PROCESSING: 1})
    assert status == "warn"
    assert "a deploy at full scale needs 4" in detail and "--desired-value 4" in detail


def test_a_type_the_region_does_not_offer_is_reported(aws_spec):
    status, detail = run_sagemaker(aws_spec(), {TRAINING: 1}, {PROCESSING: 1})
    assert status == "warn"
    assert f"no quota named {ENDPOINT!r}" in detail


def test_unreadable_quotas_warn_and_point_to_the_readme_table(aws_spec):
    sq = _client("service-quotas")
    with Stubber(sq) as stub:
        stub.add_client_error("list_service_quotas", "AccessDeniedException", "not allowed")
        status, detail = check_sagemaker_quotas(Context(aws_spec(), None, clients={"service-quotas": sq}))
    assert status == "warn"
    assert "AccessDeniedException: not allowed" in detail and "README" in detail


def run_lambda(spec, limit: int, unreserved: int, ours: int | None = None):
    lam = _client("lambda")
    with Stubber(lam) as stub:
        stub.add_response("get_account_settings", {
            "AccountLimit": {"ConcurrentExecutions": limit, "UnreservedConcurrentExecutions": unreserved},
            "AccountUsage": {"FunctionCount": 3},
        }, {})
        if ours is None:
            stub.add_client_error("get_function_concurrency", "ResourceNotFoundException", "no such function",
                                  expected_params={"FunctionName": "acme-prod-predict"})
        else:
            stub.add_response("get_function_concurrency", {"ReservedConcurrentExecutions": ours},
                              {"FunctionName": "acme-prod-predict"})
        result = check_lambda_concurrency(Context(spec, None, clients={"lambda": lam}))
        stub.assert_no_pending_responses()
    return result


@pytest.mark.parametrize("limit, unreserved, ours, expected", [
    (1000, 1000, None, ("pass", "1000 (reserves 10, 990 stay unreserved)")),
    # A new account: 10 concurrent executions, nothing can be reserved.
    (10, 10, None, ("fail", "Concurrent executions (L-B99A9384) is 10, the blueprint needs 110")),
    # Other functions already reserve most of the pool.
    (1000, 105, None, ("fail", "other functions reserve 895 of 1000")),
    # A re-apply: our own reservation comes back to the pool first.
    (1000, 100, 10, ("pass", "1000 (reserves 10, 100 stay unreserved)")),
])
def test_lambda_concurrency(aws_spec, limit, unreserved, ours, expected):
    status, detail = run_lambda(aws_spec(), limit, unreserved, ours)
    assert status == expected[0]
    assert detail.startswith(expected[1])
    if status == "fail":
        assert "--service-code lambda --quota-code L-B99A9384" in detail


def test_no_api_needs_no_lambda_concurrency(aws_spec):
    spec = aws_spec(extra="phases: {access: {enabled: false}}")
    assert check_lambda_concurrency(Context(spec, None)) == ("pass", "no reserved Lambda concurrency needed")
