"""The blueprint's EventBridge rules match the events SageMaker documents, and only those.

Each rule's event_pattern is evaluated by real Terraform (``terraform console``, offline) with the
blueprint's references replaced by this test's names, then installed as a rule on the moto
server with an SQS queue as target. moto does not implement TestEventPattern, so the matching is
moto's own EventBridge pattern engine: PutEvents of an event delivers it to the queue only if
the rule matches.

Events: the model package event is the sample of the SageMaker developer guide ("Events that
Amazon SageMaker sends to Amazon EventBridge", Model package state change), with its group and
approval status changed per case. That page documents the event for a change of a package's
status; it does not say that a package *created* Approved emits one, which is why the pipeline
starts the deployment of a package its metric gate approved itself (test_aws_data_quality.py).
The page lists "SageMaker Processing Job State Change" without a sample; its detail, like the
other job events', carries DescribeProcessingJob's fields (ProcessingJobName, ProcessingJobStatus,
ExitMessage, FailureReason, MonitoringScheduleArn), which is what these events are built from.
"""

from __future__ import annotations

import copy
import json
import subprocess

import boto3
import pytest
from cloud_fixtures import moto, moto_url  # noqa: F401

from tests.render.aws.test_aws_serving import render, spec_text

ACCOUNT = "123456789012"  # moto's
REGION = "eu-west-1"
GROUP = "acme-prod-models"
ENDPOINT = "acme-prod-endpoint"
SCHEDULE_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:monitoring-schedule/{ENDPOINT}-drift"
REFS = {
    "aws_sagemaker_model_package_group.main.model_package_group_name": GROUP,
    "local.pipeline_sagemaker_arn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}",
    "local.endpoint_name": ENDPOINT,
}

# The developer guide's sample "SageMaker Model Package State Change" event (detail abridged to
# the fields the rule and its target read, values as documented).
MODEL_PACKAGE_EVENT = {
    "version": "0",
    "id": "844e2571-85d4-695f-b930-0153b71dcb42",
    "detail-type": "SageMaker Model Package State Change",
    "source": "aws.sagemaker",
    "account": ACCOUNT,
    "time": "2021-02-24T17:00:14Z",
    "region": REGION,
    "resources": [f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/versionedmp-p-idy6c3e1fiqj/2"],
    "detail": {
        "ModelPackageGroupName": "versionedmp-p-idy6c3e1fiqj",
        "ModelPackageVersion": 2,
        "ModelPackageArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/versionedmp-p-idy6c3e1fiqj/2",
        "CreationTime": "2021-02-24T17:00:14Z",
        "ModelPackageStatus": "Completed",
        "CertifyForMarketplace": False,
        "ModelApprovalStatus": "Rejected",
        "LastModifiedTime": "2021-02-24T17:00:14Z",
    },
}

PROCESSING_JOB_EVENT = {
    "version": "0",
    "id": "0bd4a141-0a02-9d8a-f977-3924c3fb259c",
    "detail-type": "SageMaker Processing Job State Change",
    "source": "aws.sagemaker",
    "account": ACCOUNT,
    "time": "2026-12-02T01:00:00Z",
    "region": REGION,
    "resources": [f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:processing-job/model-monitoring-202612020100-abc"],
    "detail": {
        "ProcessingJobName": "model-monitoring-202612020100-abc",
        "ProcessingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:processing-job/model-monitoring-202612020100-abc",
        "ProcessingJobStatus": "Completed",
        "ExitMessage": "Completed: Job completed successfully with no violations.",
        "MonitoringScheduleArn": SCHEDULE_ARN,
    },
}


def evaluate(expression: str, terraform_bin: str, terraform_env: dict, tmp_path) -> dict:
    """The rendered HCL expression as the JSON Terraform would send to EventBridge."""
    assert expression.startswith("${") and expression.endswith("}")
    expression = expression[2:-1]
    for ref, value in REFS.items():
        expression = expression.replace(ref, json.dumps(value))
    out = subprocess.run([terraform_bin, "console"], input=expression, capture_output=True, text=True,
                         cwd=tmp_path, env=terraform_env, timeout=120, check=True).stdout
    return json.loads(json.loads(out))


@pytest.fixture(scope="module")
def managed_auto():
    # Managed: drift detection; a metric gate as well, so both paths exist.
    return render(spec_text(maturity="managed", retention=731,
                            deployment="    approval: {metric: rmse, threshold: 0.25}\n"))


@pytest.fixture
def rule(moto, managed_auto, terraform_bin, terraform_env, tmp_path):  # noqa: F811
    """Install one of the blueprint's rules in moto; returns a function: event -> delivered?"""
    events, sqs = boto3.client("events"), boto3.client("sqs")

    def install(name: str):
        pattern = evaluate(managed_auto.resources[("aws_cloudwatch_event_rule", name)]["event_pattern"],
                           terraform_bin, terraform_env, tmp_path)
        queue = sqs.create_queue(QueueName=f"{name}-target")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name=name, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": queue_arn}])

        def delivered(event: dict) -> bool:
            entry = {"Source": event["source"], "DetailType": event["detail-type"],
                     "Detail": json.dumps(event["detail"]), "Resources": event["resources"]}
            assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0
            messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            for message in messages.get("Messages", []):
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
            return bool(messages.get("Messages"))

        return pattern, delivered

    return install


def package_event(group: str, approval: str, status: str = "Completed") -> dict:
    event = copy.deepcopy(MODEL_PACKAGE_EVENT)
    event["detail"].update(ModelPackageGroupName=group, ModelApprovalStatus=approval, ModelPackageStatus=status)
    return event


def job_event(**detail) -> dict:
    event = copy.deepcopy(PROCESSING_JOB_EVENT)
    event["detail"].update(detail)
    return {**event, "detail": {k: v for k, v in event["detail"].items() if v is not None}}


def test_the_approval_rule_matches_the_documented_event_of_an_approved_package_of_this_group(rule):
    pattern, delivered = rule("model_approved")
    # Every field the pattern reads is a field of the documented event.
    assert set(pattern["detail"]) <= set(MODEL_PACKAGE_EVENT["detail"])
    assert pattern["detail-type"] == [MODEL_PACKAGE_EVENT["detail-type"]]
    assert delivered(package_event(GROUP, "Approved"))
    assert not delivered(MODEL_PACKAGE_EVENT)                      # the sample as documented: Rejected
    assert not delivered(package_event(GROUP, "PendingManualApproval"))
    assert not delivered(package_event(GROUP, "Rejected"))
    assert not delivered(package_event("another-group", "Approved"))
    assert not delivered(package_event(GROUP, "Approved", status="InProgress"))


def test_the_drift_rule_matches_monitoring_jobs_with_violations_or_failures_of_this_schedule(rule):
    pattern, delivered = rule("drift")
    assert set(pattern["detail"]) - {"$or"} <= set(PROCESSING_JOB_EVENT["detail"])
    # Model Monitor ends an execution with violations "Completed", its exit message saying so.
    assert delivered(job_event(ExitMessage="CompletedWithViolations: Job completed successfully with 3 violations."))
    assert delivered(job_event(ProcessingJobStatus="Failed", ExitMessage=None,
                               FailureReason="AlgorithmError: baseline statistics not found"))
    assert delivered(job_event(ProcessingJobStatus="Stopped", ExitMessage=None))
    assert not delivered(job_event())                               # completed, no violations
    assert not delivered(job_event(ProcessingJobStatus="InProgress", ExitMessage=None))
    other = SCHEDULE_ARN.replace(ENDPOINT, "other-endpoint")
    assert not delivered(job_event(MonitoringScheduleArn=other, ProcessingJobStatus="Failed"))
    # The evaluation and baseline jobs of the pipeline carry no schedule: never drift alerts.
    assert not delivered(job_event(MonitoringScheduleArn=None, ProcessingJobStatus="Failed"))
