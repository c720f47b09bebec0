"""The AWS blueprint's render context: one typed field per value its templates lay out (built by build.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dsaas_infra.render.aws.budget import Budget
from dsaas_infra.render.aws.data_quality import Freshness
from dsaas_infra.render.aws.kms import KmsKey
from dsaas_infra.render.aws.readme import BucketRow
from dsaas_infra.render.aws.roles import SageMakerRole
from dsaas_infra.render.aws.serving import ApprovalGate, ConsumerLimits, Rollout, Variant
from dsaas_infra.render.context import CommonContext
from dsaas_infra.spec.aws_capacity import QuotaNeed
from dsaas_infra.spec.aws_settings import AwsSettings


@dataclass(frozen=True, slots=True, kw_only=True)
class Bucket:
    """A data lake bucket (data.tf) and what it holds (README)."""

    name: str
    purpose: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RawTransition:
    """A lifecycle transition of the raw bucket: objects move to the storage class after days."""

    days: int
    storage_class: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AwsContext(CommonContext):
    aws: AwsSettings
    archive_provider_version: str
    state_key: str
    names: dict[str, str]
    # ci.create_identity: the permissions boundary (HCL reference) every role of the blueprint carries.
    role_permissions_boundary: str | None = None
    # --- curation quality and freshness (render/aws/data_quality.py)
    etl_quarantine_prefix: str = ""
    etl_metric_namespace: str = ""
    pipeline_metric_namespace: str = ""
    quarantine_alarm_percent: int = 0
    freshness: Freshness | None = None
    # --- the cost budget (render/aws/budget.py): None without budget.monthly_usd
    budget: Budget | None = None
    budget_readme: str = ""
    # --- keys (render/aws/kms.py)
    kms_separate: bool = False
    kms: dict[str, str] = field(default_factory=dict)
    kms_roles: dict[str, str] = field(default_factory=dict)
    kms_keys: list[KmsKey] = field(default_factory=list)
    # --- data
    buckets: dict[str, Bucket]
    log_retention_below_year: bool
    raw_transitions: list[RawTransition]
    perimeter: bool
    audit_trail: bool
    kms_log_group_names: list[str]
    noncurrent_days: int
    data_schedule_aws: str | None
    etl_scheduled_by_glue: bool
    glue_execution_class: str
    glue_version: str
    glue_workers: int
    # --- network
    create_vpc: bool
    vpc_cidr: str
    subnet_newbits: int
    az_count: int
    interface_endpoints: list[str]
    existing_endpoints: list[str]
    create_s3_endpoint: bool
    endpoint_zone_limit: int
    interface_endpoint_note: str
    endpoint_monthly_usd: float
    endpoint_zones: int
    s3_endpoint_aws_buckets: list[str]
    # --- the notebooks' and the pipeline's SageMaker roles (render/aws/roles.py)
    scratch_prefix: str
    models_prefix: str  # where training writes model.tar.gz (the deploy step deploys nothing else)
    pipeline_write_prefixes: list[str]
    sagemaker_roles: list[SageMakerRole]
    # --- training
    quota_needs: list[QuotaNeed]
    workspace: str
    workspace_instance_type: str
    notebook_volume_gb: int
    notebook_idle_minutes: int
    users: list[str]
    notebooks: dict[str, str]
    training_instance_type: str
    training_volume_kms: bool
    training_hyperparameters: dict[str, str]
    training_image_repository: str
    training_image_tag: str
    processing_instance_type: str
    job_prefix: str
    job_max_runtime_seconds: int
    # --- deployment (the pipeline state machines, the endpoint, monitoring)
    pipeline_schedule: str
    pipeline_schedule_cron: str
    pipeline_timeout_seconds: int
    # --- the README's tables and the pipeline's steps (render/aws/readme.py)
    pipeline_steps: list[str]
    loop_aws: dict[str, str]
    bucket_rows: list[BucketRow]
    approval: ApprovalGate
    drift_detection: bool
    drift_baseline: bool
    # The encrypted SNS topics and SQS queues (name suffixes after name_prefix) EventBridge rules
    # write to: the pipeline key lets EventBridge use it for these only.
    event_target_topics: list[str]
    event_target_queues: list[str]
    monitor_image: str
    retained_versions: int
    data_capture_percent: int
    # The spec's endpoint size (the README states it; variants carry it as min/max capacity).
    endpoint_min_instances: int
    endpoint_max_instances: int
    dashboard: bool
    endpoint_name: str
    endpoint_managed_by_pipeline: bool
    endpoint_max_polls: int
    endpoint_poll_seconds: int
    endpoint_busy_wait_seconds: int
    deploy_timeout_seconds: int
    inference_instance_type: str
    inference_volume_kms: bool
    transform_instance_type: str
    transform_volume_kms: bool
    variants: list[Variant]
    invocations_per_instance_target: int
    model_latency_threshold_us: int
    # The endpoint alarms' period and periods to breach, and the updates' auto-rollback (serving.py).
    endpoint_alarm_period_seconds: int
    errors_alarm_periods: int
    latency_alarm_periods: int
    rollout: Rollout | None
    alert_emails: list[str]
    lambda_functions: list[str]
    # --- access (API Gateway, WAF)
    api_auth: str
    api_consumers: dict[str, ConsumerLimits]
    api_consumer_principals: dict[str, list[str]]
    api_stage_name: str
    api_stage_rate_limit: float
    api_stage_burst_limit: int
    waf: bool
    waf_rate_limit: int
    predict_concurrency: int
    lambda_unreserved_minimum: int
    predict_seconds: str
