"""The fleet index (fleet.json): one machine-readable entry per client-environment of the repository."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dsaas_infra import clouds
from dsaas_infra.errors import SpecError, SpecProblem, UsageError
from dsaas_infra.spec import ci_names
from dsaas_infra.spec.resolved import ResolvedSpec

INDEX_FILE = "fleet.json"
CLIENTS_DIR = "clients"
SPECS_DIR = "specs"
# A GitHub matrix makes at most 256 jobs per workflow run; each shard's workflow also runs one
# job that computes the matrix (and drift one that summarises), so a shard holds fewer.
SHARD_SIZE = 250


@dataclass(frozen=True)
class FleetClient:
    name: str  # <client>-<environment>: blueprint folder, GitHub environment, concurrency key
    client: str
    environment: str
    cloud: str
    account: str  # AWS account id or GCP project id
    region: str
    blueprint: str  # clients/<name>
    spec: str  # specs/<name>.yaml
    spec_sha256: str
    shard: int
    # AWS: role_arn / plan_role_arn; GCP: workload_identity_provider / service_account / plan_service_account
    ci: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def role_name(spec: ResolvedSpec, purpose: str) -> str:
    """The IAM role (AWS) a blueprint with ci.create_identity creates: purpose is apply or plan."""
    return f"{spec.name_prefix}-github-{purpose}"


def ci_identity(spec: ResolvedSpec, spec_file: str) -> dict[str, str]:
    """The identity each job of this client logs in with; none is a located spec error."""
    def missing(key: str, message: str) -> SpecError:
        return SpecError([SpecProblem(spec_file, None, None, key, message)])

    if spec.cloud == "aws":
        assert spec.aws is not None
        if spec.ci is not None and spec.ci.create_identity:
            base = f"arn:aws:iam::{spec.aws.account_id}:role/"
            return {"role_arn": base + role_name(spec, "apply"), "plan_role_arn": base + role_name(spec, "plan"),
                    "apply_session_seconds": str(ci_names.AWS_SESSION_SECONDS["apply"])}
        if not spec.aws.ci_role_arn:
            raise missing("aws.ci_role_arn", "a fleet client needs the role its CI assumes with GitHub OIDC: set "
                          "aws.ci_role_arn, or ci.create_identity: true")
        return {"role_arn": spec.aws.ci_role_arn, "plan_role_arn": spec.aws.ci_plan_role_arn or spec.aws.ci_role_arn,
                "apply_session_seconds": str(ci_names.AWS_DEFAULT_SESSION_SECONDS)}
    assert spec.gcp is not None
    if spec.ci is not None and spec.ci.create_identity:
        provider = ci_names.gcp_provider_name(spec)
        if provider is None:
            raise missing("gcp.project_number", "with ci.create_identity the fleet's CI logs in to the provider "
                          "the blueprint creates, which is named by the project's number: set "
                          "gcp.project_number (gcloud projects describe PROJECT --format='value(projectNumber)')")
        accounts = ci_names.gcp_service_accounts(spec)
        return {"workload_identity_provider": provider, "service_account": accounts["apply"],
                "plan_service_account": accounts["plan"]}
    if not spec.gcp.workload_identity_provider or not spec.gcp.ci_service_account:
        raise missing("gcp.workload_identity_provider", "a fleet client needs its Workload Identity Federation "
                      "provider and service account: set gcp.workload_identity_provider and "
                      "gcp.ci_service_account, or ci.create_identity: true")
    return {"workload_identity_provider": spec.gcp.workload_identity_provider,
            "service_account": spec.gcp.ci_service_account,
            "plan_service_account": spec.gcp.ci_plan_service_account or spec.gcp.ci_service_account}


def build(entries: list[tuple[ResolvedSpec, bytes, str]]) -> list[FleetClient]:
    """(spec, its file's bytes, its file name) per client -> index entries sorted by name, sharded."""
    ordered = sorted(entries, key=lambda e: (e[0].client.name, e[0].client.environment))
    problems = []
    clients = []
    for i, (spec, raw, file) in enumerate(ordered):
        name = spec.name_prefix
        try:
            ci = ci_identity(spec, file)
        except SpecError as e:
            problems.extend(e.problems)
            continue
        cloud = clouds.of(spec)
        account, region = cloud.account(spec), cloud.region(spec)
        clients.append(FleetClient(name, spec.client.name, spec.client.environment, spec.cloud, account, region,
                                   f"{CLIENTS_DIR}/{name}", f"{SPECS_DIR}/{name}.yaml",
                                   hashlib.sha256(raw).hexdigest(), i // SHARD_SIZE + 1, ci))
    if problems:
        raise SpecError(problems)
    return clients


def shards(clients: list[FleetClient]) -> int:
    return max((c.shard for c in clients), default=1)


def dump(clients: list[FleetClient], generator: str) -> str:
    doc = {"generator": generator, "shard_size": SHARD_SIZE, "shards": shards(clients),
           "clients": [c.to_json() for c in clients]}
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def load(path: Path) -> list[FleetClient]:
    try:
        doc = json.loads(path.read_text())
        return [FleetClient(**c) for c in doc["clients"]]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise UsageError(f"{path}: not a fleet index written by `dsaas-infra fleet` ({e})") from e
