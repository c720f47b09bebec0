"""The GCP blueprint's render context: one typed field per value its templates lay out (built by build.py).

The nested values (workbench, pipeline, apigee, ...) are frozen dataclasses built by render/gcp/*.py,
one module per concern, each defined in the module that builds it; each is the plain data its
template section lays out. The only untyped JSON is an opaque document laid out whole
(serving.JsonDocument: the dashboard); tests/render/gcp/test_gcp_context_types.py keeps it so.
"""

from __future__ import annotations

from dataclasses import dataclass

from dsaas_infra.render.context import CommonContext
from dsaas_infra.render.gcp.access import Apigee
from dsaas_infra.render.gcp.alerts import Budget, Freshness, PlatformAlert
from dsaas_infra.render.gcp.kms import Kms
from dsaas_infra.render.gcp.logs import LogBucket
from dsaas_infra.render.gcp.network import NetSec
from dsaas_infra.render.gcp.pipeline import Pipeline, ServingRow
from dsaas_infra.render.gcp.quotas import Quota
from dsaas_infra.render.gcp.serving import Observability, ProviderPin, VertexEndpoint
from dsaas_infra.spec.gcp_settings import GcpSettings


@dataclass(frozen=True, slots=True, kw_only=True)
class Dataflow:
    """The scheduled raw -> curated Dataflow job (data.tf, variables.tf, quotas, freshness)."""

    machine_type: str
    max_workers: int
    schedule: str  # unix cron of the data schedule
    template: str  # the Google-provided Flex Template it runs


@dataclass(frozen=True, slots=True, kw_only=True)
class RawTransition:
    """A lifecycle rule of the raw bucket (data.tf): objects of these classes move to a cheaper one."""

    days: int
    storage_class: str
    from_classes: list[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Workbench:
    """The training phase's Workbench instances, one per user, and the notebooks' custom role."""

    instances: dict[str, str]  # user -> instance name
    machine_type: str
    accelerator: str | None
    zone: str
    idle_timeout_seconds: int
    boot_disk_gb: int  # pd-balanced, billed also while stopped
    data_disk_gb: int
    owners: dict[str, str]  # user -> Google account
    deletion_protection: bool
    role_id: str
    permissions: list[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class GcpContext(CommonContext):
    gcp: GcpSettings
    project_id: str
    region: str
    labels: dict[str, str]
    apis: list[str]
    netsec: NetSec
    service_identities: list[str]
    service_agent_domains: dict[str, str]
    extra_providers: dict[str, ProviderPin]
    quotas: list[Quota]
    kms: Kms
    # --- network
    network_created: bool
    network_cidrs: dict[str, str]
    flow_log_sampling: float
    shared_vpc_host: str | None
    private_machines: str
    gke_node_tag: str
    workbench_tag: str
    # --- data
    buckets: dict[str, str]
    # The raw bucket's storage-class transitions and the README's words for its lifecycle.
    raw_transitions: list[RawTransition]
    raw_lifecycle: str
    service_accounts: dict[str, str]
    dataflow: Dataflow
    dataset_id: str
    time_travel_hours: int
    soft_delete_seconds: int
    audited_services: list[str]
    # --- training and the pipeline
    workbench: Workbench
    training_gpu: str
    # The spec's deployment.realtime as set (the README says when it is off); realtime is the served one.
    deployment_realtime: bool
    image_keep_count: int
    pipeline: Pipeline
    serving_plan: list[ServingRow]
    # --- deployment and access (render/gcp/serving.py, render/gcp/access.py)
    vertex_endpoint: VertexEndpoint | None
    gke: None  # no GKE cluster is created (serving.Serving.gke)
    observability: Observability | None
    log_bucket: LogBucket | None  # the blueprint's own log bucket and sink (with observability)
    apigee: Apigee | None
    platform_alerts: list[PlatformAlert]
    serving_apis: list[str]
    serving_providers: dict[str, ProviderPin]
    # Alerts on stale curated data, and the budget with its README paragraph (render/gcp/alerts.py).
    freshness: Freshness | None
    budget: Budget | None
    budget_readme: str
    # alerts.tf's opening comment lines: what the file holds for this spec.
    alerts_header: list[str]
