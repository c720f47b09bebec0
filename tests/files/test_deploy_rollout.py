"""Endpoint updates of the deploy Lambda roll back by themselves: blue/green with a baking period
watched by the endpoint's alarms (SageMaker deployment guardrails).

CloudWatch is moto's real HTTP server (the alarms, their states); SageMaker's UpdateEndpoint, which
moto does not model, is botocore's Stubber holding the documented request and responses, so the
exact DeploymentConfig the shipped code sends is asserted. After a rollback SageMaker reports the
endpoint InService on the previous config with a FailureReason: check() must fail with it.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from dsaas_infra.render.aws import serving
from tests.files.test_deploy_lambda import (
    ACCOUNT,
    ARN,
    ARTIFACTS,
    ENDPOINT,
    GROUP,
    REGION,
    STUB_METRICS,
    STUB_MODEL_URL,
    T0,
    _variant,
    config,
    config_description,
    deploy,
    endpoint_description,
    stubbed,
)

ALARMS = [f"acme-prod-endpoint-{v}-{kind}" for kind in ("5xx", "latency") for v in ("champion", "challenger")]
ROLLOUT = {"alarm_names": ALARMS, "bake_seconds": 1200, "max_execution_seconds": 4800}
BLUE_GREEN = {"TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 1200},
              "TerminationWaitInSeconds": 0, "MaximumExecutionTimeoutInSeconds": 4800}
RETAIN = {"RetainAllVariantProperties": True,
          "ExcludeRetainedVariantProperties": [{"VariantPropertyType": "DesiredWeight"},
                                               {"VariantPropertyType": "DataCaptureConfig"}]}


def put_alarms(cw, names, state: str | None = None) -> None:
    """The endpoint alarms as monitoring.tf creates them (5xx sum, p90 latency)."""
    for name in names:
        variant = name.split("-endpoint-")[1].rsplit("-", 1)[0]
        cw.put_metric_alarm(
            AlarmName=name, Namespace="AWS/SageMaker",
            MetricName="Invocation5XXErrors" if name.endswith("5xx") else "ModelLatency",
            Dimensions=[{"Name": "EndpointName", "Value": ENDPOINT}, {"Name": "VariantName", "Value": variant}],
            Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=5,
            ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="notBreaching")
        if state:
            cw.set_alarm_state(AlarmName=name, StateValue=state, StateReason="test")


def approved_package(stub, s3_stub, package: str) -> None:
    """The registry's approved package and its untouched artifact, as the deploy step verifies them."""
    stub.add_response("describe_model_package", {
        "ModelPackageName": GROUP, "ModelPackageArn": package, "CreationTime": T0,
        "ModelPackageStatus": "Completed", "ModelApprovalStatus": "Approved",
        "ModelPackageStatusDetails": {"ValidationStatuses": []},
        "InferenceSpecification": {"Containers": [{"Image": "i", "ModelDataUrl": STUB_MODEL_URL}]},
        "ModelMetrics": STUB_METRICS,
        "CustomerMetadataProperties": {deploy.VERSION_PROPERTY: "v-evaluated"},
    }, {"ModelPackageName": package})
    s3_stub.add_response("head_object", {"VersionId": "v-evaluated"},
                         {"Bucket": ARTIFACTS, "Key": STUB_MODEL_URL.split("/", 3)[3]})
    stub.add_response("create_model", {"ModelArn": ARN}, None)


def update(cfg, current, counts, expect_variants, expect_update, cw):
    """deploy() of a new package on a serving endpoint; UpdateEndpoint must be exactly expect_update."""
    package = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/7"
    event = {"execution_id": "exec-r", "model_package_arn": package}
    sm, s3 = stubbed("sagemaker"), stubbed("s3")
    with Stubber(sm) as stub, Stubber(s3) as s3_stub:
        stub.add_response("describe_endpoint", endpoint_description("InService", "old-config", counts=counts),
                          {"EndpointName": ENDPOINT})
        stub.add_response("describe_endpoint_config", config_description("old-config", current),
                          {"EndpointConfigName": "old-config"})
        approved_package(stub, s3_stub, package)
        name = deploy.endpoint_config_name(ENDPOINT, event["execution_id"])
        stub.add_response("create_endpoint_config", {"EndpointConfigArn": ARN}, None)
        stub.add_response("update_endpoint", {"EndpointArn": ARN},
                          {"EndpointName": ENDPOINT, "EndpointConfigName": name, **expect_update})
        result = deploy.deploy(event, cfg, sm, stubbed("application-autoscaling"), cw, s3=s3)
        stub.assert_no_pending_responses()
        s3_stub.assert_no_pending_responses()
    return result


TWO = {"champion": ("m-old", "ml.m5.xlarge"), "challenger": ("m-older", "ml.m5.xlarge")}
TWO_VARIANTS = [_variant("champion", "m-old", 3, 90.0), _variant("challenger", f"{ENDPOINT}-v7", 2, 10.0)]


def test_an_update_is_blue_green_with_a_baking_period_and_rolls_back_on_the_endpoint_alarms(moto):
    cw = boto3.client("cloudwatch")
    put_alarms(cw, ALARMS)
    result = update(config(rollout=ROLLOUT), TWO, {"champion": 3, "challenger": 2}, TWO_VARIANTS, {
        **RETAIN,
        "DeploymentConfig": {"BlueGreenUpdatePolicy": BLUE_GREEN,
                             "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": n} for n in ALARMS]}},
    }, cw)
    assert result["state"] == "updating"


def test_alarms_missing_or_already_in_alarm_are_left_out_of_the_rollback(moto):
    """A missing alarm makes SageMaker refuse the update; one already in ALARM (the serving fleet
    fails) would roll back every update, the fix included."""
    cw = boto3.client("cloudwatch")
    put_alarms(cw, ALARMS[:2])  # the 5xx alarms, OK (INSUFFICIENT_DATA until data arrives)
    put_alarms(cw, ALARMS[2:3], state="ALARM")  # champion latency firing; challenger latency missing
    assert deploy.rollback_alarms(config(rollout=ROLLOUT), cw) == ALARMS[:2]
    put_alarms(cw, ALARMS[:2], state="OK")
    assert deploy.rollback_alarms(config(rollout=ROLLOUT), cw) == ALARMS[:2]


def test_without_an_alarm_to_watch_the_update_still_bakes_but_names_no_alarm(moto):
    cw = boto3.client("cloudwatch")
    put_alarms(cw, ALARMS, state="ALARM")
    result = update(config(rollout=ROLLOUT), TWO, {"champion": 3, "challenger": 2}, TWO_VARIANTS,
                    {**RETAIN, "DeploymentConfig": {"BlueGreenUpdatePolicy": BLUE_GREEN}}, cw)
    assert result["state"] == "updating"


def test_an_update_that_changes_the_variant_names_gets_no_guardrails(moto):
    """SageMaker's guardrails need the same variant names in the old and new config."""
    cw = boto3.client("cloudwatch")
    put_alarms(cw, ALARMS)
    current = {**TWO, "retired": ("m-oldest", "ml.m5.xlarge")}
    aas = boto3.client("application-autoscaling")  # moto: nothing registered, nothing to release
    package = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/7"
    event = {"execution_id": "exec-r", "model_package_arn": package}
    sm, s3 = stubbed("sagemaker"), stubbed("s3")
    with Stubber(sm) as stub, Stubber(s3) as s3_stub:
        stub.add_response("describe_endpoint", endpoint_description(
            "InService", "old-config", counts={"champion": 3, "challenger": 2, "retired": 2}))
        stub.add_response("describe_endpoint_config", config_description("old-config", current))
        approved_package(stub, s3_stub, package)
        stub.add_response("create_endpoint_config", {"EndpointConfigArn": ARN})
        stub.add_response("update_endpoint", {"EndpointArn": ARN}, {
            "EndpointName": ENDPOINT, "EndpointConfigName": deploy.endpoint_config_name(ENDPOINT, "exec-r")})
        assert deploy.deploy(event, config(rollout=ROLLOUT), sm, aas, cw, s3=s3)["state"] == "updating"
        stub.assert_no_pending_responses()
        s3_stub.assert_no_pending_responses()


def test_a_deployment_the_alarms_rolled_back_fails_with_sagemakers_reason():
    """After the rollback: InService on the previous config, the reason in FailureReason."""
    sm = stubbed("sagemaker")
    reason = ("Deployment rolled back: CloudWatch alarm acme-prod-endpoint-challenger-5xx went into "
              "ALARM state during the baking period.")
    with Stubber(sm) as stub:
        stub.add_response("describe_endpoint", endpoint_description("RollingBack", "old-config", reason))
        stub.add_response("describe_endpoint", endpoint_description("InService", "old-config", reason))
        rolling = deploy.check({"endpoint_config": "new-config"}, config(rollout=ROLLOUT), sm)
        done = deploy.check({"endpoint_config": "new-config"}, config(rollout=ROLLOUT), sm)
        stub.assert_no_pending_responses()
    assert rolling["state"] == "busy"
    assert done["state"] == "failed"
    assert "rolled back" in done["reason"] and reason in done["reason"] and "old-config" in done["reason"]


# --- what the blueprint computes (render/aws/serving.py) --------------------------------------


def test_the_rollout_names_5xx_alarms_first_and_at_most_ten():
    six = serving._rollout([f"v{i}" for i in range(6)])
    assert len(six.alarms) == 10
    assert [a.resource for a in six.alarms] == ["endpoint_5xx"] * 6 + ["endpoint_latency"] * 4
    # The latency alarm breaches after 3 periods of 5 minutes: the new fleet bakes 4.
    assert six.bake_seconds == (serving.LATENCY_ALARM_PERIODS + 1) * serving.ENDPOINT_ALARM_PERIOD_SECONDS
    ten = serving._rollout([f"v{i}" for i in range(10)])
    assert {a.resource for a in ten.alarms} == {"endpoint_5xx"}
    assert ten.bake_seconds == (serving.ERRORS_ALARM_PERIODS + 1) * serving.ENDPOINT_ALARM_PERIOD_SECONDS


@pytest.mark.parametrize("variants", [1, 2, 6, 10])
def test_the_rollout_fits_sagemakers_limits_and_the_state_machine_waits_longer(variants):
    rollout = serving._rollout([f"v{i}" for i in range(variants)])
    assert 1 <= len(rollout.alarms) <= 10
    assert 0 <= rollout.bake_seconds <= 3600  # TrafficRoutingConfig.WaitIntervalInSeconds
    # BlueGreenUpdatePolicy: 600..28800, larger than the waits it contains.
    assert 600 <= rollout.max_execution_seconds <= 28_800
    assert rollout.max_execution_seconds > rollout.bake_seconds
    # The deploy state machine checks long enough to see SageMaker finish or roll back.
    waited = serving.ENDPOINT_MAX_POLLS * serving.ENDPOINT_POLL_SECONDS
    assert waited > rollout.max_execution_seconds
    assert serving.DEPLOY_TIMEOUT_SECONDS > waited
