"""The GCP blueprint's Vertex AI pipeline: the parameter values Cloud Scheduler starts it with."""

from __future__ import annotations

from dataclasses import dataclass

from dsaas_infra.render.gcp.serving import Observability, VertexEndpoint
from dsaas_infra.spec import gcp_rules
from dsaas_infra.spec.resolved import DeploymentPhase, GcpSpec, TrainingPhase
from dsaas_infra.spec.sizes import GCP_MACHINE

# The spec's cloud-neutral metric names -> the names of the pipeline's evaluation (Vertex AI's
# regression metrics schema).
APPROVAL_METRICS = {"rmse": "rootMeanSquaredError", "mae": "meanAbsoluteError", "r2": "rSquared"}
# Drift monitoring: a starting point, to be tuned on the client's data.
DRIFT_THRESHOLD = 0.3
DRIFT_SAMPLE_RATE = 0.8
DRIFT_INTERVAL_HOURS = 1
# Manual approval: versions waiting longer than this raise the approval-overdue alert (the
# pipeline's approved step logs them to APPROVAL_OVERDUE_LOG each run, alerts.tf matches the log).
APPROVAL_OVERDUE_DAYS = 7
APPROVAL_OVERDUE_LOG = "dsaas-approval-overdue"
# Share of the curated records held out for evaluation.
TEST_PERCENT = 20
# The payload field the shipped prepare step predicts (README: how to change it).
LABEL_FIELD = "label"
# Manual approval: a human sets this alias on a version in the Model Registry; the next run
# deploys it (as the challenger where there are variants); the promote job makes it the champion.
APPROVED_ALIAS = "approved"
# What model approvers may do (custom role): read models, their evaluations, the endpoint and
# the pipeline runs, and set a version's aliases (mergeVersionAliases needs
# aiplatform.models.update). No upload, deploy, undeploy or delete: the pipeline deploys what
# they approve. Cloud Scheduler has no per-job IAM, so approvers get no scheduler permission:
# the promote job (Cloud Run, per-job IAM) is the one thing they may start.
APPROVER_PERMISSIONS = sorted([
    "aiplatform.models.get", "aiplatform.models.list", "aiplatform.models.update",
    "aiplatform.modelEvaluations.get", "aiplatform.modelEvaluations.list",
    "aiplatform.endpoints.get", "aiplatform.pipelineJobs.get", "aiplatform.pipelineJobs.list",
])
# What the pipeline's account may do in Vertex AI (a custom role instead of roles/aiplatform.user,
# which could also create endpoints, delete models or run any job): what the shipped steps call
# (files/pipeline/pipeline.py), and the Vertex ML Metadata records Vertex AI Pipelines writes for
# each task as the run's account. Long-running operations are read with operations.list.
PIPELINE_BASE_PERMISSIONS = (
    "aiplatform.pipelineJobs.get", "aiplatform.pipelineJobs.list",  # single_run, curate's requeue
    "aiplatform.metadataStores.create", "aiplatform.metadataStores.get",
    *(f"aiplatform.metadataSchemas.{v}" for v in ("create", "get", "list")),
    *(f"aiplatform.artifacts.{v}" for v in ("create", "get", "list", "update")),
    *(f"aiplatform.contexts.{v}" for v in ("addContextArtifactsAndExecutions", "addContextChildren",
                                           "create", "get", "list", "queryContextLineageSubgraph", "update")),
    *(f"aiplatform.executions.{v}" for v in ("addExecutionEvents", "create", "get", "list",
                                             "queryExecutionInputsAndOutputs", "update")),
)
PIPELINE_TRAINING_PERMISSIONS = (
    "aiplatform.customJobs.create", "aiplatform.customJobs.get",  # train
    "aiplatform.models.get", "aiplatform.models.upload", "aiplatform.modelEvaluations.import",  # register
    "aiplatform.operations.list",
)
PIPELINE_DEPLOY_PERMISSIONS = (
    "aiplatform.models.get", "aiplatform.endpoints.get",  # approved, promotion
    "aiplatform.models.list",  # approved: the versions waiting for approval (listVersions)
    "aiplatform.endpoints.deploy", "aiplatform.endpoints.undeploy",  # deploy
)
PIPELINE_DRIFT_PERMISSIONS = tuple(  # monitor
    f"aiplatform.modelDeploymentMonitoringJobs.{v}" for v in ("create", "delete", "list"))
PIPELINE_BATCH_PERMISSIONS = (  # batch predict (the batch tier: no endpoint)
    "aiplatform.batchPredictionJobs.create", "aiplatform.batchPredictionJobs.get", "aiplatform.models.get",
)
# The batch tier's input and output (pipeline.py's batch_predict): JSON Lines under this prefix of
# the raw bucket, claimed per run; predictions under this prefix of the artifacts bucket.
INFERENCE_PREFIX = "inference/incoming/"
PREDICTIONS_PREFIX = "predictions/"
# Their roles on the promote job alone: execute it (gcloud run jobs execute) and follow the
# execution (--wait); neither lets them change what it runs (no run.jobs.runWithOverrides).
APPROVER_PROMOTE_JOB_ROLES = ("roles/run.invoker", "roles/run.viewer")
# The promote job runs the shipped promote.py in this image as it is (standard library only): the
# public Python image the pipeline's light steps use, named in full (Cloud Run pulls from Docker Hub).
PROMOTE_IMAGE = "docker.io/library/python:3.11-slim"
PROMOTE_REQUEST = "pipeline/promote-request.json"


def training_machine_type(t: TrainingPhase) -> str:
    """scikit-learn trains on CPUs: the spec's GPU goes to the Workbench notebooks, not here."""
    return t.instance_type if t.instance_type and t.gpu in (None, "none") else GCP_MACHINE[t.size or "medium"]


def serving_machine_type(d: DeploymentPhase) -> str:
    """The prebuilt scikit-learn container serves on CPUs: a machine of the spec's size."""
    return d.instance_type if d.instance_type and d.gpu in (None, "none") else GCP_MACHINE[d.size or "small"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Variant:
    """A model variant the pipeline deploys, with its share of the endpoint's traffic."""

    name: str
    weight: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Pipeline:
    """What pipeline.tf lays out: the Vertex AI pipeline, its schedule's parameters, the promote job
    and the model approvers (serving values come from render/gcp/serving.py)."""

    sa_id: str
    launch_role_id: str
    job_name: str
    display_name: str
    model_id: str
    training_enabled: bool
    training_machine_type: str
    deploy_enabled: bool
    endpoint: str  # the endpoint's numeric id, "" without one
    variants: list[Variant]
    approval: str  # "threshold", "manual" or "auto" (batch scoring without a threshold)
    approval_metric: str
    approval_threshold: float
    serving_machine_type: str
    min_replicas: int
    max_replicas: int
    drift_enabled: bool
    alert_emails: list[str]
    drift_threshold: float
    drift_sample_rate: float
    drift_interval_hours: int
    test_percent: int
    label_field: str
    approved_alias: str
    approver_role_id: str
    approver_permissions: list[str]
    approver_promote_job_roles: list[str]
    promote_job_name: str
    promote_image: str
    promote_request: str
    approvers: list[str]
    runner_role_id: str  # the pipeline account's custom role in Vertex AI
    runner_permissions: list[str]
    # The batch tier (training on, no endpoint): each run scores inference_prefix of the raw bucket
    # with a batch prediction job (serving_machine_type, min_replicas-max_replicas replicas).
    batch_enabled: bool
    # Manual approval at the endpoint tier: days a version may wait, and the log it is reported to
    # (0 and "": no check).
    approval_overdue_days: int
    approval_overdue_log: str
    inference_prefix: str
    predictions_prefix: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ServingRow:
    """A row of the README's serving table: what serves or runs, where, and how it bills."""

    what: str
    where: str
    cost: str


def build_context(spec: GcpSpec, *, name_prefix: str, endpoint: VertexEndpoint | None,
                  observability: Observability | None) -> Pipeline:
    """Values pipeline.tf lays out; serving values come from gcp_serving's context."""
    assert spec.gcp is not None
    t, d = spec.phases.training, spec.phases.deployment
    approval = d.approval
    training = bool(t.enabled)
    deploy = training and endpoint is not None
    # No endpoint (deployment.realtime off): the run scores its new input in batch, as on AWS.
    batch = training and endpoint is None and bool(d.enabled) and bool(spec.phases.data.enabled)
    return Pipeline(
        sa_id=gcp_rules.service_account_ids(spec)["pipeline"],
        # Custom role ids allow letters, digits, "_" and "." (3-64).
        launch_role_id="dsaas_" + name_prefix.replace("-", "_") + "_pipeline_launch",
        job_name=f"{name_prefix}-mlops-loop",
        display_name=f"{name_prefix} MLOps loop",
        model_id=f"{name_prefix}-model",
        training_enabled=training,
        training_machine_type=training_machine_type(t),
        deploy_enabled=deploy,
        endpoint=endpoint.name if endpoint else "",
        variants=[Variant(name=v.name, weight=v.weight) for v in d.variants or []],
        # Batch scoring without a threshold approves every evaluated version (as on AWS).
        approval="threshold" if approval is not None else ("auto" if batch else "manual"),
        approval_metric=APPROVAL_METRICS[approval.metric] if approval else "rootMeanSquaredError",
        approval_threshold=float(approval.threshold) if approval else 0.0,
        serving_machine_type=serving_machine_type(d),
        min_replicas=d.min_instances or 1,
        max_replicas=max(d.max_instances or 1, d.min_instances or 1),
        drift_enabled=deploy and bool(observability is not None and observability.drift),
        alert_emails=observability.emails if observability is not None else [],
        drift_threshold=DRIFT_THRESHOLD,
        # The monitoring job's sampling is the endpoint's one request/response log (gcp_serving).
        drift_sample_rate=endpoint.log_sampling_rate if endpoint else DRIFT_SAMPLE_RATE,
        drift_interval_hours=DRIFT_INTERVAL_HOURS,
        test_percent=TEST_PERCENT,
        label_field=LABEL_FIELD,
        approved_alias=APPROVED_ALIAS,
        # Custom role ids allow letters, digits, "_" and "." (3-64).
        approver_role_id="dsaas_" + name_prefix.replace("-", "_") + "_model_approver",
        approver_permissions=APPROVER_PERMISSIONS,
        approver_promote_job_roles=list(APPROVER_PROMOTE_JOB_ROLES),
        promote_job_name=f"{name_prefix}-promote",
        promote_image=PROMOTE_IMAGE,
        promote_request=PROMOTE_REQUEST,
        approvers=list(spec.gcp.model_approvers) if deploy else [],
        runner_role_id="dsaas_" + name_prefix.replace("-", "_") + "_pipeline_run",
        runner_permissions=sorted(set(
            PIPELINE_BASE_PERMISSIONS + (PIPELINE_TRAINING_PERMISSIONS if training else ())
            + (PIPELINE_DEPLOY_PERMISSIONS if deploy else ())
            + (PIPELINE_DRIFT_PERMISSIONS if deploy and observability is not None and observability.drift else ())
            + (PIPELINE_BATCH_PERMISSIONS if batch else ()))),
        batch_enabled=batch,
        approval_overdue_days=APPROVAL_OVERDUE_DAYS if deploy and approval is None else 0,
        approval_overdue_log=APPROVAL_OVERDUE_LOG if deploy and approval is None else "",
        inference_prefix=INFERENCE_PREFIX,
        predictions_prefix=PREDICTIONS_PREFIX,
    )


def serving_plan(spec: GcpSpec, p: Pipeline, endpoint: VertexEndpoint | None, api: bool) -> list[ServingRow]:
    """README: what serves predictions and runs the loop's work at this level, and how it bills
    (api: the access phase's Apigee API exists)."""
    d = spec.phases.deployment
    rows = []
    if spec.phases.data.enabled:
        rows.append(ServingRow(
            what="the loop's work (curate, prepare, train, evaluate, register"
                 + (", deploy, monitor" if p.deploy_enabled else "") + (", batch predict" if p.batch_enabled else "")
                 + ")",
            where="Vertex AI Pipelines, one Dataflow job and one custom training job per run",
            cost="per run only (pipeline run fee, Dataflow worker and training machine time); "
                 "nothing while no run is going",
        ))
    if endpoint is not None:
        n = len(d.variants or [])
        rows.append(ServingRow(
            what="online predictions",
            where=f"Vertex AI endpoint {endpoint.display_name}: {n} variant(s), each "
                  f"{p.min_replicas}-{p.max_replicas} x {p.serving_machine_type} replicas",
            cost=f"always on from the first deployment: at least {n * p.min_replicas} "
                 f"{p.serving_machine_type} node(s) billed per node-hour, more while autoscaling",
        ))
    elif p.batch_enabled:
        rows.append(ServingRow(
            what="batch predictions",
            where=f"no endpoint at this level (`deployment.realtime` off): each run scores the new files of "
                  f"`{p.inference_prefix}` with a Vertex AI batch prediction job, {p.min_replicas}-{p.max_replicas} x "
                  f"{p.serving_machine_type} replicas",
            cost="per run with new input only (the job's node-hours, billed while it runs); nothing always on",
        ))
    else:
        rows.append(ServingRow(
            what="predictions",
            where="no endpoint at this level (`deployment.realtime` off): registered models are "
                  "used in the Workbench notebooks or in Vertex AI batch prediction jobs someone starts",
            cost="per batch job or notebook hour; nothing always on",
        ))
    if api:
        rows.append(ServingRow(
            what="the API",
            where="Apigee in front of the endpoint",
            cost="the Apigee environment (always on) and API calls",
        ))
    rows.append(ServingRow(
        what="GKE",
        where="not created: no workload of the blueprint needs a cluster (Vertex AI Pipelines and "
              "Dataflow run the loop" + (", the endpoint serves" if endpoint is not None else "") + ")",
        cost="none (a cluster would cost its management fee and nodes while idle)",
    ))
    return rows
