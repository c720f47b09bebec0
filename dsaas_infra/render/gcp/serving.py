"""The GCP deployment and access phases: their render context and files."""

from __future__ import annotations

import hashlib
import io
import math
import zipfile
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from dsaas_infra import phases as phase_table
from dsaas_infra.render.gcp.context import GcpContext
from dsaas_infra.spec import gcp_rules
from dsaas_infra.spec.resolved import GcpSpec

# Cloud Logging keeps the _Default bucket at most this long (the spec's list also serves
# CloudWatch, whose longest retention is 3653 days).
_LOG_RETENTION_MAX = 3650
# Alert thresholds: a starting point for CPU models, to be tuned after a load test.
LATENCY_P99_MS = 1000
ENDPOINT_ERRORS_PER_5_MIN = 10
# Share of online predictions logged to BigQuery with a single variant (all with several).
LOG_SAMPLING_RATE = 0.1
# Apigee: pay-as-you-go is the only billing type that a fresh project can both create and
# keep (EVALUATION organisations are deleted after 60 days, SUBSCRIPTION needs a contract);
# the environment type carries the per-environment choice instead.
APIGEE_BILLING_TYPE = "PAYG"
# Environment type by need: the blueprint deploys one proxy whose policies (API key, quota,
# spike arrest, JSON threat protection, message handling, Google authentication) every type
# offers, so the cheapest one. INTERMEDIATE/COMPREHENSIVE only raise the number of proxy
# deployments and add features the proxy does not use; COMPREHENSIVE in one region would
# also give none of the multi-region availability that justifies its price.
# The proxy's JSONThreatProtection is an Extensible policy (Apigee's policy reference), which Base
# environments cannot deploy: INTERMEDIATE is the cheapest type that runs the shipped proxy.
APIGEE_ENVIRONMENT_TYPE = "INTERMEDIATE"
APIGEE_ENVIRONMENT_REASON = (
    "INTERMEDIATE: the proxy's JSON threat protection is an Extensible policy, which Base "
    "environments cannot run; Comprehensive adds only multi-region features one region does not use."
)

# Cloud Armor rules in front of the API at access.waf: Google's preconfigured OWASP rule sets at
# sensitivity 1 (few false positives) and the Log4Shell signatures.
WAF_RULES = [
    (1000, "evaluatePreconfiguredWaf('sqli-v33-stable', {'sensitivity': 1})", "SQL injection"),
    (1001, "evaluatePreconfiguredWaf('xss-v33-stable', {'sensitivity': 1})", "Cross-site scripting"),
    (1002, "evaluatePreconfiguredWaf('lfi-v33-stable', {'sensitivity': 1})", "Local file inclusion"),
    (1003, "evaluatePreconfiguredWaf('rce-v33-stable', {'sensitivity': 1})", "Remote code execution"),
    (1004, "evaluatePreconfiguredWaf('protocolattack-v33-stable', {'sensitivity': 1})",
     "HTTP protocol attacks"),
    (1005, "evaluatePreconfiguredWaf('cve-canary')", "Log4j CVE-2021-44228 and other CVEs"),
]

# The API proxy shipped with the blueprint: its sources (Apigee bundle layout under
# files/apigee/predict) and the bundle zipped from them at render time (PROXY_BUNDLE), so that
# a saved plan applies on any runner and the reviewed tree is exactly what is uploaded.
PROXY_NAME = "predict"
PROXY_DIR = "files/apigee/predict"
PROXY_BUNDLE = "files/apigee/predict.zip"
PROXY_POLICIES = (
    "Error-Backend-Rejected", "Error-Backend-Unavailable", "Error-Bad-Request", "Error-Internal",
    "Error-Rate-Limited", "Error-Unauthorized", "JSON-Threat-Protection", "Length-Required",
    "Method-Not-Allowed", "No-Path-Suffix", "Payload-Too-Large", "Quota", "Rate-Quota",
    "Remove-API-Key", "Spike-Arrest", "Unsupported-Media-Type", "Verify-API-Key",
)
PROXY_FILES = (
    "apiproxy/predict.xml",
    "apiproxy/proxies/default.xml",
    *(f"apiproxy/policies/{p}.xml" for p in PROXY_POLICIES),
    "apiproxy/targets/vertex.xml.j2",
)
# Largest request body the proxy forwards (Vertex AI refuses bodies above 1.5 MB).
MAX_REQUEST_BYTES = 1_048_576

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
_ACCESS_APIS = {
    "apigee.googleapis.com",
    "cloudkms.googleapis.com",
    "compute.googleapis.com",
    "servicenetworking.googleapis.com",
}


def endpoint_id(project_id: str, name_prefix: str) -> str:
    """A stable numeric Vertex endpoint id: 9 digits, no leading zero (the API's rule)."""
    digest = hashlib.sha256(f"{project_id}/{name_prefix}".encode()).hexdigest()
    return str(100_000_000 + int(digest, 16) % 900_000_000)


def _spike_arrest(burst_limit: int) -> str:
    """Apigee SpikeArrest rate: the burst limit per second (counted over a sliding second)."""
    return f"{burst_limit}ps"


def _rate_per_minute(rate_per_second: float) -> int:
    """The sustained rate as the per-minute count of the Rate-Quota policy (at least 1)."""
    return max(1, math.ceil(rate_per_second * 60))


def proxy_bundle(files: dict[str, bytes]) -> bytes:
    """The proxy's rendered sources as an Apigee bundle zip: sorted entries, fixed time and
    modes, stored (not deflated, whose bytes can differ between zlib builds): same sources,
    same bytes, same MD5 on every machine."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name in sorted(n for n in files if n.startswith(f"{PROXY_DIR}/")):
            info = zipfile.ZipInfo(name.removeprefix(f"{PROXY_DIR}/"), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o100644 << 16
            info.create_system = 3
            zf.writestr(info, files[name])
    return buf.getvalue()


def derived_files(ctx: GcpContext, rendered: dict[str, bytes]) -> dict[str, bytes]:
    """Files built from other rendered files: the proxy bundle."""
    if ctx.apigee is None:
        return {}
    return {PROXY_BUNDLE: proxy_bundle(rendered)}


def shared_proxy_account(spec: GcpSpec) -> str:
    """The proxy's service account in the shared Apigee organisation's project: created by the
    provider's Apigee baseline, one per client environment, with this blueprint's account id."""
    assert spec.gcp is not None and spec.gcp.apigee.project_id
    return f"{gcp_rules.service_account_id(spec, 'api')}@{spec.gcp.apigee.project_id}.iam.gserviceaccount.com"


def _developer_email(owner: str, consumer: str) -> str:
    """Sub-address of the client owner: unique per consumer, delivered to the owner's mailbox."""
    local, domain = owner.split("@", 1)
    return f"{local.split('+', 1)[0]}+{consumer}@{domain}"


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


def build_context(spec: GcpSpec, ctx: dict[str, Any]) -> dict[str, Any]:
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
    # A reused network may live in a Shared VPC host project: peering ranges belong there.
    network_project = spec.gcp.network.network.split("/")[1] if spec.gcp.network else project_id
    out: dict[str, Any] = {
        "gke": None, "vertex_endpoint": None, "observability": None, "apigee": None,
        "shared_vpc_host": network_project if network_project != project_id else None,
    }
    apis: set[str] = set()

    if deployment:
        apis |= _DEPLOYMENT_APIS
        endpoint = endpoint_id(project_id, name_prefix) if realtime else None
        # The pipeline's monitor step creates the drift monitoring job (it needs the data and
        # training phases: no pipeline, no job).
        monitored = (realtime and bool(d.drift_detection) and bool(spec.phases.data.enabled)
                     and bool(spec.phases.training.enabled))
        if realtime:
            out["vertex_endpoint"] = {
                "name": endpoint,
                "display_name": f"{name_prefix}-endpoint",
                "description": f"Online predictions for {c.display_name or c.name} ({c.environment}); "
                               "models are deployed by the ML pipeline",
                "variants": {v.name: v.weight for v in d.variants},
                # Vertex AI has no deletion protection of its own: Terraform refuses to destroy
                # the prod endpoint (deletion_policy PREVENT); the pipeline owns what it serves.
                "deletion_policy": "PREVENT" if c.environment == "prod" else "DELETE",
                # One request/response log, so that variants can be compared on real traffic
                # (every request where there are variants to compare). Where the pipeline runs
                # drift monitoring, the monitoring job owns the endpoint's logging (it enables it
                # into its own dataset, model_deployment_monitoring_<endpoint>, at the job's
                # sampling rate, which the pipeline sets to this one): Terraform then sets none
                # and ignores it. Otherwise Terraform logs into a dataset of its own, the only
                # one Vertex AI's agent may write.
                "log_requests": bool(spec.phases.data.enabled) and not monitored,
                "log_by_monitoring": monitored,
                "log_sampling_rate": 1.0 if len(d.variants or []) > 1 else LOG_SAMPLING_RATE,
                "log_dataset": f"{name_prefix.replace('-', '_')}_prediction_log",
                "log_table": "prediction_log",
                "monitoring_log_table": (f"{project_id}.model_deployment_monitoring_{endpoint}.serving_predict"
                                         if monitored else None),
            }
        drift = realtime and bool(d.drift_detection)
        drift_metric = f"{name_prefix}-drift-anomalies" if drift else None
        filters = _filters(project_id, endpoint)
        title = f"{c.display_name or c.name} {c.environment}: ML platform"
        out["observability"] = {
            "emails": sorted(set(d.alert_emails or [c.owner])),
            "log_retention_days": min(spec.phases.data.log_retention_days, _LOG_RETENTION_MAX),
            "filters": filters,
            "latency_p99_ms": LATENCY_P99_MS,
            "endpoint_errors": ENDPOINT_ERRORS_PER_5_MIN,
            "drift": drift,
            "drift_metric": drift_metric,
            "dashboard": _dashboard(title, filters, drift_metric) if d.dashboard else None,
            "prefix": f"{c.display_name or c.name} {c.environment}",
        }

    if access:
        apis |= _ACCESS_APIS
        hostname = f"api.{c.name}.{c.environment}.example"
        consumers = {}
        apigee_spec = spec.gcp.apigee
        shared = apigee_spec.organization == "shared"
        # Org-scoped names carry the client and environment in a shared organisation.
        org_prefix = f"{name_prefix}-" if shared else ""
        for consumer in a.consumers:
            consumers[consumer.name] = {
                "product": f"{org_prefix}{consumer.name}-predict",
                "display_name": f"Predictions for {consumer.name}",
                "quota": str(consumer.quota_per_day),
                "quota_interval": "1",
                "quota_time_unit": "day",
                "attributes": {
                    "access": "private",
                    "rate_limit_per_second": f"{consumer.rate_limit:g}",
                    "burst_limit": str(consumer.burst_limit),
                    "spike_arrest_rate": _spike_arrest(consumer.burst_limit),
                    "rate_limit_per_minute": str(_rate_per_minute(consumer.rate_limit)),
                },
                "developer_email": _developer_email(c.owner, f"{org_prefix}{consumer.name}"),
                "first_name": consumer.name,
                "last_name": c.display_name or c.name,
                "user_name": consumer.name,
                "app": f"{consumer.name}-app",
            }
        env_type = apigee_spec.environment_type or APIGEE_ENVIRONMENT_TYPE
        out["apigee"] = {
            "shared": shared,
            # The organisation's name is its project's id.
            "org_project": apigee_spec.project_id if shared else project_id,
            "shared_instance": apigee_spec.instance,
            "network_project": network_project,
            "billing_type": APIGEE_BILLING_TYPE,
            # A deleted paid organisation blocks its project for the retention period: keep the
            # 30-day recovery window in prod, let dev and staging be rebuilt the next day.
            "retention": None if c.environment == "prod" else "MINIMUM",
            "environment_type": env_type,
            "environment_type_reason": (
                APIGEE_ENVIRONMENT_REASON if apigee_spec.environment_type is None
                else f"{env_type}: set by the spec (gcp.apigee.environment_type)."
            ),
            "display_name": f"{c.display_name or c.name} {c.environment}",
            "instance_name": name_prefix,
            "environment": name_prefix if shared else c.environment,
            "envgroup": name_prefix if shared else "api",
            "hostname": hostname,
            "api_resources": ["/", "/**"],
            "proxy_name": f"{org_prefix}{PROXY_NAME}",
            "proxy_dir": PROXY_DIR,
            "proxy_bundle": PROXY_BUNDLE,
            "max_request_bytes": MAX_REQUEST_BYTES,
            "proxy_sa_id": gcp_rules.service_account_id(spec, "api"),
            # Shared organisation: the account the provider's Apigee baseline creates for this
            # client environment in the organisation's project (README, preflight).
            "proxy_sa_email": shared_proxy_account(spec) if shared else None,
            # Custom role ids allow letters, digits, "_" and "." (3-64): at most 6 + 28 + 8.
            "predict_role_id": "dsaas_" + name_prefix.replace("-", "_") + "_predict",
            # Only validated names and digits go in: escaping keeps the XML well-formed anyway.
            "target_url": xml_escape(
                f"https://{region}-aiplatform.googleapis.com/v1/projects/{project_id}/locations/"
                f"{region}/endpoints/{endpoint_id(project_id, name_prefix)}:predict"
            ),
            "waf_rules": [
                {"priority": p, "expression": e, "description": d} for p, e, d in WAF_RULES
            ] if a.waf else [],
            "consumers": consumers,
        }

    out["serving_apis"] = sorted(apis)
    # Providers these phases need beyond google/google-beta/time (for versions.tf).
    out["serving_providers"] = {}
    return out


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
