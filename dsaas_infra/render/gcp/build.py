"""The GCP blueprint: render context and the list of files to render.

Split by ownership: this module covers the shared files and the data and training phases;
``gcp_serving`` adds the deployment and access phases.
"""

from __future__ import annotations

from dataclasses import dataclass

from dsaas_infra import phases as phase_table
from dsaas_infra.loop import STEPS as LOOP_STEPS
from dsaas_infra.render import providers
from dsaas_infra.render.context import common_context
from dsaas_infra.render.gcp import alerts as gcp_alerts
from dsaas_infra.render.gcp import ci as gcp_ci
from dsaas_infra.render.gcp import kms as gcp_kms
from dsaas_infra.render.gcp import logs as gcp_logs
from dsaas_infra.render.gcp import network as gcp_network
from dsaas_infra.render.gcp import pipeline as gcp_pipeline
from dsaas_infra.render.gcp import quotas as gcp_quotas
from dsaas_infra.render.gcp import serving as gcp_serving
from dsaas_infra.render.gcp.context import Dataflow, GcpContext, RawTransition, Workbench
from dsaas_infra.spec import gcp_rules
from dsaas_infra.spec.cron import to_unix_cron
from dsaas_infra.spec.resolved import GcpSpec
from dsaas_infra.spec.sizes import gcp_accelerator, gcp_machine_type

# The schema snapshot under dsaas_infra/schemas/ is google 8.x: pin the same major.
GOOGLE_PROVIDER_VERSION = providers.GOOGLE
TIME_PROVIDER_VERSION = providers.TIME

# APIs every blueprint uses (Terraform itself and the shared network/encryption).
SHARED_APIS = (
    "cloudkms.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "compute.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "serviceusage.googleapis.com",
)
DATA_APIS = (
    # The data schedule starts the Vertex AI pipeline, whose first step is the curation.
    "aiplatform.googleapis.com",
    "bigquery.googleapis.com",
    "cloudscheduler.googleapis.com",
    "dataflow.googleapis.com",
    "storage.googleapis.com",
)
TRAINING_APIS = (
    "aiplatform.googleapis.com",
    "artifactregistry.googleapis.com",
    "bigquerystorage.googleapis.com",
    "notebooks.googleapis.com",
)

# Service agents that exist only once generated (google_project_service_identity); their
# e-mails follow Google's fixed pattern service-<project number>@<domain>.
SERVICE_AGENT_DOMAINS = {
    "aiplatform.googleapis.com": "gcp-sa-aiplatform.iam.gserviceaccount.com",
    "artifactregistry.googleapis.com": "gcp-sa-artifactregistry.iam.gserviceaccount.com",
    "dataflow.googleapis.com": "dataflow-service-producer-prod.iam.gserviceaccount.com",
    "notebooks.googleapis.com": "gcp-sa-notebooks.iam.gserviceaccount.com",
}

# Maturity -> settings of this module's phases (the spec's phase keys override what they cover).
@dataclass(frozen=True, slots=True, kw_only=True)
class DataflowSize:
    machine_type: str
    max_workers: int


DATAFLOW = {
    "reactive": DataflowSize(machine_type="n2-standard-2", max_workers=2),
    "proactive": DataflowSize(machine_type="n2-standard-2", max_workers=5),
    "managed": DataflowSize(machine_type="n2-standard-4", max_workers=10),
}
TIME_TRAVEL_HOURS = {"reactive": 48, "proactive": 168, "managed": 168}
WORKBENCH_IDLE_SECONDS = {"reactive": 3600, "proactive": 10800, "managed": 10800}
IMAGE_KEEP_COUNT = {"reactive": 5, "proactive": 10, "managed": 20}
FLOW_LOG_SAMPLING = {"reactive": 0.5, "proactive": 0.5, "managed": 1.0}
# Raw objects move to Nearline after this many days, to Coldline after phases.data.raw_archive_days
# (the AWS blueprint's Standard-IA at 30 days, then Glacier Instant Retrieval); they are deleted
# only when the spec sets raw_retention_days.
RAW_NEARLINE_DAYS = 30
RAW_ARCHIVE_CLASS = "COLDLINE"
# Deleted objects stay recoverable this long (Cloud Storage soft delete).
SOFT_DELETE_SECONDS = {"reactive": 604800, "proactive": 604800, "managed": 2592000}
# Managed clients (established data policies) get data-access audit logs on their data.
AUDITED_DATA_SERVICES = ("bigquery.googleapis.com", "storage.googleapis.com")
# What notebooks may do in Vertex AI (custom role on the Workbench account): follow their own
# experiments (Vizier studies, TensorBoard, metadata) and read models, endpoints, jobs and
# pipeline runs; never upload, change, deploy, undeploy or delete a model or endpoint, no pipeline
# runs (the pipeline's accounts are not theirs to act as) and no custom or tuning jobs: a job
# created without a service account runs as Vertex AI's Custom Code Service Agent, which may
# write every bucket of the project (the pipeline's code and models included). Notebooks train
# on their own machine (the spec's GPU is theirs); training at scale is the pipeline's.
NOTEBOOK_PERMISSIONS = sorted([
    *(f"aiplatform.{r}.{v}" for r in ("customJobs", "hyperparameterTuningJobs") for v in ("get", "list")),
    *(f"aiplatform.{r}.{v}" for r in ("studies", "trials") for v in ("create", "get", "list", "update")),
    *(f"aiplatform.{r}.{v}" for r in ("models", "modelEvaluations", "endpoints", "pipelineJobs",
                                      "datasets", "locations", "tensorboards") for v in ("get", "list")),
    "aiplatform.operations.list", "aiplatform.metadataStores.get",
    *(f"aiplatform.metadataSchemas.{v}" for v in ("create", "get", "list")),
    *(f"aiplatform.artifacts.{v}" for v in ("create", "get", "list", "update")),
    *(f"aiplatform.contexts.{v}" for v in ("addContextArtifactsAndExecutions", "addContextChildren",
                                           "create", "get", "list", "queryContextLineageSubgraph", "update")),
    *(f"aiplatform.executions.{v}" for v in ("addExecutionEvents", "create", "get", "list",
                                             "queryExecutionInputsAndOutputs", "update")),
    *(f"aiplatform.tensorboardExperiments.{v}" for v in ("create", "get", "list", "update", "write")),
    *(f"aiplatform.tensorboardRuns.{v}" for v in ("batchCreate", "create", "get", "list", "update", "write")),
    *(f"aiplatform.tensorboardTimeSeries.{v}" for v in ("batchCreate", "batchRead", "create", "get", "list",
                                                        "read", "update")),
])
# Network tag of the Workbench instances (firewall target).
WORKBENCH_TAG = "workbench"
# Workbench needs a zone: "b" exists in every GCP region (europe-west1 and us-east1 have no "a").
WORKBENCH_ZONE_SUFFIX = "b"
# Each Workbench instance's disks (GB, pd-balanced): billed all month, also while the instance is stopped.
WORKBENCH_BOOT_DISK_GB = 150
WORKBENCH_DATA_DISK_GB = 100

# Address plan of a created VPC (variables let the operator change it before the first apply).
# (No secondary ranges: no GKE cluster is created, see gcp_serving.)
NETWORK_CIDRS = {"subnet": "10.10.0.0/20"}

# The Vertex AI pipeline the blueprint ships: its source, its compiled spec (what Cloud Scheduler
# sends to pipelineJobs.create), the promote job's script and the training script its custom job runs.
PIPELINE_FILES = ("pipeline.py", "pipeline.yaml", "promote.py", "train.py")


def raw_transitions(archive_days: int | None, expire_days: int | None) -> list[RawTransition]:
    """The raw bucket's storage-class steps (data.tf), only those before its expiry (if any)."""
    steps = [RawTransition(days=RAW_NEARLINE_DAYS, storage_class="NEARLINE", from_classes=["STANDARD"])]
    if archive_days:
        steps.append(RawTransition(days=archive_days, storage_class=RAW_ARCHIVE_CLASS,
                                   from_classes=["STANDARD", "NEARLINE"]))
    return [t for t in steps if not expire_days or t.days < expire_days]


def raw_lifecycle(transitions: list[RawTransition], expire_days: int | None) -> str:
    """README: what happens to raw objects as they age."""
    moves = ", ".join(f"{t.storage_class.capitalize()} after {t.days} days" for t in transitions)
    end = (f"deleted after {expire_days} days (`phases.data.raw_retention_days`)" if expire_days
           else "never deleted (set `phases.data.raw_retention_days` to expire it)")
    return f"{moves}, {end}" if moves else end


def build_context(spec: GcpSpec) -> GcpContext:
    """The GCP blueprint's context, every value computed here (or in render/gcp/*.py) once."""
    common = common_context(spec)
    name_prefix = spec.name_prefix
    gcp = spec.gcp
    maturity = spec.client.maturity
    data, training = spec.phases.data, spec.phases.training
    project_id = gcp.project_id
    dataset_id = gcp_rules.dataset_id(spec)
    dataflow = Dataflow(
        machine_type=DATAFLOW[maturity].machine_type,
        max_workers=DATAFLOW[maturity].max_workers,
        schedule=to_unix_cron(data.schedule),
        template=f"gs://dataflow-templates-{gcp.region}/latest/flex/GCS_Text_to_BigQuery_Flex",
    )
    workbench = Workbench(
        instances=gcp_rules.workbench_names(spec),
        machine_type=training.instance_type or gcp_machine_type(training.size, training.gpu),
        accelerator=gcp_accelerator(training.gpu),
        zone=f"{gcp.region}-{WORKBENCH_ZONE_SUFFIX}",
        idle_timeout_seconds=WORKBENCH_IDLE_SECONDS[maturity],
        boot_disk_gb=WORKBENCH_BOOT_DISK_GB,
        data_disk_gb=WORKBENCH_DATA_DISK_GB,
        owners=gcp_rules.user_emails(spec),
        deletion_protection=spec.client.environment == "prod",
        role_id="dsaas_" + name_prefix.replace("-", "_") + "_notebook",
        permissions=NOTEBOOK_PERMISSIONS,
    )
    serving = gcp_serving.build_context(spec, name_prefix)
    pipeline = gcp_pipeline.build_context(spec, name_prefix=name_prefix, endpoint=serving.vertex_endpoint,
                                          observability=serving.observability)
    api = serving.apigee is not None
    budget = gcp_alerts.budget(spec, name_prefix)
    budget_apis = {"billingbudgets.googleapis.com"} if budget else set()
    # The promote job (pipeline.tf) is a Cloud Run job.
    promote_apis = {"run.googleapis.com"} if spec.phases.data.enabled and pipeline.deploy_enabled else set()
    apis = sorted(set(_apis(spec)) | set(serving.serving_apis) | budget_apis
                  | set(gcp_network.extra_apis(spec)) | set(gcp_ci.apis(spec)) | promote_apis)
    freshness = gcp_alerts.freshness(spec, name_prefix=name_prefix, project_id=project_id, dataset_id=dataset_id,
                                     curated_tables=data.datasets, schedule=dataflow.schedule)
    promote_job = pipeline.promote_job_name if promote_apis else None
    audited = maturity == "managed" and bool(data.enabled)  # data.tf's data-access audit configs
    log_bucket = gcp_logs.build(
        name_prefix=name_prefix, project_id=project_id, retention_days=data.log_retention_days,
        endpoint=serving.vertex_endpoint.name if serving.vertex_endpoint else None,
        drift=serving.observability.drift, buckets=sorted(gcp_rules.bucket_names(spec).values()) if audited else [],
        dataset=dataset_id if audited else None,
    ) if serving.observability is not None else None
    return GcpContext(
        **common,
        gcp=gcp,
        provider_version=GOOGLE_PROVIDER_VERSION,
        time_provider_version=TIME_PROVIDER_VERSION,
        project_id=project_id,
        region=gcp.region,
        labels=gcp_rules.labels(spec),
        buckets=gcp_rules.bucket_names(spec),
        raw_transitions=raw_transitions(data.raw_archive_days, data.raw_retention_days),
        raw_lifecycle=raw_lifecycle(raw_transitions(data.raw_archive_days, data.raw_retention_days),
                                    data.raw_retention_days),
        service_accounts=gcp_rules.service_account_ids(spec),
        network_created=gcp.network is None,
        network_cidrs=NETWORK_CIDRS,
        flow_log_sampling=FLOW_LOG_SAMPLING[maturity],
        dataflow=dataflow,
        dataset_id=dataset_id,
        time_travel_hours=TIME_TRAVEL_HOURS[maturity],
        soft_delete_seconds=SOFT_DELETE_SECONDS[maturity],
        audited_services=list(AUDITED_DATA_SERVICES) if maturity == "managed" else [],
        workbench=workbench,
        image_keep_count=IMAGE_KEEP_COUNT[maturity],
        training_gpu=training.gpu,
        deployment_realtime=spec.phases.deployment.realtime,
        private_machines=_private_machines(spec),
        # Network tags the firewall rules of a created VPC target (Dataflow tags its own workers).
        gke_node_tag=f"{name_prefix}-gke-node",
        workbench_tag=WORKBENCH_TAG,
        gke=serving.gke,
        vertex_endpoint=serving.vertex_endpoint,
        observability=serving.observability,
        log_bucket=log_bucket,
        apigee=serving.apigee,
        shared_vpc_host=serving.shared_vpc_host,
        serving_apis=serving.serving_apis,
        serving_providers=serving.serving_providers,
        pipeline=pipeline,
        loop_steps=LOOP_STEPS,
        serving_plan=gcp_pipeline.serving_plan(spec, pipeline, serving.vertex_endpoint, api),
        budget=budget,
        apis=apis,
        netsec=gcp_network.build_context(spec, apis),
        service_identities=sorted(s for s in SERVICE_AGENT_DOMAINS if s in apis),
        service_agent_domains=SERVICE_AGENT_DOMAINS,
        freshness=freshness,
        platform_alerts=gcp_alerts.platform_alerts(name_prefix=name_prefix, pipeline_job=pipeline.job_name,
                                                   fresh=freshness, api=api, promote_job=promote_job,
                                                   project_id=project_id, overdue_days=pipeline.approval_overdue_days,
                                                   overdue_log=pipeline.approval_overdue_log),
        budget_readme=gcp_alerts.budget_readme(spec, budget),
        alerts_header=gcp_alerts.header(fresh=freshness, api=api, budget=budget, promote=promote_job is not None),
        kms=gcp_kms.build(spec, name_prefix, set(apis),
                          apigee_dedicated=serving.apigee is not None and not serving.apigee.shared),
        quotas=gcp_quotas.quotas(spec, dataflow, workbench),
        # What the serving phases add to the shared files: providers for versions.tf (their README
        # bullets are in templates/gcp/readme/, as AWS's are in its README template).
        extra_providers=dict(sorted(serving.serving_providers.items())),
    )


def _private_machines(spec: GcpSpec) -> str:
    """README: the virtual machines the blueprint runs, all on private addresses only."""
    kinds = []
    if spec.phases.training.enabled and spec.phases.training.users:
        kinds.append("Workbench instances")
    if spec.phases.data.enabled:
        kinds.append("Dataflow workers")
    return " and ".join(filter(None, [", ".join(kinds[:-1]), kinds[-1]])) if kinds else ""


def _apis(spec: GcpSpec) -> list[str]:
    apis = list(SHARED_APIS)
    if spec.phases.data.enabled:
        apis.extend(DATA_APIS)
    if spec.phases.training.enabled:
        apis.extend(TRAINING_APIS)
    return apis


def derived_files(ctx: GcpContext, rendered: dict[str, bytes]) -> dict[str, bytes]:
    out = gcp_serving.derived_files(ctx, rendered)
    # The README's phase and loop tables name only what the rendered .tf files deploy: its second
    # render sees them (the first one, in files(), cannot).
    from dsaas_infra.render import ci
    from dsaas_infra.render.environment import environment
    from dsaas_infra.render.gcp import readme as gcp_readme

    variables = ctx.template_vars()
    variables.update(ci.context(ctx.spec, ctx))
    variables.update(gcp_readme.context(ctx.loop_steps, rendered).template_vars())
    out["README.md"] = environment().get_template("gcp/README.md.j2").render(variables).encode("utf-8")
    return out


def files(ctx: GcpContext) -> list[tuple[str, str]]:
    phases = ctx.phases
    out = [
        ("versions.tf", "gcp/versions.tf.j2"),
        ("providers.tf", "gcp/providers.tf.j2"),
        ("backend.tf", "gcp/backend.tf.j2"),
        ("main.tf", "gcp/main.tf.j2"),
        ("variables.tf", "gcp/variables.tf.j2"),
        ("outputs.tf", "gcp/outputs.tf.j2"),
        ("services.tf", "gcp/services.tf.j2"),
        ("kms.tf", "gcp/kms.tf.j2"),
        ("network.tf", "gcp/network.tf.j2"),
        ("README.md", "gcp/README.md.j2"),
        (".gitignore", "common/gitignore.j2"),
    ]
    if phases.data.enabled:
        out.extend(phase_table.tf_files("gcp", "data"))
        out.append(("files/dataflow/transform.js", "gcp/files/dataflow/transform.js"))
        out.append(("files/dataflow/curated_schema.json", "gcp/files/dataflow/curated_schema.json"))
        out.append(("files/dataflow/staging_schema.json", "gcp/files/dataflow/staging_schema.json"))
        for name in PIPELINE_FILES:
            if name != "promote.py" or ctx.pipeline.deploy_enabled:  # no endpoint: nothing to promote
                out.append((f"files/pipeline/{name}", f"gcp/files/pipeline/{name}"))
    if phases.training.enabled:
        out.extend(phase_table.tf_files("gcp", "training"))
    out.extend(gcp_serving.files(ctx))
    # Platform alerts (scheduler rejections, API errors) watch every phase: a shared file.
    if ctx.platform_alerts and any(name == "monitoring.tf" for name, _ in out):
        out.append(("alerts.tf", "gcp/alerts.tf.j2"))
    return out
