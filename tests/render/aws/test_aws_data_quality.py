"""AWS blueprint: quarantined records and data freshness alarm, the gate's own deployment."""

from __future__ import annotations

import json

import pytest

from dsaas_infra.render.aws import data_quality as aws_data_quality
from dsaas_infra.render.renderer import render_blueprint
from dsaas_infra.spec import load_spec_text
from tests.render.aws.test_aws_serving import Blueprint, pipeline_states, render, spec_text, statements


@pytest.fixture(scope="module")
def proactive() -> Blueprint:
    return render(spec_text())


def alarm(bp: Blueprint, name: str) -> dict:
    return bp.resources[("aws_cloudwatch_metric_alarm", name)]


def test_etl_job_gets_a_quarantine_prefix_required_columns_and_its_metric_namespace(proactive):
    job = proactive.resources[("aws_glue_job", "etl")]
    args = job["default_arguments"]
    assert args["--quarantine_path"] == "s3://${aws_s3_bucket.curated.bucket}/_quarantine/"
    assert args["--required_columns"] == "${jsonencode(var.etl_required_columns)}"
    assert args["--metric_namespace"] == aws_data_quality.ETL_METRIC_NAMESPACE
    variable = proactive.variables["etl_required_columns"]
    assert variable["default"] == {} and variable["type"] == "${map(list(string))}"
    # The Glue role may publish exactly Glue's and the ETL's namespaces.
    policy = proactive.data[("aws_iam_policy_document", "glue")]
    [metrics] = [s for s in statements(policy) if s["sid"] == "PublishGlueMetrics"]
    assert metrics["condition"][0]["values"] == ["Glue", aws_data_quality.ETL_METRIC_NAMESPACE]


def test_quarantine_alarm_is_the_quarantined_share_of_the_etl_jobs_records(proactive):
    a = alarm(proactive, "etl_quarantined_records")
    assert a["comparison_operator"] == "GreaterThanThreshold"
    assert a["threshold"] == aws_data_quality.QUARANTINE_ALARM_PERCENT
    assert a["treat_missing_data"] == "notBreaching"   # no run: the freshness alarms speak
    queries = {q["id"]: q for q in a["metric_query"]}
    assert queries["share"]["return_data"] is True
    assert "100 * quarantined / (curated + quarantined)" in queries["share"]["expression"]
    for qid, metric in (("curated", "RecordsCurated"), ("quarantined", "RecordsQuarantined")):
        m = queries[qid]["metric"][0]
        assert m["metric_name"] == metric and m["stat"] == "Sum"
        assert m["namespace"] == aws_data_quality.ETL_METRIC_NAMESPACE
        assert m["dimensions"] == {"JobName": "${aws_glue_job.etl.name}"}
    assert a["alarm_actions"] == "${local.alarm_actions}"


@pytest.mark.parametrize("maturity,schedule,window", [
    ("proactive", "0 3 * * *", 30),       # daily + 6 h
    ("managed", "0 */6 * * *", 12),        # every 6 h + 6 h
    ("reactive", "30 2 * * 1-5", 84),      # over the weekend + 12 h (FLEX Glue starts later)
])
def test_freshness_alarms_when_no_run_succeeds_within_the_schedule_gap_plus_slack(maturity, schedule, window):
    bp = render(spec_text(maturity=maturity, schedule=schedule, retention=731))
    stale = alarm(bp, "pipeline_stale")
    queries = {q["id"]: q for q in stale["metric_query"]}
    succeeded = queries["succeeded"]["metric"][0]
    assert succeeded["namespace"] == "AWS/States" and succeeded["metric_name"] == "ExecutionsSucceeded"
    assert succeeded["dimensions"] == {"StateMachineArn": "${aws_sfn_state_machine.pipeline.arn}"}
    curated = alarm(bp, "curated_data_stale")
    assert curated["metric_name"] == "RecordsCurated"
    assert curated["period"] == succeeded["period"] == 3600
    for a in (stale, curated):
        assert a["evaluation_periods"] == a["datapoints_to_alarm"] == window
        assert 3600 * a["evaluation_periods"] <= 604_800   # CloudWatch's limit
        assert a["comparison_operator"] == "LessThanThreshold" and a["threshold"] == 1
        # Both metrics exist only when something happened: silence must be a breach.
        assert a["treat_missing_data"] == "breaching"
        assert a["alarm_actions"] == a["ok_actions"] == "${local.alarm_actions}"


def test_a_schedule_longer_than_cloudwatch_can_watch_gets_no_alarm_and_the_readme_says_so():
    spec = load_spec_text(spec_text(schedule="0 3 1 * *"), "t.yaml")
    bp = render(spec_text(schedule="0 3 1 * *"))
    assert ("aws_cloudwatch_metric_alarm", "pipeline_stale") not in bp.resources
    readme = render_blueprint(spec)["README.md"].decode()
    assert "no freshness alarm" in readme


def test_the_readme_states_the_quarantine_and_freshness_it_enforces():
    readme = render_blueprint(load_spec_text(spec_text(), "t.yaml"))["README.md"].decode()
    assert "`_quarantine/<table>/`" in readme and "`*-etl-quarantined-records`" in readme
    assert "`*-pipeline-stale`" in readme and "30 hours" in readme


def test_a_model_the_metric_gate_approves_is_deployed_by_the_run_itself():
    bp = render(spec_text(deployment="    approval: {metric: rmse, threshold: 0.25}\n"))
    states = pipeline_states(bp)
    assert states["RegisterModel"]["Next"] == "ApprovedByGate"
    gate = states["ApprovedByGate"]
    [choice] = gate["Choices"]
    assert choice == {"Variable": "$.approval", "StringEquals": "Approved", "Next": "StartDeployment"}
    assert gate["Default"] == "Registered"
    start = states["StartDeployment"]
    assert start["Resource"] == "arn:${local.partition}:states:::states:startExecution"
    assert start["Parameters"]["StateMachineArn"] == "${local.deploy_state_machine_arn}"
    # The same input the approval rule's input transformer sends.
    assert start["Parameters"]["Input"]["model_package_arn.$"] == "$.model_package.ModelPackageArn"
    assert start["Next"] == "Registered"
    policy = bp.data[("aws_iam_policy_document", "pipeline")]
    [deploy] = [s for s in statements(policy) if s["sid"] == "DeployGateApprovedModels"]
    assert deploy["actions"] == ["states:StartExecution"]
    assert deploy["resources"] == ["${local.deploy_state_machine_arn}"]


def test_a_manual_gate_leaves_deployment_to_the_approval_event(proactive):
    states = pipeline_states(proactive)
    assert states["RegisterModel"]["Next"] == "Registered"
    assert "StartDeployment" not in states
    policy = proactive.data[("aws_iam_policy_document", "pipeline")]
    assert not [s for s in statements(policy) if s["sid"] == "DeployGateApprovedModels"]
    assert json.dumps(states).count("startExecution") == 0


def test_the_readme_says_the_gate_approved_model_is_deployed_by_its_run():
    spec = load_spec_text(spec_text(deployment="    approval: {metric: rmse, threshold: 0.25}\n"), "t.yaml")
    readme = render_blueprint(spec)["README.md"].decode()
    assert "the run starts the deploy state machine itself" in readme


def test_a_skipped_run_is_counted_and_the_freshness_alarm_does_not_take_it_for_a_success(proactive):
    """The metric the skip step publishes is the one the alarms read (namespace, name, dimension),
    and the stale alarm subtracts it from Step Functions' successes."""
    step = pipeline_states(proactive)["PreviousRunStillGoing"]
    assert step["Resource"].endswith(":states:::aws-sdk:cloudwatch:putMetricData")
    (datum,) = step["Parameters"]["MetricData"]
    published = (step["Parameters"]["Namespace"], datum["MetricName"],
                 {d["Name"]: d["Value"] for d in datum["Dimensions"]})
    assert published == (aws_data_quality.PIPELINE_METRIC_NAMESPACE, "RunsSkipped",
                         {"StateMachine": "${local.pipeline_name}"})
    assert pipeline_states(proactive)[step["Next"]]["Type"] == "Succeed"

    queries = {q["id"]: q for q in alarm(proactive, "pipeline_stale")["metric_query"]}
    assert queries["completed"]["expression"] == "FILL(succeeded, 0) - FILL(skipped, 0)"
    assert queries["completed"]["return_data"] is True
    skipped = queries["skipped"]["metric"][0]
    assert (skipped["namespace"], skipped["metric_name"], skipped["dimensions"]) == published

    overlap = alarm(proactive, "pipeline_overlap")
    assert (overlap["namespace"], overlap["metric_name"], overlap["dimensions"]) == published
    assert overlap["comparison_operator"] == "GreaterThanOrEqualToThreshold" and overlap["threshold"] == 1
    assert overlap["alarm_actions"] == "${local.alarm_actions}"

    # The pipeline role may publish that namespace only.
    policy = proactive.data[("aws_iam_policy_document", "pipeline")]
    [count] = [s for s in statements(policy) if s["sid"] == "CountSkippedRuns"]
    assert count["actions"] == ["cloudwatch:PutMetricData"]
    assert count["condition"][0]["variable"] == "cloudwatch:namespace"
    assert count["condition"][0]["values"] == [aws_data_quality.PIPELINE_METRIC_NAMESPACE]
