"""The Lambda handlers shipped in AWS blueprints, run offline against moto or botocore's Stubber."""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path
from types import ModuleType

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

LAMBDA_DIR = Path(__file__).resolve().parents[2] / "templates" / "aws" / "files" / "lambda"
REGION = "eu-west-1"
ENDPOINT = "acme-prod-endpoint"
ARN = "arn:aws:sagemaker:eu-west-1:111122223333:endpoint/acme-prod-endpoint"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"blueprint_lambda_{name}", LAMBDA_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def aws_env(monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)


def config(drift: bool = False, variants: list[tuple[str, int]] | None = None) -> dict:
    variants = variants or [("champion", 90), ("challenger", 10)]
    out = {
        "endpoint_name": ENDPOINT,
        "variants": [
            {"name": n, "weight": w, "instance_type": "ml.m5.xlarge", "initial_instance_count": 2,
             "min_capacity": 2, "max_capacity": 4}
            for n, w in variants
        ],
        "volume_kms": True,
        "kms_key_arn": "arn:aws:kms:eu-west-1:111122223333:key/abc",
        "invocations_target": 70,
        "drift_detection": drift,
        "tags": {"client": "acme", "environment": "prod"},
    }
    if drift:
        out.update(
            data_capture_uri="s3://acme-artifacts/data-capture",
            monitor_image="468650794304.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-model-monitor-analyzer:latest",
            monitor_reports_uri="s3://acme-artifacts/monitoring/reports",
            baseline_bucket="acme-artifacts",
            baseline_prefix="monitoring/baseline/",
            monitor_schedule="cron(0 * ? * * *)",
            monitor_instance_type="ml.m5.large",
            sagemaker_role_arn="arn:aws:iam::111122223333:role/acme-prod-sagemaker",
            subnet_ids=["subnet-1", "subnet-2"],
            security_group_ids=["sg-1"],
        )
    return out


# --- deploy ---------------------------------------------------------------------------------


@pytest.fixture
def deploy():
    return load("deploy")


@pytest.fixture
def sagemaker(aws_env):
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("sagemaker", region_name=REGION)
        for model in ("model-1", "model-2"):
            client.create_model(
                ModelName=model,
                PrimaryContainer={"Image": "123.dkr.ecr.eu-west-1.amazonaws.com/x:1",
                                  "ModelDataUrl": "s3://b/m.tar.gz"},
                ExecutionRoleArn="arn:aws:iam::111122223333:role/sm",
            )
        yield client


def test_first_deploy_creates_the_endpoint_with_weighted_variants_all_on_the_new_model(
        deploy, sagemaker):
    event = {"action": "deploy", "run_id": "11111111-2222-3333-4444-555555555555",
             "model_name": "model-1", "options": {"trigger": "schedule"}}
    result = deploy.deploy(event, config(drift=True), sagemaker)

    assert result["mode"] == "challenger"
    assert result["variants"] == {"champion": "model-1", "challenger": "model-1"}
    endpoint = sagemaker.describe_endpoint(EndpointName=ENDPOINT)
    assert endpoint["EndpointConfigName"] == result["endpoint_config"]
    assert len(result["endpoint_config"]) <= 63
    cfg = sagemaker.describe_endpoint_config(EndpointConfigName=result["endpoint_config"])
    assert [(v["VariantName"], v["InitialVariantWeight"], v["InitialInstanceCount"])
            for v in cfg["ProductionVariants"]] == [("champion", 90.0, 2), ("challenger", 10.0, 2)]
    assert cfg["KmsKeyId"] == config()["kms_key_arn"]
    capture = cfg["DataCaptureConfig"]
    assert capture["EnableCapture"] is True
    assert capture["DestinationS3Uri"] == "s3://acme-artifacts/data-capture"


def test_a_retried_deploy_reuses_its_endpoint_config(deploy, sagemaker):
    event = {"action": "deploy", "run_id": "run-a", "model_name": "model-1"}
    first = deploy.deploy(event, config(), sagemaker)
    # The endpoint exists now and already uses this run's config: nothing more to do.
    second = deploy.deploy(event, config(), sagemaker)
    assert first["endpoint_config"] == second["endpoint_config"]


def test_no_data_capture_without_drift_detection(deploy, sagemaker):
    result = deploy.deploy({"run_id": "r1", "model_name": "model-1"}, config(), sagemaker)
    cfg = sagemaker.describe_endpoint_config(EndpointConfigName=result["endpoint_config"])
    assert not cfg.get("DataCaptureConfig")  # moto echoes an empty one
    assert "DataCaptureConfig" not in deploy.endpoint_config_request(config(), "c", [])


def test_challenger_mode_keeps_the_champion_model_and_all_mode_promotes():
    deploy = load("deploy")
    current = {"champion": "model-old", "challenger": "model-older"}
    challenger = deploy.production_variants(config(), "model-new", current, "challenger")
    assert [(v["VariantName"], v["ModelName"]) for v in challenger] == [
        ("champion", "model-old"), ("challenger", "model-new")]
    promoted = deploy.production_variants(config(), "model-new", current, "all")
    assert {v["ModelName"] for v in promoted} == {"model-new"}


@pytest.mark.parametrize("options,count,expected", [
    (None, 2, "challenger"), ({}, 1, "all"), ({"deploy_mode": "all"}, 2, "all"),
    ({"deploy_mode": "challenger"}, 1, "challenger"),
])
def test_deploy_mode_defaults_to_an_ab_test_when_there_are_several_variants(options, count, expected):
    assert load("deploy").deploy_mode(options, count) == expected


def test_unknown_deploy_mode_is_an_error():
    with pytest.raises(ValueError, match="deploy_mode"):
        load("deploy").deploy_mode({"deploy_mode": "yolo"}, 2)


def _client(service: str):
    return boto3.client(service, region_name=REGION, aws_access_key_id="x",
                        aws_secret_access_key="x")


def test_update_of_a_serving_endpoint_points_it_at_the_new_config():
    deploy = load("deploy")
    sm = _client("sagemaker")
    with Stubber(sm) as stub:
        stub.add_response("describe_endpoint", {
            "EndpointName": ENDPOINT, "EndpointArn": ARN,
            "EndpointConfigName": "old-config", "EndpointStatus": "InService",
            "CreationTime": "2026-01-01T00:00:00Z", "LastModifiedTime": "2026-01-01T00:00:00Z",
        }, {"EndpointName": ENDPOINT})
        stub.add_response("describe_endpoint_config", {
            "EndpointConfigName": "old-config", "EndpointConfigArn": ARN,
            "CreationTime": "2026-01-01T00:00:00Z",
            "ProductionVariants": [
                {"VariantName": "champion", "ModelName": "model-old"},
                {"VariantName": "challenger", "ModelName": "model-older"},
            ],
        }, {"EndpointConfigName": "old-config"})
        expected_name = f"{ENDPOINT}-runb"
        stub.add_response("create_endpoint_config", {"EndpointConfigArn": ARN}, {
            "EndpointConfigName": expected_name,
            "ProductionVariants": [
                {"VariantName": "champion", "ModelName": "model-old", "InstanceType": "ml.m5.xlarge",
                 "InitialInstanceCount": 2, "InitialVariantWeight": 90.0},
                {"VariantName": "challenger", "ModelName": "model-new", "InstanceType": "ml.m5.xlarge",
                 "InitialInstanceCount": 2, "InitialVariantWeight": 10.0},
            ],
            "Tags": [{"Key": "client", "Value": "acme"}, {"Key": "environment", "Value": "prod"}],
            "KmsKeyId": config()["kms_key_arn"],
        })
        stub.add_response("update_endpoint", {"EndpointArn": ARN},
                          {"EndpointName": ENDPOINT, "EndpointConfigName": expected_name})
        result = deploy.deploy({"run_id": "run-b", "model_name": "model-new"}, config(), sm)
        stub.assert_no_pending_responses()
    assert result["variants"] == {"champion": "model-old", "challenger": "model-new"}


def _endpoint(status: str) -> dict:
    return {
        "EndpointName": ENDPOINT, "EndpointArn": ARN, "EndpointConfigName": "c",
        "EndpointStatus": status, "CreationTime": "2026-01-01T00:00:00Z",
        "LastModifiedTime": "2026-01-01T00:00:00Z",
    }


@pytest.mark.parametrize("status", ["Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"])
def test_a_busy_endpoint_is_an_answer_not_an_error(status):
    # A raised error would count as a Lambda error and fire the function's error alarm for a
    # normal wait: the state machine loops on {"busy": true} instead.
    deploy = load("deploy")
    sm = _client("sagemaker")
    with Stubber(sm) as stub:
        stub.add_response("describe_endpoint", _endpoint(status))
        result = deploy.deploy({"run_id": "r", "model_name": "m"}, config(), sm)
        stub.assert_no_pending_responses()
    assert result["busy"] is True and status in result["reason"]
    assert result["endpoint_config"] is None and result["mode"] is None


def test_a_failed_endpoint_is_deleted_and_reported_busy():
    deploy = load("deploy")
    sm = _client("sagemaker")
    with Stubber(sm) as stub:
        stub.add_response("describe_endpoint", {**_endpoint("Failed"), "FailureReason": "boom"})
        stub.add_response("delete_endpoint", {}, {"EndpointName": ENDPOINT})
        result = deploy.deploy({"run_id": "r", "model_name": "m"}, config(), sm)
        stub.assert_no_pending_responses()
    assert result["busy"] is True


def test_a_deployment_answers_not_busy_with_the_keys_the_state_machine_selects(deploy, sagemaker):
    result = deploy.deploy({"run_id": "run-1", "model_name": "model-1"}, config(), sagemaker)
    assert result["busy"] is False
    assert {"busy", "endpoint_config", "mode"} <= result.keys()
    assert not hasattr(deploy, "EndpointBusy")


def test_unknown_action_is_rejected(monkeypatch, aws_env):
    deploy = load("deploy")
    monkeypatch.setenv("DEPLOY_CONFIG", json.dumps(config()))
    with pytest.raises(ValueError, match="unknown action"):
        deploy.handler({"action": "configure"})


def test_drift_job_definition_uses_the_baseline_when_there_is_one():
    deploy = load("deploy")
    without = deploy.job_definition_request(config(drift=True), None)
    baseline = {"statistics": "s3://acme-artifacts/monitoring/baseline/statistics.json",
                "constraints": "s3://acme-artifacts/monitoring/baseline/constraints.json"}
    with_baseline = deploy.job_definition_request(config(drift=True), baseline)
    assert "DataQualityBaselineConfig" not in without
    assert with_baseline["DataQualityBaselineConfig"]["ConstraintsResource"]["S3Uri"] == (
        baseline["constraints"])
    # Immutable definitions are named after their content.
    assert without["JobDefinitionName"] != with_baseline["JobDefinitionName"]
    assert without["JobDefinitionName"] == deploy.job_definition_request(
        config(drift=True), None)["JobDefinitionName"]
    assert len(with_baseline["JobDefinitionName"]) <= 63
    network = without["NetworkConfig"]
    assert network["EnableNetworkIsolation"] is True
    assert network["VpcConfig"]["Subnets"] == ["subnet-1", "subnet-2"]
    assert without["JobResources"]["ClusterConfig"]["VolumeKmsKeyId"] == config()["kms_key_arn"]


def test_monitor_creates_the_hourly_schedule_once(aws_env):
    deploy = load("deploy")
    cfg = config(drift=True)
    sm, s3 = _client("sagemaker"), _client("s3")
    definition = deploy.job_definition_request(cfg, None)
    with Stubber(sm) as sm_stub, Stubber(s3) as s3_stub:
        # Only ListObjectsV2 on the baseline prefix: the role may list that prefix and nothing
        # else, so a HeadObject on a missing key would be denied (403) on every run.
        s3_stub.add_response("list_objects_v2", {"KeyCount": 0, "IsTruncated": False},
                             {"Bucket": "acme-artifacts", "Prefix": "monitoring/baseline/"})
        sm_stub.add_client_error("describe_data_quality_job_definition", "ResourceNotFound")
        sm_stub.add_response("create_data_quality_job_definition", {"JobDefinitionArn": ARN},
                             definition)
        sm_stub.add_client_error("describe_monitoring_schedule", "ResourceNotFound")
        sm_stub.add_response("create_monitoring_schedule", {"MonitoringScheduleArn": ARN}, {
            "MonitoringScheduleName": f"{ENDPOINT}-drift",
            "MonitoringScheduleConfig": {
                "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
                "MonitoringJobDefinitionName": definition["JobDefinitionName"],
                "MonitoringType": "DataQuality",
            },
            "Tags": [{"Key": "client", "Value": "acme"}, {"Key": "environment", "Value": "prod"}],
        })
        result = deploy.monitor(cfg, sm, s3)
        sm_stub.assert_no_pending_responses()
    assert result["monitoring_schedule"] == {
        "name": f"{ENDPOINT}-drift", "job_definition": definition["JobDefinitionName"],
        "baseline": False,
    }


@pytest.fixture
def artifacts(aws_env):
    from moto import mock_aws

    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="acme-artifacts",
                         CreateBucketConfiguration={"LocationConstraint": REGION})
        yield s3


@pytest.mark.parametrize("uploaded,expected", [
    ([], None),
    (["statistics.json"], None),
    (["constraints.json", "notes.txt"], None),
    (["statistics.json", "constraints.json", "old/statistics.json"], {
        "statistics": "s3://acme-artifacts/monitoring/baseline/statistics.json",
        "constraints": "s3://acme-artifacts/monitoring/baseline/constraints.json",
    }),
])
def test_baseline_is_found_by_listing_the_prefix(artifacts, uploaded, expected):
    deploy = load("deploy")
    for name in uploaded:
        artifacts.put_object(Bucket="acme-artifacts", Key=f"monitoring/baseline/{name}", Body=b"{}")
    assert deploy.baseline_uris(config(drift=True), artifacts) == expected


def test_baseline_lookup_follows_continuation_pages():
    deploy = load("deploy")
    s3 = _client("s3")
    prefix = {"Bucket": "acme-artifacts", "Prefix": "monitoring/baseline/"}
    with Stubber(s3) as stub:
        stub.add_response("list_objects_v2", {
            "IsTruncated": True, "NextContinuationToken": "next",
            "Contents": [{"Key": "monitoring/baseline/statistics.json"}],
        }, prefix)
        stub.add_response("list_objects_v2", {
            "IsTruncated": False, "Contents": [{"Key": "monitoring/baseline/constraints.json"}],
        }, {**prefix, "ContinuationToken": "next"})
        uris = deploy.baseline_uris(config(drift=True), s3)
        stub.assert_no_pending_responses()
    assert set(uris) == {"statistics", "constraints"}


def test_a_denied_listing_is_an_error_not_a_missing_baseline():
    deploy = load("deploy")
    s3 = _client("s3")
    with Stubber(s3) as stub:
        stub.add_client_error("list_objects_v2", "AccessDenied", http_status_code=403)
        with pytest.raises(deploy.ClientError):
            deploy.baseline_uris(config(drift=True), s3)


def test_monitor_does_nothing_without_drift_detection():
    deploy = load("deploy")
    assert deploy.monitor(config(), None, None)["monitoring_schedule"] is None


def test_monitor_skips_regions_without_a_known_analyzer_image():
    deploy = load("deploy")
    cfg = config(drift=True)
    cfg["monitor_image"] = ""
    assert "skipped" in deploy.monitor(cfg, None, None)["monitoring_schedule"]


# --- predict --------------------------------------------------------------------------------


@pytest.fixture
def predict(aws_env, monkeypatch):
    module = load("predict")
    monkeypatch.setenv("ENDPOINT_NAME", ENDPOINT)
    client = _client("sagemaker-runtime")
    monkeypatch.setattr(module, "_runtime", client)
    return module, client


def _event(body) -> dict:
    return {"body": body if isinstance(body, str) else json.dumps(body),
            "requestContext": {"requestId": "req-1", "identity": {"apiKeyId": "key-1"}}}


def _stream(text: str) -> StreamingBody:
    raw = text.encode()
    return StreamingBody(io.BytesIO(raw), len(raw))


def test_predict_sends_csv_and_answers_json_with_the_variant(predict):
    module, client = predict
    with Stubber(client) as stub:
        stub.add_response("invoke_endpoint", {
            "Body": _stream("0.25\n0.75\n"), "InvokedProductionVariant": "challenger",
            "ContentType": "text/csv",
        }, {"EndpointName": ENDPOINT, "ContentType": "text/csv", "Accept": "text/csv",
            "Body": b"1,2.5,3\n4,5,6.0"})
        answer = module.handler(_event({"instances": [[1, 2.5, 3], [4, 5, 6.0]]}))
        stub.assert_no_pending_responses()
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"predictions": [0.25, 0.75], "variant": "challenger"}


@pytest.mark.parametrize("body", [
    "not json", {"rows": [[1]]}, {"instances": []}, {"instances": [[]]},
    {"instances": [["1"]]}, {"instances": [[True]]}, {"instances": [[1e400]]},
])
def test_predict_rejects_bad_bodies_without_calling_the_model(predict, body):
    module, client = predict
    with Stubber(client):  # any call would fail: no responses queued
        answer = module.handler(_event(body))
    assert answer["statusCode"] == 400


def test_predict_before_the_first_deployment_says_so(predict):
    module, client = predict
    with Stubber(client) as stub:
        stub.add_client_error("invoke_endpoint", "ValidationError",
                              f"Endpoint {ENDPOINT} of account 1 not found.", 400)
        answer = module.handler(_event({"instances": [[1]]}))
    assert answer["statusCode"] == 503


def test_predict_model_error_is_not_a_server_crash(predict):
    module, client = predict
    with Stubber(client) as stub:
        stub.add_client_error("invoke_endpoint", "ModelError", "bad input", 424)
        answer = module.handler(_event({"instances": [[1]]}))
    assert answer["statusCode"] == 422


@pytest.mark.parametrize("text,count,expected", [
    ("0.1,0.2,0.3", 3, [0.1, 0.2, 0.3]),
    ("0.1\n0.2\n", 2, [0.1, 0.2]),
    ("0.1,0.9\n0.8,0.2\n", 2, [[0.1, 0.9], [0.8, 0.2]]),
    ("0.5", 1, [0.5]),
])
def test_predictions_are_parsed_one_per_row(text, count, expected):
    assert load("predict").parse_predictions(text, count) == expected


def test_a_prediction_count_mismatch_is_detected():
    with pytest.raises(ValueError):
        load("predict").parse_predictions("0.1\n0.2", 3)


def test_predict_gives_up_before_its_lambda_timeout(predict, monkeypatch):
    import re as _re

    access = (LAMBDA_DIR.parents[1] / "access.tf.j2").read_text()
    block = access[access.index('resource "aws_lambda_function" "predict"'):]
    timeout = int(_re.search(r"^\s*timeout\s*=\s*(\d+)", block, _re.MULTILINE).group(1))
    module = load("predict")
    monkeypatch.setattr(module, "_runtime", None)
    client = module.runtime()
    retries = client.meta.config.retries
    # botocore's total_max_attempts counts every call; max_attempts counts only the retries.
    worst = (client.meta.config.connect_timeout + client.meta.config.read_timeout) * (
        retries["total_max_attempts"])
    assert worst < timeout, f"{worst} s of calls inside a {timeout} s function"
