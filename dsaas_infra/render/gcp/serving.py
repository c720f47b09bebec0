"""The GCP deployment phase (Vertex AI endpoint, monitoring) and the files of the deployment and access phases."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dsaas_infra import phases as phase_table
from dsaas_infra.render.gcp import access as gcp_access
from dsaas_infra.render.gcp.access import PROXY_BUNDLE, PROXY_DIR, PROXY_FILES, Apigee
from dsaas_infra.spec.resolved import GcpSpec

if TYPE_CHECKING:  # context.py's GcpContext holds this module's dataclasses
    from dsaas_infra.render.gcp.context import GcpContext

# Alert thresholds: a starting point for CPU models, to be tuned after a load test.
LATENCY_P99_MS = 1000
ENDPOINT_ERRORS_PER_5_MIN = 10
# Share of online predictions logged to BigQuery with a single variant (all with several).
LOG_SAMPLING_RATE = 0.1
# No GKE cluster: nothing in the loop runs on one (the Vertex AI endpoint serves, Vertex AI
# Pipelines and Dataflow run the pipeline's work), and a cluster with nothing to run is an idle
# cost at every level (issue 10). The README says so, per level.
_DEPLOYMENT_APIS = {
    "aiplatform.googleapis.com",
    "cloudkms.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "compute.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
}


def endpoint_id(project_id: str, name_prefix: str) -> str:
    """A stable numeric Vertex endpoint id: 9 digits, no leading zero (the API's rule)."""
    digest = hashlib.sha256(f"{project_id}/{name_prefix}".encode()).hexdigest()
    return str(100_000_000 + int(digest, 16) % 900_000_000)


def derived_files(ctx: GcpContext, rendered: dict[str, bytes]) -> dict[str, bytes]:
    """Files built from other rendered files: the proxy bundle."""
    if ctx.apigee is None:
        return {}
    return {PROXY_BUNDLE: gcp_access.proxy_bundle(rendered)}


def _filters(project_id: str, endpoint: str | None) -> dict[str, str]:
    """Cloud Monitoring and Logging filters, built here so that templates only escape them."""
    out = {
        "dataflow_failed": (
            'resource.type = "dataflow_job" AND '
            'metric.type = "dataflow.googleapis.com/job/is_failed"'
        ),
        "pipeline_failed": (
            'resource.type="aiplatform.googleapis.com/PipelineJob" AND '
            'jsonPayload.state="PIPELINE_STATE_FAILED"'
        ),
    }
    if endpoint is not None:
        base = (
            'resource.type = "aiplatform.googleapis.com/Endpoint" AND '
            f'resource.labels.endpoint_id = "{endpoint}"'
        )
        out["endpoint_errors"] = (
            f'{base} AND metric.type = "aiplatform.googleapis.com/prediction/online/error_count"'
        )
        out["endpoint_latency"] = (
            f'{base} AND '
            'metric.type = "aiplatform.googleapis.com/prediction/online/prediction_latencies"'
        )
        out["endpoint_requests"] = (
            f'{base} AND '
            'metric.type = "aiplatform.googleapis.com/prediction/online/prediction_count"'
        )
        out["drift_anomalies"] = (
            f'logName="projects/{project_id}/logs/'
            'aiplatform.googleapis.com%2Fmodel_monitoring_anomaly"'
        )
    return out


# The dashboard is an opaque JSON document (Cloud Monitoring's Dashboard resource), laid out
# whole with jsonencode(): plain JSON values, no field of it is read by a template.
JsonDocument = dict[str, object]


def _chart(title: str, flt: str, aligner: str, reducer: str | None = None) -> JsonDocument:
    aggregation: JsonDocument = {"alignmentPeriod": "60s", "perSeriesAligner": aligner}
    if reducer is not None:
        aggregation["crossSeriesReducer"] = reducer
    return {
        "title": title,
        "xyChart": {
            "dataSets": [{
                "plotType": "LINE",
                "timeSeriesQuery": {
                    "timeSeriesFilter": {"filter": flt, "aggregation": aggregation},
                },
            }],
        },
    }


def _dashboard(title: str, filters: dict[str, str], drift_metric: str | None) -> JsonDocument:
    widgets = [
        _chart("Dataflow failed jobs", filters["dataflow_failed"], "ALIGN_MAX"),
    ]
    if "endpoint_requests" in filters:
        widgets += [
            _chart("Vertex AI predictions / s", filters["endpoint_requests"], "ALIGN_RATE", "REDUCE_SUM"),
            _chart("Vertex AI prediction errors / s", filters["endpoint_errors"], "ALIGN_RATE", "REDUCE_SUM"),
            _chart("Vertex AI latency p99 (ms)", filters["endpoint_latency"], "ALIGN_PERCENTILE_99", "REDUCE_MAX"),
        ]
    if drift_metric is not None:
        widgets.append(_chart(
            "Drift anomalies (Vertex AI Model Monitoring)",
            f'metric.type = "logging.googleapis.com/user/{drift_metric}"',
            "ALIGN_DELTA", "REDUCE_SUM",
        ))
    return {"displayName": title, "gridLayout": {"columns": "2", "widgets": widgets}}


@dataclass(frozen=True, slots=True, kw_only=True)
class VertexEndpoint:
    """The deployment phase's Vertex AI endpoint (deployment.tf), created empty: the pipeline deploys."""

    name: str  # the numeric endpoint id (endpoint_id)
    display_name: str
    description: str
    variants: dict[str, int]  # variant -> traffic share
    deletion_policy: str
    log_requests: bool
    log_by_monitoring: bool
    log_sampling_rate: float
    log_dataset: str
    log_table: str
    monitoring_log_table: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Observability:
    """monitoring.tf: notification channels, alert policies and the dashboard (the log bucket: logs.LogBucket)."""

    emails: list[str]
    filters: dict[str, str]  # Cloud Monitoring and Logging filters by use
    latency_p99_ms: int
    endpoint_errors: int
    drift: bool
    drift_metric: str | None
    dashboard: JsonDocument | None  # opaque: laid out whole (jsonencode), see JsonDocument
    prefix: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderPin:
    """A Terraform provider versions.tf requires beyond google, google-beta and time."""

    source: str
    version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Serving:
    """What the deployment and access phases add to the context (build.py spreads it into GcpContext)."""

    # No GKE cluster is created (issue 10): always None; the templates' GKE branches stay for a
    # cluster the blueprint may bring back.
    gke: None
    vertex_endpoint: VertexEndpoint | None
    observability: Observability | None
    apigee: Apigee | None
    shared_vpc_host: str | None
    serving_apis: list[str]
    serving_providers: dict[str, ProviderPin]


def build_context(spec: GcpSpec, name_prefix: str) -> Serving:
    """Values the deployment/access templates need, computed here rather than in Jinja."""
    assert spec.gcp is not None
    d = spec.phases.deployment
    a = spec.phases.access
    c = spec.client
    project_id = spec.gcp.project_id
    deployment = bool(d.enabled)
    realtime = deployment and bool(d.realtime)
    access = bool(a.enabled) and realtime
    # A reused network may live in a Shared VPC host project: peering ranges belong there.
    network_project = spec.gcp.network.network.split("/")[1] if spec.gcp.network else project_id
    vertex_endpoint: VertexEndpoint | None = None
    observability: Observability | None = None
    apigee: Apigee | None = None
    apis: set[str] = set()

    if deployment:
        apis |= _DEPLOYMENT_APIS
        endpoint = endpoint_id(project_id, name_prefix) if realtime else None
        # The pipeline's monitor step creates the drift monitoring job (it needs the data and
        # training phases: no pipeline, no job).
        monitored = (realtime and bool(d.drift_detection) and bool(spec.phases.data.enabled)
                     and bool(spec.phases.training.enabled))
        if endpoint is not None:
            vertex_endpoint = VertexEndpoint(
                name=endpoint,
                display_name=f"{name_prefix}-endpoint",
                description=f"Online predictions for {c.display_name or c.name} ({c.environment}); "
                            "models are deployed by the ML pipeline",
                variants={v.name: v.weight for v in d.variants},
                # Vertex AI has no deletion protection of its own: Terraform refuses to destroy
                # the prod endpoint (deletion_policy PREVENT); the pipeline owns what it serves.
                deletion_policy="PREVENT" if c.environment == "prod" else "DELETE",
                # One request/response log, so that variants can be compared on real traffic
                # (every request where there are variants to compare). Where the pipeline runs
                # drift monitoring, the monitoring job owns the endpoint's logging (it enables it
                # into its own dataset, model_deployment_monitoring_<endpoint>, at the job's
                # sampling rate, which the pipeline sets to this one): Terraform then sets none
                # and ignores it. Otherwise Terraform logs into a dataset of its own, the only
                # one Vertex AI's agent may write.
                log_requests=bool(spec.phases.data.enabled) and not monitored,
                log_by_monitoring=monitored,
                log_sampling_rate=1.0 if len(d.variants or []) > 1 else LOG_SAMPLING_RATE,
                log_dataset=f"{name_prefix.replace('-', '_')}_prediction_log",
                log_table="prediction_log",
                monitoring_log_table=(f"{project_id}.model_deployment_monitoring_{endpoint}.serving_predict"
                                      if monitored else None),
            )
        drift = realtime and bool(d.drift_detection)
        drift_metric = f"{name_prefix}-drift-anomalies" if drift else None
        filters = _filters(project_id, endpoint)
        title = f"{c.display_name or c.name} {c.environment}: ML platform"
        observability = Observability(
            emails=sorted(set(d.alert_emails or [c.owner])),
            filters=filters,
            latency_p99_ms=LATENCY_P99_MS,
            endpoint_errors=ENDPOINT_ERRORS_PER_5_MIN,
            drift=drift,
            drift_metric=drift_metric,
            dashboard=_dashboard(title, filters, drift_metric) if d.dashboard else None,
            prefix=f"{c.display_name or c.name} {c.environment}",
        )

    if access:
        apis |= gcp_access.ACCESS_APIS
        apigee = gcp_access.build(spec, name_prefix, network_project, endpoint_id(project_id, name_prefix))

    return Serving(
        gke=None,
        vertex_endpoint=vertex_endpoint,
        observability=observability,
        apigee=apigee,
        shared_vpc_host=network_project if network_project != project_id else None,
        serving_apis=sorted(apis),
        # Providers these phases need beyond google/google-beta/time (for versions.tf).
        serving_providers={},
    )


def files(ctx: GcpContext) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    # The deployment phase's files, each only where the spec asks for what it holds.
    out.extend(phase_table.tf_files("gcp", "deployment", {"deployment.tf": ctx.vertex_endpoint is not None,
                                                      "monitoring.tf": ctx.observability is not None}))
    if ctx.apigee is not None:
        out.extend(phase_table.tf_files("gcp", "access"))
        for name in PROXY_FILES:
            out.append((f"{PROXY_DIR}/{name.removesuffix('.j2')}", f"gcp/{PROXY_DIR}/{name}"))
    return out
