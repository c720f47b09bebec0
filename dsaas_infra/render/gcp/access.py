"""The GCP access phase: the Apigee organisation (shared or dedicated), its proxy, consumers and WAF."""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape as xml_escape

from dsaas_infra.spec import gcp_rules
from dsaas_infra.spec.resolved import GcpSpec

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

ACCESS_APIS = {
    "apigee.googleapis.com",
    "cloudkms.googleapis.com",
    "compute.googleapis.com",
    "servicenetworking.googleapis.com",
}


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


def shared_proxy_account(spec: GcpSpec) -> str:
    """The proxy's service account in the shared Apigee organisation's project: created by the
    provider's Apigee baseline, one per client environment, with this blueprint's account id."""
    assert spec.gcp is not None and spec.gcp.apigee.project_id
    return f"{gcp_rules.service_account_id(spec, 'api')}@{spec.gcp.apigee.project_id}.iam.gserviceaccount.com"


def _developer_email(owner: str, consumer: str) -> str:
    """Sub-address of the client owner: unique per consumer, delivered to the owner's mailbox."""
    local, domain = owner.split("@", 1)
    return f"{local.split('+', 1)[0]}+{consumer}@{domain}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ApigeeConsumer:
    """One API consumer: its product, developer and app (access.tf)."""

    product: str
    display_name: str
    quota: str
    quota_interval: str
    quota_time_unit: str
    attributes: dict[str, str]  # the product's custom attributes, which the proxy's policies read
    developer_email: str
    first_name: str
    last_name: str
    user_name: str
    app: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WafRule:
    """A Cloud Armor rule in front of the API (access.waf)."""

    priority: int
    expression: str
    description: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Apigee:
    """The access phase: the Apigee organisation (shared or dedicated), its proxy, consumers and load balancer."""

    shared: bool
    org_project: str | None
    shared_instance: str | None
    network_project: str
    billing_type: str
    retention: str | None
    environment_type: str
    environment_type_reason: str
    display_name: str
    instance_name: str
    environment: str
    envgroup: str
    hostname: str
    api_resources: list[str]
    proxy_name: str
    proxy_dir: str
    proxy_bundle: str
    max_request_bytes: int
    proxy_sa_id: str
    proxy_sa_email: str | None
    predict_role_id: str
    target_url: str
    waf_rules: list[WafRule]
    consumers: dict[str, ApigeeConsumer]


def build(spec: GcpSpec, name_prefix: str, network_project: str, endpoint: str) -> Apigee:
    """The access phase's values (endpoint: the Vertex AI endpoint id the proxy targets)."""
    assert spec.gcp is not None
    a = spec.phases.access
    c = spec.client
    project_id = spec.gcp.project_id
    region = spec.gcp.region
    hostname = f"api.{c.name}.{c.environment}.example"
    consumers = {}
    apigee_spec = spec.gcp.apigee
    shared = apigee_spec.organization == "shared"
    # Org-scoped names carry the client and environment in a shared organisation.
    org_prefix = f"{name_prefix}-" if shared else ""
    for consumer in a.consumers:
        consumers[consumer.name] = ApigeeConsumer(
            product=f"{org_prefix}{consumer.name}-predict",
            display_name=f"Predictions for {consumer.name}",
            quota=str(consumer.quota_per_day),
            quota_interval="1",
            quota_time_unit="day",
            attributes={
                "access": "private",
                "rate_limit_per_second": f"{consumer.rate_limit:g}",
                "burst_limit": str(consumer.burst_limit),
                "spike_arrest_rate": _spike_arrest(consumer.burst_limit),
                "rate_limit_per_minute": str(_rate_per_minute(consumer.rate_limit)),
            },
            developer_email=_developer_email(c.owner, f"{org_prefix}{consumer.name}"),
            first_name=consumer.name,
            last_name=c.display_name or c.name,
            user_name=consumer.name,
            app=f"{consumer.name}-app",
        )
    env_type = apigee_spec.environment_type or APIGEE_ENVIRONMENT_TYPE
    return Apigee(
        shared=shared,
        # The organisation's name is its project's id.
        org_project=apigee_spec.project_id if shared else project_id,
        shared_instance=apigee_spec.instance,
        network_project=network_project,
        billing_type=APIGEE_BILLING_TYPE,
        # A deleted paid organisation blocks its project for the retention period: keep the
        # 30-day recovery window in prod, let dev and staging be rebuilt the next day.
        retention=None if c.environment == "prod" else "MINIMUM",
        environment_type=env_type,
        environment_type_reason=(
            APIGEE_ENVIRONMENT_REASON if apigee_spec.environment_type is None
            else f"{env_type}: set by the spec (gcp.apigee.environment_type)."
        ),
        display_name=f"{c.display_name or c.name} {c.environment}",
        instance_name=name_prefix,
        environment=name_prefix if shared else c.environment,
        envgroup=name_prefix if shared else "api",
        hostname=hostname,
        api_resources=["/", "/**"],
        proxy_name=f"{org_prefix}{PROXY_NAME}",
        proxy_dir=PROXY_DIR,
        proxy_bundle=PROXY_BUNDLE,
        max_request_bytes=MAX_REQUEST_BYTES,
        proxy_sa_id=gcp_rules.service_account_id(spec, "api"),
        # Shared organisation: the account the provider's Apigee baseline creates for this
        # client environment in the organisation's project (README, preflight).
        proxy_sa_email=shared_proxy_account(spec) if shared else None,
        # Custom role ids allow letters, digits, "_" and "." (3-64): at most 6 + 28 + 8.
        predict_role_id="dsaas_" + name_prefix.replace("-", "_") + "_predict",
        # Only validated names and digits go in: escaping keeps the XML well-formed anyway.
        target_url=xml_escape(
            f"https://{region}-aiplatform.googleapis.com/v1/projects/{project_id}/locations/"
            f"{region}/endpoints/{endpoint}:predict"
        ),
        waf_rules=[
            WafRule(priority=p, expression=e, description=d) for p, e, d in WAF_RULES
        ] if a.waf else [],
        consumers=consumers,
    )
