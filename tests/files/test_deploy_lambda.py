"""The deploy Lambda of AWS blueprints, run against moto as a real HTTP server.

What moto does not model (UpdateEndpoint, an update that rolls back to InService with a
FailureReason, UpdateRollbackFailed, DeleteModelPackage) is exercised with botocore's Stubber
holding the responses the SageMaker API documents; our own code is never patched.
"""

from __future__ import annotations

import importlib.util
import json
import uuid
from pathlib import Path
from types import ModuleType

import boto3
import pytest
from botocore.stub import ANY, Stubber

LAMBDA = Path(__file__).resolve().parents[2] / "templates" / "aws" / "files" / "lambda" / "deploy.py"
REGION = "eu-west-1"  # the moto fixture's region
ACCOUNT = "123456789012"
ENDPOINT = "acme-prod-endpoint"
GROUP = "acme-prod-models"
ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{ENDPOINT}"
T0 = "2026-01-01T00:00:00Z"
ARTIFACTS = "acme-artifacts"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("blueprint_lambda_deploy", LAMBDA)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


deploy = load()


def config(drift: bool = False, variants=(("champion", 90), ("challenger", 10)),
           instance_type: str = "ml.m5.xlarge", **extra) -> dict:
    out = {
        "endpoint_name": ENDPOINT,
        "variants": [
            {"name": n, "weight": w, "instance_type": instance_type, "initial_instance_count": 2,
             "min_capacity": 2, "max_capacity": 6}
            for n, w in variants
        ],
        "volume_kms": True,
        "kms_key_arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/abc",
        "invocations_target": 70,
        "retained_versions": 2,
        "model_package_group": GROUP,
        "sagemaker_role_arn": f"arn:aws:iam::{ACCOUNT}:role/acme-prod-sagemaker-pipeline",
        "model_data_prefix": f"s3://{ARTIFACTS}/models/",
        "job_prefix": "acme-prod",
        "evaluation_prefix": f"s3://{ARTIFACTS}/evaluation/",
        "subnet_ids": ["subnet-1", "subnet-2"],
        "security_group_ids": ["sg-1"],
        "drift_detection": drift,
        "tags": {"client": "acme", "environment": "prod"},
    }
    if drift:
        out.update(
            data_capture_percent=20,
            data_capture_uri="s3://acme-artifacts/data-capture",
            monitor_image="468650794304.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-model-monitor-analyzer:latest",
            monitor_reports_uri="s3://acme-artifacts/monitoring/reports",
            baseline_bucket="acme-artifacts",
            baseline_prefix="monitoring/baseline/",
            monitor_schedule="cron(0 * ? * * *)",
            monitor_instance_type="ml.m5.large",
        )
    out.update(extra)
    return out


def trained_artifact(key: str | None = None) -> tuple[str, str]:
    """A model.tar.gz as a training job writes it in the moto server's versioned artifacts bucket:
    (its s3:// URL, its VersionId, as the pipeline's RecordModelArtifact state records it)."""
    s3 = boto3.client("s3")
    try:
        s3.create_bucket(Bucket=ARTIFACTS, CreateBucketConfiguration={"LocationConstraint": REGION})
    except s3.exceptions.ClientError:
        pass
    s3.put_bucket_versioning(Bucket=ARTIFACTS, VersioningConfiguration={"Status": "Enabled"})
    key = key or f"models/acme-prod-{uuid.uuid4()}/output/model.tar.gz"
    version = s3.put_object(Bucket=ARTIFACTS, Key=key, Body=b"trained model bytes")["VersionId"]
    return f"s3://{ARTIFACTS}/{key}", version


def evaluation_of(url: str) -> str:
    """The pipeline's evaluation.json of the run that trained models/acme-prod-<run>/output/model.tar.gz."""
    run = url.split("/")[4].removeprefix("acme-prod-")
    return f"s3://{ARTIFACTS}/evaluation/{run}/evaluation.json"


def register_package(sm, status: str = "Approved", baseline: bool = False,
                     artifact: tuple[str, str | None] | None = None, metrics: str | None = None) -> str:
    """A package as the pipeline registers it: its model.tar.gz and the version recorded before evaluation."""
    try:
        sm.create_model_package_group(ModelPackageGroupName=GROUP)
    except sm.exceptions.ClientError:
        pass
    url, version = artifact or trained_artifact()
    request = {
        "ModelPackageGroupName": GROUP,
        "ModelApprovalStatus": status,
        "InferenceSpecification": {
            "Containers": [{"Image": "1.dkr.ecr.eu-west-1.amazonaws.com/xgb:1", "ModelDataUrl": url}],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"],
        },
        "ModelMetrics": {"ModelQuality": {"Statistics": {
            "ContentType": "application/json", "S3Uri": metrics or evaluation_of(url)}}},
    }
    if version is not None:
        request["CustomerMetadataProperties"] = {"run_id": "1234", deploy.VERSION_PROPERTY: version}
    if baseline:
        request["DriftCheckBaselines"] = {"ModelDataQuality": {
            "Statistics": {"ContentType": "application/json", "S3Uri": "s3://acme-artifacts/monitoring/baseline/r/statistics.json"},
            "Constraints": {"ContentType": "application/json", "S3Uri": "s3://acme-artifacts/monitoring/baseline/r/constraints.json"},
        }}
    return sm.create_model_package(**request)["ModelPackageArn"]


@pytest.fixture
def aws(moto):
    """SageMaker and Application Auto Scaling clients of the moto server (empty account)."""
    return boto3.client("sagemaker"), boto3.client("application-autoscaling")


def stubbed(service: str):
    return boto3.client(service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x",
                        endpoint_url="https://stubbed.invalid")


def endpoint_description(status: str, config_name: str, reason: str | None = None,
                         counts: dict[str, int] | None = None) -> dict:
    out = {"EndpointName": ENDPOINT, "EndpointArn": ARN, "EndpointConfigName": config_name,
           "EndpointStatus": status, "CreationTime": T0, "LastModifiedTime": T0}
    if reason:
        out["FailureReason"] = reason
    if counts:
        out["ProductionVariants"] = [
            {"VariantName": n, "DesiredInstanceCount": c, "CurrentInstanceCount": c} for n, c in counts.items()]
    return out


def config_description(name: str, variants: dict[str, tuple[str, str]]) -> dict:
    return {"EndpointConfigName": name, "EndpointConfigArn": ARN, "CreationTime": T0,
            "ProductionVariants": [
                {"VariantName": n, "ModelName": m, "InstanceType": t, "InitialVariantWeight": 50.0}
                for n, (m, t) in variants.items()]}


# --- first deployment, against moto -----------------------------------------------------------


def test_first_deploy_creates_the_model_from_the_approved_package_and_every_variant_serves_it(aws):
    sm, aas = aws
    package = register_package(sm)
    result = deploy.deploy({"execution_id": "exec-1", "input": {"model_package_arn": package}},
                           config(drift=True), sm, aas)

    assert result["state"] == "updating"
    assert result["variants"] == {"champion": f"{ENDPOINT}-v1", "challenger": f"{ENDPOINT}-v1"}
    model = sm.describe_model(ModelName=f"{ENDPOINT}-v1")
    assert model["PrimaryContainer"]["ModelPackageName"] == package
    assert model["VpcConfig"] == {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1", "subnet-2"]}
    endpoint = sm.describe_endpoint(EndpointName=ENDPOINT)
    assert endpoint["EndpointConfigName"] == result["endpoint_config"]
    assert len(result["endpoint_config"]) <= 63
    cfg = sm.describe_endpoint_config(EndpointConfigName=result["endpoint_config"])
    assert [(v["VariantName"], v["InitialVariantWeight"], v["InitialInstanceCount"])
            for v in cfg["ProductionVariants"]] == [("champion", 90.0, 2), ("challenger", 10.0, 2)]
    assert cfg["KmsKeyId"] == config()["kms_key_arn"]
    capture = cfg["DataCaptureConfig"]
    assert capture["EnableCapture"] is True and capture["InitialSamplingPercentage"] == 20

    # moto puts the endpoint InService at once: on the config this deployment created.
    checked = deploy.check({"endpoint_config": result["endpoint_config"]}, config(), sm)
    assert checked["state"] == "in_service"


def test_a_retried_deploy_reuses_its_config_and_then_reports_unchanged(aws):
    sm, aas = aws
    package = register_package(sm)
    event = {"execution_id": "exec-1", "model_package_arn": package}
    first = deploy.deploy(event, config(), sm, aas)
    second = deploy.deploy(event, config(), sm, aas)
    assert second["state"] == "unchanged"
    assert second["endpoint_config"] == first["endpoint_config"]


def test_no_data_capture_without_drift_detection(aws):
    sm, aas = aws
    result = deploy.deploy({"execution_id": "e", "model_package_arn": register_package(sm)}, config(), sm, aas)
    cfg = sm.describe_endpoint_config(EndpointConfigName=result["endpoint_config"])
    assert not cfg.get("DataCaptureConfig")  # moto echoes an empty one
    assert "DataCaptureConfig" not in deploy.endpoint_config_request(config(), "c", [])


@pytest.mark.parametrize("status", ["PendingManualApproval", "Rejected"])
def test_a_package_that_is_not_approved_is_never_deployed(aws, status):
    sm, aas = aws
    result = deploy.deploy({"execution_id": "e", "model_package_arn": register_package(sm, status)},
                           config(), sm, aas)
    assert result["state"] == "failed" and status in result["reason"]
    assert sm.list_endpoints()["Endpoints"] == []


def test_an_input_without_package_or_promotion_fails_with_a_reason(aws):
    sm, aas = aws
    result = deploy.deploy({"execution_id": "e", "input": {"trigger": "manual"}}, config(), sm, aas)
    assert result["state"] == "failed" and "model_package_arn" in result["reason"]


def test_promotion_before_any_deployment_fails_with_a_reason(aws):
    sm, aas = aws
    result = deploy.deploy({"execution_id": "e", "input": {"promote": True}}, config(), sm, aas)
    assert result["state"] == "failed" and "nothing to promote" in result["reason"]


# --- integrity: what was evaluated is what deploys (moto: versioned S3 and the registry) ------


def test_an_untouched_artifact_deploys(aws):
    sm, aas = aws
    url, version = trained_artifact()
    package = register_package(sm, artifact=(url, version))
    result = deploy.deploy({"execution_id": "e", "model_package_arn": package}, config(), sm, aas,
                           s3=boto3.client("s3"))
    assert result["state"] == "updating"
    assert sm.describe_model(ModelName=f"{ENDPOINT}-v1")["PrimaryContainer"]["ModelPackageName"] == package


def test_an_artifact_replaced_after_evaluation_is_never_deployed(aws):
    """Someone overwrites model.tar.gz after the pipeline recorded its version: no model, no endpoint."""
    sm, aas = aws
    url, version = trained_artifact()
    package = register_package(sm, artifact=(url, version))
    s3 = boto3.client("s3")
    s3.put_object(Bucket=ARTIFACTS, Key=url.split("/", 3)[3], Body=b"tampered bytes")
    result = deploy.deploy({"execution_id": "e", "model_package_arn": package}, config(), sm, aas, s3=s3)
    assert result["state"] == "failed"
    assert "replaced after the pipeline evaluated it" in result["reason"] and version in result["reason"]
    assert sm.list_models()["Models"] == [] and sm.list_endpoints()["Endpoints"] == []


def test_an_artifact_deleted_after_evaluation_is_never_deployed(aws):
    sm, aas = aws
    url, version = trained_artifact()
    package = register_package(sm, artifact=(url, version))
    s3 = boto3.client("s3")
    s3.delete_object(Bucket=ARTIFACTS, Key=url.split("/", 3)[3])  # a delete marker is the current version
    result = deploy.deploy({"execution_id": "e", "model_package_arn": package}, config(), sm, aas, s3=s3)
    assert result["state"] == "failed" and package in result["reason"]
    assert sm.list_models()["Models"] == []


def test_a_package_without_a_recorded_version_is_never_deployed(aws):
    """Registered outside the pipeline (a notebook may register PendingManualApproval; a human may approve)."""
    sm, aas = aws
    url, _ = trained_artifact()
    package = register_package(sm, artifact=(url, None))
    result = deploy.deploy({"execution_id": "e", "model_package_arn": package}, config(), sm, aas,
                           s3=boto3.client("s3"))
    assert result["state"] == "failed" and deploy.VERSION_PROPERTY in result["reason"]
    assert sm.list_models()["Models"] == []


def test_a_model_outside_the_pipelines_prefix_is_never_deployed(aws):
    """A notebook's own model under scratch/, with a correct version recorded: not the pipeline's."""
    sm, aas = aws
    url, version = trained_artifact("scratch/alice/model.tar.gz")
    package = register_package(sm, artifact=(url, version))
    result = deploy.deploy({"execution_id": "e", "model_package_arn": package}, config(), sm, aas,
                           s3=boto3.client("s3"))
    assert result["state"] == "failed" and "not under s3://acme-artifacts/models/" in result["reason"]
    assert sm.list_models()["Models"] == []


@pytest.mark.parametrize("metrics", [
    "s3://acme-artifacts/scratch/alice/evaluation.json",  # a notebook's numbers
    "s3://acme-artifacts/evaluation/another-run/evaluation.json",  # another run's evaluation
    None,
])
def test_a_package_whose_metrics_are_not_its_runs_evaluation_is_never_deployed(aws, metrics):
    """A notebook registers a pipeline-trained model for review with metrics of its choosing."""
    sm, aas = aws
    url, version = trained_artifact()
    if metrics is None:
        package = register_package(sm, artifact=(url, version))
        request = sm.describe_model_package(ModelPackageName=package)
        assert request["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"] == evaluation_of(url)
        url, version = trained_artifact("models/acme-prod-x/model.tar.gz")  # not a training job's layout
        package = register_package(sm, artifact=(url, version), metrics=evaluation_of(url))
    else:
        package = register_package(sm, artifact=(url, version), metrics=metrics)
    result = deploy.deploy({"execution_id": "e", "model_package_arn": package}, config(), sm, aas,
                           s3=boto3.client("s3"))
    assert result["state"] == "failed" and "not a pipeline run's trained model and its evaluation" in result["reason"]
    assert sm.list_models()["Models"] == []


def test_the_handler_checks_artifacts_with_an_s3_client(moto, monkeypatch):
    sm = boto3.client("sagemaker")
    url, version = trained_artifact()
    package = register_package(sm, artifact=(url, version))
    boto3.client("s3").put_object(Bucket=ARTIFACTS, Key=url.split("/", 3)[3], Body=b"tampered")
    monkeypatch.setenv("DEPLOY_CONFIG", json.dumps(config()))
    result = deploy.handler({"action": "deploy", "execution_id": "e", "model_package_arn": package})
    assert result["state"] == "failed" and "replaced" in result["reason"]


# --- later deployments: challenger, promotion, capacity ---------------------------------------


def _update_flow(event, cfg, current, counts, expect_variants, expect_update, aas=None):
    """Run deploy() on a serving endpoint with the documented SageMaker responses."""
    sm = stubbed("sagemaker")
    aas = aas or stubbed("application-autoscaling")
    s3 = stubbed("s3")
    with Stubber(sm) as stub, Stubber(s3) as s3_stub:
        stub.add_response("describe_endpoint", endpoint_description("InService", "old-config", counts=counts),
                          {"EndpointName": ENDPOINT})
        stub.add_response("describe_endpoint_config", config_description("old-config", current),
                          {"EndpointConfigName": "old-config"})
        if not {**event, **event.get("input", {})}.get("promote"):
            stub.add_response("describe_model_package", {
                "ModelPackageName": GROUP, "ModelPackageArn": event["model_package_arn"],
                "CreationTime": T0, "ModelPackageStatus": "Completed", "ModelApprovalStatus": "Approved",
                "ModelPackageStatusDetails": {"ValidationStatuses": []},
                "InferenceSpecification": {"Containers": [{"Image": "i", "ModelDataUrl": STUB_MODEL_URL}]},
                "ModelMetrics": STUB_METRICS,
                "CustomerMetadataProperties": {deploy.VERSION_PROPERTY: "v-evaluated"},
            }, {"ModelPackageName": event["model_package_arn"]})
            s3_stub.add_response("head_object", {"VersionId": "v-evaluated"},
                                 {"Bucket": ARTIFACTS, "Key": STUB_MODEL_URL.split("/", 3)[3]})
            stub.add_response("create_model", {"ModelArn": ARN}, None)
        else:
            # The promoted model's package, for the drift step (the input names none).
            promoted = expect_variants[0]["ModelName"]
            stub.add_response("describe_model", {
                "ModelName": promoted, "ModelArn": ARN, "CreationTime": T0,
                "PrimaryContainer": {"ModelPackageName": PROMOTED_PACKAGE},
            }, {"ModelName": promoted})
        name = deploy.endpoint_config_name(ENDPOINT, event["execution_id"])
        stub.add_response("create_endpoint_config", {"EndpointConfigArn": ARN}, {
            "EndpointConfigName": name, "ProductionVariants": expect_variants,
            # The config served until now, the rollback target that prune keeps.
            "Tags": [{"Key": "client", "Value": "acme"}, {"Key": "environment", "Value": "prod"},
                     {"Key": "previous-endpoint-config", "Value": "old-config"}],
            "KmsKeyId": cfg["kms_key_arn"],
        })
        stub.add_response("update_endpoint", {"EndpointArn": ARN}, {"EndpointName": ENDPOINT,
                                                                     "EndpointConfigName": name, **expect_update})
        result = deploy.deploy(event, cfg, sm, aas, s3=s3)
        stub.assert_no_pending_responses()
        s3_stub.assert_no_pending_responses()
    return result


STUB_MODEL_URL = f"s3://{ARTIFACTS}/models/acme-prod-run-7/output/model.tar.gz"
STUB_METRICS = {"ModelQuality": {"Statistics": {"ContentType": "application/json",
                                                "S3Uri": f"s3://{ARTIFACTS}/evaluation/run-7/evaluation.json"}}}
PROMOTED_PACKAGE = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/6"


def _variant(name, model, count, weight, instance_type="ml.m5.xlarge"):
    return {"VariantName": name, "ModelName": model, "InstanceType": instance_type,
            "InitialInstanceCount": count, "InitialVariantWeight": weight}


RETAIN = {"RetainAllVariantProperties": True,
          "ExcludeRetainedVariantProperties": [{"VariantPropertyType": "DesiredWeight"},
                                               {"VariantPropertyType": "DataCaptureConfig"}]}


def test_an_approved_model_goes_to_the_challenger_and_capacity_is_kept():
    package = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/7"
    current = {"champion": ("m-old", "ml.m5.xlarge"), "challenger": ("m-older", "ml.m5.xlarge")}
    # Autoscaling scaled the champion out to 5: the new config starts there, and the update
    # retains the counts, taking only the spec's weights from the new config.
    result = _update_flow(
        {"execution_id": "exec-2", "model_package_arn": package}, config(), current,
        {"champion": 5, "challenger": 2},
        [_variant("champion", "m-old", 5, 90.0), _variant("challenger", f"{ENDPOINT}-v7", 2, 10.0)],
        RETAIN)
    assert result["state"] == "updating"
    assert result["variants"] == {"champion": "m-old", "challenger": f"{ENDPOINT}-v7"}


def test_promotion_moves_the_challengers_model_to_the_champion():
    current = {"champion": ("m-old", "ml.m5.xlarge"), "challenger": ("m-new", "ml.m5.xlarge")}
    result = _update_flow(
        {"execution_id": "exec-3", "input": {"promote": True}}, config(), current,
        {"champion": 3, "challenger": 2},
        [_variant("champion", "m-new", 3, 90.0), _variant("challenger", "m-new", 2, 10.0)],
        RETAIN)
    assert result["variants"] == {"champion": "m-new", "challenger": "m-new"}
    # The drift step gets the promoted model's package from this answer, not from the input.
    assert result["model_package_arn"] == PROMOTED_PACKAGE


def test_the_package_of_a_model_is_read_from_the_model_itself(aws):
    sm, aas = aws
    package = register_package(sm)
    model = deploy.ensure_model(config(), sm, package)
    assert deploy.package_of_model(sm, model) == package
    sm.create_model(ModelName="hand-made", PrimaryContainer={"Image": "1.dkr.ecr.eu-west-1.amazonaws.com/x:1"},
                    ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/r")
    assert deploy.package_of_model(sm, "hand-made") is None
    assert deploy.package_of_model(sm, "deleted-meanwhile") is None


def test_a_single_variant_gets_the_new_model_directly():
    package = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/8"
    cfg = config(variants=(("champion", 100),))
    result = _update_flow(
        {"execution_id": "exec-4", "model_package_arn": package}, cfg,
        {"champion": ("m-old", "ml.m5.xlarge")}, {"champion": 4},
        [_variant("champion", f"{ENDPOINT}-v8", 4, 100.0)], RETAIN)
    assert result["variants"] == {"champion": f"{ENDPOINT}-v8"}


def record_update_endpoint(sm) -> list[dict]:
    """moto has no UpdateEndpoint: answer it as the API documents, and only it; keep the requests."""
    from botocore.awsrequest import AWSResponse
    requests: list[dict] = []

    def answer(params, **_):
        requests.append(json.loads(params["body"]))
        return AWSResponse("https://stubbed.invalid", 200, {}, None), {"EndpointArn": ARN}

    sm.meta.events.register("before-call.sagemaker.UpdateEndpoint", answer)
    return requests


@pytest.mark.parametrize("change", ["percentage", "drift-off"])
def test_a_changed_data_capture_reaches_the_endpoint_on_the_next_deployment(aws, change):
    """Same model, same variants, a new capture configuration (the spec changed): on moto, the
    deployment is not 'unchanged'; the new endpoint config carries the capture and the update
    does not retain the old one."""
    sm, aas = aws
    package = register_package(sm)
    first = deploy.deploy({"execution_id": "e1", "input": {"model_package_arn": package}},
                          config(drift=True), sm, aas)
    assert sm.describe_endpoint_config(EndpointConfigName=first["endpoint_config"])[
        "DataCaptureConfig"]["InitialSamplingPercentage"] == 20
    # Deploying the same package with the same settings changes nothing.
    again = deploy.deploy({"execution_id": "e2", "input": {"model_package_arn": package}},
                          config(drift=True), sm, aas)
    assert again["state"] == "unchanged"

    cfg = config(drift=True, data_capture_percent=5) if change == "percentage" else config()
    updates = record_update_endpoint(sm)
    result = deploy.deploy({"execution_id": "e3", "input": {"model_package_arn": package}}, cfg, sm, aas)

    assert result["state"] == "updating"
    new = sm.describe_endpoint_config(EndpointConfigName=result["endpoint_config"])
    if change == "percentage":
        assert new["DataCaptureConfig"]["InitialSamplingPercentage"] == 5
    else:
        assert not new.get("DataCaptureConfig")
    (update,) = updates
    assert update["EndpointConfigName"] == result["endpoint_config"]
    assert {"VariantPropertyType": "DataCaptureConfig"} in update["ExcludeRetainedVariantProperties"]


def test_variants_that_leave_or_change_type_are_deregistered_first_and_only_they(moto):
    """Autoscaling against moto: blue keeps its type, green changes type, red leaves the spec."""
    aas = boto3.client("application-autoscaling")
    for name in ("blue", "green", "red"):
        aas.register_scalable_target(
            ServiceNamespace="sagemaker", ScalableDimension=deploy.SCALABLE_DIMENSION,
            ResourceId=deploy.resource_id(ENDPOINT, name), MinCapacity=2, MaxCapacity=6)
    cfg = config(variants=(("blue", 50), ("green", 50)))
    cfg["variants"][1]["instance_type"] = "ml.c5.2xlarge"
    current = {"blue": ("m-old", "ml.m5.xlarge"), "green": ("m-old", "ml.m5.xlarge"),
               "red": ("m-old", "ml.m5.xlarge")}
    package = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/9"
    result = _update_flow(
        {"execution_id": "exec-5", "model_package_arn": package}, cfg, current,
        {"blue": 4, "green": 3, "red": 2},
        # blue keeps 4 instances; green starts at the spec's minimum on its new type. No
        # RetainAllVariantProperties: the variants changed.
        [_variant("blue", "m-old", 4, 50.0), _variant("green", f"{ENDPOINT}-v9", 2, 50.0, "ml.c5.2xlarge")],
        {}, aas=aas)
    assert result["state"] == "updating"
    left = aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert [t["ResourceId"] for t in left] == [deploy.resource_id(ENDPOINT, "blue")]


# --- waiting for the endpoint: success only on the new config ---------------------------------


@pytest.mark.parametrize("status", ["Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"])
def test_a_changing_endpoint_is_busy_an_answer_not_an_error(status):
    sm = stubbed("sagemaker")
    with Stubber(sm) as stub:
        stub.add_response("describe_endpoint", endpoint_description(status, "new"))
        stub.add_response("describe_endpoint", endpoint_description(status, "old"))
        checked = deploy.check({"endpoint_config": "new"}, config(), sm)
        started = deploy.deploy({"execution_id": "e", "model_package_arn": "p/1"}, config(), sm, None)
        stub.assert_no_pending_responses()
    assert checked["state"] == "busy" and started["state"] == "busy"
    assert status in checked["reason"]


def test_an_update_that_rolled_back_fails_with_sagemakers_reason():
    """DescribeEndpoint after a failed UpdateEndpoint: InService, on the OLD config, FailureReason set."""
    sm = stubbed("sagemaker")
    reason = "The primary container for production variant challenger did not pass the ping health check."
    with Stubber(sm) as stub:
        stub.add_response("describe_endpoint", endpoint_description("InService", "old-config", reason))
        result = deploy.check({"endpoint_config": "new-config"}, config(), sm)
    assert result["state"] == "failed"
    assert reason in result["reason"] and "rolled back" in result["reason"]
    assert "old-config" in result["reason"]


@pytest.mark.parametrize("status", ["Failed", "UpdateRollbackFailed", "OutOfService"])
def test_terminal_states_fail_at_once(status):
    sm = stubbed("sagemaker")
    with Stubber(sm) as stub:
        stub.add_response("describe_endpoint", endpoint_description(status, "new-config", "quota exceeded"))
        result = deploy.check({"endpoint_config": "new-config"}, config(), sm)
    assert result["state"] == "failed"
    assert status in result["reason"] and "quota exceeded" in result["reason"]


def test_a_deploy_onto_an_endpoint_stuck_in_update_rollback_failed_fails_instead_of_waiting():
    sm = stubbed("sagemaker")
    with Stubber(sm) as stub:
        stub.add_response("describe_endpoint", endpoint_description("UpdateRollbackFailed", "c", "boom"))
        result = deploy.deploy({"execution_id": "e", "model_package_arn": "p/1"}, config(), sm, None)
        stub.assert_no_pending_responses()
    assert result["state"] == "failed" and "UpdateRollbackFailed" in result["reason"]


def test_a_failed_creation_is_deleted_and_reported_busy():
    sm = stubbed("sagemaker")
    with Stubber(sm) as stub:
        stub.add_response("describe_endpoint", endpoint_description("Failed", "c", "boom"))
        stub.add_response("delete_endpoint", {}, {"EndpointName": ENDPOINT})
        result = deploy.deploy({"execution_id": "e", "model_package_arn": "p/1"}, config(), sm, None)
        stub.assert_no_pending_responses()
    assert result["state"] == "busy"


def test_every_answer_has_the_keys_the_state_machine_selects(aws):
    sm, aas = aws
    keys = {"state", "reason", "endpoint_config", "variants"}
    package = register_package(sm)
    answers = [
        deploy.deploy({"execution_id": "e", "model_package_arn": package}, config(), sm, aas),
        deploy.deploy({"execution_id": "e", "input": {}}, config(), sm, aas),
        deploy.check({"endpoint_config": "x"}, config(), sm),
        deploy.autoscale(config(), aas),
    ]
    for answer in answers:
        assert keys <= answer.keys()
        json.dumps(answer)  # Lambda returns JSON


# --- autoscaling, pruning, drift monitoring ---------------------------------------------------


def test_autoscale_registers_every_spec_variant_with_its_bounds_and_policy(moto):
    aas = boto3.client("application-autoscaling")
    deploy.autoscale(config(), aas)
    deploy.autoscale(config(), aas)  # idempotent: registering again updates in place
    targets = aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert sorted((t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets) == [
        (deploy.resource_id(ENDPOINT, "challenger"), 2, 6), (deploy.resource_id(ENDPOINT, "champion"), 2, 6)]
    policies = aas.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    assert {p["PolicyName"] for p in policies} == {f"{ENDPOINT}-champion-invocations",
                                                   f"{ENDPOINT}-challenger-invocations"}
    tracking = policies[0]["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["TargetValue"] == 70.0
    assert tracking["PredefinedMetricSpecification"]["PredefinedMetricType"] == "SageMakerVariantInvocationsPerInstance"


def test_prune_keeps_the_newest_versions_and_whatever_is_in_use():
    sm = stubbed("sagemaker")
    group_arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}"
    with Stubber(sm) as stub:
        stub.add_response("describe_endpoint", endpoint_description("InService", f"{ENDPOINT}-c3"))
        # In use: the old champion model v1 (still serving) and the challenger's v4.
        stub.add_response("describe_endpoint_config", config_description(
            f"{ENDPOINT}-c3", {"champion": (f"{ENDPOINT}-v1", "ml.m5.xlarge"),
                               "challenger": (f"{ENDPOINT}-v4", "ml.m5.xlarge")}))
        stub.add_response("list_endpoint_configs", {"EndpointConfigs": [
            {"EndpointConfigName": f"{ENDPOINT}-c{n}", "EndpointConfigArn": ARN, "CreationTime": T0}
            for n in (5, 4, 3, 2, 1)]}, {"NameContains": ENDPOINT, "SortBy": "CreationTime", "SortOrder": "Descending"})
        # c3 was deployed without the previous-endpoint-config tag: c2, next older, served before it.
        stub.add_response("describe_endpoint_config", config_description(
            f"{ENDPOINT}-c3", {"champion": (f"{ENDPOINT}-v1", "ml.m5.xlarge"),
                               "challenger": (f"{ENDPOINT}-v4", "ml.m5.xlarge")}))
        stub.add_response("list_tags", {"Tags": [{"Key": "client", "Value": "acme"}]}, {"ResourceArn": ARN})
        stub.add_response("describe_endpoint_config", config_description(
            f"{ENDPOINT}-c2", {"champion": (f"{ENDPOINT}-v1", "ml.m5.xlarge"),
                               "challenger": (f"{ENDPOINT}-v3", "ml.m5.xlarge")}))
        # c5, the newest (a deployment under way?), has no models any more: kept, nothing to add.
        stub.add_client_error("describe_endpoint_config", "ValidationException",
                              "Could not find endpoint configuration", expected_params={
                                  "EndpointConfigName": f"{ENDPOINT}-c5"})
        stub.add_response("delete_endpoint_config", {}, {"EndpointConfigName": f"{ENDPOINT}-c1"})
        stub.add_response("list_models", {"Models": [
            {"ModelName": f"{ENDPOINT}-v{n}", "ModelArn": ARN, "CreationTime": T0} for n in (4, 3, 2, 1)]},
            {"NameContains": ENDPOINT, "SortBy": "CreationTime", "SortOrder": "Descending"})
        stub.add_response("delete_model", {}, {"ModelName": f"{ENDPOINT}-v2"})
        stub.add_response("list_model_packages", {"ModelPackageSummaryList": [
            {"ModelPackageArn": f"{group_arn}/{n}", "CreationTime": T0, "ModelPackageStatus": "Completed",
             "ModelApprovalStatus": "Approved"}
            for n in (4, 3, 2, 1)]},
            {"ModelPackageGroupName": GROUP, "SortBy": "CreationTime", "SortOrder": "Descending"})
        stub.add_response("delete_model_package", {}, {"ModelPackageName": f"{group_arn}/2"})
        result = deploy.prune(config(), sm)
        stub.assert_no_pending_responses()
    # c4 (within retained_versions 2) and c5, c3, c2 are kept; v3 (served by c2, the rollback
    # target) is kept although beyond retained_versions.
    assert result["variants"] == {"endpoint_configs": 1, "models": 1, "model_packages": 1}


def fake_delete_model_package(sm) -> list[str]:
    """moto has no DeleteModelPackage: answer it as the API documents (an empty 200), only it."""
    from botocore.awsrequest import AWSResponse
    deleted: list[str] = []

    def answer(params, **_):
        deleted.append(json.loads(params["body"])["ModelPackageName"])
        return AWSResponse("https://stubbed.invalid", 200, {}, None), {}

    sm.meta.events.register("before-call.sagemaker.DeleteModelPackage", answer)
    return deleted


def test_prune_on_moto_keeps_packages_waiting_for_approval_serving_or_not_yet_deployed(aws):
    sm, aas = aws
    statuses = ["Approved", "Rejected", "Approved", "Rejected", "PendingManualApproval", "Approved",
                "PendingManualApproval", "Approved"]
    arns = [register_package(sm, status) for status in statuses]  # versions 1..8, oldest first
    cfg = config(retained_versions=1)
    # Version 3 serves on both variants (the first deployment): champion and challenger.
    first = deploy.deploy({"execution_id": "e1", "input": {"model_package_arn": arns[2]}}, cfg, sm, aas)
    assert first["state"] == "updating"
    deleted = fake_delete_model_package(sm)

    result = deploy.prune(cfg, sm)

    # v8 Approved is the newest approved (retained); v6 Approved is newer than what serves: approved,
    # not deployed yet, so not superseded; v3 serves; v5 and v7 wait for a human; v4 is the newest
    # Rejected (retained). Only v2 (Rejected) and v1 (Approved, superseded by v3) go.
    assert deleted == [arns[1], arns[0]]
    assert result["variants"]["model_packages"] == 2


def test_prune_on_moto_never_deletes_the_champion_the_challenger_or_the_rollback_target(aws):
    sm, aas = aws
    statuses = ["Approved", "Approved", "Approved", "Approved", "PendingManualApproval"]
    arns = [register_package(sm, status) for status in statuses]  # versions 1..5, oldest first
    cfg = config(retained_versions=1)
    first = deploy.deploy({"execution_id": "e1", "input": {"model_package_arn": arns[0]}}, cfg, sm, aas)
    assert first["state"] == "updating"  # v1 on both variants, config c(e1)
    # moto has no UpdateEndpoint: the next deployments' configs are made as deploy makes them,
    # each tagged with the config served before it; the endpoint then serves the last one.
    served = first["endpoint_config"]
    names = {}
    for execution, version in (("e2", 2), ("e3", 3), ("e4", 4)):
        model = deploy.ensure_model(cfg, sm, arns[version - 1])
        name = deploy.endpoint_config_name(ENDPOINT, execution)
        variants = deploy.production_variants(cfg, {"champion": f"{ENDPOINT}-v1", "challenger": model}, {})
        sm.create_endpoint_config(**deploy.endpoint_config_request(cfg, name, variants, served))
        served = names[version] = name
    sm.delete_endpoint(EndpointName=ENDPOINT)
    sm.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=names[4])  # champion v1, challenger v4
    deleted = fake_delete_model_package(sm)

    result = deploy.prune(cfg, sm)

    configs = {c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]}
    models = {m["ModelName"] for m in sm.list_models()["Models"]}
    # Serving: c(e4) with v1 (champion) and v4 (challenger); served before it: c(e3) with v1 and v3.
    assert configs == {names[4], names[3]}
    assert models == {f"{ENDPOINT}-v1", f"{ENDPOINT}-v3", f"{ENDPOINT}-v4"}
    # v2 is the only package superseded and not needed for a rollback; v5 waits for a human.
    assert deleted == [arns[1]]
    assert result["variants"] == {"endpoint_configs": 2, "models": 1, "model_packages": 1}


@pytest.mark.parametrize("statuses,in_use,keep,expected", [
    # newest first: (version, status)
    ([(3, "PendingManualApproval"), (2, "PendingManualApproval"), (1, "PendingManualApproval")], set(), 0, []),
    ([(3, "Approved"), (2, "Approved"), (1, "Approved")], set(), 0, []),  # nothing serves: none superseded
    ([(3, "Approved"), (2, "Approved"), (1, "Approved")], {"3"}, 1, [2, 1]),
    ([(3, "Approved"), (2, "Approved"), (1, "Approved")], {"2"}, 0, [1]),  # v3 not deployed yet
    ([(4, "Rejected"), (3, "Rejected"), (2, "Approved"), (1, "Rejected")], {"2"}, 1, [3, 1]),
])
def test_which_packages_prune_selects(statuses, in_use, keep, expected):
    group = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}"
    packages = [{"ModelPackageArn": f"{group}/{v}", "ModelApprovalStatus": s} for v, s in statuses]
    assert deploy.packages_to_prune(packages, in_use, keep) == [f"{group}/{v}" for v in expected]


def test_a_protected_package_is_never_selected_however_old():
    group = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}"
    packages = [{"ModelPackageArn": f"{group}/{v}", "ModelApprovalStatus": "Approved"} for v in (4, 3, 2, 1)]
    assert deploy.packages_to_prune(packages, {"4"}, 0, {"4", "2"}) == [f"{group}/3", f"{group}/1"]


def test_drift_schedule_uses_the_baseline_stored_with_the_model_package_and_publishes_metrics(aws):
    sm, _ = aws
    package = register_package(sm, baseline=True)
    baseline = deploy.package_baseline(sm, package)
    assert baseline == {"statistics": "s3://acme-artifacts/monitoring/baseline/r/statistics.json",
                        "constraints": "s3://acme-artifacts/monitoring/baseline/r/constraints.json"}
    request = deploy.job_definition_request(config(drift=True), baseline)
    assert request["DataQualityAppSpecification"]["Environment"] == {"publish_cloudwatch_metrics": "Enabled"}
    assert request["DataQualityBaselineConfig"]["StatisticsResource"]["S3Uri"] == baseline["statistics"]
    assert deploy.package_baseline(sm, register_package(sm)) is None


def test_monitor_creates_the_hourly_schedule_once_with_the_package_baseline():
    cfg = config(drift=True)
    package = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/3"
    baseline = {"statistics": "s3://acme-artifacts/monitoring/baseline/r/statistics.json",
                "constraints": "s3://acme-artifacts/monitoring/baseline/r/constraints.json"}
    definition = deploy.job_definition_request(cfg, baseline)
    sm = stubbed("sagemaker")
    with Stubber(sm) as stub:
        stub.add_response("describe_model_package", {
            "ModelPackageName": GROUP, "ModelPackageArn": package, "CreationTime": T0,
            "ModelPackageStatus": "Completed", "ModelPackageStatusDetails": {"ValidationStatuses": []},
            "DriftCheckBaselines": {"ModelDataQuality": {
                "Statistics": {"ContentType": "application/json", "S3Uri": baseline["statistics"]},
                "Constraints": {"ContentType": "application/json", "S3Uri": baseline["constraints"]}}},
        }, {"ModelPackageName": package})
        stub.add_client_error("describe_data_quality_job_definition", "ResourceNotFound")
        stub.add_response("create_data_quality_job_definition", {"JobDefinitionArn": ARN}, definition)
        stub.add_client_error("describe_monitoring_schedule", "ResourceNotFound")
        stub.add_response("create_monitoring_schedule", {"MonitoringScheduleArn": ARN}, {
            "MonitoringScheduleName": f"{ENDPOINT}-drift", "MonitoringScheduleConfig": ANY, "Tags": ANY})
        result = deploy.monitor({"model_package_arn": package}, cfg, sm, None)
        stub.assert_no_pending_responses()
    assert result["monitoring_schedule"]["baseline"] is True


@pytest.fixture
def artifacts(moto):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="acme-artifacts", CreateBucketConfiguration={"LocationConstraint": REGION})
    return s3


@pytest.mark.parametrize("uploaded,expected", [
    ([], None),
    (["statistics.json"], None),
    (["statistics.json", "constraints.json", "old/statistics.json"], {
        "statistics": "s3://acme-artifacts/monitoring/baseline/statistics.json",
        "constraints": "s3://acme-artifacts/monitoring/baseline/constraints.json",
    }),
])
def test_a_baseline_uploaded_by_hand_is_found_by_listing_the_prefix(artifacts, uploaded, expected):
    for name in uploaded:
        artifacts.put_object(Bucket="acme-artifacts", Key=f"monitoring/baseline/{name}", Body=b"{}")
    assert deploy.baseline_uris(config(drift=True), artifacts) == expected


def test_monitor_does_nothing_without_drift_detection():
    assert deploy.monitor({}, config(), None, None)["monitoring_schedule"] is None


def test_monitor_skips_regions_without_a_known_analyzer_image():
    cfg = config(drift=True, monitor_image="")
    assert "skipped" in deploy.ensure_drift_schedule(cfg, None, None)


def test_the_handler_reads_its_config_and_rejects_unknown_actions(moto, monkeypatch):
    monkeypatch.setenv("DEPLOY_CONFIG", json.dumps(config()))
    with pytest.raises(ValueError, match="unknown action"):
        deploy.handler({"action": "configure"})
    assert deploy.handler({"action": "check", "endpoint_config": "x"})["state"] == "failed"


def test_a_concurrent_update_makes_the_second_deployment_wait_not_fail():
    """Two approvals at once: the second UpdateEndpoint is refused while the first runs."""
    sm = stubbed("sagemaker")
    package = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/11"
    s3 = stubbed("s3")
    with Stubber(sm) as stub, Stubber(s3) as s3_stub:
        stub.add_response("describe_endpoint", endpoint_description("InService", "old-config",
                                                                    counts={"champion": 2, "challenger": 2}))
        stub.add_response("describe_endpoint_config", config_description(
            "old-config", {"champion": ("m-old", "ml.m5.xlarge"), "challenger": ("m-older", "ml.m5.xlarge")}))
        stub.add_response("describe_model_package", {
            "ModelPackageName": GROUP, "ModelPackageArn": package, "CreationTime": T0,
            "ModelPackageStatus": "Completed", "ModelApprovalStatus": "Approved",
            "ModelPackageStatusDetails": {"ValidationStatuses": []},
            "InferenceSpecification": {"Containers": [{"Image": "i", "ModelDataUrl": STUB_MODEL_URL}]},
            "ModelMetrics": STUB_METRICS,
            "CustomerMetadataProperties": {deploy.VERSION_PROPERTY: "v1"}})
        s3_stub.add_response("head_object", {"VersionId": "v1"})
        stub.add_response("create_model", {"ModelArn": ARN})
        stub.add_response("create_endpoint_config", {"EndpointConfigArn": ARN})
        stub.add_client_error("update_endpoint", "ValidationException",
                              f"Cannot update in-progress endpoint \"{ARN}\".")
        result = deploy.deploy({"execution_id": "exec-9", "model_package_arn": package},
                               config(), sm, stubbed("application-autoscaling"), s3=s3)
        stub.assert_no_pending_responses()
    assert result["state"] == "busy"
