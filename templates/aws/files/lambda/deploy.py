"""Deploy step of the ML pipeline: put an approved model on the SageMaker endpoint, safely.

The endpoint is not a Terraform resource because no model exists when the blueprint is first
applied. The deploy state machine calls this function when a model package of the registry is
approved (EventBridge: "SageMaker Model Package State Change") or when someone promotes the
challenger. Each action answers a small JSON document; the state machine decides what follows.

- ``deploy``: ``{"model_package_arn": ...}`` creates a SageMaker model from the approved package
  (only when its model.tar.gz is under the pipeline's model prefix and still the S3 object version
  the pipeline recorded in the package before evaluating it: a replaced artifact is ``failed``)
  and a new endpoint config: with one variant, or on the first deployment, every variant serves
  the new model; with several variants the challengers get it and the champion (the first
  variant) keeps what it serves. ``{"promote": true}`` instead moves the model of a challenger
  (``"challenger"``, default: the second variant) to the champion; the answer's
  ``model_package_arn`` is then the promoted model's package, looked up (the input has none).
  Capacity is preserved: each variant that keeps its instance type starts at its current desired
  instance count, and the update retains the endpoint's variant properties except the weights
  the spec sets and the data capture (a changed capture configuration is a change to deploy).
  Only the variants that disappear or change instance type are deregistered from autoscaling
  first (SageMaker refuses such an update otherwise). An update that keeps the variant names
  (SageMaker's condition for deployment guardrails) is blue/green with a baking period and
  automatic rollback: all traffic moves to the new fleet, SageMaker watches the endpoint's 5xx
  and latency alarms (``rollout`` of the config) for ``bake_seconds`` and rolls back to the old
  fleet if one goes to ALARM; ``check`` then fails with the reason. An alarm already in ALARM
  (the old fleet is failing) is left out: it would roll back every update, the fix included.
  Answers ``state``: ``updating`` (wait,
  then ``check``), ``unchanged``, ``busy`` (the endpoint is changing: wait and call again) or
  ``failed`` (with SageMaker's reason).
- ``check``: ``{"endpoint_config": ...}`` is ``in_service`` only when the endpoint is InService
  **on that config**. An update that rolled back is InService on the previous config with a
  FailureReason: that is ``failed``, as are Failed, UpdateRollbackFailed and OutOfService.
- ``autoscale``: registers each spec variant as a scalable target (min/max instances) with a
  target-tracking policy on invocations per instance. Registration keeps the current count.
- ``monitor``: with drift detection, the hourly data-quality schedule against the baseline the
  training run stored with the model package (DriftCheckBaselines), CloudWatch metrics on.
- ``prune``: deletes endpoint configs and models of this endpoint beyond the newest
  ``retained_versions``; of the registry, only Rejected packages and Approved ones superseded by
  what the endpoint serves, beyond the newest ``retained_versions`` of each. Never deleted, however
  old: the endpoint config in use and its models (champion and challengers) and packages; the
  config the endpoint served before it (each new config is tagged ``previous-endpoint-config``
  with it), its models and packages, so a rollback to the previous deployment stays possible; the
  newest config (a deployment under way) and its models; a package waiting for approval
  (PendingManualApproval) or approved and newer than what serves (its deployment is to come).

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

BUSY = ("Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting")
# States an endpoint does not leave by itself: the deployment has failed.
TERMINAL = ("Failed", "UpdateRollbackFailed", "OutOfService")
SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
# Tag of an endpoint config: the config the endpoint served when it was deployed (prune keeps it).
PREVIOUS_CONFIG_TAG = "previous-endpoint-config"
# Model package property: the S3 version of model.tar.gz the pipeline trained and evaluated.
VERSION_PROPERTY = "model_data_version_id"


def load_config() -> dict[str, Any]:
    return json.loads(os.environ["DEPLOY_CONFIG"])


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    config = load_config()
    action = event.get("action")
    if action == "deploy":
        return deploy(event, config, boto3.client("sagemaker"),
                      boto3.client("application-autoscaling"), boto3.client("cloudwatch"), s3=boto3.client("s3"))
    if action == "check":
        return check(event, config, boto3.client("sagemaker"))
    if action == "autoscale":
        return autoscale(config, boto3.client("application-autoscaling"))
    if action == "monitor":
        return monitor(event, config, boto3.client("sagemaker"), boto3.client("s3"))
    if action == "prune":
        return prune(config, boto3.client("sagemaker"))
    raise ValueError(f"unknown action {action!r}: expected deploy, check, autoscale, monitor or prune")


def answer(state: str, config: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Every answer carries the same keys, so the state machine's ResultSelector always works."""
    out = {"state": state, "reason": None, "endpoint_name": config["endpoint_name"],
           "endpoint_config": None, "variants": {}, "model_package_arn": None}
    out.update(extra)
    return out


# --- deploy -----------------------------------------------------------------------------------


def describe_endpoint(sm: Any, name: str) -> dict[str, Any] | None:
    try:
        return sm.describe_endpoint(EndpointName=name)
    except ClientError as e:
        if e.response["Error"]["Code"] == "ValidationException" and "Could not find" in str(e):
            return None
        raise


def current_variants(sm: Any, endpoint: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Variant name -> {model, instance_type, desired_count} of what the endpoint runs now."""
    return serving_config(sm, endpoint)[0]


def serving_config(sm: Any, endpoint: dict[str, Any] | None
                   ) -> tuple[dict[str, dict[str, Any]], dict[str, Any] | None]:
    """What the endpoint runs now: its variants, and the data capture of its endpoint config."""
    if endpoint is None:
        return {}, None
    config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    counts = {v["VariantName"]: v.get("DesiredInstanceCount", v.get("CurrentInstanceCount"))
              for v in endpoint.get("ProductionVariants", [])}
    variants = {
        v["VariantName"]: {
            "model": v["ModelName"],
            "instance_type": v.get("InstanceType"),
            "desired_count": counts.get(v["VariantName"]),
            "weight": v.get("InitialVariantWeight"),
        }
        for v in config["ProductionVariants"]
    }
    return variants, config.get("DataCaptureConfig")


def capture_settings(capture: dict[str, Any] | None) -> tuple[Any, ...] | None:
    """The data capture settings that matter, comparable (None: no capture)."""
    if not capture or not capture.get("EnableCapture", True):
        return None
    return (
        capture.get("InitialSamplingPercentage"),
        capture.get("DestinationS3Uri", "").rstrip("/"),
        capture.get("KmsKeyId"),
        tuple(sorted(o["CaptureMode"] for o in capture.get("CaptureOptions", []))),
        tuple(sorted(capture.get("CaptureContentTypeHeader", {}).get("CsvContentTypes", []))),
    )


def model_name_for(config: dict[str, Any], package_arn: str) -> str:
    """<endpoint>-v<version> for .../model-package/<group>/<version>, within 63 characters."""
    version = package_arn.rsplit("/", 1)[-1]
    suffix = f"-v{version}"
    return config["endpoint_name"][: 63 - len(suffix)].rstrip("-") + suffix


def ensure_model(config: dict[str, Any], sm: Any, package_arn: str, s3: Any = None) -> str:
    """The SageMaker model of an approved package, created once, in the private subnets, only
    when its artifact is still the object the pipeline trained and evaluated (verify_artifact)."""
    package = sm.describe_model_package(ModelPackageName=package_arn)
    if package.get("ModelApprovalStatus") != "Approved":
        raise DeployError(f"model package {package_arn} is {package.get('ModelApprovalStatus')}, not Approved")
    verify_artifact(config, s3 if s3 is not None else boto3.client("s3"), package_arn, package)
    name = model_name_for(config, package_arn)
    try:
        sm.create_model(
            ModelName=name,
            PrimaryContainer={"ModelPackageName": package_arn},
            ExecutionRoleArn=config["sagemaker_role_arn"],
            VpcConfig={"SecurityGroupIds": config["security_group_ids"],
                       "Subnets": config["subnet_ids"]},
            EnableNetworkIsolation=True,
            Tags=tags(config) + [{"Key": "model-package", "Value": package_arn.rsplit("/", 1)[-1]}],
        )
    except ClientError as e:
        if "already exists" not in str(e) and "Cannot create already existing" not in str(e):
            raise
        LOG.info("model %s exists already (retried or re-approved)", name)
    return name


def verify_artifact(config: dict[str, Any], s3: Any, package_arn: str, package: dict[str, Any]) -> None:
    """Refuse a package whose model.tar.gz is not the object the pipeline evaluated.

    A human approves a package; the endpoint serves whatever bytes are at its ModelDataUrl when
    SageMaker reads them. The pipeline records the S3 version of the trained model.tar.gz
    (versioned bucket) in the package (CustomerMetadataProperties ``model_data_version_id``) before
    evaluating it; the current version must still be that one. The artifact must also be under
    the pipeline's model prefix, which only the pipeline's SageMaker role writes, and the package's
    metrics the evaluation of the same run (a notebook may register a package for review, with
    metrics of its choosing: it never deploys).
    """
    containers = package.get("InferenceSpecification", {}).get("Containers", [])
    if len(containers) != 1 or not containers[0].get("ModelDataUrl"):
        raise DeployError(f"model package {package_arn} has {len(containers)} container(s); "
                          "the pipeline registers exactly one with a ModelDataUrl")
    url = containers[0]["ModelDataUrl"]
    prefix = config["model_data_prefix"]
    if not url.startswith(prefix):
        raise DeployError(f"model package {package_arn}: its model data {url} is not under {prefix}, "
                          "where only the pipeline's jobs write: it was not trained by the pipeline")
    recorded = (package.get("CustomerMetadataProperties") or {}).get(VERSION_PROPERTY)
    if not recorded:
        raise DeployError(f"model package {package_arn} records no {VERSION_PROPERTY} (registered outside the "
                          "pipeline, or before it recorded one): its artifact cannot be checked; retrain it")
    # The metrics a human reviewed must be the pipeline's evaluation of this very model: the
    # evaluation step of the run that trained it writes evaluation/<run id>/evaluation.json, and
    # the training job <job prefix>-<run id> writes models/<job>/output/model.tar.gz.
    job = url[len(prefix):].split("/", 1)[0]
    run = job[len(config["job_prefix"]) + 1:] if job.startswith(config["job_prefix"] + "-") else ""
    metrics = package.get("ModelMetrics", {}).get("ModelQuality", {}).get("Statistics", {}).get("S3Uri")
    if not run or url != f"{prefix}{job}/output/model.tar.gz" \
            or metrics != f"{config['evaluation_prefix']}{run}/evaluation.json":
        raise DeployError(f"model package {package_arn}: its model {url} and metrics {metrics} are not a "
                          "pipeline run's trained model and its evaluation: refusing to deploy it")
    bucket, _, key = url[len("s3://"):].partition("/")
    try:
        current = s3.head_object(Bucket=bucket, Key=key).get("VersionId")
    except ClientError as e:
        raise DeployError(f"model package {package_arn}: cannot read {url} "
                          f"({e.response['Error'].get('Code')}): refusing to deploy an unchecked artifact") from e
    if current != recorded:
        raise DeployError(f"model package {package_arn}: {url} was replaced after the pipeline evaluated it "
                          f"(version {current}, evaluated {recorded}): refusing to deploy it; "
                          "retrain, or investigate who wrote the object (CloudTrail data events, S3 access logs)")


def package_of_model(sm: Any, model_name: str) -> str | None:
    """The registry package a model was created from (ensure_model), or None if it was not."""
    try:
        model = sm.describe_model(ModelName=model_name)
    except ClientError as e:
        LOG.warning("cannot describe model %s: %s", model_name, e)
        return None
    for container in [model.get("PrimaryContainer") or {}, *model.get("Containers", [])]:
        if container.get("ModelPackageName"):
            return container["ModelPackageName"]
    return None


class DeployError(Exception):
    """A deployment that cannot go ahead as asked (answered as state failed)."""


def target_models(config: dict[str, Any], event: dict[str, Any], current: dict[str, dict[str, Any]],
                  new_model: str | None) -> dict[str, str]:
    """Variant name -> model for the new endpoint config."""
    names = [v["name"] for v in config["variants"]]
    champion, challengers = names[0], names[1:]
    if event.get("promote"):
        if not current:
            raise DeployError("nothing to promote: the endpoint does not exist yet")
        source = event.get("challenger") or (challengers[0] if challengers else None)
        if source is None or source not in current:
            raise DeployError(f"no challenger variant {source!r} on the endpoint to promote")
        promoted = current[source]["model"]
        out = {n: current[n]["model"] if n in current else promoted for n in names}
        out[champion] = promoted
        return out
    assert new_model is not None
    if not current or not challengers:
        return {n: new_model for n in names}
    out = {n: new_model for n in challengers}
    out[champion] = current[champion]["model"] if champion in current else new_model
    return out


def production_variants(config: dict[str, Any], models: dict[str, str],
                        current: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One production variant per spec variant; a variant keeping its type keeps its capacity."""
    out = []
    for variant in config["variants"]:
        count = variant["initial_instance_count"]
        now = current.get(variant["name"])
        if now and now["instance_type"] == variant["instance_type"] and now["desired_count"]:
            count = max(min(now["desired_count"], variant["max_capacity"]), variant["min_capacity"])
        out.append({
            "VariantName": variant["name"],
            "ModelName": models[variant["name"]],
            "InstanceType": variant["instance_type"],
            "InitialInstanceCount": count,
            "InitialVariantWeight": float(variant["weight"]),
        })
    return out


def endpoint_config_request(config: dict[str, Any], name: str, variants: list[dict[str, Any]],
                            previous: str | None = None) -> dict[str, Any]:
    """The new endpoint config; ``previous``: the config the endpoint serves now (tagged)."""
    request: dict[str, Any] = {
        "EndpointConfigName": name,
        "ProductionVariants": variants,
        "Tags": tags(config) + ([{"Key": PREVIOUS_CONFIG_TAG, "Value": previous}] if previous else []),
    }
    if config["volume_kms"]:
        request["KmsKeyId"] = config["kms_key_arn"]
    if config["drift_detection"]:
        request["DataCaptureConfig"] = {
            "EnableCapture": True,
            "InitialSamplingPercentage": config["data_capture_percent"],
            "DestinationS3Uri": config["data_capture_uri"],
            "KmsKeyId": config["kms_key_arn"],
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]},
        }
    return request


def endpoint_config_name(endpoint: str, execution_id: str) -> str:
    """Deterministic per execution (a retried step reuses it), within SageMaker's 63 characters."""
    digest = hashlib.sha256(execution_id.encode()).hexdigest()[:12]
    return f"{endpoint[:63 - 14].rstrip('-')}-c{digest}"


def resource_id(endpoint: str, variant: str) -> str:
    return f"endpoint/{endpoint}/variant/{variant}"


def release_autoscaling(config: dict[str, Any], aas: Any, current: dict[str, dict[str, Any]]) -> list[str]:
    """Deregister the variants that disappear or change type; SageMaker refuses the update else."""
    spec_types = {v["name"]: v["instance_type"] for v in config["variants"]}
    leaving = [name for name, now in current.items()
               if name not in spec_types or spec_types[name] != now["instance_type"]]
    if not leaving:
        return []
    wanted = {resource_id(config["endpoint_name"], name): name for name in leaving}
    registered = _pages(aas.describe_scalable_targets, "ScalableTargets",
                        ServiceNamespace="sagemaker", ResourceIds=sorted(wanted),
                        ScalableDimension=SCALABLE_DIMENSION)
    released = []
    for target in registered:
        aas.deregister_scalable_target(
            ServiceNamespace="sagemaker", ScalableDimension=SCALABLE_DIMENSION,
            ResourceId=target["ResourceId"])
        released.append(wanted[target["ResourceId"]])
    return sorted(released)


def rollback_alarms(config: dict[str, Any], cw: Any) -> list[str]:
    """The rollout's alarms that exist and are not in ALARM already, in the config's order.

    SageMaker rejects an update naming an alarm that does not exist, and an alarm that is in
    ALARM before the update starts (the old fleet failing) would roll back any update.
    """
    names = config["rollout"]["alarm_names"]
    states = {a["AlarmName"]: a["StateValue"]
              for a in _pages(cw.describe_alarms, "MetricAlarms", AlarmNames=names, AlarmTypes=["MetricAlarm"])}
    missing = [n for n in names if n not in states]
    firing = [n for n in names if states.get(n) == "ALARM"]
    if missing:
        LOG.warning("rollback alarms %s do not exist: left out of the update", missing)
    if firing:
        LOG.warning("rollback alarms %s are in ALARM before the update (the serving fleet fails): "
                    "left out, the update cannot be judged by them", firing)
    return [n for n in names if n in states and n not in firing]


def deployment_config(config: dict[str, Any], cw: Any) -> dict[str, Any] | None:
    """Blue/green, all at once, a baking period watched by the rollback alarms (None: no rollout)."""
    rollout = config.get("rollout")
    if not rollout:
        return None
    out: dict[str, Any] = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE",
                                            "WaitIntervalInSeconds": rollout["bake_seconds"]},
            "TerminationWaitInSeconds": 0,
            "MaximumExecutionTimeoutInSeconds": rollout["max_execution_seconds"],
        },
    }
    alarms = rollback_alarms(config, cw)
    if alarms:
        out["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": n} for n in alarms]}
    else:
        LOG.warning("no rollback alarm to watch: the update bakes %ss without automatic rollback",
                    rollout["bake_seconds"])
    return out


def deploy(event: dict[str, Any], config: dict[str, Any], sm: Any, aas: Any,
           cw: Any = None, s3: Any = None) -> dict[str, Any]:
    # The state machine passes its execution input as "input"; direct calls may pass the keys.
    event = {**event, **(event.get("input") or {})}
    endpoint = config["endpoint_name"]
    existing = describe_endpoint(sm, endpoint)
    if existing is not None:
        status = existing["EndpointStatus"]
        if status == "Failed":
            # A failed creation cannot be updated: delete it; the next call creates it again.
            LOG.warning("endpoint %s failed earlier (%s): deleting it", endpoint,
                        existing.get("FailureReason", "no reason given"))
            sm.delete_endpoint(EndpointName=endpoint)
            return answer("busy", config, reason="it was Failed and is being deleted")
        if status in BUSY:
            LOG.info("endpoint %s is %s: the state machine waits and asks again", endpoint, status)
            return answer("busy", config, reason=f"it is {status}")
        if status != "InService":
            return answer("failed", config, reason=(
                f"endpoint {endpoint} is {status}: {existing.get('FailureReason') or 'no reason given'};"
                " it needs a human (see the README)"))

    package_arn = event.get("model_package_arn")
    if not event.get("promote") and not package_arn:
        return answer("failed", config, reason="the input names no model_package_arn and is no promotion")
    try:
        current, capture_now = serving_config(sm, existing)
        new_model = None if event.get("promote") else ensure_model(config, sm, package_arn, s3)
        models = target_models(config, event, current, new_model)
    except DeployError as e:
        return answer("failed", config, reason=str(e))
    if event.get("promote"):
        # The promotion's input names no package: the drift step needs the promoted model's
        # (its baseline), so it is looked up from the model the champion now gets.
        package_arn = package_of_model(sm, models[config["variants"][0]["name"]])
    variants = production_variants(config, models, current)
    wanted = {v["VariantName"]: (v["ModelName"], v["InstanceType"], v["InitialVariantWeight"])
              for v in variants}
    serving = {n: (c["model"], c["instance_type"], c["weight"]) for n, c in current.items()}
    # A changed data capture (the spec's percentage, drift detection on or off) is a change too:
    # the new endpoint config carries it and the update takes it from there.
    capture_wanted = endpoint_config_request(config, "", variants).get("DataCaptureConfig")
    same_capture = capture_settings(capture_wanted) == capture_settings(capture_now)
    if wanted == serving and same_capture:
        LOG.info("endpoint %s already serves %s", endpoint, models)
        return answer("unchanged", config, endpoint_config=existing["EndpointConfigName"],
                      variants=models, model_package_arn=package_arn)

    name = endpoint_config_name(endpoint, event["execution_id"])
    try:
        previous = existing["EndpointConfigName"] if existing else None
        sm.create_endpoint_config(**endpoint_config_request(config, name, variants, previous))
    except ClientError as e:
        if "already exist" not in str(e):
            raise
        LOG.info("endpoint config %s exists already (retried step)", name)

    if existing is None:
        LOG.info("creating endpoint %s with %s", endpoint, name)
        sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=name, Tags=tags(config))
    elif existing["EndpointConfigName"] != name:
        released = release_autoscaling(config, aas, current)
        request: dict[str, Any] = {"EndpointName": endpoint, "EndpointConfigName": name}
        if set(current) == set(wanted) and not released:
            # Same variants, same types: keep the instance counts autoscaling chose; take the
            # spec's weights and the data capture from the new config (retained, a changed
            # capture configuration would never reach the endpoint).
            request["RetainAllVariantProperties"] = True
            request["ExcludeRetainedVariantProperties"] = [
                {"VariantPropertyType": "DesiredWeight"}, {"VariantPropertyType": "DataCaptureConfig"}]
        if set(current) == set(wanted):
            # Guardrails need the same variant names; otherwise SageMaker's default blue/green.
            rollout = deployment_config(config, cw)
            if rollout:
                request["DeploymentConfig"] = rollout
        LOG.info("updating endpoint %s to %s (released from autoscaling: %s)", endpoint, name, released)
        try:
            sm.update_endpoint(**request)
        except ClientError as e:
            # Another deployment started an update since the DescribeEndpoint above (two
            # approvals at once): wait for it, then this one is computed again from scratch.
            if e.response["Error"]["Code"] == "ValidationException" and "in-progress" in str(e).lower():
                return answer("busy", config, reason="another update started meanwhile")
            raise
    return answer("updating", config, endpoint_config=name, variants=models,
                  model_package_arn=package_arn)


def check(event: dict[str, Any], config: dict[str, Any], sm: Any) -> dict[str, Any]:
    """in_service only when the endpoint serves the config this deployment created."""
    endpoint = config["endpoint_name"]
    expected = event["endpoint_config"]
    found = describe_endpoint(sm, endpoint)
    if found is None:
        return answer("failed", config, endpoint_config=expected,
                      reason=f"endpoint {endpoint} does not exist (deleted during the deployment?)")
    status = found["EndpointStatus"]
    reason = found.get("FailureReason")
    if status in BUSY:
        return answer("busy", config, endpoint_config=expected, reason=f"it is {status}")
    if status == "InService" and found["EndpointConfigName"] == expected:
        return answer("in_service", config, endpoint_config=expected)
    if status == "InService":
        return answer("failed", config, endpoint_config=expected, reason=(
            f"the update of {endpoint} to {expected} rolled back; it still serves "
            f"{found['EndpointConfigName']}: {reason or 'no reason given'}"))
    return answer("failed", config, endpoint_config=expected,
                  reason=f"endpoint {endpoint} is {status}: {reason or 'no reason given'}")


# --- autoscale --------------------------------------------------------------------------------


def autoscale(config: dict[str, Any], aas: Any) -> dict[str, Any]:
    endpoint = config["endpoint_name"]
    for variant in config["variants"]:
        rid = resource_id(endpoint, variant["name"])
        aas.register_scalable_target(
            ServiceNamespace="sagemaker", ScalableDimension=SCALABLE_DIMENSION, ResourceId=rid,
            MinCapacity=variant["min_capacity"], MaxCapacity=variant["max_capacity"])
        aas.put_scaling_policy(
            PolicyName=f"{endpoint}-{variant['name']}-invocations",
            ServiceNamespace="sagemaker", ScalableDimension=SCALABLE_DIMENSION, ResourceId=rid,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": float(config["invocations_target"]),
                "ScaleOutCooldown": 60,
                "ScaleInCooldown": 300,
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
            })
    return answer("in_service", config, variants={v["name"]: "autoscaled" for v in config["variants"]})


# --- prune ------------------------------------------------------------------------------------


def _pages(call: Any, key: str, **request: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        page = call(**request)
        out.extend(page.get(key, []))
        token = page.get("NextToken")
        if not token:
            return out
        request["NextToken"] = token


def config_models(sm: Any, name: str) -> set[str] | None:
    """The models of an endpoint config, None if it no longer exists."""
    try:
        described = sm.describe_endpoint_config(EndpointConfigName=name)
    except ClientError as e:
        if e.response["Error"]["Code"] == "ValidationException":
            return None
        raise
    return {v["ModelName"] for v in described["ProductionVariants"]}


def previous_config(sm: Any, name: str, configs: list[str]) -> str | None:
    """The config the endpoint served before ``name``: its previous-endpoint-config tag, or for a
    config deployed without that tag, the next older config of this endpoint."""
    arn = sm.describe_endpoint_config(EndpointConfigName=name)["EndpointConfigArn"]
    for tag in _pages(sm.list_tags, "Tags", ResourceArn=arn):
        if tag["Key"] == PREVIOUS_CONFIG_TAG:
            return tag["Value"]
    older = configs[configs.index(name) + 1:] if name in configs else []
    return older[0] if older else None


def version_of(model_name: str) -> str:
    """<endpoint>-v<version> (model_name_for) -> the package version."""
    return model_name.rsplit("-v", 1)[-1]


def prune(config: dict[str, Any], sm: Any) -> dict[str, Any]:
    """Keep the newest retained_versions of each kind, what serves, what served just before (the
    rollback target) and what is being deployed; delete the rest."""
    endpoint = config["endpoint_name"]
    keep = config["retained_versions"]
    existing = describe_endpoint(sm, endpoint)
    in_use_config = existing["EndpointConfigName"] if existing else None
    in_use_models = set(v["model"] for v in current_variants(sm, existing).values())
    deleted: dict[str, list[str]] = {"endpoint_configs": [], "models": [], "model_packages": []}

    configs = [c["EndpointConfigName"] for c in _pages(
        sm.list_endpoint_configs, "EndpointConfigs", NameContains=endpoint, SortBy="CreationTime",
        SortOrder="Descending") if c["EndpointConfigName"].startswith(f"{endpoint}-c")]
    protected_configs = set(configs[:1])  # the newest: a deployment may be under way
    if in_use_config:
        protected_configs.add(in_use_config)
        previous = previous_config(sm, in_use_config, configs)
        if previous:
            protected_configs.add(previous)
    protected_models = set(in_use_models)
    for name in sorted(protected_configs - {in_use_config}):
        protected_models |= config_models(sm, name) or set()

    for name in configs[keep:]:
        if name not in protected_configs:
            sm.delete_endpoint_config(EndpointConfigName=name)
            deleted["endpoint_configs"].append(name)

    models = [m for m in _pages(sm.list_models, "Models", NameContains=endpoint,
                                SortBy="CreationTime", SortOrder="Descending")
              if m["ModelName"].startswith(f"{endpoint}-v")]
    for item in models[keep:]:
        if item["ModelName"] not in protected_models:
            sm.delete_model(ModelName=item["ModelName"])
            deleted["models"].append(item["ModelName"])

    packages = _pages(sm.list_model_packages, "ModelPackageSummaryList",
                      ModelPackageGroupName=config["model_package_group"],
                      SortBy="CreationTime", SortOrder="Descending")
    for arn in packages_to_prune(packages, {version_of(m) for m in in_use_models}, keep,
                                 {version_of(m) for m in protected_models}):
        sm.delete_model_package(ModelPackageName=arn)
        deleted["model_packages"].append(arn)
    LOG.info("pruned %s (kept whatever serves, served before or is being deployed: %s)",
             deleted, sorted(protected_configs))
    return answer("pruned", config, variants={k: len(v) for k, v in deleted.items()})


PRUNABLE = ("Approved", "Rejected")


def packages_to_prune(packages: list[dict[str, Any]], in_use_versions: set[str], keep: int,
                      protected_versions: set[str] | None = None) -> list[str]:
    """Registry packages (newest first) that may go: Rejected ones and superseded Approved ones,
    beyond the newest ``keep`` of each status.

    Never a package PendingManualApproval (a model waiting for a human's decision), never one a
    variant serves (champion or challenger) or a protected one (what served before: the rollback
    target), and never an Approved package newer than the newest one in use: it is approved and
    not deployed yet (its deployment failed or is still to come), not superseded.
    """
    in_use = [i for i, p in enumerate(packages) if p["ModelPackageArn"].rsplit("/", 1)[-1] in in_use_versions]
    newest_in_use = in_use[0] if in_use else None
    seen = dict.fromkeys(PRUNABLE, 0)
    out = []
    for i, item in enumerate(packages):
        status = item.get("ModelApprovalStatus")
        if status not in seen:
            continue
        seen[status] += 1
        version = item["ModelPackageArn"].rsplit("/", 1)[-1]
        if i in in_use or seen[status] <= keep or version in (protected_versions or set()):
            continue
        if status == "Approved" and (newest_in_use is None or i < newest_in_use):
            continue
        out.append(item["ModelPackageArn"])
    return out


# --- monitor ----------------------------------------------------------------------------------


def monitor(event: dict[str, Any], config: dict[str, Any], sm: Any, s3: Any) -> dict[str, Any]:
    result: dict[str, Any] = {"endpoint_name": config["endpoint_name"], "monitoring_schedule": None}
    if config["drift_detection"]:
        result["monitoring_schedule"] = ensure_drift_schedule(
            config, sm, s3, package_baseline(sm, event.get("model_package_arn")))
    return result


def package_baseline(sm: Any, package_arn: str | None) -> dict[str, str] | None:
    """The data-quality baseline the training run stored with the model package, if any."""
    if not package_arn:
        return None
    package = sm.describe_model_package(ModelPackageName=package_arn)
    quality = package.get("DriftCheckBaselines", {}).get("ModelDataQuality", {})
    statistics = quality.get("Statistics", {}).get("S3Uri")
    constraints = quality.get("Constraints", {}).get("S3Uri")
    if statistics and constraints:
        return {"statistics": statistics, "constraints": constraints}
    return None


def baseline_uris(config: dict[str, Any], s3: Any) -> dict[str, str] | None:
    """A baseline uploaded by hand (statistics.json + constraints.json), if there is one.

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
        "DataQualityAppSpecification": {
            "ImageUri": config["monitor_image"],
            # Per-feature drift metrics in CloudWatch (aws/sagemaker/Endpoints/data-metrics).
            "Environment": {"publish_cloudwatch_metrics": "Enabled"},
        },
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


def ensure_drift_schedule(config: dict[str, Any], sm: Any, s3: Any,
                          baseline: dict[str, str] | None = None) -> dict[str, Any]:
    if not config["monitor_image"]:
        LOG.warning("no Model Monitor image is known for this region: drift schedule skipped")
        return {"skipped": "no Model Monitor image for this region"}
    if baseline is None:
        baseline = baseline_uris(config, s3)
    if baseline is None:
        LOG.warning("no baseline with the model package nor under s3://%s/%s: the schedule records "
                    "statistics only", config["baseline_bucket"], config["baseline_prefix"])
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
