"""The AWS README's tables and the training pipeline's steps, computed in Python as render/gcp/readme.py
computes GCP's: the phases and the MLOps loop side by side with GCP, the data lake buckets with their
lifecycle, the steps the state machine really runs. templates/aws/README.md.j2 only lays them out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from dsaas_infra.hcl_scan import resource_addresses
from dsaas_infra.loop import LoopStep
from dsaas_infra.render.aws.serving import ApprovalGate

if TYPE_CHECKING:  # context.py types its fields with this module's BucketRow
    from dsaas_infra.render.aws.context import Bucket, RawTransition

# The loop table's AWS column where this blueprint's level leaves a step out (dsaas_infra/loop.py has the full one).
NO_ENDPOINT = ("no endpoint at this level: each run scores inference/ with a SageMaker batch transform of the"
               " approved model")
NO_API = "not at this level (batch predictions in the artifacts bucket)"
NO_DRIFT = ("CloudWatch alarms, EventBridge, SNS (drift monitoring from managed level or"
            " phases.deployment.drift_detection)")
BUDGET = "AWS Budgets -> SNS (budget.monthly_usd)"
NO_BUDGET = "no cost budget (set budget.monthly_usd)"
# What the logs bucket holds (its lifecycle is the spec's log retention).
LOGS_BUCKET_HOLDS = ("S3 server access logs of the three buckets above (SSE-S3: the only encryption S3 log"
                     " delivery supports)")


@dataclass(frozen=True, slots=True, kw_only=True)
class BucketRow:
    """A row of the README's bucket table."""

    name: str
    holds: str
    lifecycle: str


class ReadmeValues(TypedDict):
    """The AwsContext fields this module computes."""

    loop_aws: dict[str, str]
    bucket_rows: list[BucketRow]
    pipeline_steps: list[str]


# phase -> [(service as the README names it, evidence)], in README order. A service is listed only when
# the rendered .tf files hold its evidence: one of the resource addresses, or any resource of a type
# (an entry ending in "."); a "!" entry is evidence that must be absent. Unlike the static phase table
# of dsaas_infra/phases.py (what the phase can deploy), this is what this blueprint deploys.
PHASE_SERVICES: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "data": [
        ("S3", ("aws_s3_bucket.raw",)),
        ("Glue", ("aws_glue_job.etl",)),
        ("KMS", ("aws_kms_key.",)),
        ("CloudTrail (S3 data events)", ("aws_cloudtrail.audit",)),
    ],
    "training": [
        ("SageMaker Studio", ("aws_sagemaker_domain.main",)),
        ("SageMaker notebook instances", ("aws_sagemaker_notebook_instance.workspace",)),
        ("SageMaker Model Registry", ("aws_sagemaker_model_package_group.main",)),
        ("ECR", ("aws_ecr_repository.models",)),
        ("VPC endpoints", ("aws_vpc_endpoint.",)),
    ],
    "deployment": [
        ("Step Functions", ("aws_sfn_state_machine.pipeline",)),
        ("SageMaker training and processing jobs", ("aws_sfn_state_machine.pipeline",)),
        ("Lambda (deploy)", ("aws_lambda_function.deploy",)),
        ("SageMaker real-time endpoint", ("aws_sfn_state_machine.deploy",)),
        ("SageMaker batch transform", ("aws_sfn_state_machine.pipeline", "!aws_sfn_state_machine.deploy")),
        ("SageMaker Model Monitor", ("aws_cloudwatch_event_rule.drift",)),
        ("EventBridge Scheduler", ("aws_scheduler_schedule.pipeline",)),
        ("EventBridge rules", ("aws_cloudwatch_event_rule.",)),
        ("CloudWatch alarms", ("aws_cloudwatch_metric_alarm.",)),
        ("CloudWatch dashboard", ("aws_cloudwatch_dashboard.main",)),
        ("SNS", ("aws_sns_topic.alerts",)),
        ("AWS Budgets", ("aws_budgets_budget.main",)),
    ],
    "access": [
        ("API Gateway", ("aws_api_gateway_rest_api.main",)),
        ("Lambda (predict)", ("aws_lambda_function.predict",)),
        ("WAF", ("aws_wafv2_web_acl.api",)),
    ],
}
NONE_AT_THIS_LEVEL = "none at this level"

def _present(entry: str, addresses: set[str]) -> bool:
    if entry.endswith("."):
        return any(a.startswith(entry) for a in addresses)
    return entry in addresses


def _evidenced(evidence: tuple[str, ...], addresses: set[str]) -> bool:
    wanted = [e for e in evidence if not e.startswith("!")]
    absent = [e[1:] for e in evidence if e.startswith("!")]
    return (any(_present(e, addresses) for e in wanted)
            and not any(_present(e, addresses) for e in absent))


def phase_services(addresses: set[str]) -> dict[str, list[str]]:
    """The phase table's AWS column: the services whose resources this blueprint renders."""
    return {phase: [svc for svc, evidence in rows if _evidenced(evidence, addresses)]
            for phase, rows in PHASE_SERVICES.items()}


@dataclass(frozen=True, slots=True, kw_only=True)
class PhaseTable:
    """What the README's second render adds (render/aws/build.py derived_files): the phase table's AWS column."""

    phase_services: dict[str, list[str]]  # phase -> the services it really deploys

    def template_vars(self) -> dict[str, object]:
        return {"phase_services": self.phase_services}


def phase_table(rendered: Mapping[str, bytes]) -> PhaseTable:
    return PhaseTable(phase_services=phase_services(resource_addresses(rendered)))


def loop_aws(steps: Sequence[LoopStep], *, realtime: bool, drift: bool, budget: bool) -> dict[str, str]:
    """The AWS column of the loop table: each step's text, or what this blueprint's level leaves out."""
    out = {}
    for step in steps:
        text = step.aws
        if step.name == "deploy" and not realtime:
            text = NO_ENDPOINT
        elif step.name == "serve" and not realtime:
            text = NO_API
        elif step.name == "monitor" and not drift:
            text = NO_DRIFT
        if step.name == "monitor":
            # The monitor step names the budget alarm only when the blueprint has one.
            text = f"{text}; {BUDGET if budget else NO_BUDGET}"
        out[step.name] = text
    return out


def bucket_rows(buckets: Mapping[str, Bucket], *, logs_bucket: str, raw_transitions: Sequence[RawTransition],
                raw_retention_days: int | None, noncurrent_days: int, log_retention_days: int) -> list[BucketRow]:
    """The bucket table: the raw, curated and artifacts buckets, then the logs bucket."""
    moves = ", ".join(f"{t.storage_class} after {t.days} days" for t in raw_transitions)
    end = (f"deleted after {raw_retention_days} days (`phases.data.raw_retention_days`)" if raw_retention_days
           else "never deleted (set `phases.data.raw_retention_days` to expire it)")
    versions = f"old versions expire after {noncurrent_days} days"
    # Raw data deleted before 30 days never changes storage class: no transitions, no separator.
    # Even raw data that is never deleted loses the old versions of overwritten or deleted objects.
    raw = "; ".join(part for part in (moves, end, versions) if part)
    lifecycle = {"raw": raw, "curated": versions, "artifacts": f"{versions}; Glue temp files after 7"}
    rows = [BucketRow(name=b.name, holds=b.purpose, lifecycle=lifecycle[label]) for label, b in buckets.items()]
    return [*rows, BucketRow(name=logs_bucket, holds=LOGS_BUCKET_HOLDS,
                             lifecycle=f"logs expire after {log_retention_days} days")]


def pipeline_steps(*, realtime: bool, drift: bool, approval: ApprovalGate) -> list[str]:
    """The training pipeline's steps, for the README (what the state machine really does)."""
    if approval.mode == "manual":
        gate = "registered PendingManualApproval: a human approves or rejects it in the registry"
    elif approval.threshold is None:
        gate = "registered Approved (batch scoring without phases.deployment.approval: no metric gate)"
    else:
        gate = (f"registered Approved when {approval.metric} {approval.operator}"
                f" {approval.threshold:g} (phases.deployment.approval), otherwise PendingManualApproval")
    steps = [
        "Glue ETL job: new raw files of each dataset (raw/<dataset>/) into its curated table",
        ("prepare step (Glue job <prefix>-prepare, pluggable): the curated training_dataset table"
         " into this run's training set under training-sets/<run id>/ of the curated bucket; no"
         " training data fails the run and alerts"),
        ("SageMaker training job on training-sets/<run id>/train/; the S3 version of the model.tar.gz it"
         " wrote is recorded before evaluation"),
    ]
    if drift:
        steps.append("drift baseline: Model Monitor statistics and constraints of the training features")
    steps += [
        ("evaluation: a processing job runs files/evaluation/evaluate.py on the held-out"
         " test split and writes evaluation.json (rmse, mae, r2)"),
        f"model package with its metrics{' and drift baseline' if drift else ''}, {gate}",
    ]
    if realtime and approval.mode == "auto":
        steps.append(
            "a model the metric gate approved: the run starts the deploy state machine itself (SageMaker"
            " documents the approval event for a status change, not for a package created Approved)"
        )
    if realtime:
        steps.append(
            "on approval, EventBridge starts the deploy state machine: it refuses a package whose"
            " model.tar.gz is no longer the version recorded at training; the challenger variants get"
            " the new model (all variants on the first deployment or with one variant); it succeeds"
            " only when the endpoint is InService on the new endpoint config, then autoscaling,"
            + (" the drift schedule," if drift else "") + " and pruning of old versions"
        )
    else:
        steps.append("SageMaker batch transform of inference/ of the curated bucket with an approved"
                     " model, predictions to predictions/<run>/ of the artifacts bucket")
    return steps
