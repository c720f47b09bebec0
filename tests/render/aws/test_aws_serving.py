"""AWS blueprint, deployment and access phases: facts read from the parsed HCL of rendered specs."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from dsaas_infra.errors import SpecError
from dsaas_infra.render.aws import build as aws
from dsaas_infra.render.aws import serving as aws_serving
from dsaas_infra.spec import load_spec, load_spec_text
from dsaas_infra.spec.resolved import ResolvedSpec
from tests.render.parsed_blueprint import ParsedBlueprint, parse

REPO = Path(__file__).resolve().parents[3]
AWS_EXAMPLES = sorted((REPO / "blueprints").glob("aws-*.yaml"))
OUR_FILES = ("deployment.tf", "monitoring.tf", "access.tf")
MAIN_KEY = "${aws_kms_key.main.arn}"

SPEC = """\
apiVersion: dsaas-infra/v1
client:
  name: acme
  display_name: {display_name}
  environment: prod
  maturity: {maturity}
  owner: ml@acme.example
cloud: aws
aws:
  region: eu-west-1
  account_id: "111122223333"
phases:
  data: {{schedule: "{schedule}", log_retention_days: {retention}}}
  training: {{users: [alice]{training}}}
  deployment:
    alert_emails: [oncall@acme.example, cto@acme.example]
{deployment}  access:
    consumers:
      - {{name: partner-a, rate_limit: 50, burst_limit: 100, quota_per_day: 100000,
         aws_principals: ["arn:aws:iam::210987654321:role/partner-a-app"]}}
      - {{name: shop, rate_limit: 7.5, burst_limit: 15, quota_per_day: 2500,
         aws_principals: ["arn:aws:iam::111122223333:role/shop-app"]}}
{access}"""


def family_key(bp, family: str) -> str:
    """The key of a service family: its own at managed level, the one main key below."""
    return f"${{aws_kms_key.{family if bp.spec.client.maturity == 'managed' else 'main'}.arn}}"


def spec_text(maturity="proactive", schedule="0 3 * * *", retention=90, training="",
              deployment="", access="", display_name="ACME") -> str:
    return SPEC.format(maturity=maturity, schedule=schedule, retention=retention,
                       training=training, deployment=deployment, access=access,
                       display_name=display_name)


class Blueprint(ParsedBlueprint):
    def ours(self, kind: str, rtype: str) -> dict[str, dict]:
        """Blocks of a type declared in this phase's files (not the data/training files)."""
        return self.declared_in(kind, rtype, OUR_FILES)


def build(spec: ResolvedSpec) -> Blueprint:
    return parse(spec, Blueprint)


def render(text: str) -> Blueprint:
    return build(load_spec_text(text, "test.yaml"))


@pytest.fixture(scope="module")
def proactive() -> Blueprint:
    return render(spec_text())


@pytest.fixture(scope="module")
def managed() -> Blueprint:
    return render(spec_text(maturity="managed", retention=731))


@pytest.fixture(scope="module")
def reactive() -> Blueprint:
    return render(spec_text(maturity="reactive", access=""))


@pytest.fixture(scope="module", params=[p.stem for p in AWS_EXAMPLES])
def example(request) -> Blueprint:
    return build(load_spec(REPO / "blueprints" / f"{request.param}.yaml"))


def pipeline_states(bp: Blueprint) -> dict[str, dict]:
    return bp.locals["pipeline_definition"]["States"]


def statements(document: dict) -> list[dict]:
    return document.get("statement", [])


# --- access: consumers, API keys, usage plans -----------------------------------------------


def test_each_consumer_gets_an_api_key_and_usage_plan_with_its_throttle_and_quota(proactive):
    assert proactive.locals["api_consumers"] == {
        "partner-a": {"rate_limit": 50, "burst_limit": 100, "quota_per_day": 100000},
        "shop": {"rate_limit": 7.5, "burst_limit": 15, "quota_per_day": 2500},
    }
    key = proactive.resources[("aws_api_gateway_api_key", "consumer")]
    plan = proactive.resources[("aws_api_gateway_usage_plan", "consumer")]
    link = proactive.resources[("aws_api_gateway_usage_plan_key", "consumer")]
    for block in (key, plan, link):
        assert block["for_each"] == "${local.api_consumers}"
    assert plan["throttle_settings"][0] == {
        "rate_limit": "${each.value.rate_limit}", "burst_limit": "${each.value.burst_limit}",
    }
    assert plan["quota_settings"][0] == {"limit": "${each.value.quota_per_day}", "period": "DAY"}
    assert plan["api_stages"][0]["stage"] == "${aws_api_gateway_stage.main.stage_name}"
    assert link["key_id"] == "${aws_api_gateway_api_key.consumer[each.key].id}"
    assert link["usage_plan_id"] == "${aws_api_gateway_usage_plan.consumer[each.key].id}"


def test_stage_throttle_leaves_room_for_every_usage_plan(proactive):
    settings = proactive.resources[("aws_api_gateway_method_settings", "all")]["settings"][0]
    assert settings["throttling_rate_limit"] == 57.5
    assert settings["throttling_burst_limit"] == 115
    assert settings["caching_enabled"] is False and settings["cache_data_encrypted"] is True
    assert settings["data_trace_enabled"] is False and settings["metrics_enabled"] is True


def test_predict_method_needs_an_api_key_and_a_valid_body(proactive):
    method = proactive.resources[("aws_api_gateway_method", "predict")]
    assert method["http_method"] == "POST" and method["api_key_required"] is True
    validator = proactive.resources[("aws_api_gateway_request_validator", "predict")]
    assert validator["validate_request_body"] is True
    assert method["request_validator_id"] == "${aws_api_gateway_request_validator.predict.id}"
    api = proactive.resources[("aws_api_gateway_rest_api", "main")]
    assert api["endpoint_configuration"][0]["types"] == ["REGIONAL"]
    integration = proactive.resources[("aws_api_gateway_integration", "predict")]
    assert integration["type"] == "AWS_PROXY"
    assert integration["uri"] == "${aws_lambda_function.predict.invoke_arn}"
    permission = proactive.resources[("aws_lambda_permission", "api_gateway")]
    assert permission["source_arn"].endswith("/*/POST/predict")


def test_stage_logs_as_json_to_an_encrypted_group_and_traces(proactive):
    stage = proactive.resources[("aws_api_gateway_stage", "main")]
    assert stage["xray_tracing_enabled"] is True
    logs = stage["access_log_settings"][0]
    assert logs["destination_arn"] == "${aws_cloudwatch_log_group.api_access.arn}"
    assert logs["format"].startswith("${jsonencode(")
    assert "$context.identity.apiKeyId" in logs["format"]
    for group in ("api_access", "api_execution"):
        assert proactive.resources[("aws_cloudwatch_log_group", group)]["kms_key_id"] == MAIN_KEY
    deployment = proactive.resources[("aws_api_gateway_deployment", "main")]
    assert deployment["lifecycle"][0]["create_before_destroy"] is True
    assert "redeployment" in deployment["triggers"]
    # The account-wide CloudWatch role of API Gateway belongs to the account baseline (bootstrap).
    assert not [k for k in proactive.resources if k[0] == "aws_api_gateway_account"]


@pytest.mark.parametrize("text", [
    spec_text(maturity="reactive"),
    spec_text(access="    enabled: false\n"),
])
def test_access_disabled_renders_no_api(text):
    bp = render(text)
    assert "access.tf" not in bp.files and "files/lambda/predict.py" not in bp.files
    assert not [k for k in bp.resources if k[0].startswith(("aws_api_gateway", "aws_wafv2"))]
    assert ("aws_lambda_function", "predict") not in bp.resources
    assert "api_predict_url" not in bp.text("outputs.tf")


def test_waf_guards_every_public_stage(proactive, managed):
    assert proactive.resources[("aws_wafv2_web_acl_association", "api")]
    assert "CKV2_AWS_29" not in proactive.text("access.tf")

    acl = managed.resources[("aws_wafv2_web_acl", "api")]
    assert acl["scope"] == "REGIONAL"
    groups = [r["statement"][0]["managed_rule_group_statement"][0]["name"]
              for r in acl["rule"] if "managed_rule_group_statement" in r["statement"][0]]
    assert groups == ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
                      "AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesAnonymousIpList"]
    rate = [r for r in acl["rule"] if "rate_based_statement" in r["statement"][0]]
    assert len(rate) == 1 and "block" in rate[0]["action"][0]
    # Both consumers at full rate for 5 minutes, with 50% headroom.
    assert rate[0]["statement"][0]["rate_based_statement"][0]["limit"] == 25875
    assert managed.resources[("aws_wafv2_web_acl_association", "api")]["resource_arn"] == (
        "${aws_api_gateway_stage.main.arn}")
    logging = managed.resources[("aws_wafv2_web_acl_logging_configuration", "api")]
    assert logging["log_destination_configs"] == ["${aws_cloudwatch_log_group.waf.arn}"]
    assert managed.resources[("aws_cloudwatch_log_group", "waf")]["name"].startswith("aws-waf-logs-")
    assert "CKV2_AWS_29" not in managed.text("access.tf")
    # The log delivery policy is the log group's own (resource_arn), never one of the account's 10
    # account-scoped policies (PutResourcePolicy: exactly one of policyName and resourceArn).
    policy = managed.resources[("aws_cloudwatch_log_resource_policy", "waf")]
    assert policy["resource_arn"] == "${aws_cloudwatch_log_group.waf.arn}"
    assert "policy_name" not in policy


def test_waf_cannot_be_turned_off_for_the_public_api():
    with pytest.raises(SpecError, match="phases.access.waf: the prediction API is public"):
        render(spec_text(maturity="managed", access="    waf: false\n"))


def test_free_text_in_the_api_description_cannot_break_out():
    hostile = '"Evil ${file(\\"/etc/passwd\\")} %{ if true }\\\\"'
    bp = render(spec_text(display_name=hostile))
    description = bp.resources[("aws_api_gateway_rest_api", "main")]["description"]
    # Template sequences arrive escaped (no live interpolation or directive), the text intact.
    assert "${" not in description and "%{" not in description
    assert description.startswith("Model predictions for Evil ") and "/etc/passwd" in description
    assert bp.text("access.tf").count("Model predictions for") == 1


# --- deployment: pipeline, schedule, deploy step --------------------------------------------


@pytest.mark.parametrize("cron,expected", [
    ("0 3 * * *", "cron(0 3 * * ? *)"),
    ("30 2 * * 1-5", "cron(30 2 ? * 2-6 *)"),
    ("0 */6 * * *", "cron(0 */6 * * ? *)"),
])
def test_schedule_is_converted_to_eventbridge_cron_in_utc(cron, expected):
    bp = render(spec_text(schedule=cron))
    schedule = bp.resources[("aws_scheduler_schedule", "pipeline")]
    assert schedule["schedule_expression"] == expected
    assert schedule["schedule_expression_timezone"] == "UTC"
    assert schedule["kms_key_arn"] == MAIN_KEY
    target = schedule["target"][0]
    assert target["arn"] == "${aws_sfn_state_machine.pipeline.arn}"
    assert target["role_arn"] == "${aws_iam_role.scheduler.arn}"
    assert target["dead_letter_config"][0]["arn"] == "${aws_sqs_queue.scheduler_dlq.arn}"


def test_variants_and_weights_reach_the_deploy_lambda_config():
    bp = render(spec_text(maturity="managed", deployment=(
        "    size: large\n    min_instances: 2\n    max_instances: 5\n"
        "    variants: [{name: blue, weight: 70}, {name: green, weight: 30}]\n")))
    assert bp.locals["endpoint_variants"] == [
        {"name": "blue", "weight": 70, "instance_type": "ml.m5.2xlarge",
         "initial_instance_count": 2, "min_capacity": 2, "max_capacity": 5},
        {"name": "green", "weight": 30, "instance_type": "ml.m5.2xlarge",
         "initial_instance_count": 2, "min_capacity": 2, "max_capacity": 5},
    ]
    assert bp.locals["deploy_config"]["variants"] == "${local.endpoint_variants}"
    assert bp.locals["deploy_config"]["endpoint_name"] == "${local.endpoint_name}"
    assert bp.locals["endpoint_name"] == "acme-prod-endpoint"
    env = bp.resources[("aws_lambda_function", "deploy")]["environment"][0]["variables"]
    assert env["DEPLOY_CONFIG"] == "${jsonencode(local.deploy_config)}"
    # The deploy state machine hands every step to that Lambda, which scales the same variants.
    for name in ("Deploy", "CheckEndpoint", "Autoscale", "MonitorDrift", "Prune"):
        step = bp.locals["deploy_definition"]["States"][name]
        assert step["Parameters"]["FunctionName"] == "${aws_lambda_function.deploy.arn}"


def test_instance_type_override_and_gpu_types_drop_the_volume_key():
    bp = render(spec_text(maturity="managed", training=", gpu: t4",
                          deployment="    instance_type: ml.g4dn.2xlarge\n"))
    assert {v["instance_type"] for v in bp.locals["endpoint_variants"]} == {"ml.g4dn.2xlarge"}
    assert bp.locals["deploy_config"]["volume_kms"] is False  # NVMe instance store
    resources = pipeline_states(bp)["Train"]["Parameters"]["ResourceConfig"]
    assert resources["InstanceType"] == "ml.g4dn.xlarge"
    assert "VolumeKmsKeyId" not in resources


def test_pipeline_runs_etl_prepare_train_evaluate_register_in_order(proactive):
    definition = proactive.locals["pipeline_definition"]
    states = definition["States"]
    order, state = [], definition["StartAt"]
    while state and states[state]["Type"] not in ("Succeed", "Fail"):
        order.append(state)
        body = states[state]
        if body["Type"] == "Choice":  # follow the branch that goes on working
            options = [c["Next"] for c in body["Choices"]] + [body["Default"]]
            # (the overlap branch only counts the skipped run, then succeeds)
            state = next(o for o in options
                         if states[o]["Type"] not in ("Succeed", "Fail") and o not in order
                         and o != "PreviousRunStillGoing")
        else:
            state = body.get("Next")
    assert [s for s in order if s in (
        "RunEtl", "PrepareTrainingSet", "CheckTrainingData", "Train", "Evaluate", "ReadMetrics",
        "Gate", "RegisterModel")] == [
        "RunEtl", "PrepareTrainingSet", "CheckTrainingData", "Train", "Evaluate", "ReadMetrics",
        "Gate", "RegisterModel"]
    # A real-time pipeline ends at the registry: deployment follows approval, not training.
    assert states["RegisterModel"]["Next"] == "Registered"
    assert states["Registered"]["Type"] == "Succeed"
    assert not {"Deploy", "CreateModel", "Autoscale"} & set(states)
    assert states["PrepareTrainingSet"]["Parameters"]["JobName"] == "${aws_glue_job.prepare.name}"
    assert states["RunEtl"]["Resource"].endswith(":states:::glue:startJobRun.sync")
    assert states["RunEtl"]["Parameters"]["JobName"] == "${aws_glue_job.etl.name}"
    assert states["Train"]["Resource"].endswith(":states:::sagemaker:createTrainingJob.sync")
    train = states["Train"]["Parameters"]
    assert train["RoleArn"] == "${aws_iam_role.sagemaker_pipeline.arn}"
    assert train["OutputDataConfig"]["KmsKeyId"] == MAIN_KEY
    assert train["EnableNetworkIsolation"] is True
    assert train["VpcConfig"] == "${local.pipeline_vpc_config}"
    register = states["RegisterModel"]["Parameters"]
    assert register["ModelPackageGroupName"] == (
        "${aws_sagemaker_model_package_group.main.model_package_group_name}")
    assert "Baseline" not in states  # drift detection is off at proactive level
    # Every task that can fail ends in the failure notification.
    for name, body in states.items():
        if body["Type"] in ("Task", "Map") and name != "NotifyFailure":
            assert body["Catch"] == "${local.pipeline_catch}", name


def test_drift_detection_captures_data_and_schedules_monitoring(managed):
    config = managed.locals["deploy_config"]
    assert config["drift_detection"] is True
    assert config["monitor_image"] == (
        "468650794304.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-model-monitor-analyzer:latest")
    assert config["data_capture_uri"].startswith("s3://${aws_s3_bucket.artifacts.bucket}/")
    assert config["data_capture_percent"] == 20  # the spec default, not 100%
    assert managed.locals["deploy_definition"]["States"]["Autoscale"]["Next"] == "MonitorDrift"


def test_reactive_scores_in_batch_without_an_endpoint(reactive):
    states = pipeline_states(reactive)
    assert "Deploy" not in states and "BatchTransform" in states
    transform = states["BatchTransform"]["Parameters"]
    assert transform["TransformResources"]["InstanceType"] == "ml.m5.large"
    assert transform["TransformOutput"]["KmsKeyId"] == MAIN_KEY
    assert not reactive.of_type("aws_lambda_function")
    assert "files/lambda/deploy.py" not in reactive.files
    assert not [n for n in reactive.of_type("aws_cloudwatch_metric_alarm") if n.startswith("endpoint")]
    assert "endpoint_name" not in reactive.locals


def test_state_machine_logs_traces_and_uses_the_main_key(example):
    machine = example.resources[("aws_sfn_state_machine", "pipeline")]
    assert machine["type"] == "STANDARD"
    assert machine["definition"] == "${jsonencode(local.pipeline_definition)}"
    logging = machine["logging_configuration"][0]
    assert logging["level"] == "ALL" and logging["include_execution_data"] is True
    assert logging["log_destination"] == "${aws_cloudwatch_log_group.pipeline.arn}:*"
    assert machine["tracing_configuration"][0]["enabled"] is True
    assert machine["encryption_configuration"][0]["kms_key_id"] == family_key(example, "pipeline")


def test_lambda_sources_ship_with_the_blueprint_and_are_packaged_from_there(example):
    for name, archive in example.ours("data", "archive_file").items():
        source = archive["source_file"]
        assert source == f"${{path.module}}/files/lambda/{name}.py"
        assert f"files/lambda/{name}.py" in example.files
        assert archive["output_path"].startswith("${path.module}/build/")


# --- monitoring -----------------------------------------------------------------------------


def test_every_alarm_notifies_the_encrypted_alerts_topic(example):
    alarms = example.ours("resource", "aws_cloudwatch_metric_alarm")
    assert alarms
    assert example.locals["alarm_actions"] == ["${aws_sns_topic.alerts.arn}"]
    for name, alarm in alarms.items():
        assert alarm["alarm_actions"] == "${local.alarm_actions}", name
        assert alarm["alarm_name"].startswith("${local.name_prefix}-"), name
    topic = example.resources[("aws_sns_topic", "alerts")]
    assert topic["kms_master_key_id"] == family_key(example, "pipeline")


def test_alert_emails_are_subscribed(proactive):
    subscription = proactive.resources[("aws_sns_topic_subscription", "alert_email")]
    assert subscription["for_each"] == '${toset(["cto@acme.example", "oncall@acme.example"])}'
    assert subscription["protocol"] == "email"


def test_alarms_cover_pipeline_lambdas_endpoint_and_api(managed):
    alarms = managed.of_type("aws_cloudwatch_metric_alarm")
    # Metric-math alarms (the ETL's quarantined share) name their metrics in metric_query.
    metrics = {a["metric_name"] for a in alarms.values() if "metric_name" in a}
    metrics |= {q["metric"][0]["metric_name"] for a in alarms.values()
                for q in a.get("metric_query", []) if "metric" in q}
    assert {"RecordsCurated", "RecordsQuarantined", "ExecutionsSucceeded"} <= metrics
    assert {"ExecutionsFailed", "Errors", "Invocation5XXErrors", "ModelLatency", "5XXError"} <= metrics
    latency = alarms["endpoint_latency"]
    assert latency["extended_statistic"] == "p90"
    assert latency["for_each"] == "${{for v in local.endpoint_variants : v.name => v}}"
    assert managed.locals["monitored_functions"].keys() == {"deploy", "predict"}


def test_every_eventbridge_rule_alarms_on_its_failed_invocations(example):
    """A rule whose target refuses the event (a topic or key policy EventBridge does not satisfy, as
    the drift rule's key conditions did) fails silently: AWS/Events FailedInvocations per rule alarms."""
    rules = example.of_type("aws_cloudwatch_event_rule")
    watched = {a["dimensions"]["RuleName"]: a for a in example.of_type("aws_cloudwatch_metric_alarm").values()
               if a.get("namespace") == "AWS/Events" and a.get("metric_name") == "FailedInvocations"}
    assert set(watched) == {f"${{aws_cloudwatch_event_rule.{label}.name}}" for label in rules}
    for alarm in watched.values():
        assert alarm["statistic"] == "Sum" and alarm["threshold"] == 1
        assert alarm["comparison_operator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["treat_missing_data"] == "notBreaching"


def test_managed_drift_rule_and_approval_rule_are_both_watched(managed):
    names = {a["dimensions"]["RuleName"] for a in managed.of_type("aws_cloudwatch_metric_alarm").values()
             if a.get("metric_name") == "FailedInvocations"}
    assert names == {"${aws_cloudwatch_event_rule.drift.name}", "${aws_cloudwatch_event_rule.model_approved.name}"}


def test_dashboard_only_at_managed_level(proactive, managed):
    assert ("aws_cloudwatch_dashboard", "main") not in proactive.resources
    assert ("aws_cloudwatch_dashboard", "main") in managed.resources
    override = render(spec_text(deployment="    dashboard: true\n"))
    assert ("aws_cloudwatch_dashboard", "main") in override.resources


# --- Lambda hygiene and IAM -----------------------------------------------------------------


def test_every_lambda_has_tracing_kms_vpc_and_retained_logs_and_no_useless_dlq(example):
    retention = example.spec.phases.data.log_retention_days
    for name, fn in example.of_type("aws_lambda_function").items():
        assert fn["runtime"] == "python3.12", name
        assert fn["tracing_config"][0]["mode"] == "Active", name
        assert fn["kms_key_arn"] == family_key(example, "serving" if name == "predict" else "pipeline"), name
        skips = example.text(example.origin[("resource", "aws_lambda_function", name)])
        if name == "predict":
            # Sized for the contracted rates; the preflight checks the account can reserve it.
            assert fn["reserved_concurrent_executions"] >= 10, name
        else:
            assert "reserved_concurrent_executions" not in fn, name
            assert "#checkov:skip=CKV_AWS_115:" in skips, name
        # Invoked synchronously only (API Gateway, Step Functions): a DLQ would never receive.
        assert "dead_letter_config" not in fn, name
        assert ("aws_sqs_queue", f"{name}_dlq") not in example.resources
        assert "#checkov:skip=CKV_AWS_116:" in skips, name
        assert fn["vpc_config"][0]["subnet_ids"] == "${local.private_subnet_ids}", name
        group = fn["logging_config"][0]["log_group"]
        assert group == f"${{aws_cloudwatch_log_group.{name}.name}}", name
        log_group = example.resources[("aws_cloudwatch_log_group", name)]
        assert log_group["kms_key_id"] == family_key(example, "logs") and log_group["retention_in_days"] == retention


def test_every_log_group_of_these_phases_is_encrypted_and_expires(example):
    retention = example.spec.phases.data.log_retention_days
    for name, group in example.ours("resource", "aws_cloudwatch_log_group").items():
        assert group["kms_key_id"] == family_key(example, "logs"), name
        assert group["retention_in_days"] == retention, name


# Statements that need Resource "*" because the AWS APIs have no resource-level permissions:
# log delivery and X-Ray (Step Functions), Application Auto Scaling (writes conditioned on the
# SageMaker namespace), and Describe calls plus X-Ray for the VPC Lambda functions.
WILDCARD_STATEMENTS = {
    # PutMetricData has no resource-level permissions; the statement pins cloudwatch:namespace.
    "CountSkippedRuns": {"cloudwatch:PutMetricData"},
    "LogDeliveryAndTracing": {
        "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies", "logs:DescribeLogGroups", "xray:PutTraceSegments",
        "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
    },
    "AutoscaleVariants": {
        "application-autoscaling:RegisterScalableTarget",
        "application-autoscaling:DeregisterScalableTarget",
        "application-autoscaling:PutScalingPolicy",
    },
    # The Describe actions support no condition key: their own statement, unconditioned.
    "ReadAutoscaling": {
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:DescribeScalingPolicies",
    },
    "DescribeNetworkAndTrace": {
        "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    },
    "ListVersionsToPrune": {"sagemaker:ListEndpointConfigs", "sagemaker:ListModels"},
    # The pipeline's SageMaker role (jobs pull images, publish metrics, run in the private subnets).
    "EcrLogin": {"ecr:GetAuthorizationToken"},
    "PublishSageMakerMetrics": {"cloudwatch:PutMetricData"},
    "DescribeTheNetwork": {
        "ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeRouteTables",
        "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcEndpoints", "ec2:DescribeVpcs",
    },
}


def test_iam_statements_use_wildcard_resources_only_where_aws_requires_it(example):
    documents = example.ours("data", "aws_iam_policy_document")
    assert documents
    for doc_name, document in documents.items():
        for statement in statements(document):
            resources = statement.get("resources", [])
            if any("*" == r for r in resources):
                sid = statement.get("sid")
                assert sid in WILDCARD_STATEMENTS, (doc_name, statement)
                assert set(statement["actions"]) <= WILDCARD_STATEMENTS[sid], (doc_name, sid)
                assert resources == ["*"]
            for action in statement.get("actions", []):
                assert not action.endswith(":*") and action != "*", (doc_name, action)


def test_autoscaling_wildcard_is_pinned_to_sagemaker(managed):
    deploy = managed.data[("aws_iam_policy_document", "deploy")]
    [scaling] = [s for s in statements(deploy) if s.get("sid") == "AutoscaleVariants"]
    assert scaling["condition"][0]["variable"] == "application-autoscaling:service-namespace"
    assert scaling["condition"][0]["values"] == ["sagemaker"]


def test_pass_role_only_for_the_pipelines_sagemaker_role_and_only_to_sagemaker(example):
    found = 0
    for document in example.ours("data", "aws_iam_policy_document").values():
        for statement in statements(document):
            if "iam:PassRole" in statement.get("actions", []):
                found += 1
                assert statement["actions"] == ["iam:PassRole"]
                assert statement["resources"] == ["${aws_iam_role.sagemaker_pipeline.arn}"]
                [condition] = statement["condition"]
                assert condition["variable"] == "iam:PassedToService"
                assert condition["values"] == ["sagemaker.amazonaws.com"]
    assert found >= 1


def test_endpoint_permissions_are_scoped_to_the_endpoint_arn(managed):
    assert managed.locals["endpoint_arn"] == (
        "${local.pipeline_sagemaker_arn}:endpoint/${local.endpoint_name}")
    predict = managed.data[("aws_iam_policy_document", "predict")]
    [invoke] = [s for s in statements(predict) if "sagemaker:InvokeEndpoint" in s["actions"]]
    assert invoke["resources"] == ["${local.endpoint_arn}"]
    deploy = managed.data[("aws_iam_policy_document", "deploy")]
    [manage] = [s for s in statements(deploy) if s.get("sid") == "ManageEndpoint"]
    assert manage["resources"] == [
        "${local.endpoint_arn}",
        "${local.pipeline_sagemaker_arn}:endpoint-config/${local.endpoint_name}-*",
        "${local.pipeline_sagemaker_arn}:model/${local.endpoint_name}-v*",
    ]


def test_service_roles_trust_only_their_service_in_this_account(example):
    # aws:SourceAccount only where the service documents sending it: a StringEquals on a key
    # the service does not send is false, and the service could never assume the role.
    expected = {"pipeline_assume": True, "scheduler_assume": True, "lambda_assume": False,
                "events_assume": True}
    for name, conditioned in expected.items():
        document = example.data.get(("aws_iam_policy_document", name))
        if document is None:
            continue
        [statement] = statements(document)
        variables = [c["variable"] for c in statement.get("condition", [])]
        if conditioned:
            assert variables[0] == "aws:SourceAccount", name
            assert statement["condition"][0]["values"] == ["${local.account_id}"]
        else:
            assert "aws:SourceAccount" not in variables, name
    assert ("aws_iam_policy_document", "api_gateway_assume") not in example.data


# --- the render context ---------------------------------------------------------------------


def test_context_maps_sizes_to_types_valid_for_each_job_kind():
    spec = load_spec_text(spec_text(maturity="reactive", training=", size: small"), "t.yaml")
    ctx = aws.build_context(spec)
    assert ctx.training_instance_type == "ml.m5.large"  # ml.t3.medium is notebook-only
    assert ctx.inference_instance_type == "ml.c5.large"
    assert ctx.transform_instance_type == "ml.m5.large"  # transform jobs start at c5.xlarge
    assert ctx.realtime is False and ctx.access_enabled is False


def test_job_names_stay_within_sagemaker_limits():
    text = spec_text().replace("name: acme", "name: abcdefghijklmnopqrst").replace(
        "environment: prod", "environment: staging")
    ctx = aws.build_context(load_spec_text(text, "t.yaml"))
    assert ctx.name_prefix == "abcdefghijklmnopqrst-staging"
    assert len(ctx.job_prefix) + 1 + 36 + len("-eval") <= 63
    assert not ctx.job_prefix.endswith("-")


def test_files_follow_the_enabled_phases():
    spec = load_spec_text(spec_text(), "t.yaml")
    ctx = aws.build_context(spec)
    assert [out for out, _ in aws_serving.files(ctx)] == [
        "deployment.tf", "monitoring.tf", "files/glue/prepare.py", "files/evaluation/evaluate.py",
        "files/lambda/deploy.py", "access.tf", "files/lambda/predict.py",
    ]
    ctx = dataclasses.replace(ctx, deployment_enabled=False, realtime=False, access_enabled=False)
    assert aws_serving.files(ctx) == []


def test_lambda_network_interfaces_are_confined_to_the_private_subnets(managed):
    assert managed.locals["lambda_eni_resources"].startswith("${concat(")
    assert "local.private_subnet_ids" in managed.locals["lambda_eni_resources"]
    for name in ("deploy", "predict"):
        document = managed.data[("aws_iam_policy_document", name)]
        [create] = [s for s in statements(document) if s.get("sid") == "CreateNetworkInterfaces"]
        assert create["actions"] == ["ec2:CreateNetworkInterface"]
        assert create["resources"] == "${local.lambda_eni_resources}"


# --- the state machine against the AWS API models -------------------------------------------


def _all_states(states: dict) -> dict[str, dict]:
    """Top-level states plus those inside Map item processors."""
    out = {}
    for name, body in states.items():
        out[name] = body
        if body["Type"] == "Map":
            out.update(_all_states(body["ItemProcessor"]["States"]))
    return out


def _targets(body: dict) -> list[str]:
    out = [body[k] for k in ("Next", "Default") if k in body]
    out += [c["Next"] for c in body.get("Choices", [])]
    catch = body.get("Catch", [])
    if isinstance(catch, list):
        out += [c["Next"] for c in catch]
    elif catch in ("${local.pipeline_catch}", "${local.deploy_catch}"):
        out.append("NotifyFailure")
    return out


@pytest.mark.parametrize("fixture", ["reactive", "proactive", "managed"])
def test_every_transition_leads_to_a_state_and_every_state_is_reachable(fixture, request):
    bp = request.getfixturevalue(fixture)

    def check(machine: dict) -> None:
        states = machine["States"]
        seen, todo = set(), [machine["StartAt"]]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            assert name in states, f"transition to unknown state {name}"
            seen.add(name)
            body = states[name]
            if body["Type"] == "Map":
                check(body["ItemProcessor"])
            todo.extend(_targets(body))
        assert seen == set(states), f"unreachable: {set(states) - seen}"

    check(bp.locals["pipeline_definition"])
    if "deploy_definition" in bp.locals:
        check(bp.locals["deploy_definition"])


_INTEGRATION = r"^arn:\$\{local\.partition\}:states:::(aws-sdk:)?([a-z]+):([A-Za-z0-9]+)(\.sync)?$"
_SERVICES = {"applicationautoscaling": "application-autoscaling", "sfn": "stepfunctions"}
_LISTS = {"${local.private_subnet_ids}": ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]}


def _concrete(value, locals_: dict):
    """Parameters with Terraform references replaced by plausible values of the right type."""
    if isinstance(value, dict):
        return {k: _concrete(v, locals_) for k, v in value.items()}
    if isinstance(value, list):
        return [_concrete(v, locals_) for v in value]
    if isinstance(value, str):
        if value in _LISTS:
            return _LISTS[value]
        if value.startswith("${local.") and value.endswith("}") and value[8:-1] in locals_:
            return _concrete(locals_[value[8:-1]], locals_)
        return re.sub(r"\$\{[^}]+\}", "placeholder-0123456789", value)
    return value


def _dummy(shape):
    kind = shape.type_name
    if kind == "string":
        return "x" * max(shape.metadata.get("min", 1), 1)
    if kind in ("integer", "long"):
        return max(shape.metadata.get("min", 1), 1)
    if kind in ("float", "double"):
        return 1.0
    if kind == "boolean":
        return True
    if kind == "list":
        return [_dummy(shape.member)]
    if kind == "structure":
        return {}
    return "x"


def _fill_paths(params: dict, shape) -> dict:
    """Keys ending in ".$" take their value at run time: use a value of the member's type."""
    out = {}
    # aws-sdk integrations take PascalCase names even where the API uses camelCase.
    members = {m[0].upper() + m[1:]: m for m in shape.members}
    for key, value in params.items():
        name = key.removesuffix(".$")
        name = name if name in shape.members else members.get(name, name)
        assert name in shape.members, f"{shape.name} has no member {name}"
        member = shape.members[name]
        if key.endswith(".$"):
            out[name] = _dummy(member)
        elif isinstance(value, dict) and member.type_name == "structure":
            out[name] = _fill_paths(value, member)
        elif isinstance(value, list) and member.type_name == "list" and value and isinstance(value[0], dict):
            out[name] = [_fill_paths(v, member.member) for v in value]
        else:
            out[name] = value
    return out


@pytest.mark.parametrize("fixture", ["reactive", "proactive", "managed"])
def test_every_aws_call_of_the_pipeline_matches_the_api_model(fixture, request):
    import botocore.session
    from botocore.validate import validate_parameters

    bp = request.getfixturevalue(fixture)
    session = botocore.session.get_session()
    checked = 0
    for body in _all_states(pipeline_states(bp)).values():
        match = re.match(_INTEGRATION, body.get("Resource", ""))
        if body["Type"] != "Task" or match is None or match.group(2) == "lambda":
            continue
        service = _SERVICES.get(match.group(2), match.group(2))
        operation_name = match.group(3)[0].upper() + match.group(3)[1:]
        operation = session.get_service_model(service).operation_model(operation_name)
        params = _fill_paths(_concrete(body["Parameters"], bp.locals), operation.input_shape)
        validate_parameters(params, operation.input_shape)  # raises on any mismatch
        checked += 1
    assert checked >= 6


def test_overlapping_runs_stop_early_and_the_check_names_the_machine_without_a_cycle(proactive):
    definition = proactive.locals["pipeline_definition"]
    assert definition["StartAt"] == "CheckOverlap"
    check = definition["States"]["CheckOverlap"]
    assert check["Parameters"]["StateMachineArn"] == "${local.pipeline_state_machine_arn}"
    assert proactive.locals["pipeline_state_machine_arn"].endswith(":stateMachine:${local.pipeline_name}")
    assert proactive.resources[("aws_sfn_state_machine", "pipeline")]["name"] == "${local.pipeline_name}"
    pipeline = proactive.data[("aws_iam_policy_document", "pipeline")]
    [listing] = [s for s in statements(pipeline) if "states:ListExecutions" in s["actions"]]
    assert listing["resources"] == ["${local.pipeline_state_machine_arn}"]


# --- drift baseline: what the deploy Lambda does is what its role allows --------------------


def test_deploy_role_may_list_exactly_the_baseline_prefix_the_lambda_lists(managed):
    from fnmatch import fnmatchcase

    config = managed.locals["deploy_config"]
    document = managed.data[("aws_iam_policy_document", "deploy")]
    listing = [s for s in statements(document) if "s3:ListBucket" in s["actions"]]
    assert len(listing) == 1
    assert listing[0]["resources"] == ["${aws_s3_bucket.artifacts.arn}"]
    (condition,) = listing[0]["condition"]
    assert (condition["test"], condition["variable"]) == ("StringLike", "s3:prefix")
    assert any(fnmatchcase(config["baseline_prefix"], v) for v in condition["values"])
    # HeadObject on a missing key needs an unconditional ListBucket to answer 404 rather
    # than 403: the baseline lookup must list, never head. (verify_artifact heads the model
    # artifact, which must exist: a 403 there fails the deployment, as it should.)
    import ast

    tree = ast.parse((REPO / "templates" / "aws" / "files" / "lambda" / "deploy.py").read_text())
    (lookup,) = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == "baseline_uris"]
    source = ast.unparse(lookup)
    assert "list_objects_v2" in source and "head_object" not in source


# --- network: the pipeline's jobs and models run in the private subnets ---------------------


def test_pipeline_role_creates_training_jobs_and_models_only_with_the_vpc_config(example):
    document = example.data[("aws_iam_policy_document", "pipeline")]
    creating = {"sagemaker:CreateTrainingJob", "sagemaker:CreateProcessingJob", "sagemaker:CreateModel"}
    granting = [s for s in statements(document) if creating & set(s["actions"])]
    if example.spec.phases.deployment.realtime:
        # The deploy Lambda creates the endpoint's models from approved packages, under the
        # same conditions.
        deploy = example.data[("aws_iam_policy_document", "deploy")]
        granting += [s for s in statements(deploy) if creating & set(s["actions"])]
    assert len(granting) == (2 if example.spec.phases.deployment.realtime else 1)
    for statement in granting:
        conditions = {(c["test"], c["variable"]): c["values"] for c in statement["condition"]}
        assert conditions == {
            ("ForAllValues:StringEquals", "sagemaker:VpcSubnets"): "${local.pipeline_vpc_config.Subnets}",
            ("Null", "sagemaker:VpcSubnets"): ["false"],
            ("ForAllValues:StringEquals", "sagemaker:VpcSecurityGroupIds"):
                "${local.pipeline_vpc_config.SecurityGroupIds}",
            ("Null", "sagemaker:VpcSecurityGroupIds"): ["false"],
        }
    assert example.locals["pipeline_vpc_config"] == {
        "SecurityGroupIds": ["${aws_security_group.sagemaker.id}"],
        "Subnets": "${local.private_subnet_ids}",
    }
    states = pipeline_states(example)
    assert states["Train"]["Parameters"]["VpcConfig"] == "${local.pipeline_vpc_config}"
    assert states["Evaluate"]["Parameters"]["NetworkConfig"]["VpcConfig"] == "${local.pipeline_vpc_config}"
    if "CreateModel" in states:
        assert states["CreateModel"]["Parameters"]["VpcConfig"] == "${local.pipeline_vpc_config}"
    if example.spec.phases.deployment.realtime:
        config = example.locals["deploy_config"]
        assert config["subnet_ids"] == "${local.private_subnet_ids}"
        assert config["security_group_ids"] == ["${aws_security_group.sagemaker.id}"]


def test_dashboard_plots_what_autoscaling_tracks_not_cpu(managed):
    body = managed.text("monitoring.tf")
    assert "CPUUtilization" not in body
    assert '"AWS/SageMaker", "InvocationsPerInstance"' in body


def test_a_busy_endpoint_loops_through_a_counted_wait_instead_of_raising(managed):
    states = managed.locals["deploy_definition"]["States"]
    deploy = states["Deploy"]
    assert deploy["ResultSelector"] == "${local.deploy_answer}"
    assert managed.locals["deploy_answer"]["state.$"] == "$.Payload.state"
    assert deploy["Next"] == "Deployed"
    rules = {r["StringEquals"]: r["Next"] for r in states["Deployed"]["Choices"]}
    assert rules == {"updating": "WaitForEndpoint", "unchanged": "Autoscale", "busy": "CountBusyWait"}
    assert states["Deployed"]["Default"] == "DeployFailed"  # "failed" and anything unknown
    assert states["BusyTooLong"]["Default"] == "WaitWhileBusy"
    assert states["WaitWhileBusy"]["Type"] == "Wait" and states["WaitWhileBusy"]["Next"] == "Deploy"
    serving = {r["StringEquals"]: r["Next"] for r in states["Serving"]["Choices"]}
    assert serving == {"in_service": "Autoscale", "busy": "CountPoll"}
    assert states["Serving"]["Default"] == "CheckFailed"


def test_deployment_follows_approval_of_a_package_of_this_group(proactive):
    rule = proactive.resources[("aws_cloudwatch_event_rule", "model_approved")]
    pattern = rule["event_pattern"]
    assert "SageMaker Model Package State Change" in pattern
    assert "ModelApprovalStatus" in pattern and "Approved" in pattern
    assert "aws_sagemaker_model_package_group.main.model_package_group_name" in pattern
    target = proactive.resources[("aws_cloudwatch_event_target", "model_approved")]
    assert target["arn"] == "${aws_sfn_state_machine.deploy.arn}"
    assert target["input_transformer"][0]["input_paths"] == {"package": "$.detail.ModelPackageArn"}
    assert '"model_package_arn": <package>' in target["input_transformer"][0]["input_template"]
    policy = proactive.data[("aws_iam_policy_document", "model_approved")]
    [start] = [s for s in statements(policy) if s["sid"] == "StartDeployment"]
    assert start["resources"] == ["${aws_sfn_state_machine.deploy.arn}"]


@pytest.mark.parametrize("deployment,status", [
    ("", "PendingManualApproval"),
    ("    approval: {metric: rmse, threshold: 0.3}\n", None),
    ("    approval: {metric: r2, threshold: 0.8}\n", None),
])
def test_registration_waits_for_a_human_unless_a_metric_gate_is_set(deployment, status):
    bp = render(spec_text(deployment=deployment))
    states = pipeline_states(bp)
    register = states["RegisterModel"]["Parameters"]
    assert register["ModelApprovalStatus.$"] == "$.approval"
    assert register["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri.$"] == (
        "States.Format('{}evaluation.json', $.run.evaluation_uri)")
    gate = states["Gate"]
    if status:
        assert gate["Type"] == "Pass" and gate["Result"] == status
        return
    (rule,) = gate["Choices"]
    metric = bp.spec.phases.deployment.approval.metric
    assert rule["Variable"] == f"$.metrics.report.regression_metrics.{metric}.value"
    comparison = "NumericGreaterThanEquals" if metric == "r2" else "NumericLessThanEquals"
    assert rule[comparison] == bp.spec.phases.deployment.approval.threshold
    assert states[rule["Next"]]["Result"] == "Approved"
    assert states[gate["Default"]]["Result"] == "PendingManualApproval"


def test_evaluation_runs_the_shipped_script_on_the_held_out_split(proactive):
    evaluate = pipeline_states(proactive)["Evaluate"]
    assert evaluate["Resource"].endswith(":states:::sagemaker:createProcessingJob.sync")
    params = evaluate["Parameters"]
    assert params["AppSpecification"]["ContainerEntrypoint"] == [
        "python3", "/opt/ml/processing/code/evaluate.py"]
    inputs = {i["InputName"]: i["S3Input"] for i in params["ProcessingInputs"]}
    assert inputs["test"]["S3Uri.$"] == "States.Format('{}test/', $.run.data_uri)"
    assert inputs["model"]["S3Uri.$"] == "$.training.ModelDataUrl"
    assert "evaluation_script" in inputs["code"]["S3Uri"]
    script = proactive.resources[("aws_s3_object", "evaluation_script")]
    assert script["source"] == "${path.module}/files/evaluation/evaluate.py"
    assert "files/evaluation/evaluate.py" in proactive.files


def test_the_drift_baseline_comes_from_the_training_features_and_is_stored_with_the_model(managed):
    states = pipeline_states(managed)
    assert states["Train"]["Next"] == "RecordModelArtifact"
    assert states["RecordModelArtifact"]["Next"] == "Baseline"
    baseline = states["Baseline"]["Parameters"]
    assert baseline["ProcessingInputs"][0]["S3Input"]["S3Uri.$"] == "States.Format('{}baseline/', $.run.data_uri)"
    drift = states["RegisterModel"]["Parameters"]["DriftCheckBaselines"]["ModelDataQuality"]
    assert drift["Statistics"]["S3Uri.$"].endswith("statistics.json', $.run.baseline_uri)")
    rule = managed.resources[("aws_cloudwatch_event_rule", "drift")]
    assert "SageMaker Processing Job State Change" in rule["event_pattern"]
    assert "CompletedWithViolations" in rule["event_pattern"]
    assert managed.resources[("aws_cloudwatch_event_target", "drift")]["arn"] == "${aws_sns_topic.alerts.arn}"


@pytest.mark.parametrize("training,gpu_tree", [("", False), (", gpu: t4", True),
                                               (", instance_type: ml.p3.2xlarge", True)])
def test_xgboost_trains_on_the_gpu_it_is_given(training, gpu_tree):
    bp = render(spec_text(training=training))
    train = pipeline_states(bp)["Train"]["Parameters"]
    params = train["HyperParameters"]
    assert params["objective"] == "reg:squarederror"
    assert ("tree_method" in params) == gpu_tree
    if gpu_tree:
        assert params["tree_method"] == "gpu_hist"
        assert re.match(r"^ml\.[gp]\d", train["ResourceConfig"]["InstanceType"])
