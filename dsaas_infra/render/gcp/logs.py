"""The blueprint's own log bucket (monitoring.tf): retention, CMEK, and the sink of the blueprint's logs.

The project's `_Default` bucket is the project's, not the blueprint's: a project that already holds
other workloads keeps its own retention and encryption there. The blueprint routes only its own
log entries, chosen by the filters below, to a bucket it owns, and excludes exactly those (the same
filter) from `_Default`, so that they are stored once, under the blueprint's key and retention. An
entry no route matches stays in `_Default` as before: nothing is lost if a route misses.

User-defined log-based metrics count every entry the project receives, whichever bucket it is
routed to or excluded from; log-based alert policies scan every entry a project sink routes to a
log bucket (Cloud Logging: "Log-based metrics overview", "Configure log-based alerting policies"):
the alerts and metrics of monitoring.tf and alerts.tf keep seeing the routed entries.
"""

from __future__ import annotations

from dataclasses import dataclass

# Cloud Logging keeps a bucket's entries at most this long (the spec's list also serves
# CloudWatch, whose longest retention is 3653 days).
RETENTION_MAX = 3650
# The name the compiled pipeline spec gives itself (files/pipeline/pipeline.py @dsl.pipeline):
# Vertex AI names a run <pipeline name>-<timestamp> when pipelineJobs.create is given no id, as
# Cloud Scheduler's request is.
PIPELINE_NAME = "dsaas-mlops-loop"
# The curate step names its Dataflow jobs curate-<run> (files/pipeline/pipeline.py).
DATAFLOW_JOB_PREFIX = "curate-"


@dataclass(frozen=True, slots=True, kw_only=True)
class LogRoute:
    """One kind of the blueprint's log entries (the README lists them)."""

    what: str
    filter: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LogBucket:
    """google_logging_project_bucket_config, its sink and the _Default exclusion (monitoring.tf)."""

    bucket_id: str
    location: str
    retention_days: int
    sink: str
    exclusion: str
    routes: list[LogRoute]
    filter: str  # the routes' filters OR-ed: the sink's inclusion filter and _Default's exclusion


def build(*, name_prefix: str, project_id: str, retention_days: int, endpoint: str | None,
          drift: bool, buckets: list[str], dataset: str | None) -> LogBucket:
    """The bucket (global: the logging key's location, kms.py) and the routes of what the blueprint runs.

    buckets/dataset: the data the blueprint audits (data-access audit logs, managed), else empty/None."""
    own = f'"^{name_prefix}-"'
    routes = [
        LogRoute(what="Cloud Scheduler jobs (pipeline launches, freshness check)",
                 filter=f'(resource.type="cloud_scheduler_job" AND resource.labels.job_id=~{own})'),
        LogRoute(what="Cloud Run jobs (promote)",
                 filter=f'(resource.type="cloud_run_job" AND resource.labels.job_name=~{own})'),
        LogRoute(what="Vertex AI pipeline runs",
                 filter=('(resource.type="aiplatform.googleapis.com/PipelineJob" AND '
                         f'resource.labels.pipeline_job_id=~"^{PIPELINE_NAME}-")')),
        LogRoute(what="Dataflow curate jobs",
                 filter=f'(resource.type="dataflow_step" AND resource.labels.job_name=~"^{DATAFLOW_JOB_PREFIX}")'),
    ]
    if endpoint is not None:
        routes.append(LogRoute(
            what="the Vertex AI endpoint",
            filter=('(resource.type="aiplatform.googleapis.com/Endpoint" AND '
                    f'resource.labels.endpoint_id="{endpoint}")')))
    if drift:
        routes.append(LogRoute(
            what="Model Monitoring anomalies",
            filter=f'(logName="projects/{project_id}/logs/aiplatform.googleapis.com%2Fmodel_monitoring_anomaly")'))
    names = [f'protoPayload.resourceName:"projects/_/buckets/{b}"' for b in buckets]
    if dataset is not None:
        names.append(f'protoPayload.resourceName:"projects/{project_id}/datasets/{dataset}"')
    if names:
        routes.append(LogRoute(
            what="data-access audit logs of the blueprint's buckets and dataset",
            filter=(f'(logName="projects/{project_id}/logs/cloudaudit.googleapis.com%2Fdata_access" AND '
                    f'({" OR ".join(names)}))')))
    return LogBucket(
        bucket_id=f"{name_prefix}-logs",
        location="global",
        retention_days=min(retention_days, RETENTION_MAX),
        sink=f"{name_prefix}-logs",
        exclusion=f"{name_prefix}-logs",
        routes=routes,
        filter=" OR ".join(r.filter for r in routes),
    )
