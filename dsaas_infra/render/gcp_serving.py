"""The GCP deployment and access phases: their render context and files."""

from __future__ import annotations

import hashlib
from typing import Any

from dsaas_infra.spec.model import ClientSpec
from dsaas_infra.spec.sizes import GCP_MACHINE, gcp_accelerator, gcp_machine_type

# Regions without an "-a" zone; every other GCP region has one. A zonal cluster pins its zone
# here rather than reading google_compute_zones at plan time: a zone list that changes order
# would otherwise move (and so replace) the cluster.
_FIRST_ZONE = {"us-east1": "b", "europe-west1": "b"}
# Cloud Logging keeps the _Default bucket at most this long (the spec's list also serves
# CloudWatch, whose longest retention is 3653 days).
_LOG_RETENTION_MAX = 3650
# Alert thresholds: a starting point for CPU models, to be tuned after a load test.
LATENCY_P99_MS = 1000
ENDPOINT_ERRORS_PER_5_MIN = 10
CONTAINER_RESTARTS_PER_10_MIN = 3
# Kubernetes identity of the model servers (Workload Identity maps it to a Google account).
SERVING_NAMESPACE = "serving"
SERVING_KSA = "model-server"
# A weekend maintenance window (UTC); the dates only anchor the weekly recurrence.
MAINTENANCE_WINDOW = {
    "start_time": "2025-01-04T02:00:00Z",
    "end_time": "2025-01-04T08:00:00Z",
    "recurrence": "FREQ=WEEKLY;BYDAY=SA,SU",
}
# Apigee: pay-as-you-go is the only billing type that a fresh project can both create and
# keep (EVALUATION organisations are deleted after 60 days, SUBSCRIPTION needs a contract);
# the environment type carries the per-environment choice instead.
APIGEE_BILLING_TYPE = "PAYG"

_DEPLOYMENT_APIS = {
    "aiplatform.googleapis.com",
    "binaryauthorization.googleapis.com",
    "cloudkms.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "compute.googleapis.com",
    "container.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
}
_ACCESS_APIS = {
    "apigee.googleapis.com",
    "cloudkms.googleapis.com",
    "compute.googleapis.com",
    "servicenetworking.googleapis.com",
}


def account_id(name_prefix: str, suffix: str) -> str:
    """A service account id (6-30 chars) of the form <prefix>-<suffix>, shortening the prefix."""
    prefix = name_prefix[: 30 - len(suffix) - 1].rstrip("-")
    return f"{prefix}-{suffix}"


def endpoint_id(project_id: str, name_prefix: str) -> str:
    """A stable numeric Vertex endpoint id: 9 digits, no leading zero (the API's rule)."""
    digest = hashlib.sha256(f"{project_id}/{name_prefix}".encode()).hexdigest()
    return str(100_000_000 + int(digest, 16) % 900_000_000)


def _zone(region: str) -> str:
    return f"{region}-{_FIRST_ZONE.get(region, 'a')}"


def _spike_arrest(rate_per_second: float) -> str:
    """Apigee SpikeArrest rate syntax: per second when possible, else per minute."""
    if rate_per_second >= 1:
        return f"{int(rate_per_second)}ps"
    return f"{max(1, int(rate_per_second * 60))}pm"


def _developer_email(owner: str, consumer: str) -> str:
    """Sub-address of the client owner: unique per consumer, delivered to the owner's mailbox."""
    local, domain = owner.split("@", 1)
    return f"{local.split('+', 1)[0]}+{consumer}@{domain}"


def _node_pools(spec: ClientSpec, regional: bool) -> list[dict[str, Any]]:
    d = spec.phases.deployment
    serving_type = d.instance_type or gcp_machine_type(d.size, d.gpu)
    accelerator = gcp_accelerator(d.gpu)
    common = {
        "disk_size_gb": 100,
        "disk_type": "pd-balanced",
        "image_type": "COS_CONTAINERD",
        # Regional clusters count per zone in min/max_node_count: use the total_* limits so
        # that the spec's instance counts mean the whole pool.
        "total_limits": regional,
    }
    if accelerator is None:
        return [{
            **common,
            "key": "general",
            "name": "general",
            "machine_type": serving_type,
            "min": d.min_instances,
            "max": d.max_instances,
            "accelerator": None,
            "labels": {"dsaas-infra/pool": "general", "dsaas-infra/serving": "true"},
            "taints": [],
        }]
    # With a GPU the model servers run on the GPU pool (tainted, so only pods that tolerate
    # the taint land there); the CPU pool keeps system pods and CPU-side services small.
    return [
        {
            **common,
            "key": "general",
            "name": "general",
            "machine_type": GCP_MACHINE[d.size],
            "min": 1,
            "max": max(1, d.max_instances),
            "accelerator": None,
            "labels": {"dsaas-infra/pool": "general", "dsaas-infra/serving": "false"},
            "taints": [],
        },
        {
            **common,
            "key": "gpu",
            "name": f"gpu-{d.gpu}",
            "machine_type": serving_type,
            "min": d.min_instances,
            "max": d.max_instances,
            "accelerator": {"type": accelerator, "count": 1},
            "labels": {"dsaas-infra/pool": "gpu", "dsaas-infra/serving": "true"},
            "taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}],
        },
    ]


def _filters(project_id: str, cluster: str, endpoint: str | None) -> dict[str, str]:
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
        "container_restarts": (
            'resource.type = "k8s_container" AND '
            'metric.type = "kubernetes.io/container/restart_count" AND '
            f'resource.labels.cluster_name = "{cluster}"'
        ),
        "node_cpu": (
            'resource.type = "k8s_node" AND '
            'metric.type = "kubernetes.io/node/cpu/allocatable_utilization" AND '
            f'resource.labels.cluster_name = "{cluster}"'
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


def _chart(title: str, flt: str, aligner: str, reducer: str | None = None) -> dict[str, Any]:
    aggregation: dict[str, Any] = {"alignmentPeriod": "60s", "perSeriesAligner": aligner}
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


def _dashboard(title: str, filters: dict[str, str], drift_metric: str | None) -> dict[str, Any]:
    widgets = [
        _chart("GKE node CPU utilisation", filters["node_cpu"], "ALIGN_MEAN"),
        _chart("GKE container restarts", filters["container_restarts"], "ALIGN_DELTA", "REDUCE_SUM"),
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


def build_context(spec: ClientSpec, ctx: dict[str, Any]) -> dict[str, Any]:
    """Values the deployment/access templates need, computed here rather than in Jinja."""
    assert spec.gcp is not None
    d = spec.phases.deployment
    a = spec.phases.access
    c = spec.client
    name_prefix: str = ctx["name_prefix"]
    project_id = spec.gcp.project_id
    region = spec.gcp.region
    deployment = bool(d.enabled)
    realtime = deployment and bool(d.realtime)
    access = bool(a.enabled) and realtime
    out: dict[str, Any] = {
        "gke": None, "vertex_endpoint": None, "observability": None, "apigee": None,
    }
    apis: set[str] = set()

    if deployment:
        apis |= _DEPLOYMENT_APIS
        regional = bool(d.multi_az)
        cluster_name = f"{name_prefix}-serving"
        out["gke"] = {
            "cluster_name": cluster_name,
            "regional": regional,
            "location": region if regional else _zone(region),
            "release_channel": "STABLE" if c.maturity == "managed" else "REGULAR",
            "deletion_protection": c.environment == "prod",
            "node_sa_id": account_id(name_prefix, "gke-nodes"),
            "workload_sa_id": account_id(name_prefix, "serving"),
            "workload_pool": f"{project_id}.svc.id.goog",
            "namespace": SERVING_NAMESPACE,
            "service_account": SERVING_KSA,
            "maintenance": MAINTENANCE_WINDOW,
            "node_pools": _node_pools(spec, regional),
            "gpu": d.gpu,
        }
        endpoint = endpoint_id(project_id, name_prefix) if realtime else None
        if realtime:
            out["vertex_endpoint"] = {
                "name": endpoint,
                "display_name": f"{name_prefix}-endpoint",
                "description": f"Online predictions for {c.display_name or c.name} ({c.environment}); "
                               "models are deployed by the ML pipeline",
                "variants": {v.name: v.weight for v in d.variants},
            }
        drift = realtime and bool(d.drift_detection)
        drift_metric = f"{name_prefix}-drift-anomalies" if drift else None
        filters = _filters(project_id, cluster_name, endpoint)
        title = f"{c.display_name or c.name} {c.environment}: ML platform"
        out["observability"] = {
            "emails": sorted(set(d.alert_emails or [c.owner])),
            "log_retention_days": min(spec.phases.data.log_retention_days, _LOG_RETENTION_MAX),
            "filters": filters,
            "latency_p99_ms": LATENCY_P99_MS,
            "endpoint_errors": ENDPOINT_ERRORS_PER_5_MIN,
            "container_restarts": CONTAINER_RESTARTS_PER_10_MIN,
            "drift": drift,
            "drift_metric": drift_metric,
            "dashboard": _dashboard(title, filters, drift_metric) if d.dashboard else None,
            "prefix": f"{c.display_name or c.name} {c.environment}",
        }

    if access:
        apis |= _ACCESS_APIS
        hostname = f"api.{c.name}.{c.environment}.example"
        consumers = {}
        for consumer in a.consumers:
            consumers[consumer.name] = {
                "product": f"{consumer.name}-predict",
                "display_name": f"Predictions for {consumer.name}",
                "quota": str(consumer.quota_per_day),
                "quota_interval": "1",
                "quota_time_unit": "day",
                "attributes": {
                    "access": "private",
                    "rate_limit_per_second": f"{consumer.rate_limit:g}",
                    "burst_limit": str(consumer.burst_limit),
                    "spike_arrest_rate": _spike_arrest(consumer.rate_limit),
                },
                "developer_email": _developer_email(c.owner, consumer.name),
                "first_name": consumer.name,
                "last_name": c.display_name or c.name,
                "user_name": consumer.name,
                "app": f"{consumer.name}-app",
            }
        if c.environment == "dev":
            env_type = "BASE"
        elif c.maturity == "managed":
            env_type = "COMPREHENSIVE"
        else:
            env_type = "INTERMEDIATE"
        out["apigee"] = {
            "billing_type": APIGEE_BILLING_TYPE,
            "environment_type": env_type,
            "display_name": f"{c.display_name or c.name} {c.environment}",
            "instance_name": name_prefix,
            "environment": c.environment,
            "envgroup": "api",
            "hostname": hostname,
            "api_resources": ["/predict", "/predict/**"],
            "consumers": consumers,
        }

    out["serving_apis"] = sorted(apis)
    return out


def files(ctx: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if ctx["gke"] is not None:
        out += [("deployment.tf", "gcp/deployment.tf.j2"), ("monitoring.tf", "gcp/monitoring.tf.j2")]
    if ctx["apigee"] is not None:
        out.append(("access.tf", "gcp/access.tf.j2"))
    return out
