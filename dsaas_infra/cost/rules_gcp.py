"""Cost rules for GCP blueprints: one function per priced family, each adding its line items."""

from __future__ import annotations

import re

from dsaas_infra.cost.estimate import DAYS, HOURS, RuleContext
from dsaas_infra.render.gcp import build as gcp_build
from dsaas_infra.render.gcp import pipeline as gcp_pipeline
from dsaas_infra.spec import sizes

TRAINING_HOURS = (0.25, 2.0)
DATAFLOW_HOURS = (0.25, 1.0)
# An n2-standard-N machine: N vCPUs and 4 GB of memory per vCPU.
_STANDARD = re.compile(r"^[a-z0-9]+-standard-(\d+)$")
# The entries of kms.tf's kms_keys map (the for_each of google_kms_crypto_key.keys).
_KMS_KEYS = re.compile(r"^  kms_keys = \{\n(.*?)^  \}$", re.MULTILINE | re.DOTALL)
_KMS_ENTRY = re.compile(r"^    ([A-Za-z0-9_-]+) = \{$", re.MULTILINE)


def _machine(size: str, gpu: str, override: str | None) -> str:
    return override or sizes.gcp_machine_type(size, gpu)


def endpoint(ctx: RuleContext) -> None:
    d = ctx.spec.phases.deployment
    if not (d.enabled and d.realtime and ctx.inventory.has("google_vertex_ai_endpoint")):
        return
    machine = gcp_pipeline.serving_machine_type(d)
    n = len(d.variants)
    ctx.add("deployment", "Vertex AI endpoint", "pipeline: deployed model replicas",
            f"gcp.vertex.prediction.{machine}", n * d.min_instances * HOURS, n * d.max_instances * HOURS,
            f"{n} variant(s) x {d.min_instances}-{d.max_instances} {machine} replicas always on")


def pipeline(ctx: RuleContext) -> None:
    t = ctx.spec.phases.training
    if "pipelinejobs" not in ctx.inventory.text.lower():
        return
    runs = ctx.runs_per_month
    machine = gcp_pipeline.training_machine_type(t)
    ctx.add("training", "Vertex AI training", "pipeline: custom training job per run",
            f"gcp.vertex.training.{machine}", runs * TRAINING_HOURS[0], runs * TRAINING_HOURS[1],
            f"{runs:g} runs/month x {TRAINING_HOURS[0]:g}-{TRAINING_HOURS[1]:g} h on {machine}")
    ctx.add("training", "Vertex AI Pipelines", "pipeline runs", "gcp.vertex.pipeline_run", runs, runs,
            f"{runs:g} runs/month")


def workbench(ctx: RuleContext) -> None:
    t = ctx.spec.phases.training
    for r in ctx.inventory.of("google_workbench_instance"):
        machine = r.literals.get("gce_setup.machine_type") or _machine(t.size, t.gpu, t.instance_type)
        count = len(t.users) if "for_each" in r.expressions else 1
        idle_stop = "idle-timeout-seconds" in ctx.inventory.text
        ctx.add("training", "Vertex AI Workbench", r.address, f"gcp.compute.{machine}",
                0 if idle_stop else count * HOURS, count * HOURS,
                f"{count} instance(s) of {machine}"
                + (", stopped when idle (0 h) up to all month" if idle_stop else ", all month"))
        # Stopping an instance stops its machine's bill, not its disks': they are billed all month.
        gb = count * (gcp_build.WORKBENCH_BOOT_DISK_GB + gcp_build.WORKBENCH_DATA_DISK_GB)
        ctx.add("training", "Vertex AI Workbench disks", r.address, "gcp.pd.balanced", gb, gb,
                f"{count} x ({gcp_build.WORKBENCH_BOOT_DISK_GB} GB boot + {gcp_build.WORKBENCH_DATA_DISK_GB} GB data)"
                " balanced persistent disk, billed also while stopped")


def gke(ctx: RuleContext) -> None:
    for r in ctx.inventory.of("google_container_cluster"):
        ctx.add("deployment", "GKE cluster fee", r.address, "gcp.gke.cluster", HOURS, HOURS,
                "management fee, always on (one zonal or Autopilot cluster per billing account "
                "is covered by GKE's free tier credit)")
    for r in ctx.inventory.of("google_container_node_pool"):
        machine = r.literals.get("node_config.machine_type")
        lo = r.literals.get("autoscaling.total_min_node_count", r.literals.get("autoscaling.min_node_count"))
        hi = r.literals.get("autoscaling.total_max_node_count", r.literals.get("autoscaling.max_node_count"))
        if not isinstance(lo, int) or not isinstance(hi, int):
            count = r.literals.get("node_count", r.literals.get("initial_node_count", 1))
            lo = hi = count if isinstance(count, int) else 1
        ctx.add("deployment", "GKE nodes", r.address, f"gcp.compute.{machine}", lo * HOURS, hi * HOURS,
                f"{lo}-{hi} {machine} nodes (autoscaling range)")


def dataflow(ctx: RuleContext) -> None:
    # The pipeline's curate step launches the Flex Template (its parameters name it).
    text = ctx.inventory.text.lower()
    if ("flextemplates" not in text and "dataflow_template" not in text
            and not ctx.inventory.has("google_dataflow_flex_template_job")):
        return
    runs = ctx.runs_per_month
    # The workers the pipeline's curate step asks for (render/gcp/build.py DATAFLOW, per level).
    size = gcp_build.DATAFLOW[ctx.spec.client.maturity]
    m = _STANDARD.match(size.machine_type)
    vcpu = int(m.group(1)) if m else 1
    mem = 4.0 * vcpu
    lo = runs * DATAFLOW_HOURS[0]
    hi = runs * DATAFLOW_HOURS[1] * size.max_workers
    note = (f"{runs:g} runs/month x 1-{size.max_workers} {size.machine_type} workers x "
            f"{DATAFLOW_HOURS[0] * 60:.0f}-{DATAFLOW_HOURS[1] * 60:.0f} min")
    ctx.add("data", "Dataflow", "scheduled Dataflow runs (vCPU)", "gcp.dataflow.vcpu", lo * vcpu, hi * vcpu, note)
    ctx.add("data", "Dataflow", "scheduled Dataflow runs (memory)", "gcp.dataflow.memory", lo * mem, hi * mem, note)


def apigee(ctx: RuleContext) -> None:
    for r in ctx.inventory.of("google_apigee_environment"):
        env_type = str(r.literals.get("type", "BASE")).upper()
        ctx.add("access", "Apigee environment", r.address, f"gcp.apigee.environment.{env_type}", 1, 1,
                f"one {env_type.lower()} pay-as-you-go environment in one region")
    if ctx.inventory.has("google_apigee_api"):
        calls = sum(c.quota_per_day for c in ctx.spec.phases.access.consumers) * DAYS / 1e6
        ctx.add("access", "Apigee API calls", "prediction proxy calls", "gcp.apigee.standard_calls", 0, calls,
                f"0 to every consumer's daily quota x {DAYS} days ({calls:g} M calls)")
    for r in ctx.inventory.of("google_compute_global_forwarding_rule"):
        ctx.add("access", "Load balancer", r.address, "gcp.lb.forwarding_rule", HOURS, HOURS, "always on")
    for r in ctx.inventory.of("google_compute_security_policy"):
        rules = r.blocks.get("rule", 0)
        ctx.add("access", "Cloud Armor", r.address, "gcp.armor.policy", 1, 1, "one Standard policy")
        ctx.add("access", "Cloud Armor", f"{r.address} rules", "gcp.armor.rule", rules, rules, f"{rules} rules")
        ctx.add("access", "Cloud Armor", "requests evaluated", "gcp.armor.requests", 0, 0,
                "usage-based: $ per million requests", usage_based=True)


def network_keys_scheduler(ctx: RuleContext) -> None:
    for r in ctx.inventory.of("google_compute_router_nat"):
        ctx.add(r.phase if r.phase != "shared" else "training", "Cloud NAT", r.address, "gcp.nat.gateway",
                HOURS, HOURS, "one gateway, always on (data processing per GB not included)")
    families = _KMS_KEYS.search(ctx.inventory.text)
    for r in ctx.inventory.of("google_kms_crypto_key"):
        if "for_each" in r.expressions:
            n = len(_KMS_ENTRY.findall(families.group(1))) if families else 1
        else:
            n = 1
        hsm = str(r.literals.get("version_template.protection_level", "SOFTWARE")).upper() == "HSM"
        ctx.add(r.phase, "Cloud KMS keys", r.address, "gcp.kms.hsm_key" if hsm else "gcp.kms.key", n, n,
                f"{n} {'HSM' if hsm else 'software'} key(s), one active version each (each rotation adds"
                " a version, billed until destroyed)")
    for r in ctx.inventory.of("google_cloud_scheduler_job"):
        ctx.add(r.phase, "Cloud Scheduler", r.address, "gcp.scheduler.job", 1, 1, "one job")


def usage(ctx: RuleContext) -> None:
    buckets = ctx.inventory.of("google_storage_bucket")
    if buckets:
        ctx.add("data", "Cloud Storage", f"{len(buckets)} bucket(s)", "gcp.gcs.standard", 0, 0,
                "usage-based: $ per GB-month stored", usage_based=True)
    if ctx.inventory.has("google_bigquery_dataset"):
        ctx.add("data", "BigQuery", "datasets", "gcp.bigquery.storage", 0, 0,
                "usage-based: storage per GB-month and queries per TiB scanned", usage_based=True)
    # The drift alert exists exactly where the pipeline creates a Model Monitoring job (readme.py's evidence).
    if any(r.name == "drift" for r in ctx.inventory.of("google_monitoring_alert_policy")):
        ctx.add("deployment", "Vertex AI Model Monitoring", "drift and skew analysis",
                "gcp.vertex.model_monitoring", 0, 0,
                "usage-based: $ per GB of logged prediction requests analyzed", usage_based=True)
    if ctx.inventory.has("google_logging_project_bucket_config"):
        ctx.add("deployment", "Cloud Logging", "log ingestion", "gcp.logging.ingestion", 0, 0,
                "usage-based: $ per GiB ingested beyond 50 GiB a month (flow logs, audit logs, Dataflow)",
                usage_based=True)
    if ctx.inventory.has("google_monitoring_alert_policy"):
        ctx.add("deployment", "Cloud Monitoring alerting", "alert policies", "gcp.monitoring.alert_condition",
                0, 0, "usage-based: alerting and metric volume", usage_based=True)


RULES = (endpoint, pipeline, workbench, gke, dataflow, apigee, network_keys_scheduler, usage)
