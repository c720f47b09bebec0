"""AWS blueprints: the deploy function's rollout (blue/green, baking period, automatic rollback on the
endpoint's own alarms) names exactly the alarms monitoring.tf creates, and both roles involved may
read them (SageMaker's deployment guardrails: cloudwatch:DescribeAlarms on the rollback alarms)."""

from __future__ import annotations

import pytest

from dsaas_infra.render.aws import serving
from tests.render.aws.test_aws_serving import render, spec_text, statements

VARIANTS = "    variants: [{name: champion, weight: 90}, {name: challenger, weight: 10}]\n"


@pytest.fixture(scope="module", params=["proactive", "managed"])
def bp(request):
    return render(spec_text(maturity=request.param, retention=731, deployment=VARIANTS))


def test_the_rollback_alarms_are_the_endpoint_alarms_of_each_variant_5xx_first(bp):
    assert bp.locals["rollback_alarms"] == [
        '${aws_cloudwatch_metric_alarm.endpoint_5xx["champion"]}',
        '${aws_cloudwatch_metric_alarm.endpoint_5xx["challenger"]}',
        '${aws_cloudwatch_metric_alarm.endpoint_latency["champion"]}',
        '${aws_cloudwatch_metric_alarm.endpoint_latency["challenger"]}',
    ]
    # Those alarms exist, one per variant of the endpoint, on the variant's own metrics.
    for key in ("endpoint_5xx", "endpoint_latency"):
        alarm = bp.resources[("aws_cloudwatch_metric_alarm", key)]
        assert alarm["for_each"] == "${{for v in local.endpoint_variants : v.name => v}}"
        assert alarm["dimensions"] == {"EndpointName": "${local.endpoint_name}", "VariantName": "${each.key}"}
        assert alarm["period"] == serving.ENDPOINT_ALARM_PERIOD_SECONDS
    assert bp.resources[("aws_cloudwatch_metric_alarm", "endpoint_5xx")]["evaluation_periods"] == \
        serving.ERRORS_ALARM_PERIODS
    assert bp.resources[("aws_cloudwatch_metric_alarm", "endpoint_latency")]["evaluation_periods"] == \
        serving.LATENCY_ALARM_PERIODS
    assert [v["name"] for v in bp.locals["endpoint_variants"]] == ["champion", "challenger"]


def test_the_deploy_function_gets_the_alarm_names_and_the_baking_period(bp):
    rollout = serving._rollout(["champion", "challenger"])
    assert bp.locals["deploy_config"]["rollout"] == {
        "alarm_names": "${[for alarm in local.rollback_alarms : alarm.alarm_name]}",
        "bake_seconds": rollout.bake_seconds,
        "max_execution_seconds": rollout.max_execution_seconds,
    }
    # 15 minutes for the latency alarm to breach, plus a period for the metrics to arrive.
    assert rollout.bake_seconds == 1200


def test_the_deploy_role_and_the_models_role_may_read_exactly_the_rollback_alarms(bp):
    arns = "${[for alarm in local.rollback_alarms : alarm.arn]}"
    (deploy_read,) = [s for s in statements(bp.data[("aws_iam_policy_document", "deploy")])
                      if s.get("sid") == "ReadRollbackAlarms"]
    assert deploy_read["actions"] == ["cloudwatch:DescribeAlarms"] and deploy_read["resources"] == arns
    (models_read,) = statements(bp.data[("aws_iam_policy_document", "sagemaker_rollback_alarms")])
    assert models_read["actions"] == ["cloudwatch:DescribeAlarms"] and models_read["resources"] == arns
    # Attached to the role the deploy function gives the models it creates.
    policy = bp.resources[("aws_iam_role_policy", "sagemaker_rollback_alarms")]
    role = policy["role"].removeprefix("${").removesuffix(".id}")
    assert bp.locals["deploy_config"]["sagemaker_role_arn"] == f"${{{role}.arn}}"


@pytest.mark.parametrize("maturity", ["reactive", "proactive", "managed"])
def test_the_deploy_function_reaches_cloudwatch_from_its_private_subnets(maturity):
    """DescribeAlarms from the VPC without NAT needs the monitoring interface endpoint, at every
    level with a real-time endpoint (reactive's cheaper set included)."""
    realtime = "    realtime: true\n" if maturity == "reactive" else ""
    bp = render(spec_text(maturity=maturity, deployment=realtime))
    assert bp.locals["deploy_config"]["rollout"]["bake_seconds"] > 0
    assert "monitoring" in bp.locals["interface_endpoint_services"]
