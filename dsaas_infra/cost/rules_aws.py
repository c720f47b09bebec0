"""Cost rules for AWS blueprints: one function per priced family, each adding its line items.

Rules read what the rendered blueprint declares (resource blocks and their literals) and, for
what the pipeline creates at run time (training jobs, the SageMaker endpoint), the resolved spec.
"""

from __future__ import annotations

from dsaas_infra.cost.estimate import DAYS, HOURS, RuleContext
from dsaas_infra.spec import aws_capacity, sizes
from dsaas_infra.spec.resolved import AwsSpec

# Per pipeline run: (shortest, longest) plausible duration in hours.
TRAINING_HOURS = (0.25, 2.0)
PROCESSING_HOURS = (0.1, 0.5)
# Per hourly Model Monitor execution (the drift schedule): start-up plus one hour of captured data.
MONITOR_HOURS = (0.1, 0.25)
MONITOR_RUNS_PER_MONTH = HOURS  # cron(0 * ? * * *): every hour
ETL_HOURS = (1 / 6, 1.0)
WORKING_HOURS = 176  # 8 h x 22 days: an interactive workspace in use
# The audit trail's S3 data events (object reads, writes, deletes in the data buckets) per
# pipeline run: (small data set, large one: many Spark part files and training channels).
AUDIT_EVENTS_PER_RUN = (2_000, 200_000)
# Data capture writes about one object per variant instance and minute, Model Monitor reads them.
CAPTURE_EVENTS_PER_INSTANCE_MONTH = 2 * 60 * HOURS


def _requests_per_month(ctx: RuleContext) -> float:
    return sum(c.quota_per_day for c in ctx.spec.phases.access.consumers) * DAYS


def endpoint(ctx: RuleContext) -> None:
    d = ctx.spec.phases.deployment
    if not d.enabled:
        return
    assert isinstance(ctx.spec, AwsSpec)
    n = len(d.variants)
    if d.realtime:
        itype = aws_capacity.inference_instance_type(ctx.spec)
        ctx.add("deployment", "SageMaker endpoint", "pipeline: SageMaker endpoint",
                f"aws.sagemaker.hosting.{itype}", n * d.min_instances * HOURS, n * d.max_instances * HOURS,
                f"{n} variant(s) x {d.min_instances}-{d.max_instances} {itype} always on (autoscaling range)")
    else:
        itype = aws_capacity.transform_instance_type(ctx.spec)
        ctx.add("deployment", "SageMaker batch transform", "pipeline: batch transform jobs",
                f"aws.sagemaker.hosting.{itype}", ctx.runs_per_month * 0.1, ctx.runs_per_month * 1.0,
                f"one {itype} for 6-60 min per pipeline run ({ctx.runs_per_month:g} runs/month)")


def training_jobs(ctx: RuleContext) -> None:
    t, d = ctx.spec.phases.training, ctx.spec.phases.deployment
    if not (t.enabled and d.enabled and ctx.inventory.has("aws_sfn_state_machine")):
        return
    # The instance types the blueprint's state machine and deploy step use (spec/aws_capacity.py).
    assert isinstance(ctx.spec, AwsSpec)
    itype = aws_capacity.training_instance_type(ctx.spec)
    runs = ctx.runs_per_month
    ctx.add("training", "SageMaker training jobs", "pipeline: training job per run",
            f"aws.sagemaker.training.{itype}", runs * TRAINING_HOURS[0], runs * TRAINING_HOURS[1],
            f"{runs:g} runs/month x {TRAINING_HOURS[0]:g}-{TRAINING_HOURS[1]:g} h on {itype}")
    ptype = aws_capacity.PROCESSING_INSTANCE_TYPE
    jobs = ctx.inventory.text.count("states:::sagemaker:createProcessingJob")
    if jobs:
        what = "evaluation" + (" and drift baseline" if jobs > 1 else "")
        ctx.add("training", "SageMaker processing jobs", f"pipeline: {jobs} processing job(s) per run ({what})",
                f"aws.sagemaker.processing.{ptype}", jobs * runs * PROCESSING_HOURS[0],
                jobs * runs * PROCESSING_HOURS[1],
                f"{runs:g} runs/month x {jobs} job(s) x {PROCESSING_HOURS[0]:g}-{PROCESSING_HOURS[1]:g} h"
                f" on {ptype} ({what})")
    if d.realtime and d.drift_detection and "monitor_schedule" in ctx.inventory.text:
        ctx.add("deployment", "SageMaker Model Monitor (drift)", "deploy step: the endpoint's monitoring schedule",
                f"aws.sagemaker.processing.{ptype}", MONITOR_RUNS_PER_MONTH * MONITOR_HOURS[0],
                MONITOR_RUNS_PER_MONTH * MONITOR_HOURS[1],
                f"hourly data-quality job, {MONITOR_HOURS[0]:g}-{MONITOR_HOURS[1]:g} h on {ptype}")


def workspaces(ctx: RuleContext) -> None:
    t = ctx.spec.phases.training
    users = len(t.users)
    for r in ctx.inventory.of("aws_sagemaker_notebook_instance"):
        itype = r.literals.get("instance_type") or t.instance_type or sizes.aws_training_type(t.size, t.gpu)
        count = users if "for_each" in r.expressions else 1
        if "lifecycle_config_name" in r.expressions:
            # The idle auto-stop (files/notebook/autostop.py): in service only while in use.
            ctx.add("training", "SageMaker notebook instances", r.address, f"aws.sagemaker.notebook.{itype}",
                    0, count * WORKING_HOURS,
                    f"{count} instance(s) of {itype} x 0-{WORKING_HOURS} h (they stop when idle)")
        else:
            ctx.add("training", "SageMaker notebook instances", r.address, f"aws.sagemaker.notebook.{itype}",
                    count * HOURS, count * HOURS,
                    f"{count} instance(s) of {itype} in service all month (stop them when unused)")
    if ctx.inventory.has("aws_sagemaker_user_profile") and users:
        assert isinstance(ctx.spec, AwsSpec)
        # The domain's default JupyterLab instance (render/aws/build.py renders the same value).
        itype = aws_capacity.workspace_instance_type(ctx.spec)
        ctx.add("training", "SageMaker Studio JupyterLab", "users' JupyterLab spaces",
                f"aws.sagemaker.notebook.{itype}", 0, users * WORKING_HOURS,
                f"{users} user(s) x 0-{WORKING_HOURS} h on {itype} (apps stop when idle)")


def glue(ctx: RuleContext) -> None:
    runs = ctx.runs_per_month
    for r in ctx.inventory.of("aws_glue_job"):
        literal = r.literals.get("number_of_workers", 2)
        workers = literal if isinstance(literal, int) else 2
        dpu = {"G.1X": 1, "G.2X": 2, "G.4X": 4, "G.8X": 8}.get(str(r.literals.get("worker_type", "G.1X")), 1)
        flex = r.literals.get("execution_class") == "FLEX"
        ctx.add("data", "Glue ETL", r.address, "aws.glue.dpu_flex" if flex else "aws.glue.dpu",
                runs * workers * dpu * ETL_HOURS[0], runs * workers * dpu * ETL_HOURS[1],
                f"{runs:g} runs/month x {workers} x {dpu} DPU x {ETL_HOURS[0] * 60:.0f}-{ETL_HOURS[1] * 60:.0f} min")


def network(ctx: RuleContext) -> None:
    services = ctx.inventory.locals.get("interface_endpoint_services") or []
    spec = ctx.spec
    if not isinstance(spec, AwsSpec) or not ctx.inventory.has("aws_vpc_endpoint") or not isinstance(services, list):
        return
    # The blueprint's own rule (reactive: endpoints in one zone), shared with the README.
    zones = aws_capacity.endpoint_zones(spec)
    n = len(services) * zones
    ctx.add("training", "VPC interface endpoints", "aws_vpc_endpoint.interface", "aws.vpc.interface_endpoint",
            n * HOURS, n * HOURS, f"{len(services)} endpoints x {zones} zones, always on")
    for r in ctx.inventory.of("aws_nat_gateway"):
        ctx.add("training", "NAT gateway", r.address, "aws.vpc.nat_gateway", HOURS, HOURS, "always on")


def keys_and_alarms(ctx: RuleContext) -> None:
    for r in ctx.inventory.of("aws_kms_key"):
        ctx.add(r.phase, "KMS keys", r.address, "aws.kms.key", 1, 1, "one key")
    alarms = [r for r in ctx.inventory.of("aws_cloudwatch_metric_alarm")]
    for phase in sorted({r.phase for r in alarms}):
        rows = [r for r in alarms if r.phase == phase]
        n = len(rows)
        fan_out = any("for_each" in r.expressions or "count" in r.expressions for r in rows)
        ctx.add(phase, "CloudWatch alarms", f"{n} aws_cloudwatch_metric_alarm block(s)", "aws.cloudwatch.alarm",
                n, n, f"{n} alarm block(s)" + (" (some repeat per variant/consumer: at least)" if fan_out else ""))
    for r in ctx.inventory.of("aws_cloudwatch_dashboard"):
        ctx.add(r.phase, "CloudWatch dashboard", r.address, "aws.cloudwatch.dashboard", 1, 1, "one dashboard")


def audit_trail(ctx: RuleContext) -> None:
    """CloudTrail data events of the data buckets (phases.data.audit_trail): billed per event."""
    d = ctx.spec.phases.deployment
    for r in ctx.inventory.of("aws_cloudtrail"):
        runs = ctx.runs_per_month
        low, high = (runs * n for n in AUDIT_EVENTS_PER_RUN)
        note = f"{runs:g} runs/month x {AUDIT_EVENTS_PER_RUN[0]:,}-{AUDIT_EVENTS_PER_RUN[1]:,} object events"
        if d.enabled and d.realtime and d.drift_detection:
            variants = len(d.variants)
            low += variants * d.min_instances * CAPTURE_EVENTS_PER_INSTANCE_MONTH
            high += variants * d.max_instances * CAPTURE_EVENTS_PER_INSTANCE_MONTH
            note += ", plus data capture and drift monitoring objects"
        ctx.add(r.phase, "CloudTrail data events", r.address, "aws.cloudtrail.data_events",
                low / 1e5, high / 1e5, note)


def access(ctx: RuleContext) -> None:
    requests = _requests_per_month(ctx) / 1e6
    for r in ctx.inventory.of("aws_api_gateway_rest_api"):
        ctx.add("access", "API Gateway requests", r.address, "aws.apigateway.rest_requests", 0, requests,
                f"0 to every consumer's daily quota x {DAYS} days ({requests:g} M requests)")
    if ctx.inventory.has("aws_lambda_function") and "predict" in ctx.inventory.text:
        ctx.add("access", "Lambda requests", "predict function", "aws.lambda.requests", 0, requests,
                "one invocation per API request (duration not included)")
    for r in ctx.inventory.of("aws_wafv2_web_acl"):
        rules = r.blocks.get("rule", 0)
        ctx.add("access", "WAF", r.address, "aws.waf.web_acl", 1, 1, "one web ACL")
        ctx.add("access", "WAF", f"{r.address} rules", "aws.waf.rule", rules, rules, f"{rules} rules")
        ctx.add("access", "WAF", f"{r.address} requests", "aws.waf.requests", 0, requests,
                "every API request inspected")


def usage(ctx: RuleContext) -> None:
    buckets = ctx.inventory.of("aws_s3_bucket")
    if buckets:
        ctx.add("data", "S3 storage", f"{len(buckets)} bucket(s)", "aws.s3.standard", 0, 0,
                "usage-based: $ per GB-month stored; transitions lower it", usage_based=True)
    if ctx.inventory.has("aws_cloudwatch_log_group"):
        ctx.add("deployment", "CloudWatch Logs", "log groups", "aws.cloudwatch.logs_ingestion", 0, 0,
                "usage-based: ingestion and storage per GB", usage_based=True)
    if ctx.inventory.has("aws_sfn_state_machine"):
        ctx.add("deployment", "Step Functions", "state machine transitions", "aws.sfn.transitions", 0, 0,
                "usage-based: per 1,000 state transitions", usage_based=True)


RULES = (endpoint, training_jobs, workspaces, glue, network, keys_and_alarms, audit_trail, access, usage)
