"""GCP encryption plan: one Cloud KMS key per service family, granted to exactly its service agents."""

from __future__ import annotations

from dataclasses import dataclass

from dsaas_infra.spec.resolved import GcpSpec

ROTATION_PERIOD = "7776000s"  # 90 days
KMS_PROTECTION = {"reactive": "SOFTWARE", "proactive": "SOFTWARE", "managed": "HSM"}

# Service agent -> what it encrypts (comment in kms.tf). Their members are laid out in kms.tf.
AGENTS = {
    "storage": "Cloud Storage: the buckets",
    "bigquery": "BigQuery: the curated dataset and its tables",
    "compute": "Compute Engine: persistent disks of Dataflow workers, Workbench instances and GKE nodes",
    "dataflow": "Dataflow: job state and worker disks",
    "notebooks": "Workbench: the instances' disks",
    "container": "GKE: application-layer encryption of Kubernetes secrets",
    "aiplatform": "Vertex AI: TensorBoard, metadata store, endpoint, pipeline jobs and models",
    "artifactregistry": "Artifact Registry: the image repository",
    "logging": "Cloud Logging: the blueprint's own log bucket",
}

# Service agents created on request by google_project_service_identity (services.tf).
IDENTITY_SERVICES = {
    "aiplatform": "aiplatform.googleapis.com",
    "artifactregistry": "artifactregistry.googleapis.com",
    "dataflow": "dataflow.googleapis.com",
    "notebooks": "notebooks.googleapis.com",
}
# Agents whose e-mail follows Google's fixed pattern service-<project number>@<domain>; the
# others are read from data sources that also create them (kms.tf).
AGENT_DOMAINS = {
    "aiplatform": "gcp-sa-aiplatform.iam.gserviceaccount.com",
    "artifactregistry": "gcp-sa-artifactregistry.iam.gserviceaccount.com",
    "compute": "compute-system.iam.gserviceaccount.com",
    "dataflow": "dataflow-service-producer-prod.iam.gserviceaccount.com",
    "notebooks": "gcp-sa-notebooks.iam.gserviceaccount.com",
}

# Cloud KMS multi-regions: Apigee recommends one for the runtime-database key (the
# organisation's control plane data is not tied to the instance region).
_MULTI_REGIONS = (("us-", "us"), ("europe-", "europe"), ("asia-", "asia"))


def apigee_database_location(region: str) -> str:
    """The multi-region holding the region, or the region itself where there is none."""
    for prefix, location in _MULTI_REGIONS:
        if region.startswith(prefix):
            return location
    return region


@dataclass(frozen=True, slots=True, kw_only=True)
class KmsKey:
    """One key of the ring (kms.tf's local.kms_keys: laid out as a map, in field order)."""

    name: str
    purpose: str


@dataclass(frozen=True, slots=True, kw_only=True)
class KmsAgent:
    """A service agent that uses a key: what it encrypts, and its e-mail's fixed domain if it has one."""

    what: str
    domain: str | None  # None: kms.tf reads the agent from a data source that also creates it


@dataclass(frozen=True, slots=True, kw_only=True)
class KmsGrant:
    """One agent's grant on one key (kms.tf's local.kms_grants: laid out as a map, in field order)."""

    key: str
    agent: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ApigeeKeys:
    """A dedicated Apigee organisation's runtime-database and instance-disk keys (access.tf)."""

    database_ring: str
    database_location: str
    database_key: str
    disk_ring: str
    disk_key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Kms:
    """The encryption plan kms.tf, access.tf and the README lay out."""

    key_ring: str
    logging_key_ring: str
    rotation_period: str
    protection_level: str
    keys: dict[str, KmsKey]  # family -> key (all but logging's, which has its own ring)
    logging_key: str | None
    agents: dict[str, KmsAgent]
    grants: dict[str, KmsGrant]  # "<family>-<agent>" -> grant
    identity_agents: list[str]
    apigee: ApigeeKeys | None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Family:
    purpose: str
    agents: list[str]


def build(spec: GcpSpec, name_prefix: str, apis: set[str], apigee_dedicated: bool) -> Kms:
    """Keys (family -> purpose, ring, agents) and the grants (one per key and agent)."""
    assert spec.gcp is not None
    p = spec.phases
    data = bool(p.data.enabled)
    training = bool(p.training.enabled)
    workbench = training and bool(p.training.users)
    deployment = bool(p.deployment.enabled)
    realtime = deployment and bool(p.deployment.realtime)
    families: dict[str, _Family] = {}

    def add(family: str, purpose: str, agents: list[str]) -> None:
        families[family] = _Family(purpose=purpose, agents=agents)

    if data:
        add("storage", "Cloud Storage buckets", ["storage"])
        add("bigquery", "BigQuery curated dataset", ["bigquery"])
    disks = ["compute"] * bool(data or workbench or "container.googleapis.com" in apis)
    # GKE's agent exists only where its API is enabled (no blueprint creates a cluster today).
    gke = "container.googleapis.com" in apis
    # The curate step's Dataflow job runs with this key (its kmsKeyName), and Beam's BigQueryIO
    # uses the job's key for its BigQuery load jobs and temporary tables: BigQuery's encryption
    # agent must use it too, or the load into the staging table fails.
    disk_agents = (disks + ["dataflow"] * data + ["bigquery"] * data + ["notebooks"] * workbench
                   + ["container"] * gke)
    if disk_agents:
        add("compute", "persistent disks (Dataflow workers, Workbench instances)"
            + (", GKE nodes and secrets" if gke else "") + (", the Dataflow job's BigQuery loads" if data else ""),
            disk_agents)
    # data: the pipeline jobs the data schedule starts (pipeline.tf) are encrypted with it.
    # The drift monitoring job (the pipeline creates it where it trains and serves) is encrypted
    # with this key with all its sub-resources, its BigQuery log tables among them.
    monitored = realtime and data and training and bool(p.deployment.drift_detection)
    if data or training or realtime:
        add("vertex", "Vertex AI (TensorBoard, metadata, endpoint, pipeline jobs, models"
            + (", drift monitoring and its BigQuery log" if monitored else "") + ")",
            ["aiplatform"] + ["bigquery"] * monitored)
    if training:
        add("registry", "Artifact Registry images", ["artifactregistry"])
    if deployment:
        add("logging", "the blueprint's Cloud Logging bucket", ["logging"])
    grants = {
        f"{family}-{agent}": KmsGrant(key=family, agent=agent)
        for family, f in families.items() for agent in f.agents
        # GKE's grant lives with the cluster (deployment.tf) and has its own wait.
        if agent != "container"
    }
    agents = sorted({a for f in families.values() for a in f.agents} - {"container"})
    return Kms(
        key_ring=f"{name_prefix}-keyring",
        # Cloud Logging only accepts a key from the log bucket's location: the blueprint's is global (logs.py).
        logging_key_ring=f"{name_prefix}-logging",
        rotation_period=ROTATION_PERIOD,
        protection_level=KMS_PROTECTION[spec.client.maturity],
        keys={f: KmsKey(name=f"{name_prefix}-{f}", purpose=v.purpose)
              for f, v in families.items() if f != "logging"},
        logging_key=f"{name_prefix}-logging" if "logging" in families else None,
        agents={a: KmsAgent(what=AGENTS[a], domain=AGENT_DOMAINS.get(a)) for a in agents},
        grants=grants,
        # Agents generated by google_project_service_identity.agents (services.tf).
        identity_agents=sorted(a for a in agents if IDENTITY_SERVICES.get(a) in apis),
        apigee=ApigeeKeys(
            database_ring=f"{name_prefix}-apigee-db",
            database_location=apigee_database_location(spec.gcp.region),
            database_key=f"{name_prefix}-apigee-db",
            disk_ring=f"{name_prefix}-apigee-disk",
            disk_key=f"{name_prefix}-apigee-disk",
        ) if apigee_dedicated else None,
    )
