"""The AWS blueprint: render context and the list of files to render.

Split by ownership: this module covers the shared files and the data and training phases;
``aws_serving`` adds the deployment and access phases. Every value a template needs is
computed here (names, instance types, sizes, schedules); templates only lay them out.
"""

from __future__ import annotations

from typing import TypedDict

from dsaas_infra import phases as phase_table
from dsaas_infra.loop import STEPS as LOOP_STEPS
from dsaas_infra.render import providers
from dsaas_infra.render.aws import budget as aws_budget
from dsaas_infra.render.aws import ci as aws_ci
from dsaas_infra.render.aws import data_quality as aws_data_quality
from dsaas_infra.render.aws import kms as aws_kms
from dsaas_infra.render.aws import readme as aws_readme
from dsaas_infra.render.aws import roles as aws_roles
from dsaas_infra.render.aws import serving as aws_serving
from dsaas_infra.render.aws.context import AwsContext, Bucket, RawTransition
from dsaas_infra.render.context import common_context
from dsaas_infra.spec import aws_capacity, aws_rules
from dsaas_infra.spec.cron import to_aws_schedule
from dsaas_infra.spec.resolved import AwsSpec

AWS_PROVIDER_VERSION = providers.AWS
ARCHIVE_PROVIDER_VERSION = providers.ARCHIVE
TIME_PROVIDER_VERSION = providers.TIME

# The blueprint's own VPC when the spec does not reuse one: a /16 cut into /20 private subnets.
VPC_CIDR = "10.42.0.0/16"
SUBNET_NEWBITS = 4

# List price of an interface endpoint per zone and month (us-east-1: $0.01 per hour), for the README.
ENDPOINT_ZONE_MONTH_USD = 7.30
# AWS-owned buckets the S3 gateway endpoint lets workloads read: ECR's image layers, and the
# Amazon Linux package repositories of the notebook instances.
S3_AWS_BUCKETS = ("prod-{region}-starport-layer-bucket", "amazonlinux-2-repos-{region}")

# Per maturity: Glue workers, days non-current object versions are kept, notebook volume (GB).
GLUE_WORKERS = {"reactive": 2, "proactive": 5, "managed": 10}
NONCURRENT_DAYS = {"reactive": 30, "proactive": 90, "managed": 365}
NOTEBOOK_VOLUME_GB = {"small": 20, "medium": 50, "large": 100, "xlarge": 200}
# Notebook instances stop after this long without Jupyter activity (files/notebook/autostop.py).
NOTEBOOK_IDLE_MINUTES = 60
GLUE_VERSION = "5.0"
# Raw data ages into cheaper classes: Standard-IA after 30 days (S3's minimum for it), then the
# archive class after phases.data.raw_archive_days.
RAW_IA_DAYS = 30
RAW_ARCHIVE_CLASS = "GLACIER_IR"


def build_context(spec: AwsSpec) -> AwsContext:
    """The AWS blueprint's context, every value computed here (or in aws_serving) once."""
    common = common_context(spec)
    names = {k: v.name for k, v in aws_rules.derived_names(spec).items()}
    maturity = spec.client.maturity
    phases = spec.phases
    data, training, deployment = phases.data, phases.training, phases.deployment
    network = spec.aws.network
    # Which phases are on: decided once, in render/context.py.
    phase_flags = {"data_enabled": common["data_enabled"], "training_enabled": common["training_enabled"],
                   "deployment_enabled": common["deployment_enabled"], "realtime": common["realtime"],
                   "access_enabled": common["access_enabled"]}
    serving = aws_serving.build_context(
        spec, name_prefix=spec.name_prefix, names=names, deployment=phase_flags["deployment_enabled"],
        realtime=phase_flags["realtime"], access=phase_flags["access_enabled"])
    budget = aws_budget.build_context(spec, deployment_enabled=phase_flags["deployment_enabled"],
                                      name_prefix=spec.name_prefix, tags=common["tags"])
    kms = aws_kms.build_context(maturity=maturity, names=names, phase_flags=phase_flags,
                                studio=phase_flags["training_enabled"] and training.workspace == "studio")
    buckets = _buckets(names)
    raw_transitions = _raw_transitions(data.raw_archive_days, data.raw_retention_days)
    noncurrent_days = NONCURRENT_DAYS[maturity]
    readme: aws_readme.ReadmeValues = {
        # The MLOps loop side by side with GCP (dsaas_infra/loop.py).
        "loop_aws": aws_readme.loop_aws(LOOP_STEPS, realtime=phase_flags["realtime"],
                                        drift=serving["drift_detection"], budget=budget["budget"] is not None),
        "bucket_rows": aws_readme.bucket_rows(
            buckets, logs_bucket=names["bucket_logs"], raw_transitions=raw_transitions,
            raw_retention_days=data.raw_retention_days, noncurrent_days=noncurrent_days,
            log_retention_days=data.log_retention_days),
        "pipeline_steps": aws_readme.pipeline_steps(realtime=phase_flags["realtime"],
                                                    drift=serving["drift_detection"], approval=serving["approval"]),
    }
    return AwsContext(
        **common,
        **serving,
        **budget,
        **readme,
        loop_steps=LOOP_STEPS,
        **aws_data_quality.build_context(spec),
        **kms,
        **aws_roles.build_context(names=names, training=phase_flags["training_enabled"],
                                  deployment=phase_flags["deployment_enabled"], realtime=phase_flags["realtime"],
                                  drift_baseline=serving["drift_baseline"], drift_detection=serving["drift_detection"]),
        **_endpoints(spec),
        aws=spec.aws,
        provider_version=AWS_PROVIDER_VERSION,
        archive_provider_version=ARCHIVE_PROVIDER_VERSION,
        time_provider_version=TIME_PROVIDER_VERSION,
        state_key=f"{spec.state.prefix}/terraform.tfstate",
        names=names,
        role_permissions_boundary=aws_ci.role_permissions_boundary(spec),
        buckets=buckets,
        raw_transitions=raw_transitions,
        perimeter=bool(data.perimeter),
        audit_trail=bool(data.audit_trail),
        kms_log_group_names=_kms_log_group_names(names, network is None, spec),
        # FLEX (spare capacity, cheaper, may start later) for the batch tier; the real-time
        # tiers keep STANDARD so the pipeline's ETL step starts on time.
        glue_execution_class="STANDARD" if deployment.enabled and deployment.realtime else "FLEX",
        quota_needs=aws_capacity.quota_needs(spec),
        api_auth=phases.access.auth,
        predict_concurrency=aws_capacity.predict_concurrency(spec),
        lambda_unreserved_minimum=aws_capacity.LAMBDA_UNRESERVED_MINIMUM,
        predict_seconds=f"{aws_capacity.PREDICT_SECONDS:g}",
        # Exactly the spec's principals (spec/aws_rules.py requires them with IAM auth).
        api_consumer_principals={c.name: sorted(set(c.aws_principals)) for c in phases.access.consumers},
        noncurrent_days=noncurrent_days,
        data_schedule_aws=to_aws_schedule(data.schedule) if data.schedule else None,
        # With a deployment phase the Step Functions pipeline runs the ETL job on this
        # schedule (then trains); without one, a Glue trigger runs it.
        etl_scheduled_by_glue=bool(data.enabled and data.schedule and not deployment.enabled),
        glue_version=GLUE_VERSION,
        glue_workers=GLUE_WORKERS[maturity],
        create_vpc=network is None,
        vpc_cidr=VPC_CIDR,
        subnet_newbits=SUBNET_NEWBITS,
        az_count=3 if deployment.multi_az else 2,
        workspace=training.workspace,
        # CPU by size: the GPU (training.gpu) is for training jobs only.
        workspace_instance_type=aws_capacity.workspace_instance_type(spec),
        notebook_volume_gb=NOTEBOOK_VOLUME_GB[training.size],
        notebook_idle_minutes=NOTEBOOK_IDLE_MINUTES,
        users=list(training.users),
        notebooks={u: names[f"notebook:{u}"] for u in training.users},
    )


class EndpointValues(TypedDict):
    """The AwsContext fields of the VPC endpoints (_endpoints)."""

    interface_endpoints: list[str]
    existing_endpoints: list[str]
    create_s3_endpoint: bool
    endpoint_zone_limit: int
    interface_endpoint_note: str
    endpoint_monthly_usd: float
    endpoint_zones: int
    s3_endpoint_aws_buckets: list[str]


def _endpoints(spec: AwsSpec) -> EndpointValues:
    """Which VPC endpoints the blueprint creates, in how many zones, and what they cost idle."""
    reactive = spec.client.maturity == "reactive"
    network = spec.aws.network
    existing = sorted(set(network.existing_endpoints)) if network else []
    services = aws_capacity.interface_endpoints_to_create(spec)
    zones = aws_capacity.endpoint_zones(spec)
    return {
        "interface_endpoints": services,
        "existing_endpoints": existing,
        "create_s3_endpoint": "s3" not in existing,
        "endpoint_zone_limit": aws_capacity.REACTIVE_ENDPOINT_ZONES if reactive else 0,
        "interface_endpoint_note": (
            "reactive: the least that keeps training private, in one zone" if reactive
            else "what SageMaker, Studio and the Lambda functions call"),
        "endpoint_monthly_usd": round(len(services) * zones * ENDPOINT_ZONE_MONTH_USD, 2),
        "endpoint_zones": zones,
        "s3_endpoint_aws_buckets": [b.format(region=spec.aws.region) for b in S3_AWS_BUCKETS],
    }


def _raw_transitions(archive_days: int | None, expire_days: int | None) -> list[RawTransition]:
    steps = [(RAW_IA_DAYS, "STANDARD_IA")]
    if archive_days:
        steps.append((archive_days, RAW_ARCHIVE_CLASS))
    return [RawTransition(days=d, storage_class=c) for d, c in steps if not expire_days or d < expire_days]


def _kms_log_group_names(names: dict[str, str], create_vpc: bool, spec: AwsSpec) -> list[str]:
    """The log groups (names, * within a name) the main key may encrypt: this blueprint's only."""
    prefix = spec.name_prefix
    out = [f"{names['glue_job_log_group']}/*"]
    if spec.phases.training.enabled and create_vpc:
        out.append(names["flow_logs_log_group"])
    d = spec.phases.deployment
    if d.enabled:
        out += [f"/aws/vendedlogs/states/{prefix}-*", f"/aws/lambda/{prefix}-*"]
        if d.realtime:
            out.append(f"/aws/sagemaker/Endpoints/{names['endpoint']}")
            if spec.phases.access.enabled:
                out += [f"/aws/apigateway/{prefix}-api/*", f"aws-waf-logs-{prefix}-api"]
    return out


def _buckets(names: dict[str, str]) -> dict[str, Bucket]:
    purposes = {
        "raw": "raw data as delivered by the client's sources",
        "curated": "cleaned, partitioned Parquet written by the Glue ETL job",
        "artifacts": "model artifacts, code, Glue scripts, data capture and monitoring output",
    }
    return {label: Bucket(name=names[f"bucket_{label}"], purpose=purposes[label]) for label in purposes}


def derived_files(ctx: AwsContext, rendered: dict[str, bytes]) -> dict[str, bytes]:
    """The README again, now that the .tf files exist: its phase table names only what they deploy
    (render/aws/readme.py), as GCP's does (the first render, in files(), cannot see them)."""
    if "README.md" not in rendered:
        return {}
    from dsaas_infra.render import ci
    from dsaas_infra.render.environment import environment

    variables = ctx.template_vars()
    variables.update(ci.context(ctx.spec, ctx))
    variables.update(aws_readme.phase_table(rendered).template_vars())
    return {"README.md": environment().get_template("aws/README.md.j2").render(variables).encode("utf-8")}


def files(ctx: AwsContext) -> list[tuple[str, str]]:
    out = [
        ("versions.tf", "aws/versions.tf.j2"),
        ("providers.tf", "aws/providers.tf.j2"),
        ("backend.tf", "aws/backend.tf.j2"),
        ("main.tf", "aws/main.tf.j2"),
        ("variables.tf", "aws/variables.tf.j2"),
        ("outputs.tf", "aws/outputs.tf.j2"),
        ("README.md", "aws/README.md.j2"),
        (".gitignore", "common/gitignore.j2"),
    ]
    if ctx.data_enabled:
        out.extend(phase_table.tf_files("aws", "data", {"audit.tf": ctx.audit_trail}))
        out.append(("files/glue/etl.py", "aws/files/glue/etl.py"))
    if ctx.training_enabled:
        out.extend(phase_table.tf_files("aws", "training"))
        if ctx.workspace != "studio":
            out += [("files/notebook/autostop.py", "aws/files/notebook/autostop.py"),
                    ("files/notebook/on-start.sh", "aws/files/notebook/on-start.sh")]
    out.extend(aws_serving.files(ctx))
    return out
