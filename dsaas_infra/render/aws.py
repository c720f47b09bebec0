"""The AWS blueprint: render context and the list of files to render.

Split by ownership: this module covers the shared files and the data and training phases;
``aws_pipeline`` adds the deployment and access phases. Every value a template needs is
computed here (names, instance types, sizes, schedules); templates only lay them out.
"""

from __future__ import annotations

from typing import Any

from dsaas_infra.render import aws_pipeline
from dsaas_infra.render.context import common_context
from dsaas_infra.spec import aws_rules
from dsaas_infra.spec.cron import to_aws_schedule
from dsaas_infra.spec.model import ClientSpec
from dsaas_infra.spec.sizes import aws_training_type

AWS_PROVIDER_VERSION = "~> 6.0"
ARCHIVE_PROVIDER_VERSION = "~> 2.7"
TIME_PROVIDER_VERSION = "~> 0.12"

# The blueprint's own VPC when the spec does not reuse one: a /16 cut into /20 private subnets.
VPC_CIDR = "10.42.0.0/16"
SUBNET_NEWBITS = 4

# Interface endpoints SageMaker needs in subnets without a route to the internet: the SageMaker
# API and runtime (Studio, notebooks, SDK), STS (SDK credentials), CloudWatch Logs and metrics
# (job and app logs, training metrics), ECR (custom images), KMS (client-side key use by the
# SDK and Studio's EFS) and Glue (Data Catalog lookups from notebooks). S3 is a gateway endpoint.
INTERFACE_ENDPOINTS = (
    "ecr.api", "ecr.dkr", "glue", "kms", "logs", "monitoring", "sagemaker.api",
    "sagemaker.runtime", "sts",
)

# Per maturity: Glue workers, days non-current object versions are kept, notebook volume (GB).
GLUE_WORKERS = {"reactive": 2, "proactive": 5, "managed": 10}
NONCURRENT_DAYS = {"reactive": 30, "proactive": 90, "managed": 365}
NOTEBOOK_VOLUME_GB = {"small": 20, "medium": 50, "large": 100, "xlarge": 200}
GLUE_VERSION = "5.0"


def build_context(spec: ClientSpec) -> dict[str, Any]:
    assert spec.aws is not None
    ctx = common_context(spec)
    names = {k: v.name for k, v in aws_rules.derived_names(spec).items()}
    maturity = spec.client.maturity
    phases = spec.phases
    data, training, deployment = phases.data, phases.training, phases.deployment
    network = spec.aws.network
    ctx.update(
        aws=spec.aws,
        provider_version=AWS_PROVIDER_VERSION,
        archive_provider_version=ARCHIVE_PROVIDER_VERSION,
        time_provider_version=TIME_PROVIDER_VERSION,
        state=spec.state,
        state_key=f"{spec.state.prefix}/terraform.tfstate",
        names=names,
        endpoint_name=names["endpoint"],
        data_enabled=data.enabled,
        training_enabled=training.enabled,
        deployment_enabled=deployment.enabled,
        access_enabled=phases.access.enabled,
        buckets=_buckets(names),
        prevent_destroy=bool(data.prevent_destroy),
        log_retention_days=data.log_retention_days,
        raw_retention_days=data.raw_retention_days,
        noncurrent_days=NONCURRENT_DAYS[maturity],
        data_schedule=data.schedule,
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
        interface_endpoints=list(INTERFACE_ENDPOINTS),
        workspace=training.workspace,
        workspace_instance_type=training.instance_type
        or aws_training_type(training.size, training.gpu),
        notebook_volume_gb=NOTEBOOK_VOLUME_GB[training.size],
        users=list(training.users),
        notebooks={u: names[f"notebook:{u}"] for u in training.users},
    )
    ctx.update(aws_pipeline.build_context(spec, ctx))
    return ctx


def _buckets(names: dict[str, str]) -> dict[str, dict[str, str]]:
    purposes = {
        "raw": "raw data as delivered by the client's sources",
        "curated": "cleaned, partitioned Parquet written by the Glue ETL job",
        "artifacts": "model artifacts, code, Glue scripts, data capture and monitoring output",
    }
    return {label: {"name": names[f"bucket_{label}"], "purpose": purposes[label]} for label in purposes}


def files(ctx: dict[str, Any]) -> list[tuple[str, str]]:
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
    if ctx["data_enabled"]:
        out.append(("data.tf", "aws/data.tf.j2"))
        out.append(("files/glue/etl.py", "aws/files/glue/etl.py"))
    if ctx["training_enabled"]:
        out.append(("network.tf", "aws/network.tf.j2"))
        out.append(("training.tf", "aws/training.tf.j2"))
    out.extend(aws_pipeline.files(ctx))
    return out
