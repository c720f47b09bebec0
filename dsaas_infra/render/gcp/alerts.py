"""The GCP blueprint's platform alerts (alerts.tf): launches, data freshness, the API and its certificate, budget."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from dsaas_infra.spec.cron import max_gap_minutes
from dsaas_infra.spec.resolved import GcpSpec

# API alert thresholds (a starting point, to be tuned after a load test).
API_5XX_PER_5_MIN = 10
API_LATENCY_P99_MS = 2000
# The certificate alert fires this many days before the managed certificate expires (Google
# renews it about a month ahead: a certificate this close to expiry is not being renewed).
CERT_EXPIRY_DAYS = 14
# Data freshness: a run may take this long on top of the schedule's longest gap (Dataflow
# start-up, training, deployment), or a quarter of the gap when that is longer.
FRESHNESS_SLACK_MINUTES = 180
# How often the freshness check runs (one tiny BigQuery query each time).
FRESHNESS_CHECK_SCHEDULE = "23 * * * *"
# The check reads only the partitions (event_time, by day) of events at most this much older than
# its window: rows merged in the window whose events are older still (a late backfill) do not
# count as fresh data.
FRESHNESS_EVENT_LAG_DAYS = 7
# Budget thresholds (share of budget.monthly_usd): actual spend, and the month's forecast.
BUDGET_ACTUAL = (0.5, 0.9, 1.0)
BUDGET_FORECAST = (1.0,)
# A budget notifies at most this many Cloud Monitoring channels (Cloud Billing's limit).
BUDGET_MAX_CHANNELS = 5

SCHEDULER_ERROR = ('resource.type="cloud_scheduler_job" AND resource.labels.job_id="{job}" AND '
                   'severity>=ERROR AND '
                   'jsonPayload."@type"="type.googleapis.com/google.cloud.scheduler.logging.AttemptFinished"')


@dataclass(frozen=True, slots=True, kw_only=True)
class Freshness:
    """The hourly check of the curated table (alerts.tf): a query that fails when no new rows came."""

    job_name: str
    schedule: str
    window_minutes: int
    window_hours: str  # the window in hours, as the README and the alert say it
    query: str
    filter: str  # Cloud Logging filter of the check's failures
    readme: str  # what the README says it checks and reads


@dataclass(frozen=True, slots=True, kw_only=True)
class PlatformAlert:
    """One alert policy of alerts.tf. kind "log": a log match (filter only); "threshold": a metric
    condition, with the fields below set."""

    name: str
    kind: str
    severity: str
    display: str
    condition: str
    filter: str
    doc: str
    # threshold alerts only
    comparison: str | None = None
    threshold: int | None = None
    aligner: str | None = None
    reducer: str | None = None
    period: str | None = None
    duration: str | None = None
    # An HCL reference the filter's %s is formatted with (the uptime check's id), or None.
    filter_ref: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Budget:
    """google_billing_budget (alerts.tf)."""

    billing_account: str
    display_name: str
    units: str  # whole USD, as the API's units string
    actual: list[float]  # thresholds on actual spend (share of the budget)
    forecast: list[float]  # thresholds on the month's forecast
    max_channels: int


def freshness(spec: GcpSpec, *, name_prefix: str, project_id: str, dataset_id: str, curated_tables: list[str],
              schedule: str) -> Freshness | None:
    """The hourly check that new rows reached every curated table (one per raw dataset) within the
    schedule's longest gap plus slack: a BigQuery query Cloud Scheduler sends that fails (ERROR())
    when one of them got none."""
    if not spec.phases.data.enabled:
        return None
    gap = max_gap_minutes(schedule)
    window = gap + max(FRESHNESS_SLACK_MINUTES, gap // 4)
    tables = f"`{project_id}.{dataset_id}.INFORMATION_SCHEMA.TABLES`"
    hours = f"{window / 60:g}"
    lookback = window + FRESHNESS_EVENT_LAG_DAYS * 24 * 60
    # An empty table counts from its creation: no alert right after apply, one if no data ever comes.
    # The filter on event_time, the partitioning column, against a constant expression prunes the
    # scan to the last partitions (BigQuery bills the ingested_at column of those only), where
    # MAX(ingested_at) over the whole table read that column of every partition, every hour.
    # One SELECT per table, UNION ALL: a stale table's ERROR() fails the whole query.
    query = " UNION ALL ".join(
        f"SELECT IF(COALESCE(MAX(ingested_at), (SELECT MAX(creation_time) FROM {tables} "
        f"WHERE table_name = '{table}')) < "
        f"TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL {window} MINUTE), "
        f"ERROR('no new curated rows in {dataset_id}.{table} for more than {hours} h'), "
        f"'fresh') AS freshness FROM `{project_id}.{dataset_id}.{table}` "
        f"WHERE event_time >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL {lookback} MINUTE)"
        for table in curated_tables
    )
    job = f"{name_prefix}-freshness"
    named = ", ".join(curated_tables)
    return Freshness(
        job_name=job,
        schedule=FRESHNESS_CHECK_SCHEDULE,
        window_minutes=window,
        window_hours=hours,
        query=query,
        filter=SCHEDULER_ERROR.format(job=job),
        readme=(f"Cloud Scheduler job {job} asks BigQuery every hour whether rows were merged into "
                f"each curated table ({named}) in the last {hours} h (the schedule's longest gap plus "
                "slack) and fails, raising alert data_stale, when one got none (every dataset is "
                "expected on the data schedule). The query reads only the partitions of "
                f"events from the last {hours} h plus {FRESHNESS_EVENT_LAG_DAYS} days (a filter on "
                "event_time, the partitioning column), so it costs the same whatever the history: rows "
                f"merged in the window whose events are more than {FRESHNESS_EVENT_LAG_DAYS} days older "
                "than it (a late backfill alone) do not count as fresh."),
    )


def platform_alerts(*, name_prefix: str, pipeline_job: str, fresh: Freshness | None,
                    api: bool, promote_job: str | None = None, project_id: str = "",
                    overdue_days: int = 0, overdue_log: str = "") -> list[PlatformAlert]:
    """alerts.tf: each alert to the notification channels of monitoring.tf (fresh: the data phase's
    freshness check, None without it; api: the access phase's API exists; promote_job: the name of
    pipeline.tf's promote job, None without one)."""
    out: list[PlatformAlert] = []
    if fresh is not None:
        out.append(PlatformAlert(
            name="scheduler_rejected", kind="log", severity="ERROR",
            display="a scheduled launch was rejected",
            condition="Cloud Scheduler got an error answer (409 overlap, 403, 400, ...)",
            filter=SCHEDULER_ERROR.format(job=pipeline_job),
            doc=("A Cloud Scheduler launch was refused (409: the previous run is still going; 403: the "
                 "launch identity lost a permission; 400: a bad request body). The run did not start: "
                 "read the job's log in Cloud Scheduler, fix, then run the job by hand."),
        ))
        out.append(PlatformAlert(
            name="data_stale", kind="log", severity="ERROR",
            display="no new curated data",
            condition=f"No new rows in a curated table for more than {fresh.window_hours} h",
            filter=fresh.filter,
            doc=(f"A curated table got no new rows for more than {fresh.window_hours} h (the "
                 "schedule's longest gap plus slack; the failed check's error names it): no run "
                 "succeeded, or no raw data arrived in its incoming/<dataset>/. Check the last runs "
                 "in Vertex AI > Pipelines and that prefix of the raw bucket. The check is Cloud "
                 f"Scheduler job {fresh.job_name} (hourly)."),
        ))
    if promote_job is not None:
        # The promote job (Cloud Run) only creates the promote run: when it fails (the request
        # unreadable, pipelineJobs.create refused), no pipeline run exists to raise the
        # pipeline-failure alert, and an approver who did not wait for the execution never knows.
        out.append(PlatformAlert(
            name="promote_failed", kind="threshold", severity="ERROR",
            display="the promote job failed",
            condition=f"An execution of Cloud Run job {promote_job} failed",
            filter=(f'resource.type = "cloud_run_job" AND resource.labels.job_name = "{promote_job}" AND '
                    'metric.type = "run.googleapis.com/job/completed_execution_count" AND '
                    'metric.labels.result = "failed"'),
            comparison="COMPARISON_GT", threshold=0,
            aligner="ALIGN_DELTA", reducer="REDUCE_SUM", period="300s", duration="0s",
            doc=(f"An execution of the promote job {promote_job} failed: no promote run was started, the "
                 "approved version is not the champion. Read the execution's log "
                 f"(`gcloud run jobs executions list --job={promote_job}`), fix, then execute the job again."),
        ))
    if overdue_days and overdue_log:
        # The pipeline's approved step writes this log each run while a version has waited for
        # the manual approval more than overdue_days (a held version otherwise raises nothing).
        out.append(PlatformAlert(
            name="approval_overdue", kind="log", severity="WARNING",
            display="model versions wait for approval",
            condition=f"A model version has waited for the manual approval more than {overdue_days} days",
            filter=f'logName="projects/{project_id}/logs/{overdue_log}"',
            doc=(f"A registered model version has waited for approval more than {overdue_days} days: new "
                 "versions are trained and held, nothing new is deployed. Review the versions and their "
                 "evaluations in the Model Registry and approve one (README, gate), or reject them."),
        ))
    if api:
        rule = f'resource.type = "https_lb_rule" AND resource.labels.forwarding_rule_name = "{name_prefix}-api"'
        out.append(PlatformAlert(
            name="api_5xx", kind="threshold", severity="ERROR",
            display="prediction API 5xx",
            condition=f"More than {API_5XX_PER_5_MIN} 5xx answers in 5 minutes",
            filter=(f'{rule} AND metric.type = "loadbalancing.googleapis.com/https/request_count" '
                    'AND metric.labels.response_code_class = 500'),
            comparison="COMPARISON_GT", threshold=API_5XX_PER_5_MIN,
            aligner="ALIGN_DELTA", reducer="REDUCE_SUM", period="300s", duration="0s",
            doc=("The API load balancer answered 5xx (Apigee or the model backend failed). Check Apigee "
                 "analytics and the Vertex AI endpoint's logs."),
        ))
        # total_latencies is a DELTA distribution: ALIGN_DELTA keeps each series' distribution
        # per period, REDUCE_PERCENTILE_99 takes the 99th percentile of all of them together
        # (a sum of per-series percentiles would mean nothing).
        out.append(PlatformAlert(
            name="api_latency", kind="threshold", severity="WARNING",
            display="prediction API latency",
            condition=f"p99 latency at the load balancer above {API_LATENCY_P99_MS} ms for 5 minutes",
            filter=f'{rule} AND metric.type = "loadbalancing.googleapis.com/https/total_latencies"',
            comparison="COMPARISON_GT", threshold=API_LATENCY_P99_MS,
            aligner="ALIGN_DELTA", reducer="REDUCE_PERCENTILE_99", period="60s", duration="300s",
            doc="Predictions are slow end to end: check the endpoint's replicas and Apigee's target latency.",
        ))
        check = 'metric.label.check_id = "%s" AND resource.type = "uptime_url"'
        out.append(PlatformAlert(
            name="api_certificate", kind="threshold", severity="ERROR",
            display="API certificate or endpoint failing",
            condition="The HTTPS check of the API host fails (certificate not ACTIVE or invalid, or no answer)",
            filter=f'metric.type = "monitoring.googleapis.com/uptime_check/check_passed" AND {check}',
            filter_ref="google_monitoring_uptime_check_config.api.uptime_check_id",
            comparison="COMPARISON_GT", threshold=1,
            aligner="ALIGN_NEXT_OLDER", reducer="REDUCE_COUNT_FALSE", period="1200s",
            duration="600s",
            doc=("The HTTPS check of the API host fails from more than one region: the managed certificate "
                 "is not ACTIVE (its DNS A record does not point at output api_ip_address, or it is still "
                 "provisioning), TLS fails, or the load balancer does not answer. See "
                 "`gcloud compute ssl-certificates list` for the certificate's status."),
        ))
        out.append(PlatformAlert(
            name="api_certificate_expiry", kind="threshold", severity="WARNING",
            display="API certificate expiring",
            condition=f"The API certificate expires in less than {CERT_EXPIRY_DAYS} days",
            filter=f'metric.type = "monitoring.googleapis.com/uptime_check/time_until_ssl_cert_expires" AND {check}',
            filter_ref="google_monitoring_uptime_check_config.api.uptime_check_id",
            comparison="COMPARISON_LT", threshold=CERT_EXPIRY_DAYS,
            aligner="ALIGN_NEXT_OLDER", reducer="REDUCE_MIN", period="1200s", duration="600s",
            doc=("The managed certificate is not being renewed (Google renews it about a month before it "
                 "expires): check that the DNS A record of the API host still points at output "
                 "api_ip_address and the certificate's status."),
        ))
    return out


def budget(spec: GcpSpec, name_prefix: str) -> Budget | None:
    """google_billing_budget: only with budget.monthly_usd (which needs gcp.billing_account: SPEC017)."""
    if spec.budget is None or spec.gcp is None or spec.gcp.billing_account is None:
        return None
    return Budget(
        billing_account=spec.gcp.billing_account,
        display_name=f"{name_prefix} monthly budget"[:60],
        units=str(int(round(spec.budget.monthly_usd))),
        actual=list(BUDGET_ACTUAL),
        forecast=list(BUDGET_FORECAST),
        max_channels=BUDGET_MAX_CHANNELS,
    )


def budget_readme(spec: GcpSpec, b: Budget | None) -> str:
    """README: what watches the spending, and why there is no budget when there is none."""
    if b is not None:
        return (f"Billing budget `{b.display_name}` on billing account {b.billing_account}: "
                f"{b.units} USD a month (`budget.monthly_usd`); the notification channels hear at "
                f"{', '.join(f'{int(t * 100)}%' for t in b.actual)} of actual spend and when the "
                "month's forecast passes 100%. The billing account must bill in USD, and whoever applies "
                "needs `billing.budgets.create` on it (Billing Account Costs Manager; preflight checks it).")
    return ("No billing budget: the spec sets no `budget.monthly_usd` (with it and `gcp.billing_account`, the "
            "blueprint creates one that alerts the notification channels).")


def header(*, fresh: Freshness | None, api: bool, budget: Budget | None, promote: bool = False) -> list[str]:
    """alerts.tf's opening comment: what this blueprint's file holds, no more (no API at reactive,
    no budget without a billing account)."""
    parts = []
    if fresh is not None:
        parts += ["rejected scheduled launches of the pipeline",
                  "data freshness (an hourly check of the curated table)"]
    if promote:
        parts.append("failed executions of the promote job")
    if api:
        parts.append("the public API's 5xx answers, latency and certificate (HTTPS check and expiry)")
    if budget is not None:
        parts.append("the billing budget")
    listed = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] if parts else "none"
    text = (f"Platform alerts next to the pipeline's own (monitoring.tf): {listed}; each reaches the "
            "notification channels of monitoring.tf.")
    return textwrap.wrap(text, 98)
