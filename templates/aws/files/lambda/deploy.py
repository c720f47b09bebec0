"""Deploy step of the ML pipeline: create or update the SageMaker endpoint, then watch it drift.

The endpoint is not a Terraform resource because no model exists when the blueprint is first
applied; the pipeline calls this function after it has trained and registered a model.

- ``{"action": "deploy", ...}`` writes a new endpoint config with one weighted production variant
  per configured variant (plus data capture when drift detection is on) and creates the endpoint
  or updates it. With several variants, the first one (the champion) keeps the model it serves
  and the others (challengers) get the new model: an A/B test. ``"deploy_mode": "all"`` in the
  execution input, or a first deployment, puts the new model on every variant.
- ``{"action": "monitor"}`` runs once the endpoint is InService (after the state machine has
  registered autoscaling for each variant): with drift detection, it creates or updates the
  hourly data-quality monitoring schedule, checked against a baseline when one was uploaded.

Configuration comes from the DEPLOY_CONFIG environment variable (JSON) written by Terraform.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from typing import Any

import boto3
from botocore.exceptions import ClientError

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)


def load_config() -> dict[str, Any]:
    return json.loads(os.environ["DEPLOY_CONFIG"])


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    config = load_config()
    action = event.get("action")
    if action == "deploy":
        return deploy(event, config, boto3.client("sagemaker"))
    if action == "monitor":
        return monitor(config, boto3.client("sagemaker"), boto3.client("s3"))
    raise ValueError(f"unknown action {action!r}: expected 'deploy' or 'monitor'")


# --- deploy -----------------------------------------------------------------------------------


def describe_endpoint(sm: Any, name: str) -> dict[str, Any] | None:
    try:
        return sm.describe_endpoint(EndpointName=name)
    except ClientError as e:
        if e.response["Error"]["Code"] == "ValidationException" and "Could not find" in str(e):
            return None
        raise


def current_models(sm: Any, endpoint: dict[str, Any] | None) -> dict[str, str]:
    """Variant name -> model name that the endpoint serves now."""
    if endpoint is None:
        return {}
    config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    return {v["VariantName"]: v["ModelName"] for v in config["ProductionVariants"]}


def deploy_mode(options: Any, variant_count: int) -> str:
    mode = options.get("deploy_mode") if isinstance(options, dict) else None
    if mode is None:
        return "challenger" if variant_count > 1 else "all"
    if mode not in ("all", "challenger"):
        raise ValueError(f"deploy_mode must be 'all' or 'challenger', not {mode!r}")
    return mode


def production_variants(config: dict[str, Any], new_model: str, current: dict[str, str],
                        mode: str) -> list[dict[str, Any]]:
    """One production variant per configured variant, with its weight and model."""
    out = []
    for index, variant in enumerate(config["variants"]):
        model = new_model
        if mode == "challenger" and index == 0 and variant["name"] in current:
            model = current[variant["name"]]
        out.append({
            "VariantName": variant["name"],
            "ModelName": model,
            "InstanceType": variant["instance_type"],
            "InitialInstanceCount": variant["initial_instance_count"],
            "InitialVariantWeight": float(variant["weight"]),
        })
    return out


def endpoint_config_request(config: dict[str, Any], name: str,
                            variants: list[dict[str, Any]]) -> dict[str, Any]:
    request: dict[str, Any] = {
        "EndpointConfigName": name,
        "ProductionVariants": variants,
        "Tags": tags(config),
    }
    if config["volume_kms"]:
        request["KmsKeyId"] = config["kms_key_arn"]
    if config["drift_detection"]:
        request["DataCaptureConfig"] = {
            "EnableCapture": True,
            "InitialSamplingPercentage": 100,
            "DestinationS3Uri": config["data_capture_uri"],
            "KmsKeyId": config["kms_key_arn"],
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]},
        }
    return request


def endpoint_config_name(endpoint: str, run_id: str) -> str:
    """Deterministic per run (a retried step reuses it) and within SageMaker's 63 characters."""
    suffix = run_id.replace("-", "")
    return f"{endpoint}-{suffix}"[:63].rstrip("-")


def busy(endpoint: str, reason: str) -> dict[str, Any]:
    """The endpoint is changing: the state machine waits and calls again.

    An answer, not an exception: a raised error would count as a Lambda error and set off the
    function's error alarm for what is a normal wait.
    """
    LOG.info("endpoint %s is busy (%s): the pipeline waits and tries again", endpoint, reason)
    return {"busy": True, "reason": reason, "endpoint_name": endpoint, "endpoint_config": None,
            "mode": None, "variants": {}, "model_package_arn": None}


def deploy(event: dict[str, Any], config: dict[str, Any], sm: Any) -> dict[str, Any]:
    endpoint = config["endpoint_name"]
    existing = describe_endpoint(sm, endpoint)
    if existing is not None and existing["EndpointStatus"] == "Failed":
        # A failed endpoint cannot be updated: delete it; the next call creates it again.
        LOG.warning("endpoint %s failed earlier (%s): deleting it", endpoint,
                    existing.get("FailureReason", "no reason given"))
        sm.delete_endpoint(EndpointName=endpoint)
        return busy(endpoint, "it was Failed and is being deleted")
    if existing is not None and existing["EndpointStatus"] not in ("InService", "OutOfService"):
        return busy(endpoint, f"it is {existing['EndpointStatus']}")

    mode = deploy_mode(event.get("options"), len(config["variants"]))
    variants = production_variants(config, event["model_name"], current_models(sm, existing), mode)
    name = endpoint_config_name(endpoint, event["run_id"])
    try:
        sm.create_endpoint_config(**endpoint_config_request(config, name, variants))
    except ClientError as e:
        if "already exists" not in str(e):
            raise
        LOG.info("endpoint config %s exists already (retried step)", name)

    if existing is None:
        LOG.info("creating endpoint %s with %s", endpoint, name)
        sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=name, Tags=tags(config))
    elif existing["EndpointConfigName"] != name:
        # The state machine has released the variants from autoscaling and registers them again
        # once the endpoint is back in service.
        LOG.info("updating endpoint %s to %s (mode %s)", endpoint, name, mode)
        sm.update_endpoint(EndpointName=endpoint, EndpointConfigName=name)
    return {
        "busy": False,
        "endpoint_name": endpoint,
        "endpoint_config": name,
        "mode": mode,
        "variants": {v["VariantName"]: v["ModelName"] for v in variants},
        "model_package_arn": event.get("model_package_arn"),
    }


# --- monitor ----------------------------------------------------------------------------------


def monitor(config: dict[str, Any], sm: Any, s3: Any) -> dict[str, Any]:
    result: dict[str, Any] = {"endpoint_name": config["endpoint_name"], "monitoring_schedule": None}
    if config["drift_detection"]:
        result["monitoring_schedule"] = ensure_drift_schedule(config, sm, s3)
    return result


def baseline_uris(config: dict[str, Any], s3: Any) -> dict[str, str] | None:
    """The data-quality baseline (statistics.json + constraints.json), if someone uploaded one.

    Listed rather than looked up with HeadObject: the function may list the baseline prefix
    (s3:ListBucket with an s3:prefix condition) and nothing else, and without an unconditional
    ListBucket S3 answers HeadObject on a missing key with 403, not 404.
    """
    bucket, prefix = config["baseline_bucket"], config["baseline_prefix"]
    wanted = {f"{prefix}{kind}.json": kind for kind in ("statistics", "constraints")}
    found: dict[str, str] = {}
    request: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    while True:
        page = s3.list_objects_v2(**request)
        for item in page.get("Contents", []):
            kind = wanted.get(item["Key"])
            if kind is not None:
                found[kind] = f"s3://{bucket}/{item['Key']}"
        if not page.get("IsTruncated"):
            break
        request["ContinuationToken"] = page["NextContinuationToken"]
    return found if len(found) == len(wanted) else None


def job_definition_request(config: dict[str, Any], baseline: dict[str, str] | None) -> dict[str, Any]:
    endpoint = config["endpoint_name"]
    request: dict[str, Any] = {
        "DataQualityAppSpecification": {"ImageUri": config["monitor_image"]},
        "DataQualityJobInput": {
            "EndpointInput": {
                "EndpointName": endpoint,
                "LocalPath": "/opt/ml/processing/input/endpoint",
                "S3InputMode": "File",
                "S3DataDistributionType": "FullyReplicated",
            }
        },
        "DataQualityJobOutputConfig": {
            "MonitoringOutputs": [{
                "S3Output": {
                    "S3Uri": f"{config['monitor_reports_uri']}/{endpoint}",
                    "LocalPath": "/opt/ml/processing/output",
                    "S3UploadMode": "EndOfJob",
                }
            }],
            "KmsKeyId": config["kms_key_arn"],
        },
        "JobResources": {
            "ClusterConfig": {
                "InstanceCount": 1,
                "InstanceType": config["monitor_instance_type"],
                "VolumeSizeInGB": 20,
                "VolumeKmsKeyId": config["kms_key_arn"],
            }
        },
        "NetworkConfig": {
            "EnableInterContainerTrafficEncryption": True,
            "EnableNetworkIsolation": True,
            "VpcConfig": {
                "SecurityGroupIds": config["security_group_ids"],
                "Subnets": config["subnet_ids"],
            },
        },
        "RoleArn": config["sagemaker_role_arn"],
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "Tags": tags(config),
    }
    if baseline is not None:
        request["DataQualityBaselineConfig"] = {
            "ConstraintsResource": {"S3Uri": baseline["constraints"]},
            "StatisticsResource": {"S3Uri": baseline["statistics"]},
        }
    # Job definitions are immutable: name them after their content, so a changed baseline or
    # configuration gets a new one and an unchanged one is reused.
    digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()[:10]
    request["JobDefinitionName"] = f"{endpoint}-dq-{digest}"
    return request


def ensure_drift_schedule(config: dict[str, Any], sm: Any, s3: Any) -> dict[str, Any]:
    if not config["monitor_image"]:
        LOG.warning("no Model Monitor image is known for this region: drift schedule skipped")
        return {"skipped": "no Model Monitor image for this region"}
    baseline = baseline_uris(config, s3)
    if baseline is None:
        LOG.warning("no baseline under s3://%s/%s: the schedule records statistics only; upload "
                    "statistics.json and constraints.json there to check drift against them",
                    config["baseline_bucket"], config["baseline_prefix"])
    request = job_definition_request(config, baseline)
    definition = request["JobDefinitionName"]
    try:
        sm.describe_data_quality_job_definition(JobDefinitionName=definition)
    except ClientError as e:
        if e.response["Error"]["Code"] not in ("ResourceNotFound", "ValidationException"):
            raise
        sm.create_data_quality_job_definition(**request)

    schedule = f"{config['endpoint_name']}-drift"
    schedule_config = {
        "ScheduleConfig": {"ScheduleExpression": config["monitor_schedule"]},
        "MonitoringJobDefinitionName": definition,
        "MonitoringType": "DataQuality",
    }
    previous = None
    try:
        current = sm.describe_monitoring_schedule(MonitoringScheduleName=schedule)
        previous = current["MonitoringScheduleConfig"].get("MonitoringJobDefinitionName")
    except ClientError as e:
        if e.response["Error"]["Code"] not in ("ResourceNotFound", "ValidationException"):
            raise
        sm.create_monitoring_schedule(MonitoringScheduleName=schedule,
                                      MonitoringScheduleConfig=schedule_config, Tags=tags(config))
    else:
        if previous != definition:
            sm.update_monitoring_schedule(MonitoringScheduleName=schedule,
                                          MonitoringScheduleConfig=schedule_config)
            if previous:
                delete_job_definition(sm, previous)
    return {"name": schedule, "job_definition": definition, "baseline": baseline is not None}


def delete_job_definition(sm: Any, name: str) -> None:
    """Tidy up the definition a schedule no longer uses; a leftover one costs nothing."""
    try:
        sm.delete_data_quality_job_definition(JobDefinitionName=name)
    except ClientError as e:
        LOG.warning("could not delete job definition %s: %s", name, e)


def tags(config: dict[str, Any]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(config.get("tags", {}).items())]
