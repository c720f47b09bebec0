"""The GCP blueprint: render context and the list of files to render.

Split by ownership: this module covers the shared files and the data and training phases;
``gcp_serving`` adds the deployment and access phases.
"""

from __future__ import annotations

from typing import Any

from dsaas_infra import phases as phase_table
from dsaas_infra.loop import STEPS as LOOP_STEPS
from dsaas_infra.render import providers
from dsaas_infra.render.context import common_context
from dsaas_infra.render.gcp import alerts as gcp_alerts
from dsaas_infra.render.gcp import ci as gcp_ci
from dsaas_infra.render.gcp import kms as gcp_kms
from dsaas_infra.render.gcp import network as gcp_network
from dsaas_infra.render.gcp import pipeline as gcp_pipeline
from dsaas_infra.render.gcp import serving as gcp_serving
from dsaas_infra.render.gcp.context import Dataflow, GcpContext, Workbench
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
DATAFLOW = {
    "reactive": {"machine_type": "n2-standard-2", "max_workers": 2},
    "proactive": {"machine_type": "n2-standard-2", "max_workers": 5},
    "managed": {"machine_type": "n2-standard-4", "max_workers": 10},
}
TIME_TRAVEL_HOURS = {"reactive": 48, "proactive": 168, "managed": 168}
WORKBENCH_IDLE_SECONDS = {"reactive": 3600, "proactive": 10800, "managed": 10800}
IMAGE_KEEP_COUNT = {"reactive": 5, "proactive": 10, "managed": 20}
FLOW_LOG_SAMPLING = {"reactive": 0.5, "proactive": 0.5, "managed": 1.0}
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

# Address plan of a created VPC (variables let the operator change it before the first apply).
# (No secondary ranges: no GKE cluster is created, see gcp_serving.)
NETWORK_CIDRS = {"subnet": "10.10.0.0/20"}

# The curated table the scheduled Dataflow job loads (schema shipped as a file and reused by
# the google_bigquery_table, so the two never drift apart).
CURATED_TABLE = "events"
# The Vertex AI pipeline the blueprint ships: its source, its compiled spec (what Cloud Scheduler
# sends to pipelineJobs.create), the promote job's script and the training script its custom job runs.
PIPELINE_FILES = ("pipeline.py", "pipeline.yaml", "promote.py", "train.py")


def build_context(spec: GcpSpec) -> GcpContext:
    """The GCP blueprint's context, every value computed here (or in gcp_*.py) once."""
    ctx = common_context(spec)
    gcp = spec.gcp
    maturity = spec.client.maturity
    data, training = spec.phases.data, spec.phases.training
    ctx.update(
        gcp=gcp,
        provider_version=GOOGLE_PROVIDER_VERSION,
        time_provider_version=TIME_PROVIDER_VERSION,
        project_id=gcp.project_id,
        region=gcp.region,
        labels=gcp_rules.labels(spec),
        buckets=gcp_rules.bucket_names(spec),
        service_accounts=gcp_rules.service_account_ids(spec),
        network_created=gcp.network is None,
        network_cidrs=NETWORK_CIDRS,
        flow_log_sampling=FLOW_LOG_SAMPLING[maturity],
        dataflow=Dataflow(
            machine_type=str(DATAFLOW[maturity]["machine_type"]),
            max_workers=int(DATAFLOW[maturity]["max_workers"]),  # type: ignore[call-overload]
            schedule=to_unix_cron(data.schedule),
            template=f"gs://dataflow-templates-{gcp.region}/latest/flex/GCS_Text_to_BigQuery_Flex",
        ),
        dataset_id=gcp_rules.dataset_id(spec),
        curated_table=CURATED_TABLE,
        time_travel_hours=TIME_TRAVEL_HOURS[maturity],
        soft_delete_seconds=SOFT_DELETE_SECONDS[maturity],
        audited_services=list(AUDITED_DATA_SERVICES) if maturity == "managed" else [],
        workbench=Workbench(
            instances=gcp_rules.workbench_names(spec),
            machine_type=training.instance_type or gcp_machine_type(training.size, training.gpu),
            accelerator=gcp_accelerator(training.gpu),
            zone=f"{gcp.region}-{WORKBENCH_ZONE_SUFFIX}",
            idle_timeout_seconds=WORKBENCH_IDLE_SECONDS[maturity],
            owners=gcp_rules.user_emails(spec),
            deletion_protection=spec.client.environment == "prod",
            role_id="dsaas_" + ctx["name_prefix"].replace("-", "_") + "_notebook",
            permissions=NOTEBOOK_PERMISSIONS,
        ),
        image_keep_count=IMAGE_KEEP_COUNT[maturity],
        training_gpu=training.gpu,
        deployment_realtime=spec.phases.deployment.realtime,
    )
    ctx["private_machines"] = _private_machines(spec)
    # Network tags the firewall rules of a created VPC target (Dataflow tags its own workers).
    ctx["gke_node_tag"] = f"{ctx['name_prefix']}-gke-node"
    ctx["workbench_tag"] = WORKBENCH_TAG
    serving = gcp_serving.build_context(spec, ctx)
    ctx.update(serving)
    ctx["pipeline"] = gcp_pipeline.build_context(spec, ctx)
    ctx["loop_steps"] = LOOP_STEPS
    ctx["serving_plan"] = gcp_pipeline.serving_plan(spec, ctx)
    ctx["budget"] = gcp_alerts.budget(spec, ctx)
    budget_apis = {"billingbudgets.googleapis.com"} if ctx["budget"] else set()
    # The promote job (pipeline.tf) is a Cloud Run job.
    promote_apis = {"run.googleapis.com"} if spec.phases.data.enabled and ctx["pipeline"]["deploy_enabled"] else set()
    ctx["apis"] = sorted(set(_apis(spec)) | set(serving.get("serving_apis", ())) | budget_apis
                         | set(gcp_network.extra_apis(spec)) | set(gcp_ci.apis(spec)) | promote_apis)
    ctx["netsec"] = gcp_network.build_context(spec, ctx["apis"])
    ctx["service_identities"] = sorted(
        s for s in SERVICE_AGENT_DOMAINS if s in ctx["apis"]
    )
    ctx["service_agent_domains"] = SERVICE_AGENT_DOMAINS
    ctx["freshness"] = gcp_alerts.freshness(spec, ctx)
    ctx["platform_alerts"] = gcp_alerts.platform_alerts(spec, ctx)
    ctx["budget_readme"] = gcp_alerts.budget_readme(spec, ctx)
    ctx["alerts_header"] = gcp_alerts.header(ctx)
    ctx["kms"] = gcp_kms.build(spec, ctx["name_prefix"], set(ctx["apis"]),
                               apigee_dedicated=ctx["apigee"] is not None and not ctx["apigee"]["shared"])
    ctx["quotas"] = _quotas(spec, ctx)
    # What the serving phases add to the shared files: providers for versions.tf (their README
    # bullets are in templates/gcp/readme/, as AWS's are in its README template).
    ctx["extra_providers"] = dict(sorted(serving.get("serving_providers", {}).items()))
    return GcpContext(**ctx)


# Compute Engine's regional vCPU quota per machine family, where it has its own (N1 and E2
# machines count against CPUS); other families: "<FAMILY> vCPUs" in the Quotas page.
_CPU_QUOTA = {"n1": "CPUS", "e2": "CPUS", "n2": "N2_CPUS", "n2d": "N2D_CPUS", "c2": "C2_CPUS",
              "c2d": "C2D_CPUS", "c3": "C3_CPUS", "a2": "A2_CPUS", "m1": "M1_CPUS", "m2": "M2_CPUS"}
_SHARED_CORE_VCPUS = {"micro": 2, "small": 2, "medium": 2}
# Boot and data disks (pd-balanced counts against SSD_TOTAL_GB).
_WORKBENCH_DISK_GB = 150 + 100


def _vcpus(machine_type: str) -> int | None:
    """vCPUs of a predefined or custom machine type, None when the name does not say."""
    parts = machine_type.split("-")
    if parts[-1] in _SHARED_CORE_VCPUS:
        return _SHARED_CORE_VCPUS[parts[-1]]
    if "custom" in parts and parts[-2].isdigit():
        return int(parts[-2])
    if parts[0] == "a2" and parts[-1].endswith("g") and parts[-1][:-1].isdigit():
        return 12 * int(parts[-1][:-1])  # a2-highgpu-<n>g: 12 vCPUs per GPU
    return int(parts[-1]) if parts[-1].isdigit() else None


def _family(machine_type: str) -> str:
    family = machine_type.split("-")[0]
    return "n1" if family == "custom" else family


def _quotas(spec: GcpSpec, ctx: dict[str, Any]) -> list[dict[str, Any]]:
    """README: the Compute Engine quotas the blueprint needs at its maximum size, in its region.

    Fresh projects often have low regional vCPU quotas and no GPU quota at all
    (GPUS_ALL_REGIONS is 0): GKE node creation, Workbench instances and Dataflow workers
    then fail or stay pending long after apply.
    """
    cpus: dict[str, list[tuple[int, str]]] = {}
    gpus: dict[str, list[tuple[int, str]]] = {}
    ssd: list[tuple[int, str]] = []

    def add_machines(machine: str, count: int, what: str) -> None:
        per = _vcpus(machine)
        family = _family(machine)
        if per is not None and count:
            cpus.setdefault(family, []).append((per * count, f"{count} x {machine} ({what})"))

    if spec.phases.data.enabled:
        df: Dataflow = ctx["dataflow"]
        add_machines(df.machine_type, df.max_workers, "Dataflow workers at var.dataflow_max_workers")
    wb: Workbench = ctx["workbench"]
    users = len(wb.instances) if spec.phases.training.enabled else 0
    if users:
        instances = f"{users} Workbench instance{'s' if users > 1 else ''}"
        add_machines(wb.machine_type, users, "Workbench")
        ssd.append((users * _WORKBENCH_DISK_GB, instances))
        if wb.accelerator:
            gpus.setdefault(wb.accelerator, []).append((users, instances))
    gke = ctx.get("gke")
    if gke is not None:
        zones = 3 if gke["regional"] else 1
        # The default pool exists while the cluster is created (one e2-small per zone).
        add_machines("e2-small", zones, "the default node pool, only while the cluster is created")
        for pool in gke["node_pools"]:
            add_machines(pool["machine_type"], pool["max"], f"GKE pool {pool['name']} at its maximum")
            ssd.append((pool["max"] * pool["disk_size_gb"], f"GKE pool {pool['name']}"))
            if pool["accelerator"]:
                gpus.setdefault(pool["accelerator"]["type"], []).append(
                    (pool["max"] * pool["accelerator"]["count"], f"GKE pool {pool['name']}"))

    out: list[dict[str, Any]] = []
    for family, uses in sorted(cpus.items()):
        metric = _CPU_QUOTA.get(family)
        out.append({
            "metric": f"`{metric}`" if metric else f"{family.upper()} vCPUs",
            "scope": "regional",
            "amount": sum(n for n, _ in uses),
            "unit": "vCPUs",
            "uses": [u for _, u in uses],
        })
    if cpus:
        out.append({
            "metric": "`CPUS_ALL_REGIONS`", "scope": "global",
            "amount": sum(n for uses in cpus.values() for n, _ in uses),
            "unit": "vCPUs", "uses": ["all of the above"],
        })
    for accelerator, uses in sorted(gpus.items()):
        out.append({
            "metric": f"`{accelerator.replace('TESLA_', '')}_GPUS`", "scope": "regional",
            "amount": sum(n for n, _ in uses), "unit": "GPUs", "uses": [u for _, u in uses],
        })
    if gpus:
        out.append({
            "metric": "`GPUS_ALL_REGIONS`", "scope": "global",
            "amount": sum(n for uses in gpus.values() for n, _ in uses), "unit": "GPUs",
            "uses": ["0 on a fresh project: request it first"],
        })
    if ssd:
        out.append({
            "metric": "`SSD_TOTAL_GB`", "scope": "regional", "amount": sum(n for n, _ in ssd),
            "unit": "GB", "uses": [u for _, u in ssd],
        })
    return out


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
    variables.update(gcp_readme.context(variables, rendered))
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
            if name != "promote.py" or ctx.pipeline["deploy_enabled"]:  # no endpoint: nothing to promote
                out.append((f"files/pipeline/{name}", f"gcp/files/pipeline/{name}"))
    if phases.training.enabled:
        out.extend(phase_table.tf_files("gcp", "training"))
    out.extend(gcp_serving.files(ctx))
    # Platform alerts (scheduler rejections, API errors) watch every phase: a shared file.
    if ctx.platform_alerts and any(name == "monitoring.tf" for name, _ in out):
        out.append(("alerts.tf", "gcp/alerts.tf.j2"))
    return out
