"""The AWS deployment and access phases: their render context and files."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from dsaas_infra import phases as phase_table
from dsaas_infra.spec import aws_capacity
from dsaas_infra.spec.cron import to_aws_schedule
from dsaas_infra.spec.model import Approval
from dsaas_infra.spec.resolved import AwsSpec

if TYPE_CHECKING:  # context.py types its fields with this module's dataclasses
    from dsaas_infra.render.aws.context import AwsContext

# The pipeline's default model: the AWS built-in XGBoost algorithm (CSV in, CSV out, label in
# the first column). Terraform resolves the region's registry with the provider's
# aws_sagemaker_prebuilt_ecr_image data source, which tracks AWS's per-region accounts.
TRAINING_IMAGE_REPOSITORY = "sagemaker-xgboost"
TRAINING_IMAGE_TAG = "1.7-1"
# SageMaker Model Monitor's analyzer image, used by the drift (data quality) schedule. The
# provider's prebuilt-image data source does not know it, so its per-region registry accounts
# are listed here (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-pre-built-container.html).
MONITOR_IMAGE_ACCOUNTS = {
    "af-south-1": "875698925577",
    "ap-east-1": "001633400207",
    "ap-northeast-1": "574779866223",
    "ap-northeast-2": "709848358524",
    "ap-northeast-3": "990339680094",
    "ap-south-1": "126357580389",
    "ap-southeast-1": "245545462676",
    "ap-southeast-2": "563025443158",
    "ap-southeast-3": "669540362728",
    "ca-central-1": "536280801234",
    "eu-central-1": "048819808253",
    "eu-north-1": "895015795356",
    "eu-south-1": "933208885752",
    "eu-west-1": "468650794304",
    "eu-west-2": "749857270468",
    "eu-west-3": "680080141114",
    "me-south-1": "607024016150",
    "sa-east-1": "539772159869",
    "us-east-1": "156813124566",
    "us-east-2": "777275614652",
    "us-west-1": "890145073186",
    "us-west-2": "159807026194",
}


def monitor_image(region: str) -> str | None:
    """The Model Monitor analyzer image of a region, or None where AWS publishes none we know."""
    account = MONITOR_IMAGE_ACCOUNTS.get(region)
    if account is None:
        return None
    return f"{account}.dkr.ecr.{region}.amazonaws.com/sagemaker-model-monitor-analyzer:latest"

# Instance families with local NVMe storage reject a KMS key for the ML storage volume
# (the instance store is encrypted by the hardware instead).
# GPU instance families (G and P). The built-in XGBoost 1.7 trains on the CPU unless told
# otherwise: on these, tree_method gpu_hist puts the training on the GPU that is paid for.
_GPU_INSTANCE = re.compile(r"^ml\.[gp]\d")
_INSTANCE_STORE = re.compile(r"^ml\.([a-z]+\d+[a-z]*d[a-z]*|g5|g6|g6e|p5|p5e|p5en|inf2|trn1)\.")

# Target tracking: invocations per instance per minute that trigger a scale-out; AWS's
# starting point for CPU models, meant to be tuned after a load test.
INVOCATIONS_PER_INSTANCE_TARGET = 70
# Seconds the deploy state machine waits between endpoint status checks while SageMaker deploys.
ENDPOINT_POLL_SECONDS = 60
# Seconds it waits before asking the deploy step again while the endpoint is busy.
ENDPOINT_BUSY_WAIT_SECONDS = 120
# Checks and busy waits of one deployment, together; past them it fails (EndpointNotReady).
# 120 x 1-2 minutes covers a blue/green update of a large fleet; the execution timeout is a backstop.
ENDPOINT_MAX_POLLS = 120
DEPLOY_TIMEOUT_SECONDS = 6 * 3600
# Evaluation and drift-baseline processing jobs (and the drift monitoring jobs): the type the
# quota table of spec/aws_capacity.py counts.
PROCESSING_INSTANCE_TYPE = aws_capacity.PROCESSING_INSTANCE_TYPE
# How the approval gate compares each metric with phases.deployment.approval.threshold.
_METRIC_PASSES = {"rmse": "NumericLessThanEquals", "mae": "NumericLessThanEquals",
                  "r2": "NumericGreaterThanEquals"}
# Alarm thresholds.
MODEL_LATENCY_P90_MICROSECONDS = 1_000_000
# The endpoint's alarms (monitoring.tf): 5-minute periods; 5xx errors breach in one period, the
# p90 latency in three in a row. They are the auto-rollback alarms of each endpoint update.
ENDPOINT_ALARM_PERIOD_SECONDS = 300
ERRORS_ALARM_PERIODS = 1
LATENCY_ALARM_PERIODS = 3
# SageMaker's limits (API_AutoRollbackConfig, API_TrafficRoutingConfig, API_BlueGreenUpdatePolicy).
ROLLBACK_MAX_ALARMS = 10
BAKE_MAX_SECONDS = 3600
DEPLOYMENT_TIMEOUT_RANGE = (600, 28_800)
# What a blue/green update needs besides its baking period: the new fleet's provisioning and
# health checks (past MaximumExecutionTimeoutInSeconds SageMaker rolls the update back).
FLEET_PROVISIONING_SECONDS = 3600
# Training and batch jobs stop after this long; the state machine a little later.
JOB_MAX_RUNTIME_SECONDS = 86_400
PIPELINE_TIMEOUT_SECONDS = 2 * 86_400
# SageMaker job names: at most 63 chars; names are "<job_prefix>-<uuid>" (uuid: 36), and the
# processing jobs add "-eval" or "-base".
_JOB_PREFIX_MAX = 63 - 1 - 36 - 5


def _volume_kms(instance_type: str) -> bool:
    return not _INSTANCE_STORE.match(instance_type)


def _training_hyperparameters(instance_type: str) -> dict[str, str]:
    """Hyperparameters of the built-in XGBoost (strings, as SageMaker takes them)."""
    params = {"objective": "reg:squarederror", "num_round": "100"}
    if _GPU_INSTANCE.match(instance_type):
        params["tree_method"] = "gpu_hist"
    return params


@dataclass(frozen=True, slots=True, kw_only=True)
class Variant:
    """A production variant of the endpoint (deployment.tf's endpoint_variants, in this order)."""

    name: str
    weight: int
    instance_type: str
    initial_instance_count: int
    min_capacity: int
    max_capacity: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumerLimits:
    """A consumer's usage plan (access.tf's api_consumers, in this order)."""

    rate_limit: float
    burst_limit: int
    quota_per_day: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalGate:
    """The registry's gate: "manual" (a human approves), or "auto" with or without a metric threshold."""

    mode: str
    metric: str
    threshold: float | None
    comparison: str | None  # the Step Functions Choice operator that passes the gate
    operator: str | None  # the same, as the README writes it


@dataclass(frozen=True, slots=True, kw_only=True)
class RollbackAlarm:
    """An alarm of monitoring.tf that rolls an endpoint update back: aws_cloudwatch_metric_alarm.<resource>[variant]."""

    resource: str
    variant: str
    label: str  # for the README


@dataclass(frozen=True, slots=True, kw_only=True)
class Rollout:
    """The DeploymentConfig of each endpoint update (files/lambda/deploy.py): blue/green, all
    traffic at once to the new fleet, which SageMaker watches for bake_seconds with the alarms;
    one in ALARM rolls the update back to the old fleet (then check() fails with the reason)."""

    alarms: list[RollbackAlarm]
    bake_seconds: int
    max_execution_seconds: int


class ServingValues(TypedDict):
    """The AwsContext fields this module computes."""

    drift_detection: bool
    event_target_topics: list[str]
    event_target_queues: list[str]
    drift_baseline: bool
    approval: ApprovalGate
    retained_versions: int
    data_capture_percent: int
    endpoint_min_instances: int
    endpoint_max_instances: int
    processing_instance_type: str
    endpoint_max_polls: int
    deploy_timeout_seconds: int
    dashboard: bool
    waf: bool
    log_retention_below_year: bool
    pipeline_schedule: str
    pipeline_schedule_cron: str
    job_prefix: str
    job_max_runtime_seconds: int
    pipeline_timeout_seconds: int
    training_instance_type: str
    training_volume_kms: bool
    training_hyperparameters: dict[str, str]
    training_image_repository: str
    training_image_tag: str
    monitor_image: str
    inference_instance_type: str
    inference_volume_kms: bool
    transform_instance_type: str
    transform_volume_kms: bool
    endpoint_name: str
    endpoint_poll_seconds: int
    endpoint_busy_wait_seconds: int
    variants: list[Variant]
    invocations_per_instance_target: int
    model_latency_threshold_us: int
    endpoint_alarm_period_seconds: int
    errors_alarm_periods: int
    latency_alarm_periods: int
    rollout: Rollout | None
    alert_emails: list[str]
    lambda_functions: list[str]
    endpoint_managed_by_pipeline: bool
    api_consumers: dict[str, ConsumerLimits]
    api_stage_name: str
    api_stage_rate_limit: float
    api_stage_burst_limit: int
    waf_rate_limit: int


def build_context(spec: AwsSpec, *, name_prefix: str, names: Mapping[str, str], deployment: bool,
                  realtime: bool, access: bool) -> ServingValues:
    """Values the deployment/access templates need, computed here rather than in Jinja.

    ``deployment``, ``realtime``, ``access``: which phases are on, decided once in render/context.py.
    """
    d = spec.phases.deployment
    a = spec.phases.access
    retention = spec.phases.data.log_retention_days

    # One place decides the instance types (spec/aws_capacity.py): the preflight checks the
    # quotas of exactly these.
    inference_type = aws_capacity.inference_instance_type(spec)
    training_type = aws_capacity.training_instance_type(spec)
    transform_type = aws_capacity.transform_instance_type(spec)

    endpoint_name = names["endpoint"]  # spec/aws_rules.py derives and checks it
    variants = [
        Variant(
            name=v.name,
            weight=v.weight,
            instance_type=inference_type,
            initial_instance_count=d.min_instances,
            min_capacity=d.min_instances,
            max_capacity=d.max_instances,
        )
        for v in d.variants
    ]
    consumers = {
        c.name: ConsumerLimits(rate_limit=c.rate_limit, burst_limit=c.burst_limit, quota_per_day=c.quota_per_day)
        for c in a.consumers
    }
    total_rate = sum(c.rate_limit for c in a.consumers)
    total_burst = sum(c.burst_limit for c in a.consumers)

    monitor = monitor_image(spec.aws.region) or ""
    drift = realtime and bool(d.drift_detection)
    return {
        "drift_detection": drift,
        # The encrypted targets EventBridge writes to (name suffixes after name_prefix): the drift
        # rule publishes to the alerts topic, the approval rule's dead letters go to a queue. The
        # key policy names them by encryption context (SNS does not support aws:SourceArn there).
        "event_target_topics": ["alerts"] if drift else [],
        "event_target_queues": ["model-approved-dlq"] if realtime else [],
        # The training run computes the drift baseline where the analyzer image is known.
        "drift_baseline": drift and bool(monitor),
        "approval": _approval(d.approval, realtime),
        "retained_versions": d.retained_versions,
        "data_capture_percent": d.data_capture_percent,
        "endpoint_min_instances": d.min_instances,
        "endpoint_max_instances": d.max_instances,
        "processing_instance_type": PROCESSING_INSTANCE_TYPE,
        "endpoint_max_polls": ENDPOINT_MAX_POLLS,
        "deploy_timeout_seconds": DEPLOY_TIMEOUT_SECONDS,
        "dashboard": deployment and bool(d.dashboard),
        "waf": access and bool(a.waf),
        # CKV_AWS_338 asks for a year; below that the client's retention policy decides.
        "log_retention_below_year": retention < 365,
        "pipeline_schedule": to_aws_schedule(spec.phases.data.schedule),
        "pipeline_schedule_cron": spec.phases.data.schedule,
        "job_prefix": name_prefix[:_JOB_PREFIX_MAX].rstrip("-"),
        "job_max_runtime_seconds": JOB_MAX_RUNTIME_SECONDS,
        "pipeline_timeout_seconds": PIPELINE_TIMEOUT_SECONDS,
        "training_instance_type": training_type,
        "training_volume_kms": _volume_kms(training_type),
        "training_hyperparameters": _training_hyperparameters(training_type),
        "training_image_repository": TRAINING_IMAGE_REPOSITORY,
        "training_image_tag": TRAINING_IMAGE_TAG,
        # Empty where no analyzer image is known: the deploy step then logs and skips the schedule.
        "monitor_image": monitor,
        "inference_instance_type": inference_type,
        "inference_volume_kms": _volume_kms(inference_type),
        "transform_instance_type": transform_type,
        "transform_volume_kms": _volume_kms(transform_type),
        "endpoint_name": endpoint_name,
        "endpoint_poll_seconds": ENDPOINT_POLL_SECONDS,
        "endpoint_busy_wait_seconds": ENDPOINT_BUSY_WAIT_SECONDS,
        "variants": variants,
        "invocations_per_instance_target": INVOCATIONS_PER_INSTANCE_TARGET,
        "model_latency_threshold_us": MODEL_LATENCY_P90_MICROSECONDS,
        "endpoint_alarm_period_seconds": ENDPOINT_ALARM_PERIOD_SECONDS,
        "errors_alarm_periods": ERRORS_ALARM_PERIODS,
        "latency_alarm_periods": LATENCY_ALARM_PERIODS,
        "rollout": _rollout([v.name for v in variants]) if realtime else None,
        "alert_emails": sorted(set(d.alert_emails)),
        # Lambda functions of these phases (keys of their resources), for alarms and dashboards.
        "lambda_functions": (["deploy"] if realtime else []) + (["predict"] if access else []),
        # For the README: why the endpoint is not a Terraform resource.
        "endpoint_managed_by_pipeline": realtime,
        "api_consumers": consumers,
        "api_stage_name": "v1",
        # The stage caps the sum of what the usage plans allow, so no plan is starved by it.
        "api_stage_rate_limit": max(total_rate, 10),
        "api_stage_burst_limit": max(total_burst, 20),
        # Per client IP per 5 minutes: everything all consumers may send, with headroom.
        "waf_rate_limit": max(math.ceil(total_rate * 300 * 1.5), 1000),
    }


def _rollout(variants: list[str]) -> Rollout:
    """Every variant's 5xx alarm, then latency alarms while SageMaker's limit of 10 allows.

    The baking period lasts until the slowest of these alarms can breach on the new fleet's
    metrics, plus one period for the metrics to arrive.
    """
    alarms = [RollbackAlarm(resource="endpoint_5xx", variant=v, label=f"{v} 5xx errors") for v in variants]
    alarms += [RollbackAlarm(resource="endpoint_latency", variant=v, label=f"{v} p90 latency") for v in variants]
    alarms = alarms[:ROLLBACK_MAX_ALARMS]
    periods = max(LATENCY_ALARM_PERIODS if a.resource == "endpoint_latency" else ERRORS_ALARM_PERIODS
                  for a in alarms)
    bake = min((periods + 1) * ENDPOINT_ALARM_PERIOD_SECONDS, BAKE_MAX_SECONDS)
    low, high = DEPLOYMENT_TIMEOUT_RANGE
    return Rollout(alarms=alarms, bake_seconds=bake,
                   max_execution_seconds=min(max(bake + FLEET_PROVISIONING_SECONDS, low), high))


def _approval(approval: Approval | None, realtime: bool) -> ApprovalGate:
    """The registry's gate: a metric threshold (phases.deployment.approval), else a human.

    Batch scoring (no endpoint, reactive level) without a threshold approves every evaluated
    model: nothing serves live traffic, and each run scores with the model it just trained.
    """
    if approval is None:
        return ApprovalGate(mode="manual" if realtime else "auto", metric="rmse", threshold=None,
                            comparison=None, operator=None)
    comparison = _METRIC_PASSES[approval.metric]
    return ApprovalGate(mode="auto", metric=approval.metric, threshold=float(approval.threshold),
                        comparison=comparison,
                        operator="<=" if comparison.endswith("LessThanEquals") else ">=")


def files(ctx: AwsContext) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if ctx.deployment_enabled:
        out.extend(phase_table.tf_files("aws", "deployment", {"budget.tf": ctx.budget is not None}))
        out.append(("files/glue/prepare.py", "aws/files/glue/prepare.py"))
        out.append(("files/evaluation/evaluate.py", "aws/files/evaluation/evaluate.py"))
        if ctx.realtime:
            out.append(("files/lambda/deploy.py", "aws/files/lambda/deploy.py"))
    if ctx.access_enabled:
        out.extend(phase_table.tf_files("aws", "access"))
        out.append(("files/lambda/predict.py", "aws/files/lambda/predict.py"))
    return out
