"""GCP-specific spec rules: labels derived from tags, names derived from the spec.

The derivations live here (not in the renderer) so that the names the templates use are
exactly the names checked before rendering.
"""

from __future__ import annotations

import re

from dsaas_infra.spec import naming
from dsaas_infra.spec.resolved import GcpSpec

Problem = tuple[tuple[str | int, ...], str]

LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
MAX_LABELS = 64
SERVICE_ACCOUNT_ID = re.compile(r"^[a-z]([-a-z0-9]{4,28}[a-z0-9])$")
RESOURCE_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
BIGQUERY_DATASET = re.compile(r"^[A-Za-z0-9_]{1,1024}$")
KMS_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,63}$")

# Service account ids are 6-30 chars: the environment is abbreviated so that the longest
# client name (20) plus the longest suffix still fits.
ENV_SHORT = {"dev": "dev", "staging": "stg", "prod": "prd"}
BUCKET_KINDS = ("raw", "curated", "artifacts", "experiments", "dataflow")
SERVICE_ACCOUNTS = {
    "dataflow": "df",
    "scheduler": "sched",
    "workbench": "wb",
    "training": "train",
    "pipeline": "pipe",
}


def egress(spec: GcpSpec) -> str | None:
    """A created VPC's egress: the spec's, else restricted at managed (confidential), nat below."""
    assert spec.gcp is not None
    if spec.gcp.network is not None:
        return None
    return spec.gcp.egress or ("restricted" if spec.client.maturity == "managed" else "nat")


def name_prefix(spec: GcpSpec) -> str:
    return spec.name_prefix


def bucket_names(spec: GcpSpec) -> dict[str, str]:
    """Bucket names are global: the project id (itself globally unique) makes them unique."""
    assert spec.gcp is not None
    return {k: f"{spec.gcp.project_id}-{spec.client.environment}-{k}" for k in BUCKET_KINDS}


def service_account_id(spec: GcpSpec, suffix: str) -> str:
    return f"{spec.client.name}-{ENV_SHORT[spec.client.environment]}-{suffix}"


def service_account_ids(spec: GcpSpec) -> dict[str, str]:
    return {key: service_account_id(spec, suffix) for key, suffix in SERVICE_ACCOUNTS.items()}


def workbench_names(spec: GcpSpec) -> dict[str, str]:
    return {u: f"{name_prefix(spec)}-wb-{u}" for u in spec.phases.training.users}


def user_emails(spec: GcpSpec) -> dict[str, str]:
    """Each training user's Google account: the spec's, else <user>@<the client owner's domain>."""
    t = spec.phases.training
    domain = spec.client.owner.split("@", 1)[1]
    return {u: t.user_emails.get(u, f"{u}@{domain}") for u in t.users}


def dataset_id(spec: GcpSpec) -> str:
    return name_prefix(spec).replace("-", "_") + "_curated"


def label_safe(value: str) -> str:
    """Free text (e.g. an e-mail) as a label value: lowercase, other characters as '_'."""
    value = value.lower().replace("@", "_at_")
    return re.sub(r"[^a-z0-9_-]", "_", value)[:63]


def identifying_labels(spec: GcpSpec) -> dict[str, str]:
    c = spec.client
    return {
        "client": c.name,
        "environment": c.environment,
        "maturity": c.maturity,
        "owner": label_safe(c.owner),
        "managed-by": "dsaas-infra",
    }


def tag_labels(spec: GcpSpec) -> tuple[dict[str, str], list[Problem]]:
    """Client tags as GCP labels (lowercased), with a located problem per tag that cannot be one."""
    labels: dict[str, str] = {}
    origin: dict[str, str] = {}
    problems: list[Problem] = []
    for key, value in spec.client.tags.items():
        where: tuple[str | int, ...] = ("client", "tags", key)
        label_key, label_value = key.lower(), value.lower()
        if not LABEL_KEY.fullmatch(label_key):
            problems.append((where, (
                f"tag key {key!r} cannot become a GCP label key: label keys are 1-63 lowercase "
                "letters, digits, '_' or '-', starting with a letter (suggestion: "
                f"{_suggest_key(key)!r})"
            )))
            continue
        if not LABEL_VALUE.fullmatch(label_value):
            problems.append((where, (
                f"tag {key!r}: value {value!r} cannot become a GCP label value: label values are "
                f"at most 63 lowercase letters, digits, '_' or '-' (suggestion: "
                f"{label_safe(value)!r})"
            )))
            continue
        if label_key in origin:
            problems.append((where, (
                f"tag key {key!r} and tag key {origin[label_key]!r} both become the GCP label "
                f"{label_key!r} (labels are lowercase): keep one of them"
            )))
            continue
        origin[label_key] = key
        labels[label_key] = label_value
    return labels, problems


def labels(spec: GcpSpec) -> dict[str, str]:
    """Every label the blueprint sets by default; identifying labels win over tags."""
    derived, _ = tag_labels(spec)
    return dict(sorted({**derived, **identifying_labels(spec)}.items()))


def _suggest_key(key: str) -> str:
    text = re.sub(r"[^a-z0-9_-]", "_", key.lower())
    if not text or not text[0].isalpha():
        text = "tag_" + text
    return text[:63]


def check(spec: GcpSpec) -> list[Problem]:
    if spec.gcp is None:
        return []
    derived, problems = tag_labels(spec)
    total = len({**derived, **identifying_labels(spec)})
    if total > MAX_LABELS:
        problems.append((("client", "tags"), (
            f"GCP resources take at most {MAX_LABELS} labels; these tags make {total} with the "
            f"{len(identifying_labels(spec))} labels dsaas-infra sets"
        )))

    for kind, name in bucket_names(spec).items():
        try:
            naming.check_gcs_bucket(name)
        except ValueError as e:
            problems.append((("gcp", "project_id"), f"derived {kind} bucket {name!r}: {e}"))
    for key, sa in service_account_ids(spec).items():
        if not SERVICE_ACCOUNT_ID.fullmatch(sa):
            problems.append((("client", "name"), (
                f"derived {key} service account id {sa!r} must be 6-30 lowercase letters, digits "
                "or '-', starting with a letter: shorten the client name"
            )))
    for i, name in enumerate(workbench_names(spec).values()):
        if not RESOURCE_NAME.fullmatch(name) or len(name) > 63:
            problems.append((("phases", "training", "users", i), (
                f"derived Workbench instance name {name!r} is longer than 63 characters or not a "
                "valid GCE name: shorten the user name"
            )))
    if not BIGQUERY_DATASET.fullmatch(dataset_id(spec)):
        problems.append((("client", "name"), f"derived BigQuery dataset {dataset_id(spec)!r} is invalid"))
    if not KMS_NAME.fullmatch(f"{name_prefix(spec)}-keyring"):
        problems.append((("client", "name"), "derived KMS key ring name is invalid"))

    if spec.gcp.egress is not None and spec.gcp.network is not None:
        problems.append((("gcp", "egress"), (
            "egress applies to a VPC the blueprint creates; the reused network's routes, NAT and DNS "
            "are its owner's: remove gcp.egress or gcp.network")))
    if spec.gcp.vpc_sc is not None and spec.gcp.network is None and egress(spec) != "restricted":
        problems.append((("gcp", "egress"), (
            "a VPC Service Controls perimeter with an internet route (egress: nat) still lets workloads "
            "send data out: set gcp.egress: restricted")))

    for user in spec.phases.training.user_emails:
        if user not in spec.phases.training.users:
            problems.append((("phases", "training", "user_emails", user),
                             f"{user!r} is not in phases.training.users"))
    t = spec.phases.training
    if t.enabled and t.gpu not in (None, "none") and not t.users:
        # A GPU nobody gets would be silently dropped (and its quota asked for in vain).
        problems.append((("phases", "training", "gpu"), (
            f"gpu {t.gpu!r} equips the Workbench instances, but phases.training.users is empty: "
            "list the users who need it, or set gpu: none"
        )))
    problems.extend(_apigee_problems(spec))

    network = spec.gcp.network
    if network is not None:
        region = network.subnetwork.split("/")[3]
        if region != spec.gcp.region:
            problems.append((("gcp", "network", "subnetwork"), (
                f"the subnetwork is in {region!r} but gcp.region is {spec.gcp.region!r}: "
                "workloads must run in the subnetwork's region"
            )))
        if network.pods_range_name == network.services_range_name:
            problems.append((("gcp", "network", "services_range_name"),
                             "the pods and services secondary ranges must be different ranges"))
        for key in ("pods_range_name", "services_range_name"):
            if not RESOURCE_NAME.fullmatch(getattr(network, key)):
                problems.append((("gcp", "network", key), (
                    f"{getattr(network, key)!r} is not a valid secondary range name (lowercase "
                    "letters, digits and '-', starting with a letter, at most 63 characters)"
                )))
    return problems


def budget(spec: GcpSpec) -> list[Problem]:
    """A billing budget belongs to a billing account: without one the blueprint would render no budget
    while validate still compared the estimate with budget.monthly_usd, so nothing would alarm."""
    assert spec.gcp is not None
    if spec.budget is None or spec.gcp.billing_account is not None:
        return []
    return [(("budget", "monthly_usd"), (
        "a GCP billing budget belongs to the billing account: set gcp.billing_account "
        "(gcloud billing projects describe PROJECT), or remove budget so no alarm is promised"))]


def _apigee_problems(spec: GcpSpec) -> list[Problem]:
    assert spec.gcp is not None
    apigee = spec.gcp.apigee
    out: list[Problem] = []
    if apigee.organization == "dedicated" and apigee.environment_type == "BASE" and spec.phases.access.enabled:
        out.append((("gcp", "apigee", "environment_type"), (
            "BASE cannot run the prediction proxy: its JSON threat protection is an Extensible "
            "policy, which Base environments do not offer; use INTERMEDIATE (the default) or COMPREHENSIVE"
        )))
    if apigee.organization == "dedicated":
        for key in ("project_id", "instance"):
            if getattr(apigee, key) is not None:
                out.append((("gcp", "apigee", key),
                            "only for organization: shared (a dedicated organisation is created here)"))
        return out
    if not spec.phases.access.enabled:
        return out
    if apigee.environment_type == "BASE":
        out.append((("gcp", "apigee", "environment_type"), (
            "BASE cannot run the prediction proxy: its JSON threat protection is an Extensible "
            "policy, which Base environments do not offer; use INTERMEDIATE (the default) or COMPREHENSIVE"
        )))
    if apigee.project_id is None or apigee.instance is None:
        missing = " and ".join(k for k in ("project_id", "instance") if getattr(apigee, k) is None)
        out.append((("gcp", "apigee"), (
            "the API uses the provider's shared Apigee organisation by default: set gcp.apigee."
            f"{missing} (from the provider's Apigee baseline), or gcp.apigee.organization: "
            "dedicated for an organisation of this client's own (about an hour to create, and a "
            "paid organisation per client)"
        )))
    elif not re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", apigee.project_id):
        out.append((("gcp", "apigee", "project_id"), "must be a GCP project id"))
    elif apigee.project_id == spec.gcp.project_id:
        out.append((("gcp", "apigee", "project_id"), (
            "the shared organisation lives in the provider's project, not the client's: use "
            "organization: dedicated to create one in this project"
        )))
    return out
